//! Set-up for tests against the store: a real database file in a temp dir and a manual clock, and
//! databases left at an older schema, as an earlier version of Confab wrote them.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use confab_core::clock::ManualClock;
use confab_core::store::{Conversation, NewConversation, NewMessage, Store};
use tempfile::TempDir;

pub struct TestStore {
    pub store: Store,
    pub clock: Arc<ManualClock>,
    pub dir: TempDir,
}

impl TestStore {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap(),
        ));
        let store = Store::open_with_clock(&dir.path().join("confab.db"), clock.clone())
            .await
            .expect("open store");
        Self { store, clock, dir }
    }

    pub fn tick(&self) {
        self.clock.advance(Duration::seconds(1));
    }

    pub async fn chat(&self, title: &str) -> Conversation {
        self.tick();
        self.store
            .create_conversation(NewConversation {
                title: title.into(),
                ..Default::default()
            })
            .await
            .expect("create conversation")
    }

    /// An empty assistant reply, streaming.
    pub async fn start_reply(&self, chat: &Conversation) -> confab_core::store::Message {
        self.store
            .append_message(chat.id, NewMessage::streaming_reply(None))
            .await
            .expect("append streaming reply")
    }

    pub async fn say(&self, chat: &Conversation, text: &str) -> confab_core::store::Message {
        self.tick();
        self.store
            .append_message(chat.id, NewMessage::user(text))
            .await
            .expect("append message")
    }
}

/// Creates the database at `path` with only the first `migrations` of this build's migrations
/// applied, through sqlx's migrator as earlier versions of Confab did.
pub async fn database_at_schema(path: &Path, migrations: usize) {
    let mut migrator = sqlx::migrate!("../core/migrations");
    migrator.migrations = Cow::Owned(migrator.migrations[..migrations].to_vec());
    let mut conn = connect(path).await;
    migrator
        .run(&mut conn)
        .await
        .expect("apply the old migrations");
    sqlx::Connection::close(conn).await.expect("close");
}

/// Adds a chat titled `title` with one message, using only the columns of the first schema, so it
/// works at any schema version. Returns the chat's id.
pub async fn insert_chat_at_any_schema(path: &Path, title: &str, text: &str) -> i64 {
    let mut conn = connect(path).await;
    let id: (i64,) = sqlx::query_as(
        "INSERT INTO conversations (title, created_at, updated_at) VALUES (?, 1, 1) RETURNING id",
    )
    .bind(title)
    .fetch_one(&mut conn)
    .await
    .expect("insert a chat");
    sqlx::query(
        "INSERT INTO messages (conversation_id, role, content, status, created_at) \
         VALUES (?, 'user', ?, 'complete', 1)",
    )
    .bind(id.0)
    .bind(text)
    .execute(&mut conn)
    .await
    .expect("insert a message");
    sqlx::Connection::close(conn).await.expect("close");
    id.0
}

/// The titles of the chats in the database at `path`, read with plain SQL.
pub async fn chat_titles(path: &Path) -> Vec<String> {
    let mut conn = connect(path).await;
    let titles: Vec<(String,)> = sqlx::query_as("SELECT title FROM conversations ORDER BY id")
        .fetch_all(&mut conn)
        .await
        .expect("read the chats");
    sqlx::Connection::close(conn).await.expect("close");
    titles.into_iter().map(|(t,)| t).collect()
}

/// A connection as the store makes them (WAL), creating the file if needed.
pub async fn connect(path: &Path) -> sqlx::SqliteConnection {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal);
    sqlx::Connection::connect_with(&options)
        .await
        .expect("connect")
}

/// Damages the database at `db` the way a failing disk does, so that one message can no longer be
/// read while the rest of the file still can: every overflow page wholly filled with `marker`
/// (ASCII; the message must be `marker` repeated, longer than a page) gets an impossible
/// next-page number. Close the store first; its WAL is folded into the file here. Returns the
/// pages broken.
pub async fn break_pages_holding(db: &Path, marker: &str) -> usize {
    let mut conn = connect(db).await;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await
        .expect("fold the WAL into the file");
    sqlx::Connection::close(conn).await.expect("close");
    let mut bytes = std::fs::read(db).expect("read the database");
    let page_size = match u16::from_be_bytes([bytes[16], bytes[17]]) {
        1 => 65536,
        n => usize::from(n),
    };
    let alphabet = marker.as_bytes();
    let mut broken = 0;
    for page in bytes.chunks_mut(page_size).skip(1) {
        if page[4..].iter().all(|b| alphabet.contains(b)) {
            page[..4].copy_from_slice(&[0xff; 4]);
            broken += 1;
        }
    }
    std::fs::write(db, bytes).expect("write the database");
    broken
}

/// [`break_pages_holding`] on a database a running Confab has open: the broken pages are written
/// in place, nothing else in the file is touched and the WAL is left alone (the message must have
/// been checkpointed into the file before that Confab opened it: write it, then close the store).
pub fn break_pages_holding_in_place(db: &Path, marker: &str) -> usize {
    use std::io::{Read, Seek, SeekFrom, Write};
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(db)
        .expect("open the database");
    let mut header = [0u8; 100];
    file.read_exact(&mut header).expect("read the header");
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65536,
        n => usize::from(n),
    };
    let pages = file.metadata().expect("the file's size").len() as usize / page_size;
    let alphabet = marker.as_bytes();
    let mut page = vec![0u8; page_size];
    let mut broken = 0;
    for n in 1..pages {
        let at = (n * page_size) as u64;
        file.seek(SeekFrom::Start(at)).expect("seek");
        file.read_exact(&mut page).expect("read a page");
        if page[4..].iter().all(|b| alphabet.contains(b)) {
            file.seek(SeekFrom::Start(at)).expect("seek");
            file.write_all(&[0xff; 4]).expect("break the page");
            broken += 1;
        }
    }
    file.sync_all().expect("sync");
    broken
}

/// Damages the database at `db` where `table`'s rows live: its root page (in the middle of the file,
/// never the header page) gets a page type SQLite does not know, so every read of the table fails
/// while the rest of the file still reads. Close the store first; its WAL is folded into the file
/// here.
pub async fn break_table(db: &Path, table: &str) {
    let mut conn = connect(db).await;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await
        .expect("fold the WAL into the file");
    let (root,): (i64,) =
        sqlx::query_as("SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?")
            .bind(table)
            .fetch_one(&mut conn)
            .await
            .expect("the table's root page");
    sqlx::Connection::close(conn).await.expect("close");
    assert!(root > 1, "{table} lives past the header page");
    let mut bytes = std::fs::read(db).expect("read the database");
    let page_size = match u16::from_be_bytes([bytes[16], bytes[17]]) {
        1 => 65536,
        n => usize::from(n),
    };
    bytes[(root as usize - 1) * page_size] = 0x7f;
    std::fs::write(db, bytes).expect("write the database");
}

/// Records an upgrade this build does not know in the database at `db`, as a newer Confab would
/// have, and folds the WAL into the file so its bytes can be compared afterwards.
pub async fn mark_as_written_by_a_newer_confab(db: &Path) {
    let mut conn = connect(db).await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', TRUE, x'00', 0)",
    )
    .execute(&mut conn)
    .await
    .expect("record an upgrade from the future");
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await
        .expect("fold the WAL into the file");
    sqlx::Connection::close(conn).await.expect("close");
}
