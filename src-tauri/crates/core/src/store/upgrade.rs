//! Bringing a database's schema up to date so that two processes can never race, and with a way
//! back.
//!
//! - [`UpgradeLock`]: an OS file lock on `confab.db.lock` beside the database, held while a process
//!   connects, checks and applies migrations, and released right after. SQLite's own locks do not
//!   cover this: sqlx's migrator reads which migrations are applied and applies the rest in
//!   separate steps, so two processes opening a new database both ran migration 1.
//! - [`migrate`]: checks the applied migrations against this build's, takes a snapshot first when
//!   the database is not new ([`super::snapshot`]), then applies every pending migration in one
//!   transaction, so a failure leaves the file as it was.
//!
//! The bookkeeping table is sqlx's `_sqlx_migrations`, written the way sqlx writes it, so databases
//! made by earlier versions (which ran sqlx's migrator) and by this one read the same.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use fs4::fs_std::FileExt;
use sqlx::migrate::{MigrateError, Migration};
use sqlx::{Connection, Executor, SqlitePool};

use super::{snapshot, Result, StoreError};

/// How long opening the store waits for another process's upgrade before giving up. An upgrade
/// of a large database (a snapshot, then the migrations) takes seconds, not minutes.
pub const UPGRADE_LOCK_WAIT: Duration = Duration::from_secs(30);
/// How often a waiting process tries the lock again.
const RETRY: Duration = Duration::from_millis(20);

/// Where the upgrade lock of the database at `db` lives: `confab.db.lock` for `confab.db`. The file
/// stays after use: deleting it could let a third process lock a fresh file while a second still
/// holds the old one.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_owned();
    name.push(".lock");
    db.with_file_name(name)
}

/// The held upgrade lock; dropping it (closing the file) releases it, also when a process dies.
#[derive(Debug)]
pub(super) struct UpgradeLock {
    _file: File,
}

impl UpgradeLock {
    /// Takes the lock of the database at `db`, retrying until `wait` has passed.
    pub(super) async fn acquire(db: &Path, wait: Duration) -> Result<Self> {
        let path = lock_path(db);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| lock_error(&path, e))?;
        let deadline = Instant::now() + wait;
        loop {
            if file
                .try_lock_exclusive()
                .map_err(|e| lock_error(&path, e))?
            {
                return Ok(Self { _file: file });
            }
            if Instant::now() >= deadline {
                return Err(StoreError::Locked {
                    lock: path.display().to_string(),
                    waited_secs: wait.as_secs(),
                });
            }
            tokio::time::sleep(RETRY).await;
        }
    }
}

fn lock_error(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Open {
        path: path.display().to_string(),
        source,
    }
}

/// SQLite's primary result code for a file that is not a database.
const SQLITE_NOTADB: &str = "26";

/// The error for a failed connection to `db`: a file that is not a database says so, with the way
/// forward; anything else stays a storage error.
pub(super) fn opening_error(db: &Path, error: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(e) = &error {
        if e.code().as_deref() == Some(SQLITE_NOTADB) {
            return StoreError::NotADatabase {
                path: db.display().to_string(),
                backups: snapshot::backups_dir(db).display().to_string(),
                sqlite: e.message().to_owned(),
            };
        }
    }
    error.into()
}

/// Brings the database at `db` (connected as `pool`) up to `migrations`. The caller holds the
/// [`UpgradeLock`]; `now` names the snapshot.
///
/// The migrations run through `Executor::execute` on a `&str`, as sqlx's migrator does: with
/// `sqlx::raw_sql` rustc could not prove the desktop shell's start-up future `Send`.
pub(super) async fn migrate(
    pool: &SqlitePool,
    db: &Path,
    migrations: &[Migration],
    now: DateTime<Utc>,
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    let (tables,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| opening_error(db, e))?;
    let (has_bookkeeping,): (bool,) = sqlx::query_as(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&mut *conn)
    .await?;
    let applied: Vec<(i64, bool, Vec<u8>)> = if has_bookkeeping {
        sqlx::query_as("SELECT version, success, checksum FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await?
    } else {
        Vec::new()
    };
    for (version, success, checksum) in &applied {
        if !success {
            return Err(MigrateError::Dirty(*version).into());
        }
        match migrations.iter().find(|m| m.version == *version) {
            None => {
                return Err(StoreError::Newer {
                    path: db.display().to_string(),
                    version: *version,
                })
            }
            Some(m) if m.checksum.as_ref() != checksum.as_slice() => {
                return Err(MigrateError::VersionMismatch(*version).into())
            }
            Some(_) => {}
        }
    }
    let pending: Vec<&Migration> = migrations
        .iter()
        .filter(|m| !applied.iter().any(|(v, ..)| *v == m.version))
        .collect();
    if pending.is_empty() {
        return Ok(());
    }

    // A brand-new file has nothing to lose; anything else is snapshotted first.
    let snapshot = if tables > 0 {
        let schema = applied.last().map_or(0, |(v, ..)| *v);
        Some(snapshot::take(&mut conn, db, schema, now).await?)
    } else {
        None
    };

    // One transaction for all of them: a failure in the third leaves the first two unapplied too,
    // so the file is exactly as it was.
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    (&mut *tx)
        .execute(
            "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
            version BIGINT PRIMARY KEY,
            description TEXT NOT NULL,
            installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
            success BOOLEAN NOT NULL,
            checksum BLOB NOT NULL,
            execution_time BIGINT NOT NULL
        )",
        )
        .await?;
    for m in pending {
        let started = Instant::now();
        (&mut *tx)
            .execute(m.sql.as_ref())
            .await
            .map_err(|e| upgrade_failed(db, m, snapshot.as_deref(), &e))?;
        let nanos = i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX);
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (?, ?, TRUE, ?, ?)",
        )
        .bind(m.version)
        .bind(m.description.as_ref())
        .bind(m.checksum.as_ref())
        .bind(nanos)
        .execute(&mut *tx)
        .await
        .map_err(|e| upgrade_failed(db, m, snapshot.as_deref(), &e))?;
    }
    tx.commit().await?;
    Ok(())
}

fn upgrade_failed(
    db: &Path,
    m: &Migration,
    snapshot: Option<&Path>,
    error: &sqlx::Error,
) -> StoreError {
    StoreError::Upgrade {
        path: db.display().to_string(),
        version: m.version,
        description: m.description.to_string(),
        cause: sqlite_message(error),
        snapshot: snapshot.map(|s| s.display().to_string()),
    }
}

/// What SQLite said, without sqlx's "error returned from database" wrapping around it.
pub(super) fn sqlite_message(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(e) => e.message().to_owned(),
        other => other.to_string(),
    }
}
