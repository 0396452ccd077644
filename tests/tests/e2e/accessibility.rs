//! An accessibility audit of the real window: axe-core (the npm package the UI's dev dependencies
//! install; it is never part of the app's bundle) is injected into the page through WebDriver and
//! run on each main screen — the empty window, a chat with a rich reply, the settings, the chat's
//! options, the memory panel and the search view — in the light theme and the dark one. A serious
//! or critical violation anywhere fails the test, with what axe says and where.

use confab_test_support::fault::{delta, FaultServer, Reply, DONE};
use confab_tests::fantoccini::key::Key;
use confab_tests::fantoccini::Locator;
use confab_tests::{workspace_root, App, DataDir, Result};
use serde_json::Value;

/// A reply with most of what a reply can hold: headings, a list, a table, code, a link, quotes.
const REPLY: &str = "## Packing list\n\nFor **three days** in Oslo:\n\n\
1. A warm coat\n2. Boots that keep water out\n3. An umbrella\n\n\
| Day | Plan |\n|---|---|\n| Friday | Museums |\n| Saturday | The fjord |\n\n\
> Pack light; layers beat bulk.\n\n\
```python\ndef pack(items):\n    return sorted(items)\n```\n\n\
See [the weather](https://www.yr.no/) before you go, and the `--dry-run` flag.";

/// What axe reports as serious or critical on the page as it is now, one line per rule and node.
async fn audit(app: &App, axe: &str, screen: &str) -> Result<Vec<String>> {
    let loaded = app
        .client
        .execute("return typeof window.axe === 'object'", vec![])
        .await?;
    if loaded != Value::Bool(true) {
        app.client
            .execute(&format!("{axe}\nreturn true;"), vec![])
            .await?;
    }
    let result = app
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.axe
               .run(document, { resultTypes: ['violations'] })
               .then((r) => done(JSON.stringify(r.violations)), (e) => done('error: ' + e));",
            vec![],
        )
        .await?;
    let text = result.as_str().unwrap_or_default();
    let violations: Vec<Value> = serde_json::from_str(text)
        .map_err(|e| format!("axe did not run on {screen}: {text} ({e})"))?;
    let mut found = Vec::new();
    for v in violations {
        let impact = v["impact"].as_str().unwrap_or_default();
        if impact != "serious" && impact != "critical" {
            continue;
        }
        for node in v["nodes"].as_array().into_iter().flatten() {
            found.push(format!(
                "{screen}: [{impact}] {} — {}\n    at {}\n    {}",
                v["id"].as_str().unwrap_or_default(),
                v["help"].as_str().unwrap_or_default(),
                node["target"],
                node["failureSummary"]
                    .as_str()
                    .unwrap_or_default()
                    .replace('\n', "\n    "),
            ));
        }
    }
    Ok(found)
}

async fn set_theme(app: &App, theme: &str) -> Result<()> {
    app.click("open-server-settings").await?;
    app.click(&format!("theme-{theme}")).await?;
    app.click("save-server").await?;
    app.eventually("the settings to close", || async {
        Ok(app
            .texts("[data-testid=server-settings]")
            .await?
            .is_empty()
            .then_some(()))
    })
    .await
}

async fn press_escape(app: &App) -> Result<()> {
    app.client
        .active_element()
        .await?
        .send_keys(&Key::Escape.to_string())
        .await?;
    Ok(())
}

/// Waits until nothing matches `css` any more.
async fn until_gone(app: &App, css: &str) -> Result<()> {
    app.eventually(&format!("{css} to close"), || async {
        Ok(app.texts(css).await?.is_empty().then_some(()))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_main_screens_have_no_serious_accessibility_violations_in_either_theme() -> Result<()> {
    let axe_path = workspace_root().join("ui/node_modules/axe-core/axe.min.js");
    let axe = std::fs::read_to_string(&axe_path).map_err(|e| {
        format!(
            "{}: {e} — install the UI's dev dependencies (npm ci in ui/)",
            axe_path.display()
        )
    })?;
    let server = FaultServer::start().await;
    server.chat([Reply::sse([delta(REPLY), DONE.to_owned()])]);
    let data = DataDir::new()?;
    let url = server.url();
    let app = App::launch_with_env(&data, &[("CONFAB_ENDPOINT", url.as_str())]).await?;
    app.resize(1280, 800).await?;

    let mut found = Vec::new();
    // Before any chat: the welcome screen.
    found.extend(audit(&app, &axe, "the empty window (light)").await?);

    app.new_chat_and_ask("What should I pack for Oslo?").await?;
    app.eventually("the reply", || async {
        let done = app
            .texts("[data-testid=message][data-role=assistant][data-status=complete]")
            .await?;
        Ok((!done.is_empty()).then_some(()))
    })
    .await?;

    for theme in ["light", "dark"] {
        set_theme(&app, theme).await?;
        let on = |screen: &str| format!("{screen} ({theme})");
        found.extend(audit(&app, &axe, &on("a chat with a reply")).await?);
        app.screenshot(&format!("accessibility-chat-{theme}"))
            .await?;

        app.click("open-server-settings").await?;
        app.wait_for(Locator::Css("[data-testid=server-settings]"))
            .await?;
        found.extend(audit(&app, &axe, &on("the settings")).await?);
        app.click("cancel-settings").await?;
        until_gone(&app, "[data-testid=server-settings]").await?;

        app.click("open-chat-options").await?;
        app.wait_for(Locator::Css("[data-testid=save-chat-options]"))
            .await?;
        found.extend(audit(&app, &axe, &on("the chat's options")).await?);
        press_escape(&app).await?;
        until_gone(&app, "[data-testid=save-chat-options]").await?;

        app.click("open-memory").await?;
        app.wait_for(Locator::Css("[data-testid=memory-panel]"))
            .await?;
        found.extend(audit(&app, &axe, &on("the memory panel")).await?);
        press_escape(&app).await?;
        until_gone(&app, "[data-testid=memory-panel]").await?;

        app.client
            .active_element()
            .await?
            .send_keys(&format!("{}{}f", Key::Control, Key::Shift))
            .await?;
        let input = app
            .wait_for(Locator::Css("[data-testid=search-input]"))
            .await?;
        input.send_keys("Oslo").await?;
        app.eventually("search hits", || async {
            Ok((!app.texts("[data-testid=search-hit]").await?.is_empty()).then_some(()))
        })
        .await?;
        found.extend(audit(&app, &axe, &on("the search view")).await?);
        app.screenshot(&format!("accessibility-search-{theme}"))
            .await?;
        press_escape(&app).await?;
        until_gone(&app, "[data-testid=search-input]").await?;
    }

    assert!(
        found.is_empty(),
        "axe found {} serious or critical violations:\n{}",
        found.len(),
        found.join("\n")
    );
    app.quit().await
}
