//! The typed request and the typed events of an OpenAI-compatible chat completion.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Who said a message, as the wire format names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum WireRole {
    System,
    User,
    Assistant,
    /// A tool's result, answering one call of the assistant message before it.
    Tool,
}

/// A call the model asked for, as it is sent back in the assistant message that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireToolCall {
    pub id: String,
    /// The function's name (`server__tool`).
    pub name: String,
    /// The arguments as the model wrote them (JSON text).
    pub arguments: String,
}

/// One message of a request. With `images`, it is sent as OpenAI content parts — its text, then
/// each image as an `image_url` part — which llama.cpp (with a projector), Ollama, LM Studio and
/// vLLM accept; without, as a plain string, which every server accepts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ChatMessage {
    pub role: WireRole,
    pub content: String,
    /// Images as `data:` URLs (`data:image/png;base64,…`), in order.
    #[serde(skip)]
    pub images: Vec<String>,
    /// An assistant message's tool calls (each answered by a `tool` message after it).
    #[serde(default)]
    pub tool_calls: Vec<WireToolCall>,
    /// A `tool` message: the call it answers.
    #[serde(default)]
    pub tool_call_id: Option<String>,
}

impl Serialize for ChatMessage {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut out = serializer.serialize_struct("ChatMessage", 4)?;
        out.serialize_field("role", &self.role)?;
        if self.images.is_empty() {
            out.serialize_field("content", &self.content)?;
        } else {
            let mut parts = Vec::with_capacity(self.images.len() + 1);
            if !self.content.is_empty() {
                parts.push(serde_json::json!({ "type": "text", "text": self.content }));
            }
            for url in &self.images {
                parts.push(serde_json::json!({ "type": "image_url", "image_url": { "url": url } }));
            }
            out.serialize_field("content", &parts)?;
        }
        if !self.tool_calls.is_empty() {
            let calls: Vec<serde_json::Value> = self
                .tool_calls
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "id": c.id,
                        "type": "function",
                        "function": { "name": c.name, "arguments": c.arguments }
                    })
                })
                .collect();
            out.serialize_field("tool_calls", &calls)?;
        }
        if let Some(id) = &self.tool_call_id {
            out.serialize_field("tool_call_id", id)?;
        }
        out.end()
    }
}

impl ChatMessage {
    fn with_role(role: WireRole, content: String) -> Self {
        Self {
            role,
            content,
            images: Vec::new(),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }
    /// A tool's result for the call `call_id`.
    pub fn tool(call_id: impl Into<String>, content: impl Into<String>) -> Self {
        let mut message = Self::with_role(WireRole::Tool, content.into());
        message.tool_call_id = Some(call_id.into());
        message
    }
    pub fn system(content: impl Into<String>) -> Self {
        Self::with_role(WireRole::System, content.into())
    }
    pub fn user(content: impl Into<String>) -> Self {
        Self::with_role(WireRole::User, content.into())
    }
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::with_role(WireRole::Assistant, content.into())
    }
}

/// One chat completion request. `extra` is merged into the JSON body as is (e.g. `top_k`,
/// `repeat_penalty`, `cache_prompt` for llama.cpp).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatRequest {
    /// `None` lets the server use whatever model it has loaded.
    pub model: Option<String>,
    pub messages: Vec<ChatMessage>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub max_tokens: Option<u32>,
    pub stop: Vec<String>,
    /// The functions the model may call (OpenAI's `tools`); none: no `tools` field at all.
    pub tools: Vec<serde_json::Value>,
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl ChatRequest {
    /// The JSON body; streaming requests ask for usage in the final chunk.
    pub(crate) fn body(&self, stream: bool) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        for (k, v) in &self.extra {
            body.insert(k.clone(), v.clone());
        }
        if let Some(model) = &self.model {
            body.insert("model".into(), model.clone().into());
        }
        body.insert(
            "messages".into(),
            serde_json::to_value(&self.messages).unwrap_or_default(),
        );
        if let Some(t) = self.temperature {
            body.insert("temperature".into(), serde_json::json!(t));
        }
        if let Some(p) = self.top_p {
            body.insert("top_p".into(), serde_json::json!(p));
        }
        if let Some(n) = self.max_tokens {
            body.insert("max_tokens".into(), n.into());
        }
        if !self.stop.is_empty() {
            body.insert("stop".into(), self.stop.clone().into());
        }
        if !self.tools.is_empty() {
            body.insert("tools".into(), self.tools.clone().into());
        }
        body.insert("stream".into(), stream.into());
        if stream {
            body.insert(
                "stream_options".into(),
                serde_json::json!({ "include_usage": true }),
            );
        }
        serde_json::Value::Object(body)
    }
}

/// Token counts the server reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Usage {
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    /// Prompt tokens served from the server's cache (`prompt_tokens_details.cached_tokens`).
    pub cached_tokens: Option<u64>,
}

/// llama.cpp's `timings` object.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    pub cache_n: Option<u64>,
    pub prompt_n: Option<u64>,
    pub prompt_ms: Option<f64>,
    pub prompt_per_second: Option<f64>,
    pub predicted_n: Option<u64>,
    pub predicted_ms: Option<f64>,
    pub predicted_per_second: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    Stop,
    Length,
    ContentFilter,
    ToolCalls,
    Other(String),
}

impl FinishReason {
    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "stop" | "eos" => Self::Stop,
            "length" => Self::Length,
            "content_filter" => Self::ContentFilter,
            "tool_calls" | "function_call" => Self::ToolCalls,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The reason as OpenAI names it (and as it is stored).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Stop => "stop",
            Self::Length => "length",
            Self::ContentFilter => "content_filter",
            Self::ToolCalls => "tool_calls",
            Self::Other(other) => other,
        }
    }
}

/// What a stream yields, in order of arrival.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    Role,
    Content(String),
    /// Thinking text (`reasoning_content`) from reasoning models.
    Reasoning(String),
    Usage(Usage),
    Timings(Timings),
    /// The model that answered, when the server names it.
    Model(String),
    /// A piece of a tool call (`delta.tool_calls[]`): its name and id usually come first, its
    /// arguments in pieces; calls are told apart by `index`.
    ToolCall(ToolCallDelta),
    Finish(FinishReason),
    /// `data: [DONE]`: the reply is complete. Nothing follows.
    Done,
}

/// One piece of a streamed tool call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolCallDelta {
    /// Which call of the reply this piece belongs to (`None` when the server does not say).
    pub index: Option<u32>,
    pub id: Option<String>,
    pub name: Option<String>,
    pub arguments: String,
}

/// A whole reply from [`super::LlmClient::complete`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Completion {
    pub content: String,
    pub reasoning: String,
    pub usage: Usage,
    pub finish_reason: Option<FinishReason>,
    pub model: Option<String>,
}

/// Limits on waiting. A long reply is never cut by a total-time limit: only silence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the TCP connection.
    pub connect: Duration,
    /// From sending the request to the first event (covers prompt processing on a slow machine).
    pub first_token: Duration,
    /// Between two chunks once the reply is flowing.
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            first_token: Duration::from_secs(120),
            idle: Duration::from_secs(60),
        }
    }
}

/// Retries before the first token: exponential backoff with jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 means no retry.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` (attempt counts from 1): base · 2^(attempt−1), capped,
    /// then "equal jitter" (between half and all of it) so clients retrying together spread out.
    pub fn delay(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.max_delay);
        let half = exp / 2;
        half + half.mul_f64(rand::random::<f64>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_with_images_is_sent_as_content_parts() {
        let mut message = ChatMessage::user("What is in the picture?");
        assert_eq!(
            serde_json::to_value(&message).unwrap(),
            serde_json::json!({ "role": "user", "content": "What is in the picture?" })
        );
        message.images = vec!["data:image/png;base64,iVBORw0KGgo=".into()];
        assert_eq!(
            serde_json::to_value(&message).unwrap(),
            serde_json::json!({
                "role": "user",
                "content": [
                    { "type": "text", "text": "What is in the picture?" },
                    { "type": "image_url", "image_url": { "url": "data:image/png;base64,iVBORw0KGgo=" } }
                ]
            })
        );
        // An image alone: no empty text part.
        message.content.clear();
        let parts = serde_json::to_value(&message).unwrap()["content"].clone();
        assert_eq!(parts.as_array().unwrap().len(), 1);
        assert_eq!(parts[0]["type"], "image_url");
    }
}
