//! A conversation log as one standalone HTML file: inline CSS, readable and printable, light and
//! dark by media query, no script. Every text from the conversation is escaped: hostile content
//! never becomes markup.

use std::io::Write;

use chrono::{DateTime, Utc};

use super::{human_time, the_latest, ExportError, ExportOptions, MessageBatches};
use crate::store::{Conversation, MessageStatus, Role, Summary};

const STYLE: &str = "\
:root{color-scheme:light dark;--bg:#fff;--fg:#1d1d1f;--muted:#6e6e73;--user:#eef3ff;--bot:#f5f5f7;--line:#d2d2d7}\
@media (prefers-color-scheme:dark){:root{--bg:#161618;--fg:#f5f5f7;--muted:#a1a1a6;--user:#1f2a44;--bot:#222226;--line:#3a3a3c}}\
body{margin:0 auto;max-width:46rem;padding:2rem 1rem;background:var(--bg);color:var(--fg);font:16px/1.55 system-ui,-apple-system,'Segoe UI',sans-serif}\
h1{font-size:1.6rem;margin:0 0 .5rem}dl.meta{color:var(--muted);font-size:.9rem;display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem}\
dl.meta dt{font-weight:600}dl.meta dd{margin:0}\
article{border:1px solid var(--line);border-radius:10px;padding:.8rem 1rem;margin:1rem 0;break-inside:avoid}\
article.user{background:var(--user)}article.assistant,article.system{background:var(--bot)}\
header{font-size:.85rem;color:var(--muted);margin-bottom:.4rem}header b{color:var(--fg)}\
.text{white-space:pre-wrap;overflow-wrap:anywhere}.status{font-style:italic}\
.system-prompt,.summary{border-left:3px solid var(--line);padding-left:.8rem;color:var(--muted);white-space:pre-wrap}\
@media print{body{max-width:none;padding:0}article{border-color:#999}}";

pub(super) async fn write(
    out: &mut (dyn Write + Send),
    c: &Conversation,
    messages: &mut MessageBatches<'_>,
    summaries: &[Summary],
    options: &ExportOptions,
    now: DateTime<Utc>,
) -> Result<u64, ExportError> {
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n<dl class=\"meta\">\n",
        escape(&c.title),
        escape(&c.title)
    )?;
    if let Some(model) = &c.model {
        writeln!(out, "<dt>Model</dt><dd>{}</dd>", escape(model))?;
    }
    if let Some(endpoint) = &options.endpoint {
        writeln!(out, "<dt>Endpoint</dt><dd>{}</dd>", escape(endpoint))?;
    }
    writeln!(
        out,
        "<dt>Created</dt><dd>{}</dd>\n<dt>Updated</dt><dd>{}</dd>\n<dt>Exported</dt><dd>{} by Confab</dd>\n</dl>",
        human_time(c.created_at),
        human_time(c.updated_at),
        human_time(now)
    )?;
    if !c.system_prompt.trim().is_empty() {
        writeln!(
            out,
            "<p><b>System prompt</b></p>\n<div class=\"system-prompt\">{}</div>",
            escape(&c.system_prompt)
        )?;
    }
    let mut count = 0;
    while let Some(batch) = messages.next().await? {
        for m in &batch {
            count += 1;
            let (class, who) = match m.role {
                Role::User => ("user", "User".to_owned()),
                Role::Assistant => (
                    "assistant",
                    match &m.model {
                        Some(model) => format!("Assistant ({model})"),
                        None => "Assistant".to_owned(),
                    },
                ),
                Role::System => ("system", "System".to_owned()),
            };
            let status = match m.status {
                MessageStatus::Complete => String::new(),
                MessageStatus::Streaming => {
                    " · <span class=\"status\">still streaming</span>".into()
                }
                MessageStatus::Interrupted => " · <span class=\"status\">interrupted</span>".into(),
                MessageStatus::Error => format!(
                    " · <span class=\"status\">failed: {}</span>",
                    escape(m.error.as_deref().unwrap_or("no reason given"))
                ),
            };
            let files = attachments_html(messages.store, &m.attachments).await?;
            let calls: String = m.tool_calls.iter().map(call_html).collect();
            writeln!(
                out,
                "<article class=\"{class}\">\n<header><b>{}</b> · <time datetime=\"{}\">{}</time>{status}</header>\n{files}<div class=\"text\">{}</div>\n{calls}</article>",
                escape(&who),
                m.created_at.to_rfc3339(),
                human_time(m.created_at),
                escape(m.content.trim_end())
            )?;
        }
    }
    if let Some(summary) = the_latest(summaries) {
        writeln!(
            out,
            "<h2>Appendix: the conversation's summary</h2>\n<div class=\"summary\">{}</div>",
            escape(&summary.content)
        )?;
    }
    writeln!(out, "</body>\n</html>")?;
    Ok(count)
}

/// A tool call and its result, escaped text in `<pre>` (a result is untrusted).
fn call_html(call: &crate::store::ToolCallRecord) -> String {
    let name = match (&call.server, &call.tool) {
        (Some(server), Some(tool)) => format!("{server}/{tool}"),
        _ => call.function_name.clone(),
    };
    let reason = call
        .reason
        .as_deref()
        .map(|r| format!(" ({})", escape(r)))
        .unwrap_or_default();
    let result = call
        .result
        .as_deref()
        .map(|r| {
            format!(
                "<p>{}</p><pre class=\"result\">{}</pre>",
                if call.is_error {
                    "Result (an error):"
                } else {
                    "Result:"
                },
                escape(r)
            )
        })
        .unwrap_or_default();
    format!(
        "<section class=\"tool-call\"><p>Tool call <code>{}</code> · {}{reason}</p><pre>{}</pre>{result}</section>\n",
        escape(&name),
        escape(&call.decision.as_str().replace('_', " ")),
        escape(&call.arguments)
    )
}

/// A message's files: an image inline as a `data:` URL (the page stays one file with no script),
/// a text file by its name (its text is in the message).
async fn attachments_html(
    store: &crate::store::Store,
    files: &[crate::attachments::Attachment],
) -> Result<String, ExportError> {
    use crate::attachments::{data_url, human_size, AttachmentKind};
    if files.is_empty() {
        return Ok(String::new());
    }
    let images: Vec<&str> = files
        .iter()
        .filter(|a| a.kind == AttachmentKind::Image)
        .map(|a| a.sha256.as_str())
        .collect();
    let blobs = store.blobs(&images).await?;
    let mut out = String::from("<div class=\"files\">");
    for a in files {
        match blobs.get(&a.sha256) {
            Some((mime, bytes)) if a.kind == AttachmentKind::Image => out.push_str(&format!(
                "<figure><img src=\"{}\" alt=\"{}\"><figcaption>{}</figcaption></figure>",
                escape(&data_url(mime, bytes)),
                escape(&a.name),
                escape(&a.name)
            )),
            _ => out.push_str(&format!(
                "<p class=\"file\">📎 {} ({})</p>",
                escape(&a.name),
                human_size(a.size as u64)
            )),
        }
    }
    out.push_str("</div>\n");
    Ok(out)
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
