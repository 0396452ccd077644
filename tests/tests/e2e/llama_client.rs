//! confab-core's client against llama.cpp's real server with SmolLM2-135M: the contract, no mocks.

use std::time::{Duration, Instant};

use confab_core::llm::{
    ChatMessage, ChatRequest, Endpoint, FinishReason, LlmClient, LlmError, RetryPolicy,
    StreamEvent, Timeouts,
};
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

fn ask(question: &str, max_tokens: u32) -> ChatRequest {
    ChatRequest {
        model: Some(MODEL.into()),
        // SmolLM2 answers factual questions reliably with a system prompt and greedy sampling.
        messages: vec![
            ChatMessage::system("You are a helpful assistant."),
            ChatMessage::user(question),
        ],
        temperature: Some(0.0),
        max_tokens: Some(max_tokens),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_streamed_reply_with_usage_finish_reason_and_done() -> Result<()> {
    let server = LlamaServer::start(2048, 1)?;
    let client = client(&server);
    let cancel = CancellationToken::new();
    let mut stream = client
        .stream(&ask("What is the capital of France?", 40), &cancel)
        .await?;
    let mut text = String::new();
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        let event = event?;
        if let StreamEvent::Content(c) = &event {
            text.push_str(c);
        }
        events.push(event);
    }
    assert!(text.contains("Paris"), "{text:?}");
    assert_eq!(events.last(), Some(&StreamEvent::Done));
    assert!(events.iter().any(|e| matches!(
        e,
        StreamEvent::Finish(FinishReason::Stop | FinishReason::Length)
    )));
    let usage = events
        .iter()
        .find_map(|e| match e {
            StreamEvent::Usage(u) => Some(*u),
            _ => None,
        })
        .expect("llama.cpp reports usage when asked");
    assert!(usage.prompt_tokens.unwrap() > 5);
    assert!(usage.completion_tokens.unwrap() > 0);
    assert!(events
        .iter()
        .any(|e| matches!(e, StreamEvent::Timings(t) if t.predicted_n.is_some())));

    // A reply cut by max_tokens says so.
    let mut stream = client
        .stream(
            &ask("Write a long essay about the history of the ocean.", 5),
            &cancel,
        )
        .await?;
    let mut finish = None;
    while let Some(event) = stream.next().await {
        if let StreamEvent::Finish(f) = event? {
            finish = Some(f);
        }
    }
    assert_eq!(finish, Some(FinishReason::Length));
    Ok(())
}

#[tokio::test]
async fn a_prompt_larger_than_the_context_is_a_typed_overflow() -> Result<()> {
    let server = LlamaServer::start(256, 1)?;
    let long = "Tell me about the history of the city of Paris. ".repeat(60);
    let err = client(&server)
        .stream(&ask(&long, 16), &CancellationToken::new())
        .await
        .unwrap_err();
    match &err {
        LlmError::ContextOverflow {
            n_prompt_tokens: Some(p),
            n_ctx: Some(256),
            ..
        } => {
            assert!(*p > 256)
        }
        other => panic!("expected a context overflow with numbers, got {other:?}"),
    }
    assert!(err.to_string().contains("256"));
    Ok(())
}

#[tokio::test]
async fn cancel_mid_stream_frees_the_servers_slot() -> Result<()> {
    let server = LlamaServer::start(2048, 1)?;
    let client = client(&server);
    let cancel = CancellationToken::new();
    let mut stream = client
        .stream(
            &ask("Write a very long story about a dragon.", 1500),
            &cancel,
        )
        .await?;
    let mut tokens = 0;
    while let Some(Ok(event)) = stream.next().await {
        if matches!(event, StreamEvent::Content(_)) {
            tokens += 1;
            if tokens == 5 {
                cancel.cancel();
            }
        }
    }
    assert!(
        tokens < 20,
        "the stream stopped right after the cancel ({tokens} tokens)"
    );
    // The server notices the closed connection and frees the slot long before 1500 tokens.
    let http = reqwest_free_get(&server.url);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let slots = http().await?;
        let busy = slots
            .as_array()
            .map(|s| s.iter().any(|slot| slot["is_processing"] == true))
            .unwrap_or(true);
        if !busy {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the slot is still generating: {slots}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// GET /slots with a plain TCP client, so the test does not depend on reqwest.
fn reqwest_free_get(
    base: &str,
) -> impl Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<serde_json::Value>> + Send>>
{
    let addr = base.trim_start_matches("http://").to_owned();
    move || {
        let addr = addr.clone();
        Box::pin(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut stream = tokio::net::TcpStream::connect(&addr).await?;
            stream
                .write_all(
                    format!("GET /slots HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                        .as_bytes(),
                )
                .await?;
            let mut raw = Vec::new();
            stream.read_to_end(&mut raw).await?;
            let text = String::from_utf8_lossy(&raw);
            let body = text
                .split_once("\r\n\r\n")
                .map(|(_, b)| b)
                .unwrap_or_default();
            // Chunked or not, the JSON array is the body's bracketed part.
            let start = body.find('[').ok_or("no JSON in /slots")?;
            let end = body.rfind(']').ok_or("no JSON in /slots")?;
            Ok(serde_json::from_str(&body[start..=end])?)
        })
    }
}

#[tokio::test]
async fn discovery_reads_props_models_and_exact_token_counts() -> Result<()> {
    let server = LlamaServer::start(2048, 2)?;
    let client = client(&server);
    let props = client.server_props().await.expect("llama.cpp has /props");
    assert_eq!(props.n_ctx, Some(2048));
    assert_eq!(props.total_slots, Some(2));
    assert_eq!(client.context_length(Some(MODEL)).await, Some(2048));
    let models = client.list_models().await?;
    assert!(models.iter().any(|m| m.id == MODEL), "{models:?}");
    assert_eq!(client.tokenize("Hello world").await, Some(2));

    let found = confab_core::llm::discovery::probe_local_servers(
        "127.0.0.1",
        &[server.url.rsplit(':').next().unwrap().parse()?],
        Duration::from_secs(2),
    )
    .await;
    assert_eq!(found.len(), 1);

    let done = client
        .complete(
            &ask("What is the capital of France?", 30),
            &CancellationToken::new(),
        )
        .await?;
    assert!(done.content.contains("Paris"), "{done:?}");
    assert!(done.usage.completion_tokens.unwrap() > 0);
    Ok(())
}
