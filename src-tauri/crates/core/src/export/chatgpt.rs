//! Importing ChatGPT's data export (`conversations.json`).
//!
//! Each conversation's `mapping` is a tree of nodes (regenerated replies and edits are branches).
//! The visible branch is found by following `current_node` up through `parent`. Empty, hidden,
//! system and tool nodes are skipped; content parts that are not text (images, files) are skipped
//! and counted in the report.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;

use super::{ImportError, ImportPlan, ImportSource};
use crate::store::{ImportConversation, ImportMessage, MessageStatus, Role, DEFAULT_TITLE};

#[derive(Deserialize)]
struct Conversation {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    create_time: Option<f64>,
    #[serde(default)]
    update_time: Option<f64>,
    mapping: HashMap<String, Node>,
    #[serde(default)]
    current_node: Option<String>,
}

#[derive(Deserialize)]
struct Node {
    #[serde(default)]
    message: Option<Message>,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    children: Vec<String>,
}

#[derive(Deserialize)]
struct Message {
    author: Author,
    #[serde(default)]
    create_time: Option<f64>,
    #[serde(default)]
    content: Option<Content>,
    #[serde(default)]
    metadata: serde_json::Value,
    #[serde(default)]
    recipient: Option<String>,
}

#[derive(Deserialize)]
struct Author {
    role: String,
}

#[derive(Deserialize)]
struct Content {
    #[serde(default)]
    content_type: String,
    #[serde(default)]
    parts: Vec<serde_json::Value>,
}

pub(super) fn parse(value: serde_json::Value) -> Result<ImportPlan, ImportError> {
    let conversations: Vec<Conversation> =
        serde_json::from_value(value).map_err(|e| ImportError::Malformed(e.to_string()))?;
    let mut plan = ImportPlan {
        source: ImportSource::ChatGpt,
        conversations: Vec::new(),
        skipped_messages: 0,
        skipped_parts: 0,
    };
    for c in conversations {
        let branch = visible_branch(&c);
        let created = time(c.create_time).unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        let mut messages = Vec::new();
        let mut model = None;
        for node_id in branch {
            let Some(m) = c.mapping.get(node_id).and_then(|n| n.message.as_ref()) else {
                continue;
            };
            let role = match m.author.role.as_str() {
                "user" => Role::User,
                "assistant" => Role::Assistant,
                _ => {
                    plan.skipped_messages += 1;
                    continue;
                }
            };
            let hidden = m
                .metadata
                .get("is_visually_hidden_from_conversation")
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            let to_tool = m.recipient.as_deref().is_some_and(|r| r != "all");
            let content = m.content.as_ref();
            let textual = content
                .is_some_and(|c| matches!(c.content_type.as_str(), "text" | "multimodal_text"));
            if hidden || to_tool || !textual {
                plan.skipped_messages += 1;
                continue;
            }
            let mut texts = Vec::new();
            for part in content.map(|c| c.parts.as_slice()).unwrap_or_default() {
                match part.as_str() {
                    Some(text) => {
                        if !text.trim().is_empty() {
                            texts.push(text);
                        }
                    }
                    None => plan.skipped_parts += 1,
                }
            }
            let text = texts.join("\n\n");
            if text.trim().is_empty() {
                plan.skipped_messages += 1;
                continue;
            }
            let slug = m
                .metadata
                .get("model_slug")
                .and_then(|v| v.as_str())
                .map(str::to_owned);
            if role == Role::Assistant && slug.is_some() {
                model.clone_from(&slug);
            }
            let at = time(m.create_time).unwrap_or(created);
            messages.push(ImportMessage {
                role,
                content: text,
                status: MessageStatus::Complete,
                error: None,
                model: if role == Role::Assistant { slug } else { None },
                prompt_tokens: None,
                completion_tokens: None,
                created_at: at,
                completed_at: Some(at),
                pinned: false,
                version_of: None,
                hidden: false,
                reasoning: String::new(),
                finish_reason: None,
                ended: None,
                stats: Default::default(),
                attachments: Vec::new(),
                tool_calls: Vec::new(),
            });
        }
        if messages.is_empty() {
            continue;
        }
        let updated = time(c.update_time)
            .or_else(|| messages.last().map(|m| m.created_at))
            .unwrap_or(created);
        plan.conversations.push(ImportConversation {
            title: c
                .title
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_TITLE.to_owned()),
            system_prompt: String::new(),
            model,
            params: serde_json::json!({}),
            created_at: created,
            updated_at: updated,
            pinned: false,
            archived: false,
            messages,
            summaries: Vec::new(),
        });
    }
    Ok(plan)
}

/// The node ids from the root down to `current_node` (or, without one, to the newest leaf).
fn visible_branch(c: &Conversation) -> Vec<&str> {
    let leaf = c
        .current_node
        .as_deref()
        .filter(|id| c.mapping.contains_key(*id))
        .or_else(|| {
            c.mapping
                .iter()
                .filter(|(_, n)| n.children.is_empty())
                .max_by(|a, b| {
                    let t = |n: &Node| {
                        n.message
                            .as_ref()
                            .and_then(|m| m.create_time)
                            .unwrap_or(0.0)
                    };
                    t(a.1).total_cmp(&t(b.1)).then_with(|| a.0.cmp(b.0))
                })
                .map(|(id, _)| id.as_str())
        });
    let mut branch = Vec::new();
    let mut at = leaf;
    // A malformed file could loop: never walk more nodes than there are.
    while let Some(id) = at {
        if branch.len() > c.mapping.len() {
            break;
        }
        branch.push(id);
        at = c.mapping.get(id).and_then(|n| n.parent.as_deref());
    }
    branch.reverse();
    branch
}

fn time(seconds: Option<f64>) -> Option<DateTime<Utc>> {
    let s = seconds.filter(|s| s.is_finite() && *s >= 0.0)?;
    Utc.timestamp_millis_opt((s * 1000.0).round() as i64)
        .single()
}
