//! Reading a fixture with plain SQL, never through the store: the rows of every table as text
//! (to tell whether a committed fixture is what the generator writes), and what the chats hold
//! (to compare with what the store reads after the upgrade).

use std::path::Path;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

pub async fn connect(path: &Path) -> SqliteConnection {
    let options = SqliteConnectOptions::new().filename(path);
    SqliteConnection::connect_with(&options)
        .await
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()))
}

/// Every table's rows as `table: 'a', 1, NULL` lines, sorted, and the schema's SQL. Left out: the
/// full-text index (derived from the messages) and when and how fast each migration ran.
pub async fn rows(path: &Path) -> Vec<String> {
    let mut conn = connect(path).await;
    let mut lines: Vec<String> = sqlx::query_as::<_, (String, String, Option<String>)>(
        "SELECT type, name, sql FROM sqlite_master ORDER BY type, name",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .map(|(kind, name, sql)| format!("schema {kind} {name}: {}", sql.unwrap_or_default()))
    .collect();
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'messages_fts%' \
         ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    for (table,) in tables {
        let columns: Vec<String> = if table == "_sqlx_migrations" {
            ["version", "description", "success", "checksum"]
                .map(String::from)
                .to_vec()
        } else {
            sqlx::query_as::<_, (String,)>("SELECT name FROM pragma_table_info(?) ORDER BY cid")
                .bind(&table)
                .fetch_all(&mut conn)
                .await
                .unwrap()
                .into_iter()
                .map(|(c,)| c)
                .collect()
        };
        let quoted: Vec<String> = columns.iter().map(|c| format!("quote(\"{c}\")")).collect();
        let select = format!("SELECT {} FROM \"{table}\"", quoted.join(" || ', ' || "));
        let mut values: Vec<(String,)> = sqlx::query_as(&select)
            .fetch_all(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{select}: {e}"));
        values.sort();
        lines.extend(values.into_iter().map(|(v,)| format!("{table}: {v}")));
    }
    conn.close().await.unwrap();
    lines
}

/// One message as the fixture's own SQL reads it; the columns a schema did not have yet read as
/// their defaults.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RawMessage {
    pub id: i64,
    pub role: String,
    pub content: String,
    pub status: String,
    pub error: Option<String>,
    pub pinned: bool,
    pub version_of: Option<i64>,
    pub hidden: bool,
    pub reasoning: String,
    pub finish_reason: Option<String>,
    pub first_token_ms: Option<i64>,
    pub tokens_per_second: Option<f64>,
    pub stats_from_server: Option<String>,
}

/// One chat as the fixture's own SQL reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct RawChat {
    pub id: i64,
    pub title: String,
    pub archived: bool,
    pub pinned: bool,
    pub title_source: Option<String>,
    /// Every message, hidden versions included, by id.
    pub messages: Vec<RawMessage>,
    /// The summaries' texts, oldest first.
    pub summaries: Vec<String>,
}

/// The chats of the database at `path` (at schema `schema`), by id.
pub async fn chats(path: &Path, schema: usize) -> Vec<RawChat> {
    let mut conn = connect(path).await;
    let column = |since: usize, name: &str, default: &str| {
        if schema >= since {
            name.to_owned()
        } else {
            default.to_owned()
        }
    };
    let title_source = column(5, "title_source", "NULL");
    let heads: Vec<(i64, String, bool, bool, Option<String>)> = sqlx::query_as(&format!(
        "SELECT id, title, archived, pinned, {title_source} FROM conversations ORDER BY id"
    ))
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let message_sql = format!(
        "SELECT id, role, content, status, error, {} AS pinned, {} AS version_of, {} AS hidden, \
         {} AS reasoning, {} AS finish_reason, {} AS first_token_ms, {} AS tokens_per_second, \
         {} AS stats_from_server FROM messages WHERE conversation_id = ? ORDER BY id",
        column(2, "pinned", "0"),
        column(3, "version_of", "NULL"),
        column(3, "hidden", "0"),
        column(4, "reasoning", "''"),
        column(6, "finish_reason", "NULL"),
        column(11, "first_token_ms", "NULL"),
        column(11, "tokens_per_second", "NULL"),
        column(11, "stats_from_server", "NULL"),
    );
    let mut chats = Vec::new();
    for (id, title, archived, pinned, title_source) in heads {
        let messages: Vec<RawMessage> = sqlx::query_as(&message_sql)
            .bind(id)
            .fetch_all(&mut conn)
            .await
            .unwrap();
        let summaries: Vec<(String,)> =
            sqlx::query_as("SELECT content FROM summaries WHERE conversation_id = ? ORDER BY id")
                .bind(id)
                .fetch_all(&mut conn)
                .await
                .unwrap();
        chats.push(RawChat {
            id,
            title,
            archived,
            pinned,
            title_source,
            messages,
            summaries: summaries.into_iter().map(|(s,)| s).collect(),
        });
    }
    conn.close().await.unwrap();
    chats
}

/// The highest migration recorded in the database at `path`.
pub async fn schema_version(path: &Path) -> i64 {
    let mut conn = connect(path).await;
    let (version,): (i64,) = sqlx::query_as("SELECT max(version) FROM _sqlx_migrations")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    version
}
