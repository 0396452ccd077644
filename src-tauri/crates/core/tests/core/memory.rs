//! Memory against a real SQLite file and a scripted model: the context builder's report, the
//! token budget, pinned messages, overflow recovery, calibration and rolling summaries.

use confab_core::chat::ChatEvent;
use confab_core::error::{Coded, ErrorCode};
use confab_core::llm::WireRole;
use confab_core::memory::{self, summarize, LeftOutReason, MemoryError, Part, ServerReports};
use confab_core::settings::{AppSettings, Strategy};
use confab_core::store::{
    Conversation, ConversationSettings, Message, MessageStatus, NewMessage, NewSummary, Role,
};
use confab_test_support::fault::{completion, delta, FaultServer, Reply, DONE};
use confab_test_support::store::TestStore;
use serde_json::json;

use crate::harness::{service, Recorder};

/// A chat with `params` (e.g. a small context) and a system prompt.
async fn chat_with(t: &TestStore, params: serde_json::Value) -> Conversation {
    let chat = t.chat("Memory").await;
    t.store
        .update_conversation_settings(
            chat.id,
            ConversationSettings {
                system_prompt: Some("Be brief.".into()),
                params: Some(params),
                ..Default::default()
            },
        )
        .await
        .unwrap()
}

async fn reply(t: &TestStore, chat: &Conversation, text: &str) -> Message {
    t.store
        .append_message(
            chat.id,
            NewMessage {
                role: Role::Assistant,
                content: text.into(),
                status: MessageStatus::Complete,
                model: None,
            },
        )
        .await
        .unwrap()
}

/// `turns` user/assistant pairs of about `bytes` bytes each; returns every message.
async fn seed(t: &TestStore, chat: &Conversation, turns: usize, bytes: usize) -> Vec<Message> {
    let mut out = Vec::new();
    for i in 0..turns {
        let pad = "x".repeat(bytes.saturating_sub(20));
        out.push(t.say(chat, &format!("question {i} {pad}")).await);
        out.push(reply(t, chat, &format!("answer {i} {pad}")).await);
    }
    out
}

fn sse_reply(text: &str, prompt_tokens: u64) -> Reply {
    Reply::sse([
        delta(text),
        format!(
            "data: {}\n\n",
            json!({"choices":[],"usage":{"prompt_tokens":prompt_tokens,"completion_tokens":3}})
        ),
        DONE.to_owned(),
    ])
}

#[tokio::test]
async fn everything_fits_and_the_report_says_why_each_part_is_there() {
    let t = TestStore::new().await;
    let chat = chat_with(&t, json!({})).await;
    let history = seed(&t, &chat, 3, 60).await;
    let prompt = t.say(&chat, "And now?").await;
    let chat = t.store.get_conversation(chat.id).await.unwrap();

    let built = memory::build(
        &t.store,
        None,
        &ServerReports::new(),
        &Default::default(),
        &AppSettings::load(&t.store).await,
        &chat,
    )
    .await
    .unwrap();
    let report = &built.report;
    assert_eq!(report.strategy, Strategy::SummaryWindow);
    assert_eq!(report.context_length, memory::DEFAULT_CONTEXT_LENGTH);
    assert_eq!(report.reply_reserve, 1024);
    assert!(!report.exact, "no server: estimates");
    assert_eq!(report.items[0].part, Part::SystemPrompt);
    let recent: Vec<_> = report
        .items
        .iter()
        .filter_map(|i| match i.part {
            Part::Recent { message_id } => Some(message_id),
            _ => None,
        })
        .collect();
    let mut all: Vec<_> = history.iter().map(|m| m.id).collect();
    all.push(prompt.id);
    assert_eq!(recent, all);
    assert!(report.left_out.is_empty());
    assert!(!report.summary_pending && !report.needs_fold());
    assert!(report.used <= report.budget);
    assert_eq!(
        report.used,
        report
            .items
            .iter()
            .map(|i| i.tokens + report.per_message_overhead)
            .sum::<u64>()
    );
    // The wire: one system message, then the turns in order; max_tokens is the reserve.
    let wire = &built.request.messages;
    assert_eq!(wire.len(), 8);
    assert_eq!(wire[0].role, WireRole::System);
    assert_eq!(wire[7].content, "And now?");
    assert_eq!(built.request.max_tokens, Some(1024));
}

#[tokio::test]
async fn a_long_history_keeps_the_newest_messages_and_reports_the_rest() {
    let t = TestStore::new().await;
    // 600 tokens of context, 100 for the reply.
    let chat = chat_with(&t, json!({"context_length": 600, "max_tokens": 100})).await;
    let history = seed(&t, &chat, 40, 120).await;
    t.say(&chat, "What was question 39?").await;
    let chat = t.store.get_conversation(chat.id).await.unwrap();

    let report = memory::build(
        &t.store,
        None,
        &ServerReports::new(),
        &Default::default(),
        &AppSettings::load(&t.store).await,
        &chat,
    )
    .await
    .unwrap()
    .report;
    assert!(
        report.used <= report.budget,
        "{} > {}",
        report.used,
        report.budget
    );
    assert!(report.summary_pending && report.needs_fold());
    // The left-out run starts at the first message and ends right before the window.
    let window_start = report.window_start().unwrap();
    let run = &report.left_out[0];
    assert_eq!(run.reason, LeftOutReason::AwaitingSummary);
    assert_eq!(run.first, history[0].id);
    assert_eq!(run.last.0 + 1, window_start.0);
    let sent = report
        .items
        .iter()
        .filter(|i| matches!(i.part, Part::Recent { .. }))
        .count() as u64;
    assert_eq!(run.count.unwrap() + sent, 81, "no gap, no duplicate");
}

#[tokio::test]
async fn a_pinned_message_is_sent_even_when_old() {
    let t = TestStore::new().await;
    let chat = chat_with(&t, json!({"context_length": 600, "max_tokens": 100})).await;
    let first = t
        .say(&chat, "My name is Ada and I am allergic to peanuts.")
        .await;
    reply(&t, &chat, "Noted.").await;
    t.store.set_message_pinned(first.id, true).await.unwrap();
    seed(&t, &chat, 40, 120).await;
    t.say(&chat, "Suggest a snack.").await;
    let chat = t.store.get_conversation(chat.id).await.unwrap();

    let built = memory::build(
        &t.store,
        None,
        &ServerReports::new(),
        &Default::default(),
        &AppSettings::load(&t.store).await,
        &chat,
    )
    .await
    .unwrap();
    assert_eq!(
        built.report.items[1].part,
        Part::Pinned {
            message_id: first.id
        }
    );
    assert_eq!(
        built.request.messages[1].content,
        "My name is Ada and I am allergic to peanuts."
    );
    assert!(built.report.used <= built.report.budget);
}

#[tokio::test]
async fn a_message_too_long_for_the_context_is_refused_with_a_way_forward() {
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    let chat = chat_with(&t, json!({"context_length": 300, "max_tokens": 50})).await;
    let service = service(&t, &server.url());
    let sink = Recorder::default();
    let reply = service
        .send(chat.id, &"long words ".repeat(200), &sink)
        .await
        .unwrap();
    assert_eq!(reply.status, MessageStatus::Error);
    assert!(
        reply.error.as_deref().unwrap().contains("shorten it"),
        "{:?}",
        reply.error
    );
    assert!(sink
        .events()
        .iter()
        .any(|e| matches!(e, ChatEvent::Error { code, .. } if *code == ErrorCode::MessageTooLong)));
    assert!(server.chat_requests().is_empty(), "nothing was sent");
    // The user's message is kept.
    let messages = t.store.tail_messages(chat.id, 10).await.unwrap();
    assert_eq!(messages[0].role, Role::User);

    let chat = t.store.get_conversation(chat.id).await.unwrap();
    assert!(matches!(
        memory::build(
            &t.store,
            None,
            &ServerReports::new(),
            &Default::default(),
            &AppSettings::load(&t.store).await,
            &chat
        )
        .await,
        Err(MemoryError::MessageTooLong { .. })
    ));
}

#[tokio::test]
async fn full_history_refuses_once_the_chat_no_longer_fits() {
    let t = TestStore::new().await;
    let chat = chat_with(
        &t,
        json!({"context_length": 600, "max_tokens": 100, "memory": "full"}),
    )
    .await;
    seed(&t, &chat, 3, 60).await;
    t.say(&chat, "ok").await;
    let chat = t.store.get_conversation(chat.id).await.unwrap();
    let servers = ServerReports::new();
    let defaults = AppSettings::load(&t.store).await;
    assert!(memory::build(
        &t.store,
        None,
        &servers,
        &Default::default(),
        &defaults,
        &chat
    )
    .await
    .is_ok());
    seed(&t, &chat, 30, 120).await;
    t.say(&chat, "ok").await;
    let err = memory::build(
        &t.store,
        None,
        &servers,
        &Default::default(),
        &defaults,
        &chat,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::HistoryTooLong);
    assert!(err.to_string().contains("summary + window"));
}

#[tokio::test]
async fn a_context_overflow_teaches_the_real_size_and_is_retried_once() {
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    let chat = chat_with(&t, json!({"max_tokens": 64})).await;
    seed(&t, &chat, 30, 400).await;
    server.chat([
        Reply::json(
            400,
            r#"{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":3900,"n_ctx":1024}}"#,
        ),
        sse_reply("Fine.", 800),
    ]);
    let service = service(&t, &server.url());
    let reply = service
        .send(chat.id, "Still there?", &Recorder::default())
        .await
        .unwrap();
    assert_eq!(reply.status, MessageStatus::Complete, "{:?}", reply.error);
    assert_eq!(reply.content, "Fine.");
    let requests = server.chat_requests();
    assert_eq!(requests.len(), 2);
    let first = requests[0]["messages"].as_array().unwrap().len();
    let second = requests[1]["messages"].as_array().unwrap().len();
    assert!(second < first, "{second} < {first}");

    let context = service.context(chat.id).await.unwrap().report;
    assert_eq!(context.context_length, 1024);
    assert_eq!(context.context_source, memory::ContextSource::Learned);
}

#[tokio::test]
async fn each_reply_calibrates_the_estimate_and_records_its_error() {
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    let chat = chat_with(&t, json!({})).await;
    let service = service(&t, &server.url());
    // About 2000 bytes that the "server" counts as 500 tokens (4 bytes per token).
    server.chat([sse_reply("Yes.", 520)]);
    service
        .send(chat.id, &"word ".repeat(400), &Recorder::default())
        .await
        .unwrap();
    let tokenizer = service.context(chat.id).await.unwrap().report.tokenizer;
    let profile = t.store.model_profile(&tokenizer).await.unwrap();
    assert_eq!(profile.calibration_samples, 1);
    let error = profile.last_estimate_error.unwrap();
    assert!(error > 0.0, "the first estimate is conservative: {error}");
    assert!(profile.bytes_per_token > 3.0, "{}", profile.bytes_per_token);
}

#[tokio::test]
async fn consecutive_requests_share_a_prefix() {
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    let chat = chat_with(&t, json!({"context_length": 2000, "max_tokens": 100})).await;
    let service = service(&t, &server.url());
    server.chat([sse_reply("Sure.", 10)]);
    for i in 0..6 {
        service
            .send(
                chat.id,
                &format!("Message number {i}"),
                &Recorder::default(),
            )
            .await
            .unwrap();
    }
    let requests = server.chat_requests();
    for pair in requests.windows(2) {
        let a = pair[0]["messages"].as_array().unwrap();
        let b = pair[1]["messages"].as_array().unwrap();
        assert_eq!(
            &b[..a.len()],
            &a[..],
            "the earlier request is a prefix of the next"
        );
    }
}

#[tokio::test]
async fn the_sliding_window_moves_in_large_steps() {
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    let chat = chat_with(
        &t,
        json!({"context_length": 700, "max_tokens": 100, "memory": "window"}),
    )
    .await;
    let service = service(&t, &server.url());
    server.chat([sse_reply(&"reply ".repeat(10), 10)]);
    let mut starts = Vec::new();
    for i in 0..30 {
        service
            .send(
                chat.id,
                &format!("message {i} {}", "y".repeat(60)),
                &Recorder::default(),
            )
            .await
            .unwrap();
        starts.push(t.store.window_start(chat.id).await.unwrap());
    }
    let moves = starts.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(moves >= 1, "the window moved: {starts:?}");
    assert!(moves <= 8, "but not on every turn: {starts:?}");
    let report = service.context(chat.id).await.unwrap().report;
    assert!(report.used <= report.budget);
    assert!(report
        .left_out
        .iter()
        .any(|r| r.reason == LeftOutReason::OutsideWindow));
}

#[tokio::test]
async fn older_turns_fold_into_a_summary_that_keeps_the_facts() {
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    let chat = chat_with(&t, json!({"context_length": 900, "max_tokens": 100})).await;
    t.say(
        &chat,
        "I'm Ada Lovelace, my order number is 48213 and it ships to Oslo on 2027-03-14.",
    )
    .await;
    reply(&t, &chat, "Thanks Ada, order 48213 is noted.").await;
    seed(&t, &chat, 20, 100).await;
    // The scripted model answers the turn, then writes a summary that forgets the date.
    server.chat([
        sse_reply("Noted.", 700),
        completion("Summary: Ada Lovelace has order 48213 shipping to Oslo."),
        sse_reply("It ships on 2027-03-14.", 300),
    ]);
    let service = service(&t, &server.url());
    let mut updates = service.updates();
    service
        .send(chat.id, "Anything else?", &Recorder::default())
        .await
        .unwrap();
    service.background_idle().await;
    // Front ends hear of it (the memory panel reloads).
    assert_eq!(
        updates.try_recv().unwrap(),
        confab_core::chat::ServiceUpdate::SummaryFolded {
            conversation_id: chat.id
        }
    );

    let summary = t
        .store
        .latest_summary(chat.id)
        .await
        .unwrap()
        .expect("a summary");
    assert!(summary
        .content
        .starts_with("Ada Lovelace has order 48213 shipping to Oslo."));
    assert!(
        summary.content.contains("Key facts:") && summary.content.contains("2027-03-14"),
        "the fact check kept the date: {}",
        summary.content
    );
    assert!(!summary.edited_by_user);
    // The fold asked with the previous summary and the turns, within a bound.
    let fold_request = &server.chat_requests()[1];
    assert_eq!(fold_request["stream"], false);
    assert!(fold_request["messages"][1]["content"]
        .as_str()
        .unwrap()
        .contains("User: I'm Ada Lovelace"));

    // The next request carries the summary and leaves out what it covers.
    let built = service.context(chat.id).await.unwrap();
    assert!(built.request.messages[0]
        .content
        .contains("Summary of the earlier conversation:\nAda Lovelace"));
    assert_eq!(built.report.left_out[0].reason, LeftOutReason::Summarized);
    assert_eq!(
        built.report.left_out[0].last,
        summary.covers_through_message_id
    );
    assert!(built.report.used <= built.report.budget);
    service
        .send(chat.id, "When does it ship?", &Recorder::default())
        .await
        .unwrap();
    let last = server.chat_requests().last().unwrap().clone();
    assert!(last["messages"][0]["content"]
        .as_str()
        .unwrap()
        .contains("2027-03-14"));
}

#[tokio::test]
async fn a_failed_fold_loses_nothing_and_the_chat_goes_on() {
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    let chat = chat_with(&t, json!({"context_length": 900, "max_tokens": 100})).await;
    seed(&t, &chat, 20, 120).await;
    server.chat([
        sse_reply("Noted.", 700),
        Reply::json(500, r#"{"error":{"message":"boom"}}"#),
        sse_reply("Still here.", 700),
    ]);
    let service = service(&t, &server.url());
    service
        .send(chat.id, "One", &Recorder::default())
        .await
        .unwrap();
    service.background_idle().await;
    assert!(t.store.latest_summary(chat.id).await.unwrap().is_none());
    let reply = service
        .send(chat.id, "Two", &Recorder::default())
        .await
        .unwrap();
    assert_eq!(reply.content, "Still here.");
    let report = service.context(chat.id).await.unwrap().report;
    assert!(report.summary_pending, "the fold is still to do");
}

#[tokio::test]
async fn a_summary_the_user_edited_is_sent_and_the_next_fold_builds_on_it() {
    let t = TestStore::new().await;
    let chat = chat_with(&t, json!({"context_length": 900, "max_tokens": 100})).await;
    let history = seed(&t, &chat, 4, 60).await;
    assert!(
        summarize::edit_summary(&t.store, chat.id, "mine")
            .await
            .is_err(),
        "no summary to edit yet"
    );
    t.store
        .save_summary(NewSummary {
            conversation_id: chat.id,
            content: "The model's summary.".into(),
            covers_through_message_id: history[3].id,
            token_count: None,
            model: None,
            edited_by_user: false,
        })
        .await
        .unwrap();
    let edited = summarize::edit_summary(&t.store, chat.id, "  The user's summary.  ")
        .await
        .unwrap();
    assert!(edited.edited_by_user);
    assert_eq!(edited.content, "The user's summary.");
    assert_eq!(edited.covers_through_message_id, history[3].id);
    t.say(&chat, "next").await;
    let chat = t.store.get_conversation(chat.id).await.unwrap();
    let built = memory::build(
        &t.store,
        None,
        &ServerReports::new(),
        &Default::default(),
        &AppSettings::load(&t.store).await,
        &chat,
    )
    .await
    .unwrap();
    assert!(built.request.messages[0]
        .content
        .ends_with("Summary of the earlier conversation:\nThe user's summary."));
    assert!(matches!(
        built.report.items[1].part,
        Part::Summary {
            edited_by_user: true,
            ..
        }
    ));
    assert_eq!(t.store.summaries(chat.id).await.unwrap().len(), 2);
}
