//! The SQLite store: conversations, messages, rolling summaries, model profiles, settings and
//! full-text search, a module per table.
//!
//! - One way to open the database ([`Store::open`]): WAL, `foreign_keys=ON`, `synchronous=NORMAL`
//!   and a busy timeout on every pooled connection, then the migrations embedded from
//!   `migrations/*.sql`, applied under a lock file and after a snapshot (`upgrade.rs`,
//!   `snapshot.rs`).
//! - Timestamps are UTC, taken from an injected [`Clock`], stored as INTEGER milliseconds since the
//!   epoch (compact, sortable, exact round trip at millisecond precision).
//! - Every multi-step write is one transaction; bad input is refused before anything is written.
//! - Search: a word index (FTS5 unicode61, BM25) and a trigram index for substrings and CJK
//!   (`search/`).
//! - A reply can have several versions, one shown ([`Store::regenerate_reply`],
//!   [`Store::select_version`]); every read of "the conversation" sees the shown ones only.
//! - Limits: [`MAX_CONTENT_BYTES`], [`MAX_TITLE_CHARS`], [`MAX_SYSTEM_PROMPT_BYTES`].

mod attachments;
mod conversations;
mod damage;
mod disk;
mod drafts;
mod import;
mod messages;
mod profiles;
mod projects;
pub mod recovery;
mod search;
mod settings;
mod snapshot;
mod summaries;
mod tool_allowances;
mod tool_calls;
mod tool_choice;
mod tools;
mod upgrade;
mod vectors;
mod versions;
mod windows;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use ts_rs::TS;

use crate::clock::{Clock, SystemClock};
use crate::error::{Coded, ErrorCode};

pub(crate) use conversations::check_system_prompt;
pub use conversations::{
    Conversation, ConversationCursor, ConversationSettings, InProject, ListConversations,
    NewConversation, Page, TitleSource, DEFAULT_TITLE,
};
pub use drafts::Draft;
pub use import::{ImportCall, ImportConversation, ImportMessage, ImportProgress, ImportSummary};
pub use messages::{
    Ending, Finish, Message, MessageStatus, NewMessage, ReplyStats, Role, StatFigure,
    RANGE_COUNT_LIMIT,
};
pub use profiles::{
    content_hash, ModelProfile, DEFAULT_BYTES_PER_TOKEN, DEFAULT_PER_MESSAGE_OVERHEAD,
};
pub use projects::{
    DeletedProject, Project, ProjectChats, ProjectDefaults, ProjectError, MAX_PROJECT_NAME_CHARS,
};
pub(crate) use search::topic_words;
pub use search::{
    Matched, SearchHit, SearchMode, SearchQuery, SearchResults, Snippet, TitleHit, MAX_SEARCH_LIMIT,
};
pub use snapshot::{backups_dir, SnapshotKind, SNAPSHOTS_KEPT};
pub use summaries::{NewSummary, Summary};
pub use tool_allowances::ToolAllowance;
pub use tool_calls::{NewToolCall, ToolCallRecord, ToolDecision};
pub use tool_choice::ToolServerChoice;
pub use tools::{ListingChanges, ToolDefinition, ToolServer, ToolSpec};
pub use upgrade::{lock_path, UPGRADE_LOCK_WAIT};
pub use vectors::{IndexCount, StoredVector, Unindexed};
pub use versions::{Edited, Regenerated, ReplyVersion, VersionError};

/// The largest message or summary Confab stores: 1 MiB of UTF-8. Large enough for a long paste or a
/// whole source file, small enough that one message never dominates memory or a model's context.
pub const MAX_CONTENT_BYTES: usize = 1024 * 1024;
/// The longest conversation title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// The largest system prompt: 64 KiB.
pub const MAX_SYSTEM_PROMPT_BYTES: usize = 64 * 1024;
/// How long a writer waits for another to finish before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// SQLite's extended code for a write refused because the connection's snapshot is stale.
const SQLITE_BUSY_SNAPSHOT: &str = "517";
/// SQLite allows one writer at a time: a handful of connections covers concurrent reads.
const MAX_CONNECTIONS: u32 = 4;
/// Each connection's page cache, in KiB (SQLite's `cache_size` takes a negative number as KiB).
/// SQLite's default of 2 MiB is less than one recall search reads in a 100,000-message chat (the
/// word index's lists, the chat's index, the lengths BM25 needs), so those pages were read from
/// the file again on every request: the word half took 4.7 ms instead of 3.1. Filled only as
/// pages are read, so a small database never uses it.
const PAGE_CACHE_KIB: u32 = 16 * 1024;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Errors from the store, each worded so a person knows what happened and what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{entity} {id} was not found — it may have been deleted")]
    NotFound { entity: &'static str, id: i64 },
    #[error("{0}")]
    InvalidInput(String),
    #[error(
        "could not open the database at {path} ({source}): check that it is a file you may read \
         and write, in a folder you may write to"
    )]
    Open {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the database could not be upgraded to this version of Confab: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(
        "{path} is not a Confab database (SQLite says: {sqlite}): move it aside or restore a \
         snapshot from {backups}"
    )]
    NotADatabase {
        path: String,
        backups: String,
        sqlite: String,
    },
    #[error(
        "another Confab process is upgrading the database and has held {lock} for over {waited_secs} s: \
         let it finish (or quit it) and try again"
    )]
    Locked { lock: String, waited_secs: u64 },
    #[error(
        "{path} was written by a newer version of Confab (it has upgrade {version}, which this \
         version does not know): update Confab; the database was not changed"
    )]
    Newer { path: String, version: i64 },
    #[error(
        "could not take a snapshot of {path} before upgrading it ({cause}), so it was not \
         upgraded: check the free space in {backups}"
    )]
    Snapshot {
        path: String,
        backups: String,
        cause: String,
    },
    #[error(
        "{path} could not be upgraded to this version of Confab: upgrade {version} ({description}) \
         failed ({cause}); the database was left as it was{}",
        snapshot_note(.snapshot.as_deref())
    )]
    Upgrade {
        path: String,
        version: i64,
        description: String,
        cause: String,
        snapshot: Option<String>,
    },
    #[error(
        "{path} is damaged (SQLite found: {problems}): nothing more was written to it; run \
         `confab-cli db check` to see what is wrong, then restore a snapshot from {backups} (the \
         app's recovery screen, or `confab-cli db restore`) or save what can still be read (the \
         recovery screen's export, or `confab-cli db salvage`)"
    )]
    Damaged {
        path: String,
        backups: String,
        problems: String,
    },
    #[error(
        "{path} is open in another Confab process (the app or confab-cli): quit it and try again"
    )]
    InUse { path: String },
    #[error(
        "could not save to the database: the disk that holds it is full (SQLite says: {sqlite}); \
         free some space on that disk and try again — what was saved before is kept"
    )]
    DiskFull { sqlite: String },
    #[error(
        "could not read or write the database: the disk reported an input/output error (SQLite \
         says: {sqlite}); check that the disk is connected and has free space, then try again"
    )]
    DiskIo { sqlite: String },
    /// Built from `sqlx::Error` (`disk.rs`), which turns disk trouble into the variants above.
    #[error("database error: {0}")]
    Storage(#[source] sqlx::Error),
    #[error(transparent)]
    Version(#[from] VersionError),
}

/// Where a failed upgrade's snapshot is, as the end of its sentence.
fn snapshot_note(snapshot: Option<&str>) -> String {
    snapshot
        .map(|s| format!(", and a snapshot from before the upgrade is at {s}"))
        .unwrap_or_default()
}

impl Coded for StoreError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::InvalidInput(_) => ErrorCode::InvalidInput,
            Self::NotADatabase { .. } => ErrorCode::NotADatabase,
            Self::Damaged { .. } => ErrorCode::DatabaseDamaged,
            Self::Newer { .. } => ErrorCode::NewerDatabase,
            Self::Locked { .. } | Self::InUse { .. } => ErrorCode::DatabaseLocked,
            Self::Migrate(_) | Self::Snapshot { .. } | Self::Upgrade { .. } => {
                ErrorCode::UpgradeFailed
            }
            Self::Storage(sqlx::Error::Database(e))
                if e.code().as_deref() == Some(upgrade::SQLITE_CORRUPT) =>
            {
                ErrorCode::DatabaseDamaged
            }
            Self::Open { .. } | Self::DiskFull { .. } | Self::DiskIo { .. } | Self::Storage(_) => {
                ErrorCode::Storage
            }
            Self::Version(e) => e.code(),
        }
    }
}

impl StoreError {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidInput(message.into())
    }

    /// This error, naming the database at `path` when it is SQLite finding damage (for what runs
    /// before the store's own queries do that: opening and upgrading).
    fn at_file(self, path: &Path) -> Self {
        match self {
            Self::Storage(sqlx::Error::Database(e))
                if e.code().as_deref() == Some(upgrade::SQLITE_CORRUPT) =>
            {
                Self::Damaged {
                    path: path.display().to_string(),
                    backups: backups_dir(path).display().to_string(),
                    problems: e.message().to_owned(),
                }
            }
            other => other,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse().map(Self)
            }
        }
    };
}

id_type!(
    /// A conversation's id.
    ConversationId
);
id_type!(
    /// A message's id. Ids grow with insertion, so they order a conversation's messages.
    MessageId
);
id_type!(
    /// A summary row's id.
    SummaryId
);
id_type!(
    /// A project's id.
    ProjectId
);
id_type!(
    /// An MCP server's id.
    ToolServerId
);

/// A handle on the database; cheap to clone and share between tasks.
#[derive(Clone)]
pub struct Store {
    /// Every query goes through it: damage met is named and stops the store (`damage.rs`).
    pool: damage::Db,
    clock: Arc<dyn Clock>,
    /// How many messages have a word, as recall counted it lately (`search/recall.rs`).
    word_counts: Arc<search::WordCounts>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if missing) the database at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self> {
        Self::open_with_clock(path, Arc::new(SystemClock)).await
    }

    /// [`Store::open`] with an injected clock (it also names the snapshots).
    pub async fn open_with_clock(path: &Path, clock: Arc<dyn Clock>) -> Result<Self> {
        Self::open_waiting(path, clock, UPGRADE_LOCK_WAIT).await
    }

    /// [`Store::open_with_clock`], waiting at most `lock_wait` for another process that holds the
    /// upgrade lock; for tools and tests that would rather fail fast.
    pub async fn open_waiting(
        path: &Path,
        clock: Arc<dyn Clock>,
        lock_wait: Duration,
    ) -> Result<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Open {
                path: path.display().to_string(),
                source,
            })?;
        }
        // The lock also covers connecting: the first connection to a new file switches it to WAL,
        // which races with another process doing the same.
        let lock = upgrade::UpgradeLock::acquire(path, lock_wait).await?;
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .pragma("cache_size", format!("-{PAGE_CACHE_KIB}"));
        let pool = disk::pool_options()
            .connect_with(options)
            .await
            .map_err(|e| upgrade::opening_error(path, e))?;
        let migrated =
            upgrade::migrate(&pool, path, MIGRATOR.migrations.as_ref(), clock.now()).await;
        drop(lock);
        if let Err(e) = migrated {
            pool.close().await;
            return Err(e.at_file(path));
        }
        Ok(Self {
            pool: damage::Db::new(pool, path, true),
            clock,
            word_counts: Arc::default(),
        })
    }

    /// [`Store::open`], then SQLite's quick check of the whole file, which a database damaged by a
    /// crash or a failing disk does not pass. It reads every page (measured: 2.7 s for 1 GB when
    /// cached, 4.8 s from disk; a 10 MB database takes 30 ms), so the app runs it once at start,
    /// while its window loads, and the command line leaves it to `confab-cli db check`.
    pub async fn open_checked(path: &Path) -> Result<Self> {
        let store = Self::open(path).await?;
        let problems = store.quick_check().await;
        match problems {
            Ok(problems) if problems.is_empty() => Ok(store),
            outcome => {
                store.close().await;
                let problems = match outcome {
                    Ok(problems) => problems.join("; "),
                    Err(StoreError::Storage(e)) => upgrade::sqlite_message(&e),
                    Err(e) => e.to_string(),
                };
                Err(StoreError::Damaged {
                    path: path.display().to_string(),
                    backups: backups_dir(path).display().to_string(),
                    problems,
                })
            }
        }
    }

    /// Waits for in-flight queries and closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// How the database is set up, as SQLite reports it; for diagnostics and tests.
    pub async fn diagnostics(&self) -> Result<Diagnostics> {
        let mut conn = self.pool.acquire().await?;
        let (journal_mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(&mut *conn)
            .await?;
        let (foreign_keys,): (bool,) = sqlx::query_as("PRAGMA foreign_keys")
            .fetch_one(&mut *conn)
            .await?;
        let (synchronous,): (i64,) = sqlx::query_as("PRAGMA synchronous")
            .fetch_one(&mut *conn)
            .await?;
        let (busy_timeout_ms,): (i64,) = sqlx::query_as("PRAGMA busy_timeout")
            .fetch_one(&mut *conn)
            .await?;
        let (migrations,): (i64,) = sqlx::query_as("SELECT count(*) FROM _sqlx_migrations")
            .fetch_one(&mut *conn)
            .await?;
        Ok(Diagnostics {
            journal_mode,
            foreign_keys,
            synchronous_normal: synchronous == 1,
            busy_timeout_ms,
            migrations_applied: migrations as u64,
        })
    }

    /// A write transaction that takes SQLite's write lock up front (`BEGIN IMMEDIATE`). A deferred
    /// transaction that reads before it writes can fail with `SQLITE_BUSY_SNAPSHOT` when another
    /// connection wrote in between, and the busy timeout does not help with that; an immediate
    /// one waits its turn instead.
    ///
    /// A pooled connection can be left holding a read snapshot older than another connection's
    /// last write (seen after a full disk rolled a transaction back); such a connection cannot
    /// take the write lock (`SQLITE_BUSY_SNAPSHOT`), so the next one in the pool is tried.
    async fn write_tx(&self) -> Result<damage::Tx> {
        for _ in 1..MAX_CONNECTIONS {
            match self.pool.begin_with("BEGIN IMMEDIATE").await {
                Err(sqlx::Error::Database(e))
                    if e.code().as_deref() == Some(SQLITE_BUSY_SNAPSHOT) =>
                {
                    tracing::debug!("a pooled connection had a stale snapshot; trying another");
                }
                began => return Ok(began?),
            }
        }
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// The store's clock: now.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// The store's clock, for whatever else must be exact in tests (a reply's timings).
    pub(crate) fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }
}

/// What [`Store::diagnostics`] reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostics {
    pub journal_mode: String,
    pub foreign_keys: bool,
    pub synchronous_normal: bool,
    pub busy_timeout_ms: i64,
    pub migrations_applied: u64,
}

/// How many migrations this build carries.
pub fn migration_count() -> usize {
    MIGRATOR.iter().count()
}

fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// A size for people: "512 bytes", "12.3 KB", "10.5 MB".
fn human_size(bytes: usize) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KB {
        format!("{bytes} bytes")
    } else if b < KB * KB {
        format!("{:.1} KB", b / KB)
    } else {
        format!("{:.1} MB", b / (KB * KB))
    }
}

fn check_content(what: &str, content: &str) -> Result<()> {
    if content.len() > MAX_CONTENT_BYTES {
        return Err(StoreError::invalid(format!(
            "the {what} is {}; the limit is {} — shorten it or split it into several messages",
            human_size(content.len()),
            human_size(MAX_CONTENT_BYTES)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(12), "12 bytes");
        assert_eq!(human_size(2048), "2.0 KB");
        assert_eq!(human_size(11 * 1024 * 1024 / 2), "5.5 MB");
    }

    #[test]
    fn ids_parse_and_print() {
        assert_eq!(
            " 42 ".parse::<ConversationId>().unwrap(),
            ConversationId(42)
        );
        assert_eq!(MessageId(7).to_string(), "7");
        assert_eq!(serde_json::to_string(&SummaryId(3)).unwrap(), "3");
    }
}
