//! How much confab-core's streaming client adds on top of `curl -N`, reading the same reply from
//! the same local server.
//!
//! A loopback server streams a fixed SSE reply (OpenAI chunk format). Each scenario is read
//! alternately by `curl -N` and by `LlmClient::stream`, and the medians of time to first token and
//! total time are compared. Run with `cargo bench -p confab-core --bench stream_vs_curl`.

use std::convert::Infallible;
use std::process::Command;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::routing::post;
use axum::Router;
use confab_core::llm::{
    ChatMessage, ChatRequest, Endpoint, LlmClient, RetryPolicy, StreamEvent, Timeouts,
};
use tokio_util::sync::CancellationToken;

struct Scenario {
    name: &'static str,
    tokens: usize,
    /// Pause before each token: the model's generation speed.
    per_token: Duration,
    /// Pause before the first token: prompt processing.
    first_token: Duration,
    runs: usize,
}

const SCENARIOS: [Scenario; 2] = [
    Scenario {
        name: "2000 tokens, as fast as the socket goes",
        tokens: 2000,
        per_token: Duration::ZERO,
        first_token: Duration::ZERO,
        runs: 30,
    },
    Scenario {
        name: "300 tokens at 1000 tok/s after 20 ms of prompt processing",
        tokens: 300,
        per_token: Duration::from_millis(1),
        first_token: Duration::from_millis(20),
        runs: 15,
    },
];

fn chunks(tokens: usize) -> Vec<Bytes> {
    let mut out: Vec<Bytes> = (0..tokens)
        .map(|i| {
            let data = serde_json::json!({
                "id": "chatcmpl-bench", "object": "chat.completion.chunk", "model": "bench",
                "choices": [{"index": 0, "delta": {"content": format!("tok{i} ")}, "finish_reason": null}]
            });
            Bytes::from(format!("data: {data}\n\n"))
        })
        .collect();
    out.push(Bytes::from(
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
    ));
    out.push(Bytes::from_static(b"data: [DONE]\n\n"));
    out
}

fn serve(tokens: usize, first: Duration, per_token: Duration) -> String {
    let body = chunks(tokens);
    let app = Router::new().route(
        "/v1/chat/completions",
        post(move || {
            let body = body.clone();
            async move {
                // Prompt processing happens before the server answers at all, so curl's
                // time-to-first-byte is its time to first token too.
                if !first.is_zero() {
                    tokio::time::sleep(first).await;
                }
                let stream =
                    futures_util::stream::unfold((0usize, body), move |(i, body)| async move {
                        let chunk = body.get(i)?.clone();
                        if i > 0 && !per_token.is_zero() {
                            tokio::time::sleep(per_token).await;
                        }
                        Some((Ok::<_, Infallible>(chunk), (i + 1, body)))
                    });
                axum::response::Response::builder()
                    .header("content-type", "text/event-stream")
                    .body(Body::from_stream(stream))
                    .unwrap()
            }
        }),
    );
    // The server gets a thread and runtime of its own, as a real server is another process: the
    // client under test never shares its scheduler.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    url
}

/// (time to first byte of the body, total) as curl reports them.
fn curl(url: &str) -> (Duration, Duration) {
    let out = Command::new("curl")
        .args([
            "-N",
            "-s",
            "-o",
            "/dev/null",
            "-H",
            "content-type: application/json",
        ])
        .args([
            "-d",
            r#"{"messages":[{"role":"user","content":"hi"}],"stream":true}"#,
        ])
        .args(["-w", "%{time_starttransfer} %{time_total}"])
        .arg(format!("{url}/v1/chat/completions"))
        .output()
        .expect("curl is installed");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace().map(|s| s.parse::<f64>().unwrap());
    let first = parts.next().unwrap();
    let total = parts.next().unwrap();
    (
        Duration::from_secs_f64(first),
        Duration::from_secs_f64(total),
    )
}

/// (time to first content token, total until [DONE]) through confab-core. A fresh client per
/// run, so each request opens its own connection as curl's does; the clock starts at the request.
async fn confab(url: &str) -> (Duration, Duration) {
    let client = LlmClient::new(
        Endpoint::new(url, None).unwrap(),
        Timeouts::default(),
        RetryPolicy::default(),
    );
    let started = Instant::now();
    let request = ChatRequest {
        messages: vec![ChatMessage::user("hi")],
        ..Default::default()
    };
    let mut stream = client
        .stream(&request, &CancellationToken::new())
        .await
        .unwrap();
    let mut first = None;
    while let Some(event) = stream.next().await {
        match event.unwrap() {
            StreamEvent::Content(_) if first.is_none() => first = Some(started.elapsed()),
            StreamEvent::Done => break,
            _ => {}
        }
    }
    (first.unwrap(), started.elapsed())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // `cargo test --benches` runs bench binaries with no arguments worth honouring; `cargo bench`
    // passes --bench. Only measure when asked to.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    println!("| scenario | first token: curl | confab | ratio | total: curl | confab | ratio |");
    println!("|---|---|---|---|---|---|---|");
    for s in &SCENARIOS {
        let url = serve(s.tokens, s.first_token, s.per_token);
        // Warm both paths once (DNS, page cache, the server's first accept).
        curl(&url);
        confab(&url).await;
        let (mut cf, mut ct, mut of, mut ot) = (vec![], vec![], vec![], vec![]);
        for _ in 0..s.runs {
            let (f, t) = curl(&url);
            cf.push(f);
            ct.push(t);
            let (f, t) = confab(&url).await;
            of.push(f);
            ot.push(t);
        }
        let (cf, ct, of, ot) = (median(cf), median(ct), median(of), median(ot));
        println!(
            "| {} | {:.2} ms | {:.2} ms | {:.2} | {:.2} ms | {:.2} ms | {:.2} |",
            s.name,
            ms(cf),
            ms(of),
            ms(of) / ms(cf),
            ms(ct),
            ms(ot),
            ms(ot) / ms(ct)
        );
    }
}
