//! Conversations in the store against real SQLite files: the schema and pragmas, creating,
//! listing and paging, filtering, renaming, bad input, unknown ids and automatic titles.

use std::collections::HashSet;

use confab_core::error::{Coded, ErrorCode};
use confab_core::store::{
    ConversationId, ConversationSettings, ListConversations, NewConversation, StoreError,
    TitleSource, DEFAULT_TITLE, MAX_SYSTEM_PROMPT_BYTES, MAX_TITLE_CHARS,
};
use confab_test_support::store::TestStore;
use serde_json::json;

#[tokio::test]
async fn a_fresh_file_gets_the_schema_and_the_pragmas() {
    let t = TestStore::new().await;
    assert!(t.dir.path().join("confab.db").is_file());
    let chats = t
        .store
        .list_conversations(ListConversations::default())
        .await
        .unwrap();
    assert!(chats.items.is_empty() && chats.next.is_none());
    let diag = t.store.diagnostics().await.unwrap();
    assert_eq!(diag.journal_mode.to_lowercase(), "wal");
    assert!(diag.foreign_keys && diag.synchronous_normal);
    assert_eq!(diag.busy_timeout_ms, 5000);
    assert_eq!(
        diag.migrations_applied,
        confab_core::store::migration_count() as u64
    );

    // Reopening runs no migration twice and keeps the data.
    t.chat("kept").await;
    t.store.close().await;
    let again = confab_core::store::Store::open(&t.dir.path().join("confab.db"))
        .await
        .unwrap();
    let chats = again
        .list_conversations(ListConversations::default())
        .await
        .unwrap();
    assert_eq!(chats.items.len(), 1);
    assert_eq!(chats.items[0].title, "kept");
    assert_eq!(
        again.diagnostics().await.unwrap().migrations_applied,
        confab_core::store::migration_count() as u64
    );
}

#[tokio::test]
async fn creating_and_reading_a_conversation() {
    let t = TestStore::new().await;
    let created = t
        .store
        .create_conversation(NewConversation {
            title: "  Plans  for\nOslo ".into(),
            system_prompt: "Be brief.".into(),
            model: Some("smollm2".into()),
            params: json!({"temperature": 0.4}),
            project_id: None,
        })
        .await
        .unwrap();
    assert_eq!(created.title, "Plans for Oslo");
    assert_eq!(created.created_at, t.clock_now());
    assert_eq!(created.updated_at, created.created_at);
    assert!(!created.pinned && !created.archived);
    assert_eq!(t.store.get_conversation(created.id).await.unwrap(), created);

    let untitled = t
        .store
        .create_conversation(NewConversation::default())
        .await
        .unwrap();
    assert_eq!(untitled.title, DEFAULT_TITLE);
    assert_eq!(untitled.params, json!({}));
}

trait Now {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc>;
}

impl Now for TestStore {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use confab_core::clock::Clock;
        self.clock.now()
    }
}

#[tokio::test]
async fn the_list_puts_pinned_first_then_the_most_recently_active() {
    let t = TestStore::new().await;
    let a = t.chat("a").await;
    let b = t.chat("b").await;
    let c = t.chat("c").await;
    let titles = |page: confab_core::store::Page<confab_core::store::Conversation>| {
        page.items.into_iter().map(|c| c.title).collect::<Vec<_>>()
    };
    let all = || t.store.list_conversations(ListConversations::default());
    assert_eq!(titles(all().await.unwrap()), ["c", "b", "a"]);

    t.say(&a, "a message makes a active").await;
    assert_eq!(titles(all().await.unwrap()), ["a", "c", "b"]);

    t.store.set_pinned(b.id, true).await.unwrap();
    assert_eq!(titles(all().await.unwrap()), ["b", "a", "c"]);

    t.tick();
    t.store
        .rename_conversation(c.id, "c renamed")
        .await
        .unwrap();
    assert_eq!(titles(all().await.unwrap()), ["b", "c renamed", "a"]);

    t.store.set_archived(a.id, true).await.unwrap();
    assert_eq!(titles(all().await.unwrap()), ["b", "c renamed"]);
    let with_archived = t
        .store
        .list_conversations(ListConversations {
            include_archived: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(titles(with_archived), ["b", "c renamed", "a"]);
}

#[tokio::test]
async fn paging_visits_every_conversation_once_even_with_equal_timestamps() {
    let t = TestStore::new().await;
    let mut expected = HashSet::new();
    for i in 0..57 {
        // Every third conversation shares its timestamp with the previous one.
        if i % 3 != 0 {
            t.tick();
        }
        let chat = t
            .store
            .create_conversation(NewConversation {
                title: format!("chat {i}"),
                ..Default::default()
            })
            .await
            .unwrap();
        if i % 10 == 0 {
            t.store.set_pinned(chat.id, true).await.unwrap();
        }
        expected.insert(chat.id);
    }
    let mut seen = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let page = t
            .store
            .list_conversations(ListConversations {
                limit: 10,
                after,
                ..Default::default()
            })
            .await
            .unwrap();
        pages += 1;
        assert!(page.items.len() <= 10);
        seen.extend(page.items.iter().map(|c| (c.pinned, c.updated_at, c.id)));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 6);
    assert_eq!(seen.len(), 57, "no duplicates, no gaps");
    assert_eq!(seen.iter().map(|s| s.2).collect::<HashSet<_>>(), expected);
    let mut sorted = seen.clone();
    sorted.sort_by(|x, y| y.cmp(x));
    assert_eq!(seen, sorted, "pinned first, newest first, id breaks ties");
}

#[tokio::test]
async fn filtering_by_title_treats_wildcards_literally() {
    let t = TestStore::new().await;
    t.chat("Trip to Oslo").await;
    t.chat("50% off").await;
    t.chat("Groceries").await;
    let find = |text: &str| {
        let store = t.store.clone();
        let text = text.to_owned();
        async move {
            store
                .list_conversations(ListConversations {
                    title_contains: Some(text),
                    ..Default::default()
                })
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|c| c.title)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(find("oslo").await, ["Trip to Oslo"]);
    assert_eq!(find("%").await, ["50% off"]);
    assert_eq!(find("_").await, Vec::<String>::new());
}

#[tokio::test]
async fn renaming_and_settings() {
    let t = TestStore::new().await;
    let chat = t.chat("old").await;
    let renamed = t
        .store
        .rename_conversation(chat.id, "new name")
        .await
        .unwrap();
    assert_eq!(renamed.title, "new name");

    let updated = t
        .store
        .update_conversation_settings(
            chat.id,
            ConversationSettings {
                system_prompt: Some("You are terse.".into()),
                model: Some(Some("qwen".into())),
                params: Some(json!({"temperature": 0.2, "memory": "sliding_window"})),
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.system_prompt, "You are terse.");
    assert_eq!(updated.model.as_deref(), Some("qwen"));
    assert_eq!(updated.params["memory"], "sliding_window");

    let cleared = t
        .store
        .update_conversation_settings(
            chat.id,
            ConversationSettings {
                model: Some(None),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(cleared.model, None);
    assert_eq!(
        cleared.system_prompt, "You are terse.",
        "untouched fields stay"
    );
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let t = TestStore::new().await;
    let chat = t.chat("keep me").await;
    let before = t.store.get_conversation(chat.id).await.unwrap();

    for title in ["", "   \n\t"] {
        let err = t
            .store
            .rename_conversation(chat.id, title)
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput);
    }
    let long = "x".repeat(MAX_TITLE_CHARS + 1);
    assert!(matches!(
        t.store.rename_conversation(chat.id, &long).await,
        Err(StoreError::InvalidInput(_))
    ));
    assert!(matches!(
        t.store
            .create_conversation(NewConversation {
                title: long,
                ..Default::default()
            })
            .await,
        Err(StoreError::InvalidInput(_))
    ));
    let huge_prompt = "p".repeat(MAX_SYSTEM_PROMPT_BYTES + 1);
    let err = t
        .store
        .update_conversation_settings(
            chat.id,
            ConversationSettings {
                system_prompt: Some(huge_prompt),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("system prompt"), "{err}");
    let err = t
        .store
        .update_conversation_settings(
            chat.id,
            ConversationSettings {
                params: Some(json!([1, 2])),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);

    assert_eq!(t.store.get_conversation(chat.id).await.unwrap(), before);
    let all = t
        .store
        .list_conversations(ListConversations::default())
        .await
        .unwrap();
    assert_eq!(all.items.len(), 1);
}

#[tokio::test]
async fn unknown_ids_are_not_found() {
    let t = TestStore::new().await;
    let ghost = ConversationId(4242);
    let is_not_found = |e: StoreError| {
        matches!(
            e,
            StoreError::NotFound {
                entity: "conversation",
                id: 4242
            }
        )
    };
    assert!(is_not_found(
        t.store.get_conversation(ghost).await.unwrap_err()
    ));
    assert!(is_not_found(
        t.store.rename_conversation(ghost, "x").await.unwrap_err()
    ));
    assert!(is_not_found(
        t.store.set_pinned(ghost, true).await.unwrap_err()
    ));
    assert!(is_not_found(
        t.store.set_archived(ghost, true).await.unwrap_err()
    ));
    assert!(is_not_found(
        t.store.delete_conversation(ghost).await.unwrap_err()
    ));
    assert!(is_not_found(
        t.store
            .update_conversation_settings(ghost, ConversationSettings::default())
            .await
            .unwrap_err()
    ));
    let err = t.store.get_conversation(ghost).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    assert!(err.to_string().contains("4242"), "{err}");
}

#[tokio::test]
async fn automatic_titles_never_replace_a_better_claim() {
    let t = TestStore::new().await;
    let unnamed = t
        .store
        .create_conversation(NewConversation::default())
        .await
        .unwrap();
    assert_eq!(unnamed.title_source, TitleSource::Default);
    assert_eq!(t.chat("typed").await.title_source, TitleSource::User);

    // The model cannot name a chat nobody has asked anything in yet.
    let id = unnamed.id;
    let auto = |title: &'static str, source| {
        let store = t.store.clone();
        async move { store.set_automatic_title(id, title, source).await }
    };
    assert_eq!(auto("Model", TitleSource::Model).await.unwrap(), None);
    t.tick();
    let first = auto("First question", TitleSource::FirstMessage)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (first.title.as_str(), first.title_source),
        ("First question", TitleSource::FirstMessage)
    );
    assert_eq!(
        first.updated_at, unnamed.updated_at,
        "a title is not activity"
    );
    // A second first question does not rename it.
    assert_eq!(
        auto("Again", TitleSource::FirstMessage).await.unwrap(),
        None
    );
    let named = auto("  Trip  to Oslo ", TitleSource::Model)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (named.title.as_str(), named.title_source),
        ("Trip to Oslo", TitleSource::Model)
    );
    assert_eq!(auto("Later", TitleSource::Model).await.unwrap(), None);

    // The user's title stands.
    let renamed = t
        .store
        .rename_conversation(unnamed.id, "Mine")
        .await
        .unwrap();
    assert_eq!(renamed.title_source, TitleSource::User);
    assert_eq!(auto("Model", TitleSource::Model).await.unwrap(), None);
    assert_eq!(
        t.store.get_conversation(unnamed.id).await.unwrap().title,
        "Mine"
    );

    // Bad input changes nothing.
    for source in [TitleSource::User, TitleSource::Default] {
        assert_eq!(
            auto("x", source).await.unwrap_err().code(),
            ErrorCode::InvalidInput
        );
    }
    assert_eq!(
        t.store
            .set_automatic_title(ConversationId(999), "x", TitleSource::Model)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
}
