//! When the disk under the database fails: SQLite's "database or disk is full" (`SQLITE_FULL`) and
//! I/O errors (`SQLITE_IOERR`) become [`StoreError::DiskFull`] and [`StoreError::DiskIo`], whose
//! messages say what happened and what to do, instead of a bare "(code: 13)"; the pool drops a
//! connection such an error left confused ([`pool_options`]); and a way for tests to run the
//! store against a database that fills up on purpose.

use sqlx::sqlite::SqlitePoolOptions;
use sqlx::Connection;

use super::damage::Damage;
use super::upgrade::sqlite_message;
use super::{Result, Store, StoreError, MAX_CONNECTIONS};

/// SQLite's primary result codes this module names (the low byte of an extended code).
const SQLITE_IOERR: i32 = 10;
const SQLITE_FULL: i32 = 13;

/// What a failed database call says about the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DiskTrouble {
    Full,
    Io,
}

/// The disk trouble behind SQLite's (extended) result `code`, if any.
fn disk_trouble(code: Option<&str>) -> Option<DiskTrouble> {
    // sqlx reports SQLite's extended code, e.g. 778 (SQLITE_IOERR_WRITE) for an I/O error.
    let primary = code?.parse::<i32>().ok()? & 0xff;
    match primary {
        SQLITE_FULL => Some(DiskTrouble::Full),
        SQLITE_IOERR => Some(DiskTrouble::Io),
        _ => None,
    }
}

/// The store's pool settings. A full disk (or an I/O error) inside a transaction can make SQLite
/// roll the whole transaction back on its own; sqlx's `ROLLBACK` on drop then fails and its
/// connection still counts itself inside a transaction, so every later `BEGIN IMMEDIATE` on it
/// failed ("InvalidSavePointStatement") even after space came back. Such a connection is closed
/// when it comes back to the pool instead of being handed out again.
pub(super) fn pool_options() -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .after_release(|conn, _| {
            Box::pin(async move {
                if !conn.is_in_transaction() {
                    return Ok(true);
                }
                // A dropped transaction queues its rollback: the round trip lets it finish first.
                conn.ping().await?;
                Ok(!conn.is_in_transaction())
            })
        })
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        // Damage met by a query of the store's comes named (`damage.rs`).
        let error = match error {
            sqlx::Error::Database(e) => match e.try_downcast::<Damage>() {
                Ok(damage) => return damage.into_store_error(),
                Err(e) => sqlx::Error::Database(e),
            },
            other => other,
        };
        let trouble = match &error {
            sqlx::Error::Database(e) => disk_trouble(e.code().as_deref()),
            _ => None,
        };
        match trouble {
            Some(DiskTrouble::Full) => Self::DiskFull {
                sqlite: sqlite_message(&error),
            },
            Some(DiskTrouble::Io) => Self::DiskIo {
                sqlite: sqlite_message(&error),
            },
            None => Self::Storage(error),
        }
    }
}

impl StoreError {
    /// Whether this is the disk failing (full, or an I/O error) rather than the request: writing
    /// more will not help until someone frees space or fixes the disk.
    pub fn is_disk_failure(&self) -> bool {
        matches!(self, Self::DiskFull { .. } | Self::DiskIo { .. })
    }
}

impl Store {
    /// Another handle on the same database whose connections refuse to grow it past `max_pages`
    /// pages (SQLite's per-connection `max_page_count`): a full disk, made to order for tests.
    /// The pages already in use count, so pass [`Store::page_count`] plus the headroom wanted.
    #[doc(hidden)]
    pub async fn with_page_limit(&self, max_pages: u64) -> Result<Store> {
        let options = (*self.pool.raw().connect_options())
            .clone()
            .pragma("max_page_count", max_pages.to_string());
        let pool = pool_options().connect_with(options).await?;
        Ok(Store {
            pool: self.pool.with_pool(pool),
            clock: self.clock.clone(),
            word_counts: self.word_counts.clone(),
        })
    }

    /// How many pages the database has (free ones included).
    #[doc(hidden)]
    pub async fn page_count(&self) -> Result<u64> {
        let (pages,): (i64,) = sqlx::query_as("PRAGMA page_count")
            .fetch_one(&self.pool)
            .await?;
        Ok(pages.max(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_and_io_errors_are_told_apart_by_their_primary_code() {
        assert_eq!(disk_trouble(Some("13")), Some(DiskTrouble::Full));
        assert_eq!(disk_trouble(Some("10")), Some(DiskTrouble::Io));
        // SQLITE_IOERR_WRITE and SQLITE_IOERR_SHORT_READ: extended codes of an I/O error.
        assert_eq!(disk_trouble(Some("778")), Some(DiskTrouble::Io));
        assert_eq!(disk_trouble(Some("522")), Some(DiskTrouble::Io));
        assert_eq!(disk_trouble(Some("26")), None);
        assert_eq!(disk_trouble(Some("2067")), None, "a UNIQUE constraint");
        assert_eq!(disk_trouble(Some("x")), None);
        assert_eq!(disk_trouble(None), None);
    }

    #[test]
    fn the_messages_name_the_trouble_and_the_way_forward() {
        let full = StoreError::DiskFull {
            sqlite: "database or disk is full".into(),
        }
        .to_string();
        assert!(
            full.contains("disk") && full.contains("full") && full.contains("free some space"),
            "{full}"
        );
        let io = StoreError::DiskIo {
            sqlite: "disk I/O error".into(),
        }
        .to_string();
        assert!(
            io.contains("input/output error") && io.contains("disk"),
            "{io}"
        );
        assert!(StoreError::DiskFull {
            sqlite: String::new()
        }
        .is_disk_failure());
        assert!(!StoreError::invalid("no").is_disk_failure());
    }
}
