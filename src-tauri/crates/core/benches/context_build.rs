//! How long building a request's context takes for conversations of 1k, 10k and 100k messages.
//!
//! The builder must read O(window) rows — a tail query backwards from the newest message — not
//! the whole history, so the time stays flat as the history grows. Each size is measured with the
//! summary strategy (a summary covering all but the newest 60 messages, the usual state of a long
//! chat) and with the sliding window (no anchor yet: the worst case, reading backwards until the
//! budget is full). Run with `cargo bench -p confab-core --bench context_build`.

use std::time::{Duration, Instant};

use confab_core::memory::{self, ServerReports};
use confab_core::settings::AppSettings;
use confab_core::store::{
    ConversationSettings, MessageStatus, NewConversation, NewMessage, NewSummary, Role, Store,
};

const SIZES: [usize; 3] = [1_000, 10_000, 100_000];
const RUNS: usize = 200;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("bench.db"))
        .await
        .expect("store");
    let servers = ServerReports::new();
    println!("context build, {RUNS} runs each (median / p95):");
    for size in SIZES {
        let chat = store
            .create_conversation(NewConversation {
                title: format!("{size} messages"),
                system_prompt: "You are a helpful assistant.".into(),
                ..Default::default()
            })
            .await
            .expect("chat");
        let mut last = None;
        for i in 0..size {
            let role = if i % 2 == 0 {
                Role::User
            } else {
                Role::Assistant
            };
            let m = store
                .append_message(
                    chat.id,
                    NewMessage {
                        role,
                        content: format!(
                            "Message {i}: a typical turn of a chat, a sentence or two long, with \
                             some detail in it so that it weighs what a real one does."
                        ),
                        status: MessageStatus::Complete,
                        model: None,
                    },
                )
                .await
                .expect("message");
            if i + 60 == size {
                last = Some(m.id);
            }
        }
        store
            .save_summary(NewSummary {
                conversation_id: chat.id,
                content: "The user and the assistant discussed many things. ".repeat(20),
                covers_through_message_id: last.expect("covered"),
                token_count: None,
                model: None,
                edited_by_user: false,
            })
            .await
            .expect("summary");
        for strategy in ["summary", "window"] {
            let chat = store
                .update_conversation_settings(
                    chat.id,
                    ConversationSettings {
                        params: Some(serde_json::json!({ "memory": strategy })),
                        ..Default::default()
                    },
                )
                .await
                .expect("settings");
            let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
            let mut sent = 0;
            for _ in 0..RUNS {
                let start = Instant::now();
                // As a reply does: the app's defaults are read for each request.
                let defaults = AppSettings::load(&store).await;
                let built = memory::build(
                    &store,
                    None,
                    &servers,
                    &Default::default(),
                    &defaults,
                    &chat,
                )
                .await
                .expect("build");
                times.push(start.elapsed());
                sent = built.request.messages.len();
            }
            times.sort();
            println!(
                "  {size:>7} messages, {strategy:<7}: {:>7.3} ms / {:>7.3} ms  ({sent} messages sent)",
                ms(times[RUNS / 2]),
                ms(times[RUNS * 95 / 100]),
            );
        }
    }
    store.close().await;
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
