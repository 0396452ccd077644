//! Looking after the database file from outside a running [`Store`]: checking it, backing it up,
//! listing the copies in `backups/`, restoring one, and opening a damaged or newer database just
//! to read what it still holds. The app's recovery screen and `confab-cli db` use these; none of
//! them needs the database to open as a store (a damaged, foreign or newer one does not).
//!
//! Nothing here deletes or overwrites a database: a restore first moves the current file (with its
//! WAL) into `backups/` as `confab-before-restore-…db`, where it is listed like any snapshot.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Connection, SqliteConnection};
use ts_rs::TS;

use super::snapshot::{self, SnapshotKind};
use super::upgrade::{self, sqlite_message, UpgradeLock};
use super::{Result, Store, StoreError, BUSY_TIMEOUT, MIGRATOR};

/// How long a restore waits for another process that is opening the database.
const RESTORE_LOCK_WAIT: Duration = Duration::from_secs(5);
/// At most this many of SQLite's findings are kept in a report: the first ones say enough.
const MAX_PROBLEMS: usize = 20;

/// How thorough a check is. `Quick` is SQLite's `quick_check` (every page and record readable,
/// which is what a crash or a failing disk breaks); `Full` is `integrity_check`, which also
/// checks every index against its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CheckDepth {
    Quick,
    Full,
}

/// What a check of a database file found.
#[derive(Debug, Clone, Serialize, TS)]
pub struct CheckReport {
    pub path: String,
    pub depth: CheckDepth,
    /// True when SQLite found nothing wrong.
    pub ok: bool,
    /// What SQLite found, in its words (at most the first 20 findings).
    pub problems: Vec<String>,
    /// The newest upgrade applied to it, if that can be read.
    pub schema_version: Option<i64>,
    /// The newest upgrade this build knows.
    pub known_version: i64,
    pub chats: Option<i64>,
    pub messages: Option<i64>,
    pub size_bytes: u64,
    pub elapsed_ms: u64,
}

impl CheckReport {
    /// Written by a newer Confab than this one.
    pub fn is_newer(&self) -> bool {
        self.schema_version.is_some_and(|v| v > self.known_version)
    }
}

/// A copy of the database in `backups/`.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SnapshotInfo {
    pub file_name: String,
    pub path: String,
    pub kind: SnapshotKind,
    /// When it was taken: from its name, else the file's modification time.
    pub taken_at: DateTime<Utc>,
    /// The upgrade it was at, when it can be read.
    pub schema_version: Option<i64>,
    /// How many chats it holds; `None` when it cannot be read.
    pub chats: Option<i64>,
    pub size_bytes: u64,
}

/// What a restore did.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Restored {
    /// The snapshot that is now the database.
    pub snapshot: String,
    /// Where the database it replaced was kept, if there was one.
    pub set_aside: Option<String>,
}

/// The newest upgrade this build carries.
pub fn known_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Checks the database at `db` without changing it: readable at all, SQLite's check at `depth`,
/// its schema version and what it holds. A file that is not a database is a report with a problem,
/// not an error; a missing file is an error.
pub async fn check(db: &Path, depth: CheckDepth) -> Result<CheckReport> {
    let size_bytes = std::fs::metadata(db)
        .map_err(|source| StoreError::Open {
            path: db.display().to_string(),
            source,
        })?
        .len();
    let started = Instant::now();
    let mut report = CheckReport {
        path: db.display().to_string(),
        depth,
        ok: false,
        problems: Vec::new(),
        schema_version: None,
        known_version: known_version(),
        chats: None,
        messages: None,
        size_bytes,
        elapsed_ms: 0,
    };
    match connect_existing(db).await {
        Ok(mut conn) => {
            match run_check(&mut conn, depth).await {
                Ok(problems) => report.problems = problems,
                Err(e) => report.problems = vec![sqlite_message(&e)],
            }
            report.schema_version = schema_version(&mut conn).await;
            report.chats = count(&mut conn, "conversations").await;
            report.messages = count(&mut conn, "messages").await;
            let _ = conn.close().await;
        }
        Err(e) => report.problems = vec![sqlite_message(&e)],
    }
    report.ok = report.problems.is_empty();
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

/// Runs `quick_check` or `integrity_check`; an empty list means SQLite found nothing wrong.
pub(super) async fn run_check(
    conn: &mut SqliteConnection,
    depth: CheckDepth,
) -> Result<Vec<String>, sqlx::Error> {
    let pragma = match depth {
        CheckDepth::Quick => "PRAGMA quick_check(20)",
        CheckDepth::Full => "PRAGMA integrity_check(20)",
    };
    let rows: Vec<(String,)> = sqlx::query_as(pragma).fetch_all(&mut *conn).await?;
    Ok(rows
        .into_iter()
        .map(|(line,)| line)
        .filter(|line| line != "ok")
        .take(MAX_PROBLEMS)
        .collect())
}

/// A connection to an existing database file, never creating one. It may read the WAL into the
/// file when it closes (SQLite's checkpoint), which changes no data.
async fn connect_existing(db: &Path) -> Result<SqliteConnection, sqlx::Error> {
    let options = SqliteConnectOptions::new()
        .filename(db)
        .create_if_missing(false)
        .busy_timeout(BUSY_TIMEOUT);
    let mut conn = SqliteConnection::connect_with(&options).await?;
    // Connecting reads nothing: make a file that is not a database say so now.
    sqlx::query("SELECT count(*) FROM sqlite_master")
        .execute(&mut conn)
        .await?;
    Ok(conn)
}

async fn schema_version(conn: &mut SqliteConnection) -> Option<i64> {
    sqlx::query_as::<_, (Option<i64>,)>("SELECT max(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut *conn)
        .await
        .ok()
        .and_then(|(v,)| v)
}

async fn count(conn: &mut SqliteConnection, table: &str) -> Option<i64> {
    sqlx::query_as::<_, (i64,)>(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(&mut *conn)
        .await
        .ok()
        .map(|(n,)| n)
}

/// Writes a checked copy of the database at `db` to `out`, or, without `out`, to
/// `backups/confab-backup-v{N}-{time}.db` beside it (kept until the user deletes it: backups made
/// on request are never pruned). Refuses to overwrite an existing file. Safe while Confab runs:
/// the copy is one consistent read.
pub async fn backup(db: &Path, out: Option<&Path>, now: DateTime<Utc>) -> Result<PathBuf> {
    let mut conn = connect_existing(db)
        .await
        .map_err(|e| upgrade::opening_error(db, e))?;
    let version = schema_version(&mut conn).await.unwrap_or(0);
    let target = match out {
        Some(out) => {
            if out.exists() {
                return Err(StoreError::invalid(format!(
                    "{} already exists: choose another file name, or move that file first",
                    out.display()
                )));
            }
            out.to_owned()
        }
        None => snapshot::new_path(db, SnapshotKind::Backup, version, now)
            .map_err(|e| snapshot::failed(db, e))?,
    };
    let written = snapshot::write(&mut conn, db, &target).await;
    let _ = conn.close().await;
    written?;
    Ok(target)
}

/// Every copy in the database's `backups/` folder, newest first, each opened to read its schema
/// version and how many chats it holds (a copy that cannot be read is listed with `None`).
pub async fn snapshots(db: &Path) -> Vec<SnapshotInfo> {
    let mut list = Vec::new();
    for (file_name, path, kind, named_at) in snapshot::list(db) {
        let meta = std::fs::metadata(&path).ok();
        let taken_at = named_at
            .or_else(|| meta.as_ref()?.modified().ok().map(DateTime::<Utc>::from))
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        let (schema_version, chats) = match connect_read_only(&path).await {
            Ok(mut conn) => {
                let v = schema_version(&mut conn).await;
                let n = count(&mut conn, "conversations").await;
                let _ = conn.close().await;
                (v, n)
            }
            Err(_) => (None, None),
        };
        list.push(SnapshotInfo {
            file_name,
            path: path.display().to_string(),
            kind,
            taken_at,
            schema_version,
            chats,
            size_bytes: meta.map_or(0, |m| m.len()),
        });
    }
    list.sort_by(|a, b| {
        b.taken_at
            .cmp(&a.taken_at)
            .then(b.file_name.cmp(&a.file_name))
    });
    list
}

/// A read-only connection to a copy; copies are never in WAL mode (`VACUUM INTO` writes a
/// rollback-journal file), so reading them needs no `-shm` beside them.
async fn connect_read_only(path: &Path) -> Result<SqliteConnection, sqlx::Error> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .busy_timeout(BUSY_TIMEOUT);
    SqliteConnection::connect_with(&options).await
}

/// Finds a snapshot by file name (in `backups/`) or by path.
pub fn find_snapshot(db: &Path, name_or_path: &str) -> Result<PathBuf> {
    let in_backups = snapshot::backups_dir(db).join(name_or_path);
    let given = PathBuf::from(name_or_path);
    [in_backups, given]
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| {
            StoreError::invalid(format!(
                "there is no snapshot called {name_or_path} (looked in {} and the current \
                 folder): list them with `confab-cli db snapshots`",
                snapshot::backups_dir(db).display()
            ))
        })
}

/// Makes the snapshot at `snapshot` the database at `db`. The snapshot is checked first; the
/// current file (if any) and its WAL move into `backups/` as `confab-before-restore-{time}.db`;
/// the snapshot is copied, not moved, so it stays listed. Refused while any Confab process has
/// the database open, since it would go on writing to the file set aside.
pub async fn restore(db: &Path, snapshot: &Path, now: DateTime<Utc>) -> Result<Restored> {
    let _lock = UpgradeLock::acquire(db, RESTORE_LOCK_WAIT).await?;
    let unusable = |cause: String| {
        StoreError::invalid(format!(
            "{} cannot be restored: {cause}; choose another snapshot",
            snapshot.display()
        ))
    };
    let mut conn = connect_read_only(snapshot)
        .await
        .map_err(|e| unusable(sqlite_message(&e)))?;
    let problems = run_check(&mut conn, CheckDepth::Quick)
        .await
        .map_err(|e| unusable(sqlite_message(&e)))?;
    let chats = count(&mut conn, "conversations").await;
    let _ = conn.close().await;
    if !problems.is_empty() {
        return Err(unusable(format!("it is damaged ({})", problems.join("; "))));
    }
    if chats.is_none() {
        return Err(unusable("it is not a Confab database".into()));
    }

    if db.exists() {
        ensure_not_in_use(db).await?;
    }
    // Copy next to the database first, so the final step is a rename on one file system.
    let mut staged = db.as_os_str().to_owned();
    staged.push(".restoring");
    let staged = PathBuf::from(staged);
    let io = |source: std::io::Error, path: &Path| StoreError::Open {
        path: path.display().to_string(),
        source,
    };
    std::fs::copy(snapshot, &staged).map_err(|e| io(e, &staged))?;
    std::fs::File::open(&staged)
        .and_then(|f| f.sync_all())
        .map_err(|e| io(e, &staged))?;

    let set_aside = if db.exists() {
        let aside = snapshot::new_path(db, SnapshotKind::BeforeRestore, 0, now)
            .map_err(|e| snapshot::failed(db, e))?;
        std::fs::rename(db, &aside).map_err(|e| io(e, db))?;
        for suffix in ["-wal", "-shm"] {
            let from = with_suffix(db, suffix);
            if from.exists() {
                // The WAL holds committed chats: it goes with its file. The -shm is an index
                // SQLite rebuilds, but moving it keeps the pair consistent.
                std::fs::rename(&from, with_suffix(&aside, suffix)).map_err(|e| io(e, &from))?;
            }
        }
        Some(aside)
    } else {
        None
    };
    if let Err(e) = std::fs::rename(&staged, db) {
        // Put the old file back rather than leave no database at all.
        if let Some(aside) = &set_aside {
            let _ = std::fs::rename(aside, db);
            let _ = std::fs::rename(with_suffix(aside, "-wal"), with_suffix(db, "-wal"));
        }
        return Err(io(e, db));
    }
    Ok(Restored {
        snapshot: snapshot.display().to_string(),
        set_aside: set_aside.map(|p| p.display().to_string()),
    })
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Fails when another connection has the database open. Every connection to a WAL database holds
/// a shared lock on it, so leaving WAL mode (which needs the only connection) is the test; the
/// file is about to be set aside, so its journal mode does not matter. A file SQLite cannot read
/// is open in no Confab process (they would have failed to start).
async fn ensure_not_in_use(db: &Path) -> Result<()> {
    let options = SqliteConnectOptions::new()
        .filename(db)
        .create_if_missing(false)
        .busy_timeout(Duration::ZERO);
    let Ok(mut conn) = SqliteConnection::connect_with(&options).await else {
        return Ok(());
    };
    let outcome = sqlx::query_as::<_, (String,)>("PRAGMA journal_mode = DELETE")
        .fetch_one(&mut conn)
        .await;
    let _ = conn.close().await;
    match outcome {
        Err(sqlx::Error::Database(e)) if is_busy(e.code().as_deref()) => Err(StoreError::InUse {
            path: db.display().to_string(),
        }),
        // Busy shows as the mode staying "wal" on some SQLite versions.
        Ok((mode,)) if mode.eq_ignore_ascii_case("wal") => Err(StoreError::InUse {
            path: db.display().to_string(),
        }),
        _ => Ok(()),
    }
}

/// SQLITE_BUSY (5) and SQLITE_LOCKED (6), with or without extended bits.
fn is_busy(code: Option<&str>) -> bool {
    code.and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|c| matches!(c & 0xff, 5 | 6))
}

impl Store {
    /// Opens the database at `path` only to read what it still holds — for a database that did
    /// not open normally (damaged, or left at another version). No upgrade, no lock, no writes.
    pub async fn open_for_reading(path: &Path) -> Result<Self> {
        if !path.is_file() {
            return Err(StoreError::Open {
                path: path.display().to_string(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            });
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(false)
            .read_only(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(|e| upgrade::opening_error(path, e))?;
        Ok(Self {
            // Reads on past a broken chat: what is left is what it is for.
            pool: super::damage::Db::new(pool, path, false),
            clock: std::sync::Arc::new(crate::clock::SystemClock),
            word_counts: std::sync::Arc::default(),
        })
    }

    /// SQLite's quick check of the open database: an empty list when nothing is wrong. It reads
    /// every page (about 3 ms per MB), so the app runs it once at start.
    ///
    /// The pages it read are let go after: they would fill that connection's page cache (16 MiB)
    /// with a copy of the file nothing asked for, and a page read from the disk when it is needed
    /// is the one that tells whether the disk still holds it.
    pub async fn quick_check(&self) -> Result<Vec<String>> {
        let mut conn = self.pool.acquire().await?;
        let problems = run_check(&mut conn, CheckDepth::Quick).await;
        sqlx::query("PRAGMA shrink_memory")
            .execute(&mut *conn)
            .await?;
        Ok(problems?)
    }
}

/// Whether a `-wal` or `-shm` file for `path` exists (a name taken by a set-aside database).
pub(super) fn sidecar_exists(path: &Path) -> bool {
    with_suffix(path, "-wal").exists() || with_suffix(path, "-shm").exists()
}
