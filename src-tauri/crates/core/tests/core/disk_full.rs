//! A full disk while a reply streams: the reply stops with an error that says so and how to get
//! out of it, the text saved before the failure stays, and once there is space again the next
//! send works. The "disk" is SQLite's `max_page_count` on a database already near it.

use std::time::Duration;

use confab_core::chat::ChatEvent;
use confab_core::error::ErrorCode;
use confab_core::store::{MessageStatus, NewMessage, Store};
use confab_test_support::fault::{delta, FaultServer, Reply, DONE};
use confab_test_support::store::TestStore;

use crate::harness::{service_on, Recorder};

/// The long reply: `n` distinct sentences, so the search index grows with it as with real text.
fn essay(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "Paragraph {i}: the river keeps its course through valley {i}, and the mill wheel \
                 turns {} times an hour while the miller counts sacks of grain. ",
                i * 7
            )
            .repeat(12)
        })
        .collect()
}

#[tokio::test]
async fn a_full_disk_stops_the_reply_keeps_what_was_saved_and_the_next_send_works_with_space() {
    let t = TestStore::new().await;
    let db = t.dir.path().join("confab.db");
    // Ballast that deleting later frees: the space that "comes back".
    let ballast = t.chat("Old notes").await;
    for i in 0..40 {
        let note = format!("note {i}: {}", "lorem ipsum dolor sit amet ".repeat(300));
        t.store
            .append_message(ballast.id, NewMessage::user(note))
            .await
            .unwrap();
    }
    let chat = t.chat("Essay").await;

    let pages = t.store.page_count().await.unwrap();
    let full = t.store.with_page_limit(pages + 200).await.unwrap();
    let server = FaultServer::start().await;
    let parts = essay(200);
    let whole: String = parts.concat();
    let mut chunks: Vec<String> = parts.iter().map(|p| delta(p)).collect();
    chunks.push(DONE.to_owned());
    server.chat([Reply::sse(chunks).paced(Duration::from_millis(15))]);
    let svc = service_on(full.clone(), &server.url());
    let sink = Recorder::default();

    let reply = svc
        .send(chat.id, "Write me a long essay about a mill.", &sink)
        .await
        .expect("the send ends with the reply saved as failed, not a lost reply");

    // The reply stopped early, with an error that says what happened and what to do.
    assert_eq!(reply.status, MessageStatus::Error, "{reply:?}");
    let error = reply.error.clone().unwrap();
    assert!(
        error.contains("disk") && error.contains("full") && error.contains("free some space"),
        "{error}"
    );
    let streamed = sink.text();
    assert!(
        streamed.len() < whole.len() * 3 / 4,
        "the reply stopped soon after the failed save ({} of {} bytes streamed)",
        streamed.len(),
        whole.len()
    );
    match sink.events().last() {
        Some(ChatEvent::Error {
            message,
            code,
            error: said,
        }) => {
            assert_eq!(*code, ErrorCode::Storage);
            assert_eq!(said, &error);
            assert_eq!(message, &reply);
        }
        other => panic!("the last event is the error, not {other:?}"),
    }

    // What was saved before the failure is in the database, as a prefix of what streamed.
    let fresh = Store::open(&db).await.unwrap();
    let saved = fresh.get_message(reply.id).await.unwrap();
    assert_eq!(saved, reply);
    assert!(!saved.content.is_empty(), "at least one save landed");
    assert!(
        streamed.starts_with(&saved.content),
        "the saved text is what streamed first"
    );
    // It did not finish, so it can be continued.
    fresh.check_continuable(chat.id).await.unwrap();

    // Space comes back (the old notes are deleted, here through a second handle as another window
    // or confab-cli would), and the same service sends again, on every pooled connection in turn
    // (a transaction the full disk rolled back once left one unusable).
    svc.background_idle().await;
    fresh.delete_conversation(ballast.id).await.unwrap();
    fresh.close().await;
    for i in 0..4 {
        server.chat([Reply::sse([
            delta(&format!("Short answer {i}.")),
            DONE.to_owned(),
        ])]);
        let next = svc
            .send(chat.id, &format!("Short question {i}."), &())
            .await
            .unwrap();
        assert_eq!(next.status, MessageStatus::Complete, "{next:?}");
        assert_eq!(next.content, format!("Short answer {i}."));
    }
    svc.background_idle().await;
    full.close().await;
}
