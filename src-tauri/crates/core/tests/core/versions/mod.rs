//! Versions of a reply, continuing a reply in place, and editing the last question: in the store
//! against real SQLite files, and through the chat service against a scripted server.

mod service;
mod store;

use confab_core::store::{Conversation, Ending, Finish, Message, MessageStatus, Store};
use confab_test_support::fault::{delta, finish, Reply, DONE};
use confab_test_support::store::TestStore;

fn answer(text: &str) -> Reply {
    Reply::sse([delta(text), finish("stop"), DONE.to_owned()])
}

/// A finished reply with `content`, straight into the store.
async fn reply(
    t: &TestStore,
    chat: &Conversation,
    status: MessageStatus,
    content: &str,
) -> Message {
    t.tick();
    let m = t.start_reply(chat).await;
    t.store
        .finish_message(
            m.id,
            Finish {
                finish_reason: None,
                stats: Default::default(),
                ended: match status {
                    MessageStatus::Complete => Ending::Stop,
                    MessageStatus::Error => Ending::Failed,
                    _ => Ending::Interrupted,
                },
                content: content.into(),
                error: (status != MessageStatus::Complete).then(|| "stopped".into()),
                prompt_tokens: None,
                completion_tokens: None,
                model: None,
            },
        )
        .await
        .unwrap()
}

async fn visible(store: &Store, chat: &Conversation) -> Vec<String> {
    store
        .messages_before(chat.id, None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.content)
        .collect()
}

/// The contents of a chat request's messages.
fn contents(body: &serde_json::Value) -> Vec<String> {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_owned())
        .collect()
}
