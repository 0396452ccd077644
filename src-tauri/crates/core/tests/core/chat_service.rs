//! The chat service against a scripted server: nothing is lost, whatever the server does.

use std::time::Duration;

use confab_core::chat::{ChatEvent, ServiceUpdate, TITLE_INSTRUCTIONS};
use confab_core::error::{Coded, ErrorCode};
use confab_core::store::{MessageStatus, NewConversation, Role, TitleSource};
use confab_test_support::fault::{completion, delta, finish, Ending, FaultServer, Reply, DONE};
use confab_test_support::store::TestStore;

use crate::harness::{service, Recorder};

#[tokio::test]
async fn a_reply_streams_into_the_database_and_the_sink() {
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    server.chat([Reply::sse([
        delta("The capital"),
        delta(" is Paris."),
        finish("stop"),
        r#"data: {"model":"smol","choices":[],"usage":{"prompt_tokens":20,"completion_tokens":6}}"#
            .to_owned()
            + "\n\n",
        DONE.to_owned(),
    ])]);
    let chat = t
        .store
        .create_conversation(NewConversation {
            title: "France".into(),
            system_prompt: "Be brief.".into(),
            model: Some("smol".into()),
            params: serde_json::json!({"temperature": 0.3, "max_tokens": 64}),
            project_id: None,
        })
        .await
        .unwrap();
    let svc = service(&t, &server.url());
    let sink = Recorder::default();
    let reply = svc
        .send(chat.id, "What is the capital of France?", &sink)
        .await
        .unwrap();

    assert_eq!(reply.status, MessageStatus::Complete);
    assert_eq!(reply.content, "The capital is Paris.");
    assert_eq!(
        (reply.prompt_tokens, reply.completion_tokens),
        (Some(20), Some(6))
    );
    assert_eq!(sink.text(), "The capital is Paris.");
    let events = sink.events();
    assert!(
        matches!(&events[0], ChatEvent::Started { user_message: Some(m), .. } if m.role == Role::User)
    );
    assert!(
        matches!(events.last(), Some(ChatEvent::Done { message, .. }) if message.id == reply.id)
    );

    let saved = t.store.tail_messages(chat.id, 10).await.unwrap();
    assert_eq!(saved.len(), 2);
    assert_eq!(saved[0].content, "What is the capital of France?");
    assert_eq!(saved[1], reply);

    let body = &server.chat_requests()[0];
    assert_eq!(
        body["messages"][0],
        serde_json::json!({"role": "system", "content": "Be brief."})
    );
    assert_eq!(
        body["messages"][1]["content"],
        "What is the capital of France?"
    );
    assert_eq!(body["model"], "smol");
    assert_eq!(body["max_tokens"], 64);
    assert!((body["temperature"].as_f64().unwrap() - 0.3).abs() < 1e-6);

    // The next turn carries the whole conversation.
    server.chat([Reply::sse([delta("Lyon."), DONE.to_owned()])]);
    svc.send(chat.id, "And the third largest city?", &())
        .await
        .unwrap();
    let body = &server.chat_requests()[1];
    let contents: Vec<&str> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        contents,
        [
            "Be brief.",
            "What is the capital of France?",
            "The capital is Paris.",
            "And the third largest city?"
        ]
    );
}

#[tokio::test]
async fn the_question_is_saved_even_when_no_server_answers() {
    let t = TestStore::new().await;
    let chat = t.chat("offline").await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let sink = Recorder::default();
    let reply = service(&t, &url)
        .send(chat.id, "Anyone there?", &sink)
        .await
        .unwrap();
    assert_eq!(reply.status, MessageStatus::Error);
    assert!(
        reply.error.as_deref().unwrap().contains("no server at"),
        "{reply:?}"
    );
    let saved = t.store.tail_messages(chat.id, 10).await.unwrap();
    assert_eq!(saved[0].content, "Anyone there?");
    assert_eq!(
        t.store.get_conversation(chat.id).await.unwrap().title,
        "offline",
        "a named chat keeps its name"
    );
    assert!(
        matches!(sink.events().last(), Some(ChatEvent::Error { code, .. }) if *code == ErrorCode::Unreachable)
    );
}

#[tokio::test]
async fn a_lost_connection_keeps_the_partial_reply_marked_interrupted() {
    let t = TestStore::new().await;
    let chat = t.chat("dropped").await;
    let server = FaultServer::start().await;
    server.chat([Reply::sse([delta("Once upon"), delta(" a time")]).ending(Ending::Drop)]);
    let reply = service(&t, &server.url())
        .send(chat.id, "A story?", &())
        .await
        .unwrap();
    assert_eq!(reply.status, MessageStatus::Interrupted);
    assert_eq!(reply.content, "Once upon a time");
    assert!(reply.error.is_some());
}

#[tokio::test]
async fn a_growing_reply_is_saved_while_it_streams_and_stop_keeps_it() {
    let t = TestStore::new().await;
    let chat = t.chat("long").await;
    let server = FaultServer::start().await;
    let tokens: Vec<String> = (0..400).map(|i| delta(&format!("w{i} "))).collect();
    server.chat([Reply::sse(tokens)
        .paced(Duration::from_millis(5))
        .ending(Ending::Stall)]);
    let svc = service(&t, &server.url());
    let task = {
        let svc = svc.clone();
        tokio::spawn(async move { svc.send(chat.id, "Go", &()).await })
    };
    // Poll the database, as a second front end would, until the reply has been saved mid-stream.
    let store = t.store.clone();
    let partial = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let tail = store.tail_messages(chat.id, 1).await.unwrap();
            if let Some(m) = tail
                .first()
                .filter(|m| m.role == Role::Assistant && !m.content.is_empty())
            {
                assert_eq!(m.status, MessageStatus::Streaming);
                return m.content.clone();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the growing reply reaches the database while streaming");
    assert!(partial.starts_with("w0 w1 "));
    assert!(svc.is_streaming(chat.id));
    assert!(svc.stop(chat.id));
    let reply = task.await.unwrap().unwrap();
    assert_eq!(reply.status, MessageStatus::Interrupted);
    assert!(reply.content.len() >= partial.len() && reply.content.starts_with(&partial));
    assert!(
        server.client_disconnected(Duration::from_secs(1)).await,
        "stop closed the request"
    );
    assert!(!svc.is_streaming(chat.id));
    assert!(!svc.stop(chat.id), "nothing left to stop");
}

#[tokio::test]
async fn one_reply_per_chat_but_chats_stream_side_by_side() {
    let t = TestStore::new().await;
    let a = t.chat("a").await;
    let b = t.chat("b").await;
    let server = FaultServer::start().await;
    server.chat([Reply::sse([delta("x")]).ending(Ending::Stall)]);
    let svc = service(&t, &server.url());
    let spawn = |id| {
        let svc = svc.clone();
        tokio::spawn(async move { svc.send(id, "hi", &()).await })
    };
    let ta = spawn(a.id);
    let tb = spawn(b.id);
    tokio::time::timeout(Duration::from_secs(5), async {
        // Both questions and both streaming replies are saved: the two chats stream at once.
        loop {
            let (na, nb) = (
                t.store.message_count(a.id).await.unwrap(),
                t.store.message_count(b.id).await.unwrap(),
            );
            if na == 2 && nb == 2 && svc.is_streaming(a.id) && svc.is_streaming(b.id) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    let err = svc.send(a.id, "again", &()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Busy);
    assert_eq!(
        t.store.message_count(a.id).await.unwrap(),
        2,
        "the refused message was not saved"
    );
    svc.stop(a.id);
    svc.stop(b.id);
    for task in [ta, tb] {
        assert_eq!(
            task.await.unwrap().unwrap().status,
            MessageStatus::Interrupted
        );
    }
}

#[tokio::test]
async fn respond_continues_after_an_interrupted_reply() {
    let t = TestStore::new().await;
    let chat = t.chat("again").await;
    let server = FaultServer::start().await;
    server.chat([Reply::sse([delta("Half")]).ending(Ending::Drop)]);
    let svc = service(&t, &server.url());
    svc.send(chat.id, "Tell me", &()).await.unwrap();
    server.chat([Reply::sse([delta("Whole."), DONE.to_owned()])]);
    let reply = svc.respond(chat.id, &()).await.unwrap();
    assert_eq!(reply.status, MessageStatus::Complete);
    let body = &server.chat_requests()[1];
    let last = body["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last,
        serde_json::json!({"role": "assistant", "content": "Half"})
    );
}

#[tokio::test]
async fn a_new_chat_is_named_after_its_first_message() {
    let t = TestStore::new().await;
    let chat = t
        .store
        .create_conversation(NewConversation::default())
        .await
        .unwrap();
    assert_eq!(chat.title, "New chat");
    let server = FaultServer::start().await;
    server.chat([Reply::sse([delta("Sure."), DONE.to_owned()])]);
    let sink = Recorder::default();
    service(&t, &server.url())
        .send(chat.id, "Plan a trip to Oslo\nin May", &sink)
        .await
        .unwrap();
    assert_eq!(
        t.store.get_conversation(chat.id).await.unwrap().title,
        "Plan a trip to Oslo"
    );
    assert!(
        matches!(&sink.events()[0], ChatEvent::Started { conversation, .. } if conversation.title == "Plan a trip to Oslo")
    );
}

#[tokio::test]
async fn bad_input_changes_nothing() {
    let t = TestStore::new().await;
    let chat = t.chat("strict").await;
    let svc = service(&t, "http://127.0.0.1:9");
    assert_eq!(
        svc.send(chat.id, "   ", &()).await.unwrap_err().code(),
        ErrorCode::InvalidInput
    );
    assert_eq!(
        svc.send(confab_core::store::ConversationId(999), "hi", &())
            .await
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
    assert_eq!(t.store.message_count(chat.id).await.unwrap(), 0);
}

#[tokio::test]
async fn reasoning_is_kept_beside_the_reply_and_never_sent_back() {
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    server.chat([
        Reply::sse([
            confab_test_support::fault::reasoning("The user wants a number. "),
            confab_test_support::fault::reasoning("Seven is prime."),
            delta("Seven."),
            DONE.to_owned(),
        ]),
        Reply::sse([delta("Eight."), DONE.to_owned()]),
    ]);
    let chat = t.chat("Numbers").await;
    let svc = service(&t, &server.url());
    let sink = Recorder::default();
    let reply = svc.send(chat.id, "Pick a prime.", &sink).await.unwrap();
    assert_eq!(reply.content, "Seven.");
    assert_eq!(reply.reasoning, "The user wants a number. Seven is prime.");
    let stored = t.store.get_message(reply.id).await.unwrap();
    assert_eq!(stored.reasoning, reply.reasoning);

    svc.send(chat.id, "Another?", &Recorder::default())
        .await
        .unwrap();
    let second = server.chat_requests().pop().unwrap();
    let sent = second.to_string();
    assert!(sent.contains("Seven."), "the reply is history: {sent}");
    assert!(
        !sent.contains("Seven is prime"),
        "its reasoning is not: {sent}"
    );
}

async fn new_chat(t: &TestStore) -> confab_core::store::Conversation {
    t.store
        .create_conversation(NewConversation::default())
        .await
        .unwrap()
}

fn sse_answer(text: &str) -> Reply {
    Reply::sse([delta(text), finish("stop"), DONE.to_owned()])
}

#[tokio::test]
async fn the_model_names_a_chat_after_its_first_reply() {
    let t = TestStore::new().await;
    let chat = new_chat(&t).await;
    let server = FaultServer::start().await;
    server.chat([sse_answer("Take the night train."), sse_answer("In May.")]);
    server.titles([completion("Title: \"Night Train to Oslo.\"")]);
    let svc = service(&t, &server.url());
    let mut updates = svc.updates();

    svc.send(chat.id, "How do I get to Oslo from Berlin?", &())
        .await
        .unwrap();
    svc.background_idle().await;
    let named = t.store.get_conversation(chat.id).await.unwrap();
    assert_eq!(named.title, "Night Train to Oslo");
    assert_eq!(named.title_source, TitleSource::Model);
    assert_eq!(
        updates.try_recv().unwrap(),
        ServiceUpdate::Retitled {
            conversation: Box::new(named.clone())
        }
    );

    // The request carried the first question and answer, and nothing of it reached the chat's
    // own script.
    let asked = server.title_requests();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0]["messages"][0]["content"], TITLE_INSTRUCTIONS);
    let prompt = asked[0]["messages"][1]["content"].as_str().unwrap();
    assert!(
        prompt.contains("How do I get to Oslo from Berlin?"),
        "{prompt}"
    );
    assert!(prompt.contains("Take the night train."), "{prompt}");
    assert!(asked[0]["max_tokens"].as_u64().unwrap() <= 64);
    assert_eq!(asked[0]["stream"], false);

    // Later replies leave the model's title alone and ask nothing more.
    svc.send(chat.id, "When?", &()).await.unwrap();
    svc.background_idle().await;
    assert_eq!(server.title_requests().len(), 1);
    assert_eq!(server.chat_requests().len(), 2);
    assert_eq!(
        t.store.get_conversation(chat.id).await.unwrap().title,
        "Night Train to Oslo"
    );
}

#[tokio::test]
async fn the_users_title_wins_over_a_late_model_title() {
    let t = TestStore::new().await;
    let chat = new_chat(&t).await;
    let server = FaultServer::start().await;
    server.chat([sse_answer("Sure.")]);
    server.titles([completion("Model Title").paced(Duration::from_millis(400))]);
    let svc = service(&t, &server.url());
    svc.send(chat.id, "Plan a trip", &()).await.unwrap();
    // Once the title request is on its way, the user renames the chat.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while server.title_requests().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no title request");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    t.store
        .rename_conversation(chat.id, "My trip")
        .await
        .unwrap();
    svc.background_idle().await;
    assert_eq!(server.title_requests().len(), 1);
    let chat = t.store.get_conversation(chat.id).await.unwrap();
    assert_eq!(
        (chat.title.as_str(), chat.title_source),
        ("My trip", TitleSource::User)
    );
}

#[tokio::test]
async fn a_failing_title_keeps_the_first_question_and_is_asked_twice_at_most() {
    let t = TestStore::new().await;
    let chat = new_chat(&t).await;
    let server = FaultServer::start().await;
    server.chat([sse_answer("One.")]);
    // Title requests are not scripted: the server answers 404.
    let svc = service(&t, &server.url());
    for question in ["Count with me", "Again", "And again"] {
        svc.send(chat.id, question, &()).await.unwrap();
        svc.background_idle().await;
    }
    assert_eq!(server.title_requests().len(), 2);
    let chat = t.store.get_conversation(chat.id).await.unwrap();
    assert_eq!(
        (chat.title.as_str(), chat.title_source),
        ("Count with me", TitleSource::FirstMessage)
    );

    // An answer with no usable title is a failure too.
    let other = new_chat(&t).await;
    server.titles([completion("<think>Hmm, the user wants")]);
    assert!(matches!(
        svc.name_by_model(other.id).await,
        Ok(None) // no first answer yet: nothing asked
    ));
    svc.send(other.id, "Hello there", &()).await.unwrap();
    svc.background_idle().await;
    assert_eq!(
        t.store.get_conversation(other.id).await.unwrap().title,
        "Hello there"
    );
}

/// A small model's "title" that is the start of an answer (the demo model's own, for "What is
/// the capital of France?") is not used: the question's title stays, and the model is not asked
/// again in this process.
#[tokio::test]
async fn an_answer_for_a_title_leaves_the_questions_title() {
    let t = TestStore::new().await;
    let chat = new_chat(&t).await;
    let server = FaultServer::start().await;
    server.chat([sse_answer("Paris."), sse_answer("About two million.")]);
    server.titles([completion(
        "Bien sûr, the capital of France is Paris, France, a city steeped in history and culture.",
    )]);
    let svc = service(&t, &server.url());
    svc.send(chat.id, "What is the capital of France?", &())
        .await
        .unwrap();
    svc.background_idle().await;
    let err = svc.name_by_model(chat.id).await.unwrap_err();
    assert!(err.to_string().contains("reads as a reply"), "{err}");
    svc.send(chat.id, "How many people live there?", &())
        .await
        .unwrap();
    svc.background_idle().await;
    let named = t.store.get_conversation(chat.id).await.unwrap();
    assert_eq!(
        (named.title.as_str(), named.title_source),
        ("What is the capital of France?", TitleSource::FirstMessage)
    );
    assert_eq!(
        server.title_requests().len(),
        2,
        "the background asked once (and this test once more), not after the second reply"
    );
}

#[tokio::test]
async fn no_title_is_asked_for_after_a_failed_reply_or_when_turned_off() {
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    server.chat([Reply::sse([delta("Half")]).ending(Ending::Drop)]);
    server.titles([completion("Never")]);
    let svc = service(&t, &server.url());
    let chat = new_chat(&t).await;
    let reply = svc.send(chat.id, "Tell me", &()).await.unwrap();
    assert_eq!(reply.status, MessageStatus::Interrupted);
    svc.background_idle().await;
    assert!(server.title_requests().is_empty());

    confab_core::settings::AppSettings {
        model_titles: false,
        ..Default::default()
    }
    .save(&t.store)
    .await
    .unwrap();
    server.chat([sse_answer("Fine.")]);
    let chat = new_chat(&t).await;
    svc.send(chat.id, "Keep my title", &()).await.unwrap();
    svc.background_idle().await;
    assert!(server.title_requests().is_empty());
    assert_eq!(
        t.store.get_conversation(chat.id).await.unwrap().title,
        "Keep my title"
    );
}
