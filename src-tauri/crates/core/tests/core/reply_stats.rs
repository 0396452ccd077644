//! A reply's statistics against a scripted server: llama.cpp's `timings` and `usage` kept as the
//! server gave them, measured figures when it gives none, a cut-off reply keeping what was
//! measured, and the figures through the JSON export and back (old files without them too).

use std::time::Duration;

use confab_core::chat::ChatEvent;
use confab_core::export::{self, export_conversation, parse_import, ExportOptions, Format};
use confab_core::store::{
    Conversation, MessageStatus, NewConversation, ReplyStats, StatFigure, Store,
};
use confab_test_support::fault::{chunk, delta, finish, Ending, FaultServer, Reply, DONE};
use confab_test_support::store::TestStore;
use serde_json::{json, Value};

use crate::harness::{service, service_on, Recorder};

/// The last chunk llama.cpp's server sends: token counts and its own timings.
fn llama_usage_and_timings() -> String {
    chunk(json!({
        "model": "qwen2.5-0.5b-instruct",
        "choices": [],
        "usage": {"prompt_tokens": 120, "completion_tokens": 42,
                  "prompt_tokens_details": {"cached_tokens": 96}},
        "timings": {"cache_n": 96, "prompt_n": 24, "prompt_ms": 81.6,
                    "prompt_per_token_ms": 3.4, "prompt_per_second": 294.1,
                    "predicted_n": 42, "predicted_ms": 1102.4,
                    "predicted_per_token_ms": 26.2, "predicted_per_second": 38.1}
    }))
}

async fn export_json(store: &Store, chat: &Conversation) -> String {
    export_as(store, chat, Format::Json).await
}

async fn export_as(store: &Store, chat: &Conversation, format: Format) -> String {
    let mut out = Vec::new();
    export_conversation(store, chat.id, format, &ExportOptions::default(), &mut out)
        .await
        .unwrap();
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn the_servers_timings_and_usage_are_kept_with_the_reply_and_exported() {
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    server.chat([Reply::sse([
        delta("Bonjour"),
        delta(" !"),
        finish("stop"),
        llama_usage_and_timings(),
        DONE.to_owned(),
    ])]);
    let chat = t.chat("French").await;
    let svc = service(&t, &server.url());
    let sink = Recorder::default();
    let reply = svc.send(chat.id, "Say hello", &sink).await.unwrap();

    let expected = ReplyStats {
        first_token_ms: Some(82),
        generation_ms: Some(1102),
        tokens_per_second: Some(38.1),
        prompt_per_second: Some(294.1),
        cached_tokens: Some(96),
        from_server: vec![
            StatFigure::FirstToken,
            StatFigure::Generation,
            StatFigure::Speed,
        ],
    };
    assert_eq!(reply.stats, expected);
    assert_eq!(reply.model.as_deref(), Some("qwen2.5-0.5b-instruct"));
    assert_eq!(
        (reply.prompt_tokens, reply.completion_tokens),
        (Some(120), Some(42))
    );
    assert_eq!(reply.finish_reason.as_deref(), Some("stop"));
    assert_eq!(t.store.get_message(reply.id).await.unwrap().stats, expected);
    assert!(
        matches!(sink.events().last(), Some(ChatEvent::Done { message, .. }) if message.stats == expected),
        "the front end hears the figures with the finished reply"
    );

    // Through the JSON export into another database, and back out the same.
    let chat = t.store.get_conversation(chat.id).await.unwrap();
    let file = export_json(&t.store, &chat).await;
    let doc: Value = serde_json::from_str(&file).unwrap();
    assert_eq!(doc["messages"][1]["stats"]["tokens_per_second"], 38.1);
    assert_eq!(
        doc["messages"][1]["stats"]["from_server"],
        json!(["first_token", "generation", "speed"])
    );
    let other = TestStore::new().await;
    let ids = export::import(&other.store, &parse_import(file.as_bytes()).unwrap())
        .await
        .unwrap();
    let imported = other.store.tail_messages(ids[0], 10).await.unwrap();
    assert_eq!(imported[1].stats, expected);
    assert!(imported[0].stats.is_empty(), "the question has none");

    // The audit log has them on the reply's line, and leaves them out of the question's.
    let audit = export_as(&t.store, &chat, Format::Jsonl).await;
    let lines: Vec<Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines[0].get("stats").is_none(), "{}", lines[0]);
    assert_eq!(lines[1]["stats"]["first_token_ms"], 82);
    assert_eq!(lines[1]["stats"]["cached_tokens"], 96);
}

#[tokio::test]
async fn without_timings_the_figures_are_measured() {
    // The real clock: the server waits 100 ms before each chunk.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("confab.db")).await.unwrap();
    let server = FaultServer::start().await;
    let mut chunks: Vec<String> = (0..5).map(|i| delta(&format!("w{i} "))).collect();
    chunks.push(finish("stop"));
    chunks.push(chunk(
        json!({"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 5}}),
    ));
    chunks.push(DONE.to_owned());
    server.chat([Reply::sse(chunks).paced(Duration::from_millis(100))]);
    let chat = store
        .create_conversation(NewConversation::default())
        .await
        .unwrap();
    let svc = service_on(store.clone(), &server.url());
    let reply = svc.send(chat.id, "Count", &()).await.unwrap();

    let stats = reply.stats;
    assert!(stats.from_server.is_empty(), "{stats:?}");
    let first = stats.first_token_ms.unwrap();
    assert!(
        (100..5_000).contains(&first),
        "first token after {first} ms"
    );
    let generation = stats.generation_ms.unwrap();
    // Four gaps of 100 ms between the first token and the last (a few ms of slack either way).
    assert!(
        (390..5_000).contains(&generation),
        "generated in {generation} ms"
    );
    let speed = stats.tokens_per_second.unwrap();
    assert!(
        (speed - 4_000.0 / generation as f64).abs() < 0.1,
        "4 tokens after the first in {generation} ms, not {speed}/s"
    );
    assert_eq!((stats.prompt_per_second, stats.cached_tokens), (None, None));
    assert_eq!(store.get_message(reply.id).await.unwrap().stats, stats);
}

#[tokio::test]
async fn a_reply_cut_off_keeps_what_was_measured() {
    // The test store's manual clock stands still: every measured time is exactly 0 ms.
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    server.chat([Reply::sse([delta("Half a"), delta(" thought")]).ending(Ending::Drop)]);
    let chat = t.chat("cut").await;
    let svc = service(&t, &server.url());
    let reply = svc.send(chat.id, "Go on", &()).await.unwrap();
    assert_eq!(reply.status, MessageStatus::Interrupted);
    assert_eq!(
        reply.stats,
        ReplyStats {
            first_token_ms: Some(0),
            generation_ms: Some(0),
            ..Default::default()
        },
        "times measured; no speed without the server's token count"
    );
    assert_eq!(reply.finish_reason, None);

    // A failure before any token leaves every figure unknown.
    server.chat([Reply::json(500, r#"{"error":{"message":"boom"}}"#)]);
    let chat = t.chat("failed").await;
    let failed = svc.send(chat.id, "Go", &()).await.unwrap();
    assert_eq!(failed.status, MessageStatus::Error);
    assert!(failed.stats.is_empty(), "{:?}", failed.stats);
}

#[tokio::test]
async fn exports_without_statistics_still_import_and_bad_figures_are_refused() {
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    server.chat([Reply::sse([
        delta("Hi."),
        llama_usage_and_timings(),
        DONE.to_owned(),
    ])]);
    let chat = t.chat("old").await;
    service(&t, &server.url())
        .send(chat.id, "Hello", &())
        .await
        .unwrap();
    let chat = t.store.get_conversation(chat.id).await.unwrap();
    let mut doc: Value = serde_json::from_str(&export_json(&t.store, &chat).await).unwrap();

    // An export from before the statistics: no `stats` on any message.
    for m in doc["messages"].as_array_mut().unwrap() {
        m.as_object_mut().unwrap().remove("stats");
    }
    let old = doc.to_string();
    let other = TestStore::new().await;
    let ids = export::import(&other.store, &parse_import(old.as_bytes()).unwrap())
        .await
        .unwrap();
    let imported = other.store.tail_messages(ids[0], 10).await.unwrap();
    assert_eq!(imported[1].content, "Hi.");
    assert!(imported[1].stats.is_empty());

    // Only some figures: the rest are unknown.
    doc["messages"][1]["stats"] = json!({"tokens_per_second": 12.5});
    let ids = export::import(
        &other.store,
        &parse_import(doc.to_string().as_bytes()).unwrap(),
    )
    .await
    .unwrap();
    let imported = other.store.tail_messages(ids[0], 10).await.unwrap();
    assert_eq!(
        imported[1].stats,
        ReplyStats {
            tokens_per_second: Some(12.5),
            ..Default::default()
        }
    );

    doc["messages"][1]["stats"] = json!({"generation_ms": -5});
    let err = export::import(
        &other.store,
        &parse_import(doc.to_string().as_bytes()).unwrap(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("message 2") && err.contains("statistics"),
        "{err}"
    );
}

/// How each reply ended is stored with it as a value, whatever its error's text says: what the
/// statistics line and the badges read.
#[tokio::test]
async fn how_a_reply_ended_is_stored_as_a_value_not_told_from_its_error() {
    use confab_core::store::Ending as Ended;
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    let svc = service(&t, &server.url());

    let finished =
        |reason: &str| Reply::sse([delta("Some words"), finish(reason), DONE.to_owned()]);
    for (reason, want) in [
        ("stop", Ended::Stop),
        ("length", Ended::Length),
        ("content_filter", Ended::ContentFilter),
        ("eos_token", Ended::Complete),
    ] {
        server.chat([finished(reason)]);
        let chat = t.chat(reason).await;
        let reply = svc.send(chat.id, "Go", &()).await.unwrap();
        assert_eq!(reply.ended, Some(want), "{reason}");
        assert_eq!(reply.hit_length_limit(), want == Ended::Length, "{reason}");
        let stored = t.store.get_message(reply.id).await.unwrap();
        assert_eq!(stored.ended, Some(want), "{reason}: as stored");
    }

    // Cut off by the server: interrupted, not stopped, though the text is kept the same way.
    server.chat([Reply::sse([delta("Half")]).ending(Ending::Drop)]);
    let chat = t.chat("dropped").await;
    let reply = svc.send(chat.id, "Go", &()).await.unwrap();
    assert_eq!(
        (reply.status, reply.ended),
        (MessageStatus::Interrupted, Some(Ended::Interrupted))
    );

    // Stopped by the user.
    server.chat([Reply::sse([delta("Long")]).ending(Ending::Stall)]);
    let chat = t.chat("stopped").await;
    let task = {
        let svc = svc.clone();
        tokio::spawn(async move { svc.send(chat.id, "Go", &()).await })
    };
    tokio::time::timeout(Duration::from_secs(10), async {
        while !svc.is_streaming(chat.id) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the reply starts");
    assert!(svc.stop(chat.id));
    let reply = task.await.unwrap().unwrap();
    assert_eq!(
        (reply.status, reply.ended),
        (MessageStatus::Interrupted, Some(Ended::Stopped))
    );

    // Failed before any token.
    server.chat([Reply::json(
        500,
        r#"{"error":{"message":"stopped by a bug"}}"#,
    )]);
    let chat = t.chat("failed").await;
    let reply = svc.send(chat.id, "Go", &()).await.unwrap();
    assert_eq!(
        (reply.status, reply.ended),
        (MessageStatus::Error, Some(Ended::Failed)),
        "an error whose text starts with \"stopped\" is still a failure"
    );

    // The question has no ending; a reply continued is streaming again, without one.
    let question = t.store.tail_messages(chat.id, 2).await.unwrap()[0].clone();
    assert_eq!(question.ended, None);

    // Through the JSON export and back.
    let json: Value = serde_json::from_str(&export_json(&t.store, &chat).await).unwrap();
    assert_eq!(json["messages"][1]["ended"], "failed");
    let fresh = TestStore::new().await;
    export::import(
        &fresh.store,
        &parse_import(export_json(&t.store, &chat).await.as_bytes()).unwrap(),
    )
    .await
    .unwrap();
    let chats = fresh
        .store
        .list_conversations(Default::default())
        .await
        .unwrap();
    let back = fresh
        .store
        .tail_messages(chats.items[0].id, 2)
        .await
        .unwrap();
    assert_eq!(back[1].ended, Some(Ended::Failed));
}

/// A file from before endings were stored (or from a Confab that names one this build does not
/// know) imports with the ending told from the status and the finish reason.
#[tokio::test]
async fn an_export_without_endings_imports_with_them_told_from_the_status() {
    use confab_core::store::Ending as Ended;
    let t = TestStore::new().await;
    let chat = t.chat("old").await;
    t.say(&chat, "Hi").await;
    let reply = t.start_reply(&chat).await;
    t.store
        .finish_message(
            reply.id,
            confab_core::store::Finish {
                ended: Ended::Length,
                content: "Hello the".into(),
                error: None,
                prompt_tokens: None,
                completion_tokens: None,
                model: None,
                finish_reason: Some("length".into()),
                stats: Default::default(),
            },
        )
        .await
        .unwrap();
    let mut json: Value = serde_json::from_str(&export_json(&t.store, &chat).await).unwrap();
    json["messages"][1].as_object_mut().unwrap().remove("ended");
    let without = json.to_string();
    json["messages"][1]["ended"] = "gave_up".into();
    let unknown = json.to_string();
    for file in [without, unknown] {
        let fresh = TestStore::new().await;
        let plan = parse_import(file.as_bytes()).unwrap();
        export::import(&fresh.store, &plan).await.unwrap();
        let chats = fresh
            .store
            .list_conversations(Default::default())
            .await
            .unwrap();
        let back = fresh
            .store
            .tail_messages(chats.items[0].id, 2)
            .await
            .unwrap();
        assert_eq!(back[1].ended, Some(Ended::Length));
        assert_eq!(back[0].ended, None);
    }
}
