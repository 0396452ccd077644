//! What a server can tell about itself: its models, their context length, exact token counts,
//! and which of the usual local ports have a server at all.
//!
//! Every probe here is best-effort: a route the server does not have gives `None`, never an error,
//! because each server family (llama.cpp, LM Studio, Ollama, vLLM, LiteLLM) has different extras.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::client::{Endpoint, LlmClient};
use super::error::LlmError;
use super::types::{RetryPolicy, Timeouts};

/// The ports local model servers listen on by default: LM Studio, llama.cpp, Ollama, vLLM, Jan.
pub const USUAL_LOCAL_PORTS: [u16; 5] = [1234, 8080, 11434, 8000, 1337];

/// Ports to look for local servers on, comma-separated, instead of [`USUAL_LOCAL_PORTS`].
pub const PROBE_PORTS_ENV: &str = "CONFAB_PROBE_PORTS";

/// The ports to look for local servers on: `CONFAB_PROBE_PORTS` (comma-separated, for servers
/// on other ports) when it is set and valid, else [`USUAL_LOCAL_PORTS`].
pub fn local_ports() -> Vec<u16> {
    std::env::var(PROBE_PORTS_ENV)
        .ok()
        .and_then(|list| parse_ports(&list))
        .unwrap_or_else(|| USUAL_LOCAL_PORTS.to_vec())
}

fn parse_ports(list: &str) -> Option<Vec<u16>> {
    let ports = list
        .split(',')
        .map(|p| p.trim().parse::<u16>().ok().filter(|&p| p != 0))
        .collect::<Option<Vec<_>>>()?;
    (!ports.is_empty()).then_some(ports)
}

/// How long a discovery request may take: these are local and should answer at once.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ModelInfo {
    pub id: String,
    /// The context the server runs the model with, or the model's trained context, when known.
    pub context_length: Option<u64>,
}

/// llama.cpp's `/props`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerProps {
    pub n_ctx: Option<u64>,
    pub total_slots: Option<u64>,
    pub model_path: Option<String>,
}

/// A server found running on a local port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FoundServer {
    pub base_url: String,
    pub models: Vec<String>,
}

impl LlmClient {
    /// A best-effort JSON call: `None` for anything but a quick successful JSON answer.
    async fn probe_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Option<serde_json::Value> {
        let mut request = self.request(method, path).timeout(PROBE_TIMEOUT);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.ok()?;
        if !response.status().is_success() {
            return None;
        }
        response.json().await.ok()
    }

    pub(crate) async fn get_json(&self, path: &str) -> Option<serde_json::Value> {
        self.probe_json(reqwest::Method::GET, path, None).await
    }

    pub(crate) async fn post_json(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> Option<serde_json::Value> {
        self.probe_json(reqwest::Method::POST, path, Some(body))
            .await
    }

    /// The server's models (`GET /v1/models`). Fails when the server cannot be reached, so that
    /// a model picker can say why it is empty.
    pub async fn list_models(&self) -> Result<Vec<ModelInfo>, LlmError> {
        let response = self
            .request(reqwest::Method::GET, "/v1/models")
            .timeout(PROBE_TIMEOUT)
            .send()
            .await
            .map_err(|e| self.transport_error(e))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(e))?;
        if !status.is_success() {
            return Err(super::error::classify(status, None, &bytes, None));
        }
        let json: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| LlmError::Protocol {
                message: format!("the model list is not JSON: {e}"),
                excerpt: super::error::excerpt(&bytes),
            })?;
        Ok(parse_models(&json))
    }

    /// llama.cpp's `/props`, or `None` on other servers.
    pub async fn server_props(&self) -> Option<ServerProps> {
        let json = self.get_json("/props").await?;
        let settings = json.get("default_generation_settings");
        let n_ctx = settings
            .and_then(|s| s.get("n_ctx"))
            .or_else(|| json.get("n_ctx"))
            .and_then(|v| v.as_u64());
        Some(ServerProps {
            n_ctx,
            total_slots: json.get("total_slots").and_then(|v| v.as_u64()),
            model_path: json
                .get("model_path")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
        })
    }

    /// What a LiteLLM proxy says of `model`'s context: `max_input_tokens` in `GET /model/info`
    /// (per model, as its config or its model list sets it), or `None` elsewhere. The proxy
    /// answers it only with a key, when it has a master key.
    pub async fn gateway_context_length(&self, model: Option<&str>) -> Option<u64> {
        litellm_context(&self.get_json("/model/info").await?, model)
    }

    /// The context length the server runs `model` with, asking each server family in turn:
    /// llama.cpp `/props`, `/v1/models` metadata (vLLM's `max_model_len`, LiteLLM's
    /// `max_input_tokens`), LiteLLM's `/model/info`, LM Studio `/api/v0/models`, Ollama
    /// `/api/show`.
    pub async fn context_length(&self, model: Option<&str>) -> Option<u64> {
        if let Some(n) = self.server_props().await.and_then(|p| p.n_ctx) {
            return Some(n);
        }
        if let Ok(models) = self.list_models().await {
            let found =
                models
                    .iter()
                    .find(|m| Some(m.id.as_str()) == model)
                    .or(if models.len() == 1 {
                        models.first()
                    } else {
                        None
                    });
            if let Some(n) = found.and_then(|m| m.context_length) {
                return Some(n);
            }
        }
        if let Some(n) = self.gateway_context_length(model).await {
            return Some(n);
        }
        if let Some(json) = self.get_json("/api/v0/models").await {
            if let Some(n) = lm_studio_context(&json, model) {
                return Some(n);
            }
        }
        let name = model?;
        let json = self
            .post_json("/api/show", serde_json::json!({ "model": name }))
            .await?;
        ollama_context(&json)
    }

    /// The exact number of tokens `text` takes, from llama.cpp's `/tokenize`; `None` elsewhere.
    pub async fn tokenize(&self, text: &str) -> Option<usize> {
        let json = self
            .post_json("/tokenize", serde_json::json!({ "content": text }))
            .await?;
        json.get("tokens")?.as_array().map(Vec::len)
    }
}

fn parse_models(json: &serde_json::Value) -> Vec<ModelInfo> {
    let Some(data) = json.get("data").and_then(|d| d.as_array()) else {
        return Vec::new();
    };
    data.iter()
        .filter_map(|m| {
            let id = m.get("id")?.as_str()?.to_owned();
            let meta = m.get("meta");
            let context_length = meta
                .and_then(|meta| meta.get("n_ctx").or_else(|| meta.get("n_ctx_train")))
                .or_else(|| m.get("context_length"))
                .or_else(|| m.get("max_model_len"))
                .or_else(|| m.get("max_input_tokens"))
                .and_then(|v| v.as_u64());
            Some(ModelInfo { id, context_length })
        })
        .collect()
}

/// LiteLLM's `/model/info`: `{"data": [{"model_name", "model_info": {"max_input_tokens"}}]}`,
/// one entry per deployment. The model asked for, or the only one there is.
fn litellm_context(json: &serde_json::Value, model: Option<&str>) -> Option<u64> {
    let data = json.get("data")?.as_array()?;
    let named = |m: &&serde_json::Value| m.get("model_name").and_then(|n| n.as_str()) == model;
    let pick = data
        .iter()
        .find(named)
        .or_else(|| (data.len() == 1).then(|| &data[0]))?;
    pick.get("model_info")?.get("max_input_tokens")?.as_u64()
}

fn lm_studio_context(json: &serde_json::Value, model: Option<&str>) -> Option<u64> {
    let data = json.get("data")?.as_array()?;
    let pick = data
        .iter()
        .find(|m| m.get("id").and_then(|i| i.as_str()) == model)
        .or_else(|| {
            data.iter()
                .find(|m| m.get("state").and_then(|s| s.as_str()) == Some("loaded"))
        })?;
    pick.get("loaded_context_length")
        .or_else(|| pick.get("max_context_length"))
        .and_then(|v| v.as_u64())
}

fn ollama_context(json: &serde_json::Value) -> Option<u64> {
    // An explicit `num_ctx` in the model's parameters wins over the architecture's maximum.
    if let Some(params) = json.get("parameters").and_then(|p| p.as_str()) {
        for line in params.lines() {
            let mut parts = line.split_whitespace();
            if parts.next() == Some("num_ctx") {
                if let Some(n) = parts.next().and_then(|n| n.parse().ok()) {
                    return Some(n);
                }
            }
        }
    }
    json.get("model_info")?
        .as_object()?
        .iter()
        .find(|(k, _)| k.ends_with(".context_length"))
        .and_then(|(_, v)| v.as_u64())
}

/// Which of `ports` on `host` answer `/v1/models` within `timeout`, probed concurrently.
pub async fn probe_local_servers(host: &str, ports: &[u16], timeout: Duration) -> Vec<FoundServer> {
    let probes = ports.iter().map(|port| {
        let url = format!("http://{host}:{port}");
        async move {
            let endpoint = Endpoint::new(&url, None).ok()?;
            let client = LlmClient::new(
                endpoint,
                Timeouts {
                    connect: timeout,
                    first_token: timeout,
                    idle: timeout,
                },
                RetryPolicy {
                    max_attempts: 1,
                    ..RetryPolicy::default()
                },
            );
            let models = tokio::time::timeout(timeout, client.list_models())
                .await
                .ok()?
                .ok()?;
            Some(FoundServer {
                base_url: client.endpoint().base_url(),
                models: models.into_iter().map(|m| m.id).collect(),
            })
        }
    });
    futures_util::future::join_all(probes)
        .await
        .into_iter()
        .flatten()
        .collect()
}

#[cfg(test)]
mod port_tests {
    use super::parse_ports;

    #[test]
    fn probe_ports_parse_or_fall_back() {
        assert_eq!(parse_ports("8080"), Some(vec![8080]));
        assert_eq!(parse_ports(" 1234, 5678 "), Some(vec![1234, 5678]));
        for bad in ["", "x", "80,", "0", "70000"] {
            assert_eq!(parse_ports(bad), None, "{bad:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn model_lists_from_each_server_family() {
        let llama = json!({"object":"list","data":[{"id":"smollm2","object":"model","meta":{"n_ctx_train":8192,"n_vocab":49152}}]});
        assert_eq!(
            parse_models(&llama),
            [ModelInfo {
                id: "smollm2".into(),
                context_length: Some(8192)
            }]
        );
        let vllm = json!({"data":[{"id":"qwen","max_model_len":32768}]});
        assert_eq!(parse_models(&vllm)[0].context_length, Some(32768));
        let plain = json!({"data":[{"id":"a"},{"id":"b"}]});
        assert_eq!(parse_models(&plain).len(), 2);
        assert!(parse_models(&json!({"error":"x"})).is_empty());
    }

    #[test]
    fn litellm_says_each_models_input_limit() {
        let info = json!({"data":[
            {"model_name":"smollm2","litellm_params":{"model":"openai/smollm2"},
             "model_info":{"id":"2d52","max_input_tokens":2048,"max_tokens":null}},
            {"model_name":"gpt-4o","model_info":{"max_input_tokens":128000}},
            {"model_name":"unknown","model_info":{"max_input_tokens":null}}
        ]});
        assert_eq!(litellm_context(&info, Some("smollm2")), Some(2048));
        assert_eq!(litellm_context(&info, Some("gpt-4o")), Some(128000));
        assert_eq!(litellm_context(&info, Some("unknown")), None);
        assert_eq!(litellm_context(&info, Some("missing")), None);
        assert_eq!(
            litellm_context(&info, None),
            None,
            "several models: no guess"
        );
        let one = json!({"data":[{"model_name":"only","model_info":{"max_input_tokens":4096}}]});
        assert_eq!(litellm_context(&one, None), Some(4096));
        assert_eq!(litellm_context(&json!({"detail":"Not Found"}), None), None);
        // Newer proxies say it in their model list too.
        let models = json!({"data":[{"id":"smollm2","object":"model","max_input_tokens":2048}]});
        assert_eq!(parse_models(&models)[0].context_length, Some(2048));
    }

    #[test]
    fn lm_studio_prefers_the_loaded_context() {
        let body = json!({"data":[
            {"id":"a","state":"not-loaded","max_context_length":32768},
            {"id":"b","state":"loaded","max_context_length":131072,"loaded_context_length":8192}
        ]});
        assert_eq!(lm_studio_context(&body, Some("b")), Some(8192));
        assert_eq!(lm_studio_context(&body, None), Some(8192));
        assert_eq!(lm_studio_context(&body, Some("a")), Some(32768));
    }

    #[test]
    fn ollama_reads_num_ctx_then_the_architecture() {
        let body = json!({"parameters":"stop \"<|im_end|>\"\nnum_ctx 16384","model_info":{"llama.context_length":131072}});
        assert_eq!(ollama_context(&body), Some(16384));
        let body = json!({"model_info":{"qwen2.context_length":32768}});
        assert_eq!(ollama_context(&body), Some(32768));
    }
}
