//! Recall against llama.cpp's real server with SmolLM2-135M: the `/v1/embeddings` wire format
//! (batches, dimensions, order, a chat-only server's 501), the indexer and the recall strategy with
//! real vectors, and what the retrieved-history block costs the prompt cache (`cached_tokens`).

use std::sync::{Arc, Mutex};

use confab_core::chat::{ChatEvent, ChatService, EventSink};
use confab_core::error::{Coded, ErrorCode};
use confab_core::llm::{Endpoint, LlmClient, RetryPolicy, Timeouts, Usage, MAX_EMBED_BATCH};
use confab_core::memory::Part;
use confab_core::recall::vector;
use confab_core::store::{MessageStatus, NewConversation, Store};
use confab_tests::llama::{LlamaServer, MODEL};
use confab_tests::Result;
use tokio_util::sync::CancellationToken;

fn client(server: &LlamaServer) -> LlmClient {
    LlmClient::new(
        Endpoint::new(&server.url, None).unwrap(),
        Timeouts::default(),
        RetryPolicy::default(),
    )
}

#[tokio::test]
async fn embeddings_wire_format_and_a_chat_only_server() -> Result<()> {
    let cancel = CancellationToken::new();
    {
        let server = LlamaServer::start_with_embeddings(2048, 1)?;
        let c = client(&server);
        let texts = [
            "The staging server is 10.4.2.19.",
            "hi",
            "The staging server is 10.4.2.19.",
        ];
        let got = c.embed(Some(MODEL), &texts, &cancel).await?;
        assert_eq!(got.vectors.len(), 3);
        let dims = got.vectors[0].len();
        assert!(dims >= 64, "SmolLM2's hidden size: {dims}");
        assert!(got.vectors.iter().all(|v| v.len() == dims));
        // In input order: the same text twice gives the same vector, another text another one.
        let q: Vec<Vec<i8>> = got
            .vectors
            .iter()
            .map(|v| vector::quantize(v).unwrap())
            .collect();
        assert!(vector::similarity(&q[0], &q[2]) > 0.99);
        assert!(vector::similarity(&q[0], &q[1]) < 0.99);
        // A whole batch at once.
        let many: Vec<String> = (0..MAX_EMBED_BATCH)
            .map(|i| format!("message number {i}"))
            .collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(
            c.embed(Some(MODEL), &refs, &cancel).await?.vectors.len(),
            MAX_EMBED_BATCH
        );
        // Chat still works on the same server.
        assert_eq!(c.list_models().await?[0].id, MODEL);
    }
    // llama-server without --embeddings: 501, named as "no embeddings" with the way forward.
    let server = LlamaServer::start(2048, 1)?;
    let err = client(&server)
        .embed(None, &["x"], &cancel)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NoEmbeddings, "{err}");
    assert!(err.to_string().contains("--embeddings"), "{err}");
    Ok(())
}

#[derive(Default)]
struct Usages(Mutex<Vec<Usage>>);

impl EventSink for Usages {
    fn send(&self, event: ChatEvent) {
        if let ChatEvent::Usage { usage, .. } = event {
            self.0.lock().unwrap().push(usage);
        }
    }
}

/// Run with `--nocapture` for the numbers the README quotes.
#[tokio::test]
async fn recall_with_real_vectors_keeps_the_prompt_cache_up_to_the_block() -> Result<()> {
    // Two slots: folds and query embeddings leave the chat's cache alone.
    let server = LlamaServer::start_with_embeddings(768, 2)?;
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("confab.db")).await?;
    let service = Arc::new(ChatService::new(store.clone(), client(&server)));
    confab_core::settings::AppSettings {
        recall: confab_core::settings::RecallSettings {
            model: Some(MODEL.into()),
            ..Default::default()
        },
        ..Default::default()
    }
    .save(&store)
    .await?;
    let chat = store
        .create_conversation(NewConversation {
            title: "Lockers".into(),
            system_prompt: "You are a helpful assistant.".into(),
            model: Some(MODEL.into()),
            params: serde_json::json!({"temperature": 0, "max_tokens": 16, "memory": "recall"}),
            project_id: None,
        })
        .await?;
    service.start_indexing();

    // (usage, tokens of the prompt before the newest user message, summary id, window start)
    let mut turns = Vec::new();
    let mut recalled_turns = 0;
    for i in 0..16 {
        let text = format!(
            "Note {i}: locker {i} belongs to {} and its code is {}. Acknowledge briefly.",
            ["Ada", "Grace", "Alan", "Edsger", "Barbara"][i % 5],
            4000 + i * 37
        );
        let turn = service.start(chat.id, Some(&text)).await?;
        // What this turn sends, built the same way.
        let built = service.context(chat.id).await?;
        let report = &built.report;
        let prompt_at = report
            .items
            .iter()
            .rposition(|i| matches!(i.part, Part::Recent { .. }))
            .unwrap();
        let prefix: u64 = report.items[..prompt_at]
            .iter()
            .filter(|i| !matches!(i.part, Part::Recalled { .. }))
            .map(|i| i.tokens + report.per_message_overhead)
            .sum();
        if built.recall_block.is_some() {
            recalled_turns += 1;
        }
        let sink = Usages::default();
        let reply = turn.stream(&sink).await?;
        assert_eq!(
            reply.status,
            MessageStatus::Complete,
            "turn {i}: {:?}",
            reply.error
        );
        let usage = sink.0.lock().unwrap().last().copied().expect("usage");
        service.background_idle().await;
        let summary = store.latest_summary(chat.id).await?.map(|s| s.id);
        turns.push((usage, prefix, summary, report.window_start()));
    }
    assert!(
        recalled_turns >= 3,
        "recall sent a block on {recalled_turns} turns"
    );
    let status = service.recall().status();
    assert!(status.embedding_model.is_some(), "{status:?}");

    // Consecutive turns with the same summary and window: the earlier request, up to its newest
    // user message (where the block was), is served from the cache; the block and the newest
    // turn are read anew.
    let (mut pairs, mut reused, mut reread) = (0, 0, 0u64);
    for w in turns.windows(2) {
        let ((_, prefix, s1, w1), (next, _, s2, w2)) = (&w[0], &w[1]);
        if s1 != s2 || w1 != w2 {
            continue;
        }
        pairs += 1;
        let cached = next.cached_tokens.unwrap_or(0);
        if cached * 10 >= prefix * 9 {
            reused += 1;
        }
        reread += next.prompt_tokens.unwrap_or(0).saturating_sub(cached);
    }
    println!(
        "recall + llama.cpp: the prefix before the block came from the cache on {reused} of \
         {pairs} consecutive turns; {} tokens read anew per turn on average",
        reread / pairs.max(1) as u64
    );
    assert!(
        pairs >= 3,
        "turns keeping their summary and window: {pairs}"
    );
    assert!(
        reused * 10 >= pairs * 8,
        "cache reuse on {reused} of {pairs}"
    );
    service.stop_indexing().await;
    store.close().await;
    Ok(())
}
