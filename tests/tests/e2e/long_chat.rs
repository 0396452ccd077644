//! A long chat in the real window: it opens on its newest messages, reads older ones from the
//! store as the reader scrolls up (keeping what they were looking at in place), and a message can
//! be pinned so the model always receives it.

use confab_core::paths::DATABASE_FILE;
use confab_core::store::{MessageStatus, NewConversation, NewMessage, Role, Store};
use confab_tests::fantoccini::key::Key;
use confab_tests::fantoccini::Locator;
use confab_tests::{App, DataDir, Result};

const MESSAGES: usize = 250;

async fn loaded(app: &App) -> Result<usize> {
    Ok(app.texts("[data-testid=message]").await?.len())
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
        let n = loaded(&app).await?;
        Ok((n == 100).then_some(()))
    })
    .await?;
    let texts = app.texts("[data-testid=message-content]").await?;
    assert_eq!(
        texts.last().unwrap(),
        &format!("Message number {}.", MESSAGES - 1)
    );
    assert_eq!(
        texts.first().unwrap(),
        &format!("Message number {}.", MESSAGES - 100)
    );

    // Scrolling to the top reads the page before it, and the reader stays where they were.
    let first_shown = format!("Message number {}.", MESSAGES - 100);
    app.client
        .execute(
            "document.querySelector('[data-testid=messages]').scrollTop = 0",
            vec![],
        )
        .await?;
    app.eventually("the page before", || async {
        let n = loaded(&app).await?;
        Ok((n == 200).then_some(()))
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
            vec![first_shown.clone().into()],
        )
        .await?;
    assert_eq!(visible, true, "{first_shown} stays in view");

    // The rest through the button at the top; then there is nothing older to show.
    app.client
        .execute(
            "document.querySelector('[data-testid=messages]').scrollTop = 0",
            vec![],
        )
        .await?;
    app.eventually("everything", || async {
        let n = loaded(&app).await?;
        if n < MESSAGES {
            if let Ok(button) = app
                .client
                .find(Locator::Css("[data-testid=load-older]"))
                .await
            {
                let _ = button.click().await;
            }
        }
        Ok((n == MESSAGES).then_some(()))
    })
    .await?;
    assert!(app.texts("[data-testid=load-older]").await?.is_empty());
    let texts = app.texts("[data-testid=message-content]").await?;
    let expected: Vec<String> = (0..MESSAGES)
        .map(|i| format!("Message number {i}."))
        .collect();
    assert_eq!(texts, expected, "every message once, in order");

    // Pin the very first message: the model will always receive it.
    app.client
        .execute(
            "document.querySelector('[data-testid=messages]').scrollTop = 0",
            vec![],
        )
        .await?;
    let pin = app
        .wait_for(Locator::Css(
            "[data-testid=message]:first-of-type [data-testid=pin-message]",
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
