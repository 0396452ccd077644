//! Imports against real SQLite files: ChatGPT's export with its visible branches, bad and
//! truncated files that import nothing, and the progress an import reports.

use confab_core::export::{self, export_backup, parse_import, Format, ImportSource};
use confab_core::store::{ListConversations, Role};
use confab_test_support::store::TestStore;
use serde_json::{json, Value};

use super::{export_string, sample};
use confab_core::error::{Coded, ErrorCode};

/// A ChatGPT export built from the documented shape: a regenerated reply (two branches), a null
/// root, a hidden system node, a tool call, an image part, unicode.
pub(crate) fn chatgpt_fixture() -> Value {
    json!([
        {
            "title": "Café plans ☕",
            "create_time": 1_700_000_000.5,
            "update_time": 1_700_000_100.0,
            "current_node": "a2",
            "mapping": {
                "root": {"id": "root", "message": null, "parent": null, "children": ["sys"]},
                "sys": {"id": "sys", "parent": "root", "children": ["u1"], "message": {
                    "author": {"role": "system"}, "create_time": null,
                    "content": {"content_type": "text", "parts": [""]},
                    "metadata": {"is_visually_hidden_from_conversation": true}}},
                "u1": {"id": "u1", "parent": "sys", "children": ["a1", "a1b"], "message": {
                    "author": {"role": "user"}, "create_time": 1_700_000_010.0,
                    "content": {"content_type": "multimodal_text", "parts": [
                        {"content_type": "image_asset_pointer", "asset_pointer": "file-service://x"},
                        "Where should we meet in Zürich? 🇨🇭"]},
                    "metadata": {}}},
                "a1": {"id": "a1", "parent": "u1", "children": [], "message": {
                    "author": {"role": "assistant"}, "create_time": 1_700_000_020.0,
                    "content": {"content_type": "text", "parts": ["The old answer."]},
                    "metadata": {"model_slug": "gpt-4"}}},
                "a1b": {"id": "a1b", "parent": "u1", "children": ["tool"], "message": {
                    "author": {"role": "assistant"}, "create_time": 1_700_000_030.0,
                    "recipient": "browser",
                    "content": {"content_type": "code", "text": "search('cafes')"},
                    "metadata": {"model_slug": "gpt-4o"}}},
                "tool": {"id": "tool", "parent": "a1b", "children": ["a2"], "message": {
                    "author": {"role": "tool"}, "create_time": 1_700_000_031.0,
                    "content": {"content_type": "tether_browsing_display", "result": "…"},
                    "metadata": {}}},
                "a2": {"id": "a2", "parent": "tool", "children": [], "message": {
                    "author": {"role": "assistant"}, "create_time": 1_700_000_040.0,
                    "content": {"content_type": "text", "parts": ["Try Café Sprüngli.", ""]},
                    "metadata": {"model_slug": "gpt-4o"}}}
            }
        },
        {
            "title": "",
            "create_time": 1_700_000_200.0,
            "mapping": {
                "only": {"id": "only", "parent": null, "children": [], "message": {
                    "author": {"role": "user"}, "create_time": 1_700_000_200.0,
                    "content": {"content_type": "text", "parts": ["Hello"]}, "metadata": {}}}
            }
        },
        {"title": "Nothing visible", "create_time": 1_700_000_300.0, "current_node": "n",
         "mapping": {"n": {"id": "n", "parent": null, "children": [], "message": null}}}
    ])
}

#[tokio::test]
async fn a_chatgpt_export_imports_its_visible_branches() {
    let t = TestStore::new().await;
    let bytes = serde_json::to_vec(&chatgpt_fixture()).unwrap();
    let plan = parse_import(&bytes).unwrap();
    let preview = plan.preview();
    assert_eq!(preview.source, ImportSource::ChatGpt);
    assert_eq!(
        preview.conversations, 2,
        "the empty conversation is skipped"
    );
    assert_eq!(preview.messages, 3);
    assert_eq!(
        preview.skipped_messages, 3,
        "system, tool call, tool output"
    );
    assert_eq!(preview.skipped_parts, 1, "the image");
    let ids = export::import(&t.store, &plan).await.unwrap();

    let cafe = t.store.get_conversation(ids[0]).await.unwrap();
    assert_eq!(cafe.title, "Café plans ☕");
    assert_eq!(cafe.model.as_deref(), Some("gpt-4o"));
    assert_eq!(cafe.created_at.timestamp_millis(), 1_700_000_000_500);
    let messages = t.store.tail_messages(cafe.id, 10).await.unwrap();
    let texts: Vec<_> = messages
        .iter()
        .map(|m| (m.role, m.content.as_str()))
        .collect();
    assert_eq!(
        texts,
        [
            (Role::User, "Where should we meet in Zürich? 🇨🇭"),
            (Role::Assistant, "Try Café Sprüngli.")
        ]
    );
    assert_eq!(messages[1].created_at.timestamp(), 1_700_000_040);
    let hello = t.store.get_conversation(ids[1]).await.unwrap();
    assert_eq!(hello.title, "New chat");
}

#[tokio::test]
async fn bad_and_truncated_files_import_nothing() {
    let t = TestStore::new().await;
    let chat = sample(&t).await;
    let json = export_string(&t.store, &chat, Format::Json, false).await;
    let mut backup = Vec::new();
    export_backup(&t.store, &mut backup).await.unwrap();
    let chatgpt = serde_json::to_string(&chatgpt_fixture()).unwrap();
    let before = t
        .store
        .list_conversations(ListConversations::default())
        .await
        .unwrap()
        .items
        .len();

    let backup = String::from_utf8(backup).unwrap();
    for (name, text) in [
        ("export", &json),
        ("backup", &backup),
        ("chatgpt", &chatgpt),
    ] {
        for cut in [1, text.len() / 3, text.len() / 2, text.len() - 3] {
            let err = parse_import(&text.as_bytes()[..cut]).unwrap_err();
            assert_eq!(
                err.code(),
                ErrorCode::Malformed,
                "{name} cut at {cut}: {err}"
            );
            assert!(err.to_string().contains("truncated"));
        }
    }
    for (bytes, code) in [
        (&b"{\"hello\": 1}"[..], ErrorCode::UnknownFormat),
        (b"[1, 2, 3]", ErrorCode::UnknownFormat),
        (b"", ErrorCode::Malformed),
        (b"\xff\xfe", ErrorCode::Malformed),
    ] {
        assert_eq!(parse_import(bytes).unwrap_err().code(), code);
    }
    // A newer version, a summary pointing nowhere, an oversized message.
    let mut doc: Value = serde_json::from_str(&json).unwrap();
    for version in [0, 5, 99] {
        doc["version"] = json!(version);
        assert_eq!(
            parse_import(doc.to_string().as_bytes()).unwrap_err().code(),
            ErrorCode::UnsupportedVersion,
            "version {version}"
        );
    }
    let mut doc: Value = serde_json::from_str(&json).unwrap();
    doc["summaries"][0]["covers_through_message_id"] = json!(999_999);
    assert_eq!(
        parse_import(doc.to_string().as_bytes()).unwrap_err().code(),
        ErrorCode::InvalidInput
    );
    let mut doc: Value = serde_json::from_str(&backup).unwrap();
    doc["conversations"][0]["messages"][0]["content"] = json!("x".repeat(2 * 1024 * 1024));
    let plan = parse_import(doc.to_string().as_bytes()).unwrap();
    let err = export::import(&t.store, &plan).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");

    let after = t
        .store
        .list_conversations(ListConversations::default())
        .await
        .unwrap()
        .items
        .len();
    assert_eq!(before, after, "nothing was imported");
}

#[tokio::test]
async fn an_import_reports_its_progress_up_to_everything_done() {
    let t = TestStore::new().await;
    let long = t.chat("Long one").await;
    for i in 0..600 {
        t.say(&long, &format!("message {i}")).await;
    }
    sample(&t).await;
    let mut out = Vec::new();
    export_backup(&t.store, &mut out).await.unwrap();
    let plan = parse_import(&out).unwrap();
    let total = plan.preview().messages;

    let other = TestStore::new().await;
    let mut seen = Vec::new();
    let ids = export::import_with_progress(&other.store, &plan, &mut |p| seen.push(p))
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    let first = seen.first().unwrap();
    assert_eq!((first.conversations_done, first.messages_done), (0, 0));
    assert!(
        seen.windows(2)
            .all(|w| w[0].messages_done <= w[1].messages_done
                && w[0].conversations_done <= w[1].conversations_done),
        "progress only moves forward"
    );
    assert!(
        seen.iter().any(|p| p.messages_done == 500),
        "a long conversation reports within itself: {seen:?}"
    );
    let last = seen.last().unwrap();
    assert_eq!((last.conversations_done, last.conversations_total), (2, 2));
    assert_eq!((last.messages_done, last.messages_total), (total, total));
}
