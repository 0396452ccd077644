//! What the chat-service tests share: a sink that records every event, and a service whose client
//! gives up fast and never retries, so a scripted fault shows at once.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use confab_core::chat::{ChatEvent, ChatService, EventSink};
use confab_core::llm::{Endpoint, LlmClient, RetryPolicy, Timeouts};
use confab_core::store::Store;
use confab_test_support::store::TestStore;

/// Every event sent to it, in order.
#[derive(Default)]
pub struct Recorder(Mutex<Vec<ChatEvent>>);

impl EventSink for Recorder {
    fn send(&self, event: ChatEvent) {
        self.0.lock().unwrap().push(event);
    }
}

impl Recorder {
    pub fn events(&self) -> Vec<ChatEvent> {
        self.0.lock().unwrap().clone()
    }

    /// The reply's text as it streamed: every delta, joined.
    pub fn text(&self) -> String {
        self.events()
            .iter()
            .filter_map(|e| match e {
                ChatEvent::Delta { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// A chat service on `t`'s store, talking to the server at `url`.
pub fn service(t: &TestStore, url: &str) -> Arc<ChatService> {
    service_on(t.store.clone(), url)
}

/// A chat service on `store`, talking to the server at `url`.
pub fn service_on(store: Store, url: &str) -> Arc<ChatService> {
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
    Arc::new(ChatService::new(store, client))
}
