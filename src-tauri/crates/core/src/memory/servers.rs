//! What servers reported about themselves in this process (context length, whether they can
//! tokenize) and the token counts they gave for texts that are not messages. Kept in memory
//! only, and trusted for a short while: a server may load another model at any time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::llm::LlmClient;

/// How long what a server said about itself (context length, tokenizer) is trusted.
const SERVER_INFO_TTL: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy)]
pub(super) struct ServerInfo {
    pub(super) context_length: Option<u64>,
    pub(super) tokenize: bool,
    at: Instant,
}

/// What the builder remembers between requests in one process: what servers said about
/// themselves, and token counts of texts that are not messages (system prompts, summaries).
#[derive(Debug, Default)]
pub struct ServerReports {
    servers: Mutex<HashMap<String, ServerInfo>>,
    /// Token counts of texts that are not messages, by tokenizer and text hash.
    pub(super) texts: Mutex<HashMap<(String, i64), u64>>,
}

impl ServerReports {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets what servers said (e.g. after the user changed the endpoint or reloaded a model).
    pub fn forget_servers(&self) {
        self.servers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    pub(super) async fn server_info(&self, client: &LlmClient, model: Option<&str>) -> ServerInfo {
        let key = tokenizer_key(client, model);
        if let Some(info) = self
            .servers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .copied()
            .filter(|i| i.at.elapsed() < SERVER_INFO_TTL)
        {
            return info;
        }
        let (context_length, tokenize) =
            tokio::join!(client.context_length(model), client.tokenize("Confab"));
        let info = ServerInfo {
            context_length,
            tokenize: tokenize.is_some(),
            at: Instant::now(),
        };
        self.servers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, info);
        info
    }
}

/// The key token counts and model profiles are stored under: the server and the model.
pub fn tokenizer_key(client: &LlmClient, model: Option<&str>) -> String {
    format!("{}#{}", client.endpoint().base_url(), model.unwrap_or(""))
}
