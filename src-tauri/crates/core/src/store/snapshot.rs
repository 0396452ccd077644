//! Snapshots taken before an upgrade: consistent copies of the database in `backups/` beside it,
//! named by schema version and time (`backups/confab-v7-20261127T181500Z.db`), checked before the
//! upgrade goes ahead, the last [`SNAPSHOTS_KEPT`] kept.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use regex::Regex;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

use super::upgrade::sqlite_message;
use super::{Result, StoreError};

/// How many snapshots stay in `backups/`; older ones are deleted after a new one is written.
pub const SNAPSHOTS_KEPT: usize = 5;

/// A snapshot's file name: schema version, UTC time, and a counter when one second saw two.
static NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^confab-v(\d+)-(\d{8}T\d{6}Z)(?:-(\d+))?\.db$").expect("valid pattern")
});

/// The folder that holds the snapshots of the database at `db`.
pub fn backups_dir(db: &Path) -> PathBuf {
    db.with_file_name("backups")
}

/// Writes a snapshot of the database behind `conn` (at `db`, at schema `version`), checks that it
/// opens and passes `PRAGMA quick_check`, prunes the old ones, and returns its path.
pub(super) async fn take(
    conn: &mut SqliteConnection,
    db: &Path,
    version: i64,
    now: DateTime<Utc>,
) -> Result<PathBuf> {
    let dir = backups_dir(db);
    std::fs::create_dir_all(&dir).map_err(|e| snapshot_failed(db, e.to_string()))?;
    let stamp = now.format("%Y%m%dT%H%M%SZ");
    let mut path = dir.join(format!("confab-v{version}-{stamp}.db"));
    let mut n = 1;
    while path.exists() {
        n += 1;
        path = dir.join(format!("confab-v{version}-{stamp}-{n}.db"));
    }
    let target = path
        .to_str()
        .ok_or_else(|| snapshot_failed(db, format!("{} is not valid UTF-8", path.display())))?;
    // VACUUM INTO reads one consistent view of the database, however busy it is.
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(&mut *conn)
        .await
        .map_err(|e| snapshot_failed(db, sqlite_message(&e)))?;
    if let Err(cause) = check(&path).await {
        let _ = std::fs::remove_file(&path);
        return Err(snapshot_failed(
            db,
            format!("the snapshot did not pass a check: {cause}"),
        ));
    }
    prune(&dir);
    Ok(path)
}

fn snapshot_failed(db: &Path, cause: String) -> StoreError {
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
    let rows: Vec<(String,)> = sqlx::query_as("PRAGMA quick_check")
        .fetch_all(&mut conn)
        .await
        .map_err(|e| sqlite_message(&e))?;
    let _ = conn.close().await;
    match rows.as_slice() {
        [(ok,)] if ok == "ok" => Ok(()),
        problems => Err(problems
            .iter()
            .map(|(p,)| p.as_str())
            .collect::<Vec<_>>()
            .join("; ")),
    }
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
