//! `confab-cli db`: check, backup, snapshots, restore and salvage, on real database files —
//! healthy, damaged, not a database at all — and output piped into a reader that stops early.

use std::io::Read;
use std::path::Path;
use std::process::Stdio;

use confab_core::paths::DATABASE_FILE;
use confab_core::store::backups_dir;
use confab_test_support::store::{break_pages_holding, chat_titles};

use super::{cli, confab_cli};

const LOST: &str = "LOST";

/// A data directory with chats made through the CLI's own import, one holding a long message.
fn data_dir_with_chats() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chats.json");
    let long = LOST.repeat(5000);
    let chat = |id: i64, title: &str, text: &str| {
        serde_json::json!({
            "conversation": {"title": title, "created_at": "2026-11-27T19:00:00Z",
                             "updated_at": "2026-11-27T19:00:00Z"},
            "messages": [{"id": id, "role": "user", "content": text, "status": "complete",
                          "created_at": "2026-11-27T19:00:00Z"}],
            "summaries": [],
        })
    };
    let backup = serde_json::json!({
        "format": "confab.backup",
        "version": 2,
        "exported_at": "2026-11-27T19:00:00Z",
        "conversations": [chat(1, "Kept", "still here"), chat(2, "Lost", &long)],
    });
    std::fs::write(&file, backup.to_string()).unwrap();
    let (ok, out, err) = cli(dir.path(), &["import", file.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
    dir
}

#[test]
fn check_backup_snapshots_and_restore_round_trip() {
    let dir = data_dir_with_chats();
    let (ok, out, err) = cli(dir.path(), &["db", "check"]);
    assert!(ok, "{err}");
    assert!(out.contains(": ok (quick check"), "{out}");
    assert!(out.contains("chats: 2, messages: 2"), "{out}");

    let (ok, out, _) = cli(dir.path(), &["db", "check", "--full", "--json"]);
    assert!(ok);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["depth"], "full");

    let (ok, out, err) = cli(dir.path(), &["db", "backup"]);
    assert!(ok, "{err}");
    assert!(out.contains("Wrote a checked copy"), "{out}");
    let out_file = dir.path().join("copy.db");
    let (ok, _, _) = cli(
        dir.path(),
        &["db", "backup", "-o", out_file.to_str().unwrap()],
    );
    assert!(ok);
    let (ok, _, err) = cli(
        dir.path(),
        &["db", "backup", "-o", out_file.to_str().unwrap()],
    );
    assert!(!ok);
    assert!(err.contains("already exists"), "{err}");

    let (ok, out, _) = cli(dir.path(), &["db", "snapshots", "--json"]);
    assert!(ok);
    let list: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["kind"], "backup");
    assert_eq!(list[0]["chats"], 2);
    let name = list[0]["file_name"].as_str().unwrap().to_owned();

    // A chat made after the backup goes away with the restore, and stays in the file set aside.
    let (ok, _, err) = cli(
        dir.path(),
        &["import", dir.path().join("chats.json").to_str().unwrap()],
    );
    assert!(ok, "{err}");
    let (ok, out, err) = cli(dir.path(), &["db", "restore", &name]);
    assert!(ok, "{err}");
    assert!(out.contains("The database it replaced is kept at"), "{out}");
    let (_, out, _) = cli(dir.path(), &["ls", "--json"]);
    let chats: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(chats.len(), 2);
    let (_, table, _) = cli(dir.path(), &["db", "snapshots"]);
    assert!(table.contains("replaced by a restore"), "{table}");
    assert!(table.contains("backup"), "{table}");

    let (ok, _, err) = cli(dir.path(), &["db", "restore", "no-such-snapshot.db"]);
    assert!(!ok);
    assert!(err.contains("confab-cli db snapshots"), "{err}");
}

#[tokio::test]
async fn a_damaged_database_fails_the_check_and_what_is_left_can_be_salvaged() {
    let dir = data_dir_with_chats();
    let db = dir.path().join(DATABASE_FILE);
    assert!(break_pages_holding(&db, LOST).await > 0);

    let (ok, out, _) = cli(dir.path(), &["db", "check"]);
    assert!(!ok, "the exit status says it failed");
    assert!(out.contains("damaged"), "{out}");
    assert!(out.contains("confab-cli db salvage"), "{out}");

    let saved = dir.path().join("saved.json");
    let (ok, out, _) = cli(
        dir.path(),
        &["db", "salvage", "-o", saved.to_str().unwrap()],
    );
    assert!(!ok, "one chat could not be read");
    assert!(out.contains("Saved 1 chats (1 messages)"), "{out}");
    assert!(out.contains("1 could not be read: Lost"), "{out}");

    // The saved file brings the readable chat into a new data directory.
    let fresh = tempfile::tempdir().unwrap();
    let (ok, _, err) = cli(fresh.path(), &["import", saved.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(
        chat_titles(&fresh.path().join(DATABASE_FILE)).await,
        ["Kept"]
    );
}

#[test]
fn a_file_that_is_not_a_database_is_named_and_restorable() {
    let dir = data_dir_with_chats();
    let (ok, _, _) = cli(dir.path(), &["db", "backup"]);
    assert!(ok);
    let db = dir.path().join(DATABASE_FILE);
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    std::fs::write(&db, b"not sqlite").unwrap();

    let (ok, out, _) = cli(dir.path(), &["db", "check"]);
    assert!(!ok);
    assert!(out.contains("not a database"), "{out}");
    let (ok, _, err) = cli(dir.path(), &["ls"]);
    assert!(!ok);
    assert!(err.contains(&db.display().to_string()), "{err}");

    let name = std::fs::read_dir(backups_dir(&db))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .file_name();
    let (ok, _, err) = cli(dir.path(), &["db", "restore", name.to_str().unwrap()]);
    assert!(ok, "{err}");
    let (ok, out, _) = cli(dir.path(), &["ls"]);
    assert!(ok);
    assert!(out.contains("Kept") && out.contains("Lost"), "{out}");
}

#[test]
fn db_commands_on_a_missing_database_say_where_it_would_be() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = cli(dir.path(), &["db", "check"]);
    assert!(!ok);
    assert!(err.contains("there is no database at"), "{err}");
    assert!(!Path::new(&dir.path().join(DATABASE_FILE)).exists());
    let (ok, out, _) = cli(dir.path(), &["db", "snapshots"]);
    assert!(ok);
    assert!(out.contains("No snapshots"), "{out}");
}

/// `confab-cli … | head -1`: the reader goes away early; the CLI stops quietly, no panic.
#[test]
fn output_into_a_pipe_closed_early_ends_quietly() {
    let dir = data_dir_with_chats();
    for args in [
        &["db", "check"][..],
        &["ls"],
        &["db", "snapshots", "--json"],
    ] {
        let mut child = confab_cli(dir.path())
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        child.wait().unwrap();
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}
