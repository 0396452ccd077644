//! Damage met by any command: a database damaged in the middle of its pages opens (the command line
//! does not check the whole file on every command), and the command that reads a broken page
//! fails with exit status 1 and one sentence that names the file, says it is damaged and gives the
//! way forward — not the driver's "error returned from database".

use std::path::Path;

use confab_core::paths::DATABASE_FILE;
use confab_test_support::store::{break_pages_holding, break_table};

use super::confab_cli;

/// What the broken pages hold.
const LOST: &str = "LOST ";

/// A data directory with two chats made through the CLI's own import: "Kept" (id 1) and "Lost"
/// (id 2), whose message fills pages of its own.
fn data_dir_with_chats() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chats.json");
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
        "conversations": [chat(1, "Kept", "still here"), chat(2, "Lost", &LOST.repeat(2000))],
    });
    std::fs::write(&file, backup.to_string()).unwrap();
    let out = confab_cli(dir.path())
        .run(&["import", file.to_str().unwrap()])
        .unwrap();
    assert!(out.success(), "{}", out.stderr);
    dir
}

/// Runs `args` and checks the failure: status 1 and on stderr the one sentence (an export to
/// stdout may have written the part it read before).
fn fails_naming_the_damage(dir: &Path, args: &[&str]) {
    let out = confab_cli(dir)
        .endpoint("http://127.0.0.1:9")
        .run(args)
        .unwrap();
    let db = dir.join(DATABASE_FILE);
    assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
    let err = out.stderr.trim_end();
    assert_eq!(err.lines().count(), 1, "{args:?}: one sentence: {err}");
    assert!(err.starts_with("confab-cli: "), "{err}");
    for words in [
        db.display().to_string().as_str(),
        "is damaged",
        "confab-cli db check",
        "restore a snapshot",
        "confab-cli db salvage",
    ] {
        assert!(err.contains(words), "{args:?}: {words:?} in: {err}");
    }
    assert!(!err.contains("error returned from database"), "{err}");
}

#[tokio::test]
async fn every_command_that_meets_damage_names_the_file_and_the_way_forward() {
    let dir = data_dir_with_chats();
    let db = dir.path().join(DATABASE_FILE);
    assert!(break_pages_holding(&db, LOST).await > 0);

    // What does not read the broken pages still works: no check of the whole file first.
    let ok = confab_cli(dir.path()).run(&["export", "1"]).unwrap();
    assert!(ok.success(), "{}", ok.stderr);
    assert!(ok.stdout.contains("still here"));

    let backup = dir.path().join("backup.json");
    fails_naming_the_damage(
        dir.path(),
        &["export", "--all", "-o", backup.to_str().unwrap()],
    );
    assert!(!backup.exists(), "a failed export leaves no file");
    for format in ["md", "json", "html", "jsonl"] {
        fails_naming_the_damage(dir.path(), &["export", "2", "-f", format]);
    }
    fails_naming_the_damage(dir.path(), &["search", "lost"]);
    fails_naming_the_damage(dir.path(), &["context", "2", "--offline"]);
    fails_naming_the_damage(
        dir.path(),
        &["chat", "--conversation", "2", "-m", "still there?"],
    );

    // `db check` finds it, as the sentence says.
    let check = confab_cli(dir.path()).run(&["db", "check"]).unwrap();
    assert_eq!(check.code, 1);
    assert!(check.stdout.contains("damaged"), "{}", check.stdout);
}

#[tokio::test]
async fn the_chat_list_meets_damage_in_its_table_and_names_the_file() {
    let dir = data_dir_with_chats();
    break_table(&dir.path().join(DATABASE_FILE), "conversations").await;
    fails_naming_the_damage(dir.path(), &["ls"]);
    fails_naming_the_damage(dir.path(), &["ls", "--json"]);
}
