//! A long chat in the real window: it opens on its newest messages, reads older ones from the
//! store as the reader scrolls up (keeping what they were looking at in place), holds in the page
//! only the messages near the viewport — every one of them still there, in order, as the reader
//! scrolls to it — and a message can be pinned so the model always receives it.

use confab_core::paths::DATABASE_FILE;
use confab_core::store::{MessageStatus, NewConversation, NewMessage, Role, Store};
use confab_tests::fantoccini::key::Key;
use confab_tests::fantoccini::Locator;
use confab_tests::{App, DataDir, Result};
use serde_json::Value;

const MESSAGES: usize = 250;
/// Far fewer than a page of messages fit the band the window draws around the viewport.
const MOST_DRAWN: usize = 60;

/// How many messages are loaded: the last one drawn says where it is among them (`aria-posinset`),
/// and the list follows the end.
async fn loaded(app: &App) -> Result<usize> {
    let value = app
        .client
        .execute(
            "const all = document.querySelectorAll('[data-testid=message]');
             return all.length ? Number(all[all.length - 1].getAttribute('aria-posinset')) : 0;",
            vec![],
        )
        .await?;
    Ok(value.as_u64().unwrap_or(0) as usize)
}

/// How many messages are in the page now.
async fn drawn(app: &App) -> Result<usize> {
    Ok(app.texts("[data-testid=message]").await?.len())
}

async fn scroll_to(app: &App, top: &str) -> Result<()> {
    app.client
        .execute(
            &format!("document.querySelector('[data-testid=messages]').scrollTop = {top}"),
            vec![],
        )
        .await?;
    Ok(())
}

/// Every loaded message's text, by its place among them, read by scrolling from the top to the
/// bottom half a screen at a time: each message is drawn when the reader gets to it.
async fn read_through(app: &App) -> Result<Vec<String>> {
    scroll_to(app, "0").await?;
    let mut texts: Vec<Option<String>> = Vec::new();
    loop {
        // Two frames for the band to follow the scroll, then what is drawn.
        let step = app
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 requestAnimationFrame(() => requestAnimationFrame(() => {
                   const list = document.querySelector('[data-testid=messages]');
                   const seen = Array.from(document.querySelectorAll('[data-testid=message]'), (m) =>
                     [Number(m.getAttribute('aria-posinset')),
                      m.querySelector('[data-testid=message-content]').textContent.trim()]);
                   const end = list.scrollTop + list.clientHeight >= list.scrollHeight - 1;
                   list.scrollTop += list.clientHeight / 2;
                   done({ seen, end });
                 }));",
                vec![],
            )
            .await?;
        for pair in step["seen"].as_array().into_iter().flatten() {
            let at = pair[0].as_u64().unwrap_or(0) as usize;
            let text = pair[1].as_str().unwrap_or_default().to_owned();
            if at == 0 {
                continue;
            }
            if texts.len() < at {
                texts.resize(at, None);
            }
            if let Some(seen) = &texts[at - 1] {
                assert_eq!(
                    seen, &text,
                    "message {at} reads the same each time it is drawn"
                );
            }
            texts[at - 1] = Some(text);
        }
        if step["end"] == Value::Bool(true) {
            break;
        }
    }
    Ok(texts
        .into_iter()
        .enumerate()
        .map(|(i, t)| t.unwrap_or_else(|| format!("(message {} never drawn)", i + 1)))
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn older_messages_load_on_scroll_up_and_a_message_can_be_pinned() -> Result<()> {
    let data = DataDir::new()?;
    let db = data.path().join(DATABASE_FILE);
    let store = Store::open(&db).await?;
    let chat = store
        .create_conversation(NewConversation {
            title: "A long chat".into(),
            ..Default::default()
        })
        .await?;
    for i in 0..MESSAGES {
        let role = if i % 2 == 0 {
            Role::User
        } else {
            Role::Assistant
        };
        store
            .append_message(
                chat.id,
                NewMessage {
                    role,
                    content: format!("Message number {i}."),
                    status: MessageStatus::Complete,
                    model: None,
                },
            )
            .await?;
    }
    store.close().await;

    let app = App::launch(&data).await?;
    app.resize(1280, 800).await?;
    app.eventually("the newest page", || async {
        Ok((loaded(&app).await? == 100).then_some(()))
    })
    .await?;
    let texts = app.texts("[data-testid=message-content]").await?;
    assert_eq!(
        texts.last().unwrap(),
        &format!("Message number {}.", MESSAGES - 1)
    );
    // Only the messages near the viewport are in the page.
    let in_page = drawn(&app).await?;
    assert!(
        in_page < MOST_DRAWN,
        "{in_page} of 100 messages in the page"
    );

    // Scrolling to the top reads the page before it, and the reader stays where they were.
    let first_loaded = format!("Message number {}.", MESSAGES - 100);
    scroll_to(&app, "0").await?;
    app.eventually("the page before", || async {
        let place = app
            .client
            .execute(
                "const el = [...document.querySelectorAll('[data-testid=message-content]')]
                   .find(e => e.textContent.trim() === arguments[0]);
                 return el ? Number(el.closest('[data-testid=message]').getAttribute('aria-posinset')) : 0;",
                vec![first_loaded.clone().into()],
            )
            .await?;
        Ok((place.as_u64() == Some(101)).then_some(()))
    })
    .await?;
    let visible = app
        .client
        .execute(
            "const box = document.querySelector('[data-testid=messages]').getBoundingClientRect();
             const el = [...document.querySelectorAll('[data-testid=message-content]')]
               .find(e => e.textContent.trim() === arguments[0]);
             const r = el.closest('[data-testid=message]').getBoundingClientRect();
             return r.bottom > box.top && r.top < box.bottom;",
            vec![first_loaded.clone().into()],
        )
        .await?;
    assert_eq!(visible, true, "{first_loaded} stays in view");

    // The rest through the button at the top; then there is nothing older to show.
    app.eventually("everything", || async {
        scroll_to(&app, "0").await?;
        if let Ok(button) = app
            .client
            .find(Locator::Css("[data-testid=load-older]"))
            .await
        {
            let _ = button.click().await;
        }
        let everything = app
            .client
            .execute(
                "const m = document.querySelector('[data-testid=message]');
                 return m && m.getAttribute('aria-setsize') === arguments[0];",
                vec![MESSAGES.to_string().into()],
            )
            .await?;
        Ok((everything == Value::Bool(true)).then_some(()))
    })
    .await?;
    assert!(app.texts("[data-testid=load-older]").await?.is_empty());
    let in_page = drawn(&app).await?;
    assert!(
        in_page < MOST_DRAWN,
        "{in_page} of {MESSAGES} messages in the page"
    );
    let expected: Vec<String> = (0..MESSAGES)
        .map(|i| format!("Message number {i}."))
        .collect();
    assert_eq!(
        read_through(&app).await?,
        expected,
        "every message once, in order"
    );

    // Pin the very first message: the model will always receive it.
    scroll_to(&app, "0").await?;
    let pin = app
        .wait_for(Locator::Css(
            "[data-testid=message][aria-posinset='1'] [data-testid=pin-message]",
        ))
        .await?;
    pin.click().await?;
    app.eventually("the pinned mark", || async {
        let marked = app
            .texts("[data-testid=message][data-pinned=true] [data-testid=message-content]")
            .await?;
        Ok((marked == ["Message number 0."]).then_some(()))
    })
    .await?;
    app.screenshot("long-chat-pinned").await?;
    app.quit().await?;

    let store = Store::open(&db).await?;
    let pinned = store.pinned_messages(chat.id, None).await?;
    assert_eq!(pinned.len(), 1);
    assert_eq!(pinned[0].content, "Message number 0.");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_megabyte_paste_is_refused_before_anything_is_sent() -> Result<()> {
    let data = DataDir::new()?;
    let app = App::launch(&data).await?;
    app.wait_for(Locator::Css("[data-testid=new-chat]"))
        .await?
        .click()
        .await?;
    let composer = app.wait_for(Locator::Css("[data-testid=composer]")).await?;
    // A real paste: 10 MB on the X clipboard, then Ctrl+V in the composer.
    let mut xclip = std::process::Command::new("xclip")
        .args(["-selection", "clipboard", "-in"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not run xclip: {e}"))?;
    {
        use std::io::Write;
        let mut stdin = xclip.stdin.take().ok_or("no xclip stdin")?;
        stdin.write_all(&vec![b'x'; 10 * 1024 * 1024])?;
    }
    xclip.wait()?;
    composer.click().await?;
    composer
        .send_keys(&format!("{}v{}", Key::Control, Key::Control))
        .await?;
    let warning = app
        .eventually("the size warning", || async {
            let text = app.texts("[data-testid=too-long]").await?.join(" ");
            Ok((!text.is_empty()).then_some(text))
        })
        .await?;
    assert!(warning.contains("10.0 MB"), "{warning}");
    assert!(warning.contains("nothing was added"), "{warning}");
    assert_eq!(composer.prop("value").await?.as_deref(), Some(""));
    composer.send_keys(&Key::Enter.to_string()).await?;
    app.screenshot("ten-megabyte-paste").await?;
    assert!(app.texts("[data-testid=message]").await?.is_empty());
    app.quit().await?;

    let store = Store::open(&data.path().join(DATABASE_FILE)).await?;
    let chats = store
        .list_conversations(confab_core::store::ListConversations::default())
        .await?;
    assert_eq!(chats.items.len(), 1);
    assert_eq!(
        store.message_count(chats.items[0].id).await?,
        0,
        "nothing was saved"
    );
    Ok(())
}
