//! App settings and per-chat options against a real SQLite file: saved, checked, and applied by
//! the request builder (the app's defaults fill in what a chat does not set).

use confab_core::error::{Coded, ErrorCode};
use confab_core::memory::{self, ContextSource, ServerReports};
use confab_core::settings::{AppSettings, ChatOptions, RecallSettings, Strategy, Theme};
use confab_core::store::ConversationSettings;
use confab_test_support::store::TestStore;
use serde_json::json;

#[tokio::test]
async fn app_settings_default_then_round_trip() {
    let t = TestStore::new().await;
    assert_eq!(AppSettings::load(&t.store).await, AppSettings::default());
    let saved = AppSettings {
        theme: Theme::Dark,
        model: Some("  smollm2  ".into()),
        system_prompt: "Be brief.".into(),
        temperature: Some(0.3),
        top_p: Some(0.9),
        max_tokens: Some(512),
        context_length: Some(8192),
        model_titles: false,
        recall: RecallSettings {
            embeddings: true,
            endpoint: Some(" http://localhost:8081 ".into()),
            model: Some(" nomic-embed-text ".into()),
        },
    }
    .save(&t.store)
    .await
    .unwrap();
    assert_eq!(saved.model.as_deref(), Some("smollm2"));
    assert_eq!(
        saved.recall.endpoint.as_deref(),
        Some("http://localhost:8081")
    );
    assert_eq!(saved.recall.model.as_deref(), Some("nomic-embed-text"));
    assert_eq!(AppSettings::load(&t.store).await, saved);
}

#[tokio::test]
async fn bad_settings_are_refused_and_change_nothing() {
    let t = TestStore::new().await;
    let good = AppSettings {
        temperature: Some(0.7),
        ..Default::default()
    }
    .save(&t.store)
    .await
    .unwrap();
    for bad in [
        AppSettings {
            temperature: Some(3.0),
            ..Default::default()
        },
        AppSettings {
            top_p: Some(0.0),
            ..Default::default()
        },
        AppSettings {
            max_tokens: Some(0),
            ..Default::default()
        },
        AppSettings {
            context_length: Some(10),
            ..Default::default()
        },
        AppSettings {
            system_prompt: "x".repeat(300_000),
            ..Default::default()
        },
    ] {
        let err = bad.save(&t.store).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
    }
    assert_eq!(AppSettings::load(&t.store).await, good);
}

#[tokio::test]
async fn the_request_uses_the_app_defaults_where_the_chat_sets_nothing() {
    let t = TestStore::new().await;
    let chat = t.chat("Defaults").await;
    t.say(&chat, "Hello").await;
    AppSettings {
        model: Some("default-model".into()),
        system_prompt: "You are terse.".into(),
        temperature: Some(0.2),
        max_tokens: Some(300),
        context_length: Some(6000),
        ..Default::default()
    }
    .save(&t.store)
    .await
    .unwrap();

    let built = memory::build(
        &t.store,
        None,
        &ServerReports::new(),
        &Default::default(),
        &AppSettings::load(&t.store).await,
        &chat,
    )
    .await
    .unwrap();
    assert_eq!(built.request.model.as_deref(), Some("default-model"));
    assert_eq!(built.request.temperature, Some(0.2));
    assert_eq!(built.request.max_tokens, Some(300));
    assert_eq!(built.request.messages[0].content, "You are terse.");
    assert_eq!(built.report.context_length, 6000);
    assert_eq!(built.report.context_source, ContextSource::AppSetting);

    // The chat's own options win.
    let chat = ChatOptions {
        system_prompt: "You are a pirate.".into(),
        model: Some("chat-model".into()),
        temperature: Some(1.1),
        context_length: Some(4000),
        ..ChatOptions::of(&chat)
    }
    .save(&t.store, chat.id)
    .await
    .unwrap();
    let built = memory::build(
        &t.store,
        None,
        &ServerReports::new(),
        &Default::default(),
        &AppSettings::load(&t.store).await,
        &chat,
    )
    .await
    .unwrap();
    assert_eq!(built.request.model.as_deref(), Some("chat-model"));
    assert_eq!(built.request.temperature, Some(1.1));
    assert_eq!(
        built.request.max_tokens,
        Some(300),
        "still the app's default"
    );
    assert_eq!(built.request.messages[0].content, "You are a pirate.");
    assert_eq!(
        (built.report.context_length, built.report.context_source),
        (4000, ContextSource::ChatSetting)
    );
}

#[tokio::test]
async fn chat_options_round_trip_and_keep_other_params() {
    let t = TestStore::new().await;
    let chat = t.chat("Options").await;
    let chat = t
        .store
        .update_conversation_settings(
            chat.id,
            ConversationSettings {
                params: Some(json!({"seed": 42, "temperature": 0.5})),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let options = ChatOptions::of(&chat);
    assert_eq!(options.temperature, Some(0.5));
    // No strategy of its own: it inherits (its project's, else the built-in default).
    assert_eq!(options.memory, None);

    let saved = ChatOptions {
        temperature: None,
        memory: Some(Strategy::SlidingWindow),
        max_tokens: Some(128),
        ..options
    }
    .save(&t.store, chat.id)
    .await
    .unwrap();
    assert_eq!(
        saved.params,
        json!({"seed": 42, "memory": "window", "max_tokens": 128})
    );
    assert_eq!(
        ChatOptions::of(&saved).memory,
        Some(Strategy::SlidingWindow)
    );

    // Bad options change nothing.
    let err = ChatOptions {
        temperature: Some(-1.0),
        ..ChatOptions::of(&saved)
    }
    .save(&t.store, chat.id)
    .await
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert_eq!(t.store.get_conversation(chat.id).await.unwrap(), saved);

    let unknown = ChatOptions::default()
        .save(&t.store, confab_core::store::ConversationId(9999))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn settings_saved_before_model_titles_existed_keep_them_on() {
    let t = TestStore::new().await;
    t.store
        .set_setting(
            "app",
            &serde_json::json!({"theme": "dark", "temperature": 0.5}),
        )
        .await
        .unwrap();
    let loaded = AppSettings::load(&t.store).await;
    assert_eq!(loaded.theme, Theme::Dark);
    assert!(loaded.model_titles);
}
