//! Memory against llama.cpp's real server with SmolLM2-135M at a 2048-token context: a 40-turn
//! conversation never overflows, folds older turns into stored summaries that later requests
//! carry, and consecutive turns reuse the server's prompt cache.

use std::sync::{Arc, Mutex};

use confab_core::chat::{ChatEvent, ChatService, EventSink};
use confab_core::llm::{Endpoint, LlmClient, RetryPolicy, Timeouts, Usage};
use confab_core::memory::{ContextSource, Part};
use confab_core::store::{MessageStatus, NewConversation, Store};
use confab_tests::llama::{LlamaServer, MODEL};
use confab_tests::Result;

#[derive(Default)]
struct Usages(Mutex<Vec<Usage>>);

impl EventSink for Usages {
    fn send(&self, event: ChatEvent) {
        if let ChatEvent::Usage { usage, .. } = event {
            self.0.lock().unwrap().push(usage);
        }
    }
}

#[tokio::test]
async fn forty_turns_at_2048_tokens_fold_into_summaries_and_reuse_the_cache() -> Result<()> {
    // Two slots: a summary fold runs in the other slot and leaves the chat's cache alone.
    let server = LlamaServer::start(2048, 2)?;
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("confab.db")).await?;
    let client = LlmClient::new(
        Endpoint::new(&server.url, None)?,
        Timeouts::default(),
        RetryPolicy::default(),
    );
    let service = Arc::new(ChatService::new(store.clone(), client));
    let chat = store
        .create_conversation(NewConversation {
            title: "Lockers".into(),
            system_prompt: "You are a helpful assistant.".into(),
            model: Some(MODEL.into()),
            params: serde_json::json!({"temperature": 0, "max_tokens": 48}),
            project_id: None,
        })
        .await?;

    let mut turns = Vec::new();
    for i in 0..40 {
        let summary_before = store.latest_summary(chat.id).await?.map(|s| s.id);
        let sink = Usages::default();
        let text = format!(
            "Note {i}: locker {i} belongs to {} and its code is {}. Acknowledge in one sentence.",
            ["Ada", "Grace", "Alan", "Edsger", "Barbara"][i % 5],
            4000 + i * 37
        );
        let reply = service.send(chat.id, &text, &sink).await?;
        assert_eq!(
            reply.status,
            MessageStatus::Complete,
            "turn {i}: {:?}",
            reply.error
        );
        let usage = sink.0.lock().unwrap().last().copied().expect("usage");
        // Let a fold the reply started finish, so the run is deterministic.
        service.background_idle().await;
        let summary_after = store.latest_summary(chat.id).await?.map(|s| s.id);
        turns.push((usage, summary_before, summary_after));
    }

    let summaries = store.summaries(chat.id).await?;
    assert!(
        summaries.len() >= 2,
        "40 turns outgrow 2048 tokens more than once: {} summaries",
        summaries.len()
    );
    assert!(summaries.iter().all(|s| !s.content.trim().is_empty()));
    // Later requests carry the summary, and the report's counts are the server's own.
    let built = service.context(chat.id).await?;
    let report = &built.report;
    assert_eq!(report.context_source, ContextSource::Server);
    assert_eq!(report.context_length, 2048);
    assert!(report.exact, "llama.cpp counts the tokens");
    assert!(report.used <= report.budget);
    assert!(report
        .items
        .iter()
        .any(|i| matches!(i.part, Part::Summary { .. })));
    assert!(built.request.messages[0]
        .content
        .contains("Summary of the earlier conversation:"));
    // Never near an overflow: every prompt stayed within the context minus the reply.
    for (i, (usage, _, _)) in turns.iter().enumerate() {
        let prompt = usage.prompt_tokens.unwrap_or(0);
        assert!(prompt + 48 <= 2048, "turn {i}: {prompt} prompt tokens");
    }

    // Consecutive turns with the same summary: the earlier prompt is served from the cache.
    let mut pairs = 0;
    let mut reused = 0;
    for w in turns.windows(2) {
        let ((prev, prev_summary, _), (next, next_summary, _)) = (&w[0], &w[1]);
        if prev_summary != next_summary {
            continue;
        }
        pairs += 1;
        let cached = next.cached_tokens.unwrap_or(0);
        let previous_prompt = prev.prompt_tokens.unwrap_or(u64::MAX);
        if cached * 10 >= previous_prompt * 9 {
            reused += 1;
        }
    }
    assert!(pairs >= 25, "most turns keep the summary: {pairs}");
    assert!(
        reused * 10 >= pairs * 9,
        "the cache covered the previous prompt on {reused} of {pairs} consecutive turns"
    );
    store.close().await;
    Ok(())
}
