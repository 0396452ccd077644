//! A reply with reasoning ("thinking") in the real window: the reasoning streams into a folded
//! section above the answer, opens on a click, and is still there after a relaunch.

use confab_test_support::fault::{delta, reasoning, FaultServer, Reply, DONE};
use confab_tests::fantoccini::key::Key;
use confab_tests::fantoccini::Locator;
use confab_tests::{App, DataDir, Result};

async fn reasoning_state(app: &App) -> Result<serde_json::Value> {
    Ok(app
        .client
        .execute(
            "const d = document.querySelector('[data-testid=reasoning]');
             return d ? { open: d.open, summary: d.querySelector('summary').textContent.trim(),
                          text: d.querySelector('[data-testid=reasoning-text]').textContent } : null;",
            vec![],
        )
        .await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reasoning_is_folded_above_the_answer_and_kept() -> Result<()> {
    let server = FaultServer::start().await;
    server.chat([Reply::sse([
        reasoning("The user asks for a colour. "),
        reasoning("Blue is a safe answer."),
        delta("**Blue.**"),
        DONE.to_owned(),
    ])]);
    let data = DataDir::new()?;
    let env = [("CONFAB_ENDPOINT", server.url())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = App::launch_with_env(&data, &env).await?;
    app.wait_for(Locator::Css("[data-testid=new-chat]"))
        .await?
        .click()
        .await?;
    let composer = app.wait_for(Locator::Css("[data-testid=composer]")).await?;
    composer.send_keys("Pick a colour").await?;
    composer.send_keys(&Key::Enter.to_string()).await?;
    app.eventually("the answer", || async {
        let done = app
            .texts("[data-testid=message][data-role=assistant][data-status=complete]")
            .await?;
        Ok((!done.is_empty()).then_some(()))
    })
    .await?;
    let state = reasoning_state(&app).await?;
    assert_eq!(state["open"], false, "folded: {state}");
    assert_eq!(state["summary"], "Reasoning · 11 words", "{state}");
    assert_eq!(
        state["text"],
        "The user asks for a colour. Blue is a safe answer."
    );
    app.wait_for(Locator::Css("[data-testid=reasoning] summary"))
        .await?
        .click()
        .await?;
    assert_eq!(reasoning_state(&app).await?["open"], true);
    app.screenshot("reasoning-open").await?;
    let answer = app
        .texts("[data-testid=message][data-role=assistant] [data-testid=message-content]")
        .await?;
    assert_eq!(answer, ["Blue."], "the reasoning is not part of the answer");
    app.quit().await?;

    let app = App::launch_with_env(&data, &env).await?;
    let kept = app
        .eventually("the saved reasoning", || async {
            let state = reasoning_state(&app).await?;
            Ok((!state.is_null()).then_some(state))
        })
        .await?;
    assert_eq!(
        kept["text"],
        "The user asks for a colour. Blue is a safe answer."
    );
    app.quit().await?;
    Ok(())
}
