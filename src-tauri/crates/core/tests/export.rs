//! Export and import against real SQLite files: lossless JSON round trips, golden Markdown and
//! HTML, escaping, redaction, backups, ChatGPT's export, and files that must import nothing.

mod store_support;

use confab_core::error::{Coded, ErrorCode};
use confab_core::export::{
    self, export_backup, export_conversation, parse_import, ExportOptions, Format, ImportSource,
};
use confab_core::store::{
    Conversation, ConversationSettings, Finish, ListConversations, MessageStatus, NewMessage,
    NewSummary, Role, Store,
};
use serde_json::{json, Value};
use store_support::TestStore;

/// A conversation with a bit of everything.
async fn sample(t: &TestStore) -> Conversation {
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
                status: MessageStatus::Complete,
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
                status: MessageStatus::Error,
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
                status: MessageStatus::Interrupted,
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

fn golden(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is missing: run with UPDATE_GOLDEN=1", path.display()));
    assert_eq!(actual, expected, "{name} differs from its golden file");
}

#[tokio::test]
async fn json_round_trips_to_an_identical_conversation() {
    let t = TestStore::new().await;
    let chat = sample(&t).await;
    let first = export_string(&t.store, &chat, Format::Json, false).await;
    let doc: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(doc["format"], "confab.conversation");
    assert_eq!(doc["version"], 2);
    assert_eq!(doc["messages"].as_array().unwrap().len(), 6);
    assert_eq!(doc["summaries"].as_array().unwrap().len(), 2);
    assert_eq!(doc["messages"][1]["finish_reason"], "length");

    // Into another database: a fresh conversation id, identical content.
    let other = TestStore::new().await;
    let plan = parse_import(first.as_bytes()).unwrap();
    assert_eq!(plan.source, ImportSource::ConfabConversation);
    assert_eq!(plan.preview().messages, 6);
    let ids = export::import(&other.store, &plan).await.unwrap();
    let imported = other.store.get_conversation(ids[0]).await.unwrap();
    let second = export_string(&other.store, &imported, Format::Json, false).await;
    assert_eq!(normalised(&first), normalised(&second));

    // Into the same database: ids never collide, the original is untouched.
    let again = export::import(&t.store, &plan).await.unwrap();
    assert_ne!(again[0], chat.id);
    let original = export_string(&t.store, &chat, Format::Json, false).await;
    assert_eq!(normalised(&original), normalised(&first));
    // Full-text search finds the imported messages too.
    let hits = t.store.search("Zürich", 10).await.unwrap();
    assert!(hits.iter().any(|h| h.conversation_id == again[0]));
}

#[tokio::test]
async fn markdown_and_html_match_their_golden_files() {
    let t = TestStore::new().await;
    let chat = sample(&t).await;
    let md = export_string(&t.store, &chat, Format::Markdown, false).await;
    golden("conversation.md", &md);
    let html = export_string(&t.store, &chat, Format::Html, false).await;
    golden("conversation.html", &html);
}

#[tokio::test]
async fn html_escapes_every_hostile_text() {
    let t = TestStore::new().await;
    let corpus = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<svg onload=alert(1)>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "\"><script>alert(1)</script>",
        "' onmouseover='alert(1)",
        "</div></article><script>window.__TAURI_INTERNALS__</script>",
        "<style>body{display:none}</style>",
        "&lt;already&gt; &amp; escaped",
    ];
    let chat = t.chat(corpus[5]).await;
    for text in corpus {
        t.say(&chat, text).await;
    }
    let chat = t.store.get_conversation(chat.id).await.unwrap();
    let html = export_string(&t.store, &chat, Format::Html, false).await;
    let lower = html.to_lowercase();
    // Every tag in the file is one of the page's own.
    let allowed = [
        "!doctype", "html", "head", "meta", "title", "style", "body", "h1", "h2", "dl", "dt", "dd",
        "p", "b", "div", "article", "header", "time", "span",
    ];
    for tag in lower.split('<').skip(1) {
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
            .collect();
        assert!(allowed.contains(&name.as_str()), "<{name} in the export");
    }
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&amp;lt;already&amp;gt; &amp;amp; escaped"));
    assert_eq!(
        lower.matches("<style>").count(),
        1,
        "only the page's own style"
    );
}

#[tokio::test]
async fn the_audit_log_has_one_line_per_message_and_can_redact() {
    let t = TestStore::new().await;
    let chat = t.chat("Support").await;
    t.say(&chat, "I'm ada@example.org, call +44 20 7946 0958; my key is sk-abcdefghijklmnop12345678; host 10.0.0.7")
        .await;
    t.say(&chat, "Nothing personal here, meet on 2027-03-14.")
        .await;
    let chat = t.store.get_conversation(chat.id).await.unwrap();

    let plain = export_string(&t.store, &chat, Format::Jsonl, false).await;
    let lines: Vec<Value> = plain
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["role"], "user");
    assert_eq!(lines[0]["conversation_id"], chat.id.0);
    assert!(lines[0]["text"]
        .as_str()
        .unwrap()
        .contains("ada@example.org"));
    for key in [
        "time",
        "conversation",
        "model",
        "prompt_tokens",
        "completion_tokens",
    ] {
        assert!(lines[0].get(key).is_some(), "{key}");
    }

    let redacted = export_string(&t.store, &chat, Format::Jsonl, true).await;
    let lines: Vec<Value> = redacted
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines[0]["text"],
        "I'm [email], call [phone]; my key is [secret]; host [ip]"
    );
    assert_eq!(
        lines[1]["text"],
        "Nothing personal here, meet on 2027-03-14."
    );
    assert_eq!(lines[1]["redacted"], true);
}

#[tokio::test]
async fn a_backup_restores_every_conversation() {
    let t = TestStore::new().await;
    sample(&t).await;
    let archived = t.chat("Archived one").await;
    t.say(&archived, "hello").await;
    t.store.set_archived(archived.id, true).await.unwrap();
    t.chat("Empty one").await;

    let mut out = Vec::new();
    let stats = export_backup(&t.store, &mut out).await.unwrap();
    assert_eq!((stats.conversations, stats.messages), (3, 7));
    let plan = parse_import(&out).unwrap();
    assert_eq!(plan.source, ImportSource::ConfabBackup);
    let other = TestStore::new().await;
    let ids = export::import(&other.store, &plan).await.unwrap();
    assert_eq!(ids.len(), 3);
    let listed = other
        .store
        .list_conversations(ListConversations {
            include_archived: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut titles: Vec<_> = listed.items.iter().map(|c| c.title.as_str()).collect();
    titles.sort();
    assert_eq!(
        titles,
        [
            "Archived one",
            "Empty one",
            "Trip to Zürich <planning> & \"notes\""
        ]
    );
    assert!(listed.items.iter().any(|c| c.archived));
}

/// A ChatGPT export built from the documented shape: a regenerated reply (two branches), a null
/// root, a hidden system node, a tool call, an image part, unicode.
fn chatgpt_fixture() -> Value {
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
    for version in [0, 3, 99] {
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

/// A chat whose reply was regenerated, then switched back to its first version: the hidden
/// version is the newest row.
async fn with_versions(t: &TestStore) -> Conversation {
    let chat = t.chat("Versions").await;
    t.say(&chat, "Name a colour").await;
    t.tick();
    let first = t.start_reply(&chat).await;
    let done = |content: &str| Finish {
        finish_reason: None,
        status: MessageStatus::Complete,
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

#[tokio::test]
async fn file_names_come_from_titles() {
    let t = TestStore::new().await;
    let chat = t.chat("Plans: a/b \\ c? *yes*").await;
    assert_eq!(
        export::file_name(&chat, Format::Markdown),
        "Plans_ a_b _ c_ _yes_.md"
    );
    let dots = t.chat("...").await;
    assert_eq!(
        export::file_name(&dots, Format::Html),
        format!("conversation-{}.html", dots.id)
    );
    let _ = MessageStatus::Complete;
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

#[tokio::test]
async fn reasoning_survives_the_json_round_trip() {
    let t = TestStore::new().await;
    let chat = t.chat("Thinking").await;
    t.say(&chat, "Why is the sky blue?").await;
    let reply = t.start_reply(&chat).await;
    t.store
        .save_reasoning(reply.id, "Rayleigh scattering, shorter wavelengths.")
        .await
        .unwrap();
    t.store
        .finish_message(
            reply.id,
            Finish {
                finish_reason: None,
                status: MessageStatus::Complete,
                content: "Because blue light scatters most.".into(),
                error: None,
                prompt_tokens: None,
                completion_tokens: None,
                model: None,
            },
        )
        .await
        .unwrap();
    let json = export_string(&t.store, &chat, Format::Json, false).await;
    let other = TestStore::new().await;
    let ids = export::import(&other.store, &parse_import(json.as_bytes()).unwrap())
        .await
        .unwrap();
    let messages = other.store.messages_before(ids[0], None, 10).await.unwrap();
    assert_eq!(
        messages[1].reasoning,
        "Rayleigh scattering, shorter wavelengths."
    );
    assert_eq!(messages[0].reasoning, "");
}
