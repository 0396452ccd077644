//! Which server the front ends talk to, shared by the app and the CLI: the saved endpoint, the
//! `CONFAB_ENDPOINT` override and a client for it. Everything else the user chooses is in
//! [`crate::settings`].

use serde::{Deserialize, Serialize};

use crate::llm::{Endpoint, LlmClient, LlmError, RetryPolicy, Timeouts};
use crate::store::{Store, StoreError};

/// LM Studio's default: the most common local server.
pub const DEFAULT_BASE_URL: &str = "http://localhost:1234";
/// Overrides the saved endpoint for every front end.
pub const ENDPOINT_ENV: &str = "CONFAB_ENDPOINT";
/// The setting under which the endpoint is saved.
pub const ENDPOINT_SETTING: &str = "endpoint";

/// The saved endpoint. API keys are never stored here (they belong in the OS keyring).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointSetting {
    pub base_url: String,
}

/// The endpoint to use: `explicit` (a flag), else `CONFAB_ENDPOINT`, else the saved setting, else
/// [`DEFAULT_BASE_URL`].
pub async fn endpoint_url(store: &Store, explicit: Option<String>) -> Result<String, StoreError> {
    if let Some(url) = explicit.filter(|u| !u.trim().is_empty()) {
        return Ok(url);
    }
    if let Some(url) = std::env::var(ENDPOINT_ENV)
        .ok()
        .filter(|u| !u.trim().is_empty())
    {
        return Ok(url);
    }
    // A setting with an unexpected shape falls back to the default rather than failing start-up.
    let saved: Option<EndpointSetting> = store.get_setting(ENDPOINT_SETTING).await.unwrap_or(None);
    Ok(saved
        .map(|s| s.base_url)
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned()))
}

/// A client for `url` with the default timeouts and retries.
pub fn client_for(url: &str, api_key: Option<String>) -> Result<LlmClient, LlmError> {
    Ok(LlmClient::new(
        Endpoint::new(url, api_key)?,
        Timeouts::default(),
        RetryPolicy::default(),
    ))
}

/// Checks `url` and saves it as the endpoint every front end uses from now on. A URL that is no
/// endpoint is refused as invalid input, like any other bad setting.
pub async fn save_endpoint(store: &Store, url: &str) -> Result<Endpoint, StoreError> {
    let endpoint = Endpoint::new(url, None).map_err(|e| StoreError::InvalidInput(e.to_string()))?;
    let setting = EndpointSetting {
        base_url: endpoint.root().to_owned(),
    };
    store.set_setting(ENDPOINT_SETTING, &setting).await?;
    Ok(endpoint)
}
