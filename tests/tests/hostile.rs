//! A reply full of hostile Markdown and HTML, streamed into the real window from a scripted
//! server: it renders as harmless text and formatting, executes nothing and calls no command.

#[path = "../../src-tauri/crates/core/tests/support/mod.rs"]
mod support;

use confab_tests::fantoccini::key::Key;
use confab_tests::fantoccini::Locator;
use confab_tests::{App, DataDir, Result};
use support::{delta, FaultServer, Reply, DONE};

const HOSTILE: &str = r#"Here is **bold** text and a [safe link](https://example.com).

<script>window.__pwned = 'script'</script>
<img src=x onerror="window.__pwned = 'img'">
<svg onload="window.__pwned = 'svg'"><circle r=5 /></svg>
<iframe src="javascript:parent.__pwned='iframe'"></iframe>
<a href="javascript:window.__pwned='link'">click me</a>
[md link](javascript:window.__pwned='md')
<details open ontoggle="window.__pwned='details'">x</details>
<img src=x onerror="window.__TAURI_INTERNALS__.invoke('create_conversation', {title: 'pwned'})">
![tracker](https://tracker.example/pixel.gif)

```html
<script>alert(1)</script>
```
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_markup_in_a_reply_executes_nothing() -> Result<()> {
    let server = FaultServer::start().await;
    // Split into small pieces so the Markdown is rendered many times while it streams.
    let chunks: Vec<String> = HOSTILE
        .as_bytes()
        .chunks(17)
        .map(|c| delta(&String::from_utf8_lossy(c)))
        .chain([DONE.to_owned()])
        .collect();
    server.chat([Reply::sse(chunks)]);
    let data = DataDir::new()?;
    let app = App::launch_with_env(&data, &[("CONFAB_ENDPOINT", &server.url())]).await?;
    app.wait_for(Locator::Css("[data-testid=new-chat]"))
        .await?
        .click()
        .await?;
    let composer = app.wait_for(Locator::Css("[data-testid=composer]")).await?;
    composer.send_keys("Show me some HTML").await?;
    composer.send_keys(&Key::Enter.to_string()).await?;

    app.eventually("the hostile reply to finish", || async {
        let done = app
            .client
            .execute(
                "const m = [...document.querySelectorAll('[data-testid=message][data-role=assistant]')].pop();
                 return !!m && m.dataset.status === 'complete';",
                vec![],
            )
            .await?;
        Ok((done == serde_json::Value::Bool(true)).then_some(()))
    })
    .await?;

    let report = app
        .client
        .execute(
            "const c = [...document.querySelectorAll('[data-testid=message-content]')].pop();
             const bad = c.querySelectorAll('script, img, svg, iframe, details, object, embed, style');
             const handlers = [...c.querySelectorAll('*')].flatMap(e => [...e.attributes])
               .filter(a => a.name.startsWith('on') || a.name === 'style').length;
             const hrefs = [...c.querySelectorAll('a[href]')].map(a => a.getAttribute('href'));
             return { pwned: window.__pwned ?? null, bad: bad.length, handlers, hrefs,
                      bold: c.querySelector('strong')?.textContent ?? null,
                      code: c.querySelector('pre code')?.textContent ?? null };",
            vec![],
        )
        .await?;
    assert_eq!(report["pwned"], serde_json::Value::Null, "{report}");
    assert_eq!(report["bad"], 0, "{report}");
    assert_eq!(report["handlers"], 0, "{report}");
    assert_eq!(report["bold"], "bold");
    assert!(report["code"]
        .as_str()
        .unwrap()
        .contains("<script>alert(1)</script>"));
    for href in report["hrefs"].as_array().unwrap() {
        assert!(href.as_str().unwrap().starts_with("https://"), "{report}");
    }
    // No command ran: still exactly one chat, and its title is the question.
    let titles = app.texts("[data-testid=conversation-item] .title").await?;
    assert_eq!(titles, ["Show me some HTML"]);
    app.resize(1280, 800).await?;
    app.screenshot("hostile-reply-1280x800").await?;
    app.quit().await?;

    let store = confab_core::store::Store::open(&data.path().join("confab.db")).await?;
    let all = store
        .list_conversations(confab_core::store::ListConversations::default())
        .await?;
    assert_eq!(
        all.items.len(),
        1,
        "no conversation was created behind the user's back"
    );
    Ok(())
}
