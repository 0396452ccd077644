//! Search every chat by what was said: one query over the visible messages of all chats (hidden
//! reply versions are not found: no chat shows them) and over chat titles.
//!
//! - Words are matched with the word index (BM25 ranking, prefix matching for the word being
//!   typed, case and diacritics folded); CJK and word-less text with the trigram index; one or two
//!   such characters by a scan (see `query.rs` for which query uses which).
//! - Any text is a valid query: it is split into words here and reaches SQLite quoted.
//! - Filters: one chat, a role, a date range, pinned messages only. Paging by offset.
//! - Each hit carries a snippet with the matches as offsets (`snippet.rs`), and a score (higher
//!   is better: BM25's, negated).

mod query;
mod recall;
mod snippet;

pub(crate) use recall::WordCounts;

pub(crate) use query::topic_words;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{from_ms, ConversationId, MessageId, Result, Role, Store, StoreError};
use query::Plan;
pub use snippet::Snippet;

/// The two FTS5 indexes: words (migration 0008) and trigrams (0001); and their twins over tool
/// results (0015).
const WORDS: &str = "messages_words";
const TRIGRAMS: &str = "messages_fts";
const TOOL_WORDS: &str = "tool_results_words";
const TOOL_TRIGRAMS: &str = "tool_results_fts";

/// The most hits one page holds.
pub const MAX_SEARCH_LIMIT: u32 = 100;
/// How many chats whose title matches come with the first page.
const TITLE_HITS: i64 = 10;

/// What to search for, and where.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct SearchQuery {
    /// What the person typed.
    pub text: String,
    /// Only this chat.
    pub conversation_id: Option<ConversationId>,
    /// Only this role's messages.
    pub role: Option<Role>,
    /// Only messages written at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only messages written before this time.
    pub until: Option<DateTime<Utc>>,
    /// Only pinned messages.
    pub pinned_only: bool,
    /// Hits per page (1 to 100; 0 means 20).
    pub limit: u32,
    /// Hits to skip: the previous pages'.
    pub offset: u32,
    /// Also find messages close in meaning, with recall's embedding model (the first page, through
    /// the chat service: see `ChatService::search`).
    pub meaning: bool,
}

impl SearchQuery {
    /// All chats, no filter, the first page.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Default::default()
        }
    }
}

/// Which index answered: see the module's notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    Words,
    Substring,
    Scan,
}

/// How a hit was found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Matched {
    #[default]
    Words,
    /// Close in meaning (embedding vectors), without the words.
    Meaning,
    Both,
}

/// A message that matched.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SearchHit {
    pub conversation_id: ConversationId,
    pub conversation_title: String,
    pub message_id: MessageId,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub pinned: bool,
    pub snippet: Snippet,
    /// Higher is better; comparable within one search only.
    pub score: f64,
    pub matched: Matched,
    /// The match is in the result of a tool the reply called (the snippet is the result's):
    /// untrusted text, shown as tool output.
    pub tool_output: bool,
}

/// A chat whose title matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct TitleHit {
    pub conversation_id: ConversationId,
    pub title: String,
    pub updated_at: DateTime<Utc>,
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// Chats whose title has every word; on the first page of an all-chats search only.
    pub titles: Vec<TitleHit>,
    /// Whether there is another page.
    pub more: bool,
    pub mode: SearchMode,
    /// Why messages close in meaning were not looked for, when they were asked for.
    pub meaning_note: Option<String>,
}

#[derive(sqlx::FromRow)]
struct HitRow {
    conversation_id: i64,
    title: String,
    message_id: i64,
    role: String,
    created_at: i64,
    pinned: bool,
    text: String,
    rank: f64,
    tool_output: bool,
}

/// How many of the newest messages matching a search are ranked. BM25 scores every match, which
/// for a word found in most messages costs seconds over a million of them (measured: 1.3 s for
/// 395,000 matches). In `benches/search.rs` (1,000,000 messages of Zipf-distributed words) ranking
/// the newest 10,000 gave a median of 81 ms per query, the newest 2,000 gave 30 ms (21 ms later,
/// on a busy machine), against 440 ms for ripgrep scanning the same text; the newest 1,000 are
/// ranked now. For a word that common, recent messages are the ones a person is after, and
/// another word narrows the search; rarer words are unaffected.
const CANDIDATES: u32 = 1_000;

/// The filters, on the message `m`: visible only, then ?2..?6 (paging is at ?7, ?8).
const FILTERS: &str = "m.hidden = 0
    AND (?2 IS NULL OR m.conversation_id = ?2)
    AND (?3 IS NULL OR m.role = ?3)
    AND (?4 IS NULL OR m.created_at >= ?4)
    AND (?5 IS NULL OR m.created_at < ?5)
    AND (?6 = 0 OR m.pinned = 1)";

impl Store {
    /// One page of the messages (and, on the first page, chat titles) matching `query`, best
    /// first. Any text is a valid query; an empty one is refused with what to do, and so is a
    /// chat filter naming no chat (a typo or a deleted chat is not "nothing found").
    pub async fn search(&self, query: &SearchQuery) -> Result<SearchResults> {
        let parsed = query::plan(&query.text).map_err(StoreError::invalid)?;
        if let (Some(since), Some(until)) = (query.since, query.until) {
            if since >= until {
                return Err(StoreError::invalid(
                    "the search's start date is not before its end date",
                ));
            }
        }
        if let Some(id) = query.conversation_id {
            self.get_conversation(id).await?;
        }
        let limit = match query.limit {
            0 => 20,
            n => n.min(MAX_SEARCH_LIMIT),
        };
        let (mode, sql, needle) = match &parsed.plan {
            Plan::Words(expression) => (
                SearchMode::Words,
                ranked_sql(WORDS, TOOL_WORDS),
                expression.clone(),
            ),
            Plan::Substring(expression) => (
                SearchMode::Substring,
                ranked_sql(TRIGRAMS, TOOL_TRIGRAMS),
                expression.clone(),
            ),
            Plan::Scan(text) => (SearchMode::Scan, scan_sql(), text.clone()),
            Plan::Nothing => {
                return Ok(SearchResults {
                    hits: Vec::new(),
                    titles: Vec::new(),
                    more: false,
                    mode: SearchMode::Words,
                    meaning_note: None,
                })
            }
        };
        let role = query.role.map(|r| r.as_str());
        // One more than asked for says whether there is another page.
        let rows: Vec<HitRow> = sqlx::query_as(&sql)
            .bind(&needle)
            .bind(query.conversation_id.map(|c| c.0))
            .bind(role)
            .bind(query.since.map(|t| t.timestamp_millis()))
            .bind(query.until.map(|t| t.timestamp_millis()))
            .bind(query.pinned_only)
            .bind(i64::from(limit) + 1)
            .bind(i64::from(query.offset))
            .fetch_all(&self.pool)
            .await?;
        let more = rows.len() > limit as usize;
        let hits = rows
            .into_iter()
            .take(limit as usize)
            .map(|r| SearchHit {
                conversation_id: ConversationId(r.conversation_id),
                conversation_title: r.title,
                message_id: MessageId(r.message_id),
                role: Role::parse(&r.role),
                created_at: from_ms(r.created_at),
                pinned: r.pinned,
                snippet: match mode {
                    SearchMode::Words => Snippet::for_words(&r.text, &parsed.marks),
                    SearchMode::Substring | SearchMode::Scan => {
                        Snippet::around(&r.text, parsed.terms.first().map_or("", String::as_str))
                    }
                },
                score: -r.rank,
                matched: Matched::Words,
                tool_output: r.tool_output,
            })
            .collect();
        let titles = if query.offset == 0 && query.conversation_id.is_none() {
            self.titles_matching(&parsed.terms).await?
        } else {
            Vec::new()
        };
        Ok(SearchResults {
            hits,
            titles,
            more,
            mode,
            meaning_note: None,
        })
    }

    /// Chats whose title holds every term (ignoring case), most recently active first.
    async fn titles_matching(&self, terms: &[String]) -> Result<Vec<TitleHit>> {
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = String::from("SELECT id, title, updated_at FROM conversations WHERE 1");
        for i in 0..terms.len() {
            sql.push_str(&format!(" AND instr(lower(title), ?{}) > 0", i + 1));
        }
        sql.push_str(&format!(
            " ORDER BY updated_at DESC, id DESC LIMIT {TITLE_HITS}"
        ));
        let mut q = sqlx::query_as::<_, (i64, String, i64)>(&sql);
        for term in terms {
            q = q.bind(term);
        }
        Ok(q.fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|(id, title, updated_at)| TitleHit {
                conversation_id: ConversationId(id),
                title,
                updated_at: from_ms(updated_at),
            })
            .collect())
    }
}

impl Store {
    /// A search hit for a message found by meaning, if it passes `query`'s filters (visible,
    /// role, dates, pinned, chat); its snippet is the message's start.
    pub async fn meaning_hit(
        &self,
        id: MessageId,
        query: &SearchQuery,
    ) -> Result<Option<SearchHit>> {
        let row: Option<HitRow> = sqlx::query_as(&format!(
            "SELECT m.conversation_id, c.title, m.id AS message_id, m.role, m.created_at, m.pinned,
                    m.content AS text, 0.0 AS rank, 0 AS tool_output
             FROM messages m JOIN conversations c ON c.id = m.conversation_id
             WHERE m.id = ?1 AND {FILTERS}"
        ))
        .bind(id.0)
        .bind(query.conversation_id.map(|c| c.0))
        .bind(query.role.map(|r| r.as_str()))
        .bind(query.since.map(|t| t.timestamp_millis()))
        .bind(query.until.map(|t| t.timestamp_millis()))
        .bind(query.pinned_only)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| SearchHit {
            conversation_id: ConversationId(r.conversation_id),
            conversation_title: r.title,
            message_id: MessageId(r.message_id),
            role: Role::parse(&r.role),
            created_at: from_ms(r.created_at),
            pinned: r.pinned,
            snippet: Snippet::around(&r.text, ""),
            score: 0.0,
            matched: Matched::Meaning,
            tool_output: false,
        }))
    }
}

/// A search through an FTS5 index of messages and its twin over tool results: the newest
/// [`CANDIDATES`] matches of each that pass the filters (a result's, those of the reply that
/// called the tool), ranked together by BM25; the snippets are cut from the page's texts
/// (`snippet.rs`).
fn ranked_sql(index: &str, tools: &str) -> String {
    format!(
        "SELECT m.conversation_id, c.title, m.id AS message_id, m.role, m.created_at, m.pinned,
                CASE WHEN hits.call IS NULL THEN m.content
                     ELSE (SELECT result FROM tool_calls WHERE id = hits.call) END AS text,
                hits.rank, hits.call IS NOT NULL AS tool_output
         FROM (SELECT * FROM (SELECT {index}.rowid AS id, NULL AS call, bm25({index}) AS rank
                              FROM {index} JOIN messages m ON m.id = {index}.rowid
                              WHERE {index} MATCH ?1 AND {FILTERS}
                              ORDER BY {index}.rowid DESC
                              LIMIT {CANDIDATES})
               UNION ALL
               SELECT * FROM (SELECT t.message_id AS id, t.id AS call, bm25({tools}) AS rank
                              FROM {tools} JOIN tool_calls t ON t.id = {tools}.rowid
                              JOIN messages m ON m.id = t.message_id
                              WHERE {tools} MATCH ?1 AND {FILTERS}
                              ORDER BY {tools}.rowid DESC
                              LIMIT {CANDIDATES})) AS hits
         JOIN messages m ON m.id = hits.id
         JOIN conversations c ON c.id = m.conversation_id
         ORDER BY hits.rank, m.id DESC
         LIMIT ?7 OFFSET ?8"
    )
}

/// A scan of message text (and tool results) for a string too short for either index, newest
/// first.
fn scan_sql() -> String {
    format!(
        "SELECT m.conversation_id, c.title, m.id AS message_id, m.role, m.created_at, m.pinned,
                hits.text, 0.0 AS rank, hits.tool_output
         FROM (SELECT m.id AS id, m.content AS text, 0 AS tool_output, m.id AS sort
               FROM messages m
               WHERE instr(lower(m.content), lower(?1)) > 0 AND {FILTERS}
               UNION ALL
               SELECT t.message_id AS id, t.result AS text, 1 AS tool_output, t.message_id AS sort
               FROM tool_calls t JOIN messages m ON m.id = t.message_id
               WHERE t.result IS NOT NULL AND instr(lower(t.result), lower(?1)) > 0 AND {FILTERS})
              AS hits
         JOIN messages m ON m.id = hits.id
         JOIN conversations c ON c.id = m.conversation_id
         ORDER BY hits.sort DESC
         LIMIT ?7 OFFSET ?8"
    )
}
