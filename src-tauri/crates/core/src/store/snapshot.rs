//! Snapshots taken before an upgrade: consistent copies of the database in `backups/` beside it,
//! named by schema version and time (`backups/confab-v7-20261127T181500Z.db`), checked before the
//! upgrade goes ahead, the last [`SNAPSHOTS_KEPT`] kept. Backups made on request
//! (`confab-backup-v7-….db`) and databases a restore replaced (`confab-before-restore-….db`) live
//! in the same folder and are listed with them, but never pruned.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use chrono::{DateTime, NaiveDateTime, Utc};
use regex::Regex;
use serde::Serialize;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};
use ts_rs::TS;

use super::upgrade::sqlite_message;
use super::{Result, StoreError};

/// How many snapshots stay in `backups/`; older ones are deleted after a new one is written.
pub const SNAPSHOTS_KEPT: usize = 5;

/// An automatic snapshot's file name: schema version, UTC time, and a counter when one second saw
/// two. Only these are pruned.
static NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^confab-v(\d+)-(\d{8}T\d{6}Z)(?:-(\d+))?\.db$").expect("valid pattern")
});
/// Any copy's file name, for listing: the kind, then the time.
static ANY_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^confab-(v\d+|backup-v\d+|before-restore)-(\d{8}T\d{6}Z)(?:-\d+)?\.db$")
        .expect("valid pattern")
});
const STAMP: &str = "%Y%m%dT%H%M%SZ";

/// Why a copy of the database is in `backups/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotKind {
    /// Taken automatically before an upgrade; the last [`SNAPSHOTS_KEPT`] are kept.
    BeforeUpgrade,
    /// Made on request (`confab-cli db backup`); never pruned.
    Backup,
    /// The database a restore replaced.
    BeforeRestore,
    /// Some other `.db` file someone put there.
    Other,
}

/// The folder that holds the snapshots of the database at `db`.
pub fn backups_dir(db: &Path) -> PathBuf {
    db.with_file_name("backups")
}

/// A new, unused path in `backups/` for a copy of `kind` of a database at schema `version`.
pub(super) fn new_path(
    db: &Path,
    kind: SnapshotKind,
    version: i64,
    now: DateTime<Utc>,
) -> Result<PathBuf, String> {
    let dir = backups_dir(db);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let stamp = now.format(STAMP);
    let stem = match kind {
        SnapshotKind::BeforeUpgrade | SnapshotKind::Other => format!("confab-v{version}-{stamp}"),
        SnapshotKind::Backup => format!("confab-backup-v{version}-{stamp}"),
        SnapshotKind::BeforeRestore => format!("confab-before-restore-{stamp}"),
    };
    let mut path = dir.join(format!("{stem}.db"));
    let mut n = 1;
    while path.exists() || super::recovery::sidecar_exists(&path) {
        n += 1;
        path = dir.join(format!("{stem}-{n}.db"));
    }
    Ok(path)
}

/// Writes a snapshot of the database behind `conn` (at `db`, at schema `version`), checks that it
/// opens and passes `PRAGMA quick_check`, prunes the old ones, and returns its path.
pub(super) async fn take(
    conn: &mut SqliteConnection,
    db: &Path,
    version: i64,
    now: DateTime<Utc>,
) -> Result<PathBuf> {
    let path =
        new_path(db, SnapshotKind::BeforeUpgrade, version, now).map_err(|e| failed(db, e))?;
    write(conn, db, &path).await?;
    prune(&backups_dir(db));
    Ok(path)
}

/// Copies the database behind `conn` (at `db`) to `target` and checks the copy; a copy that does
/// not pass is removed.
pub(super) async fn write(conn: &mut SqliteConnection, db: &Path, target: &Path) -> Result<()> {
    let name = target
        .to_str()
        .ok_or_else(|| failed(db, format!("{} is not valid UTF-8", target.display())))?;
    // VACUUM INTO reads one consistent view of the database, however busy it is.
    sqlx::query("VACUUM INTO ?")
        .bind(name)
        .execute(&mut *conn)
        .await
        .map_err(|e| failed(db, sqlite_message(&e)))?;
    if let Err(cause) = check(target).await {
        let _ = std::fs::remove_file(target);
        return Err(failed(
            db,
            format!("the snapshot did not pass a check: {cause}"),
        ));
    }
    Ok(())
}

pub(super) fn failed(db: &Path, cause: String) -> StoreError {
    StoreError::Snapshot {
        path: db.display().to_string(),
        backups: backups_dir(db).display().to_string(),
        cause,
    }
}

/// Opens the snapshot at `path` on its own and runs SQLite's quick check on it.
async fn check(path: &Path) -> Result<(), String> {
    let options = SqliteConnectOptions::new().filename(path);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| sqlite_message(&e))?;
    let problems = super::recovery::run_check(&mut conn, super::recovery::CheckDepth::Quick)
        .await
        .map_err(|e| sqlite_message(&e));
    let _ = conn.close().await;
    match problems? {
        problems if problems.is_empty() => Ok(()),
        problems => Err(problems.join("; ")),
    }
}

/// Every `.db` file in the `backups/` folder of `db`: its name, path, kind and the time in its
/// name (if it has one).
pub(super) fn list(db: &Path) -> Vec<(String, PathBuf, SnapshotKind, Option<DateTime<Utc>>)> {
    let Ok(entries) = std::fs::read_dir(backups_dir(db)) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            if !name.ends_with(".db") {
                return None;
            }
            let (kind, at) = match ANY_NAME.captures(&name) {
                Some(caps) => {
                    let kind = match &caps[1] {
                        "before-restore" => SnapshotKind::BeforeRestore,
                        k if k.starts_with("backup") => SnapshotKind::Backup,
                        _ => SnapshotKind::BeforeUpgrade,
                    };
                    let at = NaiveDateTime::parse_from_str(&caps[2], STAMP)
                        .ok()
                        .map(|t| t.and_utc());
                    (kind, at)
                }
                None => (SnapshotKind::Other, None),
            };
            Some((name, e.path(), kind, at))
        })
        .collect()
}

/// Deletes all but the newest [`SNAPSHOTS_KEPT`] snapshots in `dir`, by the time in their names;
/// files not named like a snapshot are never touched. Best effort: a snapshot that cannot be
/// deleted costs space, not data.
fn prune(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut snapshots: Vec<((String, u32), PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let caps = NAME.captures(&name)?;
            let n = caps.get(3).map_or(Ok(1), |n| n.as_str().parse()).ok()?;
            Some(((caps[2].to_owned(), n), e.path()))
        })
        .collect();
    snapshots.sort();
    let excess = snapshots.len().saturating_sub(SNAPSHOTS_KEPT);
    for (_, path) in snapshots.into_iter().take(excess) {
        if let Err(e) = std::fs::remove_file(&path) {
            tracing::warn!(path = %path.display(), error = %e, "could not delete an old snapshot");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prune_keeps_the_newest_by_time_and_ignores_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let names = [
            "confab-v9-20261101T000000Z.db",
            "confab-v10-20261102T000000Z.db",
            "confab-v10-20261103T000000Z.db",
            "confab-v10-20261103T000000Z-2.db",
            "confab-v10-20261104T000000Z.db",
            "confab-v11-20261105T000000Z.db",
            "confab-v11-20261106T000000Z.db",
            "mine.db",
            "confab-v1-old.db",
        ];
        for name in names {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        prune(dir.path());
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "confab-v1-old.db",
                "confab-v10-20261103T000000Z-2.db",
                "confab-v10-20261103T000000Z.db",
                "confab-v10-20261104T000000Z.db",
                "confab-v11-20261105T000000Z.db",
                "confab-v11-20261106T000000Z.db",
                "mine.db",
            ]
        );
    }
}
