//! `confab-cli ls` reads the same database the desktop app writes.

use confab_core::paths::DATABASE_FILE;
use confab_core::store::{NewConversation, Store};

use super::cli;

#[tokio::test]
async fn ls_lists_the_apps_conversations() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, stdout, _) = cli(dir.path(), &["ls"]);
    assert!(ok);
    assert_eq!(
        stdout.trim(),
        "No conversations yet. Start one with `confab-cli chat`."
    );

    let store = Store::open(&dir.path().join(DATABASE_FILE)).await.unwrap();
    for title in ["First", "Second"] {
        store
            .create_conversation(NewConversation {
                title: title.into(),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let (ok, stdout, stderr) = cli(dir.path(), &["ls"]);
    assert!(ok, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].ends_with("Second") && lines[1].ends_with("First"),
        "{stdout}"
    );

    let (ok, stdout, _) = cli(dir.path(), &["ls", "--json"]);
    assert!(ok);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json[0]["title"], "Second");
    assert_eq!(json.as_array().unwrap().len(), 2);
}
