//! A tool's result, as untrusted text: the text parts kept (up to 1 MiB), images kept for models
//! that take them, every other kind of content named rather than passed on, and what goes to the
//! model capped at 32 KiB with a marker saying how much was cut.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The most of a result's text that is stored.
pub const MAX_STORED_RESULT_BYTES: usize = 1024 * 1024;
/// The most of a result's text a model is sent.
pub const MAX_MODEL_RESULT_BYTES: usize = 32 * 1024;

/// An image a tool returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ResultImage {
    pub mime: String,
    /// Base64, as the server sent it.
    pub data: String,
}

/// What a call returned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ToolResult {
    /// The text parts, in order, with other content named in brackets; at most 1 MiB.
    pub text: String,
    #[serde(default)]
    pub images: Vec<ResultImage>,
    /// The server said the call failed (`isError`).
    pub is_error: bool,
    /// The size of the whole text before it was cut to 1 MiB.
    #[ts(type = "number")]
    pub bytes: u64,
}

impl ToolResult {
    /// Reads a `CallToolResult` as JSON (`content`, `structuredContent`, `isError`).
    pub fn from_wire(value: &serde_json::Value) -> Self {
        let mut parts: Vec<String> = Vec::new();
        let mut images = Vec::new();
        for item in value
            .get("content")
            .and_then(|c| c.as_array())
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let kind = item.get("type").and_then(|t| t.as_str()).unwrap_or("?");
            match kind {
                "text" => parts.push(str_of(item, "text").to_owned()),
                "image" => {
                    let mime = str_of(item, "mimeType").to_owned();
                    let data = str_of(item, "data").to_owned();
                    let padding = data.bytes().rev().take_while(|b| *b == b'=').count();
                    let size = (data.len() / 4 * 3).saturating_sub(padding);
                    parts.push(format!("[image: {mime}, {size} bytes]"));
                    images.push(ResultImage { mime, data });
                }
                "audio" => parts.push(format!(
                    "[audio: {} — not passed on]",
                    str_of(item, "mimeType")
                )),
                "resource" => {
                    let resource = item.get("resource").cloned().unwrap_or_default();
                    match resource.get("text").and_then(|t| t.as_str()) {
                        Some(text) => {
                            parts.push(format!("[resource {}]\n{text}", str_of(&resource, "uri")))
                        }
                        None => parts.push(format!(
                            "[resource {} ({}) — binary, not passed on]",
                            str_of(&resource, "uri"),
                            str_of(&resource, "mimeType")
                        )),
                    }
                }
                "resource_link" => {
                    parts.push(format!("[link to resource {}]", str_of(item, "uri")))
                }
                other => parts.push(format!("[content of type “{other}” — not passed on]")),
            }
        }
        if parts.is_empty() {
            if let Some(structured) = value.get("structuredContent") {
                parts.push(structured.to_string());
            }
        }
        let whole = parts.join("\n\n");
        let bytes = whole.len() as u64;
        Self {
            text: cut(&whole, MAX_STORED_RESULT_BYTES).to_owned(),
            images,
            is_error: value
                .get("isError")
                .and_then(|e| e.as_bool())
                .unwrap_or(false),
            bytes,
        }
    }

    /// The text a model is sent: at most 32 KiB, then a line that says how much was cut.
    pub fn for_model(&self) -> String {
        if self.bytes as usize <= MAX_MODEL_RESULT_BYTES && self.text.len() == self.bytes as usize {
            return self.text.clone();
        }
        let kept = cut(&self.text, MAX_MODEL_RESULT_BYTES);
        format!(
            "{kept}\n[… cut: {} of {} bytes not shown]",
            self.bytes as usize - kept.len(),
            self.bytes
        )
    }
}

fn str_of<'a>(value: &'a serde_json::Value, key: &str) -> &'a str {
    value.get(key).and_then(|v| v.as_str()).unwrap_or_default()
}

/// The longest start of `text` of at most `max` bytes that ends on a character boundary.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_kind_of_content_is_kept_or_named() {
        let result = ToolResult::from_wire(&json!({
            "content": [
                { "type": "text", "text": "<script>alert(1)</script>" },
                { "type": "image", "mimeType": "image/png", "data": "iVBORw0KGgo=" },
                { "type": "audio", "mimeType": "audio/wav", "data": "UklGRg==" },
                { "type": "resource", "resource": { "uri": "file:///a.txt", "text": "hello" } },
                { "type": "resource_link", "uri": "file:///b.bin", "name": "b" }
            ],
            "isError": true
        }));
        assert!(result.is_error);
        assert_eq!(result.images.len(), 1);
        assert_eq!(
            result.text,
            "<script>alert(1)</script>\n\n[image: image/png, 8 bytes]\n\n[audio: audio/wav — not passed on]\n\n[resource file:///a.txt]\nhello\n\n[link to resource file:///b.bin]"
        );
        assert_eq!(result.for_model(), result.text);
    }

    #[test]
    fn a_huge_result_is_stored_to_1_mib_and_sent_to_32_kib_saying_so() {
        let big = "é".repeat(700_000); // 1.4 MB
        let result =
            ToolResult::from_wire(&json!({ "content": [{ "type": "text", "text": big }] }));
        assert_eq!(result.bytes, 1_400_000);
        assert!(result.text.len() <= MAX_STORED_RESULT_BYTES);
        let sent = result.for_model();
        assert!(sent.len() < MAX_MODEL_RESULT_BYTES + 100);
        assert!(sent.ends_with(&format!(
            "[… cut: {} of 1400000 bytes not shown]",
            1_400_000 - MAX_MODEL_RESULT_BYTES
        )));
    }

    #[test]
    fn structured_content_alone_is_sent_as_json() {
        let result =
            ToolResult::from_wire(&json!({ "content": [], "structuredContent": { "sum": 5 } }));
        assert_eq!(result.text, r#"{"sum":5}"#);
    }
}
