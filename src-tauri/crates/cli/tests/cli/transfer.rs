//! `confab-cli export` and `confab-cli import` on the app's database.

use confab_core::paths::DATABASE_FILE;
use confab_core::store::{
    ListConversations, MessageStatus, NewConversation, NewMessage, Role, Store,
};

use super::cli;

async fn seeded(dir: &std::path::Path) -> i64 {
    let store = Store::open(&dir.join(DATABASE_FILE)).await.unwrap();
    let chat = store
        .create_conversation(NewConversation {
            title: "Oslo trip".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    for (role, text) in [
        (Role::User, "Mail me at ada@example.org about Oslo."),
        (Role::Assistant, "Will do: **Oslo** in May."),
    ] {
        store
            .append_message(
                chat.id,
                NewMessage {
                    role,
                    content: text.into(),
                    status: MessageStatus::Complete,
                    model: None,
                },
            )
            .await
            .unwrap();
    }
    store.close().await;
    chat.id.0
}

#[tokio::test]
async fn export_each_format_and_import_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let id = seeded(dir.path()).await.to_string();

    let (ok, md, stderr) = cli(dir.path(), &["export", &id]);
    assert!(ok, "{stderr}");
    assert!(md.starts_with("# Oslo trip\n"), "{md}");
    assert!(md.contains("- **Endpoint:** http://127.0.0.1:9"));
    assert!(md.contains("Will do: **Oslo** in May."));

    let (ok, jsonl, _) = cli(dir.path(), &["export", &id, "-f", "jsonl", "--redact"]);
    assert!(ok);
    assert_eq!(jsonl.lines().count(), 2);
    assert!(jsonl.contains("Mail me at [email] about Oslo."));

    let html_path = dir.path().join("out/Oslo trip.html");
    std::fs::create_dir_all(html_path.parent().unwrap()).unwrap();
    let (ok, _, stderr) = cli(
        dir.path(),
        &[
            "export",
            &id,
            "--format",
            "html",
            "-o",
            html_path.to_str().unwrap(),
        ],
    );
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("Exported 1 conversation (2 messages)"),
        "{stderr}"
    );
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<title>Oslo trip</title>"));

    let json_path = dir.path().join("oslo.json");
    let (ok, _, _) = cli(
        dir.path(),
        &[
            "export",
            &id,
            "-f",
            "json",
            "-o",
            json_path.to_str().unwrap(),
        ],
    );
    assert!(ok);
    let (ok, stdout, _) = cli(
        dir.path(),
        &["import", json_path.to_str().unwrap(), "--dry-run"],
    );
    assert!(ok);
    assert!(
        stdout.contains("a Confab conversation export with 1 conversation and 2 messages"),
        "{stdout}"
    );
    assert!(stdout.contains("Dry run: nothing imported."));
    let (ok, stdout, stderr) = cli(dir.path(), &["import", json_path.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("Imported 1 conversation: "), "{stdout}");

    let backup = dir.path().join("backup.json");
    let (ok, _, stderr) = cli(
        dir.path(),
        &["export", "--all", "-o", backup.to_str().unwrap()],
    );
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("Exported 2 conversations (4 messages)"),
        "{stderr}"
    );

    let other = tempfile::tempdir().unwrap();
    let (ok, stdout, stderr) = cli(other.path(), &["import", backup.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("a Confab backup with 2 conversations and 4 messages"),
        "{stdout}"
    );
    let store = Store::open(&other.path().join(DATABASE_FILE))
        .await
        .unwrap();
    let chats = store
        .list_conversations(ListConversations::default())
        .await
        .unwrap();
    assert_eq!(chats.items.len(), 2);
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    seeded(dir.path()).await;
    let (ok, _, stderr) = cli(dir.path(), &["export", "999"]);
    assert!(!ok);
    assert!(
        stderr.contains("conversation 999 was not found"),
        "{stderr}"
    );
    let (ok, _, stderr) = cli(dir.path(), &["export", "1", "-f", "pdf"]);
    assert!(!ok);
    assert!(stderr.contains("use md, json, html or jsonl"), "{stderr}");
    // A failed export leaves no file behind.
    let target = dir.path().join("never.md");
    let (ok, _, _) = cli(
        dir.path(),
        &["export", "999", "-o", target.to_str().unwrap()],
    );
    assert!(!ok);
    assert!(!target.exists());

    let truncated = dir.path().join("truncated.json");
    std::fs::write(
        &truncated,
        "{\"format\":\"confab.backup\",\"version\":1,\"conv",
    )
    .unwrap();
    let (ok, _, stderr) = cli(dir.path(), &["import", truncated.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        stderr.contains("truncated file imports nothing"),
        "{stderr}"
    );
    let (ok, stdout, _) = cli(dir.path(), &["ls"]);
    assert!(ok);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
}
