//! A reply's statistics in the real window: a reply streamed from the scripted server with
//! llama.cpp's `usage` and `timings` shows, on hover and on keyboard focus, the model, tokens, time
//! to first token, speed and how it finished, as the server reported them, and hides them again
//! after. Screenshots in the light and the dark theme, wide and narrow.

use confab_test_support::fault::{chunk, delta, finish, FaultServer, Reply, DONE};
use confab_tests::fantoccini::actions::{InputSource, MouseActions, PointerAction};
use confab_tests::fantoccini::Locator;
use confab_tests::{App, DataDir, Result};
use serde_json::json;

const REPLY_CSS: &str = "[data-testid=message][data-role=assistant]";

fn llama_reply() -> Reply {
    Reply::sse([
        delta("Bonjour ! "),
        delta("Comment puis-je vous aider ?"),
        finish("stop"),
        chunk(json!({
            "model": "qwen2.5-0.5b-instruct",
            "choices": [],
            "usage": {"prompt_tokens": 120, "completion_tokens": 42},
            "timings": {"cache_n": 96, "prompt_n": 24, "prompt_ms": 421.7,
                        "prompt_per_second": 56.9, "predicted_n": 42,
                        "predicted_ms": 1102.4, "predicted_per_second": 38.1}
        })),
        DONE.to_owned(),
    ])
}

/// The statistics line of the reply: its pieces, its title, its opacity and how it lays out.
async fn stats_line(app: &App) -> Result<serde_json::Value> {
    Ok(app
        .client
        .execute(
            &format!(
                "const m = document.querySelector('{REPLY_CSS}');
                 const line = m && m.querySelector('[data-testid=reply-stats]');
                 if (!line) return null;
                 const parts = [...line.querySelectorAll('[data-stat]')];
                 return {{
                   parts: parts.map(p => [p.dataset.stat, p.textContent]),
                   shown: line.firstElementChild.textContent.trim(),
                   title: line.title,
                   spoken: line.querySelector('.visually-hidden').textContent,
                   opacity: getComputedStyle(line).opacity,
                   broken: parts.filter(p => p.dataset.stat !== 'model' && p.getClientRects().length > 1)
                     .map(p => p.textContent),
                   overflows: line.scrollWidth > line.clientWidth + 1,
                 }};"
            ),
            vec![],
        )
        .await?)
}

/// Waits until the line's opacity is `opacity` ("0" hidden, "1" shown).
async fn wait_opacity(app: &App, opacity: &str) -> Result<serde_json::Value> {
    app.eventually(&format!("the statistics at opacity {opacity}"), || async {
        let line = stats_line(app).await?;
        Ok((line["opacity"] == opacity).then_some(line))
    })
    .await
}

async fn move_pointer_to(app: &App, css: &str) -> Result<()> {
    let element = app.wait_for(Locator::Css(css)).await?;
    let mouse = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
        element,
        duration: None,
        x: 0.0,
        y: 0.0,
    });
    app.client.perform_actions(mouse).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replys_statistics_show_on_hover_and_focus_in_light_and_dark() -> Result<()> {
    for (theme, gtk_theme) in [("light", "Adwaita"), ("dark", "Adwaita:dark")] {
        let server = FaultServer::start().await;
        server.chat([llama_reply()]);
        let data = DataDir::new()?;
        let app = App::launch_with_env(
            &data,
            &[("CONFAB_ENDPOINT", &server.url()), ("GTK_THEME", gtk_theme)],
        )
        .await?;
        app.new_chat_and_ask("Say hello in French").await?;
        app.eventually("the reply to finish", || async {
            Ok(stats_line(&app).await?.as_object().cloned())
        })
        .await?;

        // Away from the reply, it is hidden (but there for a screen reader).
        move_pointer_to(&app, "[data-testid=composer]").await?;
        let line = wait_opacity(&app, "0").await?;
        let parts: Vec<(String, String)> = serde_json::from_value(line["parts"].clone())?;
        let texts: Vec<&str> = parts.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(
            texts,
            [
                "qwen2.5-0.5b-instruct",
                "42 tokens",
                "first token 0.42 s",
                "38.1 tok/s",
                "finished: stop"
            ],
            "{line}"
        );
        assert_eq!(
            line["shown"],
            "qwen2.5-0.5b-instruct · 42 tokens · first token 0.42 s · 38.1 tok/s · finished: stop"
        );
        let title = line["title"].as_str().unwrap();
        assert!(
            title.contains("First token after 0.42 s (reported by the server")
                && title.contains("Speed: 38.1 tok/s (reported by the server)")
                && title.contains("96 tokens of the prompt came from the server's cache"),
            "{title}"
        );
        assert!(!title.contains("measured"), "{title}");
        assert_eq!(line["spoken"], line["title"]);

        // Hovering the reply shows it.
        move_pointer_to(&app, &format!("{REPLY_CSS} [data-testid=message-content]")).await?;
        wait_opacity(&app, "1").await?;
        for (width, height) in [(1280, 800), (800, 600)] {
            app.resize(width, height).await?;
            move_pointer_to(&app, &format!("{REPLY_CSS} [data-testid=message-content]")).await?;
            let line = wait_opacity(&app, "1").await?;
            assert_eq!(line["broken"], json!([]), "no figure breaks: {line}");
            assert_eq!(line["overflows"], false, "{line}");
            app.screenshot(&format!("reply-stats-{theme}-{width}x{height}"))
                .await?;
        }

        // Away again, then the keyboard: focus on the reply's Pin button shows it too.
        move_pointer_to(&app, "[data-testid=composer]").await?;
        wait_opacity(&app, "0").await?;
        app.client
            .execute(
                &format!("document.querySelector('{REPLY_CSS} [data-testid=pin-message]').focus()"),
                vec![],
            )
            .await?;
        wait_opacity(&app, "1").await?;
        app.client.release_actions().await?;
        app.quit().await?;
    }
    Ok(())
}
