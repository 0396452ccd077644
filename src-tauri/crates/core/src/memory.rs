//! Builds the message list each request carries, from the database.
//!
//! The model keeps no state, so every request is rebuilt here from what is saved: the system
//! prompt, then the conversation's messages. This is the one place that decides what the model
//! sees; the memory work (token budget, rolling summaries) changes its inside, not its callers.

use crate::llm::{ChatMessage, ChatRequest};
use crate::store::{Conversation, Message, MessageStatus, Result, Role, Store};

/// The request for the next reply in `conversation`, whose newest saved message is the prompt.
pub async fn build_request(store: &Store, conversation: &Conversation) -> Result<ChatRequest> {
    let history = store
        .messages_before(conversation.id, None, u32::MAX)
        .await?;
    Ok(ChatRequest {
        model: conversation.model.clone(),
        messages: context_messages(&conversation.system_prompt, &history),
        temperature: param_f32(conversation, "temperature"),
        top_p: param_f32(conversation, "top_p"),
        max_tokens: conversation
            .params
            .get("max_tokens")
            .and_then(|v| v.as_u64())
            .and_then(|v| u32::try_from(v).ok()),
        ..Default::default()
    })
}

/// The system prompt, then every message that carries something the model said or was told:
/// failed and still-empty replies are left out; interrupted replies keep their partial text.
pub fn context_messages(system_prompt: &str, history: &[Message]) -> Vec<ChatMessage> {
    let mut messages = Vec::with_capacity(history.len() + 1);
    if !system_prompt.trim().is_empty() {
        messages.push(ChatMessage::system(system_prompt));
    }
    for m in history {
        if m.status == MessageStatus::Error || m.content.is_empty() {
            continue;
        }
        messages.push(match m.role {
            Role::System => ChatMessage::system(m.content.as_str()),
            Role::User => ChatMessage::user(m.content.as_str()),
            Role::Assistant => ChatMessage::assistant(m.content.as_str()),
        });
    }
    messages
}

fn param_f32(conversation: &Conversation, key: &str) -> Option<f32> {
    conversation
        .params
        .get(key)
        .and_then(|v| v.as_f64())
        .map(|v| v as f32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::WireRole;
    use crate::store::{ConversationId, MessageId};
    use chrono::Utc;

    fn msg(id: i64, role: Role, content: &str, status: MessageStatus) -> Message {
        Message {
            id: MessageId(id),
            conversation_id: ConversationId(1),
            role,
            content: content.into(),
            status,
            error: None,
            model: None,
            prompt_tokens: None,
            completion_tokens: None,
            created_at: Utc::now(),
            completed_at: None,
        }
    }

    #[test]
    fn system_prompt_then_history_without_failed_or_empty_replies() {
        let history = [
            msg(1, Role::User, "Hi", MessageStatus::Complete),
            msg(2, Role::Assistant, "", MessageStatus::Error),
            msg(3, Role::User, "Hi again", MessageStatus::Complete),
            msg(4, Role::Assistant, "Hello th", MessageStatus::Interrupted),
            msg(5, Role::User, "Go on", MessageStatus::Complete),
        ];
        let out = context_messages("Be brief.", &history);
        let roles: Vec<_> = out.iter().map(|m| m.role).collect();
        assert_eq!(
            roles,
            [
                WireRole::System,
                WireRole::User,
                WireRole::User,
                WireRole::Assistant,
                WireRole::User
            ]
        );
        assert_eq!(out[3].content, "Hello th");
        assert_eq!(
            context_messages("  ", &history[..1]).len(),
            1,
            "no empty system message"
        );
    }
}
