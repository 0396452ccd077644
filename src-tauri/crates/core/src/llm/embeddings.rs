//! Embeddings: `POST /v1/embeddings`, the OpenAI-compatible route that LM Studio and Ollama serve
//! for their embedding models and llama.cpp's server serves when started with `--embeddings`.
//! Used by recall ([`crate::recall`]) to find earlier messages similar in meaning.

use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use super::client::LlmClient;
use super::error::{excerpt, LlmError};

/// The most inputs sent in one request (servers batch them; llama.cpp splits by its batch size).
pub const MAX_EMBED_BATCH: usize = 64;

/// The vectors for a batch of texts, in the order given.
#[derive(Debug, Clone, PartialEq)]
pub struct Embeddings {
    pub vectors: Vec<Vec<f32>>,
    /// The model that answered, when the server says.
    pub model: Option<String>,
}

#[derive(Deserialize)]
struct Body {
    data: Vec<Item>,
    model: Option<String>,
}

#[derive(Deserialize)]
struct Item {
    embedding: Vec<f32>,
    index: Option<usize>,
}

impl LlmClient {
    /// The embedding vectors of `inputs` (at most [`MAX_EMBED_BATCH`]) from `model` (else the
    /// server's default). Connection failures, 429 and 5xx are retried with backoff; a server
    /// that makes no embeddings gives [`LlmError::NoEmbeddings`].
    pub async fn embed(
        &self,
        model: Option<&str>,
        inputs: &[&str],
        cancel: &CancellationToken,
    ) -> Result<Embeddings, LlmError> {
        assert!(
            inputs.len() <= MAX_EMBED_BATCH,
            "embed at most {MAX_EMBED_BATCH} at once"
        );
        if inputs.is_empty() {
            return Ok(Embeddings {
                vectors: Vec::new(),
                model: model.map(str::to_owned),
            });
        }
        let mut body = serde_json::json!({ "input": inputs, "encoding_format": "float" });
        if let Some(model) = model {
            body["model"] = model.into();
        }
        let response = self
            .send_with_retries("/v1/embeddings", &body, model, cancel, |e| {
                self.no_embeddings(e)
            })
            .await?;
        // Embeddings come whole: the first-token timeout bounds the wait for all of it.
        let wait = self.timeouts.first_token;
        let bytes = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(LlmError::Cancelled),
            r = tokio::time::timeout(wait, response.bytes()) => match r {
                Err(_) => return Err(LlmError::FirstTokenTimeout { after: wait }),
                Ok(Err(e)) => return Err(self.transport_error(e)),
                Ok(Ok(b)) => b,
            },
        };
        parse(&bytes, inputs.len())
    }

    /// A server without embeddings: llama.cpp without `--embeddings` answers 501, a server without
    /// the route 404 or 405, one given a chat model 400 "…embedding…".
    fn no_embeddings(&self, err: LlmError) -> LlmError {
        match err {
            LlmError::Server { status, message }
                if matches!(status, 501 | 404 | 405)
                    || (status == 400 && message.to_lowercase().contains("embedding")) =>
            {
                LlmError::NoEmbeddings {
                    url: self.endpoint.root().to_owned(),
                    message,
                }
            }
            err => err,
        }
    }

    /// The models this server says make embeddings: LM Studio's model type, Ollama's model
    /// names, else `/v1/models` ids that name an embedding model family. Best-effort: empty when
    /// nothing says so (or the server cannot be reached).
    pub async fn embedding_models(&self) -> Vec<String> {
        if let Some(json) = self.get_json("/api/v0/models").await {
            let typed: Vec<String> = json["data"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|m| m["type"].as_str() == Some("embeddings"))
                .filter_map(|m| m["id"].as_str().map(str::to_owned))
                .collect();
            if !typed.is_empty() {
                return typed;
            }
        }
        match self.list_models().await {
            Ok(models) => models
                .into_iter()
                .map(|m| m.id)
                .filter(|id| looks_like_an_embedding_model(id))
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// Whether a model id names an embedding model family (nomic-embed, text-embedding-*, BGE, E5,
/// GTE, MiniLM, mxbai, Snowflake Arctic Embed, Jina embeddings).
pub fn looks_like_an_embedding_model(id: &str) -> bool {
    let id = id.to_lowercase();
    let name = id.rsplit('/').next().unwrap_or(&id);
    id.contains("embed")
        || [
            "bge-",
            "bge_",
            "e5-",
            "gte-",
            "all-minilm",
            "paraphrase-",
            "multilingual-e5",
        ]
        .iter()
        .any(|p| name.starts_with(p))
}

fn parse(bytes: &[u8], expected: usize) -> Result<Embeddings, LlmError> {
    let protocol = |message: String| LlmError::Protocol {
        message,
        excerpt: excerpt(bytes),
    };
    let body: Body = serde_json::from_slice(bytes)
        .map_err(|e| protocol(format!("the embeddings are not the expected JSON: {e}")))?;
    if body.data.len() != expected {
        return Err(protocol(format!(
            "asked for {expected} embeddings, got {}",
            body.data.len()
        )));
    }
    let mut slots: Vec<Option<Vec<f32>>> = vec![None; expected];
    for (position, item) in body.data.into_iter().enumerate() {
        let index = item.index.unwrap_or(position);
        match slots.get_mut(index) {
            Some(slot @ None) => *slot = Some(item.embedding),
            _ => return Err(protocol(format!("embedding index {index} is out of place"))),
        }
    }
    let vectors: Vec<Vec<f32>> = slots.into_iter().flatten().collect();
    let dims = vectors[0].len();
    if dims == 0 || vectors.iter().any(|v| v.len() != dims) {
        return Err(protocol(
            "the embeddings differ in length or are empty".into(),
        ));
    }
    if vectors.iter().flatten().any(|x| !x.is_finite()) {
        return Err(protocol(
            "an embedding holds a number that is not finite".into(),
        ));
    }
    Ok(Embeddings {
        vectors,
        model: body.model,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedding_model_names_are_recognised() {
        for id in [
            "nomic-embed-text:latest",
            "text-embedding-nomic-embed-text-v1.5",
            "BAAI/bge-small-en-v1.5",
            "intfloat/multilingual-e5-large",
            "all-minilm:l6-v2",
            "mxbai-embed-large",
        ] {
            assert!(looks_like_an_embedding_model(id), "{id}");
        }
        for id in [
            "llama3.2:3b",
            "qwen2.5-7b-instruct",
            "gemma-3-4b-it",
            "smollm2",
        ] {
            assert!(!looks_like_an_embedding_model(id), "{id}");
        }
    }

    #[test]
    fn vectors_come_back_in_input_order_and_whole() {
        let body =
            r#"{"data":[{"index":1,"embedding":[0,1]},{"index":0,"embedding":[1,0]}],"model":"m"}"#;
        let e = parse(body.as_bytes(), 2).unwrap();
        assert_eq!(e.vectors, vec![vec![1.0, 0.0], vec![0.0, 1.0]]);
        assert_eq!(e.model.as_deref(), Some("m"));
        for bad in [
            r#"{"data":[{"index":0,"embedding":[1,0]}]}"#,
            r#"{"data":[{"index":0,"embedding":[1,0]},{"index":0,"embedding":[1,0]}]}"#,
            r#"{"data":[{"index":0,"embedding":[1,0]},{"index":1,"embedding":[1]}]}"#,
            r#"{"data":[{"index":0,"embedding":[]},{"index":1,"embedding":[]}]}"#,
            r#"{"data":"nope"}"#,
            "not json",
        ] {
            assert!(
                matches!(parse(bad.as_bytes(), 2), Err(LlmError::Protocol { .. })),
                "{bad}"
            );
        }
    }
}
