//! Managing saved chats in the sidebar: rename, pin, filter as you type, delete with
//! confirmation — and all of it still there after a restart. A new chat is named after its first
//! question at once, then by the model in the background.

use confab_test_support::fault::{completion, delta, finish, FaultServer, Reply, DONE};
use confab_tests::fantoccini::key::Key;
use confab_tests::fantoccini::Locator;
use confab_tests::{App, DataDir, Result};

async fn titles(app: &App) -> Result<Vec<String>> {
    app.texts("[data-testid=conversation-item] .title").await
}

/// Clicks the action `testid` of the chat at `index` (actions show on hover; a script click
/// stands in for moving the mouse there).
async fn action(app: &App, index: usize, testid: &str) -> Result<()> {
    app.client
        .execute(
            "document.querySelectorAll('[data-testid=conversation-item]')[arguments[0]]
               .querySelector(`[data-testid=${arguments[1]}]`).click()",
            vec![index.into(), testid.into()],
        )
        .await?;
    Ok(())
}

async fn wait_titles(app: &App, want: &[&str]) -> Result<()> {
    let want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
    let result = app
        .eventually(&format!("the chats {want:?}"), || async {
            let now = titles(app).await?;
            Ok((now == want).then_some(()))
        })
        .await;
    if result.is_err() {
        return Err(format!(
            "wanted {want:?}, the sidebar shows {:?}",
            titles(app).await?
        )
        .into());
    }
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_pin_filter_and_delete_chats() -> Result<()> {
    let data = DataDir::new()?;
    let app = App::launch(&data).await?;
    for n in 1..=3 {
        app.wait_for(Locator::Css("[data-testid=new-chat]"))
            .await?
            .click()
            .await?;
        app.eventually("the new chat", || async {
            Ok((titles(&app).await?.len() == n).then_some(()))
        })
        .await?;
    }

    // Rename the newest (top) chat: the old title is selected, typing replaces it, Enter saves.
    action(&app, 0, "rename").await?;
    let input = app
        .wait_for(Locator::Css("[data-testid=rename-input]"))
        .await?;
    input.send_keys("Groceries").await?;
    input.send_keys(&Key::Enter.to_string()).await?;
    wait_titles(&app, &["Groceries", "New chat", "New chat"]).await?;

    // Pin the oldest: it goes to the top.
    action(&app, 2, "pin").await?;
    app.eventually("the pinned chat on top", || async {
        let pinned = app
            .client
            .execute(
                "return document.querySelector('[data-testid=conversation-item]').dataset.pinned",
                vec![],
            )
            .await?;
        Ok((pinned == "true").then_some(()))
    })
    .await?;
    wait_titles(&app, &["New chat", "Groceries", "New chat"]).await?;

    // Filter as you type (Ctrl+K focuses the filter).
    app.client
        .find(Locator::Css("body"))
        .await?
        .send_keys(&format!("{}k", Key::Control))
        .await?;
    let filter = app.wait_for(Locator::Css("[data-testid=filter]")).await?;
    filter.send_keys("groc").await?;
    wait_titles(&app, &["Groceries"]).await?;
    // Clear it as a person would: select all, delete.
    filter
        .send_keys(&format!("{}a{}", Key::Control, Key::Control))
        .await?;
    filter.send_keys(&Key::Backspace.to_string()).await?;
    wait_titles(&app, &["New chat", "Groceries", "New chat"]).await?;

    // Delete asks first; Delete confirms.
    action(&app, 2, "delete").await?;
    app.wait_for(Locator::Css("[data-testid=confirm-delete]"))
        .await?
        .click()
        .await?;
    wait_titles(&app, &["New chat", "Groceries"]).await?;
    app.quit().await?;

    let app = App::launch(&data).await?;
    wait_titles(&app, &["New chat", "Groceries"]).await?;
    app.quit().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_model_names_a_new_chat_after_its_first_reply() -> Result<()> {
    let server = FaultServer::start().await;
    server.chat([Reply::sse([
        delta("Take the night train from Berlin."),
        finish("stop"),
        DONE.to_owned(),
    ])]);
    // The title takes a moment, so the first question's title shows first.
    server.titles([
        completion("\"Night Train to Oslo\"").paced(std::time::Duration::from_millis(1500))
    ]);
    let data = DataDir::new()?;
    let app = App::launch_with_env(&data, &[("CONFAB_ENDPOINT", &server.url())]).await?;
    app.new_chat_and_ask("How do I get from Berlin to Oslo by train?")
        .await?;
    wait_titles(&app, &["How do I get from Berlin to Oslo by train?"]).await?;

    wait_titles(&app, &["Night Train to Oslo"]).await?;
    app.eventually("the header to show the new title", || async {
        let header = app.texts("[data-testid=conversation-title]").await?;
        Ok((header == ["Night Train to Oslo"]).then_some(()))
    })
    .await?;
    assert_eq!(server.title_requests().len(), 1);
    assert_eq!(server.chat_requests().len(), 1);

    // Turned off in the settings, a new chat keeps its first question's title.
    app.wait_for(Locator::Css("[data-testid=open-server-settings]"))
        .await?
        .click()
        .await?;
    let toggle = app
        .wait_for(Locator::Css("[data-testid=default-model-titles]"))
        .await?;
    assert_eq!(toggle.prop("checked").await?.as_deref(), Some("true"));
    // The settings load after the dialog opens; the checkbox is bound once they are in.
    toggle.click().await?;
    app.wait_for(Locator::Css("[data-testid=save-server]"))
        .await?
        .click()
        .await?;
    app.eventually("the settings to close", || async {
        Ok(app
            .texts("[data-testid=default-model-titles]")
            .await?
            .is_empty()
            .then_some(()))
    })
    .await?;
    app.new_chat_and_ask("Keep this title").await?;
    wait_titles(&app, &["Keep this title", "Night Train to Oslo"]).await?;
    app.eventually("the second reply", || async {
        Ok((server.chat_requests().len() == 2).then_some(()))
    })
    .await?;
    app.quit().await?;
    assert_eq!(server.title_requests().len(), 1, "no title asked for");

    // Both titles are saved.
    let app = App::launch_with_env(&data, &[("CONFAB_ENDPOINT", &server.url())]).await?;
    wait_titles(&app, &["Keep this title", "Night Train to Oslo"]).await?;
    app.quit().await?;
    Ok(())
}
