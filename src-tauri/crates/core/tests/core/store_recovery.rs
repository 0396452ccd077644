//! Looking after the database file: checks that find damage, backups and snapshots that are
//! listed with what they hold, restores that keep the replaced file (WAL and all) and are refused
//! while Confab has the database open, and saving what can still be read from a damaged file.

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use confab_core::error::{Coded, ErrorCode};
use confab_core::export::{self, parse_import};
use confab_core::store::recovery::{self, CheckDepth};
use confab_core::store::{backups_dir, SnapshotKind, Store, StoreError};
use confab_test_support::store::{break_pages_holding, chat_titles, TestStore};

const LOST: &str = "LOST";

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 19, 30, 0).unwrap()
}

/// Three chats, the middle one holding a message long enough to fill overflow pages with `LOST`;
/// the store is closed, so the file is whole on disk.
async fn three_chats() -> (TestStore, PathBuf) {
    let t = TestStore::new().await;
    let first = t.chat("First").await;
    t.say(&first, "hello from the first chat").await;
    let lost = t.chat("Lost").await;
    t.say(&lost, &LOST.repeat(5000)).await;
    let last = t.chat("Last").await;
    t.say(&last, "and the last one").await;
    t.store.close().await;
    let db = t.dir.path().join("confab.db");
    (t, db)
}

#[tokio::test]
async fn a_healthy_database_checks_ok_with_what_it_holds() {
    let (_t, db) = three_chats().await;
    for depth in [CheckDepth::Quick, CheckDepth::Full] {
        let report = recovery::check(&db, depth).await.unwrap();
        assert!(report.ok, "{:?}", report.problems);
        assert_eq!(report.schema_version, Some(recovery::known_version()));
        assert!(!report.is_newer());
        assert_eq!((report.chats, report.messages), (Some(3), Some(3)));
        assert!(report.size_bytes > 0);
    }
    Store::open_checked(&db)
        .await
        .expect("a healthy file opens");
}

#[tokio::test]
async fn damage_is_found_named_and_what_is_left_can_be_saved() {
    let (_t, db) = three_chats().await;
    assert!(break_pages_holding(&db, LOST).await > 0);

    let report = recovery::check(&db, CheckDepth::Quick).await.unwrap();
    assert!(!report.ok, "the quick check finds the broken pages");
    assert!(!report.problems.is_empty() && report.problems.len() <= 20);
    assert_eq!(report.chats, Some(3), "the rest still reads");

    let err = Store::open_checked(&db).await.unwrap_err();
    assert!(matches!(err, StoreError::Damaged { .. }), "{err:?}");
    assert_eq!(err.code(), ErrorCode::DatabaseDamaged);
    let message = err.to_string();
    assert!(message.contains(&db.display().to_string()), "{message}");
    assert!(
        message.contains(&backups_dir(&db).display().to_string()),
        "{message}"
    );

    // Saving what is left skips the broken chat, whole, and names it.
    let store = Store::open_for_reading(&db).await.unwrap();
    let mut out = Vec::new();
    let saved = export::export_readable(&store, &mut out).await.unwrap();
    store.close().await;
    assert_eq!(saved.conversations, 2);
    assert_eq!(saved.messages, 2);
    assert_eq!(saved.unreadable.len(), 1);
    assert!(saved.unreadable[0].starts_with("Lost"), "{saved:?}");
    assert_eq!(saved.stopped, None);

    // And the file is a backup Confab imports.
    let plan = parse_import(&out).unwrap();
    let fresh = TestStore::new().await;
    export::import(&fresh.store, &plan).await.unwrap();
    let mut titles = chat_titles(&fresh.dir.path().join("confab.db")).await;
    titles.sort();
    assert_eq!(titles, ["First", "Last"]);
}

#[tokio::test]
async fn opening_for_reading_never_writes_or_creates() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("confab.db");
    let err = Store::open_for_reading(&missing).await.unwrap_err();
    assert!(err.to_string().contains("confab.db"), "{err}");
    assert!(!missing.exists(), "nothing was created");
}

#[tokio::test]
async fn backups_are_checked_copies_that_never_overwrite_and_are_listed() {
    let (_t, db) = three_chats().await;
    let made = recovery::backup(&db, None, now()).await.unwrap();
    assert_eq!(made.parent(), Some(backups_dir(&db).as_path()));
    assert_eq!(
        made.file_name().unwrap(),
        format!(
            "confab-backup-v{}-20261127T193000Z.db",
            recovery::known_version()
        )
        .as_str()
    );
    assert_eq!(chat_titles(&made).await, ["First", "Lost", "Last"]);

    let elsewhere = db.with_file_name("mine.db");
    recovery::backup(&db, Some(&elsewhere), now())
        .await
        .unwrap();
    let before = std::fs::read(&elsewhere).unwrap();
    let err = recovery::backup(&db, Some(&elsewhere), now())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(
        std::fs::read(&elsewhere).unwrap(),
        before,
        "not overwritten"
    );

    // A second backup in the same second gets its own name.
    let second = recovery::backup(&db, None, now()).await.unwrap();
    assert_ne!(second, made);

    std::fs::write(backups_dir(&db).join("notes.db"), b"not a database").unwrap();
    let list = recovery::snapshots(&db).await;
    let kinds: Vec<_> = list.iter().map(|s| (s.kind, s.chats)).collect();
    assert_eq!(list.len(), 3, "{list:?}");
    assert!(kinds.contains(&(SnapshotKind::Backup, Some(3))));
    assert!(kinds.contains(&(SnapshotKind::Other, None)));
    assert!(list
        .iter()
        .all(|s| s.size_bytes > 0 && s.path.ends_with(&s.file_name)));
    assert_eq!(
        recovery::find_snapshot(&db, &list[0].file_name).unwrap(),
        PathBuf::from(&list[0].path)
    );
    assert!(recovery::find_snapshot(&db, "nothing.db").is_err());
}

/// Copies a database and its WAL, as a process that died would leave them.
fn copy_as_left_by_a_crash(db: &Path, to: &Path) {
    std::fs::copy(db, to).unwrap();
    let wal = |p: &Path| PathBuf::from(format!("{}-wal", p.display()));
    std::fs::copy(wal(db), wal(to)).expect("a WAL with the last writes");
}

#[tokio::test]
async fn a_restore_keeps_the_replaced_file_with_its_wal_and_brings_the_snapshot_back() {
    let t = TestStore::new().await;
    t.chat("Kept in the snapshot").await;
    let db = t.dir.path().join("confab.db");
    let snapshot = recovery::backup(&db, None, now()).await.unwrap();
    t.chat("Written after it").await;

    let crashed = t.dir.path().join("crashed").join("confab.db");
    std::fs::create_dir_all(crashed.parent().unwrap()).unwrap();
    copy_as_left_by_a_crash(&db, &crashed);
    t.store.close().await;

    let restored = recovery::restore(&crashed, &snapshot, now()).await.unwrap();
    let aside = PathBuf::from(restored.set_aside.expect("the old file is kept"));
    assert_eq!(aside.parent(), Some(backups_dir(&crashed).as_path()));
    assert!(aside
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("confab-before-restore-"));
    assert!(snapshot.exists(), "the snapshot stays listed");

    let store = Store::open(&crashed).await.unwrap();
    let titles: Vec<String> = store
        .list_conversations(Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|c| c.title)
        .collect();
    assert_eq!(titles, ["Kept in the snapshot"]);
    store.close().await;
    assert_eq!(
        chat_titles(&aside).await,
        ["Kept in the snapshot", "Written after it"],
        "what was only in the WAL moved with its file"
    );
    let listed = recovery::snapshots(&crashed).await;
    assert!(listed
        .iter()
        .any(|s| s.kind == SnapshotKind::BeforeRestore && s.chats == Some(2)));
}

#[tokio::test]
async fn a_restore_is_refused_while_confab_has_the_database_open() {
    let t = TestStore::new().await;
    t.chat("Open right now").await;
    let db = t.dir.path().join("confab.db");
    let snapshot = recovery::backup(&db, None, now()).await.unwrap();
    t.chat("Still being written").await;

    let err = recovery::restore(&db, &snapshot, now()).await.unwrap_err();
    assert!(matches!(err, StoreError::InUse { .. }), "{err:?}");
    assert_eq!(err.code(), ErrorCode::DatabaseLocked);
    assert!(err.to_string().contains("quit it"), "{err}");
    assert_eq!(
        t.store
            .list_conversations(Default::default())
            .await
            .unwrap()
            .items
            .len(),
        2,
        "the open database is untouched"
    );
    let names: Vec<_> = std::fs::read_dir(t.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.ends_with(".restoring")),
        "{names:?}"
    );
}

#[tokio::test]
async fn a_damaged_or_foreign_snapshot_is_never_restored() {
    let (_t, db) = three_chats().await;
    let foreign = db.with_file_name("foreign.db");
    std::fs::write(&foreign, b"this is not a database at all").unwrap();
    let err = recovery::restore(&db, &foreign, now()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().contains("choose another snapshot"), "{err}");

    let damaged = db.with_file_name("damaged.db");
    recovery::backup(&db, Some(&damaged), now()).await.unwrap();
    assert!(break_pages_holding(&damaged, LOST).await > 0);
    let before = std::fs::read(&db).unwrap();
    let err = recovery::restore(&db, &damaged, now()).await.unwrap_err();
    assert!(err.to_string().contains("damaged"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), before, "nothing changed");
    assert!(!backups_dir(&db).exists(), "nothing was set aside");
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_reported_and_can_be_replaced() {
    let (_t, db) = three_chats().await;
    let snapshot = recovery::backup(&db, None, now()).await.unwrap();
    std::fs::write(&db, b"garbage where the chats were").unwrap();
    let _ = std::fs::remove_file(PathBuf::from(format!("{}-wal", db.display())));

    let report = recovery::check(&db, CheckDepth::Quick).await.unwrap();
    assert!(!report.ok);
    assert!(report.problems[0].contains("not a database"), "{report:?}");
    assert_eq!(report.chats, None);

    let restored = recovery::restore(&db, &snapshot, now()).await.unwrap();
    let aside = PathBuf::from(restored.set_aside.unwrap());
    assert_eq!(
        std::fs::read(&aside).unwrap(),
        b"garbage where the chats were"
    );
    assert_eq!(chat_titles(&db).await, ["First", "Lost", "Last"]);
}
