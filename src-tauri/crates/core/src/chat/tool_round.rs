//! The tools a chat offers, and one round of calls: each call the model asked for is checked (a
//! tool it was offered, arguments that are a JSON object), decided (allowed before, or asked of
//! the user through the front end, who answers with [`ChatService::decide_tool_call`]), run, and
//! saved as it happens. A pending question never blocks another chat; Stop ends the round at
//! once, cancelling a running call at the server.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use super::{ChatEvent, ChatService, EventSink};
use crate::llm::{AssembledCall, ChatRequest};
use crate::store::{
    ConversationId, NewToolCall, StoreError, ToolCallRecord, ToolDecision, ToolServerId,
};
use crate::tools::{escape_hidden, names::function_names, ToolHub, ToolResult, ToolsError};

/// The most rounds of tool calls in one turn: then the turn ends, saying why.
pub const MAX_TOOL_ROUNDS: usize = 10;

/// The user's answer to a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Consent {
    AllowOnce,
    /// This tool runs without asking in this chat from now on.
    AllowInChat,
    /// This tool runs without asking everywhere (only for tools their server marks read-only).
    AlwaysAllow,
    /// Not run; the model is told so, with the reason when there is one.
    Deny {
        reason: Option<String>,
    },
}

/// What the front end shows to ask about one call: everything needed to decide, the arguments
/// whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ConsentRequest {
    /// The call's row ([`ToolCallRecord::id`]): what the answer names.
    #[ts(type = "number")]
    pub call_id: i64,
    pub conversation_id: ConversationId,
    pub server_id: ToolServerId,
    pub server: String,
    pub tool: String,
    /// The tool's description as approved, hidden characters escaped.
    pub description: String,
    /// The server's hints: read-only, destructive, reaching outside (open world).
    pub read_only: bool,
    pub destructive: bool,
    pub open_world: bool,
    /// The arguments, pretty-printed.
    pub arguments: String,
    /// The definition the user is shown (an "always" answer is recorded against it).
    pub tool_hash: String,
}

/// A tool the model may call in this turn.
#[derive(Debug, Clone)]
struct Offered {
    server_id: ToolServerId,
    server: String,
    tool: String,
    description: String,
    annotations: serde_json::Value,
    schema: serde_json::Value,
    hash: String,
}

/// The tools a chat offers: the function definitions the request carries, by the names the model
/// calls them.
#[derive(Debug, Default)]
pub(super) struct ToolSet {
    functions: Vec<serde_json::Value>,
    by_name: HashMap<String, Offered>,
}

impl ToolSet {
    pub(super) fn is_empty(&self) -> bool {
        self.functions.is_empty()
    }

    /// Puts the tools into the request (none: no `tools` field at all).
    pub(super) fn apply(&self, request: &mut ChatRequest) {
        request.tools = self.functions.clone();
    }

    /// The calls to record, each with the server and tool its name stands for.
    pub(super) fn resolve(&self, calls: &[AssembledCall]) -> Vec<NewToolCall> {
        calls
            .iter()
            .map(|c| {
                let target = self.by_name.get(&c.name);
                NewToolCall {
                    call_id: c.id.clone(),
                    function_name: c.name.clone(),
                    server: target.map(|t| t.server.clone()),
                    tool: target.map(|t| t.tool.clone()),
                    arguments: c.arguments.clone(),
                }
            })
            .collect()
    }
}

fn hint(annotations: &serde_json::Value, key: &str) -> Option<bool> {
    annotations.get(key).and_then(|v| v.as_bool())
}

impl ChatService {
    /// The hub that runs tools; without one, no chat offers tools.
    pub fn set_tools(&self, hub: Arc<ToolHub>) {
        *self.tools.write().unwrap_or_else(|e| e.into_inner()) = Some(hub);
    }

    pub fn tools(&self) -> Option<Arc<ToolHub>> {
        self.tools.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Answers the question about call `call_id`. Returns whether a turn was waiting for it.
    pub fn decide_tool_call(&self, call_id: i64, consent: Consent) -> bool {
        let waiting = self
            .consents
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&call_id);
        match waiting {
            Some(answer) => answer.send(consent).is_ok(),
            None => false,
        }
    }

    /// The questions waiting for an answer now (a front end that opens later shows them).
    pub fn pending_consents(&self) -> Vec<i64> {
        self.consents
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .copied()
            .collect()
    }

    /// The tools `conversation_id` offers: the usable tools of its servers that may run. Servers
    /// are started (and listed) as the chat needs them; one that cannot start is left out, said
    /// in the log.
    pub(super) async fn offered_tools(&self, conversation_id: ConversationId) -> ToolSet {
        let Some(hub) = self.tools() else {
            return ToolSet::default();
        };
        let ids = match self.store.offered_tool_servers(conversation_id).await {
            Ok(ids) => ids,
            Err(err) => {
                tracing::warn!(%err, "could not read the chat's tool servers");
                return ToolSet::default();
            }
        };
        let mut offered = Vec::new();
        for id in ids {
            let Ok(server) = self.store.tool_server(id).await else {
                continue;
            };
            if !server.may_run() {
                continue;
            }
            if let Err(err) = hub.connection(&server).await {
                tracing::warn!(server = %server.definition.name, %err, "a tool server did not start");
                continue;
            }
            // The start (or a change notice) may have held or added tools.
            let Ok(server) = self.store.tool_server(id).await else {
                continue;
            };
            for tool in &server.tools {
                if let Some(spec) = tool.usable() {
                    offered.push(Offered {
                        server_id: server.id,
                        server: server.definition.name.clone(),
                        tool: tool.name.clone(),
                        description: spec.description.clone(),
                        annotations: spec.annotations.clone(),
                        schema: spec.input_schema.clone(),
                        hash: spec.hash.clone(),
                    });
                }
            }
        }
        let pairs: Vec<(&str, &str)> = offered
            .iter()
            .map(|o| (o.server.as_str(), o.tool.as_str()))
            .collect();
        let names = function_names(&pairs);
        let mut set = ToolSet::default();
        for (name, tool) in names.into_iter().zip(offered) {
            let schema = Some(tool.schema.clone())
                .filter(serde_json::Value::is_object)
                .unwrap_or_else(|| serde_json::json!({ "type": "object", "properties": {} }));
            set.functions.push(serde_json::json!({
                "type": "function",
                "function": { "name": name, "description": tool.description, "parameters": schema }
            }));
            set.by_name.insert(name, tool);
        }
        set
    }

    /// Decides and runs the calls of one round. `Err(())` when the user stopped the reply: the
    /// calls not yet done are marked cancelled and the turn ends.
    pub(super) async fn run_calls(
        &self,
        conversation_id: ConversationId,
        set: &ToolSet,
        calls: Vec<ToolCallRecord>,
        cancel: &CancellationToken,
        sink: &dyn EventSink,
    ) -> Result<(), StoreError> {
        let mut calls = calls.into_iter();
        while let Some(call) = calls.next() {
            sink.send(ChatEvent::ToolCall { call: call.clone() });
            let stopped = self
                .run_call(conversation_id, set, call, cancel, sink)
                .await?;
            if stopped {
                for rest in calls {
                    let rest = self
                        .store
                        .decide_tool_call(&rest, ToolDecision::Cancelled, None)
                        .await?;
                    sink.send(ChatEvent::ToolCall { call: rest });
                }
                break;
            }
        }
        Ok(())
    }

    /// One call; returns whether the reply was stopped meanwhile.
    async fn run_call(
        &self,
        conversation_id: ConversationId,
        set: &ToolSet,
        call: ToolCallRecord,
        cancel: &CancellationToken,
        sink: &dyn EventSink,
    ) -> Result<bool, StoreError> {
        let store = &self.store;
        let Some(target) = set.by_name.get(&call.function_name) else {
            let mut known: Vec<&str> = set.by_name.keys().map(String::as_str).collect();
            known.sort_unstable();
            let reason = format!(
                "there is no tool named “{}”; the tools are: {}",
                escape_hidden(&call.function_name),
                known.join(", ")
            );
            let call = store
                .decide_tool_call(&call, ToolDecision::Invalid, Some(&reason))
                .await?;
            sink.send(ChatEvent::ToolCall { call });
            return Ok(false);
        };
        let arguments = match serde_json::from_str::<serde_json::Value>(&call.arguments) {
            Ok(serde_json::Value::Object(map)) => map,
            Ok(_) | Err(_) if call.arguments.trim().is_empty() => serde_json::Map::new(),
            Ok(_) => {
                return self
                    .invalid(&call, "the arguments are not a JSON object", sink)
                    .await
            }
            Err(e) => {
                return self
                    .invalid(
                        &call,
                        &format!("the arguments are not valid JSON ({e})"),
                        sink,
                    )
                    .await
            }
        };
        let decision = match store
            .tool_allowed(
                target.server_id,
                &target.tool,
                conversation_id,
                &target.hash,
            )
            .await
        {
            Ok(Some(true)) => Some((ToolDecision::AllowedAlways, None)),
            Ok(Some(false)) => Some((ToolDecision::AllowedChat, None)),
            Ok(None) => None,
            Err(ToolsError::Store(e)) => return Err(e),
            Err(err) => {
                tracing::warn!(%err, "could not read the tool's allowances");
                None
            }
        };
        let (decision, reason) = match decision {
            Some(decided) => decided,
            None => {
                let request = ConsentRequest {
                    call_id: call.id,
                    conversation_id,
                    server_id: target.server_id,
                    server: target.server.clone(),
                    tool: target.tool.clone(),
                    description: escape_hidden(&target.description),
                    read_only: hint(&target.annotations, "readOnlyHint") == Some(true),
                    destructive: hint(&target.annotations, "destructiveHint").unwrap_or(true)
                        && hint(&target.annotations, "readOnlyHint") != Some(true),
                    open_world: hint(&target.annotations, "openWorldHint").unwrap_or(true),
                    arguments: escape_hidden(
                        &serde_json::to_string_pretty(&arguments).unwrap_or_default(),
                    ),
                    tool_hash: target.hash.clone(),
                };
                let (answer, answered) = oneshot::channel();
                self.consents
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(call.id, answer);
                sink.send(ChatEvent::ToolConsent { request });
                let consent = tokio::select! {
                    biased;
                    _ = cancel.cancelled() => None,
                    consent = answered => consent.ok(),
                };
                self.consents
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&call.id);
                let Some(consent) = consent else {
                    let call = store
                        .decide_tool_call(&call, ToolDecision::Cancelled, None)
                        .await?;
                    sink.send(ChatEvent::ToolCall { call });
                    return Ok(true);
                };
                self.remember(conversation_id, target, consent).await
            }
        };
        let hub = self.tools().filter(|_| decision.allows());
        let Some(hub) = hub else {
            let call = store
                .decide_tool_call(&call, decision, reason.as_deref())
                .await?;
            sink.send(ChatEvent::ToolCall { call });
            return Ok(false);
        };
        // Allowed: decided and started in one write.
        let call = store.decide_and_start_tool_call(&call, decision).await?;
        sink.send(ChatEvent::ToolCall { call: call.clone() });
        let result = match hub
            .call(target.server_id, &target.tool, Some(arguments), cancel)
            .await
        {
            Ok(result) => result,
            Err(ToolsError::Cancelled) => {
                let call = store
                    .decide_tool_call(&call, ToolDecision::Cancelled, None)
                    .await?;
                sink.send(ChatEvent::ToolCall { call });
                return Ok(true);
            }
            Err(err) => ToolResult {
                text: err.to_string(),
                images: Vec::new(),
                is_error: true,
                bytes: err.to_string().len() as u64,
            },
        };
        let call = store.finish_tool_call(&call, &result).await?;
        sink.send(ChatEvent::ToolCall { call });
        Ok(cancel.is_cancelled())
    }

    async fn invalid(
        &self,
        call: &ToolCallRecord,
        reason: &str,
        sink: &dyn EventSink,
    ) -> Result<bool, StoreError> {
        let call = self
            .store
            .decide_tool_call(
                call,
                ToolDecision::Invalid,
                Some(&format!(
                    "{reason}: send a JSON object that fits the tool's parameters"
                )),
            )
            .await?;
        sink.send(ChatEvent::ToolCall { call });
        Ok(false)
    }

    /// Records what an answer allows from now on, and the decision it makes now.
    async fn remember(
        &self,
        conversation_id: ConversationId,
        target: &Offered,
        consent: Consent,
    ) -> (ToolDecision, Option<String>) {
        let scope = match consent {
            Consent::AllowOnce => return (ToolDecision::AllowedOnce, None),
            Consent::Deny { reason } => return (ToolDecision::Denied, reason),
            Consent::AllowInChat => Some(conversation_id),
            Consent::AlwaysAllow => None,
        };
        // "Always" is only for tools their server marks read-only; for any other it is "in
        // this chat".
        let read_only = hint(&target.annotations, "readOnlyHint") == Some(true);
        let decision = if scope.is_none() && read_only {
            ToolDecision::AllowedAlways
        } else {
            ToolDecision::AllowedChat
        };
        let scope = if decision == ToolDecision::AllowedAlways {
            None
        } else {
            Some(conversation_id)
        };
        if let Err(err) = self
            .store
            .allow_tool(target.server_id, &target.tool, scope, &target.hash)
            .await
        {
            tracing::warn!(%err, "could not remember the allowance");
        }
        (decision, None)
    }
}
