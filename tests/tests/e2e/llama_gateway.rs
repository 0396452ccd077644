//! A gateway in front of llama.cpp: LiteLLM's real proxy, with a master key, before the demo
//! server at a 2,048-token context. Confab asks the proxy how long the model's context is
//! (`/model/info`, as it asks llama.cpp's `/props` and vLLM's model list), budgets for that
//! rather than its 4,096 default, and streams through it with the key.

use confab_core::llm::{Endpoint, LlmClient, RetryPolicy, Timeouts};
use confab_test_support::cli::Cli;
use confab_tests::gateway::{Gateway, KEY};
use confab_tests::llama::{LlamaServer, MODEL};
use confab_tests::{cli_binary, DataDir, Result};

#[tokio::test]
async fn litellm_in_front_of_llama_cpp_says_the_context_and_streams() -> Result<()> {
    let llama = LlamaServer::start(2048, 1)?;
    let gateway = Gateway::start(&llama, 2048)?;

    let client = LlmClient::new(
        Endpoint::new(&gateway.url, Some(KEY.into()))?,
        Timeouts::default(),
        RetryPolicy::default(),
    );
    assert_eq!(
        client.gateway_context_length(Some(MODEL)).await,
        Some(2048),
        "the proxy's /model/info"
    );
    assert_eq!(client.context_length(Some(MODEL)).await, Some(2048));
    let anonymous = LlmClient::new(
        Endpoint::new(&gateway.url, None)?,
        Timeouts::default(),
        RetryPolicy::default(),
    );
    assert_eq!(
        anonymous.gateway_context_length(Some(MODEL)).await,
        None,
        "without the key the proxy says nothing"
    );

    // The terminal front end, through the proxy with its key: a reply streams, and the next
    // request's budget comes from the server's 2,048.
    let data = DataDir::new()?;
    let cli = Cli::new(cli_binary()?, data.path());
    let server = ["--endpoint", gateway.url.as_str(), "--api-key", KEY];
    let out = cli
        .run_async(
            &[
                &["chat", "--model", MODEL, "--temperature", "0"][..],
                &server,
                &["-m", "What is the capital of France?"],
            ]
            .concat(),
        )
        .await?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.trim().is_empty(), "a reply streamed");
    let out = cli
        .run_async(&[&["context", "1"][..], &server].concat())
        .await?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("Context 2048 tokens (from the server)"),
        "{}",
        out.stdout
    );
    Ok(())
}
