//! Discovery against a scripted server: each route's shape, and missing routes give `None`.

use std::time::Duration;

use confab_core::llm::discovery::probe_local_servers;
use confab_core::llm::{Endpoint, LlmClient, RetryPolicy, Timeouts};
use confab_test_support::fault::{FaultServer, Reply};

fn client(server: &FaultServer) -> LlmClient {
    LlmClient::new(
        Endpoint::new(&server.url(), None).unwrap(),
        Timeouts::default(),
        RetryPolicy::default(),
    )
}

#[tokio::test]
async fn llama_cpp_routes_give_context_and_token_counts() {
    let server = FaultServer::start().await;
    server.script("/props", [Reply::json(200, r#"{"default_generation_settings":{"n_ctx":2048},"total_slots":2,"model_path":"/m/smol.gguf"}"#)]);
    server.script("/tokenize", [Reply::json(200, r#"{"tokens":[19556,905]}"#)]);
    server.script(
        "/v1/models",
        [Reply::json(
            200,
            r#"{"data":[{"id":"smollm2","meta":{"n_ctx_train":8192}}]}"#,
        )],
    );
    let c = client(&server);
    let props = c.server_props().await.unwrap();
    assert_eq!((props.n_ctx, props.total_slots), (Some(2048), Some(2)));
    assert_eq!(
        c.context_length(Some("smollm2")).await,
        Some(2048),
        "the running context wins"
    );
    assert_eq!(c.tokenize("Hello world").await, Some(2));
    let models = c.list_models().await.unwrap();
    assert_eq!(models[0].id, "smollm2");
    assert_eq!(
        server
            .requests()
            .iter()
            .find(|r| r.0 == "/tokenize")
            .unwrap()
            .1["content"],
        "Hello world"
    );
}

#[tokio::test]
async fn servers_without_the_extras_give_none_not_errors() {
    let server = FaultServer::start().await;
    server.script(
        "/v1/models",
        [Reply::json(200, r#"{"data":[{"id":"a"},{"id":"b"}]}"#)],
    );
    let c = client(&server);
    assert_eq!(c.server_props().await, None);
    assert_eq!(c.tokenize("x").await, None);
    assert_eq!(c.context_length(Some("a")).await, None);
}

#[tokio::test]
async fn lm_studio_and_ollama_context_lengths() {
    let server = FaultServer::start().await;
    server.script(
        "/v1/models",
        [Reply::json(200, r#"{"data":[{"id":"qwen"}]}"#)],
    );
    server.script("/api/v0/models", [Reply::json(200, r#"{"data":[{"id":"qwen","state":"loaded","max_context_length":32768,"loaded_context_length":4096}]}"#)]);
    assert_eq!(
        client(&server).context_length(Some("qwen")).await,
        Some(4096)
    );

    let server = FaultServer::start().await;
    server.script(
        "/api/show",
        [Reply::json(
            200,
            r#"{"model_info":{"llama.context_length":131072}}"#,
        )],
    );
    assert_eq!(
        client(&server).context_length(Some("llama3")).await,
        Some(131072)
    );
}

/// LiteLLM's proxy in front of another server: no `/props`, a model list without lengths (its
/// older versions), and each model's `max_input_tokens` in `/model/info`, which it answers only
/// with the key.
#[tokio::test]
async fn a_litellm_gateway_says_each_models_context_in_model_info() {
    let server = FaultServer::start().await;
    server.script(
        "/v1/models",
        [Reply::json(
            200,
            r#"{"data":[{"id":"smollm2","object":"model"},{"id":"qwen","object":"model"}],"object":"list"}"#,
        )],
    );
    server.script(
        "/model/info",
        [Reply::json(
            200,
            r#"{"data":[
                {"model_name":"smollm2","litellm_params":{"model":"openai/smollm2","api_base":"http://127.0.0.1:8080/v1"},
                 "model_info":{"id":"2d52ff0c","max_input_tokens":2048,"max_tokens":null,"max_output_tokens":null}},
                {"model_name":"qwen","litellm_params":{"model":"hosted_vllm/qwen"},
                 "model_info":{"id":"9a1b","max_input_tokens":32768}}
            ]}"#,
        )],
    );
    let c = LlmClient::new(
        Endpoint::new(&server.url(), Some("sk-gateway".into())).unwrap(),
        Timeouts::default(),
        RetryPolicy::default(),
    );
    assert_eq!(c.context_length(Some("smollm2")).await, Some(2048));
    assert_eq!(c.context_length(Some("qwen")).await, Some(32768));
    assert_eq!(c.gateway_context_length(Some("smollm2")).await, Some(2048));
    assert_eq!(
        c.context_length(Some("missing")).await,
        None,
        "another model's length is no answer"
    );
    let asked: Vec<String> = server.requests().into_iter().map(|r| r.0).collect();
    assert!(asked.iter().any(|p| p == "/model/info"), "{asked:?}");
    assert!(server
        .authorizations()
        .iter()
        .all(|a| a.as_deref() == Some("Bearer sk-gateway")));
}

#[tokio::test]
async fn probing_finds_running_servers_only() {
    let server = FaultServer::start().await;
    server.script(
        "/v1/models",
        [Reply::json(200, r#"{"data":[{"id":"smollm2"}]}"#)],
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let found = probe_local_servers(
        "127.0.0.1",
        &[server.addr.port(), closed_port],
        Duration::from_secs(2),
    )
    .await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].base_url, format!("{}/v1", server.url()));
    assert_eq!(found[0].models, ["smollm2"]);
}
