//! The foundation's promise, checked in the real window: a chat made in the app is saved, and is
//! still there after the app quits and starts again.

use confab_tests::fantoccini::Locator;
use confab_tests::{app_binary, App, DataDir, Result};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_chat_survives_a_restart() -> Result<()> {
    let data = DataDir::new()?;

    let app = App::launch(&data).await?;
    assert!(
        app.texts("[data-testid=conversation-item]")
            .await?
            .is_empty(),
        "a fresh data dir starts with no chats"
    );

    app.wait_for(Locator::Css("[data-testid=new-chat]"))
        .await?
        .click()
        .await?;
    let titles = app
        .eventually("the new chat in the sidebar", || async {
            let titles = app.texts("[data-testid=conversation-item] .title").await?;
            Ok((!titles.is_empty()).then_some(titles))
        })
        .await?;
    assert_eq!(titles, ["New chat"]);
    assert_eq!(
        app.texts("[data-testid=conversation-title]").await?,
        ["New chat"],
        "the new chat is opened"
    );

    // A second chat goes to the top: most recently active first.
    app.wait_for(Locator::Css("[data-testid=new-chat]"))
        .await?
        .click()
        .await?;
    app.eventually("two chats in the sidebar", || async {
        let n = app.texts("[data-testid=conversation-item]").await?.len();
        Ok((n == 2).then_some(()))
    })
    .await?;
    app.screenshot("smoke-sidebar").await?;
    let ids_before = item_ids(&app).await?;
    app.quit().await?;

    assert!(
        data.path().join("confab.db").is_file(),
        "the database lives in CONFAB_DATA_DIR"
    );

    let app = App::launch(&data).await?;
    let ids_after = app
        .eventually("the saved chats after a relaunch", || async {
            let ids = item_ids(&app).await?;
            Ok((ids.len() == 2).then_some(ids))
        })
        .await?;
    assert_eq!(
        ids_after, ids_before,
        "same chats, same order, after a restart"
    );
    app.resize(1280, 800).await?;
    app.screenshot("smoke-relaunched-1280x800").await?;

    // A narrow window hides the list behind a menu button that brings it back.
    app.resize(600, 700).await?;
    app.eventually("the chat list to slide away", || async {
        let right = app
            .client
            .execute(
                "return document.querySelector('.sidebar').getBoundingClientRect().right",
                vec![],
            )
            .await?;
        Ok((right.as_f64().unwrap_or(1.0) <= 0.0).then_some(()))
    })
    .await?;
    let menu = app
        .wait_for(Locator::Css("[data-testid=show-chats]"))
        .await?;
    assert!(
        menu.is_displayed().await?,
        "the menu button shows in a narrow window"
    );
    menu.click().await?;
    app.eventually("the chat list to slide in", || async {
        let left = app
            .client
            .execute(
                "return document.querySelector('.sidebar').getBoundingClientRect().left",
                vec![],
            )
            .await?;
        Ok((left.as_f64() == Some(0.0)).then_some(()))
    })
    .await?;
    app.screenshot("smoke-narrow-600x700").await?;
    app.quit().await?;
    Ok(())
}

async fn item_ids(app: &App) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    for item in app
        .client
        .find_all(Locator::Css("[data-testid=conversation-item]"))
        .await?
    {
        ids.push(item.attr("data-id").await?.unwrap_or_default());
    }
    Ok(ids)
}

/// The database opens beside the window, not before it: one that cannot be opened still reaches
/// the person, as the reason in the window, rather than a window that never comes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_cannot_open_is_reported_in_the_window() -> Result<()> {
    let data = DataDir::new()?;
    // A directory where the database file should be: SQLite cannot open it.
    std::fs::create_dir(data.path().join("confab.db"))?;

    // The page shows the recovery screen in place of the app, with the reason.
    let app = App::launch_binary(&app_binary()?, &data, &[]).await?;
    let screen = app.wait_for(Locator::Css("main.recovery")).await?;
    assert_eq!(screen.attr("data-code").await?.as_deref(), Some("storage"));
    let alerts = app.texts(".recovery [role=alert]").await?;
    let db = data.path().join("confab.db").display().to_string();
    assert!(
        alerts
            .iter()
            .any(|a| a.contains("could not open the database") && a.contains(&db)),
        "the alert says what failed, and where: {alerts:?}"
    );
    app.quit().await?;
    Ok(())
}
