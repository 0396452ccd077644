//! One error type for everything that can go wrong talking to a model server, each worded so a
//! person knows what to do next.

use std::time::Duration;

use reqwest::StatusCode;

use crate::error::{Coded, ErrorCode};

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum LlmError {
    #[error(
        "no server at {url} — start LM Studio, llama-server or Ollama, or change the endpoint"
    )]
    Unreachable { url: String },
    #[error("could not connect to {url} within {after:?} — is the server running and reachable?")]
    ConnectTimeout { url: String, after: Duration },
    #[error(
        "the server sent nothing for {after:?} after the request — the model may still be loading \
         or the prompt is very long; try again, or raise the first-token timeout"
    )]
    FirstTokenTimeout { after: Duration },
    #[error("the reply stalled: nothing arrived for {after:?} — the server may be overloaded; continue the reply to try again")]
    IdleTimeout { after: Duration },
    #[error("{}", context_overflow_message(*.n_prompt_tokens, *.n_ctx, message))]
    ContextOverflow {
        n_prompt_tokens: Option<u64>,
        n_ctx: Option<u64>,
        message: String,
    },
    #[error("the server has no model {model:?} — pick one of its models in the settings")]
    ModelNotFound { model: String },
    #[error("the server refused the request ({status}) — check the API key in the settings")]
    Unauthorized { status: u16 },
    #[error("{}", rate_limited_message(*.retry_after))]
    RateLimited { retry_after: Option<Duration> },
    #[error("the server is still loading the model — wait a moment and try again")]
    ModelLoading,
    #[error(
        "the server at {url} does not make embeddings ({message}) — load an embedding model \
         (e.g. nomic-embed-text in LM Studio or Ollama), start llama-server with --embeddings, or \
         set an embedding server in Settings → Recall"
    )]
    NoEmbeddings { url: String, message: String },
    #[error(
        "the server cannot read images with this model ({message}) — remove the images, or load a \
         vision model (llama-server needs its projector: --mmproj)"
    )]
    ImagesRefused { message: String },
    #[error("the server answered {status}: {message}")]
    Server { status: u16, message: String },
    #[error("the server sent something Confab cannot read ({message}): {excerpt:?}")]
    Protocol { message: String, excerpt: String },
    #[error("the connection was lost before the reply finished ({reason}) — continue the reply to try again")]
    Interrupted { reason: String },
    #[error("stopped by you")]
    Cancelled,
}

fn context_overflow_message(prompt: Option<u64>, ctx: Option<u64>, message: &str) -> String {
    match (prompt, ctx) {
        (Some(p), Some(c)) => format!(
            "the conversation is too long for the model: {p} tokens, but its context holds {c} — \
             start a new chat, shorten the system prompt, or load the model with a larger context"
        ),
        _ => format!(
            "the conversation is too long for the model's context ({message}) — start a new chat \
             or load the model with a larger context"
        ),
    }
}

fn rate_limited_message(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!(
            "the server is busy (rate limited) — try again in {} s",
            d.as_secs().max(1)
        ),
        None => "the server is busy (rate limited) — try again in a moment".to_owned(),
    }
}

impl Coded for LlmError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Unreachable { .. } => ErrorCode::Unreachable,
            Self::ConnectTimeout { .. }
            | Self::FirstTokenTimeout { .. }
            | Self::IdleTimeout { .. } => ErrorCode::Timeout,
            Self::ContextOverflow { .. } => ErrorCode::ContextOverflow,
            Self::ModelNotFound { .. } => ErrorCode::ModelNotFound,
            Self::Unauthorized { .. } => ErrorCode::Unauthorized,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::ModelLoading => ErrorCode::ModelLoading,
            Self::NoEmbeddings { .. } => ErrorCode::NoEmbeddings,
            Self::ImagesRefused { .. } => ErrorCode::NoVision,
            Self::Server { .. } => ErrorCode::ServerError,
            Self::Protocol { .. } => ErrorCode::Protocol,
            Self::Interrupted { .. } => ErrorCode::Interrupted,
            Self::Cancelled => ErrorCode::Cancelled,
        }
    }
}

impl LlmError {
    /// Whether sending the same request again may work — asked only before any output arrived.
    pub fn is_retryable_before_first_token(&self) -> bool {
        match self {
            Self::Unreachable { .. }
            | Self::ConnectTimeout { .. }
            | Self::RateLimited { .. }
            | Self::ModelLoading => true,
            Self::Server { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

/// The first bytes of a response, lossily decoded, for error messages.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    const MAX: usize = 200;
    let cut = bytes.len().min(MAX);
    let mut s = String::from_utf8_lossy(&bytes[..cut]).into_owned();
    if bytes.len() > MAX {
        s.push('…');
    }
    s
}

/// Turns an error response (status, headers' Retry-After, body) into a typed error.
pub(crate) fn classify(
    status: StatusCode,
    retry_after: Option<Duration>,
    body: &[u8],
    model: Option<&str>,
) -> LlmError {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    // OpenAI and llama.cpp: {"error": {...}}; some servers: {"error": "text"} or {"message": ...}.
    let err = json.as_ref().map(|j| j.get("error").unwrap_or(j));
    let field = |name: &str| err.and_then(|e| e.get(name));
    let text = |name: &str| field(name).and_then(|v| v.as_str()).map(str::to_owned);
    let message = err
        .and_then(|e| e.as_str().map(str::to_owned))
        .or_else(|| text("message"))
        .or_else(|| text("detail"))
        .unwrap_or_else(|| {
            let raw = excerpt(body);
            if raw.trim().is_empty() {
                status.canonical_reason().unwrap_or("error").to_owned()
            } else {
                raw
            }
        });
    let kind = text("type").unwrap_or_default();
    let code = field("code")
        .map(|c| {
            c.as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| c.to_string())
        })
        .unwrap_or_default();
    let lower = message.to_lowercase();

    if kind == "exceed_context_size_error"
        || code == "context_length_exceeded"
        || lower.contains("context length")
        || lower.contains("context size")
        || lower.contains("maximum context")
    {
        return LlmError::ContextOverflow {
            n_prompt_tokens: field("n_prompt_tokens").and_then(|v| v.as_u64()),
            n_ctx: field("n_ctx").and_then(|v| v.as_u64()),
            message,
        };
    }
    if refuses_images(&lower) {
        return LlmError::ImagesRefused { message };
    }
    match status.as_u16() {
        401 | 403 => LlmError::Unauthorized {
            status: status.as_u16(),
        },
        404 if code == "model_not_found"
            || kind == "model_not_found"
            || lower.contains("model") =>
        {
            LlmError::ModelNotFound {
                model: model.unwrap_or("(default)").to_owned(),
            }
        }
        429 => LlmError::RateLimited { retry_after },
        503 if kind == "unavailable_error" || lower.contains("loading") => LlmError::ModelLoading,
        s => LlmError::Server { status: s, message },
    }
}

/// Whether an error text says the model cannot take images: llama.cpp without a projector ("image
/// input is not supported - hint: … mmproj"), vLLM ("… is not a multimodal model"), LM Studio and
/// others ("… does not support images").
fn refuses_images(lower: &str) -> bool {
    lower.contains("mmproj")
        || lower.contains("not a multimodal model")
        || (lower.contains("image")
            && (lower.contains("not supported")
                || lower.contains("does not support")
                || lower.contains("unsupported")))
}

/// `Retry-After` as seconds (the HTTP-date form is rare for local servers and is ignored).
pub(crate) fn parse_retry_after(value: Option<&reqwest::header::HeaderValue>) -> Option<Duration> {
    value
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify_json(status: u16, body: &str) -> LlmError {
        classify(
            StatusCode::from_u16(status).unwrap(),
            None,
            body.as_bytes(),
            Some("m"),
        )
    }

    #[test]
    fn a_refused_image_says_the_model_cannot_read_images() {
        let llama = classify_json(
            500,
            r#"{"error":{"code":500,"message":"image input is not supported - hint: if this is unexpected, you may need to provide the mmproj","type":"server_error"}}"#,
        );
        assert_eq!(llama.code(), ErrorCode::NoVision);
        assert!(!llama.is_retryable_before_first_token());
        assert!(llama.to_string().contains("--mmproj"), "{llama}");
        let vllm = classify_json(
            400,
            r#"{"object":"error","message":"qwen2.5 is not a multimodal model","type":"BadRequestError"}"#,
        );
        assert_eq!(vllm.code(), ErrorCode::NoVision);
        // Other errors that mention images stay what they are.
        let other = classify_json(500, r#"{"error":{"message":"image decode failed"}}"#);
        assert_eq!(other.code(), ErrorCode::ServerError);
    }

    #[test]
    fn llama_cpp_context_overflow_keeps_its_numbers() {
        let err = classify_json(
            400,
            r#"{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":5000,"n_ctx":2048}}"#,
        );
        assert_eq!(
            err,
            LlmError::ContextOverflow {
                n_prompt_tokens: Some(5000),
                n_ctx: Some(2048),
                message: "the request exceeds the available context size, try increasing it".into()
            }
        );
        assert!(err.to_string().contains("5000 tokens"));
        assert_eq!(err.code(), ErrorCode::ContextOverflow);
    }

    #[test]
    fn openai_style_errors_are_typed() {
        let err = classify_json(
            400,
            r#"{"error":{"message":"This model's maximum context length is 8192 tokens","type":"invalid_request_error","code":"context_length_exceeded"}}"#,
        );
        assert!(matches!(err, LlmError::ContextOverflow { n_ctx: None, .. }));
        let err = classify_json(
            404,
            r#"{"error":{"message":"The model `x` does not exist","code":"model_not_found"}}"#,
        );
        assert_eq!(err, LlmError::ModelNotFound { model: "m".into() });
        assert!(matches!(
            classify_json(401, "{}"),
            LlmError::Unauthorized { status: 401 }
        ));
        assert_eq!(
            classify_json(
                503,
                r#"{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}"#
            ),
            LlmError::ModelLoading
        );
        assert_eq!(
            classify_json(500, r#"{"error":"boom"}"#),
            LlmError::Server {
                status: 500,
                message: "boom".into()
            }
        );
        assert_eq!(
            classify_json(502, "<html>bad gateway</html>"),
            LlmError::Server {
                status: 502,
                message: "<html>bad gateway</html>".into()
            }
        );
    }

    #[test]
    fn rate_limits_carry_retry_after() {
        let h = reqwest::header::HeaderValue::from_static("2");
        let after = parse_retry_after(Some(&h));
        assert_eq!(after, Some(Duration::from_secs(2)));
        let err = classify(StatusCode::TOO_MANY_REQUESTS, after, b"{}", None);
        assert_eq!(
            err,
            LlmError::RateLimited {
                retry_after: Some(Duration::from_secs(2))
            }
        );
        assert!(err.to_string().contains("2 s"));
        assert!(err.is_retryable_before_first_token());
        assert!(!LlmError::Unauthorized { status: 401 }.is_retryable_before_first_token());
    }

    #[test]
    fn excerpts_are_bounded() {
        assert_eq!(excerpt(b"abc"), "abc");
        assert_eq!(excerpt(&[b'x'; 300]).chars().count(), 201);
    }
}
