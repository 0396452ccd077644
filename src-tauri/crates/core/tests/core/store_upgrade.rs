//! Opening and upgrading the database: concurrent opens never race through the migrations, an
//! upgrade of a database with data is preceded by a checked snapshot, a failed upgrade leaves the
//! file as it was, and a file that is not a database (or is held, or is newer) says so once.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use confab_core::clock::ManualClock;
use confab_core::error::{Coded, ErrorCode};
use confab_core::store::{
    backups_dir, lock_path, migration_count, ListConversations, Store, StoreError,
};
use confab_test_support::store::{
    chat_titles, database_at_schema, insert_chat_at_any_schema, mark_as_written_by_a_newer_confab,
};
use fs4::fs_std::FileExt;

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 27, 18, 15, 0).unwrap(),
    ))
}

fn snapshots(db: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(backups_dir(db)) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    paths
}

/// Opens the database at `db` from `n` threads at once, each with its own runtime (as separate
/// processes would), and returns every result.
fn open_at_once(db: &Path, n: usize) -> Vec<Result<u64, String>> {
    let barrier = Arc::new(std::sync::Barrier::new(n));
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let db = db.to_owned();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    barrier.wait();
                    let store = Store::open(&db).await.map_err(|e| e.to_string())?;
                    let applied = store.diagnostics().await.unwrap().migrations_applied;
                    store.close().await;
                    Ok(applied)
                })
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

#[test]
fn threads_opening_a_fresh_database_at_once_all_succeed() {
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("confab.db");
        for result in open_at_once(&db, 8) {
            assert_eq!(
                result,
                Ok(migration_count() as u64),
                "round {round}: every open succeeds with every migration applied"
            );
        }
        assert!(snapshots(&db).is_empty(), "a new database gets no snapshot");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn threads_opening_an_old_database_at_once_all_succeed_after_one_snapshot() {
    for round in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("confab.db");
        database_at_schema(&db, 2).await;
        insert_chat_at_any_schema(&db, "Old chat", "hello from the past").await;
        let db2 = db.clone();
        let results = tokio::task::spawn_blocking(move || open_at_once(&db2, 8))
            .await
            .unwrap();
        for result in results {
            assert_eq!(result, Ok(migration_count() as u64), "round {round}");
        }
        assert_eq!(
            snapshots(&db).len(),
            1,
            "round {round}: one upgrade, one snapshot"
        );
        assert_eq!(chat_titles(&db).await, ["Old chat"]);
    }
}

#[tokio::test]
async fn an_upgrade_snapshots_the_old_database_first_and_keeps_every_chat() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("confab.db");
    database_at_schema(&db, 1).await;
    insert_chat_at_any_schema(&db, "From the first schema", "still here?").await;

    let store = Store::open_with_clock(&db, clock()).await.unwrap();
    let chats = store
        .list_conversations(ListConversations::default())
        .await
        .unwrap();
    assert_eq!(chats.items.len(), 1);
    assert_eq!(chats.items[0].title, "From the first schema");
    store.close().await;

    let taken = snapshots(&db);
    assert_eq!(
        taken,
        [backups_dir(&db).join("confab-v1-20261127T181500Z.db")],
        "named by the schema it holds and the time"
    );
    assert_eq!(chat_titles(&taken[0]).await, ["From the first schema"]);

    let again = Store::open_with_clock(&db, clock()).await.unwrap();
    again.close().await;
    assert_eq!(snapshots(&db), taken, "nothing to upgrade, no new snapshot");
}

/// Replies saved before 0014 get how they ended from what was stored then: the status, the
/// finish reason, and for an interrupted one, the two texts Confab wrote for a stop by the user
/// and for a reply left streaming when it quit.
#[tokio::test]
async fn replies_from_before_0014_are_told_how_they_ended_once() {
    use confab_core::store::{ConversationId, Ending};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("confab.db");
    database_at_schema(&db, 13).await;
    let chat = insert_chat_at_any_schema(&db, "Endings", "Go").await;
    let replies = [
        ("complete", Some("stop"), None),
        ("complete", Some("length"), None),
        ("complete", Some("tool_calls"), None),
        ("complete", None, None),
        ("interrupted", None, Some("stopped by you")),
        (
            "interrupted",
            None,
            Some("Confab stopped before this reply finished; the text received so far is kept"),
        ),
        (
            "interrupted",
            None,
            Some("the connection was lost before the reply finished (eof) — continue the reply to try again"),
        ),
        ("error", None, Some("stopped: the server answered 500")),
    ];
    {
        let mut conn = confab_test_support::store::connect(&db).await;
        for (status, reason, error) in replies {
            sqlx::query(
                "INSERT INTO messages (conversation_id, role, content, status, error, \
                 finish_reason, created_at) VALUES (?, 'assistant', 'text', ?, ?, ?, 2)",
            )
            .bind(chat)
            .bind(status)
            .bind(error)
            .bind(reason)
            .execute(&mut conn)
            .await
            .unwrap();
        }
        sqlx::Connection::close(conn).await.unwrap();
    }
    let store = Store::open_with_clock(&db, clock()).await.unwrap();
    let ended: Vec<Option<Ending>> = store
        .tail_messages(ConversationId(chat), 100)
        .await
        .unwrap()
        .iter()
        .map(|m| m.ended)
        .collect();
    assert_eq!(
        ended,
        [
            None,
            Some(Ending::Stop),
            Some(Ending::Length),
            Some(Ending::ToolCalls),
            Some(Ending::Complete),
            Some(Ending::Stopped),
            Some(Ending::Exited),
            Some(Ending::Interrupted),
            Some(Ending::Failed),
        ],
        "the question first, then each reply"
    );
    store.close().await;
}

#[tokio::test]
async fn a_new_database_gets_no_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("confab.db");
    Store::open(&db).await.unwrap().close().await;
    assert!(!backups_dir(&db).exists());
}

#[tokio::test]
async fn a_failed_upgrade_leaves_the_file_byte_identical_and_names_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("confab.db");
    database_at_schema(&db, 2).await;
    insert_chat_at_any_schema(&db, "Precious", "do not lose me").await;
    // Migration 3 adds messages.version_of; a column of that name already there makes it fail,
    // after the ones before it in the same upgrade would have run.
    let mut conn = {
        use sqlx::Connection;
        sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap()
    };
    sqlx::query("ALTER TABLE messages ADD COLUMN version_of INTEGER")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::Connection::close(conn).await.unwrap();
    let before = std::fs::read(&db).unwrap();

    let err = Store::open_with_clock(&db, clock()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::UpgradeFailed);
    let snapshot = backups_dir(&db).join("confab-v2-20261127T181500Z.db");
    let message = err.to_string();
    assert!(
        matches!(err, StoreError::Upgrade { version: 3, .. }),
        "{err:?}"
    );
    assert!(
        message.contains(&snapshot.display().to_string())
            && message.contains("duplicate column name: version_of")
            && message.contains(&db.display().to_string()),
        "{message}"
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "the file is byte-identical"
    );
    assert_eq!(chat_titles(&snapshot).await, ["Precious"]);
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_named_with_the_way_forward() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("confab.db");
    let garbage = "these are my notes, not a database\n".repeat(200);
    std::fs::write(&db, &garbage).unwrap();

    let err = Store::open(&db).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotADatabase);
    assert_eq!(
        err.to_string(),
        format!(
            "{} is not a Confab database (SQLite says: file is not a database): move it aside or \
             restore a snapshot from {}",
            db.display(),
            backups_dir(&db).display()
        )
    );
    assert!(
        std::error::Error::source(&err).is_none(),
        "the cause is in the sentence, once"
    );
    assert_eq!(
        std::fs::read_to_string(&db).unwrap(),
        garbage,
        "left untouched"
    );
}

#[tokio::test]
async fn a_held_upgrade_lock_makes_a_bounded_wait_then_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("confab.db");
    let lock = std::fs::File::create(lock_path(&db)).unwrap();
    assert!(lock.try_lock_exclusive().unwrap());

    let started = std::time::Instant::now();
    let err = Store::open_waiting(&db, clock(), Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(300));
    let message = err.to_string();
    assert!(
        message.contains(&lock_path(&db).display().to_string())
            && message.contains("another Confab process is upgrading"),
        "{message}"
    );

    drop(lock);
    Store::open_waiting(&db, clock(), Duration::from_millis(300))
        .await
        .expect("opens once the lock is free")
        .close()
        .await;
}

#[tokio::test]
async fn a_database_from_a_newer_confab_is_refused_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("confab.db");
    Store::open(&db).await.unwrap().close().await;
    mark_as_written_by_a_newer_confab(&db).await;
    let before = std::fs::read(&db).unwrap();

    let err = Store::open(&db).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("written by a newer version of Confab"),
        "{err}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);
}
