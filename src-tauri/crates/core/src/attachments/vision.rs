//! Whether a model takes images: from what its server reports (llama.cpp `/props` `modalities`,
//! Ollama `/api/show` `capabilities`, LM Studio `/api/v0/models` `type`), else the user's word for
//! that model (`model_profiles.vision`). Asked before a message with images is saved, so that a
//! model that cannot see is named at once rather than after a server error.

use serde::Serialize;
use ts_rs::TS;

use crate::llm::LlmClient;
use crate::store::{Store, StoreError};

/// Where the answer to "does this model take images?" came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum VisionSource {
    /// The server said (llama.cpp, Ollama, LM Studio).
    Server,
    /// The server does not say; the user set it for the model.
    ModelSetting,
    /// Neither says.
    Unknown,
}

/// Whether a model takes images, and who says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
pub struct Vision {
    pub takes_images: bool,
    pub source: VisionSource,
}

impl LlmClient {
    /// What the server reports about `model` taking images; `None` when it does not say.
    pub async fn reports_vision(&self, model: Option<&str>) -> Option<bool> {
        if let Some(props) = self.get_json("/props").await {
            if let Some(vision) = llama_cpp_vision(&props) {
                return Some(vision);
            }
        }
        if let Some(models) = self.get_json("/api/v0/models").await {
            if let Some(vision) = lm_studio_vision(&models, model) {
                return Some(vision);
            }
        }
        let name = model?;
        let show = self
            .post_json("/api/show", serde_json::json!({ "model": name }))
            .await?;
        ollama_vision(&show)
    }
}

/// Whether `model` (on `client`'s server) takes images: the server's report, else the user's
/// setting for the model, else unknown (taken as no).
pub async fn vision(
    store: &Store,
    client: &LlmClient,
    model: Option<&str>,
) -> Result<Vision, StoreError> {
    if let Some(takes_images) = client.reports_vision(model).await {
        return Ok(Vision {
            takes_images,
            source: VisionSource::Server,
        });
    }
    let key = crate::memory::tokenizer_key(client, model);
    Ok(match store.model_vision(&key).await? {
        Some(takes_images) => Vision {
            takes_images,
            source: VisionSource::ModelSetting,
        },
        None => Vision {
            takes_images: false,
            source: VisionSource::Unknown,
        },
    })
}

/// llama.cpp's `/props`: `"modalities": {"vision": true, "audio": false}` (since mid 2025).
fn llama_cpp_vision(props: &serde_json::Value) -> Option<bool> {
    props.get("modalities")?.get("vision")?.as_bool()
}

/// LM Studio's `/api/v0/models`: each model has a `type`, `"vlm"` for vision models.
fn lm_studio_vision(json: &serde_json::Value, model: Option<&str>) -> Option<bool> {
    let data = json.get("data")?.as_array()?;
    let pick = data
        .iter()
        .find(|m| model.is_some() && m.get("id").and_then(|i| i.as_str()) == model)
        .or_else(|| {
            data.iter()
                .find(|m| m.get("state").and_then(|s| s.as_str()) == Some("loaded"))
        })?;
    Some(pick.get("type")?.as_str()? == "vlm")
}

/// Ollama's `/api/show`: `"capabilities": ["completion", "vision"]`.
fn ollama_vision(json: &serde_json::Value) -> Option<bool> {
    let capabilities = json.get("capabilities")?.as_array()?;
    Some(capabilities.iter().any(|c| c.as_str() == Some("vision")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_server_family_says_it_its_own_way() {
        assert_eq!(
            llama_cpp_vision(&json!({"modalities": {"vision": true, "audio": false}})),
            Some(true)
        );
        assert_eq!(
            llama_cpp_vision(&json!({"modalities": {"vision": false}})),
            Some(false)
        );
        // An older llama.cpp without the field does not say.
        assert_eq!(llama_cpp_vision(&json!({"n_ctx": 4096})), None);

        let lm = json!({"data": [
            {"id": "qwen2-vl-7b", "type": "vlm", "state": "not-loaded"},
            {"id": "llama-3.1-8b", "type": "llm", "state": "loaded"}
        ]});
        assert_eq!(lm_studio_vision(&lm, Some("qwen2-vl-7b")), Some(true));
        assert_eq!(lm_studio_vision(&lm, Some("llama-3.1-8b")), Some(false));
        assert_eq!(lm_studio_vision(&lm, None), Some(false));

        assert_eq!(
            ollama_vision(&json!({"capabilities": ["completion", "vision"]})),
            Some(true)
        );
        assert_eq!(
            ollama_vision(&json!({"capabilities": ["completion"]})),
            Some(false)
        );
        assert_eq!(ollama_vision(&json!({"modelfile": ""})), None);
    }
}
