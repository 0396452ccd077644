//! Export and import against real SQLite files: lossless JSON round trips, golden Markdown and
//! HTML, escaping, redaction, backups, ChatGPT's export, and files that must import nothing.

mod exports;
mod imports;
mod versions;

pub(crate) use imports::chatgpt_fixture;

use confab_core::export::{export_conversation, ExportOptions, Format};
use confab_core::store::{
    Conversation, ConversationSettings, Ending, Finish, NewMessage, NewSummary, ReplyStats,
    StatFigure, Store,
};
use confab_test_support::store::TestStore;
use serde_json::{json, Value};

/// A conversation with a bit of everything.
pub(crate) async fn sample(t: &TestStore) -> Conversation {
    let chat = t.chat("Trip to Zürich <planning> & \"notes\"").await;
    let chat = t
        .store
        .update_conversation_settings(
            chat.id,
            ConversationSettings {
                system_prompt: Some("You are a helpful assistant.\nBe brief.".into()),
                model: Some(Some("smollm2".into())),
                params: Some(json!({"temperature": 0.2, "memory": "summary"})),
            },
        )
        .await
        .unwrap();
    let first = t
        .say(
            &chat,
            "Plan 3 days in Zürich for Ada — budget CHF 1,200. 🏔️",
        )
        .await;
    t.store.set_message_pinned(first.id, true).await.unwrap();
    t.tick();
    let reply = t
        .store
        .append_message(chat.id, NewMessage::streaming_reply(Some("smollm2".into())))
        .await
        .unwrap();
    t.tick();
    t.store
        .finish_message(
            reply.id,
            Finish {
                finish_reason: Some("length".into()),
                stats: ReplyStats {
                    first_token_ms: Some(412),
                    generation_ms: Some(441),
                    tokens_per_second: Some(38.5),
                    prompt_per_second: Some(912.25),
                    cached_tokens: Some(24),
                    from_server: vec![StatFigure::Generation, StatFigure::Speed],
                },
                ended: Ending::Length,
                content: "Day 1: the old town.\n\n```python\nprint(\"<b>hi</b>\")\n```\n\n| day | plan |\n|---|---|\n| 1 | walk |".into(),
                error: None,
                prompt_tokens: Some(42),
                completion_tokens: Some(17),
                model: Some("smollm2-135m".into()),
            },
        )
        .await
        .unwrap();
    t.say(
        &chat,
        "<script>alert(1)</script><img src=x onerror=alert(2)>",
    )
    .await;
    t.tick();
    let failed = t.start_reply(&chat).await;
    t.store
        .finish_message(
            failed.id,
            Finish {
                finish_reason: None,
                stats: Default::default(),
                ended: Ending::Failed,
                content: String::new(),
                error: Some("no server at http://localhost:1234".into()),
                prompt_tokens: None,
                completion_tokens: None,
                model: None,
            },
        )
        .await
        .unwrap();
    t.say(&chat, "Go on").await;
    t.tick();
    let partial = t.start_reply(&chat).await;
    t.store
        .finish_message(
            partial.id,
            Finish {
                finish_reason: None,
                stats: Default::default(),
                ended: Ending::Interrupted,
                content: "Day 2: the la".into(),
                error: Some("stopped".into()),
                prompt_tokens: None,
                completion_tokens: None,
                model: None,
            },
        )
        .await
        .unwrap();
    t.tick();
    for (content, edited) in [
        ("Ada plans 3 days in Zürich.", false),
        ("Ada plans 3 days in Zürich; budget CHF 1,200.", true),
    ] {
        t.store
            .save_summary(NewSummary {
                conversation_id: chat.id,
                content: content.into(),
                covers_through_message_id: reply.id,
                token_count: Some(12),
                model: (!edited).then(|| "smollm2".into()),
                edited_by_user: edited,
            })
            .await
            .unwrap();
    }
    t.store.get_conversation(chat.id).await.unwrap()
}

async fn export_string(store: &Store, chat: &Conversation, format: Format, redact: bool) -> String {
    let mut out = Vec::new();
    export_conversation(
        store,
        chat.id,
        format,
        &ExportOptions {
            redact,
            endpoint: Some("http://localhost:8080".into()),
        },
        &mut out,
    )
    .await
    .unwrap();
    String::from_utf8(out).unwrap()
}

/// The JSON export with the exporting database's ids and the export time taken out, and each
/// summary's and version's message reference turned into the message's position.
fn normalised(json: &str) -> Value {
    let mut v: Value = serde_json::from_str(json).unwrap();
    let ids: Vec<i64> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    v["exported_at"] = Value::Null;
    v["conversation"]["id"] = Value::Null;
    for m in v["messages"].as_array_mut().unwrap() {
        m["id"] = Value::Null;
        m["conversation_id"] = Value::Null;
        if let Some(root) = m["version_of"].as_i64() {
            m["version_of"] = json!(ids.iter().position(|i| *i == root).unwrap());
        }
    }
    for s in v["summaries"].as_array_mut().unwrap() {
        let id = s["covers_through_message_id"].as_i64().unwrap();
        s["covers_through_message_id"] = json!(ids.iter().position(|i| *i == id).unwrap());
    }
    v
}
