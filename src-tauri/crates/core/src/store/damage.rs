//! Damage met at any time says so. A database can be damaged in the middle of its pages (a crash,
//! a failing disk) and still open: only the queries that read those pages fail, whenever they run.
//! Every query of the store goes through [`Db`] (the pool) or a [`Tx`] (a transaction), which
//! turn SQLite's "corrupt" and "not a database" errors into one error that names the file
//! ([`StoreError::Damaged`]), whichever query met them.
//!
//! The first such error also latches the store: every later query is refused with the same
//! error, before it reaches SQLite, so nothing more is written to the damaged file (a reply still
//! streaming, the indexer, a title in the background), and a front end can wait for it
//! ([`Store::damaged`]) to offer the way forward. A store opened only to read what is left
//! ([`Store::open_for_reading`]) does not latch: it reads on past a broken chat.

use std::borrow::Cow;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use futures_util::future::{self, BoxFuture, FutureExt};
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use sqlx::error::{DatabaseError, ErrorKind};
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteQueryResult, SqliteRow, SqliteStatement, SqliteTypeInfo};
use sqlx::{Describe, Either, Execute, Executor, Sqlite, SqliteConnection, SqlitePool};

use super::{snapshot, Store, StoreError};

/// SQLite's primary result codes for damage: `SQLITE_CORRUPT` (with its extended codes for a
/// virtual table, a sequence or an index) and `SQLITE_NOTADB`.
const SQLITE_CORRUPT: i32 = 11;
const SQLITE_NOTADB: i32 = 26;
/// What SQLite says with those codes; checked too, for an error that lost its code on the way.
const DAMAGE_WORDS: [&str; 2] = ["database disk image is malformed", "file is not a database"];

/// Whether SQLite's (extended) result `code` and `message` say the file is damaged.
fn is_damage(code: Option<&str>, message: &str) -> bool {
    let by_code = code
        .and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|c| matches!(c & 0xff, SQLITE_CORRUPT | SQLITE_NOTADB));
    by_code || DAMAGE_WORDS.iter().any(|w| message.contains(w))
}

/// The database file a store works on, and whether damage was met in it.
#[derive(Debug)]
struct DbFile {
    path: String,
    backups: String,
    /// Whether the first damage stops every later query.
    latches: bool,
    /// What SQLite said the first time damage was met; `None` while none was.
    seen: tokio::sync::watch::Sender<Option<String>>,
}

impl DbFile {
    fn damaged(&self, sqlite: String) -> StoreError {
        StoreError::Damaged {
            path: self.path.clone(),
            backups: self.backups.clone(),
            problems: sqlite,
        }
    }

    /// The damage already met, when this file latches.
    fn refusal(&self) -> Option<sqlx::Error> {
        if !self.latches {
            return None;
        }
        let seen = self.seen.borrow().clone()?;
        Some(self.error(seen))
    }

    /// `error`, or when it is damage, the error that names the file (and the latch is set).
    fn note(&self, error: sqlx::Error) -> sqlx::Error {
        let sqlite = match &error {
            sqlx::Error::Database(e) if e.try_downcast_ref::<Damage>().is_some() => return error,
            sqlx::Error::Database(e) if is_damage(e.code().as_deref(), e.message()) => {
                e.message().to_owned()
            }
            _ => return error,
        };
        tracing::error!(path = %self.path, %sqlite, "the database is damaged");
        self.seen.send_if_modified(|seen| {
            let first = seen.is_none();
            if first {
                *seen = Some(sqlite.clone());
            }
            first
        });
        self.error(sqlite)
    }

    fn error(&self, sqlite: String) -> sqlx::Error {
        sqlx::Error::Database(Box::new(Damage {
            path: self.path.clone(),
            backups: self.backups.clone(),
            sqlite,
        }))
    }
}

/// SQLite's damage error with the file it was met in: carried through sqlx's error type (an
/// executor can only return that) to [`StoreError`]'s conversion, which makes it
/// [`StoreError::Damaged`].
#[derive(Debug)]
pub(super) struct Damage {
    path: String,
    backups: String,
    sqlite: String,
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sqlite)
    }
}

impl std::error::Error for Damage {}

impl DatabaseError for Damage {
    fn message(&self) -> &str {
        &self.sqlite
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Owned(SQLITE_CORRUPT.to_string()))
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}

impl Damage {
    pub(super) fn into_store_error(self) -> StoreError {
        StoreError::Damaged {
            path: self.path,
            backups: self.backups,
            problems: self.sqlite,
        }
    }
}

/// The store's pool, whose queries report damage by the file's name (see the module's comment).
#[derive(Clone)]
pub(super) struct Db {
    pool: SqlitePool,
    file: Arc<DbFile>,
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db").field("path", &self.file.path).finish()
    }
}

impl Db {
    /// The pool of the database at `path`; `latches`: whether the first damage stops every
    /// later query.
    pub(super) fn new(pool: SqlitePool, path: &Path, latches: bool) -> Self {
        Self {
            pool,
            file: Arc::new(DbFile {
                path: path.display().to_string(),
                backups: snapshot::backups_dir(path).display().to_string(),
                latches,
                seen: tokio::sync::watch::channel(None).0,
            }),
        }
    }

    /// The same file through another pool (one with other settings).
    pub(super) fn with_pool(&self, pool: SqlitePool) -> Self {
        Self {
            pool,
            file: self.file.clone(),
        }
    }

    pub(super) fn raw(&self) -> &SqlitePool {
        &self.pool
    }

    /// A transaction begun with `sql` (`BEGIN IMMEDIATE` for a write).
    pub(super) async fn begin_with(&self, sql: &'static str) -> Result<Tx, sqlx::Error> {
        if let Some(refused) = self.file.refusal() {
            return Err(refused);
        }
        let inner = self
            .pool
            .begin_with(sql)
            .await
            .map_err(|e| self.file.note(e))?;
        Ok(Tx {
            inner,
            file: self.file.clone(),
        })
    }

    /// A read transaction: the reads in it see one state of the database.
    pub(super) async fn begin(&self) -> Result<Tx, sqlx::Error> {
        self.begin_with("BEGIN").await
    }

    /// A connection of the pool, for what runs outside the store's queries (checks, pragmas).
    pub(super) async fn acquire(&self) -> Result<PoolConnection<Sqlite>, sqlx::Error> {
        if let Some(refused) = self.file.refusal() {
            return Err(refused);
        }
        self.pool.acquire().await.map_err(|e| self.file.note(e))
    }

    pub(super) async fn close(&self) {
        self.pool.close().await;
    }
}

/// A transaction of the store's, whose queries report damage by the file's name.
pub(super) struct Tx {
    inner: sqlx::Transaction<'static, Sqlite>,
    file: Arc<DbFile>,
}

impl fmt::Debug for Tx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tx").field("path", &self.file.path).finish()
    }
}

impl Tx {
    pub(super) async fn commit(self) -> Result<(), sqlx::Error> {
        let file = self.file;
        self.inner.commit().await.map_err(|e| file.note(e))
    }
}

/// An executor's queries, through `file`: refused once it latched, their damage named.
macro_rules! checked_executor {
    ($target:ty, $lifetime:lifetime, |$this:ident| $inner:expr) => {
        impl<$lifetime> Executor<$lifetime> for $target {
            type Database = Sqlite;

            fn fetch_many<'e, 'q: 'e, E>(
                self,
                query: E,
            ) -> BoxStream<'e, Result<Either<SqliteQueryResult, SqliteRow>, sqlx::Error>>
            where
                $lifetime: 'e,
                E: 'q + Execute<'q, Sqlite>,
            {
                let $this = self;
                if let Some(refused) = $this.file.refusal() {
                    return stream::once(future::ready(Err(refused))).boxed();
                }
                let file = $this.file.clone();
                ($inner)
                    .fetch_many(query)
                    .map_err(move |e| file.note(e))
                    .boxed()
            }

            fn fetch_optional<'e, 'q: 'e, E>(
                self,
                query: E,
            ) -> BoxFuture<'e, Result<Option<SqliteRow>, sqlx::Error>>
            where
                $lifetime: 'e,
                E: 'q + Execute<'q, Sqlite>,
            {
                let $this = self;
                if let Some(refused) = $this.file.refusal() {
                    return future::ready(Err(refused)).boxed();
                }
                let file = $this.file.clone();
                ($inner)
                    .fetch_optional(query)
                    .map(move |r| r.map_err(|e| file.note(e)))
                    .boxed()
            }

            fn prepare_with<'e, 'q: 'e>(
                self,
                sql: &'q str,
                parameters: &'e [SqliteTypeInfo],
            ) -> BoxFuture<'e, Result<SqliteStatement<'q>, sqlx::Error>>
            where
                $lifetime: 'e,
            {
                let $this = self;
                let file = $this.file.clone();
                ($inner)
                    .prepare_with(sql, parameters)
                    .map(move |r| r.map_err(|e| file.note(e)))
                    .boxed()
            }

            fn describe<'e, 'q: 'e>(
                self,
                sql: &'q str,
            ) -> BoxFuture<'e, Result<Describe<Sqlite>, sqlx::Error>>
            where
                $lifetime: 'e,
            {
                let $this = self;
                let file = $this.file.clone();
                ($inner)
                    .describe(sql)
                    .map(move |r| r.map_err(|e| file.note(e)))
                    .boxed()
            }
        }
    };
}

checked_executor!(&'p Db, 'p, |db| &db.pool);
checked_executor!(&'t mut Tx, 't, |tx| {
    let conn: &'t mut SqliteConnection = &mut tx.inner;
    conn
});

impl Store {
    /// Resolves with the damage the store met, the first time a query meets any (at once when it
    /// already has): a front end waits for it to stop writing and offer the way forward.
    pub async fn damaged(&self) -> StoreError {
        let mut seen = self.pool.file.seen.subscribe();
        let sqlite = seen
            .wait_for(Option::is_some)
            .await
            .ok()
            .and_then(|seen| seen.clone());
        match sqlite {
            Some(sqlite) => self.pool.file.damaged(sqlite),
            // The store is gone: it never will.
            None => future::pending().await,
        }
    }

    /// The damage the store met, if it met any.
    pub fn damage_seen(&self) -> Option<StoreError> {
        let sqlite = self.pool.file.seen.borrow().clone()?;
        Some(self.pool.file.damaged(sqlite))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_and_not_a_database_are_damage_whatever_their_extended_code() {
        for code in ["11", "26", "267", "523", "779"] {
            assert!(is_damage(Some(code), ""), "{code}");
        }
        assert!(is_damage(None, "database disk image is malformed"));
        assert!(is_damage(Some("1"), "file is not a database"));
        for code in ["1", "5", "13", "19", "2067", "x"] {
            assert!(!is_damage(Some(code), "no such table: x"), "{code}");
        }
        assert!(!is_damage(None, ""));
    }
}
