//! Continue and regenerate against llama.cpp's real server with SmolLM2-135M: the server takes
//! the partial reply, sent as the final assistant message, as the start of its answer (a
//! prefill), and the continued text follows it in the same message.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use confab_core::chat::{ChatEvent, ChatService, EventSink};
use confab_core::llm::{Endpoint, LlmClient, RetryPolicy, Timeouts};
use confab_core::store::{Ending, Finish, MessageStatus, NewConversation, NewMessage, Store};
use confab_tests::llama::{LlamaServer, MODEL};
use confab_tests::Result;

#[derive(Default)]
struct Deltas(Mutex<String>);

impl EventSink for Deltas {
    fn send(&self, event: ChatEvent) {
        if let ChatEvent::Delta { text, .. } = event {
            self.0.lock().unwrap().push_str(&text);
        }
    }
}

async fn setup(server: &LlamaServer) -> Result<(tempfile::TempDir, Store, Arc<ChatService>)> {
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("confab.db")).await?;
    let client = LlmClient::new(
        Endpoint::new(&server.url, None)?,
        Timeouts::default(),
        RetryPolicy::default(),
    );
    let service = Arc::new(ChatService::new(store.clone(), client));
    Ok((dir, store, service))
}

#[tokio::test]
async fn continue_goes_on_from_the_partial_reply_in_the_same_message() -> Result<()> {
    let server = LlamaServer::start(2048, 1)?;
    let (_dir, store, service) = setup(&server).await?;
    let chat = store
        .create_conversation(NewConversation {
            title: "Counting".into(),
            system_prompt: "You are a helpful assistant.".into(),
            model: Some(MODEL.into()),
            params: serde_json::json!({"temperature": 0, "max_tokens": 40}),
            project_id: None,
        })
        .await?;
    store
        .append_message(
            chat.id,
            NewMessage::user("Count from one to ten in words, separated by commas."),
        )
        .await?;
    // A reply cut short after "three,".
    let cut = store
        .append_message(chat.id, NewMessage::streaming_reply(Some(MODEL.into())))
        .await?;
    let partial = "One, two, three,";
    store
        .finish_message(
            cut.id,
            Finish {
                finish_reason: None,
                stats: Default::default(),
                ended: Ending::Stopped,
                content: partial.into(),
                error: Some("stopped".into()),
                prompt_tokens: None,
                completion_tokens: None,
                model: None,
            },
        )
        .await?;

    let sink = Deltas::default();
    let done = service.continue_reply(chat.id, &sink).await?;
    assert_eq!(done.id, cut.id, "the same message grew");
    assert_eq!(done.status, MessageStatus::Complete, "{:?}", done.error);
    assert!(
        done.content.starts_with(partial) && done.content.len() > partial.len(),
        "{:?}",
        done.content
    );
    let added = &done.content[partial.len()..];
    assert_eq!(
        *sink.0.lock().unwrap(),
        added,
        "the deltas are the new text only"
    );
    // The model went on counting from where the reply stopped; the server's echo of the
    // prefill was not appended a second time.
    assert!(added.to_lowercase().contains("four"), "{:?}", done.content);
    assert_eq!(
        done.content.matches("One, two").count(),
        1,
        "{:?}",
        done.content
    );
    assert_eq!(store.message_count(chat.id).await?, 2);
    Ok(())
}

#[tokio::test]
async fn a_stopped_reply_continues_and_a_regenerate_keeps_both_versions() -> Result<()> {
    let server = LlamaServer::start(2048, 1)?;
    let (_dir, store, service) = setup(&server).await?;
    let chat = store
        .create_conversation(NewConversation {
            title: "Story".into(),
            system_prompt: "You are a helpful assistant.".into(),
            model: Some(MODEL.into()),
            params: serde_json::json!({"temperature": 0, "max_tokens": 120}),
            project_id: None,
        })
        .await?;

    // Stop the reply once some of it has arrived.
    let sink = Arc::new(Deltas::default());
    let task = {
        let (service, sink) = (service.clone(), sink.clone());
        tokio::spawn(async move {
            service
                .send(
                    chat.id,
                    "Tell me a story about a lighthouse keeper.",
                    &*sink,
                )
                .await
        })
    };
    tokio::time::timeout(Duration::from_secs(120), async {
        while sink.0.lock().unwrap().len() < 40 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await?;
    service.stop(chat.id);
    let cut = task.await??;
    assert_eq!(cut.status, MessageStatus::Interrupted);

    let done = service.continue_reply(chat.id, &()).await?;
    assert_eq!(done.id, cut.id);
    assert!(
        done.content.starts_with(&cut.content) && done.content.len() > cut.content.len(),
        "{:?} then {:?}",
        cut.content,
        done.content
    );
    assert!(
        !done.content[cut.content.len()..].starts_with(cut.content.trim()),
        "the prefill's echo was appended: {:?}",
        done.content
    );

    let again = service.regenerate(chat.id, &()).await?;
    assert_eq!(again.status, MessageStatus::Complete, "{:?}", again.error);
    assert!(!again.content.is_empty());
    assert_eq!(again.version_of, Some(cut.id));
    let versions = store.reply_versions(again.id).await?;
    assert_eq!(versions.len(), 2);
    let shown = store.messages_before(chat.id, None, 10).await?;
    assert_eq!(shown.len(), 2);
    assert_eq!(shown[1].id, again.id);
    Ok(())
}
