//! Versions in the store against real SQLite files: a regenerated reply's earlier versions, which
//! reply may be regenerated or switched, resuming a cut reply, editing the last question, and the
//! upgrade of a database from before versions.

use confab_core::store::{Ending, Finish, MessageStatus, Store};
use confab_test_support::store::TestStore;

use super::{reply, visible};
use confab_core::error::{Coded, ErrorCode};

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
        t.store
            .search(&confab_core::store::SearchQuery::text("Red"))
            .await
            .unwrap()
            .hits
            .is_empty(),
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
                stats: Default::default(),
                ended: Ending::Stop,
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
                stats: Default::default(),
                ended: Ending::Stop,
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
        t.store
            .search(&confab_core::store::SearchQuery::text("typo"))
            .await
            .unwrap()
            .hits[0]
            .message_id,
        q2.id
    );
    assert!(t
        .store
        .search(&confab_core::store::SearchQuery::text("again"))
        .await
        .unwrap()
        .hits
        .is_empty());
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
