//! Damage met at any time says so: a database damaged in the middle of its pages (not its header)
//! opens without a word, and the first query that reads a broken page — an export, a backup, a
//! search, building a request, recall, the chat list — fails with the one error that names the
//! file and the way forward. After that the store refuses everything, so nothing more is written
//! to the file.

use std::path::{Path, PathBuf};

use confab_core::error::{Coded, ErrorCode};
use confab_core::export::{self, export_conversation, ExportOptions, Format};
use confab_core::memory::Part;
use confab_core::store::{
    backups_dir, Conversation, ConversationSettings, ListConversations, MessageId, MessageStatus,
    NewMessage, Role, SearchQuery, Store, StoreError,
};
use confab_test_support::fault::FaultServer;
use confab_test_support::store::{break_pages_holding, break_table, TestStore};

use crate::harness::service_on;

/// What the broken pages hold: a message of this, repeated, fills whole overflow pages.
const LOST: &str = "LOST ";

/// A closed database with a chat whose only message sits on pages that will break, and a whole
/// chat beside it.
struct Damaged {
    _t: TestStore,
    db: PathBuf,
    lost: Conversation,
    kept: Conversation,
}

async fn with_a_lost_message() -> Damaged {
    let t = TestStore::new().await;
    let kept = t.chat("Kept").await;
    t.say(&kept, "still here").await;
    let lost = t.chat("Lost").await;
    t.say(&lost, &LOST.repeat(2000)).await;
    t.store.close().await;
    let db = t.dir.path().join("confab.db");
    Damaged {
        _t: t,
        db,
        lost,
        kept,
    }
}

/// Breaks the pages of the lost message and opens the store as `confab-cli` does: no check.
async fn broken(d: &Damaged) -> Store {
    assert!(break_pages_holding(&d.db, LOST).await > 0);
    Store::open(&d.db)
        .await
        .expect("a file damaged in the middle opens")
}

/// The one sentence: the file, that it is damaged, and the way forward.
fn says_damaged(err: &(impl Coded + std::fmt::Display), db: &Path) {
    assert_eq!(err.code(), ErrorCode::DatabaseDamaged, "{err}");
    let message = err.to_string();
    for words in [
        db.display().to_string().as_str(),
        "is damaged",
        "confab-cli db check",
        "restore a snapshot",
        backups_dir(db).display().to_string().as_str(),
        "confab-cli db salvage",
    ] {
        assert!(message.contains(words), "{words:?} in: {message}");
    }
    assert!(
        !message.contains("error returned from database"),
        "not the driver's words: {message}"
    );
}

/// The database file's bytes and how much its WAL holds: unchanged means nothing was written.
fn written(db: &Path) -> (Vec<u8>, u64) {
    let wal = std::fs::metadata(format!("{}-wal", db.display())).map_or(0, |m| m.len());
    (std::fs::read(db).unwrap(), wal)
}

/// After the first damage the store refuses every query with the same error, reads and writes
/// alike, and the files stay as they were.
async fn refuses_everything_after(store: &Store, d: &Damaged) {
    let before = written(&d.db);
    let seen = store.damage_seen().expect("the store knows it met damage");
    says_damaged(&seen, &d.db);
    let err = store
        .append_message(d.kept.id, NewMessage::user("one more"))
        .await
        .unwrap_err();
    says_damaged(&err, &d.db);
    let err = store.get_conversation(d.kept.id).await.unwrap_err();
    says_damaged(&err, &d.db);
    assert!(matches!(
        tokio::time::timeout(std::time::Duration::from_secs(1), store.damaged()).await,
        Ok(StoreError::Damaged { .. })
    ));
    assert!(written(&d.db) == before, "nothing more was written");
    store.close().await;
    // Closing folds an empty WAL into the file: still nothing.
    assert!(written(&d.db).0 == before.0, "nothing more was written");
}

#[tokio::test]
async fn an_export_meets_the_damage_and_names_the_file() {
    let d = with_a_lost_message().await;
    let store = broken(&d).await;
    // The whole chat still exports: nothing has met the damage yet.
    let mut out = Vec::new();
    export_conversation(
        &store,
        d.kept.id,
        Format::Markdown,
        &ExportOptions::default(),
        &mut out,
    )
    .await
    .unwrap();
    assert!(store.damage_seen().is_none());
    for format in [Format::Markdown, Format::Json, Format::Html, Format::Jsonl] {
        let err = export_conversation(
            &store,
            d.lost.id,
            format,
            &ExportOptions::default(),
            &mut Vec::new(),
        )
        .await
        .unwrap_err();
        says_damaged(&err, &d.db);
    }
    refuses_everything_after(&store, &d).await;
}

#[tokio::test]
async fn a_backup_of_everything_meets_the_damage_and_names_the_file() {
    let d = with_a_lost_message().await;
    let store = broken(&d).await;
    let err = export::export_backup(&store, &mut Vec::new())
        .await
        .unwrap_err();
    says_damaged(&err, &d.db);
    refuses_everything_after(&store, &d).await;
}

#[tokio::test]
async fn a_search_meets_the_damage_and_names_the_file() {
    let d = with_a_lost_message().await;
    let store = broken(&d).await;
    // A search that finds only whole messages is fine.
    let hits = store.search(&SearchQuery::text("still")).await.unwrap();
    assert_eq!(hits.hits.len(), 1);
    let err = store.search(&SearchQuery::text("lost")).await.unwrap_err();
    says_damaged(&err, &d.db);
    refuses_everything_after(&store, &d).await;
}

#[tokio::test]
async fn building_a_request_meets_the_damage_and_names_the_file() {
    let d = with_a_lost_message().await;
    let store = broken(&d).await;
    let server = FaultServer::start().await;
    let service = service_on(store.clone(), &server.url());
    let err = service.context(d.lost.id).await.unwrap_err();
    says_damaged(&err, &d.db);
    // Sending in the chat fails the same way, before anything reaches the server.
    let err = service.send(d.kept.id, "hello?", &()).await.unwrap_err();
    says_damaged(&err, &d.db);
    assert!(server.chat_requests().is_empty());
    refuses_everything_after(&store, &d).await;
}

#[tokio::test]
async fn recall_meets_the_damage_in_an_old_turn_and_names_the_file() {
    let t = TestStore::new().await;
    let chat = t.chat("Recall").await;
    t.store
        .update_conversation_settings(
            chat.id,
            ConversationSettings {
                params: Some(serde_json::json!({"memory": "recall", "context_length": 1024})),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // An early turn on the pages that will break, then enough turns to push it out of the
    // window, then a question only recall would bring it back for.
    let lost = t.say(&chat, &LOST.repeat(2000)).await;
    let answer = |t: &TestStore, text: String| {
        let store = t.store.clone();
        async move {
            store
                .append_message(
                    chat.id,
                    NewMessage {
                        role: Role::Assistant,
                        content: text,
                        status: MessageStatus::Complete,
                        model: None,
                    },
                )
                .await
                .unwrap();
        }
    };
    answer(&t, "Noted.".into()).await;
    for i in 0..40 {
        t.say(&chat, &format!("Tell me about pottery glazes, part {i}."))
            .await;
        answer(&t, "Glazes are glassy coatings fired onto clay. ".repeat(4)).await;
    }
    t.say(&chat, "What did I say was lost?").await;
    {
        // Whole, only recall reaches the early turn: it finds it (too long to send) and nothing
        // else in the request is it.
        let server = FaultServer::start().await;
        let built = service_on(t.store.clone(), &server.url())
            .context(chat.id)
            .await
            .unwrap();
        let recall = built.report.recall.as_ref().expect("a recall report");
        let found: Vec<MessageId> = recall.left_out.iter().map(|c| c.message_id).collect();
        assert!(found.contains(&lost.id), "{recall:?}");
        assert!(built
            .report
            .items
            .iter()
            .all(|i| !matches!(i.part, Part::Recent { message_id } if message_id == lost.id)));
    }
    t.store.close().await;
    let db = t.dir.path().join("confab.db");
    assert!(break_pages_holding(&db, LOST).await > 0);
    let store = Store::open(&db).await.unwrap();
    let server = FaultServer::start().await;
    let service = service_on(store.clone(), &server.url());
    let err = service.context(chat.id).await.unwrap_err();
    says_damaged(&err, &db);
    store.close().await;
}

#[tokio::test]
async fn the_chat_list_meets_the_damage_and_names_the_file() {
    let d = with_a_lost_message().await;
    break_table(&d.db, "conversations").await;
    let store = Store::open(&d.db).await.expect("it still opens");
    let err = store
        .list_conversations(ListConversations::default())
        .await
        .unwrap_err();
    says_damaged(&err, &d.db);
    refuses_everything_after(&store, &d).await;
}

#[tokio::test]
async fn a_store_opened_to_read_what_is_left_reads_on_past_the_damage() {
    let d = with_a_lost_message().await;
    assert!(break_pages_holding(&d.db, LOST).await > 0);
    let store = Store::open_for_reading(&d.db).await.unwrap();
    let mut out = Vec::new();
    let saved = export::export_readable(&store, &mut out).await.unwrap();
    assert_eq!(saved.conversations, 1);
    assert_eq!(saved.unreadable.len(), 1);
    // It met the damage and says so, but goes on reading.
    assert!(store.damage_seen().is_some());
    store.get_conversation(d.kept.id).await.unwrap();
    store.close().await;
}

/// Damage met by one query stops the whole service: a reply streaming in another chat ends
/// (nothing more of it is saved), and front ends hear of it though none of their requests met it.
#[tokio::test]
async fn damage_met_anywhere_stops_the_service_and_says_so() {
    use confab_core::chat::ServiceUpdate;
    use confab_test_support::fault::{delta, Ending, Reply};
    let d = with_a_lost_message().await;
    let store = broken(&d).await;
    let server = FaultServer::start().await;
    server.chat([Reply::sse([delta("Thinking")]).ending(Ending::Stall)]);
    let service = service_on(store.clone(), &server.url());
    service.stop_when_damaged();
    let mut updates = service.updates();
    let streaming = {
        let service = service.clone();
        let kept = d.kept.id;
        tokio::spawn(async move { service.send(kept, "Go on", &()).await })
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while !service.is_streaming(d.kept.id) {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the reply streams");

    // Something else meets the damage: the search view, say.
    let err = store.search(&SearchQuery::text("lost")).await.unwrap_err();
    says_damaged(&err, &d.db);

    let update = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            if let ServiceUpdate::DatabaseDamaged { code, message } = updates.recv().await.unwrap()
            {
                return (code, message);
            }
        }
    })
    .await
    .expect("the service says so");
    assert_eq!(update.0, ErrorCode::DatabaseDamaged);
    assert!(
        update.1.contains(&d.db.display().to_string()),
        "{}",
        update.1
    );
    let ended = tokio::time::timeout(std::time::Duration::from_secs(10), streaming)
        .await
        .expect("the streaming reply ends")
        .unwrap();
    let err = ended.expect_err("its end could not be saved");
    says_damaged(&err, &d.db);
    assert!(!service.is_streaming(d.kept.id));
    store.close().await;
}
