//! What the user chooses: the app's look and preferences ([`AppSettings`]), the defaults every
//! chat uses unless it sets its own, each chat's own options ([`ChatOptions`]) and how a chat
//! remembers ([`Strategy`]). [`AppSettings::apply_defaults`] is the one place a chat's options and
//! the app's defaults are merged; a project's defaults come in between ([`crate::inherit`]).
//!
//! Only the store is below this module: memory and chat take the settings from here, never the
//! other way round.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::store::{Conversation, ConversationId, ConversationSettings, Store, StoreError};

/// The setting under which [`AppSettings`] are saved.
pub const APP_SETTINGS: &str = "app";

/// The app's look.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    /// Follow the desktop's light or dark preference.
    #[default]
    System,
    Light,
    Dark,
}

/// App-wide preferences and the defaults every chat uses unless it sets its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct AppSettings {
    pub theme: Theme,
    /// The model asked for when a chat names none (else the server's default).
    pub model: Option<String>,
    /// The system prompt of chats that have none of their own.
    pub system_prompt: String,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    /// The most tokens a reply may take (else a quarter of the context).
    pub max_tokens: Option<u64>,
    /// The model's context length, overriding what the server says (a chat may still set its own).
    pub context_length: Option<u64>,
    /// Whether the model names a new chat after its first reply (else the first question does).
    pub model_titles: bool,
    /// Where recall's embeddings come from.
    pub recall: RecallSettings,
}

/// Where recall's embeddings come from (see [`crate::recall`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct RecallSettings {
    /// Find earlier messages by meaning too, with an embedding model (else by words alone).
    pub embeddings: bool,
    /// The server that makes the embeddings; `None`: the chat server.
    pub endpoint: Option<String>,
    /// The embedding model; `None`: one the server lists as an embedding model (or its only
    /// model, on a server of its own).
    pub model: Option<String>,
}

impl Default for RecallSettings {
    fn default() -> Self {
        Self {
            embeddings: true,
            endpoint: None,
            model: None,
        }
    }
}

impl Default for AppSettings {
    fn default() -> Self {
        Self {
            theme: Theme::default(),
            model: None,
            system_prompt: String::new(),
            temperature: None,
            top_p: None,
            max_tokens: None,
            context_length: None,
            model_titles: true,
            recall: RecallSettings::default(),
        }
    }
}

/// The largest context length accepted: far beyond any model today, small enough to be a typo.
const MAX_CONTEXT_LENGTH: u64 = 10_000_000;

impl AppSettings {
    /// The saved settings; defaults when none are saved or they cannot be read (start-up never
    /// fails over preferences).
    pub async fn load(store: &Store) -> Self {
        match store.get_setting::<Self>(APP_SETTINGS).await {
            Ok(saved) => saved.unwrap_or_default(),
            Err(err) => {
                tracing::warn!(%err, "the saved settings could not be read: using defaults");
                Self::default()
            }
        }
    }

    /// Checks and saves the settings; returns them tidied (trimmed model name).
    pub async fn save(mut self, store: &Store) -> Result<Self, StoreError> {
        let tidy = |s: Option<String>| s.map(|m| m.trim().to_owned()).filter(|m| !m.is_empty());
        self.model = tidy(self.model);
        self.recall.endpoint = tidy(self.recall.endpoint);
        self.recall.model = tidy(self.recall.model);
        self.validate()?;
        store.set_setting(APP_SETTINGS, &self).await?;
        Ok(self)
    }

    fn validate(&self) -> Result<(), StoreError> {
        check_generation(
            self.temperature,
            self.top_p,
            self.max_tokens,
            self.context_length,
        )?;
        let models = [&self.model, &self.recall.model];
        if models
            .iter()
            .any(|m| m.as_ref().is_some_and(|m| m.len() > 256))
        {
            return Err(StoreError::invalid(
                "a model name is at most 256 characters",
            ));
        }
        if let Some(endpoint) = &self.recall.endpoint {
            crate::llm::Endpoint::new(endpoint, None)
                .map_err(|e| StoreError::invalid(format!("the embedding server: {e}")))?;
        }
        crate::store::check_system_prompt(&self.system_prompt)
    }

    /// The chat as a request sees it: these defaults fill in the model, system prompt and
    /// generation parameters it does not set itself. (The context length is not merged: where it
    /// came from is part of the context report.)
    pub fn apply_defaults(&self, conversation: &Conversation) -> Conversation {
        let mut c = conversation.clone();
        if c.model.is_none() {
            c.model = self.model.clone();
        }
        if c.system_prompt.trim().is_empty() {
            c.system_prompt = self.system_prompt.clone();
        }
        if let serde_json::Value::Object(params) = &mut c.params {
            let defaults = [
                ("temperature", self.temperature.map(serde_json::Value::from)),
                ("top_p", self.top_p.map(serde_json::Value::from)),
                ("max_tokens", self.max_tokens.map(serde_json::Value::from)),
            ];
            for (key, value) in defaults {
                if let Some(value) = value {
                    params.entry(key).or_insert(value);
                }
            }
        }
        c
    }
}

/// Checks generation parameters, wherever they are set (app defaults or a chat's own).
pub fn check_generation(
    temperature: Option<f64>,
    top_p: Option<f64>,
    max_tokens: Option<u64>,
    context_length: Option<u64>,
) -> Result<(), StoreError> {
    if temperature.is_some_and(|t| !(0.0..=2.0).contains(&t)) {
        return Err(StoreError::invalid("temperature goes from 0 to 2"));
    }
    if top_p.is_some_and(|p| !(p > 0.0 && p <= 1.0)) {
        return Err(StoreError::invalid("top-p goes from just above 0 to 1"));
    }
    if max_tokens.is_some_and(|n| n == 0 || n > MAX_CONTEXT_LENGTH) {
        return Err(StoreError::invalid(
            "the longest reply must be at least 1 token",
        ));
    }
    if context_length.is_some_and(|n| !(256..=MAX_CONTEXT_LENGTH).contains(&n)) {
        return Err(StoreError::invalid(
            "a context length goes from 256 to 10,000,000 tokens",
        ));
    }
    Ok(())
}

/// One chat's own options; `None` means "use the app's default".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct ChatOptions {
    /// Empty: the app's default system prompt.
    pub system_prompt: String,
    pub model: Option<String>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub max_tokens: Option<u64>,
    pub context_length: Option<u64>,
    /// `None`: the project's strategy, else the built-in default.
    pub memory: Option<Strategy>,
}

/// The params keys [`ChatOptions`] owns; other keys in a chat's params are kept as they are.
const OPTION_KEYS: [&str; 5] = [
    "temperature",
    "top_p",
    "max_tokens",
    "context_length",
    "memory",
];

impl ChatOptions {
    pub fn of(conversation: &Conversation) -> Self {
        let p = &conversation.params;
        Self {
            system_prompt: conversation.system_prompt.clone(),
            model: conversation.model.clone(),
            temperature: p.get("temperature").and_then(|v| v.as_f64()),
            top_p: p.get("top_p").and_then(|v| v.as_f64()),
            max_tokens: p.get("max_tokens").and_then(|v| v.as_u64()),
            context_length: p.get("context_length").and_then(|v| v.as_u64()),
            memory: Strategy::own(conversation),
        }
    }

    /// Checks the options and saves them as the chat's, in one write.
    pub async fn save(self, store: &Store, id: ConversationId) -> Result<Conversation, StoreError> {
        check_generation(
            self.temperature,
            self.top_p,
            self.max_tokens,
            self.context_length,
        )?;
        let model = self
            .model
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty());
        if model.as_ref().is_some_and(|m| m.len() > 256) {
            return Err(StoreError::invalid(
                "a model name is at most 256 characters",
            ));
        }
        let current = store.get_conversation(id).await?;
        let mut params = match current.params {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        for key in OPTION_KEYS {
            params.remove(key);
        }
        let set = [
            ("temperature", self.temperature.map(serde_json::Value::from)),
            ("top_p", self.top_p.map(serde_json::Value::from)),
            ("max_tokens", self.max_tokens.map(serde_json::Value::from)),
            (
                "context_length",
                self.context_length.map(serde_json::Value::from),
            ),
            ("memory", self.memory.map(|m| m.as_str().into())),
        ];
        for (key, value) in set {
            if let Some(value) = value {
                params.insert(key.into(), value);
            }
        }
        store
            .update_conversation_settings(
                id,
                ConversationSettings {
                    system_prompt: Some(self.system_prompt),
                    model: Some(model),
                    params: Some(serde_json::Value::Object(params)),
                },
            )
            .await
    }
}

/// How a conversation remembers: stored as `params.memory` (`"summary"`, `"window"`, `"full"`,
/// `"recall"`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "MemoryStrategy")]
pub enum Strategy {
    /// Every message; an error once the history no longer fits.
    FullHistory,
    /// The newest messages that fit; older ones are left out.
    SlidingWindow,
    /// A rolling summary of older turns, then the newest messages (the default).
    #[default]
    SummaryWindow,
    /// The summary and the newest messages, and the earlier turns most relevant to the new
    /// message, found by words and meaning ([`crate::recall`]).
    Recall,
}

impl Strategy {
    /// The name stored in a conversation's params.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FullHistory => "full",
            Self::SlidingWindow => "window",
            Self::SummaryWindow => "summary",
            Self::Recall => "recall",
        }
    }

    /// Whether older turns are folded into a rolling summary.
    pub fn summarizes(self) -> bool {
        matches!(self, Self::SummaryWindow | Self::Recall)
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "full" | "full_history" => Some(Self::FullHistory),
            "window" | "sliding_window" => Some(Self::SlidingWindow),
            "summary" | "summary_window" => Some(Self::SummaryWindow),
            "recall" => Some(Self::Recall),
            _ => None,
        }
    }

    /// The conversation's strategy (the default when unset or unknown).
    pub fn of(conversation: &Conversation) -> Self {
        Self::own(conversation).unwrap_or_default()
    }

    /// The strategy the conversation sets itself, if any.
    pub fn own(conversation: &Conversation) -> Option<Self> {
        conversation
            .params
            .get("memory")
            .and_then(|v| v.as_str())
            .and_then(Self::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::Strategy;

    #[test]
    fn strategies_round_trip_their_names() {
        for s in [
            Strategy::FullHistory,
            Strategy::SlidingWindow,
            Strategy::SummaryWindow,
            Strategy::Recall,
        ] {
            assert_eq!(Strategy::parse(s.as_str()), Some(s));
        }
        assert_eq!(Strategy::parse("bogus"), None);
    }
}
