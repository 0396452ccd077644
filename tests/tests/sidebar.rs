//! Managing saved chats in the sidebar: rename, pin, filter as you type, delete with
//! confirmation — and all of it still there after a restart.

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
