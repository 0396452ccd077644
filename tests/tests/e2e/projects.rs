//! Projects in the real window: a project made in its dialog with a system prompt and a model,
//! a chat made in it whose request carries them and whose Options say they come from the
//! project, both surviving a relaunch (the project still folded as it was left); a chat moved out
//! through the row menu; the date groups; and the project sidebar's screenshots, light and dark,
//! wide and narrow.

use std::sync::Arc;

use chrono::{Duration, Utc};
use confab_core::clock::ManualClock;
use confab_core::paths::DATABASE_FILE;
use confab_core::settings::{AppSettings, Theme};
use confab_core::store::{NewConversation, NewMessage, ProjectDefaults, Store};
use confab_test_support::fault::{delta, FaultServer, Reply, DONE};
use confab_tests::fantoccini::key::Key;
use confab_tests::fantoccini::Locator;
use confab_tests::{App, DataDir, Result};

async fn fill(app: &App, testid: &str, text: &str) -> Result<()> {
    let field = app
        .wait_for(Locator::Css(&format!("[data-testid={testid}]")))
        .await?;
    field.clear().await?;
    field.send_keys(text).await?;
    Ok(())
}

async fn gone(app: &App, testid: &str) -> Result<()> {
    app.eventually(&format!("{testid} to close"), || async {
        let left = app.texts(&format!("[data-testid={testid}]")).await?;
        let error = app.texts("[role=alert]").await?.join(" ");
        assert!(error.is_empty() || !left.is_empty(), "{error}");
        Ok(left.is_empty().then_some(()))
    })
    .await
}

async fn text_of(app: &App, testid: &str) -> Result<String> {
    Ok(app
        .texts(&format!("[data-testid={testid}]"))
        .await?
        .join(" "))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_passes_its_defaults_on_and_survives_a_relaunch() -> Result<()> {
    let server = FaultServer::start().await;
    server.chat([Reply::sse([delta("Reviewed."), DONE.to_owned()])]);
    let data = DataDir::new()?;
    let env = [("CONFAB_ENDPOINT", server.url())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = App::launch_with_env(&data, &env).await?;

    // Create the project with a system prompt and a model.
    app.click("new-project").await?;
    fill(&app, "project-name", "Code review").await?;
    fill(&app, "project-system-prompt", "You review Rust code.").await?;
    fill(&app, "project-model", "coder-7b").await?;
    app.click("save-project").await?;
    gone(&app, "project-dialog").await?;
    app.wait_for(Locator::Css(
        "[data-testid=project][data-project='Code review']",
    ))
    .await?;

    // A chat in it, from the project's menu (reached by keyboard: the ⋯ button, then Enter).
    app.wait_for(Locator::Css("[data-testid=project-more]"))
        .await?
        .click()
        .await?;
    app.wait_for(Locator::Css("[data-testid=project-menu]"))
        .await?;
    app.client
        .active_element()
        .await?
        .send_keys(&Key::Enter.to_string())
        .await?;
    let composer = app.wait_for(Locator::Css("[data-testid=composer]")).await?;
    composer.send_keys("Check this loop").await?;
    composer.send_keys(&Key::Enter.to_string()).await?;
    app.eventually("the reply", || async {
        let done = app
            .texts("[data-testid=message][data-role=assistant][data-status=complete]")
            .await?;
        Ok((done.len() == 1).then_some(()))
    })
    .await?;
    let request = server.chat_requests().pop().unwrap();
    assert_eq!(request["model"], "coder-7b");
    assert_eq!(request["messages"][0]["content"], "You review Rust code.");
    let count = app
        .texts("[data-testid=project][data-project='Code review'] .count")
        .await?;
    assert_eq!(count, ["1"], "the project counts its chat");

    // The Options dialog says where each value comes from.
    app.click("open-chat-options").await?;
    app.wait_for(Locator::Css("[data-testid=source-model]"))
        .await?;
    assert_eq!(
        text_of(&app, "source-model").await?,
        "· from project “Code review”"
    );
    assert_eq!(
        text_of(&app, "source-system-prompt").await?,
        "· from project “Code review”"
    );
    assert_eq!(
        text_of(&app, "source-temperature").await?,
        "· built-in default"
    );
    // Typing its own value makes it the chat's.
    fill(&app, "chat-temperature", "0.3").await?;
    assert_eq!(
        text_of(&app, "source-temperature").await?,
        "· set for this chat"
    );
    app.client
        .active_element()
        .await?
        .send_keys(&Key::Escape.to_string())
        .await?;
    gone(&app, "chat-options").await?;

    // Fold the project: kept across the relaunch.
    app.click("project-toggle").await?;
    app.eventually("the project to fold", || async {
        let rows = app.texts("[data-testid=conversation-item] .title").await?;
        Ok((!rows.iter().any(|t| t == "Check this loop")).then_some(()))
    })
    .await?;
    app.quit().await?;

    let app = App::launch_with_env(&data, &env).await?;
    let toggle = app
        .wait_for(Locator::Css(
            "[data-testid=project][data-project='Code review'] [data-testid=project-toggle]",
        ))
        .await?;
    assert_eq!(
        toggle.attr("aria-expanded").await?.as_deref(),
        Some("false"),
        "still folded"
    );
    toggle.click().await?;
    let row = app
        .eventually("the project's chat", || async {
            let rows = app.texts("[data-testid=conversation-item] .title").await?;
            Ok(rows.iter().any(|t| t == "Check this loop").then_some(()))
        })
        .await;
    if row.is_err() {
        app.screenshot("projects-after-relaunch").await?;
    }
    row?;
    app.wait_for(Locator::XPath(
        "//*[@data-testid='conversation-item']//span[text()='Check this loop']",
    ))
    .await?
    .click()
    .await?;
    app.click("open-chat-options").await?;
    app.wait_for(Locator::Css("[data-testid=source-model]"))
        .await?;
    assert_eq!(
        text_of(&app, "source-model").await?,
        "· from project “Code review”"
    );
    app.client
        .active_element()
        .await?
        .send_keys(&Key::Escape.to_string())
        .await?;
    gone(&app, "chat-options").await?;

    // Out of the project through the row's menu (what dragging does, by keyboard).
    let item = app
        .wait_for(Locator::Css("[data-testid=conversation-item] .item"))
        .await?;
    app.context_click(&item).await?;
    app.wait_for(Locator::Css("[data-testid=menu-move-out]"))
        .await?
        .click()
        .await?;
    app.eventually("the chat under Today", || async {
        let groups = app.texts("[data-testid=date-group]").await?;
        let count = app
            .texts("[data-testid=project][data-project='Code review'] .count")
            .await?;
        Ok((groups.iter().any(|g| g == "Today") && count == ["0"]).then_some(()))
    })
    .await?;
    app.quit().await?;

    let store = Store::open(&data.path().join(DATABASE_FILE)).await?;
    let projects = store.projects().await?;
    assert_eq!(projects.len(), 1);
    assert_eq!(projects[0].defaults.model.as_deref(), Some("coder-7b"));
    store.close().await;
    Ok(())
}

/// Two projects (one folded), chats in them and chats outside over several months.
async fn seed(data: &DataDir, theme: Theme) -> Result<()> {
    let store = Store::open(&data.path().join(DATABASE_FILE)).await?;
    let work = store
        .create_project(
            "Work",
            ProjectDefaults {
                system_prompt: Some("You review Rust code.".into()),
                model: Some("qwen2.5-coder-7b".into()),
                ..Default::default()
            },
        )
        .await?;
    let trip = store
        .create_project("Trip to Japan", ProjectDefaults::default())
        .await?;
    store
        .create_project("Archive 2025", ProjectDefaults::default())
        .await?;
    let folded = store.projects().await?.pop().unwrap();
    store.set_project_collapsed(folded.id, true).await?;
    for (title, project) in [
        ("Review the parser", Some(work.id)),
        ("Why is the build slow?", Some(work.id)),
        ("Kyoto in autumn", Some(trip.id)),
        ("Plan a weekend in Oslo", None),
        ("Summarise the meeting notes", None),
    ] {
        let chat = store
            .create_conversation(NewConversation {
                title: title.into(),
                project_id: project,
                ..Default::default()
            })
            .await?;
        store
            .append_message(chat.id, NewMessage::user(title))
            .await?;
    }
    store.close().await;
    // Older chats outside projects, written at earlier times so they fall in the older groups.
    let now = Utc::now();
    let clock = Arc::new(ManualClock::new(now));
    let store = Store::open_with_clock(&data.path().join(DATABASE_FILE), clock.clone()).await?;
    for (title, days) in [
        ("Moving checklist", 120),
        ("Learning Go", 60),
        ("Birthday ideas", 20),
        ("Tax questions", 4),
        ("Bread recipe", 1),
    ] {
        clock.set(now - Duration::days(days));
        store
            .create_conversation(NewConversation {
                title: title.into(),
                ..Default::default()
            })
            .await?;
    }
    clock.set(now);
    AppSettings {
        theme,
        ..Default::default()
    }
    .save(&store)
    .await?;
    store.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_project_sidebar_in_light_and_dark_at_two_sizes() -> Result<()> {
    for (theme, name) in [(Theme::Light, "light"), (Theme::Dark, "dark")] {
        let data = DataDir::new()?;
        seed(&data, theme).await?;
        let app = App::launch(&data).await?;
        app.wait_for(Locator::Css("[data-testid=project][data-project='Work']"))
            .await?;
        let groups = app
            .eventually("the date groups", || async {
                let groups = app.texts("[data-testid=date-group]").await?;
                Ok((groups.len() >= 5).then_some(groups))
            })
            .await?;
        assert_eq!(
            &groups[..4],
            ["Today", "Yesterday", "Previous 7 days", "Previous 30 days"],
            "{groups:?}"
        );
        app.resize(1280, 800).await?;
        app.screenshot(&format!("projects-{name}-1280x800")).await?;
        app.resize(800, 600).await?;
        app.screenshot(&format!("projects-{name}-800x600")).await?;
        app.quit().await?;
    }
    Ok(())
}
