//! Search in the real window: Ctrl+Shift+F, results as you type, and Enter opens another chat at
//! the message found — deep inside a long chat — marked, with paging on from there both ways.

use chrono::{Duration, TimeZone, Utc};
use confab_core::paths::DATABASE_FILE;
use confab_core::settings::{AppSettings, Theme};
use confab_core::store::{ImportConversation, ImportMessage, MessageStatus, Role, Store};
use confab_tests::fantoccini::key::Key;
use confab_tests::fantoccini::Locator;
use confab_tests::{App, DataDir, Result};

/// How long the long chat is, and where in it the message to find sits.
const LONG: usize = 20_000;
const TARGET: usize = 8_000;

fn chat(title: &str, day: u32, texts: impl IntoIterator<Item = String>) -> ImportConversation {
    let start = Utc.with_ymd_and_hms(2026, 1, day, 9, 0, 0).unwrap();
    let messages: Vec<ImportMessage> = texts
        .into_iter()
        .enumerate()
        .map(|(i, content)| ImportMessage {
            role: if i % 2 == 0 {
                Role::User
            } else {
                Role::Assistant
            },
            content,
            status: MessageStatus::Complete,
            error: None,
            model: None,
            prompt_tokens: None,
            completion_tokens: None,
            created_at: start + Duration::seconds(i as i64),
            completed_at: None,
            pinned: false,
            version_of: None,
            hidden: false,
            reasoning: String::new(),
            finish_reason: None,
            ended: None,
            stats: Default::default(),
            attachments: Vec::new(),
            tool_calls: Vec::new(),
        })
        .collect();
    ImportConversation {
        title: title.into(),
        system_prompt: String::new(),
        model: None,
        params: serde_json::json!({}),
        created_at: start,
        updated_at: start + Duration::seconds(messages.len() as i64),
        pinned: false,
        archived: false,
        messages,
        summaries: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_a_message_deep_in_another_chat_and_enter_lands_on_it() -> Result<()> {
    let data = DataDir::new()?;
    let store = Store::open(&data.path().join(DATABASE_FILE)).await?;
    let long = (0..LONG).map(|i| {
        if i == TARGET {
            "Remember: the staging server is 10.4.2.19, behind the quokka gateway.".to_owned()
        } else {
            format!("Message number {i}.")
        }
    });
    store
        .import_conversations(&[
            chat("Infrastructure notes", 1, long),
            chat(
                "Groceries",
                20,
                ["Buy oat milk".to_owned(), "Noted.".to_owned()],
            ),
        ])
        .await?;
    store.close().await;

    let app = App::launch(&data).await?;
    app.resize(1280, 800).await?;
    // The newest chat (Groceries) is open; the search is one shortcut away.
    app.eventually("the other chat open", || async {
        let title = app.texts("[data-testid=conversation-title]").await?;
        Ok((title == ["Groceries"]).then_some(()))
    })
    .await?;
    app.client
        .find(Locator::Css("body"))
        .await?
        .send_keys(&format!("{}{}f", Key::Control, Key::Shift))
        .await?;
    let input = app
        .wait_for(Locator::Css("[data-testid=search-input]"))
        .await?;
    input.send_keys("quokka gate").await?;
    let hits = app
        .eventually("the hit, as you type", || async {
            let hits = app.texts("[data-testid=search-hit]").await?;
            Ok((!hits.is_empty()).then_some(hits))
        })
        .await?;
    assert_eq!(hits.len(), 1, "{hits:?}");
    let marked = app.texts("[data-testid=search-hit] mark").await?;
    assert_eq!(marked, ["quokka", "gateway"]);
    app.screenshot("search-view").await?;

    input.send_keys(&Key::Enter.to_string()).await?;
    let found = app
        .eventually("the chat opened at the message, marked", || async {
            let found = app
                .texts("[data-testid=message][data-found] [data-testid=message-content]")
                .await?;
            Ok((!found.is_empty()).then_some(found))
        })
        .await?;
    assert!(found[0].contains("10.4.2.19"), "{found:?}");
    assert_eq!(
        app.texts("[data-testid=conversation-title]").await?,
        ["Infrastructure notes"]
    );
    // It is on screen, and the chat reads on both ways from there.
    let visible = app
        .client
        .execute(
            "const r = document.querySelector('[data-found]').getBoundingClientRect(); \
             return r.top >= 0 && r.bottom <= window.innerHeight;",
            vec![],
        )
        .await?;
    assert_eq!(visible.as_bool(), Some(true), "the message is in view");
    let contents = app.texts("[data-testid=message-content]").await?;
    assert!(contents.contains(&format!("Message number {}.", TARGET - 1)));
    assert!(contents.contains(&format!("Message number {}.", TARGET + 1)));
    assert!(!contents.contains(&format!("Message number {}.", LONG - 1)));
    app.screenshot("search-landed").await?;

    // A page either way (scrolling to a button can read one as well): the messages just past the
    // old edge are drawn where the reader is, the rest wait out of the page until scrolled to.
    app.click("load-older").await?;
    let earlier = format!("Message number {}.", TARGET - 100);
    app.eventually("earlier messages", || async {
        let contents = app.texts("[data-testid=message-content]").await?;
        Ok(contents.contains(&earlier).then_some(()))
    })
    .await?;
    let place = app
        .client
        .execute(
            "const el = [...document.querySelectorAll('[data-testid=message-content]')]
               .find(e => e.textContent.trim() === arguments[0]);
             return Number(el.closest('[data-testid=message]').getAttribute('aria-posinset'));",
            vec![format!("Message number {}.", TARGET - 99).into()],
        )
        .await?
        .as_u64()
        .unwrap_or(0);
    assert!(
        place > 1 && (place - 1) % 100 == 0,
        "whole pages were read: {place}"
    );
    app.click("load-newer").await?;
    app.eventually("later messages", || async {
        let contents = app.texts("[data-testid=message-content]").await?;
        let later = contents.iter().filter_map(|c| {
            c.strip_prefix("Message number ")?
                .strip_suffix('.')?
                .parse::<usize>()
                .ok()
        });
        Ok(later.max().is_some_and(|n| n > TARGET + 100).then_some(()))
    })
    .await?;
    app.quit().await?;

    // The same in a narrow window in the dark theme: the search comes over the hidden list.
    let store = Store::open(&data.path().join(DATABASE_FILE)).await?;
    AppSettings {
        theme: Theme::Dark,
        ..Default::default()
    }
    .save(&store)
    .await?;
    store.close().await;
    let app = App::launch(&data).await?;
    app.resize(600, 700).await?;
    app.client
        .find(Locator::Css("body"))
        .await?
        .send_keys(&format!("{}{}f", Key::Control, Key::Shift))
        .await?;
    let input = app
        .wait_for(Locator::Css("[data-testid=search-input]"))
        .await?;
    input.send_keys("staging").await?;
    app.eventually("the hit in the narrow window", || async {
        let n = app.texts("[data-testid=search-hit]").await?.len();
        Ok((n == 1).then_some(()))
    })
    .await?;
    app.screenshot("search-view-dark-600x700").await?;
    input.send_keys(&Key::Enter.to_string()).await?;
    app.eventually("the message found, shown", || async {
        let found = app
            .texts("[data-testid=message][data-found] [data-testid=message-content]")
            .await?;
        Ok((!found.is_empty()).then_some(()))
    })
    .await?;
    app.screenshot("search-landed-dark-600x700").await?;
    app.quit().await?;
    Ok(())
}
