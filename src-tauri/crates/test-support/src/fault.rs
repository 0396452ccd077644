//! A scriptable OpenAI-compatible server for tests: scripted replies and faults on demand.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use futures_util::Stream;
use tokio::sync::Notify;

/// How a scripted response ends after its chunks.
#[derive(Clone, Debug)]
pub enum Ending {
    /// The body ends normally.
    Close,
    /// The connection is cut (an error mid-body).
    Drop,
    /// Nothing more is ever sent, and the connection stays open.
    Stall,
}

#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    /// Each chunk is written separately, after its delay.
    pub chunks: Vec<(Duration, Bytes)>,
    pub ending: Ending,
}

impl Reply {
    /// A 200 SSE response made of these raw chunks.
    pub fn sse<I, S>(chunks: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Vec<u8>>,
    {
        Self {
            status: 200,
            headers: vec![("content-type", "text/event-stream".into())],
            chunks: chunks
                .into_iter()
                .map(|c| (Duration::ZERO, Bytes::from(c.into())))
                .collect(),
            ending: Ending::Close,
        }
    }

    /// A JSON response with this status.
    pub fn json(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type", "application/json".into())],
            chunks: vec![(Duration::ZERO, Bytes::from(body.to_owned()))],
            ending: Ending::Close,
        }
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    pub fn ending(mut self, ending: Ending) -> Self {
        self.ending = ending;
        self
    }

    /// Waits `delay` before every chunk.
    pub fn paced(mut self, delay: Duration) -> Self {
        for chunk in &mut self.chunks {
            chunk.0 = delay;
        }
        self
    }
}

/// An SSE `data:` event for a content delta.
pub fn delta(text: &str) -> String {
    format!(
        "data: {}\n\n",
        serde_json::json!({"choices":[{"index":0,"delta":{"content":text},"finish_reason":null}]})
    )
}

/// An SSE `data:` event for a reasoning ("thinking") delta, as llama.cpp and vLLM send it.
pub fn reasoning(text: &str) -> String {
    format!(
        "data: {}\n\n",
        serde_json::json!({"choices":[{"index":0,"delta":{"reasoning_content":text},"finish_reason":null}]})
    )
}

/// An SSE `data:` event for a piece of a tool call (`delta.tool_calls[0]`), with only the fields
/// given.
pub fn tool_call(
    index: Option<u32>,
    id: Option<&str>,
    name: Option<&str>,
    arguments: &str,
) -> String {
    let mut call =
        serde_json::json!({ "type": "function", "function": { "arguments": arguments } });
    if let Some(index) = index {
        call["index"] = index.into();
    }
    if let Some(id) = id {
        call["id"] = id.into();
    }
    if let Some(name) = name {
        call["function"]["name"] = name.into();
    }
    format!(
        "data: {}\n\n",
        serde_json::json!({"choices":[{"index":0,"delta":{"tool_calls":[call]},"finish_reason":null}]})
    )
}

pub fn finish(reason: &str) -> String {
    format!(
        "data: {}\n\n",
        serde_json::json!({"choices":[{"index":0,"delta":{},"finish_reason":reason}]})
    )
}

pub const DONE: &str = "data: [DONE]\n\n";

/// An SSE `data:` event with this JSON as it is: a chunk with `usage` or llama.cpp's `timings`.
pub fn chunk(body: serde_json::Value) -> String {
    format!("data: {body}\n\n")
}

/// A whole (non-streamed) chat completion, as summaries and titles ask for.
pub fn completion(text: &str) -> Reply {
    Reply::json(
        200,
        &serde_json::json!({"choices":[{"index":0,"message":{"role":"assistant","content":text},"finish_reason":"stop"}]})
            .to_string(),
    )
}

/// Where title requests are recorded and scripted: apart from the chat's own requests, so a
/// background title never takes a scripted reply. Unscripted, they get a 404 (the chat keeps the
/// title from its first question).
const TITLE_ROUTE: &str = "#title";

/// Whether a request body asks for a chat's title.
fn is_title_request(body: &serde_json::Value) -> bool {
    body["messages"][0]["content"].as_str() == Some(confab_core::chat::TITLE_INSTRUCTIONS)
}

/// Makes an embedding vector from a text.
pub type EmbedFn = Arc<dyn Fn(&str) -> Vec<f32> + Send + Sync>;

/// Words the test vectors leave out, as an embedding model gives them little weight.
const UNWEIGHTED: &[&str] = &[
    "the", "and", "what", "which", "who", "where", "when", "how", "does", "did", "our", "you",
    "your", "for", "with", "that", "this", "are", "was", "have", "has", "can", "could", "give",
    "keep", "it", "is", "in", "on", "at", "me", "my", "do", "we", "us", "from", "into", "onto",
    "until", "much", "may", "get", "being", "before", "will", "take", "place", "remind", "what's",
];

/// Deterministic test vectors: each word (lower-cased, letters and digits) is mapped through
/// `concepts` (word → concept, so that synonyms share one) and hashed into one of `dims`
/// dimensions; the vector counts them. Texts sharing concepts are close; others are orthogonal
/// but for hash collisions.
pub fn concept_vectors(dims: usize, concepts: &[(&str, &str)]) -> EmbedFn {
    let map: std::collections::HashMap<String, String> = concepts
        .iter()
        .map(|(w, c)| (w.to_string(), c.to_string()))
        .collect();
    Arc::new(move |text: &str| {
        let mut v = vec![0f32; dims];
        for word in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() > 2)
        {
            let word = word.to_lowercase();
            if UNWEIGHTED.contains(&word.as_str()) {
                continue;
            }
            let concept = map.get(&word).cloned().unwrap_or(word);
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for b in concept.bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
            v[(h % dims as u64) as usize] += 1.0;
        }
        if v.iter().all(|x| *x == 0.0) {
            v[0] = 1.0;
        }
        v
    })
}

#[derive(Default)]
struct Shared {
    /// Per path prefix: scripted replies, used in order; the last one repeats.
    script: Mutex<Vec<(String, VecDeque<Reply>)>>,
    requests: Mutex<Vec<(String, serde_json::Value)>>,
    authorizations: Mutex<Vec<Option<String>>>,
    count: AtomicUsize,
    disconnects: AtomicUsize,
    disconnected: Notify,
    /// Answers `/v1/embeddings` when set and nothing is scripted there, after a delay.
    embed: Mutex<Option<EmbedFn>>,
    embed_delay: Mutex<Duration>,
}

pub struct FaultServer {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultServer {
    pub async fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .fallback(any(handle))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { addr, shared, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Scripts the replies to requests whose path starts with `path`.
    pub fn script(&self, path: &str, replies: impl IntoIterator<Item = Reply>) {
        self.shared
            .script
            .lock()
            .unwrap()
            .push((path.to_owned(), replies.into_iter().collect()));
    }

    /// Serves `/v1/embeddings` (batches included) with vectors from `embed` (see
    /// [`concept_vectors`]), and lists `model` as an embedding model in `/v1/models`.
    pub fn embeddings(&self, model: &str, embed: EmbedFn) {
        *self.shared.embed.lock().unwrap() = Some(embed);
        self.script(
            "/v1/models",
            [Reply::json(
                200,
                &serde_json::json!({"object": "list", "data": [{"id": model, "object": "model"}]})
                    .to_string(),
            )],
        );
    }

    /// Makes every `/v1/embeddings` answer wait `delay` (a slow embedding model).
    pub fn embed_delay(&self, delay: Duration) {
        *self.shared.embed_delay.lock().unwrap() = delay;
    }

    /// The number of texts embedded so far, over all requests.
    pub fn embedded_texts(&self) -> usize {
        self.requests()
            .iter()
            .filter(|(path, _)| path == "/v1/embeddings")
            .map(|(_, body)| body["input"].as_array().map_or(1, Vec::len))
            .sum()
    }

    /// Answers `/props` as llama.cpp does, saying whether the model takes images
    /// (`modalities.vision`) and its context size.
    pub fn vision(&self, takes_images: bool, n_ctx: u64) {
        self.script(
            "/props",
            [Reply::json(
                200,
                &serde_json::json!({
                    "default_generation_settings": {"n_ctx": n_ctx},
                    "modalities": {"vision": takes_images, "audio": false},
                })
                .to_string(),
            )],
        );
    }

    /// Scripts `/v1/chat/completions`.
    pub fn chat(&self, replies: impl IntoIterator<Item = Reply>) {
        self.script("/v1/chat/completions", replies);
    }

    /// Scripts the answers to title requests (see [`is_title_request`]).
    pub fn titles(&self, replies: impl IntoIterator<Item = Reply>) {
        self.script(TITLE_ROUTE, replies);
    }

    /// The title requests received, oldest first.
    pub fn title_requests(&self) -> Vec<serde_json::Value> {
        self.requests()
            .into_iter()
            .filter(|(path, _)| path == TITLE_ROUTE)
            .map(|(_, body)| body)
            .collect()
    }

    pub fn request_count(&self) -> usize {
        self.shared.count.load(Ordering::SeqCst)
    }

    /// The JSON bodies received, with their paths.
    pub fn requests(&self) -> Vec<(String, serde_json::Value)> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// The JSON bodies of the chat completion requests received, oldest first (discovery and
    /// tokenizer probes left out).
    pub fn chat_requests(&self) -> Vec<serde_json::Value> {
        self.requests()
            .into_iter()
            .filter(|(path, _)| path == "/v1/chat/completions")
            .map(|(_, body)| body)
            .collect()
    }

    /// The `Authorization` header of each request.
    pub fn authorizations(&self) -> Vec<Option<String>> {
        self.shared.authorizations.lock().unwrap().clone()
    }

    /// Waits until a response body was dropped before it ended (the client went away).
    pub async fn client_disconnected(&self, within: Duration) -> bool {
        if self.shared.disconnects.load(Ordering::SeqCst) > 0 {
            return true;
        }
        tokio::time::timeout(within, async {
            loop {
                let notified = self.shared.disconnected.notified();
                if self.shared.disconnects.load(Ordering::SeqCst) > 0 {
                    return;
                }
                notified.await;
            }
        })
        .await
        .is_ok()
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(State(shared): State<Arc<Shared>>, req: axum::extract::Request) -> Response {
    shared.count.fetch_add(1, Ordering::SeqCst);
    let path = req.uri().path().to_owned();
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    shared.authorizations.lock().unwrap().push(auth);
    let body = axum::body::to_bytes(req.into_body(), 16 << 20)
        .await
        .unwrap_or_default();
    let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    let path = if is_title_request(&json) {
        TITLE_ROUTE.to_owned()
    } else {
        path
    };
    shared
        .requests
        .lock()
        .unwrap()
        .push((path.clone(), json.clone()));
    let reply = {
        let mut script = shared.script.lock().unwrap();
        script
            .iter_mut()
            .rev()
            .find(|(prefix, _)| path.starts_with(prefix.as_str()))
            .and_then(|(_, replies)| {
                if replies.len() > 1 {
                    replies.pop_front()
                } else {
                    replies.front().cloned()
                }
            })
    };
    let embed = shared.embed.lock().unwrap().clone();
    let reply = match (reply, embed) {
        (None, Some(embed)) if path == "/v1/embeddings" => {
            let delay = *shared.embed_delay.lock().unwrap();
            tokio::time::sleep(delay).await;
            Some(embeddings_reply(&json, &embed))
        }
        (reply, _) => reply,
    };
    let Some(reply) = reply else {
        return Response::builder()
            .status(404)
            .body(Body::from(r#"{"error":{"message":"no such route"}}"#))
            .unwrap();
    };
    let mut builder = Response::builder().status(StatusCode::from_u16(reply.status).unwrap());
    for (name, value) in &reply.headers {
        builder = builder.header(*name, HeaderValue::from_str(value).unwrap());
    }
    let stream = ScriptedBody::new(reply.chunks, reply.ending, shared.clone());
    builder.body(Body::from_stream(stream)).unwrap()
}

fn embeddings_reply(body: &serde_json::Value, embed: &EmbedFn) -> Reply {
    let inputs: Vec<String> = match &body["input"] {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(a) => a
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect(),
        _ => return Reply::json(400, r#"{"error":{"message":"input is required"}}"#),
    };
    let data: Vec<serde_json::Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, text)| serde_json::json!({"object": "embedding", "index": i, "embedding": embed(text)}))
        .collect();
    Reply::json(
        200,
        &serde_json::json!({"object": "list", "data": data, "model": body["model"]}).to_string(),
    )
}

type Chunk = Result<Bytes, std::io::Error>;

/// A response body that plays its script and notes when the client drops it early.
struct ScriptedBody {
    inner: std::pin::Pin<Box<dyn Stream<Item = Chunk> + Send>>,
    shared: Arc<Shared>,
    ended: Arc<std::sync::atomic::AtomicBool>,
}

impl ScriptedBody {
    fn new(chunks: Vec<(Duration, Bytes)>, ending: Ending, shared: Arc<Shared>) -> Self {
        let ended = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let done = ended.clone();
        let inner = async_stream(chunks, ending, done);
        Self {
            inner: Box::pin(inner),
            shared,
            ended,
        }
    }
}

fn async_stream(
    chunks: Vec<(Duration, Bytes)>,
    ending: Ending,
    ended: Arc<std::sync::atomic::AtomicBool>,
) -> impl Stream<Item = Chunk> + Send {
    futures_util::stream::unfold(
        (VecDeque::from(chunks), Some(ending), ended),
        |(mut chunks, ending, ended)| async move {
            if let Some((delay, bytes)) = chunks.pop_front() {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                return Some((Ok(bytes), (chunks, ending, ended)));
            }
            match ending? {
                Ending::Close => {
                    ended.store(true, Ordering::SeqCst);
                    None
                }
                Ending::Drop => {
                    // Let the bytes before the cut reach the client first.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    ended.store(true, Ordering::SeqCst);
                    Some((
                        Err(std::io::Error::other("scripted connection drop")),
                        (chunks, None, ended),
                    ))
                }
                Ending::Stall => {
                    std::future::pending::<()>().await;
                    None
                }
            }
        },
    )
}

impl Stream for ScriptedBody {
    type Item = Chunk;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Chunk>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl Drop for ScriptedBody {
    fn drop(&mut self) {
        if !self.ended.load(Ordering::SeqCst) {
            self.shared.disconnects.fetch_add(1, Ordering::SeqCst);
            self.shared.disconnected.notify_waiters();
        }
    }
}
