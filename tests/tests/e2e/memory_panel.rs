//! The memory panel in the real window: exactly what the next request carries, the budget, what
//! is left out, and an editable summary that is saved as the user's edit; a summary the model
//! folds while the panel is open shows up in it.

use std::time::Duration;

use confab_core::paths::DATABASE_FILE;
use confab_core::store::{MessageStatus, NewConversation, NewMessage, NewSummary, Role, Store};
use confab_tests::fantoccini::key::Key;
use confab_tests::fantoccini::Locator;
use confab_tests::{App, DataDir, Result};

fn squash(texts: Vec<String>) -> String {
    texts
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_panel_shows_what_is_sent_and_saves_an_edited_summary() -> Result<()> {
    let data = DataDir::new()?;
    let db = data.path().join(DATABASE_FILE);
    let store = Store::open(&db).await?;
    let chat = store
        .create_conversation(NewConversation {
            title: "Oslo trip".into(),
            system_prompt: "You are a helpful assistant.".into(),
            ..Default::default()
        })
        .await?;
    let mut ids = Vec::new();
    for i in 0..6 {
        let role = if i % 2 == 0 {
            Role::User
        } else {
            Role::Assistant
        };
        let m = store
            .append_message(
                chat.id,
                NewMessage {
                    role,
                    content: format!("Turn {i} about Oslo."),
                    status: MessageStatus::Complete,
                    model: None,
                },
            )
            .await?;
        ids.push(m.id);
    }
    store
        .save_summary(NewSummary {
            conversation_id: chat.id,
            content: "Ada plans a trip to Oslo.".into(),
            covers_through_message_id: ids[1],
            token_count: None,
            model: None,
            edited_by_user: false,
        })
        .await?;
    store.close().await;

    // No server: the panel still shows the request, with estimated counts.
    let app = App::launch_with_env(&data, &[("CONFAB_ENDPOINT", "http://127.0.0.1:9")]).await?;
    app.wait_for(Locator::Css("[data-testid=open-memory]"))
        .await?
        .click()
        .await?;
    app.wait_for(Locator::Css("[data-testid=memory-items]"))
        .await?;
    let items = squash(app.texts("[data-testid=memory-items] li b").await?);
    assert_eq!(
        items, "System prompt Summary You Assistant You Assistant",
        "system prompt, summary, then the four messages after it"
    );
    let budget = squash(app.texts("[data-testid=memory-budget]").await?);
    assert!(budget.contains("of 3064 tokens"), "{budget}");
    assert!(
        budget.contains("context 4096 (default — the server did not say)"),
        "{budget}"
    );
    assert!(
        budget.contains("estimated at 3.0 bytes per token"),
        "{budget}"
    );
    let left_out = squash(app.texts("[data-testid=memory-left-out]").await?);
    assert_eq!(
        left_out,
        format!(
            "2 messages (#{}–#{}): folded into the summary",
            ids[0], ids[1]
        )
    );
    let draft = app
        .wait_for(Locator::Css("[data-testid=summary-text]"))
        .await?;
    assert_eq!(
        draft.prop("value").await?.as_deref(),
        Some("Ada plans a trip to Oslo.")
    );
    app.resize(1280, 800).await?;
    app.screenshot("memory-panel-1280x800").await?;

    // Edit and save: a new summary row, marked as the user's.
    draft.click().await?;
    draft.send_keys(&format!("{}a", Key::Control)).await?;
    draft.send_keys(&Key::Backspace.to_string()).await?;
    draft
        .send_keys("Ada plans a trip to Oslo in May; budget 1200 EUR.")
        .await?;
    app.wait_for(Locator::Css("[data-testid=save-summary]"))
        .await?
        .click()
        .await?;
    app.wait_for(Locator::Css("[data-testid=summary-saved]"))
        .await?;
    let items = squash(app.texts("[data-testid=memory-items] li b").await?);
    assert!(items.contains("Summary (edited by you)"), "{items}");
    app.resize(800, 600).await?;
    app.screenshot("memory-panel-800x600").await?;
    app.quit().await?;

    let store = Store::open(&db).await?;
    let summaries = store.summaries(chat.id).await?;
    assert_eq!(summaries.len(), 2);
    assert!(summaries[1].edited_by_user);
    assert_eq!(
        summaries[1].content,
        "Ada plans a trip to Oslo in May; budget 1200 EUR."
    );
    assert_eq!(summaries[1].covers_through_message_id, ids[1]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_summary_folded_while_the_panel_is_open_shows_up() -> Result<()> {
    use confab_test_support::fault::{completion, delta, FaultServer, Reply, DONE};
    let data = DataDir::new()?;
    let db = data.path().join(DATABASE_FILE);
    let store = Store::open(&db).await?;
    // Forty messages of about 100 bytes in a 900-token context: the next reply folds the oldest.
    let chat = store
        .create_conversation(NewConversation {
            title: "Long chat".into(),
            params: serde_json::json!({"context_length": 900, "max_tokens": 100}),
            project_id: None,
            ..Default::default()
        })
        .await?;
    for i in 0..40 {
        let (role, word) = if i % 2 == 0 {
            (Role::User, "question")
        } else {
            (Role::Assistant, "answer")
        };
        store
            .append_message(
                chat.id,
                NewMessage {
                    role,
                    content: format!("{word} {} {}", i / 2, "x".repeat(80)),
                    status: MessageStatus::Complete,
                    model: None,
                },
            )
            .await?;
    }
    store.close().await;

    let server = FaultServer::start().await;
    let mut words: Vec<String> = (0..12).map(|i| delta(&format!("w{i} "))).collect();
    words.push(DONE.to_owned());
    server.chat([
        // The reply takes a moment, so the panel is open when the fold lands.
        Reply::sse(words).paced(Duration::from_millis(150)),
        completion("Summary: the user asked twenty numbered questions."),
    ]);
    let app = App::launch_with_env(&data, &[("CONFAB_ENDPOINT", &server.url())]).await?;
    let composer = app.wait_for(Locator::Css("[data-testid=composer]")).await?;
    composer.send_keys("Anything else?").await?;
    composer.send_keys(&Key::Enter.to_string()).await?;
    app.click("open-memory").await?;
    app.wait_for(Locator::Css("[data-testid=memory-items]"))
        .await?;
    app.eventually("the new summary in the open panel", || async {
        let value = app
            .client
            .execute(
                "return document.querySelector('[data-testid=summary-text]')?.value ?? ''",
                vec![],
            )
            .await?;
        // Tidied ("Summary:" goes), and the fact check may append key facts the model left out.
        let text = value.as_str().unwrap_or_default();
        Ok(text
            .starts_with("the user asked twenty numbered questions.")
            .then_some(()))
    })
    .await?;
    let items = squash(app.texts("[data-testid=memory-items] li b").await?);
    assert!(items.starts_with("Summary You"), "{items}");
    assert_eq!(
        server.chat_requests().len(),
        2,
        "the reply, then the summary"
    );
    app.quit().await?;
    Ok(())
}
