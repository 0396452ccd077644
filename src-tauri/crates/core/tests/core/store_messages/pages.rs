//! Reading a chat's messages a page at a time against real SQLite files: older pages and tails,
//! newer pages that mirror them, and only the version of a reply that is shown.

use confab_core::store::{ConversationId, MessageId, MessageStatus, StoreError};
use confab_test_support::store::TestStore;

use super::finish;

#[tokio::test]
async fn pages_of_older_messages_and_tails() {
    let t = TestStore::new().await;
    let chat = t.chat("long").await;
    let other = t.chat("other").await;
    let mut ids = Vec::new();
    for i in 0..25 {
        ids.push(t.say(&chat, &format!("message {i:02}")).await.id);
        t.say(&other, "noise").await;
    }
    let newest = t.store.messages_before(chat.id, None, 10).await.unwrap();
    assert_eq!(newest.iter().map(|m| m.id).collect::<Vec<_>>(), ids[15..]);
    let older = t
        .store
        .messages_before(chat.id, Some(ids[15]), 10)
        .await
        .unwrap();
    assert_eq!(older.iter().map(|m| m.id).collect::<Vec<_>>(), ids[5..15]);
    let oldest = t
        .store
        .messages_before(chat.id, Some(ids[5]), 10)
        .await
        .unwrap();
    assert_eq!(oldest.iter().map(|m| m.id).collect::<Vec<_>>(), ids[..5]);
    assert!(t
        .store
        .messages_before(chat.id, Some(ids[0]), 10)
        .await
        .unwrap()
        .is_empty());

    let tail = t.store.tail_messages(chat.id, 3).await.unwrap();
    assert_eq!(
        tail.iter().map(|m| m.content.as_str()).collect::<Vec<_>>(),
        ["message 22", "message 23", "message 24"]
    );
    assert_eq!(t.store.message_count(chat.id).await.unwrap(), 25);

    // Each message is 10 bytes: a 95-byte budget holds the newest 9, never a partial one.
    let within = t.store.tail_within(chat.id, 95).await.unwrap();
    assert_eq!(within.iter().map(|m| m.id).collect::<Vec<_>>(), ids[16..]);
    let everything = t.store.tail_within(chat.id, usize::MAX).await.unwrap();
    assert_eq!(everything.len(), 25);
    assert!(t.store.tail_within(chat.id, 5).await.unwrap().is_empty());
}

#[tokio::test]
async fn pages_of_newer_messages_mirror_older_ones() {
    let t = TestStore::new().await;
    let chat = t.chat("long").await;
    let other = t.chat("other").await;
    let mut ids = Vec::new();
    for i in 0..25 {
        ids.push(t.say(&chat, &format!("message {i:02}")).await.id);
        t.say(&other, "noise").await;
    }
    let page = |after: MessageId, limit: u32| {
        let store = t.store.clone();
        async move {
            let page = store.messages_after(chat.id, after, limit).await.unwrap();
            page.iter().map(|m| m.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(page(MessageId(0), 10).await, ids[..10]);
    assert_eq!(page(ids[0], 10).await, ids[1..11]);
    assert_eq!(page(ids[14], 10).await, ids[15..]);
    assert_eq!(page(ids[23], 10).await, ids[24..]);
    assert!(page(ids[24], 10).await.is_empty());
    let everything = t.store.messages_before(chat.id, None, 100).await.unwrap();
    assert_eq!(
        page(MessageId(0), 100).await,
        everything.iter().map(|m| m.id).collect::<Vec<_>>()
    );

    let empty = t.chat("empty").await;
    assert!(t
        .store
        .messages_after(empty.id, MessageId(0), 10)
        .await
        .unwrap()
        .is_empty());
    let err = t
        .store
        .messages_after(ConversationId(999), MessageId(0), 10)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn pages_of_newer_messages_show_the_chosen_version_only() {
    let t = TestStore::new().await;
    let chat = t.chat("versions").await;
    let question = t.say(&chat, "Name a colour").await;
    let first = t.start_reply(&chat).await;
    let first = t
        .store
        .finish_message(first.id, finish(MessageStatus::Complete, "Red"))
        .await
        .unwrap();
    let second = t.store.regenerate_reply(chat.id, None).await.unwrap().reply;
    let second = t
        .store
        .finish_message(second.id, finish(MessageStatus::Complete, "Blue"))
        .await
        .unwrap();
    let page = |after: MessageId| {
        let store = t.store.clone();
        async move {
            let page = store.messages_after(chat.id, after, 10).await.unwrap();
            page.iter().map(|m| m.content.clone()).collect::<Vec<_>>()
        }
    };
    assert_eq!(page(question.id).await, ["Blue"]);
    // From the version set aside, the one shown is still newer.
    assert_eq!(page(first.id).await, ["Blue"]);
    assert!(page(second.id).await.is_empty());

    t.store.select_version(first.id).await.unwrap();
    assert_eq!(page(question.id).await, ["Red"]);
    assert!(page(first.id).await.is_empty());
    t.say(&chat, "Another").await;
    assert_eq!(
        page(MessageId(0)).await,
        ["Name a colour", "Red", "Another"]
    );
    let newest = t.store.messages_before(chat.id, None, 10).await.unwrap();
    let newest: Vec<_> = newest.iter().map(|m| m.content.clone()).collect();
    assert_eq!(page(MessageId(0)).await, newest);
}
