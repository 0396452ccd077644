//! Recall in the real window: the indexer's progress shows in the sidebar and ends; Settings says
//! which embedding model recall uses; the Memory panel lists the recalled turns, found by words
//! and meaning, before the newest message.

use std::time::Duration;

use confab_core::paths::DATABASE_FILE;
use confab_core::store::{MessageStatus, NewConversation, NewMessage, Role, Store};
use confab_test_support::fault::{concept_vectors, FaultServer};
use confab_tests::fantoccini::Locator;
use confab_tests::{App, DataDir, Result};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indexing_shows_its_progress_and_the_memory_panel_shows_recalled_turns() -> Result<()> {
    let server = FaultServer::start().await;
    server.embeddings("test-embed", concept_vectors(64, &[("machine", "server")]));
    // Slow enough to watch: 3 batches of up to 32 messages.
    server.embed_delay(Duration::from_millis(1500));

    let data = DataDir::new()?;
    let store = Store::open(&data.path().join(DATABASE_FILE)).await?;
    let chat = store
        .create_conversation(NewConversation {
            title: "Infrastructure notes".into(),
            params: serde_json::json!({"memory": "recall", "context_length": 1024}),
            project_id: None,
            ..Default::default()
        })
        .await?;
    let say = |role: Role, content: String| NewMessage {
        role,
        content,
        status: MessageStatus::Complete,
        model: None,
    };
    let fact = store
        .append_message(
            chat.id,
            say(Role::User, "The staging server is 10.4.2.19.".into()),
        )
        .await?;
    store
        .append_message(chat.id, say(Role::Assistant, "Noted.".into()))
        .await?;
    for i in 0..40 {
        store
            .append_message(
                chat.id,
                say(
                    Role::User,
                    format!(
                        "Pottery glazes, part {i}: {}",
                        "glassy coatings ".repeat(12)
                    ),
                ),
            )
            .await?;
        store
            .append_message(chat.id, say(Role::Assistant, format!("Glaze answer {i}.")))
            .await?;
    }
    store
        .append_message(
            chat.id,
            say(Role::User, "Which machine is the staging one?".into()),
        )
        .await?;
    store.close().await;

    let app = App::launch_with_env(&data, &[("CONFAB_ENDPOINT", &server.url())]).await?;
    let progress = app
        .wait_for(Locator::Css("[data-testid=recall-progress]"))
        .await?
        .text()
        .await?;
    assert!(
        progress.starts_with("Indexing for recall:") && progress.ends_with("of 83 messages"),
        "{progress}"
    );
    app.screenshot("recall-indexing").await?;
    app.wait_for(Locator::Css("[data-testid=recall-indexed]"))
        .await?;

    // Settings names the model and says everything is indexed.
    app.click("open-server-settings").await?;
    let status = app
        .wait_for(Locator::Css("[data-testid=recall-status]"))
        .await?
        .text()
        .await?;
    assert_eq!(
        status,
        "By words and by meaning with test-embed: all 83 messages indexed."
    );
    app.click("cancel-settings").await?;

    // The Memory panel: the fact's turn, recalled, before the question.
    app.wait_for(Locator::Css("[data-testid=open-memory]"))
        .await?
        .click()
        .await?;
    app.wait_for(Locator::Css("[data-testid=memory-recall]"))
        .await?;
    let labels = app
        .texts("[data-testid=memory-items] li.recalled b")
        .await?;
    assert!(
        labels.first().is_some_and(|l| l.starts_with(&format!(
            "Recalled #{} · user · found by words and meaning",
            fact.id
        ))),
        "{labels:?}"
    );
    let texts = app
        .texts("[data-testid=memory-items] li.recalled .text")
        .await?;
    assert!(
        texts[0].contains("The staging server is 10.4.2.19."),
        "{texts:?}"
    );
    let mode = app.texts("[data-testid=recall-mode]").await?.join(" ");
    assert!(mode.contains("By words and by meaning"), "{mode}");
    app.client
        .execute(
            "document.querySelector('[data-testid=memory-items] li.recalled').scrollIntoView({block: 'center'})",
            vec![],
        )
        .await?;
    app.screenshot("recall-memory-panel").await?;
    app.quit().await
}
