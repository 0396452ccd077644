//! Exports against real SQLite files: the lossless JSON round trip (reasoning included), Markdown
//! and HTML against their golden files, HTML escaping, the redactable audit log, backups and file
//! names.

use confab_core::export::{self, export_backup, parse_import, Format, ImportSource};
use confab_core::store::{Ending, Finish, ListConversations, MessageStatus, NewMessage};
use confab_test_support::store::TestStore;
use serde_json::Value;

use super::{export_string, normalised, sample};

fn golden(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/core/export/golden")
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
    assert_eq!(doc["version"], 4);
    assert_eq!(doc["messages"].as_array().unwrap().len(), 6);
    assert_eq!(doc["summaries"].as_array().unwrap().len(), 2);
    assert_eq!(doc["messages"][1]["finish_reason"], "length");
    assert_eq!(
        doc["messages"][1]["stats"],
        serde_json::json!({"first_token_ms": 412, "generation_ms": 441, "tokens_per_second": 38.5,
            "prompt_per_second": 912.25, "cached_tokens": 24,
            "from_server": ["generation", "speed"]})
    );

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
    let hits = t
        .store
        .search(&confab_core::store::SearchQuery::text("Zürich"))
        .await
        .unwrap()
        .hits;
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

/// Every string of every line of the redacted audit log, wherever it sits.
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            out.push(k.clone());
            strings(v, out);
        }),
        _ => {}
    }
}

/// Personal data planted in every field the audit log carries that a person (or a model) wrote:
/// the title, the text, the model's name, the reply's text and the names of attached files. None
/// of it survives `--redact`, in whichever field a later version might add it to.
#[tokio::test]
async fn the_redacted_audit_log_keeps_no_personal_data_in_any_field() {
    use confab_core::attachments::{prepare, Upload};
    let planted = [
        "ada@example.org",
        "+44 20 7946 0958",
        "10.0.0.7",
        "sk-abcdefghijklmnop12345678",
        "bob.smith@corp.example",
        "(555) 123-4567",
        "2001:db8::8a2e:370:7334",
        "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    ];
    let t = TestStore::new().await;
    let chat = t.chat("Call ada@example.org about +44 20 7946 0958").await;
    let files = [
        prepare(Upload {
            name: "invoice for bob.smith@corp.example (555) 123-4567.txt".into(),
            bytes: b"total: 12 CHF\n".to_vec(),
        })
        .unwrap(),
        prepare(Upload {
            name: "scan from 10.0.0.7.png".into(),
            bytes: vec![
                0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44,
                0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0,
            ],
        })
        .unwrap(),
    ];
    t.store
        .append_user_message_with_attachments(
            chat.id,
            &confab_core::attachments::compose(
                "My key is sk-abcdefghijklmnop12345678, my server 2001:db8::8a2e:370:7334",
                &files,
            ),
            &files,
        )
        .await
        .unwrap();
    let reply = t
        .store
        .append_message(
            chat.id,
            NewMessage::streaming_reply(Some("ghp_16C7e42F292c6912E7710c838347Ae178B4a".into())),
        )
        .await
        .unwrap();
    t.store
        .finish_message(
            reply.id,
            Finish {
                ended: Ending::Stop,
                content: "Write to bob.smith@corp.example or call (555) 123-4567.".into(),
                error: None,
                prompt_tokens: Some(40),
                completion_tokens: Some(12),
                model: Some("models/ada@example.org/10.0.0.7.gguf".into()),
                finish_reason: Some("stop".into()),
                stats: Default::default(),
            },
        )
        .await
        .unwrap();
    let chat = t.store.get_conversation(chat.id).await.unwrap();

    // Plain, every field carries what was planted.
    let plain = export_string(&t.store, &chat, Format::Jsonl, false).await;
    for p in ["ada@example.org", "(555) 123-4567", "10.0.0.7"] {
        assert!(plain.contains(p), "{p} in the plain log");
    }
    let plain_first: Value = serde_json::from_str(plain.lines().next().unwrap()).unwrap();
    assert_eq!(plain_first["attachments"][1], "scan from 10.0.0.7.png");

    let redacted = export_string(&t.store, &chat, Format::Jsonl, true).await;
    let lines: Vec<Value> = redacted
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    let mut all = Vec::new();
    for line in &lines {
        strings(line, &mut all);
    }
    for p in planted {
        assert!(
            all.iter().all(|s| !s.contains(p)),
            "{p} survived redaction: {redacted}"
        );
    }
    assert_eq!(lines[0]["conversation"], "Call [email] about [phone]");
    assert_eq!(
        lines[0]["attachments"][0],
        "invoice for [email] [phone].txt"
    );
    assert_eq!(lines[0]["attachments"][1], "scan from [ip].png");
    assert_eq!(lines[1]["model"], "models/[email]/[ip].gguf");
    assert_eq!(lines[1]["ended"], "stop");
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
                stats: Default::default(),
                ended: Ending::Stop,
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
