//! Opening the database from many `confab-cli` processes at once, and what a person reads when the
//! file is not a database.

use std::path::Path;
use std::process::Stdio;

use confab_core::paths::DATABASE_FILE;
use confab_core::store::backups_dir;
use confab_test_support::store::{database_at_schema, insert_chat_at_any_schema};

use super::{cli, confab_cli};

/// Starts `n` `confab-cli ls` on `data_dir` at the same moment and returns each one's stdout, or
/// its stderr when it failed.
fn ls_at_once(data_dir: &Path, n: usize) -> Vec<Result<String, String>> {
    let children: Vec<_> = (0..n)
        .map(|_| {
            confab_cli(data_dir)
                .command(&["ls"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start confab-cli")
        })
        .collect();
    children
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().expect("wait for confab-cli");
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            if out.status.success() {
                Ok(stdout)
            } else {
                Err(stderr)
            }
        })
        .collect()
}

#[test]
fn six_processes_opening_a_fresh_data_dir_at_once_all_succeed() {
    for round in 0..4 {
        let dir = tempfile::tempdir().unwrap();
        for result in ls_at_once(dir.path(), 6) {
            let stdout = result.unwrap_or_else(|e| panic!("round {round}: {e}"));
            assert!(stdout.contains("No conversations yet"), "{stdout}");
        }
    }
}

#[tokio::test]
async fn six_processes_opening_an_old_database_at_once_all_succeed() {
    for round in 0..4 {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join(DATABASE_FILE);
        database_at_schema(&db, 3).await;
        insert_chat_at_any_schema(&db, "Written by an older Confab", "hi").await;
        for result in ls_at_once(dir.path(), 6) {
            let stdout = result.unwrap_or_else(|e| panic!("round {round}: {e}"));
            assert!(stdout.contains("Written by an older Confab"), "{stdout}");
        }
        let snapshots = std::fs::read_dir(backups_dir(&db)).unwrap().count();
        assert_eq!(snapshots, 1, "round {round}: one upgrade, one snapshot");
    }
}

#[test]
fn a_file_that_is_not_a_database_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(DATABASE_FILE);
    std::fs::write(&db, "not a database at all\n".repeat(100)).unwrap();

    let (ok, stdout, stderr) = cli(dir.path(), &["ls"]);
    assert!(!ok, "a non-zero exit code");
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        format!(
            "confab-cli: {} is not a Confab database (SQLite says: file is not a database): move \
             it aside or restore a snapshot from {}\n",
            db.display(),
            backups_dir(&db).display()
        )
    );
    assert_eq!(stderr.matches("file is not a database").count(), 1);
}

#[test]
fn an_error_and_its_cause_are_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    // A data directory that is a file: the store's error quotes the OS error, which is also its
    // cause; the whole chain used to print it twice.
    let not_a_dir = dir.path().join("data");
    std::fs::write(&not_a_dir, "").unwrap();

    let (ok, _, stderr) = cli(&not_a_dir, &["ls"]);
    assert!(!ok);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&not_a_dir.display().to_string()),
        "{stderr}"
    );
    assert_eq!(stderr.matches("os error").count(), 1, "{stderr}");
}
