//! `confab-cli context ID` prints what the next request would carry.

use confab_core::paths::DATABASE_FILE;
use confab_core::store::{MessageStatus, NewConversation, NewMessage, NewSummary, Role, Store};

use super::cli;

#[tokio::test]
async fn context_reports_parts_budget_and_what_is_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join(DATABASE_FILE)).await.unwrap();
    let chat = store
        .create_conversation(NewConversation {
            title: "Trip".into(),
            system_prompt: "Be brief.".into(),
            params: serde_json::json!({"context_length": 800, "max_tokens": 100}),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..30 {
        let role = if i % 2 == 0 {
            Role::User
        } else {
            Role::Assistant
        };
        let m = store
            .append_message(
                chat.id,
                NewMessage {
                    role,
                    content: format!("turn {i} {}", "words ".repeat(20)),
                    status: MessageStatus::Complete,
                    model: None,
                },
            )
            .await
            .unwrap();
        ids.push(m.id);
    }
    store
        .save_summary(NewSummary {
            conversation_id: chat.id,
            content: "Ada plans a trip to Oslo.".into(),
            covers_through_message_id: ids[9],
            token_count: None,
            model: None,
            edited_by_user: false,
        })
        .await
        .unwrap();
    store.close().await;

    let id = chat.id.to_string();
    let (ok, stdout, stderr) = cli(dir.path(), &["context", &id, "--offline"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("memory: summary + window"), "{stdout}");
    assert!(
        stdout.contains("Context 800 tokens (the chat's setting) − reply reserve 100"),
        "{stdout}"
    );
    assert!(stdout.contains("system prompt"), "{stdout}");
    assert!(stdout.contains("\"Ada plans a trip to Oslo.\""), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "10 messages {}–{}: folded into the summary",
            ids[0], ids[9]
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("message {} (assistant)", ids[29])),
        "{stdout}"
    );

    let (ok, stdout, stderr) = cli(dir.path(), &["context", &id, "--offline", "--json"]);
    assert!(ok, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let report = &json["report"];
    assert!(report["used"].as_u64().unwrap() <= report["budget"].as_u64().unwrap());
    assert_eq!(json["request"][0]["role"], "system");
    assert_eq!(json["max_tokens"], 100);

    let (ok, _, stderr) = cli(dir.path(), &["context", "999", "--offline"]);
    assert!(!ok);
    assert!(
        stderr.contains("conversation 999 was not found"),
        "{stderr}"
    );
}
