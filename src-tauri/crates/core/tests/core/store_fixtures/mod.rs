//! A database from every schema version Confab has had, committed in `tests/fixtures/schema/`
//! (`confab-v1.db` … one per migration), and what this build must do with each: open it, keep
//! every chat and message, and leave a snapshot of the old file in `backups/`.
//!
//! `CONFAB_BLESS=1 cargo test --workspace --test core store_fixtures` rewrites the fixtures with
//! the generator in `seed.rs`; without it, the committed files are checked against what the
//! generator writes (row by row, not byte by byte), so they cannot drift from it unnoticed. A new
//! migration needs its fixture: teach `seed.rs` what the migration adds, bless, commit the file.

mod dump;
mod seed;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use confab_core::clock::ManualClock;
use confab_core::store::{
    backups_dir, migration_count, ConversationId, Ending, ListConversations, MessageId,
    SearchQuery, Store,
};
use dump::RawChat;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema")
}

fn fixture(schema: usize) -> PathBuf {
    fixtures_dir().join(format!("confab-v{schema}.db"))
}

fn blessing() -> bool {
    std::env::var_os("CONFAB_BLESS").is_some()
}

/// A copy of the committed fixture in a temp dir as `confab.db`: opening the committed file itself
/// would leave `-wal` and `-shm` files beside it.
fn copy_of(schema: usize) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("confab.db");
    std::fs::copy(fixture(schema), &db).unwrap_or_else(|e| {
        panic!(
            "{}: {e} — make it with `CONFAB_BLESS=1 cargo test --workspace --test core \
             store_fixtures` and commit it",
            fixture(schema).display()
        )
    });
    (dir, db)
}

#[test]
fn there_is_a_fixture_for_every_migration_and_nothing_else() {
    let mut found: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    found.sort_by_key(|name| {
        name.trim_start_matches("confab-v")
            .trim_end_matches(".db")
            .parse::<usize>()
            .unwrap_or(usize::MAX)
    });
    let expected: Vec<String> = (1..=migration_count())
        .map(|n| format!("confab-v{n}.db"))
        .collect();
    assert_eq!(
        found,
        expected,
        "one fixture per migration ({} migrations), and no -wal/-shm files: for a new migration, \
         teach tests/core/store_fixtures/seed.rs what it adds, run `CONFAB_BLESS=1 cargo test \
         --workspace --test core store_fixtures` and commit the new file",
        migration_count()
    );
}

#[tokio::test]
async fn the_committed_fixtures_are_what_the_generator_writes() {
    for schema in 1..=migration_count() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("confab.db");
        seed::write_fixture(&fresh, schema).await;
        if blessing() {
            std::fs::create_dir_all(fixtures_dir()).unwrap();
            // Renamed into place, so a test reading the fixtures meanwhile never sees half a file.
            let staged = fixtures_dir().join(format!(".confab-v{schema}.db.new"));
            std::fs::copy(&fresh, &staged).unwrap();
            std::fs::rename(&staged, fixture(schema)).unwrap();
            continue;
        }
        let (_copy_dir, committed) = copy_of(schema);
        let want = dump::rows(&fresh).await;
        let have = dump::rows(&committed).await;
        if let Some(i) = (0..want.len().max(have.len())).find(|&i| want.get(i) != have.get(i)) {
            panic!(
                "{} differs from what the generator writes (first at row {i}: committed {:?}, \
                 generated {:?}): if the change is meant, bless the fixtures (`CONFAB_BLESS=1 \
                 cargo test --workspace --test core store_fixtures`) — but a landed schema's \
                 fixture should not change",
                fixture(schema).display(),
                have.get(i).map(|s| s.chars().take(200).collect::<String>()),
                want.get(i).map(|s| s.chars().take(200).collect::<String>()),
            );
        }
    }
}

#[tokio::test]
async fn every_fixture_opens_in_this_build_keeps_every_chat_and_leaves_a_snapshot() {
    let latest = migration_count();
    for schema in 1..=latest {
        let before_bytes = std::fs::read(fixture(schema)).unwrap();
        let (_dir, db) = copy_of(schema);
        assert_eq!(dump::schema_version(&db).await, schema as i64);
        let raw = dump::chats(&db, schema).await;
        let raw_rows = dump::rows(&db).await;
        assert_eq!(raw.len(), 4, "v{schema}: the seed's chats");

        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 11, 27, 18, 15, 0).unwrap(),
        ));
        let store = Store::open_with_clock(&db, clock)
            .await
            .unwrap_or_else(|e| panic!("v{schema} opens in this build: {e}"));
        assert_eq!(
            store.diagnostics().await.unwrap().migrations_applied,
            latest as u64
        );
        keeps_every_chat(&store, &raw, schema).await;
        let hits = store
            .search(&SearchQuery::text("Киото"))
            .await
            .unwrap()
            .hits;
        assert_eq!(
            hits.iter().map(|h| h.message_id).collect::<Vec<_>>(),
            [MessageId(1)],
            "v{schema}: the search index still finds the unicode question"
        );
        store.close().await;

        let snapshots: Vec<PathBuf> = match std::fs::read_dir(backups_dir(&db)) {
            Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        };
        if schema < latest {
            assert_eq!(
                snapshots,
                [backups_dir(&db).join(format!("confab-v{schema}-20261127T181500Z.db"))],
                "v{schema}: one snapshot before the upgrade"
            );
            assert_eq!(dump::schema_version(&snapshots[0]).await, schema as i64);
            assert_eq!(
                dump::chats(&snapshots[0], schema).await,
                raw,
                "v{schema}: the snapshot holds the old chats"
            );
            assert_eq!(
                dump::rows(&snapshots[0]).await,
                raw_rows,
                "v{schema}: the snapshot holds every row of the old file"
            );
        } else {
            assert!(snapshots.is_empty(), "the current schema needs no upgrade");
        }
        assert_eq!(
            std::fs::read(fixture(schema)).unwrap(),
            before_bytes,
            "v{schema}: the committed fixture is untouched"
        );
    }
}

/// Compares what the store reads with what the fixture's own SQL read before the upgrade.
async fn keeps_every_chat(store: &Store, raw: &[RawChat], schema: usize) {
    let listed = store
        .list_conversations(ListConversations {
            limit: 100,
            include_archived: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut listed: Vec<(i64, String)> = listed
        .items
        .iter()
        .map(|c| (c.id.0, c.title.clone()))
        .collect();
    listed.sort();
    let want: Vec<(i64, String)> = raw.iter().map(|c| (c.id, c.title.clone())).collect();
    assert_eq!(listed, want, "v{schema}: every chat is listed");

    for chat in raw {
        let id = ConversationId(chat.id);
        let what = format!("v{schema}, chat {}", chat.id);
        let conversation = store.get_conversation(id).await.unwrap();
        assert_eq!(
            (
                conversation.title.as_str(),
                conversation.archived,
                conversation.pinned
            ),
            (chat.title.as_str(), chat.archived, chat.pinned),
            "{what}"
        );
        // Chats from before 0005 keep their titles as the user's, except the untitled one.
        let source = match chat.title_source.as_deref() {
            Some(source) => source.to_owned(),
            None if chat.title == "New chat" => "default".to_owned(),
            None => "user".to_owned(),
        };
        assert_eq!(
            serde_json::to_value(conversation.title_source).unwrap(),
            serde_json::Value::from(source),
            "{what}"
        );

        let every = store
            .every_message_oldest_first(id, None, 1000)
            .await
            .unwrap();
        assert_eq!(every.len(), chat.messages.len(), "{what}: every message");
        for (m, r) in every.iter().zip(&chat.messages) {
            assert_eq!(
                (
                    m.id.0,
                    m.role.as_str(),
                    m.content.as_str(),
                    m.status.as_str(),
                    m.error.as_deref()
                ),
                (
                    r.id,
                    r.role.as_str(),
                    r.content.as_str(),
                    r.status.as_str(),
                    r.error.as_deref()
                ),
                "{what}"
            );
            assert_eq!(
                (
                    m.pinned,
                    m.version_of.map(|v| v.0),
                    m.hidden,
                    m.reasoning.as_str(),
                    m.finish_reason.as_deref()
                ),
                (
                    r.pinned,
                    r.version_of,
                    r.hidden,
                    r.reasoning.as_str(),
                    r.finish_reason.as_deref()
                ),
                "{what}, message {}",
                r.id
            );
            // How each reply ended: what the upgrade to 0014 read from the status, the finish
            // reason and the error, or what a later Confab stored.
            let ended = (r.role == "assistant").then(|| match r.status.as_str() {
                "complete" => Ending::from_finish_reason(r.finish_reason.as_deref()),
                "error" => Ending::Failed,
                _ => Ending::Interrupted,
            });
            assert_eq!(m.ended, ended, "{what}, message {}: how it ended", r.id);
            let from_server: Vec<&str> = m.stats.from_server.iter().map(|f| f.as_str()).collect();
            assert_eq!(
                (
                    m.stats.first_token_ms,
                    m.stats.tokens_per_second,
                    from_server.join(" ")
                ),
                (
                    r.first_token_ms,
                    r.tokens_per_second,
                    r.stats_from_server.clone().unwrap_or_default()
                ),
                "{what}, message {}: statistics",
                r.id
            );
            if let Some(group) = r.version_of {
                let versions: Vec<i64> = store
                    .reply_versions(m.id)
                    .await
                    .unwrap()
                    .iter()
                    .map(|v| v.id.0)
                    .collect();
                let want: Vec<i64> = chat
                    .messages
                    .iter()
                    .filter(|o| o.version_of == Some(group))
                    .map(|o| o.id)
                    .collect();
                assert_eq!(versions, want, "{what}: the versions of reply {group}");
            }
        }

        // The conversation as it reads: the shown messages, in order.
        let visible: Vec<i64> = chat
            .messages
            .iter()
            .filter(|r| !r.hidden)
            .map(|r| r.id)
            .collect();
        let tail: Vec<i64> = store
            .tail_messages(id, 1000)
            .await
            .unwrap()
            .iter()
            .map(|m| m.id.0)
            .collect();
        assert_eq!(tail, visible, "{what}: the conversation as it reads");
        assert_eq!(
            store.message_count(id).await.unwrap(),
            visible.len() as u64,
            "{what}"
        );
        let summaries: Vec<String> = store
            .summaries(id)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.content)
            .collect();
        assert_eq!(summaries, chat.summaries, "{what}: the summaries");
    }

    // What each schema added is there to be kept (a fixture that lost it would pass the above).
    let chat = |id: i64| raw.iter().find(|c| c.id == id).unwrap();
    let kyoto = chat(seed::KYOTO);
    assert!(kyoto
        .messages
        .iter()
        .any(|m| m.content == seed::UNICODE_QUESTION));
    assert!(chat(seed::PASTE)
        .messages
        .iter()
        .any(|m| m.content == seed::long_paste()));
    assert!(chat(seed::NEW_CHAT).messages.is_empty());
    assert_eq!(kyoto.summaries.len(), 1);
    assert_eq!(
        kyoto.messages.iter().any(|m| m.pinned),
        schema >= 2,
        "v{schema}: a pinned message"
    );
    assert_eq!(
        kyoto.messages.iter().any(|m| m.hidden),
        schema >= 3,
        "v{schema}: a hidden version"
    );
    assert_eq!(
        kyoto.messages.iter().any(|m| !m.reasoning.is_empty()),
        schema >= 4,
        "v{schema}: reasoning"
    );
    assert_eq!(
        kyoto.title_source.as_deref() == Some("model"),
        schema >= 5,
        "v{schema}: a model-written title"
    );
    assert_eq!(
        raw.iter()
            .flat_map(|c| &c.messages)
            .any(|m| m.finish_reason.as_deref() == Some("length")),
        schema >= 6,
        "v{schema}: a finish reason"
    );
    let drafts = store.drafts().await.unwrap();
    if schema >= 14 {
        let kept: Vec<(i64, &str, Vec<&str>)> = drafts
            .iter()
            .map(|d| {
                let files = d.files.iter().map(|f| f.name.as_str()).collect();
                (d.conversation_id.0, d.text.as_str(), files)
            })
            .collect();
        assert_eq!(
            kept,
            [
                (seed::NEW_CHAT, "", vec!["shrine.png"]),
                (seed::PASTE, "And what about line 413?", vec!["panic.log"]),
            ],
            "v{schema}: the drafts, newest first, with their files"
        );
        assert_eq!(
            drafts[1].files[0].bytes,
            b"thread main panicked at src/main.rs:412\n"
        );
    } else {
        assert!(drafts.is_empty(), "v{schema}: no drafts before 0014");
    }
    if schema >= 2 {
        let profile = store.model_profile(seed::TOKENIZER).await.unwrap();
        assert_eq!(profile.context_length, Some(8192), "v{schema}");
        assert_eq!(
            store
                .window_start(ConversationId(seed::RECIPES))
                .await
                .unwrap(),
            Some(MessageId(7)),
            "v{schema}"
        );
    }
}
