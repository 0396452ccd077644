//! A reply full of hostile Markdown and HTML, streamed into the real window from a scripted
//! server: it renders as harmless text and formatting, executes nothing and calls no command.
//! An image in a reply loads only when the user asks for it.

use confab_tests::fantoccini::Locator;
use confab_tests::{App, DataDir, Result};
use std::time::Duration;

use confab_test_support::fault::{delta, Ending, FaultServer, Reply, DONE};

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
    app.new_chat_and_ask("Show me some HTML").await?;

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

/// A 2×1 PNG.
const PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x02\x00\x00\x00\x01\x08\x02\x00\x00\x00\x7b\x40\xe8\xdd\x00\x00\x00\x0d\x49\x44\x41\x54\x78\x9c\x63\xf8\xcf\x00\x04\xff\x01\x07\x00\x01\xff\xe2\x23\x9e\x59\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_in_a_reply_loads_only_when_asked() -> Result<()> {
    let server = FaultServer::start().await;
    let url = format!("{}/pictures/dot.png", server.url());
    server.chat([Reply::sse([
        delta(&format!(
            "Here is a dot: ![a red dot]({url})\n\nAnd a page: ![not an image]({}/page)",
            server.url()
        )),
        DONE.to_owned(),
    ])]);
    server.script(
        "/pictures/dot.png",
        [Reply {
            status: 200,
            headers: vec![("content-type", "image/png".into())],
            chunks: vec![(Duration::ZERO, PNG.to_vec().into())],
            ending: Ending::Close,
        }],
    );
    server.script(
        "/page",
        [Reply {
            status: 200,
            headers: vec![("content-type", "image/png".into())],
            chunks: vec![(Duration::ZERO, "<!doctype html><script>1</script>".into())],
            ending: Ending::Close,
        }],
    );
    let picture_requests = || {
        server
            .requests()
            .into_iter()
            .map(|(path, _)| path)
            .filter(|p| p == "/pictures/dot.png" || p == "/page")
            .collect::<Vec<_>>()
    };
    let data = DataDir::new()?;
    let app = App::launch_with_env(&data, &[("CONFAB_ENDPOINT", &server.url())]).await?;
    app.new_chat_and_ask("Draw me a dot").await?;
    let buttons = app
        .eventually("two Load image buttons", || async {
            let found = app
                .client
                .find_all(Locator::Css("[data-testid=load-image]"))
                .await?;
            Ok((found.len() == 2).then_some(found))
        })
        .await?;
    assert!(app.texts("[data-testid=remote-image]").await?.is_empty());
    assert!(picture_requests().is_empty(), "nothing loads by itself");
    app.resize(1280, 800).await?;
    app.screenshot("image-not-loaded-1280x800").await?;

    buttons[0].click().await?;
    let size = app
        .eventually("the image to show", || async {
            let size = app
                .client
                .execute(
                    "const img = document.querySelector('[data-testid=remote-image]');
                     return img && img.complete && img.naturalWidth > 0
                       ? [img.naturalWidth, img.naturalHeight, img.alt, img.src.slice(0, 22)] : null;",
                    vec![],
                )
                .await?;
            Ok((!size.is_null()).then_some(size))
        })
        .await?;
    assert_eq!(
        size,
        serde_json::json!([2, 1, "a red dot", "data:image/png;base64,"])
    );
    assert_eq!(picture_requests(), ["/pictures/dot.png"]);

    // The page is refused for what its bytes are, whatever its header says.
    app.wait_for(Locator::Css("[data-testid=load-image]"))
        .await?
        .click()
        .await?;
    app.eventually("the refused image to say why", || async {
        let error = app
            .client
            .execute(
                "return document.querySelector('[data-testid=load-image]')?.dataset.error ?? null",
                vec![],
            )
            .await?;
        Ok((error == "not_an_image").then_some(()))
    })
    .await?;
    assert_eq!(app.texts("[data-testid=remote-image]").await?.len(), 1);
    app.screenshot("image-loaded-1280x800").await?;
    app.quit().await?;
    Ok(())
}
