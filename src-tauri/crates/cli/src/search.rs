//! `confab-cli search`: every chat's messages by what was said, best match first, one hit per
//! line (chat id, message id, role, date, snippet), or as JSON.

use std::io::IsTerminal;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Local, NaiveDate, TimeZone, Utc};
use confab_core::chat::ChatService;
use confab_core::llm::LlmClient;
use confab_core::store::{ConversationId, Role, SearchHit, SearchQuery, Store, MAX_SEARCH_LIMIT};
use serde::Serialize;

pub struct Search {
    pub query: String,
    pub chat: Option<i64>,
    pub role: Option<String>,
    pub since: Option<String>,
    pub limit: u32,
    pub json: bool,
    /// Also by meaning (needs the server's embedding model).
    pub meaning: bool,
}

/// A hit as `--json` prints it.
#[derive(Serialize)]
struct JsonHit {
    conversation_id: i64,
    message_id: i64,
    role: Role,
    created_at: DateTime<Utc>,
    snippet: String,
    score: f64,
    /// The match is in a tool's result (the snippet is the result's).
    tool_output: bool,
}

pub async fn run(store: &Store, client: Option<LlmClient>, search: Search) -> Result<()> {
    let role = match search.role.as_deref() {
        None => None,
        Some("user") => Some(Role::User),
        Some("assistant") => Some(Role::Assistant),
        Some(other) => bail!("--role is user or assistant, not {other:?}"),
    };
    if search.limit == 0 || search.limit > MAX_SEARCH_LIMIT {
        bail!("--limit is 1 to {MAX_SEARCH_LIMIT}, not {}", search.limit);
    }
    let since = search.since.as_deref().map(parse_date).transpose()?;
    let query = SearchQuery {
        text: search.query,
        conversation_id: search.chat.map(ConversationId),
        role,
        since,
        limit: search.limit,
        meaning: search.meaning,
        ..Default::default()
    };
    let results = match client {
        Some(client) => {
            let service = ChatService::new(store.clone(), client);
            service.search(&query).await?
        }
        None => store.search(&query).await?,
    };
    if let Some(note) = &results.meaning_note {
        eprintln!("confab-cli: by words only: {note}");
    }
    if search.json {
        let hits: Vec<JsonHit> = results
            .hits
            .into_iter()
            .map(|h| JsonHit {
                conversation_id: h.conversation_id.0,
                message_id: h.message_id.0,
                role: h.role,
                created_at: h.created_at,
                snippet: h.snippet.text,
                score: h.score,
                tool_output: h.tool_output,
            })
            .collect();
        outln!("{}", serde_json::to_string_pretty(&hits)?)?;
        return Ok(());
    }
    if results.hits.is_empty() {
        outln!("Nothing found.")?;
        return Ok(());
    }
    let bold = std::io::stdout().is_terminal();
    for hit in &results.hits {
        outln!(
            "{}\t{}\t{}\t{}\t{}",
            hit.conversation_id,
            hit.message_id,
            if hit.tool_output {
                "tool output"
            } else {
                hit.role.as_str()
            },
            hit.created_at
                .with_timezone(&Local)
                .format("%Y-%m-%d %H:%M"),
            one_line(hit, bold)
        )?;
    }
    if results.more {
        outln!("… more: use --limit to show more than {}", search.limit)?;
    }
    Ok(())
}

/// The snippet on one line, its matches in bold on a terminal.
fn one_line(hit: &SearchHit, bold: bool) -> String {
    let units: Vec<u16> = hit.snippet.text.encode_utf16().collect();
    // A tool's result is untrusted: what a terminal would act on is escaped.
    let text = |piece: &[u16]| {
        let piece = String::from_utf16_lossy(piece);
        if hit.tool_output {
            confab_core::tools::escape_hidden(&piece)
        } else {
            piece
        }
    };
    let mut out = String::new();
    let mut at = 0usize;
    for [start, end] in &hit.snippet.highlights {
        let (start, end) = (*start as usize, *end as usize);
        out.push_str(&text(&units[at..start]));
        let matched = text(&units[start..end]);
        if bold {
            out.push_str(&format!("\x1b[1m{matched}\x1b[0m"));
        } else {
            out.push_str(&matched);
        }
        at = end;
    }
    out.push_str(&text(&units[at..]));
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `2026-11-27` (local midnight) or an RFC 3339 time.
fn parse_date(text: &str) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .with_context(|| format!("--since takes a date like 2026-11-27, not {text:?}"))?;
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    Ok(Local
        .from_local_datetime(&midnight)
        .earliest()
        .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc)))
}
