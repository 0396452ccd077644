//! Math in a reply, in the real window: `$…$`, `$$…$$`, `\(…\)` and `\[…\]` are typeset (as
//! MathML) while prices and shell variables stay text, also while the reply streams in small
//! pieces. Screenshots in the light and the dark theme.

use std::time::Duration;

use confab_test_support::fault::{delta, FaultServer, Reply, DONE};
use confab_tests::{App, DataDir, Result};

const REPLY: &str = "A circle of radius $r$ has area $\\pi r^2$, and Euler's identity is \
\\(e^{i\\pi} + 1 = 0\\). The sum of the first $n$ numbers:\n\n$$\n\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}\n$$\n\n\
and a matrix:\n\n\\[\n\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}\n\\]\n\n\
The book costs $5 and the course $10, so $15 in all. Your files are in `$HOME` and $PATH lists the \
programs.";

fn streamed() -> Reply {
    let mut reply = Reply::sse(Vec::<String>::new());
    for piece in REPLY.as_bytes().chunks(5) {
        reply.chunks.push((
            Duration::from_millis(8),
            delta(std::str::from_utf8(piece).expect("ASCII")).into(),
        ));
    }
    reply.chunks.push((Duration::ZERO, DONE.into()));
    reply
}

/// What the reply shows: each formula's TeX and whether it is a display, and the text.
async fn report(app: &App) -> Result<serde_json::Value> {
    Ok(app
        .client
        .execute(
            "const m = [...document.querySelectorAll('[data-testid=message][data-role=assistant]')].pop();
             if (!m || m.dataset.status !== 'complete') return null;
             const c = m.querySelector('[data-testid=message-content]');
             return {
               math: [...c.querySelectorAll('math')].map(x => [
                 (x.querySelector('annotation') || {}).textContent || '',
                 x.getAttribute('display') || 'inline']),
               text: c.textContent,
               scripts: c.querySelectorAll('script, [onload], [onerror]').length,
             };",
            vec![],
        )
        .await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn math_renders_and_prices_stay_text_in_light_and_dark() -> Result<()> {
    for (theme, gtk_theme) in [("light", "Adwaita"), ("dark", "Adwaita:dark")] {
        let server = FaultServer::start().await;
        server.chat([streamed()]);
        let data = DataDir::new()?;
        let app = App::launch_with_env(
            &data,
            &[("CONFAB_ENDPOINT", &server.url()), ("GTK_THEME", gtk_theme)],
        )
        .await?;
        app.new_chat_and_ask("Some maths, please").await?;
        let shown = app
            .eventually("the reply to finish with its math typeset", || async {
                let r = report(&app).await?;
                Ok(
                    (!r.is_null() && r["math"].as_array().is_some_and(|m| m.len() >= 6))
                        .then_some(r),
                )
            })
            .await?;
        let tex: Vec<&str> = shown["math"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m[0].as_str().unwrap().trim())
            .collect();
        assert_eq!(tex[..3], ["r", "\\pi r^2", "e^{i\\pi} + 1 = 0"], "{shown}");
        assert!(tex[4].starts_with("\\sum_{i=1}^{n} i"), "{shown}");
        assert_eq!(shown["math"][4][1], "block", "{shown}");
        assert!(tex[5].starts_with("\\begin{pmatrix}"), "{shown}");
        assert_eq!(tex.len(), 6, "no price or variable became math: {shown}");
        let text = shown["text"].as_str().unwrap();
        assert!(
            text.contains("costs $5 and the course $10, so $15 in all"),
            "{text}"
        );
        assert!(
            text.contains("$HOME") && text.contains("$PATH lists"),
            "{text}"
        );
        assert_eq!(shown["scripts"], 0);
        for (width, height) in [(1280, 800), (800, 600)] {
            app.resize(width, height).await?;
            app.client
                .execute(
                    "document.querySelector('[data-testid=message][data-role=assistant]').scrollIntoView({block: 'start'})",
                    vec![],
                )
                .await?;
            app.screenshot(&format!("math-{theme}-{width}x{height}"))
                .await?;
        }
        app.quit().await?;
    }
    Ok(())
}
