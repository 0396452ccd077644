//! Versions of a reply, continuing a reply in place, and editing the last question: in the store
//! against real SQLite files, and through the chat service against a scripted server.

mod store_support;
mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use confab_core::chat::{ChatEvent, ChatService, EventSink};
use confab_core::error::{Coded, ErrorCode};
use confab_core::llm::{Endpoint, LlmClient, RetryPolicy, Timeouts};
use confab_core::store::{Conversation, Finish, Message, MessageId, MessageStatus, Store};
use store_support::TestStore;
use support::{delta, finish, Ending, FaultServer, Reply, DONE};

#[derive(Default)]
struct Recorder(Mutex<Vec<ChatEvent>>);

impl EventSink for Recorder {
    fn send(&self, event: ChatEvent) {
        self.0.lock().unwrap().push(event);
    }
}

impl Recorder {
    fn events(&self) -> Vec<ChatEvent> {
        self.0.lock().unwrap().clone()
    }
    fn text(&self) -> String {
        self.events()
            .iter()
            .filter_map(|e| match e {
                ChatEvent::Delta { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }
}

fn service(t: &TestStore, url: &str) -> Arc<ChatService> {
    let client = LlmClient::new(
        Endpoint::new(url, None).unwrap(),
        Timeouts {
            connect: Duration::from_secs(2),
            first_token: Duration::from_secs(5),
            idle: Duration::from_secs(5),
        },
        RetryPolicy {
            max_attempts: 1,
            ..Default::default()
        },
    );
    Arc::new(ChatService::new(t.store.clone(), client))
}

fn answer(text: &str) -> Reply {
    Reply::sse([delta(text), finish("stop"), DONE.to_owned()])
}

/// A finished reply with `content`, straight into the store.
async fn reply(
    t: &TestStore,
    chat: &Conversation,
    status: MessageStatus,
    content: &str,
) -> Message {
    t.tick();
    let m = t.start_reply(chat).await;
    t.store
        .finish_message(
            m.id,
            Finish {
                finish_reason: None,
                status,
                content: content.into(),
                error: (status != MessageStatus::Complete).then(|| "stopped".into()),
                prompt_tokens: None,
                completion_tokens: None,
                model: None,
            },
        )
        .await
        .unwrap()
}

async fn visible(store: &Store, chat: &Conversation) -> Vec<String> {
    store
        .messages_before(chat.id, None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.content)
        .collect()
}

/// The contents of a chat request's messages.
fn contents(body: &serde_json::Value) -> Vec<String> {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_owned())
        .collect()
}

// ---- The store ----------------------------------------------------------------------------------

#[tokio::test]
async fn a_regenerated_reply_keeps_its_earlier_version_out_of_sight() {
    let t = TestStore::new().await;
    let chat = t.chat("versions").await;
    t.say(&chat, "Name a colour").await;
    let first = reply(&t, &chat, MessageStatus::Complete, "Red").await;
    assert_eq!((first.version_of, first.hidden), (None, false));

    let done = t.store.regenerate_reply(chat.id, None).await.unwrap();
    assert_eq!(done.hidden, first.id);
    let second = done.reply;
    assert_eq!(second.status, MessageStatus::Streaming);
    assert_eq!(second.version_of, Some(first.id));
    let first_now = t.store.get_message(first.id).await.unwrap();
    assert_eq!(
        (first_now.version_of, first_now.hidden),
        (Some(first.id), true)
    );

    // The conversation as it reads: one reply, the new one.
    let shown = t.store.messages_before(chat.id, None, 10).await.unwrap();
    assert_eq!(
        shown.iter().map(|m| m.id).collect::<Vec<_>>()[1..],
        [second.id]
    );
    assert_eq!(t.store.message_count(chat.id).await.unwrap(), 2);
    assert_eq!(
        t.store
            .tail_within(chat.id, usize::MAX)
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(
        t.store.search("Red", 10).await.unwrap().is_empty(),
        "hidden is not found"
    );

    let versions = t.store.reply_versions(second.id).await.unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.id, v.hidden))
            .collect::<Vec<_>>(),
        [(first.id, true), (second.id, false)]
    );
    assert_eq!(t.store.reply_versions(first.id).await.unwrap(), versions);

    // A third version joins the same group.
    t.store
        .finish_message(
            second.id,
            Finish {
                finish_reason: None,
                status: MessageStatus::Complete,
                content: "Blue".into(),
                error: None,
                prompt_tokens: None,
                completion_tokens: None,
                model: None,
            },
        )
        .await
        .unwrap();
    let third = t.store.regenerate_reply(chat.id, None).await.unwrap().reply;
    assert_eq!(third.version_of, Some(first.id));
    assert_eq!(t.store.reply_versions(first.id).await.unwrap().len(), 3);
    let user = t.store.messages_before(chat.id, None, 10).await.unwrap()[0].clone();
    assert_eq!(
        t.store.reply_versions(user.id).await.unwrap().len(),
        1,
        "a message never regenerated is its only version"
    );
}

#[tokio::test]
async fn only_a_reply_is_regenerated_and_never_while_it_streams() {
    let t = TestStore::new().await;
    let chat = t.chat("refusals").await;
    let code = |e: confab_core::store::StoreError| e.code();
    assert_eq!(
        code(t.store.regenerate_reply(chat.id, None).await.unwrap_err()),
        ErrorCode::NothingToRegenerate
    );
    t.say(&chat, "Hello").await;
    assert_eq!(
        code(t.store.regenerate_reply(chat.id, None).await.unwrap_err()),
        ErrorCode::NothingToRegenerate
    );
    t.start_reply(&chat).await;
    assert_eq!(
        code(t.store.regenerate_reply(chat.id, None).await.unwrap_err()),
        ErrorCode::Busy
    );
    assert_eq!(
        code(
            t.store
                .regenerate_reply(confab_core::store::ConversationId(999), None)
                .await
                .unwrap_err()
        ),
        ErrorCode::NotFound
    );
    assert_eq!(
        t.store.message_count(chat.id).await.unwrap(),
        2,
        "nothing written"
    );
}

#[tokio::test]
async fn a_version_is_switched_only_on_the_last_reply() {
    let t = TestStore::new().await;
    let chat = t.chat("switch").await;
    t.say(&chat, "Q1").await;
    let a1 = reply(&t, &chat, MessageStatus::Complete, "A1").await;
    let a2 = t.store.regenerate_reply(chat.id, None).await.unwrap().reply;
    let a2 = t
        .store
        .finish_message(
            a2.id,
            Finish {
                finish_reason: None,
                status: MessageStatus::Complete,
                content: "A2".into(),
                error: None,
                prompt_tokens: None,
                completion_tokens: None,
                model: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(visible(&t.store, &chat).await, ["Q1", "A2"]);

    let back = t.store.select_version(a1.id).await.unwrap();
    assert_eq!((back.id, back.hidden), (a1.id, false));
    assert_eq!(visible(&t.store, &chat).await, ["Q1", "A1"]);
    assert!(t.store.get_message(a2.id).await.unwrap().hidden);
    // Choosing the version shown changes nothing.
    assert_eq!(t.store.select_version(a1.id).await.unwrap().id, a1.id);
    assert_eq!(t.store.select_version(a2.id).await.unwrap().id, a2.id);
    assert_eq!(visible(&t.store, &chat).await, ["Q1", "A2"]);

    // Once the chat goes on, the earlier reply's versions stay as they are.
    t.say(&chat, "Q2").await;
    reply(&t, &chat, MessageStatus::Complete, "B1").await;
    let err = t.store.select_version(a1.id).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotLastReply);
    assert!(err.to_string().contains("only the last reply"), "{err}");
    assert_eq!(visible(&t.store, &chat).await, ["Q1", "A2", "Q2", "B1"]);
    // A user message is never the last reply.
    let q2 = t.store.messages_before(chat.id, None, 10).await.unwrap()[2].clone();
    assert_eq!(
        t.store.select_version(q2.id).await.unwrap_err().code(),
        ErrorCode::NotLastReply
    );
}

#[tokio::test]
async fn the_database_refuses_two_shown_versions_of_one_reply() {
    let t = TestStore::new().await;
    let chat = t.chat("unique").await;
    t.say(&chat, "Q").await;
    let a1 = reply(&t, &chat, MessageStatus::Complete, "A1").await;
    t.store.regenerate_reply(chat.id, None).await.unwrap();
    let pool = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        t.dir.path().join("confab.db").display()
    ))
    .await
    .unwrap();
    let err = sqlx::query("UPDATE messages SET hidden = 0 WHERE id = ?")
        .bind(a1.id.0)
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("UNIQUE"), "{err}");
    pool.close().await;
}

#[tokio::test]
async fn a_reply_cut_short_is_resumed_in_place() {
    let t = TestStore::new().await;
    let chat = t.chat("resume").await;
    assert_eq!(
        t.store.resume_reply(chat.id).await.unwrap_err().code(),
        ErrorCode::NothingToContinue
    );
    t.say(&chat, "Count").await;
    assert_eq!(
        t.store.resume_reply(chat.id).await.unwrap_err().code(),
        ErrorCode::NothingToContinue
    );
    let cut = reply(&t, &chat, MessageStatus::Interrupted, "one two").await;
    let resumed = t.store.resume_reply(chat.id).await.unwrap();
    assert_eq!(resumed.id, cut.id);
    assert_eq!(resumed.status, MessageStatus::Streaming);
    assert_eq!(resumed.content, "one two");
    assert_eq!((resumed.error, resumed.completed_at), (None, None));
    assert_eq!(
        t.store.resume_reply(chat.id).await.unwrap_err().code(),
        ErrorCode::Busy,
        "already streaming"
    );

    // Complete replies and empty failures are regenerated or retried, not continued.
    let chat = t.chat("no resume").await;
    t.say(&chat, "Q").await;
    reply(&t, &chat, MessageStatus::Complete, "Done.").await;
    let err = t.store.resume_reply(chat.id).await.unwrap_err();
    assert!(err.to_string().contains("regenerate"), "{err}");
    t.say(&chat, "Q2").await;
    reply(&t, &chat, MessageStatus::Error, "").await;
    assert_eq!(
        t.store.resume_reply(chat.id).await.unwrap_err().code(),
        ErrorCode::NothingToContinue
    );
    t.say(&chat, "Q3").await;
    let failed = reply(&t, &chat, MessageStatus::Error, "half of it").await;
    assert_eq!(t.store.resume_reply(chat.id).await.unwrap().id, failed.id);
}

#[tokio::test]
async fn editing_the_last_question_sets_its_replies_aside() {
    let t = TestStore::new().await;
    let chat = t.chat("edit").await;
    let q1 = t.say(&chat, "Q1").await;
    reply(&t, &chat, MessageStatus::Complete, "A1").await;
    let q2 = t.say(&chat, "Q2 with a typo").await;
    let cut = reply(&t, &chat, MessageStatus::Interrupted, "A2 cut").await;
    let again = reply(&t, &chat, MessageStatus::Complete, "A2 again").await;

    assert_eq!(
        t.store
            .edit_and_resend(q1.id, "Q1 changed", None)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::NotLastMessage
    );
    assert_eq!(
        t.store
            .edit_and_resend(cut.id, "not a question", None)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::NotLastMessage
    );
    assert_eq!(
        t.store
            .edit_and_resend(q2.id, "  ", None)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::InvalidInput
    );

    let edited = t
        .store
        .edit_and_resend(q2.id, "Q2 without a typo", None)
        .await
        .unwrap();
    assert_eq!(
        (edited.message.id, edited.message.content.as_str()),
        (q2.id, "Q2 without a typo")
    );
    assert_eq!(edited.hidden, [cut.id, again.id]);
    assert_eq!(edited.reply.status, MessageStatus::Streaming);
    assert_eq!(edited.reply.version_of, Some(cut.id));
    assert_eq!(
        visible(&t.store, &chat).await,
        ["Q1", "A1", "Q2 without a typo", ""]
    );
    let versions = t.store.reply_versions(edited.reply.id).await.unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.id, v.hidden))
            .collect::<Vec<_>>(),
        [(cut.id, true), (again.id, true), (edited.reply.id, false)]
    );
    assert_eq!(
        t.store.search("typo", 10).await.unwrap()[0].message_id,
        q2.id
    );
    assert!(t.store.search("again", 10).await.unwrap().is_empty());
    assert_eq!(
        t.store
            .edit_and_resend(q2.id, "again", None)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Busy,
        "not while its reply streams"
    );

    // An unanswered question is edited too; its reply is an ordinary one.
    let chat = t.chat("unanswered").await;
    let q = t.say(&chat, "Hello?").await;
    let edited = t.store.edit_and_resend(q.id, "Hello!", None).await.unwrap();
    assert!(edited.hidden.is_empty());
    assert_eq!(edited.reply.version_of, None);
}

#[tokio::test]
async fn a_database_from_before_versions_is_upgraded_with_its_messages_intact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("confab.db");
    // The schema as the previous release left it: the first two migrations only.
    let old = dir.path().join("old-migrations");
    std::fs::create_dir(&old).unwrap();
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for name in ["0001_initial.sql", "0002_memory.sql"] {
        std::fs::copy(migrations.join(name), old.join(name)).unwrap();
    }
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::migrate::Migrator::new(old.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO conversations (id, title, created_at, updated_at) VALUES (1, 'old', 0, 0);
         INSERT INTO messages (conversation_id, role, content, status, created_at)
         VALUES (1, 'user', 'Hi', 'complete', 1), (1, 'assistant', 'Hello', 'complete', 2);",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let store = Store::open(&path).await.unwrap();
    assert_eq!(
        store.diagnostics().await.unwrap().migrations_applied,
        confab_core::store::migration_count() as u64
    );
    let chat = store
        .get_conversation(confab_core::store::ConversationId(1))
        .await
        .unwrap();
    let shown = store.messages_before(chat.id, None, 10).await.unwrap();
    assert_eq!(shown.len(), 2);
    assert!(shown.iter().all(|m| m.version_of.is_none() && !m.hidden));
    // And the old reply can be regenerated.
    let done = store.regenerate_reply(chat.id, None).await.unwrap();
    assert_eq!(done.hidden, shown[1].id);
    store.close().await;
}

#[tokio::test]
async fn deleting_a_chat_removes_every_version() {
    let t = TestStore::new().await;
    let chat = t.chat("gone").await;
    t.say(&chat, "Q").await;
    let a1 = reply(&t, &chat, MessageStatus::Complete, "A1").await;
    let a2 = t.store.regenerate_reply(chat.id, None).await.unwrap().reply;
    t.store.delete_conversation(chat.id).await.unwrap();
    for id in [a1.id, a2.id] {
        assert_eq!(
            t.store.get_message(id).await.unwrap_err().code(),
            ErrorCode::NotFound
        );
    }
}

// ---- The chat service ---------------------------------------------------------------------------

#[tokio::test]
async fn regenerate_streams_a_new_version_and_the_next_request_carries_only_it() {
    let t = TestStore::new().await;
    let chat = t.chat("regenerate").await;
    let server = FaultServer::start().await;
    let svc = service(&t, &server.url());
    server.chat([answer("Paris is the capital.")]);
    let first = svc.send(chat.id, "Capital of France?", &()).await.unwrap();

    server.chat([answer("It is Paris.")]);
    let sink = Recorder::default();
    let second = svc.regenerate(chat.id, &sink).await.unwrap();
    assert_eq!(second.status, MessageStatus::Complete);
    assert_eq!(second.content, "It is Paris.");
    assert_eq!(second.version_of, Some(first.id));
    match &sink.events()[0] {
        ChatEvent::Started {
            user_message,
            reply,
            hidden,
            ..
        } => {
            assert!(user_message.is_none());
            assert_eq!(reply.id, second.id);
            assert_eq!(hidden, &[first.id]);
        }
        other => panic!("expected started, got {other:?}"),
    }
    // The regenerate's request did not carry the version it replaces.
    assert_eq!(contents(&server.chat_requests()[1]), ["Capital of France?"]);
    assert_eq!(
        visible(&t.store, &chat).await,
        ["Capital of France?", "It is Paris."]
    );

    server.chat([answer("Lyon.")]);
    svc.send(chat.id, "And the second city?", &())
        .await
        .unwrap();
    assert_eq!(
        contents(&server.chat_requests()[2]),
        ["Capital of France?", "It is Paris.", "And the second city?"]
    );
    let context = svc.context(chat.id).await.unwrap();
    assert!(!context
        .item_texts()
        .iter()
        .any(|t| t.contains("Paris is the capital")));
}

#[tokio::test]
async fn select_version_switches_what_the_next_request_carries_and_refuses_older_replies() {
    let t = TestStore::new().await;
    let chat = t.chat("select").await;
    let server = FaultServer::start().await;
    let svc = service(&t, &server.url());
    server.chat([answer("First answer.")]);
    let first = svc.send(chat.id, "Question?", &()).await.unwrap();
    server.chat([answer("Second answer.")]);
    let second = svc.regenerate(chat.id, &()).await.unwrap();

    let shown = svc.select_version(first.id).await.unwrap();
    assert_eq!((shown.id, shown.hidden), (first.id, false));
    assert_eq!(
        visible(&t.store, &chat).await,
        ["Question?", "First answer."]
    );
    server.chat([answer("Sure.")]);
    svc.send(chat.id, "More?", &()).await.unwrap();
    assert_eq!(
        contents(&server.chat_requests()[2]),
        ["Question?", "First answer.", "More?"]
    );
    let err = svc.select_version(second.id).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotLastReply);
}

#[tokio::test]
async fn nothing_is_switched_or_regenerated_while_a_reply_streams() {
    let t = TestStore::new().await;
    let chat = t.chat("busy").await;
    let server = FaultServer::start().await;
    let svc = service(&t, &server.url());
    server.chat([answer("One.")]);
    let first = svc.send(chat.id, "Q", &()).await.unwrap();
    server.chat([Reply::sse([delta("Tw")]).ending(Ending::Stall)]);
    let task = {
        let svc = svc.clone();
        tokio::spawn(async move { svc.regenerate(chat.id, &()).await })
    };
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let tail = t.store.tail_messages(chat.id, 1).await.unwrap();
            if tail[0].id != first.id && svc.is_streaming(chat.id) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap();
    assert_eq!(
        svc.select_version(first.id).await.unwrap_err().code(),
        ErrorCode::Busy
    );
    assert_eq!(
        svc.regenerate(chat.id, &()).await.unwrap_err().code(),
        ErrorCode::Busy
    );
    assert_eq!(
        svc.continue_reply(chat.id, &()).await.unwrap_err().code(),
        ErrorCode::Busy
    );
    svc.stop(chat.id);
    let cut = task.await.unwrap().unwrap();
    assert_eq!(cut.status, MessageStatus::Interrupted);
    // Stopped, the choice is free again.
    assert_eq!(svc.select_version(first.id).await.unwrap().id, first.id);
}

#[tokio::test]
async fn continue_appends_to_the_same_message_and_sends_it_as_the_answer_so_far() {
    let t = TestStore::new().await;
    let chat = t.chat("continue").await;
    let server = FaultServer::start().await;
    let svc = service(&t, &server.url());
    let tokens: Vec<String> = ["One, ", "two, "].iter().map(|s| delta(s)).collect();
    server.chat([Reply::sse(tokens).ending(Ending::Stall)]);
    let first_sink = Arc::new(Recorder::default());
    let task = {
        let (svc, sink) = (svc.clone(), first_sink.clone());
        tokio::spawn(async move { svc.send(chat.id, "Count to five", &*sink).await })
    };
    tokio::time::timeout(Duration::from_secs(5), async {
        while first_sink.text() != "One, two, " {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    svc.stop(chat.id);
    let cut = task.await.unwrap().unwrap();
    assert_eq!(cut.status, MessageStatus::Interrupted);
    assert_eq!(cut.content, "One, two, ");

    server.chat([Reply::sse([
        delta("three, "),
        delta("four, five."),
        finish("stop"),
        r#"data: {"choices":[],"usage":{"prompt_tokens":30,"completion_tokens":5}}"#.to_owned()
            + "\n\n",
        DONE.to_owned(),
    ])]);
    let sink = Recorder::default();
    let done = svc.continue_reply(chat.id, &sink).await.unwrap();
    assert_eq!(done.id, cut.id, "the same message grew");
    assert_eq!(done.status, MessageStatus::Complete);
    assert_eq!(done.content, "One, two, three, four, five.");
    assert_eq!(done.error, None);
    assert_eq!(t.store.message_count(chat.id).await.unwrap(), 2);
    match &sink.events()[0] {
        ChatEvent::Started { reply, hidden, .. } => {
            assert_eq!(reply.id, cut.id);
            assert_eq!(
                reply.content, "One, two, ",
                "the UI appends to the text it had"
            );
            assert_eq!(reply.status, MessageStatus::Streaming);
            assert!(hidden.is_empty());
        }
        other => panic!("expected started, got {other:?}"),
    }
    let body = &server.chat_requests()[1];
    let last = body["messages"].as_array().unwrap().last().unwrap();
    assert_eq!(
        last,
        &serde_json::json!({"role": "assistant", "content": "One, two, "})
    );
    assert_eq!(contents(body), ["Count to five", "One, two, "]);
}

#[tokio::test]
async fn continue_after_a_dropped_connection_and_after_a_failure_part_way() {
    let t = TestStore::new().await;
    let chat = t.chat("dropped").await;
    let server = FaultServer::start().await;
    let svc = service(&t, &server.url());
    server.chat([Reply::sse([delta("Once upon")]).ending(Ending::Drop)]);
    let cut = svc.send(chat.id, "A story?", &()).await.unwrap();
    assert_eq!(cut.status, MessageStatus::Interrupted);

    // The continuation drops too: the text grows and stays, marked interrupted again.
    server.chat([Reply::sse([delta(" a time")]).ending(Ending::Drop)]);
    let again = svc.continue_reply(chat.id, &()).await.unwrap();
    assert_eq!(
        (again.id, again.status),
        (cut.id, MessageStatus::Interrupted)
    );
    assert_eq!(again.content, "Once upon a time");

    // The server goes away: the reply fails, its text kept, and can be continued later.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let offline = service(&t, &dead);
    let failed = offline.continue_reply(chat.id, &()).await.unwrap();
    assert_eq!((failed.id, failed.status), (cut.id, MessageStatus::Error));
    assert_eq!(failed.content, "Once upon a time");
    assert!(failed.error.as_deref().unwrap().contains("no server at"));

    server.chat([answer(", there was a lighthouse.")]);
    let whole = svc.continue_reply(chat.id, &()).await.unwrap();
    assert_eq!((whole.id, whole.status), (cut.id, MessageStatus::Complete));
    assert_eq!(whole.content, "Once upon a time, there was a lighthouse.");
    let body = server.chat_requests().pop().unwrap();
    assert_eq!(contents(&body), ["A story?", "Once upon a time"]);

    let err = svc.continue_reply(chat.id, &()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::NothingToContinue);
}

#[tokio::test]
async fn edit_and_resend_replaces_the_question_and_keeps_the_old_answer_as_a_version() {
    let t = TestStore::new().await;
    let chat = t.chat("edit").await;
    let server = FaultServer::start().await;
    let svc = service(&t, &server.url());
    server.chat([answer("Berlin.")]);
    let old = svc.send(chat.id, "Capital of Germany?", &()).await.unwrap();
    let question = t.store.messages_before(chat.id, None, 10).await.unwrap()[0].clone();

    server.chat([answer("Paris.")]);
    let sink = Recorder::default();
    let new = svc
        .edit_and_resend(question.id, "Capital of France?", &sink)
        .await
        .unwrap();
    assert_eq!(new.content, "Paris.");
    assert_eq!(new.version_of, Some(old.id));
    assert_eq!(
        visible(&t.store, &chat).await,
        ["Capital of France?", "Paris."]
    );
    assert_eq!(contents(&server.chat_requests()[1]), ["Capital of France?"]);
    match &sink.events()[0] {
        ChatEvent::Started {
            user_message: Some(m),
            hidden,
            ..
        } => {
            assert_eq!(
                (m.id, m.content.as_str()),
                (question.id, "Capital of France?")
            );
            assert_eq!(hidden, &[old.id]);
        }
        other => panic!("expected started with the edited message, got {other:?}"),
    }
    let versions = t.store.reply_versions(new.id).await.unwrap();
    assert_eq!(versions.len(), 2);

    // Only the last question can be edited; bad text changes nothing.
    server.chat([answer("Lyon.")]);
    svc.send(chat.id, "Second city?", &()).await.unwrap();
    let err = svc
        .edit_and_resend(question.id, "Changed", &())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotLastMessage);
    let last_question = t.store.messages_before(chat.id, None, 10).await.unwrap()[2].clone();
    let err = svc
        .edit_and_resend(last_question.id, " ", &())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert_eq!(
        visible(&t.store, &chat).await,
        ["Capital of France?", "Paris.", "Second city?", "Lyon."]
    );
    assert!(
        !svc.is_streaming(chat.id),
        "a refused turn releases the chat"
    );
    assert_eq!(
        svc.edit_and_resend(MessageId(9999), "x", &())
            .await
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
}

#[tokio::test]
async fn a_regenerate_of_a_failed_reply_and_of_an_empty_chat() {
    let t = TestStore::new().await;
    let chat = t.chat("failed").await;
    let svc = service(&t, "http://127.0.0.1:9");
    assert_eq!(
        svc.regenerate(chat.id, &()).await.unwrap_err().code(),
        ErrorCode::NothingToRegenerate
    );
    assert!(!svc.is_streaming(chat.id));
    let failed = svc.send(chat.id, "Hi", &()).await.unwrap();
    assert_eq!(failed.status, MessageStatus::Error);
    let server = FaultServer::start().await;
    server.chat([answer("Hello!")]);
    let svc = service(&t, &server.url());
    let reply = svc.regenerate(chat.id, &()).await.unwrap();
    assert_eq!(reply.content, "Hello!");
    assert_eq!(visible(&t.store, &chat).await, ["Hi", "Hello!"]);
}

#[tokio::test]
async fn a_continued_reply_is_sent_last_even_when_older_turns_no_longer_fit() {
    let t = TestStore::new().await;
    let chat = t
        .store
        .create_conversation(confab_core::store::NewConversation {
            title: "tight".into(),
            params: serde_json::json!({"context_length": 400, "max_tokens": 64, "memory": "window"}),
            ..Default::default()
        })
        .await
        .unwrap();
    for i in 0..10 {
        t.say(&chat, &format!("question {i} {}", "words ".repeat(30)))
            .await;
        reply(&t, &chat, MessageStatus::Complete, &"answer ".repeat(30)).await;
    }
    t.say(&chat, "The last question").await;
    reply(&t, &chat, MessageStatus::Interrupted, "The partial answer").await;

    let server = FaultServer::start().await;
    server.chat([answer(" goes on.")]);
    let svc = service(&t, &server.url());
    let done = svc.continue_reply(chat.id, &()).await.unwrap();
    assert_eq!(done.content, "The partial answer goes on.");
    let sent = contents(&server.chat_requests()[0]);
    assert!(sent.len() < 10, "older turns were left out: {sent:?}");
    assert_eq!(
        sent[sent.len() - 2..],
        ["The last question", "The partial answer"]
    );
}

#[tokio::test]
async fn a_server_that_echoes_the_answer_so_far_does_not_double_it() {
    let t = TestStore::new().await;
    let chat = t.chat("echo").await;
    t.say(&chat, "Count to five").await;
    let cut = reply(&t, &chat, MessageStatus::Interrupted, "One, two,").await;
    let server = FaultServer::start().await;
    // As llama.cpp's server streams a continuation: the prefill again, then what follows.
    server.chat([Reply::sse([
        delta("One, two, three"),
        delta(", four, five."),
        DONE.to_owned(),
    ])]);
    let sink = Recorder::default();
    let done = service(&t, &server.url())
        .continue_reply(chat.id, &sink)
        .await
        .unwrap();
    assert_eq!(done.id, cut.id);
    assert_eq!(done.content, "One, two, three, four, five.");
    assert_eq!(
        sink.text(),
        " three, four, five.",
        "the UI gets only the new text"
    );
}

#[tokio::test]
async fn a_reply_cut_at_its_token_limit_can_be_continued() {
    let t = TestStore::new().await;
    let chat = t.chat("length").await;
    let server = FaultServer::start().await;
    let svc = service(&t, &server.url());
    server.chat([Reply::sse([
        delta("The first half"),
        finish("length"),
        DONE.to_owned(),
    ])]);
    let cut = svc.send(chat.id, "Write a long poem", &()).await.unwrap();
    assert_eq!(cut.status, MessageStatus::Complete);
    assert_eq!(cut.finish_reason.as_deref(), Some("length"));
    assert!(cut.hit_length_limit());
    assert_eq!(
        t.store
            .get_message(cut.id)
            .await
            .unwrap()
            .finish_reason
            .as_deref(),
        Some("length"),
        "saved"
    );

    server.chat([Reply::sse([
        delta(" and the second."),
        finish("stop"),
        DONE.to_owned(),
    ])]);
    let whole = svc.continue_reply(chat.id, &()).await.unwrap();
    assert_eq!(whole.id, cut.id);
    assert_eq!(whole.content, "The first half and the second.");
    assert_eq!(whole.finish_reason.as_deref(), Some("stop"));
    // Now it ended by itself: nothing more to continue.
    let err = svc.continue_reply(chat.id, &()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::NothingToContinue);
}
