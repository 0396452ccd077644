//! How stored messages become the messages of a request: a reply's tool calls with their results
//! in pairs, the images of files and of tools' results (by key while the request is planned,
//! their bytes once it is).

use std::collections::HashMap;

use super::MemoryError;
use crate::llm::{ChatMessage, LlmClient, WireRole, WireToolCall};
use crate::store::{Message, Store};

/// Replaces the blob keys [`to_wire`] left in the messages' images with `data:` URLs of their
/// bytes. A blob that is gone (it cannot be, while its link exists) is left out.
pub(super) async fn attach_images(
    store: &Store,
    wire: &mut [ChatMessage],
) -> Result<(), MemoryError> {
    let keys: Vec<&str> = wire
        .iter()
        .flat_map(|m| m.images.iter().map(String::as_str))
        .collect();
    if keys.is_empty() {
        return Ok(());
    }
    let (tool_keys, blob_keys): (Vec<&str>, Vec<&str>) = keys
        .into_iter()
        .partition(|key| parse_tool_image_key(key).is_some());
    let blobs = store.blobs(&blob_keys).await?;
    let wanted: Vec<(i64, u32)> = tool_keys
        .iter()
        .filter_map(|key| parse_tool_image_key(key))
        .collect();
    let tool_images = store.tool_result_images(&wanted).await?;
    for message in wire.iter_mut() {
        message.images = message
            .images
            .iter()
            .filter_map(|key| match parse_tool_image_key(key) {
                Some(at) => tool_images.get(&at),
                None => blobs.get(key),
            })
            .map(|(mime, bytes)| crate::attachments::data_url(mime, bytes))
            .collect();
    }
    Ok(())
}

pub(super) fn wire_role(m: &Message) -> WireRole {
    match m.role {
        crate::store::Role::System => WireRole::System,
        crate::store::Role::User => WireRole::User,
        crate::store::Role::Assistant => WireRole::Assistant,
    }
}

/// Pushes `m` as it is sent: a reply that called tools is its assistant message with the calls,
/// then one `tool` message per call with its result (or why it did not run), so the two always
/// go together — never a result without its call, never a call without its result. Images the
/// results carried (`images`: how many, by call) follow in one user message, as the chat format
/// has no images in a tool's message.
pub(super) fn push_wire(wire: &mut Vec<ChatMessage>, m: &Message, images: &HashMap<i64, u32>) {
    let mut message = to_wire(m);
    if m.tool_calls.is_empty() {
        wire.push(message);
        return;
    }
    message.tool_calls = m
        .tool_calls
        .iter()
        .map(|c| WireToolCall {
            id: c.call_id.clone(),
            name: c.function_name.clone(),
            // Servers parse the arguments of earlier calls: ones that were not a JSON object go
            // back as `{}` (the result says what was wrong).
            arguments: match serde_json::from_str::<serde_json::Value>(&c.arguments) {
                Ok(serde_json::Value::Object(_)) => c.arguments.clone(),
                _ => "{}".into(),
            },
        })
        .collect();
    wire.push(message);
    for call in &m.tool_calls {
        wire.push(ChatMessage::tool(call.call_id.clone(), call.for_model()));
    }
    let keys: Vec<String> = m
        .tool_calls
        .iter()
        .flat_map(|call| {
            let count = images.get(&call.id).copied().unwrap_or(0);
            (0..count).map(move |position| tool_image_key(call.id, position))
        })
        .collect();
    if !keys.is_empty() {
        let mut shown = ChatMessage::user(TOOL_IMAGES_NOTE.to_owned());
        shown.images = keys;
        wire.push(shown);
    }
}

/// What the message that carries the tools' images says.
pub const TOOL_IMAGES_NOTE: &str = "The images the tool results above returned:";

/// The key [`attach_images`] reads an image of a tool's result by, in place of a blob's.
fn tool_image_key(call: i64, position: u32) -> String {
    format!("tool:{call}:{position}")
}

fn parse_tool_image_key(key: &str) -> Option<(i64, u32)> {
    let (call, position) = key.strip_prefix("tool:")?.split_once(':')?;
    Some((call.parse().ok()?, position.parse().ok()?))
}

/// How many images the results of the calls in `sent` carried, by call: none unless the model
/// takes images (the server's word, else the user's setting), which is asked only when there are
/// some.
pub(super) async fn tool_images(
    store: &Store,
    client: Option<&LlmClient>,
    model: Option<&str>,
    tokenizer: &str,
    sent: &[&Message],
) -> Result<HashMap<i64, u32>, MemoryError> {
    let counts: HashMap<i64, u32> = sent
        .iter()
        .flat_map(|m| m.tool_calls.iter())
        .filter(|c| c.images > 0)
        .map(|c| (c.id, c.images))
        .collect();
    if counts.is_empty() {
        return Ok(counts);
    }
    let takes_images = match client {
        Some(client) => {
            crate::attachments::vision::vision(store, client, model)
                .await?
                .takes_images
        }
        None => store.model_vision(tokenizer).await? == Some(true),
    };
    Ok(if takes_images { counts } else { HashMap::new() })
}

pub(super) fn to_wire(m: &Message) -> ChatMessage {
    ChatMessage {
        tool_calls: Vec::new(),
        tool_call_id: None,
        role: wire_role(m),
        content: m.content.clone(),
        // The blobs' keys for now; [`attach_images`] puts in their bytes once the request is
        // planned, so only the images that are sent are read.
        images: m
            .attachments
            .iter()
            .filter(|a| a.kind == crate::attachments::AttachmentKind::Image)
            .map(|a| a.sha256.clone())
            .collect(),
    }
}
