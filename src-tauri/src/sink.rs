//! Forwards a reply's events to the webview through a `tauri::ipc::Channel`, batched.
//!
//! Tokens can arrive far faster than a webview wants messages (one IPC message per token tops out
//! near 10k/s). Consecutive deltas are merged: everything queued is sent as one message, and
//! deltas are sent at most once per frame (~16 ms), so the UI gets a steady ≤60 messages/s however
//! fast the model is, and no more than a frame's latency.

use std::time::Duration;

use confab_core::chat::{ChatEvent, EventSink};
use tauri::ipc::Channel;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// At most one batch of deltas per this long.
const FRAME: Duration = Duration::from_millis(16);

pub struct ChannelSink {
    tx: mpsc::UnboundedSender<ChatEvent>,
}

impl ChannelSink {
    /// Starts the forwarding task for `channel`; it ends when the sink is dropped.
    pub fn spawn(channel: Channel<ChatEvent>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tauri::async_runtime::spawn(forward(rx, channel));
        Self { tx }
    }
}

impl EventSink for ChannelSink {
    fn send(&self, event: ChatEvent) {
        // The receiver lives until every event is forwarded; a send error means the app is closing.
        let _ = self.tx.send(event);
    }
}

async fn forward(mut rx: mpsc::UnboundedReceiver<ChatEvent>, channel: Channel<ChatEvent>) {
    let mut next_delta_at = Instant::now();
    let mut held: Option<ChatEvent> = None;
    loop {
        let event = match held.take() {
            Some(event) => event,
            None => match rx.recv().await {
                Some(event) => event,
                None => return,
            },
        };
        let ChatEvent::Delta {
            message_id,
            mut text,
        } = event
        else {
            // A webview that went away (window closed) just stops listening.
            let _ = channel.send(event);
            continue;
        };
        // Gather the deltas that arrive until this frame's slot, then send them as one.
        loop {
            let next = tokio::select! {
                biased;
                next = rx.recv() => next,
                _ = tokio::time::sleep_until(next_delta_at) => break,
            };
            match next {
                Some(ChatEvent::Delta {
                    message_id: id,
                    text: more,
                }) if id == message_id => {
                    text.push_str(&more);
                }
                Some(other) => {
                    held = Some(other);
                    break;
                }
                None => break,
            }
        }
        let _ = channel.send(ChatEvent::Delta { message_id, text });
        next_delta_at = Instant::now() + FRAME;
    }
}
