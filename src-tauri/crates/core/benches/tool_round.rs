//! Confab's own time per tool round, and its memory over a 100-round chat.
//!
//! A loopback model server answers each question with a call of the tests' MCP server's `echo`
//! (always allowed, so nobody is asked), and each result with a short answer. For every round it
//! notes when it wrote the reply's `finish_reason: tool_calls` and when the next request (carrying
//! the result) arrived: that interval is Confab's work — reading the end of the stream, saving the
//! reply and its call, deciding, writing `tools/call`, saving the result, rebuilding the request
//! from the database and sending it — plus the MCP server's own answer, measured apart (echo calls
//! alone) and taken off. Then the process's resident memory after 10, 50 and 100 rounds.
//!
//! Run with `cargo bench -p confab-core --bench tool_round`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::routing::post;
use axum::Router;
use confab_core::chat::ChatService;
use confab_core::llm::{Endpoint, LlmClient, RetryPolicy, Timeouts};
use confab_core::secrets::{BackendError, SecretBackend};
use confab_core::tools::{HeaderSecrets, ServerDefinition, ToolHub};
use confab_test_support::mcp::stdio_server_exe;
use confab_test_support::store::TestStore;
use tokio_util::sync::CancellationToken;

const ROUNDS: usize = 100;

struct NoKeyring;

impl SecretBackend for NoKeyring {
    fn get(&self, _: &str) -> Result<Option<String>, BackendError> {
        Ok(None)
    }
    fn set(&self, _: &str, _: &str) -> Result<(), BackendError> {
        Ok(())
    }
    fn delete(&self, _: &str) -> Result<(), BackendError> {
        Ok(())
    }
}

/// When each tool-call reply was finished, and when each request came.
#[derive(Default)]
struct Clock {
    finished: Vec<Instant>,
    arrived: Vec<Instant>,
}

fn sse(events: Vec<String>) -> Body {
    let stream = futures_util::stream::iter(
        events
            .into_iter()
            .map(|e| Ok::<_, std::convert::Infallible>(Bytes::from(e))),
    );
    Body::from_stream(stream)
}

fn chunk(delta: serde_json::Value, finish: Option<&str>) -> String {
    let body =
        serde_json::json!({ "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }] });
    format!("data: {body}\n\n")
}

async fn model(clock: Arc<Mutex<Clock>>, body: String) -> axum::response::Response {
    // Noted before this server reads the request: parsing it is the model server's work.
    let now = Instant::now();
    let request: serde_json::Value = serde_json::from_str(&body).unwrap();
    if request["stream"] != true {
        // The chat's title, asked in the background: not part of a round.
        return axum::response::Response::builder()
            .header("content-type", "application/json")
            .body(Body::from(
                r#"{"choices":[{"index":0,"message":{"role":"assistant","content":"Echoes"},"finish_reason":"stop"}]}"#,
            ))
            .unwrap();
    }
    let last_role = request["messages"]
        .as_array()
        .and_then(|m| m.last())
        .map(|m| m["role"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    let events = if last_role == "tool" {
        clock.lock().unwrap().arrived.push(now);
        vec![
            chunk(serde_json::json!({ "content": "Done." }), None),
            chunk(serde_json::json!({}), Some("stop")),
            "data: [DONE]\n\n".into(),
        ]
    } else {
        vec![
            chunk(
                serde_json::json!({ "tool_calls": [{ "index": 0, "id": "call_1", "type": "function",
                    "function": { "name": "test__echo", "arguments": "{\"text\": \"a result of some length, like a line of a file\"}" } }] }),
                None,
            ),
            chunk(serde_json::json!({}), Some("tool_calls")),
            "data: [DONE]\n\n".into(),
        ]
    };
    let finishing = last_role != "tool";
    let response = axum::response::Response::builder()
        .header("content-type", "text/event-stream")
        .body(sse(events))
        .unwrap();
    if finishing {
        // Written as soon as the handler returns: the body is in memory.
        clock.lock().unwrap().finished.push(Instant::now());
    }
    response
}

fn percentile(mut values: Vec<f64>, p: f64) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[((values.len() - 1) as f64 * p).round() as usize]
}

fn resident_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let clock = Arc::new(Mutex::new(Clock::default()));
    let app = Router::new().route(
        "/v1/chat/completions",
        post({
            let clock = clock.clone();
            move |body: String| model(clock.clone(), body)
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let t = TestStore::new().await;
    let hub = Arc::new(ToolHub::new(
        t.store.clone(),
        Arc::new(HeaderSecrets::new(Box::new(NoKeyring))),
        t.dir.path().join("tool-logs"),
    ));
    let exe = stdio_server_exe();
    let added = hub
        .add(
            &ServerDefinition::stdio("test", exe.to_str().unwrap(), &[]),
            &BTreeMap::new(),
        )
        .await
        .unwrap();
    added.started.unwrap();
    let server = added.server;
    let echo = server.tool("echo").unwrap().usable().unwrap().hash.clone();
    t.store
        .allow_tool(server.id, "echo", None, &echo)
        .await
        .unwrap();

    // The MCP server's own round trip, to take off.
    let cancel = CancellationToken::new();
    let args = serde_json::json!({ "text": "a result of some length, like a line of a file" });
    let mut echo_ms = Vec::new();
    for _ in 0..200 {
        let start = Instant::now();
        hub.call(server.id, "echo", args.as_object().cloned(), &cancel)
            .await
            .unwrap();
        echo_ms.push(start.elapsed().as_secs_f64() * 1000.0);
    }

    let client = LlmClient::new(
        Endpoint::new(&url, None).unwrap(),
        Timeouts::default(),
        RetryPolicy::default(),
    );
    let service = Arc::new(ChatService::new(t.store.clone(), client));
    service.set_tools(hub.clone());
    let chat = t.chat("bench").await;
    t.store
        .set_conversation_tool_servers(chat.id, Some(&[server.id]))
        .await
        .unwrap();
    let mut memory = Vec::new();
    for round in 1..=ROUNDS {
        let reply = service
            .send(chat.id, &format!("Question {round}: echo it."), &())
            .await
            .unwrap();
        assert_eq!(reply.content, "Done.");
        if [10, 50, 100].contains(&round) {
            memory.push((round, resident_mib()));
        }
    }
    let rounds: Vec<f64> = {
        let clock = clock.lock().unwrap();
        clock
            .finished
            .iter()
            .zip(&clock.arrived)
            .map(|(f, a)| a.duration_since(*f).as_secs_f64() * 1000.0)
            .collect()
    };
    assert_eq!(rounds.len(), ROUNDS);
    let (r50, r95) = (percentile(rounds.clone(), 0.5), percentile(rounds, 0.95));
    let (e50, e95) = (percentile(echo_ms.clone(), 0.5), percentile(echo_ms, 0.95));
    println!(
        "tool round, finish_reason to the next request sent, over {ROUNDS} rounds (the chat growing \
         to {} messages): p50 {r50:.2} ms, p95 {r95:.2} ms",
        ROUNDS * 3
    );
    println!("  the MCP server's echo alone (200 calls): p50 {e50:.2} ms, p95 {e95:.2} ms");
    println!(
        "  Confab's own time per round: p50 {:.2} ms (target ≤ 5 ms)",
        (r50 - e50).max(0.0)
    );
    let shown: Vec<String> = memory
        .iter()
        .map(|(round, mib)| format!("after {round} rounds {mib:.1} MiB"))
        .collect();
    println!("  resident memory: {}", shown.join(", "));
    hub.shutdown().await;
}
