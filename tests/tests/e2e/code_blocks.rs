//! Code blocks in a reply, in the real window: highlighted, headed with their language and a Copy
//! button that puts the exact code on the system clipboard (read back with `xclip`), also while
//! the reply is still streaming; a message's own Copy gives its Markdown source. Screenshots in
//! the light and the dark theme.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use confab_test_support::fault::{delta, FaultServer, Reply, DONE};
use confab_tests::fantoccini::key::Key;
use confab_tests::fantoccini::Locator;
use confab_tests::{artifacts_dir, App, DataDir, Result};

const RUST: &str = "use std::collections::HashMap;

/// Counts the words of a line.
fn main() {
    let mut counts: HashMap<&str, u32> = HashMap::new();
    for word in \"a <b> a & c\".split_whitespace() {
\t*counts.entry(word).or_insert(0) += 1;
    }
    println!(\"{counts:?} \\\"quoted\\\"\");
}";

const SHELL: &str = "cargo run --release -- --name 'Confab' > out.txt";

fn reply_text() -> String {
    format!(
        "Here is a program:\n\n```rust\n{RUST}\n```\n\nRun it with:\n\n```sh\n{SHELL}\n```\n\n{}",
        "It prints each word with how often it appears. ".repeat(12)
    )
}

/// The reply as SSE: everything up to the end of the first block at once, the rest in small
/// pieces a little apart, so the message re-renders many times after the first block is whole.
fn streamed_reply(text: &str, pause: Duration) -> Reply {
    let split = text.find("\n\nRun it").expect("the first block ends there");
    let (head, tail) = text.split_at(split);
    let mut reply = Reply::sse([delta(head)]);
    for piece in tail.as_bytes().chunks(6) {
        reply.chunks.push((
            pause,
            delta(std::str::from_utf8(piece).expect("ASCII")).into(),
        ));
    }
    reply.chunks.push((Duration::ZERO, DONE.into()));
    reply
}

/// What the X clipboard holds now (None when nobody owns it).
fn clipboard() -> Result<Option<String>> {
    let out = Command::new("timeout")
        .args(["5", "xclip", "-o", "-selection", "clipboard"])
        .output()
        .map_err(|e| format!("could not run xclip (apt-get install xclip): {e}"))?;
    Ok(out
        .status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned()))
}

/// Puts `text` on the X clipboard from outside the app (xclip stays to serve it until replaced).
fn set_clipboard(text: &str) -> Result<()> {
    let mut child = Command::new("xclip")
        .args(["-selection", "clipboard"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not run xclip (apt-get install xclip): {e}"))?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(text.as_bytes())?;
    child.wait()?;
    Ok(())
}

async fn wait_for_clipboard(app: &App, expected: &str) -> Result<()> {
    app.eventually("the clipboard to hold what was copied", || async {
        Ok((clipboard()?.as_deref() == Some(expected)).then_some(()))
    })
    .await
}

/// The last assistant message's status.
async fn reply_status(app: &App) -> Result<Option<String>> {
    let value = app
        .client
        .execute(
            "const m = [...document.querySelectorAll('[data-testid=message][data-role=assistant]')].pop();
             return m ? m.dataset.status : null;",
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(value)?)
}

/// What the rendered reply's code blocks look like.
async fn code_report(app: &App) -> Result<serde_json::Value> {
    Ok(app
        .client
        .execute(
            "const c = [...document.querySelectorAll('[data-testid=message-content]')].pop();
             return [...c.querySelectorAll('pre')].map(pre => ({
               lang: pre.querySelector(':scope > .code-head .code-lang')?.textContent ?? null,
               copy: pre.querySelector(':scope > .code-head [data-testid=copy-code]')?.textContent ?? null,
               code: pre.querySelector(':scope > code')?.textContent ?? null,
               spans: [...pre.querySelectorAll('code span[class^=hljs-]')].map(s => s.className),
               keyword: (() => { const k = pre.querySelector('code .hljs-keyword');
                                 return k ? getComputedStyle(k).color : null; })(),
               buttonsInside: pre.querySelectorAll('code button').length,
             }));",
            vec![],
        )
        .await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_blocks_are_highlighted_and_copy_exactly() -> Result<()> {
    let text = reply_text();
    let server = FaultServer::start().await;
    server.chat([streamed_reply(&text, Duration::from_millis(60))]);
    let data = DataDir::new()?;
    let app = App::launch_with_env(&data, &[("CONFAB_ENDPOINT", &server.url())]).await?;
    // Tall enough for the whole reply: the view does not scroll under the pointer mid-stream.
    app.resize(1280, 800).await?;
    set_clipboard("nothing copied yet")?;
    app.new_chat_and_ask("Show me some Rust").await?;

    // While the reply still streams (and re-renders on every piece), the first block already has
    // its header, and its Copy button is the same element from one render to the next.
    let copy = app
        .eventually("the first block's Copy button while streaming", || async {
            if reply_status(&app).await?.as_deref() != Some("streaming") {
                return Ok(None);
            }
            Ok(app
                .client
                .find_all(Locator::Css("[data-testid=copy-code]"))
                .await?
                .into_iter()
                .next())
        })
        .await?;
    copy.click().await?;
    assert_eq!(
        reply_status(&app).await?.as_deref(),
        Some("streaming"),
        "the copy was made mid-stream"
    );
    wait_for_clipboard(&app, RUST).await?;
    let feedback = app
        .eventually("the button to say Copied", || async {
            let t = copy.text().await?;
            Ok((t == "Copied").then_some(t))
        })
        .await?;
    assert_eq!(feedback, "Copied");

    app.eventually("the reply to finish", || async {
        Ok((reply_status(&app).await?.as_deref() == Some("complete")).then_some(()))
    })
    .await?;
    let report = code_report(&app).await?;
    let blocks = report.as_array().expect("an array");
    assert_eq!(blocks.len(), 2, "{report}");
    assert_eq!(blocks[0]["lang"], "rust", "{report}");
    assert_eq!(blocks[1]["lang"], "sh", "{report}");
    assert_eq!(blocks[0]["code"], RUST, "{report}");
    assert_eq!(blocks[1]["code"], SHELL, "{report}");
    let spans: Vec<&str> = blocks[0]["spans"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    for class in [
        "hljs-keyword",
        "hljs-string",
        "hljs-comment",
        "hljs-title function_",
    ] {
        assert!(spans.contains(&class), "no {class} span: {report}");
    }
    assert_eq!(blocks[0]["buttonsInside"], 0, "{report}");
    // The light theme's keyword colour (--hl-keyword in app.css).
    assert_eq!(blocks[0]["keyword"], "rgb(207, 34, 46)", "{report}");

    // The second block's Copy, then the whole message's: its Markdown as the model wrote it.
    // The second from the keyboard: Enter on the focused button.
    let second = app
        .client
        .find_all(Locator::Css("[data-testid=copy-code]"))
        .await?
        .pop()
        .expect("two Copy buttons");
    app.client
        .execute("arguments[0].focus()", vec![serde_json::to_value(&second)?])
        .await?;
    second.send_keys(&Key::Enter.to_string()).await?;
    wait_for_clipboard(&app, SHELL).await?;
    app.client
        .find(Locator::Css(
            "[data-testid=message][data-role=assistant] [data-testid=copy-message]",
        ))
        .await?
        .click()
        .await?;
    wait_for_clipboard(&app, &text).await?;
    app.quit().await?;
    Ok(())
}

/// A reply with several languages, for people to look at in both themes and two sizes.
const SHOWCASE: &str = r#"Three ways to read a file:

```rust
use std::fs;

/// Reads the config, or the default when there is none.
fn load(path: &str) -> Result<String, std::io::Error> {
    let text = fs::read_to_string(path)?; // a long line that does not fit a narrow window at all, so it scrolls sideways
    Ok(text.trim().to_owned())
}
```

```python
def load(path: str) -> str:
    with open(path) as f:  # closes itself
        return f.read().strip() or "default"
```

```json
{ "name": "confab", "version": 1, "tags": ["chat", "local"], "private": true }
```

```diff
- let port = 8080;
+ let port = 1234;
```
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_of_code_blocks_in_light_and_dark() -> Result<()> {
    for (theme, gtk_theme, keyword) in [
        ("light", "Adwaita", "rgb(207, 34, 46)"),
        ("dark", "Adwaita:dark", "rgb(255, 123, 114)"),
    ] {
        let server = FaultServer::start().await;
        server.chat([Reply::sse([delta(SHOWCASE), DONE.to_owned()])]);
        let data = DataDir::new()?;
        let app = App::launch_with_env(
            &data,
            &[("CONFAB_ENDPOINT", &server.url()), ("GTK_THEME", gtk_theme)],
        )
        .await?;
        app.new_chat_and_ask("How do I read a file?").await?;
        app.eventually("the reply to finish", || async {
            Ok((reply_status(&app).await?.as_deref() == Some("complete")).then_some(()))
        })
        .await?;
        let report = code_report(&app).await?;
        let langs: Vec<&str> = report
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|b| b["lang"].as_str())
            .collect();
        assert_eq!(langs, ["rust", "python", "json", "diff"], "{report}");
        assert_eq!(report[0]["keyword"], keyword, "{theme}: {report}");
        for (width, height) in [(1280, 800), (800, 600)] {
            app.resize(width, height).await?;
            // Show the reply from its start, not just its end.
            app.client
                .execute(
                    "document.querySelector('[data-testid=message][data-role=assistant]').scrollIntoView({block: 'start'})",
                    vec![],
                )
                .await?;
            // Only the conversation scrolls: the window itself never does, so its header stays.
            let scrolled = app
                .client
                .execute("return document.scrollingElement.scrollTop", vec![])
                .await?;
            assert_eq!(scrolled, 0, "{theme} {width}x{height}: the window scrolled");
            let shot = app
                .screenshot(&format!("code-blocks-{theme}-{width}x{height}"))
                .await?;
            assert!(shot.starts_with(artifacts_dir()));
        }
        app.quit().await?;
    }
    Ok(())
}
