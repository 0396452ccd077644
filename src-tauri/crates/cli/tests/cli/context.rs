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
            project_id: None,
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

#[tokio::test]
async fn a_recall_chat_from_the_terminal_shows_what_it_recalled() {
    use confab_test_support::fault::{concept_vectors, delta, FaultServer, Reply, DONE};
    let dir = tempfile::tempdir().unwrap();
    let server = FaultServer::start().await;
    server.chat([Reply::sse([delta("Noted."), DONE.to_owned()])]);
    server.embeddings("test-embed", concept_vectors(64, &[]));
    let url = server.url();

    // A new chat that recalls.
    let out = super::confab_cli(dir.path())
        .endpoint(&url)
        .run_async(&[
            "chat",
            "--memory",
            "recall",
            "-m",
            "The staging server is 10.4.2.19.",
        ])
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr);
    let (ok, _, stderr) = cli(dir.path(), &["chat", "--memory", "bogus", "-m", "x"]);
    assert!(!ok && stderr.contains("recall"), "{stderr}");

    let store = Store::open(&dir.path().join(DATABASE_FILE)).await.unwrap();
    let chat = store
        .list_conversations(Default::default())
        .await
        .unwrap()
        .items
        .remove(0);
    assert_eq!(chat.params["memory"], "recall");
    let fact = store
        .messages_oldest_first(chat.id, None, None, 1)
        .await
        .unwrap()
        .remove(0);
    store
        .update_conversation_settings(
            chat.id,
            confab_core::store::ConversationSettings {
                params: Some(serde_json::json!({"memory": "recall", "context_length": 1024})),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    for i in 0..40 {
        let role = if i % 2 == 0 {
            Role::User
        } else {
            Role::Assistant
        };
        store
            .append_message(
                chat.id,
                NewMessage {
                    role,
                    content: format!(
                        "Pottery glazes, part {i}: {}",
                        "glassy coatings ".repeat(12)
                    ),
                    status: MessageStatus::Complete,
                    model: None,
                },
            )
            .await
            .unwrap();
    }
    store
        .append_message(
            chat.id,
            NewMessage::user("Which address has the staging server?"),
        )
        .await
        .unwrap();
    store.close().await;

    let id = chat.id.to_string();
    let (ok, stdout, stderr) = cli(dir.path(), &["context", &id, "--offline"]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("memory: recall + summary + window"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("recalled {} (user, words", fact.id)),
        "{stdout}"
    );
    assert!(
        stdout.contains("recalled: word match #1 (staging, server)"),
        "{stdout}"
    );
    assert!(stdout.contains("Recall:\n  by words alone"), "{stdout}");

    // Every message embedded, then with the server: by words and meaning.
    let out = super::confab_cli(dir.path())
        .endpoint(&url)
        .run_async(&["index"])
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr);
    assert!(
        out.stdout.contains("every message has a vector from"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("indexed 43 of 43 messages"),
        "{}",
        out.stderr
    );
    let out = super::confab_cli(dir.path())
        .endpoint(&url)
        .run_async(&["context", &id])
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr);
    assert!(
        out.stdout.contains("by words and meaning (embeddings from"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(&format!("recalled {} (user, words + meaning", fact.id)),
        "{}",
        out.stdout
    );

    // Search by meaning too, from the terminal.
    let out = super::confab_cli(dir.path())
        .endpoint(&url)
        .run_async(&["search", "staging server", "--meaning", "--json"])
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr);
    let hits: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(
        hits.as_array()
            .unwrap()
            .iter()
            .any(|h| h["message_id"] == fact.id.0),
        "{hits}"
    );
    assert!(out.stderr.is_empty(), "{}", out.stderr);

    // A server with no embedding model: the indexer says why and fails; search says it used
    // words only.
    let (ok, _, stderr) = cli(dir.path(), &["index"]);
    assert!(!ok && stderr.contains("words alone"), "{stderr}");
    let (ok, stdout, stderr) = cli(dir.path(), &["search", "staging", "--meaning"]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("by words only"), "{stderr}");
    assert!(
        stdout.contains("The staging server is 10.4.2.19."),
        "{stdout}"
    );
}
