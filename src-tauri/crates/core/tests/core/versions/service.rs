//! Versions through the chat service against a scripted server: regenerate, switch, continue and
//! edit-and-resend, what the next request carries after each, and what is refused while a reply
//! streams.

use std::sync::Arc;
use std::time::Duration;

use confab_core::chat::ChatEvent;
use confab_core::store::{MessageId, MessageStatus};
use confab_test_support::fault::{delta, finish, Ending, FaultServer, Reply, DONE};
use confab_test_support::store::TestStore;

use super::{answer, contents, reply, visible};
use crate::harness::{service, Recorder};
use confab_core::error::{Coded, ErrorCode};

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
            project_id: None,
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
