//! The HTTP side: sending a request (with retries before the first token), reading the SSE stream
//! (with first-token and idle timeouts), and stopping at once when cancelled.

use std::collections::VecDeque;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use super::error::{classify, excerpt, parse_retry_after, LlmError};
use super::sse::{SseDecoder, SseEvent};
use super::types::{
    ChatRequest, Completion, FinishReason, RetryPolicy, StreamEvent, Timeouts, Timings,
    ToolCallDelta, Usage,
};

/// The route replies are asked of.
const CHAT_PATH: &str = "/v1/chat/completions";

/// Where the model server is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The server's root, normalised: `http://localhost:1234`, without a trailing `/v1`.
    root: String,
    pub api_key: Option<String>,
}

impl Endpoint {
    /// Accepts `http://host:port`, with or without a trailing `/` or `/v1`.
    pub fn new(base_url: &str, api_key: Option<String>) -> Result<Self, LlmError> {
        let trimmed = base_url.trim().trim_end_matches('/');
        let root = trimmed.strip_suffix("/v1").unwrap_or(trimmed);
        let parsed = url::Url::parse(root).map_err(|e| LlmError::Protocol {
            message: format!(
                "the endpoint {base_url:?} is not a URL ({e}) — use e.g. http://localhost:1234"
            ),
            excerpt: String::new(),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(LlmError::Protocol {
                message: format!("the endpoint {base_url:?} must be an http:// or https:// URL"),
                excerpt: String::new(),
            });
        }
        Ok(Self {
            root: root.to_owned(),
            api_key: api_key.filter(|k| !k.trim().is_empty()),
        })
    }

    /// The server's root URL, e.g. `http://localhost:1234`.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// The OpenAI-compatible base, e.g. `http://localhost:1234/v1`.
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.root)
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.root)
    }
}

/// A client for one OpenAI-compatible server. Cheap to clone.
#[derive(Debug, Clone)]
pub struct LlmClient {
    pub(crate) http: reqwest::Client,
    pub(crate) endpoint: Endpoint,
    pub(crate) timeouts: Timeouts,
    pub(crate) retry: RetryPolicy,
}

impl LlmClient {
    pub fn new(endpoint: Endpoint, timeouts: Timeouts, retry: RetryPolicy) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .tcp_nodelay(true)
            // Local servers: no proxy detour for localhost, and no pooled connection reused after
            // a cancel (a dropped response closes its connection).
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("Confab/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a TLS backend is compiled in");
        Self {
            http,
            endpoint,
            timeouts,
            retry,
        }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    pub(crate) fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let builder = self.http.request(method, self.endpoint.url(path));
        match &self.endpoint.api_key {
            Some(key) => builder.bearer_auth(key),
            None => builder,
        }
    }

    /// Starts a streamed reply. Connection failures, 429, 503 and 5xx are retried with backoff
    /// until the server starts answering; after that nothing is re-sent.
    pub async fn stream(
        &self,
        request: &ChatRequest,
        cancel: &CancellationToken,
    ) -> Result<ChatStream, LlmError> {
        let body = request.body(true);
        let response = self
            .send_with_retries(CHAT_PATH, &body, request.model.as_deref(), cancel, |e| e)
            .await?;
        Ok(ChatStream {
            inner: Box::pin(response.bytes_stream()),
            decoder: SseDecoder::default(),
            events: VecDeque::new(),
            cancel: cancel.clone(),
            timeouts: self.timeouts,
            started: false,
            finished: false,
            model_reported: false,
            pending: VecDeque::new(),
        })
    }

    /// A whole reply at once (no streaming): for summaries and titles.
    pub async fn complete(
        &self,
        request: &ChatRequest,
        cancel: &CancellationToken,
    ) -> Result<Completion, LlmError> {
        let body = request.body(false);
        let response = self
            .send_with_retries(CHAT_PATH, &body, request.model.as_deref(), cancel, |e| e)
            .await?;
        let bytes = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(LlmError::Cancelled),
            r = tokio::time::timeout(self.timeouts.first_token, response.bytes()) => match r {
                Err(_) => return Err(LlmError::FirstTokenTimeout { after: self.timeouts.first_token }),
                Ok(Err(e)) => return Err(LlmError::Interrupted { reason: e.to_string() }),
                Ok(Ok(b)) => b,
            },
        };
        let parsed: CompletionBody =
            serde_json::from_slice(&bytes).map_err(|e| LlmError::Protocol {
                message: format!("malformed JSON: {e}"),
                excerpt: excerpt(&bytes),
            })?;
        let choice = parsed.choices.into_iter().next();
        let (message, finish) = match choice {
            Some(c) => (c.message.unwrap_or_default(), c.finish_reason),
            None => (WireDelta::default(), None),
        };
        Ok(Completion {
            content: message.content.unwrap_or_default(),
            reasoning: message
                .reasoning_content
                .or(message.reasoning)
                .unwrap_or_default(),
            usage: parsed.usage.map(WireUsage::into_usage).unwrap_or_default(),
            finish_reason: finish.as_deref().map(FinishReason::parse),
            model: parsed.model,
        })
    }

    /// POSTs `body` to `path`, retrying connection failures, 429, 503 and other passing 5xx
    /// answers with backoff until the server answers. `route_error` words a failed attempt for
    /// the route (before it is judged retryable).
    pub(crate) async fn send_with_retries(
        &self,
        path: &str,
        body: &serde_json::Value,
        model: Option<&str>,
        cancel: &CancellationToken,
        route_error: impl Fn(LlmError) -> LlmError,
    ) -> Result<reqwest::Response, LlmError> {
        let mut attempt = 1;
        loop {
            let result = tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(LlmError::Cancelled),
                r = self.send_once(path, body, model) => r,
            };
            let err = match result {
                Ok(response) => return Ok(response),
                Err(err) => route_error(err),
            };
            if attempt >= self.retry.max_attempts || !err.is_retryable_before_first_token() {
                return Err(err);
            }
            let delay = match &err {
                LlmError::RateLimited {
                    retry_after: Some(after),
                } => (*after).min(self.retry.max_delay),
                _ => self.retry.delay(attempt),
            };
            tracing::debug!(attempt, ?delay, error = %err, "retrying before the first token");
            tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(LlmError::Cancelled),
                _ = tokio::time::sleep(delay) => {}
            }
            attempt += 1;
        }
    }

    async fn send_once(
        &self,
        path: &str,
        body: &serde_json::Value,
        model: Option<&str>,
    ) -> Result<reqwest::Response, LlmError> {
        let send = self.request(reqwest::Method::POST, path).json(body).send();
        let response = match tokio::time::timeout(self.timeouts.first_token, send).await {
            Err(_) => {
                return Err(LlmError::FirstTokenTimeout {
                    after: self.timeouts.first_token,
                })
            }
            Ok(Err(e)) => return Err(self.transport_error(e)),
            Ok(Ok(r)) => r,
        };
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let retry_after = parse_retry_after(response.headers().get(reqwest::header::RETRY_AFTER));
        // An error body is small; don't wait forever for one that never ends.
        let body = tokio::time::timeout(self.timeouts.idle, response.bytes())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        Err(classify(status, retry_after, &body, model))
    }

    pub(crate) fn transport_error(&self, err: reqwest::Error) -> LlmError {
        if err.is_connect() {
            if err.is_timeout() || is_timeout_source(&err) {
                LlmError::ConnectTimeout {
                    url: self.endpoint.root.clone(),
                    after: self.timeouts.connect,
                }
            } else {
                LlmError::Unreachable {
                    url: self.endpoint.root.clone(),
                }
            }
        } else if err.is_timeout() {
            LlmError::ConnectTimeout {
                url: self.endpoint.root.clone(),
                after: self.timeouts.connect,
            }
        } else {
            LlmError::Interrupted {
                reason: root_cause(&err),
            }
        }
    }
}

fn is_timeout_source(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = err.source();
    while let Some(s) = source {
        if s.to_string().to_lowercase().contains("timed out") {
            return true;
        }
        source = s.source();
    }
    false
}

fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last
}

/// A reply as it streams in. Dropping it closes the connection, which tells the server to stop.
pub struct ChatStream {
    inner: Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>,
    decoder: SseDecoder,
    /// Decoded events not yet turned into [`StreamEvent`]s.
    events: VecDeque<SseEvent>,
    cancel: CancellationToken,
    timeouts: Timeouts,
    started: bool,
    finished: bool,
    model_reported: bool,
    pending: VecDeque<StreamEvent>,
}

impl std::fmt::Debug for ChatStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatStream")
            .field("started", &self.started)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl ChatStream {
    /// The next event; `None` after [`StreamEvent::Done`] or after an error. A stream that ends
    /// without `[DONE]` yields [`LlmError::Interrupted`]: an incomplete reply never looks complete.
    pub async fn next(&mut self) -> Option<Result<StreamEvent, LlmError>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(Ok(event));
            }
            if self.finished {
                return None;
            }
            if let Some(event) = self.events.pop_front() {
                if let Err(err) = self.accept(&event) {
                    return Some(Err(self.fail(err)));
                }
                continue;
            }
            let wait = if self.started {
                self.timeouts.idle
            } else {
                self.timeouts.first_token
            };
            let next = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => return Some(Err(self.fail(LlmError::Cancelled))),
                next = tokio::time::timeout(wait, self.inner.next()) => next,
            };
            match next {
                Err(_) if self.started => {
                    return Some(Err(self.fail(LlmError::IdleTimeout { after: wait })))
                }
                Err(_) => return Some(Err(self.fail(LlmError::FirstTokenTimeout { after: wait }))),
                Ok(None) => {
                    return Some(Err(self.fail(LlmError::Interrupted {
                        reason: "the server closed the stream without finishing it".into(),
                    })))
                }
                Ok(Some(Err(e))) => {
                    return Some(Err(self.fail(LlmError::Interrupted {
                        reason: root_cause(&e),
                    })))
                }
                Ok(Some(Ok(bytes))) => self.decoder.push(&bytes, &mut self.events),
            }
        }
    }

    /// Ends the stream with `err`, dropping the connection now.
    fn fail(&mut self, err: LlmError) -> LlmError {
        self.finished = true;
        self.pending.clear();
        self.events.clear();
        self.inner = Box::pin(futures_util::stream::empty());
        err
    }

    fn accept(&mut self, event: &SseEvent) -> Result<(), LlmError> {
        let data = event.data.trim();
        if event.event == "error" {
            return Err(stream_error_body(data));
        }
        if data.is_empty() {
            return Ok(());
        }
        self.started = true;
        if data == "[DONE]" {
            self.pending.push_back(StreamEvent::Done);
            self.finished = true;
            self.events.clear();
            self.inner = Box::pin(futures_util::stream::empty());
            return Ok(());
        }
        let chunk: ChunkBody = serde_json::from_str(data).map_err(|e| LlmError::Protocol {
            message: format!("malformed JSON in the stream: {e}"),
            excerpt: excerpt(data.as_bytes()),
        })?;
        if let Some(error) = chunk.error {
            return Err(stream_error_body(&error.to_string()));
        }
        if let Some(model) = chunk.model.filter(|m| !m.is_empty()) {
            if !self.model_reported {
                self.model_reported = true;
                self.pending.push_back(StreamEvent::Model(model));
            }
        }
        for choice in chunk.choices {
            if let Some(delta) = choice.delta {
                if delta.role.is_some() {
                    self.pending.push_back(StreamEvent::Role);
                }
                if let Some(r) = delta
                    .reasoning_content
                    .or(delta.reasoning)
                    .filter(|r| !r.is_empty())
                {
                    self.pending.push_back(StreamEvent::Reasoning(r));
                }
                if let Some(c) = delta.content.filter(|c| !c.is_empty()) {
                    self.pending.push_back(StreamEvent::Content(c));
                }
                for call in delta.tool_calls.into_iter().flatten() {
                    let function = call.function.unwrap_or_default();
                    self.pending.push_back(StreamEvent::ToolCall(ToolCallDelta {
                        index: call.index,
                        id: call.id.filter(|id| !id.is_empty()),
                        name: function.name.filter(|n| !n.is_empty()),
                        arguments: function.arguments.map(arguments_text).unwrap_or_default(),
                    }));
                }
            }
            if let Some(reason) = choice.finish_reason {
                self.pending
                    .push_back(StreamEvent::Finish(FinishReason::parse(&reason)));
            }
        }
        if let Some(usage) = chunk.usage {
            self.pending
                .push_back(StreamEvent::Usage(usage.into_usage()));
        }
        if let Some(timings) = chunk.timings {
            self.pending.push_back(StreamEvent::Timings(timings));
        }
        Ok(())
    }
}

/// An error sent inside the stream (`event: error`, or a chunk with an `error` object).
fn stream_error_body(data: &str) -> LlmError {
    let wrapped;
    let body = if data.trim_start().starts_with("{\"error\"") {
        data
    } else {
        wrapped = format!("{{\"error\":{data}}}");
        if serde_json::from_str::<serde_json::Value>(&wrapped).is_ok() {
            &wrapped
        } else {
            data
        }
    };
    let status = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.pointer("/error/code").and_then(|c| c.as_u64()))
        .and_then(|c| u16::try_from(c).ok())
        .and_then(|c| reqwest::StatusCode::from_u16(c).ok())
        .unwrap_or(reqwest::StatusCode::INTERNAL_SERVER_ERROR);
    classify(status, None, body.as_bytes(), None)
}

#[derive(Deserialize)]
struct ChunkBody {
    #[serde(default)]
    choices: Vec<WireChoice>,
    model: Option<String>,
    usage: Option<WireUsage>,
    timings: Option<Timings>,
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct CompletionBody {
    #[serde(default)]
    choices: Vec<WireChoice>,
    model: Option<String>,
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct WireChoice {
    delta: Option<WireDelta>,
    message: Option<WireDelta>,
    finish_reason: Option<String>,
}

#[derive(Deserialize, Default)]
struct WireDelta {
    role: Option<String>,
    content: Option<String>,
    reasoning_content: Option<String>,
    reasoning: Option<String>,
    tool_calls: Option<Vec<WireToolCallDelta>>,
}

#[derive(Deserialize)]
struct WireToolCallDelta {
    index: Option<u32>,
    id: Option<String>,
    function: Option<WireFunctionDelta>,
}

#[derive(Deserialize, Default)]
struct WireFunctionDelta {
    name: Option<String>,
    /// A string piece; some servers send a whole JSON object instead.
    arguments: Option<serde_json::Value>,
}

/// The arguments as text: a string piece as it is, an object as its JSON.
fn arguments_text(value: serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[derive(Deserialize)]
struct WireUsage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
    prompt_tokens_details: Option<WirePromptDetails>,
}

#[derive(Deserialize)]
struct WirePromptDetails {
    cached_tokens: Option<u64>,
}

impl WireUsage {
    fn into_usage(self) -> Usage {
        Usage {
            prompt_tokens: self.prompt_tokens,
            completion_tokens: self.completion_tokens,
            cached_tokens: self.prompt_tokens_details.and_then(|d| d.cached_tokens),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_normalised_without_doubling_v1() {
        for url in [
            "http://localhost:1234",
            "http://localhost:1234/",
            "http://localhost:1234/v1",
            " http://localhost:1234/v1/ ",
        ] {
            let e = Endpoint::new(url, None).unwrap();
            assert_eq!(
                e.url("/v1/chat/completions"),
                "http://localhost:1234/v1/chat/completions"
            );
            assert_eq!(e.base_url(), "http://localhost:1234/v1");
        }
        assert!(Endpoint::new("localhost:1234", None).is_err());
        assert!(Endpoint::new("ftp://x", None).is_err());
        assert_eq!(
            Endpoint::new("http://h:1", Some("  ".into()))
                .unwrap()
                .api_key,
            None
        );
    }

    #[test]
    fn error_events_become_typed_errors() {
        let err = stream_error_body(
            r#"{"code":503,"message":"Loading model","type":"unavailable_error"}"#,
        );
        assert_eq!(err, LlmError::ModelLoading);
        let err = stream_error_body(r#"{"error":{"message":"boom"}}"#);
        assert_eq!(
            err,
            LlmError::Server {
                status: 500,
                message: "boom".into()
            }
        );
        let err = stream_error_body("plain text");
        assert!(matches!(err, LlmError::Server { status: 500, .. }));
    }
}
