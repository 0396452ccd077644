//! Each chat's unsent message, kept in the database: its text and the files waiting with it
//! (bytes and all) survive a restart; typing leaves the files alone; an empty draft, a message
//! sent in its chat and a deleted chat each remove it.

use confab_core::attachments::{prepare, Upload};
use confab_core::store::{NewMessage, Store};
use confab_test_support::store::TestStore;

fn file(name: &str, bytes: &[u8]) -> confab_core::attachments::Prepared {
    prepare(Upload {
        name: name.into(),
        bytes: bytes.to_vec(),
    })
    .unwrap()
}

const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00,
];

#[tokio::test]
async fn a_draft_keeps_its_text_and_files_across_a_restart() {
    let t = TestStore::new().await;
    let chat = t.chat("Plans").await;
    let other = t.chat("Other").await;
    let files = [file("notes.txt", b"bring a map\n"), file("shot.png", PNG)];
    t.store
        .save_draft(chat.id, "Where should we", Some(&files))
        .await
        .unwrap();
    // Typing on: the text changes, the files stay as they were.
    t.tick();
    t.store
        .save_draft(chat.id, "Where should we go first?", None)
        .await
        .unwrap();
    t.store.save_draft(other.id, "hi", None).await.unwrap();
    t.store.close().await;

    let store = Store::open(&t.dir.path().join("confab.db")).await.unwrap();
    let drafts = store.drafts().await.unwrap();
    assert_eq!(drafts.len(), 2);
    let plans = drafts
        .iter()
        .find(|d| d.conversation_id == chat.id)
        .unwrap();
    assert_eq!(plans.text, "Where should we go first?");
    assert_eq!(
        plans.files, files,
        "the files, bytes and all, in their order"
    );

    // Only files, no text: still a draft. Then nothing at all: gone.
    store.save_draft(chat.id, "  ", None).await.unwrap();
    assert_eq!(store.drafts().await.unwrap().len(), 2);
    store.save_draft(chat.id, "", Some(&[])).await.unwrap();
    let left: Vec<_> = store
        .drafts()
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.conversation_id)
        .collect();
    assert_eq!(left, [other.id]);
    store.close().await;
}

#[tokio::test]
async fn sending_in_the_chat_or_deleting_it_removes_its_draft() {
    let t = TestStore::new().await;
    let chat = t.chat("Sent").await;
    let kept = t.chat("Kept").await;
    t.store
        .save_draft(chat.id, "Hello", Some(&[file("a.txt", b"a\n")]))
        .await
        .unwrap();
    t.store.save_draft(kept.id, "Later", None).await.unwrap();
    t.store
        .append_message(chat.id, NewMessage::user("Hello"))
        .await
        .unwrap();
    let ids = |drafts: Vec<confab_core::store::Draft>| {
        drafts
            .into_iter()
            .map(|d| d.conversation_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(t.store.drafts().await.unwrap()), [kept.id]);

    // A message with files sends the draft too.
    t.store
        .save_draft(chat.id, "With a file", None)
        .await
        .unwrap();
    t.store
        .append_user_message_with_attachments(chat.id, "With a file", &[file("b.txt", b"b\n")])
        .await
        .unwrap();
    assert_eq!(ids(t.store.drafts().await.unwrap()), [kept.id]);

    // A reply is not the user's message: the draft stays.
    t.store
        .append_message(kept.id, NewMessage::streaming_reply(None))
        .await
        .unwrap();
    assert_eq!(ids(t.store.drafts().await.unwrap()), [kept.id]);

    t.store.delete_conversation(kept.id).await.unwrap();
    assert!(t.store.drafts().await.unwrap().is_empty());
    t.store.clear_draft(chat.id).await.unwrap();

    let missing = confab_core::store::ConversationId(999);
    let err = t.store.save_draft(missing, "x", None).await.unwrap_err();
    assert!(err.to_string().contains("999"), "{err}");
}
