//! Set-up for tests against the store: a real database file in a temp dir and a manual clock.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use confab_core::clock::ManualClock;
use confab_core::store::{Conversation, NewConversation, NewMessage, Store};
use tempfile::TempDir;

pub struct TestStore {
    pub store: Store,
    pub clock: Arc<ManualClock>,
    pub dir: TempDir,
}

impl TestStore {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap(),
        ));
        let store = Store::open_with_clock(&dir.path().join("confab.db"), clock.clone())
            .await
            .expect("open store");
        Self { store, clock, dir }
    }

    pub fn tick(&self) {
        self.clock.advance(Duration::seconds(1));
    }

    pub async fn chat(&self, title: &str) -> Conversation {
        self.tick();
        self.store
            .create_conversation(NewConversation {
                title: title.into(),
                ..Default::default()
            })
            .await
            .expect("create conversation")
    }

    /// An empty assistant reply, streaming.
    pub async fn start_reply(&self, chat: &Conversation) -> confab_core::store::Message {
        self.store
            .append_message(chat.id, NewMessage::streaming_reply(None))
            .await
            .expect("append streaming reply")
    }

    pub async fn say(&self, chat: &Conversation, text: &str) -> confab_core::store::Message {
        self.tick();
        self.store
            .append_message(chat.id, NewMessage::user(text))
            .await
            .expect("append message")
    }
}
