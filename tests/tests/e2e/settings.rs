//! Settings in the real window: the app's defaults, the theme, an API key and one chat's own
//! options change what the next request carries — and survive a relaunch.

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

async fn theme(app: &App) -> Result<String> {
    let value = app
        .client
        .execute(
            "return document.documentElement.dataset.theme ?? ''",
            vec![],
        )
        .await?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}

/// Waits for a dialog to close; fails at once with the dialog's error if it shows one.
async fn gone(app: &App, testid: &str) -> Result<()> {
    let outcome = app
        .eventually(&format!("{testid} to close"), || async {
            let left = app.texts(&format!("[data-testid={testid}]")).await?;
            let error = app.texts("[role=alert]").await?.join(" ");
            Ok(if left.is_empty() {
                Some(Ok(()))
            } else if !error.is_empty() {
                Some(Err(error))
            } else {
                None
            })
        })
        .await?;
    outcome.map_err(|e| format!("{testid} did not close: {e}").into())
}

async fn ask_and_wait(app: &App, text: &str, replies: usize) -> Result<()> {
    let composer = app.wait_for(Locator::Css("[data-testid=composer]")).await?;
    composer.send_keys(text).await?;
    composer.send_keys(&Key::Enter.to_string()).await?;
    let waited = app
        .eventually("the reply", || async {
            let done = app
                .texts("[data-testid=message][data-role=assistant][data-status=complete]")
                .await?;
            Ok((done.len() == replies).then_some(()))
        })
        .await;
    if waited.is_err() {
        app.screenshot(&format!("settings-no-reply-{replies}"))
            .await?;
    }
    waited
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_and_chat_options_shape_the_request_and_persist() -> Result<()> {
    let server = FaultServer::start().await;
    server.chat([Reply::sse([delta("Aye."), DONE.to_owned()])]);
    let data = DataDir::new()?;
    let env = [("CONFAB_ENDPOINT", server.url())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = App::launch_with_env(&data, &env).await?;

    // App-wide defaults and the dark theme.
    app.click("open-server-settings").await?;
    fill(&app, "default-system-prompt", "You are a pirate.").await?;
    fill(&app, "default-temperature", "0.25").await?;
    fill(&app, "api-key", "sk-test-123").await?;
    app.click("theme-dark").await?;
    assert_eq!(theme(&app).await?, "dark", "the theme previews at once");
    app.resize(1280, 800).await?;
    app.screenshot("settings-dark-1280x800").await?;
    app.resize(800, 600).await?;
    app.screenshot("settings-dark-800x600").await?;
    app.click("save-server").await?;
    gone(&app, "server-settings").await?;

    // A bad value is refused with a clear message, and changes nothing.
    app.click("open-server-settings").await?;
    fill(&app, "default-temperature", "7").await?;
    app.click("save-server").await?;
    let error = app
        .eventually("the refusal", || async {
            let text = app.texts("[data-testid=server-error]").await?.join(" ");
            Ok((!text.is_empty()).then_some(text))
        })
        .await?;
    assert!(error.contains("temperature goes from 0 to 2"), "{error}");
    let storage = app.texts("[data-testid=api-key-storage]").await?.join(" ");
    assert!(
        storage.contains("keyring") || storage.contains("session only"),
        "says where the key is kept: {storage}"
    );
    app.client
        .active_element()
        .await?
        .send_keys(&Key::Escape.to_string())
        .await?;
    app.eventually("settings to close on Escape", || async {
        let left = app.texts("[data-testid=server-settings]").await?;
        Ok(left.is_empty().then_some(()))
    })
    .await?;

    app.click("new-chat").await?;
    ask_and_wait(&app, "Hello", 1).await?;
    let first = server.chat_requests().pop().unwrap();
    assert_eq!(first["messages"][0]["role"], "system");
    assert_eq!(first["messages"][0]["content"], "You are a pirate.");
    assert_eq!(first["temperature"], 0.25);
    assert_eq!(
        server.authorizations().last().cloned().flatten().as_deref(),
        Some("Bearer sk-test-123"),
        "the key goes with the request"
    );

    // This chat's own options win over the defaults.
    // The notice about the API key stays until dismissed; at 800×600 it would cover the dialog's
    // buttons.
    app.wait_for(Locator::Css("[data-testid=notice] button.close"))
        .await?
        .click()
        .await?;
    app.click("open-chat-options").await?;
    fill(&app, "chat-system-prompt", "You are a poet.").await?;
    fill(&app, "chat-temperature", "1.5").await?;
    app.click("memory-sliding_window").await?;
    app.screenshot("chat-options-800x600").await?;
    app.click("save-chat-options").await?;
    gone(&app, "chat-options").await?;
    ask_and_wait(&app, "Again", 2).await?;
    let second = server.chat_requests().pop().unwrap();
    assert_eq!(second["messages"][0]["content"], "You are a poet.");
    assert_eq!(second["temperature"], 1.5);
    app.quit().await?;

    // Everything is still there after a relaunch.
    let app = App::launch_with_env(&data, &env).await?;
    app.eventually("the saved dark theme", || async {
        Ok((theme(&app).await? == "dark").then_some(()))
    })
    .await?;
    app.click("open-chat-options").await?;
    let prompt = app
        .eventually("the chat's saved options", || async {
            let v = app
                .client
                .execute(
                    "const p = document.querySelector('[data-testid=chat-system-prompt]');
                     const w = document.querySelector('[data-testid=memory-sliding_window]');
                     return p ? [p.value, !!w && w.checked] : null;",
                    vec![],
                )
                .await?;
            Ok((!v.is_null()).then_some(v))
        })
        .await?;
    assert_eq!(prompt, serde_json::json!(["You are a poet.", true]));
    app.client
        .active_element()
        .await?
        .send_keys(&Key::Escape.to_string())
        .await?;
    gone(&app, "chat-options").await?;

    // "System" after "dark" follows the desktop (light under Xvfb) at once, not after a restart.
    app.click("open-server-settings").await?;
    app.click("theme-system").await?;
    app.click("save-server").await?;
    gone(&app, "server-settings").await?;
    assert_eq!(theme(&app).await?, "light");

    // Zoom: Ctrl+= twice (110%, 125%), kept across a restart; Ctrl+0 goes back to 100%.
    let zoom = |app: &App| {
        let client = app.client.clone();
        async move {
            let v = client
                .execute(
                    "return getComputedStyle(document.documentElement).getPropertyValue('--zoom').trim()",
                    vec![],
                )
                .await?;
            Ok::<_, confab_tests::Error>(v.as_str().unwrap_or_default().to_owned())
        }
    };
    let keys = |k: &str| format!("{}{k}{}", Key::Control, Key::Null);
    let composer = app.wait_for(Locator::Css("[data-testid=composer]")).await?;
    composer.send_keys(&keys("=")).await?;
    composer.send_keys(&keys("=")).await?;
    assert_eq!(zoom(&app).await?, "1.25");
    app.quit().await?;
    let app = App::launch_with_env(&data, &env).await?;
    app.wait_for(Locator::Css("[data-testid=composer]")).await?;
    assert_eq!(zoom(&app).await?, "1.25", "the zoom level is kept");
    assert_eq!(theme(&app).await?, "light");
    app.wait_for(Locator::Css("[data-testid=composer]"))
        .await?
        .send_keys(&keys("0"))
        .await?;
    assert_eq!(zoom(&app).await?, "1");
    app.quit().await?;
    Ok(())
}
