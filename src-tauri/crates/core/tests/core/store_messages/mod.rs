//! Messages in the store against real SQLite files: a reply streaming then finishing, deleting,
//! full-text search, refused input, crash recovery, summaries, settings and concurrent writers.

mod pages;

use confab_core::error::{Coded, ErrorCode};
use confab_core::store::{
    ConversationId, Ending, Finish, MessageId, MessageStatus, NewMessage, NewSummary, Role,
    SearchQuery, Store, StoreError, MAX_CONTENT_BYTES,
};
use confab_test_support::store::TestStore;

fn finish(status: MessageStatus, content: &str) -> Finish {
    Finish {
        finish_reason: None,
        stats: Default::default(),
        ended: match status {
            MessageStatus::Complete => Ending::Stop,
            MessageStatus::Error => Ending::Failed,
            _ => Ending::Interrupted,
        },
        content: content.into(),
        error: None,
        prompt_tokens: Some(12),
        completion_tokens: Some(3),
        model: None,
    }
}

#[tokio::test]
async fn a_reply_streams_then_finishes() {
    let t = TestStore::new().await;
    let chat = t.chat("stream").await;
    let question = t.say(&chat, "What is the capital of France?").await;
    assert_eq!(question.role, Role::User);
    assert_eq!(question.status, MessageStatus::Complete);
    assert!(question.completed_at.is_some());

    t.tick();
    let reply = t
        .store
        .append_message(chat.id, NewMessage::streaming_reply(Some("smollm2".into())))
        .await
        .unwrap();
    assert_eq!(reply.status, MessageStatus::Streaming);
    assert_eq!(reply.content, "");
    assert!(reply.completed_at.is_none());
    assert!(reply.id > question.id);

    t.store
        .update_streaming_content(reply.id, "The capital")
        .await
        .unwrap();
    assert_eq!(
        t.store.get_message(reply.id).await.unwrap().content,
        "The capital"
    );
    t.tick();
    let done = t
        .store
        .finish_message(
            reply.id,
            finish(MessageStatus::Complete, "The capital is Paris."),
        )
        .await
        .unwrap();
    assert_eq!(done.status, MessageStatus::Complete);
    assert_eq!(done.content, "The capital is Paris.");
    assert_eq!(
        done.model.as_deref(),
        Some("smollm2"),
        "kept from the start"
    );
    assert_eq!(
        (done.prompt_tokens, done.completion_tokens),
        (Some(12), Some(3))
    );
    assert!(done.completed_at.unwrap() > done.created_at);
    let chat_after = t.store.get_conversation(chat.id).await.unwrap();
    assert_eq!(
        chat_after.updated_at,
        done.completed_at.unwrap(),
        "finishing is activity"
    );

    // A finished reply is no longer writable as a stream, nor finishable twice.
    let err = t
        .store
        .update_streaming_content(reply.id, "late")
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    let err = t
        .store
        .finish_message(reply.id, finish(MessageStatus::Error, "x"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already complete"), "{err}");
    assert_eq!(t.store.get_message(reply.id).await.unwrap(), done);
}

#[tokio::test]
async fn a_failed_reply_keeps_its_error() {
    let t = TestStore::new().await;
    let chat = t.chat("fail").await;
    t.say(&chat, "hello").await;
    let reply = t.start_reply(&chat).await;
    let failed = t
        .store
        .finish_message(
            reply.id,
            Finish {
                finish_reason: None,
                error: Some("no server at http://localhost:1234".into()),
                ..finish(MessageStatus::Error, "")
            },
        )
        .await
        .unwrap();
    assert_eq!(failed.status, MessageStatus::Error);
    assert_eq!(
        failed.error.as_deref(),
        Some("no server at http://localhost:1234")
    );
    let err = t
        .store
        .finish_message(reply.id, finish(MessageStatus::Streaming, ""))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
}

#[tokio::test]
async fn deleting_a_conversation_removes_its_messages_summaries_and_search_entries() {
    let t = TestStore::new().await;
    let doomed = t.chat("doomed").await;
    let kept = t.chat("kept").await;
    let m = t.say(&doomed, "the zebra crossing").await;
    t.say(&kept, "a zebra in the zoo").await;
    t.store
        .save_summary(NewSummary {
            conversation_id: doomed.id,
            content: "They talked about zebras.".into(),
            covers_through_message_id: m.id,
            token_count: Some(6),
            model: None,
            edited_by_user: false,
        })
        .await
        .unwrap();
    assert_eq!(
        t.store
            .search(&SearchQuery::text("zebra"))
            .await
            .unwrap()
            .hits
            .len(),
        2
    );

    t.store.delete_conversation(doomed.id).await.unwrap();
    assert!(matches!(
        t.store.get_message(m.id).await,
        Err(StoreError::NotFound {
            entity: "message",
            ..
        })
    ));
    assert!(matches!(
        t.store.latest_summary(doomed.id).await,
        Err(StoreError::NotFound { .. })
    ));
    let hits = t
        .store
        .search(&SearchQuery::text("zebra"))
        .await
        .unwrap()
        .hits;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].conversation_id, kept.id);
    assert_eq!(t.store.message_count(kept.id).await.unwrap(), 1);
}

#[tokio::test]
async fn full_text_search_finds_words_in_any_script_with_snippets() {
    let t = TestStore::new().await;
    let chat = t.chat("polyglot").await;
    t.say(&chat, "The quick brown fox jumps over the lazy dog")
        .await;
    t.say(&chat, "Die Größe der Straße ist überraschend").await;
    t.say(&chat, "Москва — столица России").await;
    t.say(&chat, "東京タワーに行きました").await;
    let reply = t.start_reply(&chat).await;
    t.store
        .update_streaming_content(reply.id, "A streaming reply mentions aardvarks")
        .await
        .unwrap();

    let first = |q: &str| {
        let store = t.store.clone();
        let q = q.to_owned();
        async move { store.search(&SearchQuery::text(q)).await.unwrap().hits }
    };
    let hits = first("brown fox").await;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].conversation_title, "polyglot");
    assert_eq!(hits[0].role, Role::User);
    let snippet = &hits[0].snippet;
    let [start, end] = snippet.highlights[0];
    let units: Vec<u16> = snippet.text.encode_utf16().collect();
    assert_eq!(
        String::from_utf16(&units[start as usize..end as usize]).unwrap(),
        "brown",
        "{snippet:?}"
    );
    assert_eq!(first("QUICK").await.len(), 1, "case-insensitive");
    assert_eq!(first("Größe").await.len(), 1);
    assert_eq!(first("Straße").await.len(), 1);
    assert_eq!(first("столица").await.len(), 1);
    assert_eq!(first("東京タワー").await.len(), 1);
    assert_eq!(
        first("aardvark").await.len(),
        1,
        "streamed text is searchable"
    );
    assert!(first("brown cat").await.is_empty(), "every word must match");

    // What people type never becomes FTS syntax.
    for hostile in [
        r#"""#,
        r#"fox""#,
        "fox*",
        "NEAR(fox dog)",
        "fox OR",
        "AND fox",
        "col:fox",
        "^fox",
    ] {
        let result = t.store.search(&SearchQuery::text(hostile)).await;
        assert!(
            !matches!(result, Err(StoreError::Storage(_))),
            "{hostile:?} must not reach SQLite as syntax: {result:?}"
        );
    }
    for empty in ["", "   "] {
        assert_eq!(
            t.store
                .search(&SearchQuery::text(empty))
                .await
                .unwrap_err()
                .code(),
            ErrorCode::InvalidInput
        );
    }
}

#[tokio::test]
async fn bad_messages_are_refused_and_change_nothing() {
    let t = TestStore::new().await;
    let chat = t.chat("strict").await;
    let before = t.store.get_conversation(chat.id).await.unwrap();
    t.tick();

    for content in ["", "  \n "] {
        let err = t
            .store
            .append_message(chat.id, NewMessage::user(content))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
    }
    let huge = "x".repeat(MAX_CONTENT_BYTES + 1);
    let err = t
        .store
        .append_message(chat.id, NewMessage::user(huge.clone()))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("limit is 1.0 MB"), "{err}");
    let err = t
        .store
        .append_message(
            chat.id,
            NewMessage {
                role: Role::User,
                content: "hi".into(),
                status: MessageStatus::Streaming,
                model: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);

    let reply = t.start_reply(&chat).await;
    let err = t
        .store
        .update_streaming_content(reply.id, &huge)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert_eq!(t.store.get_message(reply.id).await.unwrap().content, "");
    assert_eq!(t.store.message_count(chat.id).await.unwrap(), 1);
    // Only the valid append moved the conversation.
    assert!(t.store.get_conversation(chat.id).await.unwrap().updated_at > before.updated_at);
}

#[tokio::test]
async fn a_failed_multi_step_write_leaves_nothing_behind() {
    let t = TestStore::new().await;
    let chat = t.chat("gone soon").await;
    t.store.delete_conversation(chat.id).await.unwrap();
    let err = t
        .store
        .append_message(chat.id, NewMessage::user("into the void"))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        StoreError::NotFound {
            entity: "conversation",
            ..
        }
    ));
    assert!(t
        .store
        .search(&SearchQuery::text("void"))
        .await
        .unwrap()
        .hits
        .is_empty());

    // A summary pointing at another conversation's message is refused whole.
    let a = t.chat("a").await;
    let b = t.chat("b").await;
    let in_b = t.say(&b, "belongs to b").await;
    let err = t
        .store
        .save_summary(NewSummary {
            conversation_id: a.id,
            content: "wrong".into(),
            covers_through_message_id: in_b.id,
            token_count: None,
            model: None,
            edited_by_user: false,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(t.store.summaries(a.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn unknown_message_and_conversation_ids_are_not_found() {
    let t = TestStore::new().await;
    let ghost = ConversationId(99);
    let no_msg = MessageId(77);
    let nf = |r: Result<(), StoreError>| assert_eq!(r.unwrap_err().code(), ErrorCode::NotFound);
    nf(t.store.get_message(no_msg).await.map(drop));
    nf(t.store.update_streaming_content(no_msg, "x").await);
    nf(t.store
        .finish_message(no_msg, finish(MessageStatus::Complete, "x"))
        .await
        .map(drop));
    nf(t.store.messages_before(ghost, None, 10).await.map(drop));
    nf(t.store.tail_within(ghost, 100).await.map(drop));
    nf(t.store.message_count(ghost).await.map(drop));
    nf(t.store.latest_summary(ghost).await.map(drop));
    nf(t.store.summaries(ghost).await.map(drop));
    nf(t.store
        .append_message(ghost, NewMessage::user("x"))
        .await
        .map(drop));
}

#[tokio::test]
async fn replies_left_streaming_by_a_crash_become_interrupted_with_their_text() {
    let t = TestStore::new().await;
    let chat = t.chat("crash").await;
    t.say(&chat, "tell me a story").await;
    let reply = t.start_reply(&chat).await;
    t.store
        .update_streaming_content(reply.id, "Once upon a")
        .await
        .unwrap();
    let path = t.dir.path().join("confab.db");
    t.store.close().await;

    let reopened = Store::open(&path).await.unwrap();
    assert_eq!(reopened.mark_streaming_interrupted().await.unwrap(), 1);
    let after = reopened.get_message(reply.id).await.unwrap();
    assert_eq!(after.status, MessageStatus::Interrupted);
    assert_eq!(after.content, "Once upon a");
    assert!(after.error.is_some() && after.completed_at.is_some());
    assert_eq!(reopened.mark_streaming_interrupted().await.unwrap(), 0);
}

#[tokio::test]
async fn summaries_keep_their_history() {
    let t = TestStore::new().await;
    let chat = t.chat("summaries").await;
    assert!(t.store.latest_summary(chat.id).await.unwrap().is_none());
    let m1 = t.say(&chat, "My name is Ada and I live in Oslo.").await;
    let m2 = t.say(&chat, "I prefer short answers.").await;
    let new = |content: &str, through: MessageId, edited: bool| NewSummary {
        conversation_id: chat.id,
        content: content.into(),
        covers_through_message_id: through,
        token_count: Some(9),
        model: Some("smollm2".into()),
        edited_by_user: edited,
    };
    let s1 = t
        .store
        .save_summary(new("Ada lives in Oslo.", m1.id, false))
        .await
        .unwrap();
    t.tick();
    let s2 = t
        .store
        .save_summary(new("Ada (Oslo) prefers short answers.", m2.id, true))
        .await
        .unwrap();
    assert_eq!(
        t.store.latest_summary(chat.id).await.unwrap(),
        Some(s2.clone())
    );
    assert!(s2.edited_by_user && !s1.edited_by_user);
    assert_eq!(t.store.summaries(chat.id).await.unwrap(), [s1, s2]);
    let err = t
        .store
        .save_summary(new("  ", m2.id, false))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
}

#[tokio::test]
async fn settings_round_trip() {
    let t = TestStore::new().await;
    assert_eq!(t.store.get_setting::<String>("theme").await.unwrap(), None);
    t.store.set_setting("theme", "dark").await.unwrap();
    t.store
        .set_setting(
            "endpoint",
            &serde_json::json!({"base_url": "http://localhost:1234"}),
        )
        .await
        .unwrap();
    t.store.set_setting("theme", "light").await.unwrap();
    assert_eq!(
        t.store
            .get_setting::<String>("theme")
            .await
            .unwrap()
            .as_deref(),
        Some("light")
    );
    let endpoint: serde_json::Value = t.store.get_setting("endpoint").await.unwrap().unwrap();
    assert_eq!(endpoint["base_url"], "http://localhost:1234");
    assert_eq!(
        t.store
            .get_setting::<u32>("theme")
            .await
            .unwrap_err()
            .code(),
        ErrorCode::InvalidInput
    );
    assert_eq!(
        t.store.set_setting(" ", &1).await.unwrap_err().code(),
        ErrorCode::InvalidInput
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_never_see_a_busy_database() {
    let t = TestStore::new().await;
    let path = t.dir.path().join("confab.db");
    // A second handle on the same file, as the CLI and the app would have.
    let other = Store::open(&path).await.unwrap();
    let chat = t.chat("busy").await;
    let mut tasks = Vec::new();
    for writer in 0..8 {
        let store = if writer % 2 == 0 {
            t.store.clone()
        } else {
            other.clone()
        };
        tasks.push(tokio::spawn(async move {
            for i in 0..100 {
                store
                    .append_message(
                        chat.id,
                        NewMessage::user(format!("writer {writer} line {i}")),
                    )
                    .await?;
            }
            Ok::<_, StoreError>(())
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(t.store.message_count(chat.id).await.unwrap(), 800);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mixed_concurrent_writes_from_two_handles_never_fail_busy() {
    let t = TestStore::new().await;
    let other = Store::open(&t.dir.path().join("confab.db")).await.unwrap();
    let mut tasks = Vec::new();
    for writer in 0..6 {
        let store = if writer % 2 == 0 {
            t.store.clone()
        } else {
            other.clone()
        };
        tasks.push(tokio::spawn(async move {
            let chat = store
                .create_conversation(confab_core::store::NewConversation::default())
                .await?;
            for i in 0..40 {
                let question = store
                    .append_message(chat.id, NewMessage::user(format!("q{i}")))
                    .await?;
                let reply = store
                    .append_message(chat.id, NewMessage::streaming_reply(None))
                    .await?;
                store.update_streaming_content(reply.id, "partial").await?;
                store
                    .finish_message(reply.id, finish(MessageStatus::Complete, "answer"))
                    .await?;
                store
                    .save_summary(NewSummary {
                        conversation_id: chat.id,
                        content: format!("through {i}"),
                        covers_through_message_id: question.id,
                        token_count: None,
                        model: None,
                        edited_by_user: false,
                    })
                    .await?;
                store
                    .update_conversation_settings(
                        chat.id,
                        confab_core::store::ConversationSettings {
                            system_prompt: Some(format!("v{i}")),
                            ..Default::default()
                        },
                    )
                    .await?;
            }
            Ok::<_, StoreError>(chat.id)
        }));
    }
    for task in tasks {
        let id = task.await.unwrap().unwrap();
        assert_eq!(t.store.message_count(id).await.unwrap(), 80);
        assert_eq!(t.store.summaries(id).await.unwrap().len(), 40);
    }
}
