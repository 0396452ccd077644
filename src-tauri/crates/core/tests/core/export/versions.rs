//! A reply's versions in exports and imports: they travel in the JSON and stay out of the readable
//! formats, a file from before versions still imports, and broken versions import nothing.

use confab_core::export::{self, export_backup, parse_import, Format};
use confab_core::store::{Conversation, Ending, Finish, ListConversations};
use confab_test_support::store::TestStore;
use serde_json::{json, Value};

use super::{export_string, normalised};
use confab_core::error::{Coded, ErrorCode};

/// A chat whose reply was regenerated, then switched back to its first version: the hidden
/// version is the newest row.
async fn with_versions(t: &TestStore) -> Conversation {
    let chat = t.chat("Versions").await;
    t.say(&chat, "Name a colour").await;
    t.tick();
    let first = t.start_reply(&chat).await;
    let done = |content: &str| Finish {
        finish_reason: None,
        stats: Default::default(),
        ended: Ending::Stop,
        content: content.into(),
        error: None,
        prompt_tokens: None,
        completion_tokens: None,
        model: None,
    };
    t.store
        .finish_message(first.id, done("Vermilion"))
        .await
        .unwrap();
    t.tick();
    let second = t.store.regenerate_reply(chat.id, None).await.unwrap().reply;
    t.store
        .finish_message(second.id, done("Ultramarine"))
        .await
        .unwrap();
    t.store.select_version(first.id).await.unwrap();
    t.store.get_conversation(chat.id).await.unwrap()
}

#[tokio::test]
async fn versions_travel_in_the_json_and_stay_out_of_the_readable_exports() {
    let t = TestStore::new().await;
    let chat = with_versions(&t).await;
    let json_text = export_string(&t.store, &chat, Format::Json, false).await;
    let doc: Value = serde_json::from_str(&json_text).unwrap();
    let messages = doc["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "every version is carried");
    let root = messages[1]["id"].clone();
    assert_eq!(
        messages
            .iter()
            .map(|m| (m["version_of"].clone(), m["hidden"].clone()))
            .collect::<Vec<_>>(),
        [
            (Value::Null, json!(false)),
            (root.clone(), json!(false)),
            (root, json!(true))
        ]
    );

    // The round trip gives back the same versions, the same one shown.
    let other = TestStore::new().await;
    let plan = parse_import(json_text.as_bytes()).unwrap();
    let ids = export::import(&other.store, &plan).await.unwrap();
    let imported = other.store.get_conversation(ids[0]).await.unwrap();
    let again = export_string(&other.store, &imported, Format::Json, false).await;
    assert_eq!(normalised(&json_text), normalised(&again));
    let shown = other
        .store
        .messages_before(imported.id, None, 10)
        .await
        .unwrap();
    assert_eq!(
        shown.iter().map(|m| m.content.as_str()).collect::<Vec<_>>(),
        ["Name a colour", "Vermilion"]
    );
    assert_eq!(
        other.store.reply_versions(shown[1].id).await.unwrap().len(),
        2
    );
    // The same in a backup.
    let mut backup = Vec::new();
    export_backup(&t.store, &mut backup).await.unwrap();
    let ids = export::import(&other.store, &parse_import(&backup).unwrap())
        .await
        .unwrap();
    let shown = other.store.messages_before(ids[0], None, 10).await.unwrap();
    assert_eq!(shown[1].content, "Vermilion");

    // The readable exports show the conversation as it reads.
    for format in [Format::Markdown, Format::Html, Format::Jsonl] {
        let text = export_string(&t.store, &chat, format, false).await;
        assert!(text.contains("Vermilion"), "{format:?}");
        assert!(
            !text.contains("Ultramarine"),
            "{format:?} shows a hidden version"
        );
    }
}

#[tokio::test]
async fn a_version_1_file_from_before_versions_still_imports() {
    // As Confab wrote it before replies had versions: no `version_of`, no `hidden`.
    let old = json!({
        "format": "confab.conversation",
        "version": 1,
        "exported_at": "2026-11-20T10:00:00Z",
        "conversation": {
            "id": 4, "title": "Old chat", "system_prompt": "", "model": null, "params": {},
            "created_at": "2026-11-20T09:00:00Z", "updated_at": "2026-11-20T09:05:00Z",
            "pinned": false, "archived": false
        },
        "messages": [
            {"id": 10, "conversation_id": 4, "role": "user", "content": "Hi", "status": "complete",
             "error": null, "model": null, "prompt_tokens": null, "completion_tokens": null,
             "created_at": "2026-11-20T09:00:00Z", "completed_at": "2026-11-20T09:00:00Z",
             "pinned": false},
            {"id": 11, "conversation_id": 4, "role": "assistant", "content": "Hello",
             "status": "interrupted", "error": "stopped", "model": "smol", "prompt_tokens": null,
             "completion_tokens": null, "created_at": "2026-11-20T09:00:01Z",
             "completed_at": "2026-11-20T09:00:02Z", "pinned": false}
        ],
        "summaries": []
    });
    let t = TestStore::new().await;
    let plan = parse_import(old.to_string().as_bytes()).unwrap();
    let ids = export::import(&t.store, &plan).await.unwrap();
    let shown = t.store.messages_before(ids[0], None, 10).await.unwrap();
    assert_eq!(shown.len(), 2);
    assert!(shown.iter().all(|m| m.version_of.is_none() && !m.hidden));
    // Its interrupted reply can be continued, its reply regenerated.
    t.store.resume_reply(ids[0]).await.unwrap();
}

#[tokio::test]
async fn files_with_broken_versions_import_nothing() {
    let t = TestStore::new().await;
    let chat = with_versions(&t).await;
    let json_text = export_string(&t.store, &chat, Format::Json, false).await;
    let before = t
        .store
        .list_conversations(ListConversations::default())
        .await
        .unwrap()
        .items
        .len();

    // A version of a message the file does not have.
    let mut doc: Value = serde_json::from_str(&json_text).unwrap();
    doc["messages"][2]["version_of"] = json!(999_999);
    let err = parse_import(doc.to_string().as_bytes()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
    // Two versions of one reply both shown; a hidden message in no group; a group that does not
    // start at its root.
    let broken: [fn(&mut Value); 3] = [
        |d| d["messages"][2]["hidden"] = json!(false),
        |d| d["messages"][0]["hidden"] = json!(true),
        |d| d["messages"][1]["version_of"] = d["messages"][0]["id"].clone(),
    ];
    for (n, breaks) in broken.iter().enumerate() {
        let mut doc: Value = serde_json::from_str(&json_text).unwrap();
        breaks(&mut doc);
        let plan = parse_import(doc.to_string().as_bytes()).unwrap();
        let err = export::import(&t.store, &plan).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "case {n}: {err}");
    }
    let after = t
        .store
        .list_conversations(ListConversations::default())
        .await
        .unwrap()
        .items
        .len();
    assert_eq!(before, after, "nothing was imported");
}
