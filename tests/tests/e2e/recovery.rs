//! The recovery screen in the real window: a damaged database, a file that is not one at all, and
//! one from a newer Confab each get the screen (never a blank window), which names the file; a
//! restore from the listed snapshots brings the chats back, with the damaged file kept aside.
//! Damage met while the app runs gets the same screen at once.

use std::path::Path;

use confab_core::store::recovery;
use confab_core::store::{backups_dir, NewConversation, NewMessage, Store};
use confab_test_support::store::{break_pages_holding, break_pages_holding_in_place};
use confab_tests::fantoccini::Locator;
use confab_tests::{app_binary, App, DataDir, Result};

const LOST: &str = "LOST";

/// A database with three chats and a backup of it, then damaged on disk.
async fn damaged_database_with_a_backup(db: &Path) -> Result<()> {
    let store = Store::open(db).await?;
    for (title, text) in [
        ("Trip to Lisbon", "Which trams go to Belém?".to_owned()),
        ("Long notes", LOST.repeat(5000)),
        ("Sourdough", "How long should the levain rest?".to_owned()),
    ] {
        let chat = store
            .create_conversation(NewConversation {
                title: title.into(),
                ..Default::default()
            })
            .await?;
        store
            .append_message(chat.id, NewMessage::user(text))
            .await?;
    }
    recovery::backup(db, None, store.now()).await?;
    store.close().await;
    assert!(break_pages_holding(db, LOST).await > 0);
    Ok(())
}

/// Launches the app and waits for the recovery screen; returns it with its error code.
async fn launch_into_recovery(data: &DataDir) -> Result<(App, String)> {
    let app = App::launch_binary(&app_binary()?, data, &[]).await?;
    let screen = app.wait_for(Locator::Css("main.recovery")).await?;
    let code = screen.attr("data-code").await?.unwrap_or_default();
    Ok((app, code))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_database_gets_the_recovery_screen_and_a_restore_brings_the_chats_back(
) -> Result<()> {
    let data = DataDir::new()?;
    let db = data.path().join("confab.db");
    damaged_database_with_a_backup(&db).await?;

    let (app, code) = launch_into_recovery(&data).await?;
    assert_eq!(code, "database_damaged");
    assert_eq!(
        app.texts("#recovery-title").await?,
        ["Your chats database is damaged"]
    );
    let message = app.texts(".recovery .message").await?.join(" ");
    assert!(message.contains(&db.display().to_string()), "{message}");
    let snapshot = app
        .eventually("the snapshot in the list", || async {
            let rows = app.texts(".snapshot .detail").await?;
            Ok((!rows.is_empty()).then_some(rows))
        })
        .await?;
    assert_eq!(snapshot.len(), 1);
    assert!(snapshot[0].contains("Backup") && snapshot[0].contains("3 chats"));
    app.screenshot("recovery-damaged").await?;

    // Restore asks first; then the app starts on the snapshot.
    app.wait_for(Locator::Css(".snapshot button.restore"))
        .await?
        .click()
        .await?;
    app.wait_for(Locator::Css(".confirm button.primary"))
        .await?
        .click()
        .await?;
    let mut titles = app
        .eventually("the restored chats in the sidebar", || async {
            let titles = app.texts("[data-testid=conversation-item] .title").await?;
            Ok((titles.len() == 3).then_some(titles))
        })
        .await?;
    titles.sort();
    assert_eq!(titles, ["Long notes", "Sourdough", "Trip to Lisbon"]);
    app.quit().await?;

    let kept: Vec<String> = std::fs::read_dir(backups_dir(&db))?
        .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_>>()?;
    assert!(
        kept.iter().any(|n| n.starts_with("confab-before-restore-")),
        "the damaged file is kept: {kept:?}"
    );

    // And the next start is a normal one.
    let app = App::launch(&data).await?;
    app.eventually("the chats after a restart", || async {
        let n = app.texts("[data-testid=conversation-item]").await?.len();
        Ok((n == 3).then_some(()))
    })
    .await?;
    app.quit().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_is_not_a_database_is_named_and_nothing_is_touched() -> Result<()> {
    let data = DataDir::new()?;
    let db = data.path().join("confab.db");
    std::fs::write(&db, b"my shopping list, saved in the wrong place")?;

    let (app, code) = launch_into_recovery(&data).await?;
    assert_eq!(code, "not_a_database");
    let message = app.texts(".recovery .message").await?.join(" ");
    assert!(message.contains(&db.display().to_string()), "{message}");
    assert!(
        app.texts(".recovery .muted")
            .await?
            .join(" ")
            .contains("no snapshots yet")
            || app
                .eventually("the empty snapshot list", || async {
                    let t = app.texts(".recovery .muted").await?.join(" ");
                    Ok(t.contains("no snapshots yet").then_some(true))
                })
                .await?
    );
    // Trying again gives the same answer; nothing was changed meanwhile.
    app.client
        .find(Locator::XPath("//button[normalize-space()='Try again']"))
        .await?
        .click()
        .await?;
    app.eventually("the same problem after trying again", || async {
        let busy = app.texts(".recovery [aria-live]").await?.join(" ");
        let code = app
            .wait_for(Locator::Css("main.recovery"))
            .await?
            .attr("data-code")
            .await?;
        Ok((!busy.contains("Starting") && code.as_deref() == Some("not_a_database")).then_some(()))
    })
    .await?;
    app.screenshot("recovery-not-a-database").await?;
    app.resize(520, 640).await?;
    app.screenshot("recovery-not-a-database-520x640").await?;
    app.quit().await?;
    assert_eq!(
        std::fs::read(&db)?,
        b"my shopping list, saved in the wrong place"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_from_a_newer_confab_is_refused_unchanged() -> Result<()> {
    let data = DataDir::new()?;
    let db = data.path().join("confab.db");
    let store = Store::open(&db).await?;
    store
        .create_conversation(NewConversation {
            title: "From the future".into(),
            ..Default::default()
        })
        .await?;
    store.close().await;
    confab_test_support::store::mark_as_written_by_a_newer_confab(&db).await;
    let before = std::fs::read(&db)?;

    let (app, code) = launch_into_recovery(&data).await?;
    assert_eq!(code, "newer_database");
    let advice = app.texts(".recovery .advice").await?.join(" ");
    assert!(advice.contains("Update Confab"), "{advice}");
    app.quit().await?;
    assert_eq!(std::fs::read(&db)?, before, "the file was not changed");
    Ok(())
}

/// A database damaged while the app runs — in the middle of its pages, where start-up's check
/// could not see it coming — meets the recovery screen's actions the moment a chat reads a broken
/// page, without a restart: nothing more is written to the file, and a restore brings the chats
/// back in the same window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damage_met_mid_session_offers_the_recovery_actions_without_a_restart() -> Result<()> {
    let data = DataDir::new()?;
    let db = data.path().join("confab.db");
    {
        let store = Store::open(&db).await?;
        // The long chat first, so it is not the newest (the one the app might open by itself).
        for (title, text) in [
            ("Long notes", LOST.repeat(5000)),
            ("Trip to Lisbon", "Which trams go to Belém?".to_owned()),
            ("Sourdough", "How long should the levain rest?".to_owned()),
        ] {
            let chat = store
                .create_conversation(NewConversation {
                    title: title.into(),
                    ..Default::default()
                })
                .await?;
            store
                .append_message(chat.id, NewMessage::user(text))
                .await?;
        }
        recovery::backup(&db, None, store.now()).await?;
        store.close().await;
    }

    let app = App::launch(&data).await?;
    app.eventually("the chats in the sidebar", || async {
        let n = app.texts("[data-testid=conversation-item]").await?.len();
        Ok((n == 3).then_some(()))
    })
    .await?;
    // The disk fails under the running app.
    assert!(break_pages_holding_in_place(&db, LOST) > 0);
    app.client
        .find(Locator::XPath(
            "//*[@data-testid='conversation-item'][.//*[normalize-space()='Long notes']]//*[contains(@class,'item')]",
        ))
        .await?
        .click()
        .await?;

    let screen = app.wait_for(Locator::Css("main.recovery")).await?;
    assert_eq!(
        screen.attr("data-code").await?.as_deref(),
        Some("database_damaged")
    );
    assert_eq!(
        app.texts("#recovery-title").await?,
        ["Your chats database is damaged"]
    );
    let message = app.texts(".recovery .message").await?.join(" ");
    for words in [
        db.display().to_string().as_str(),
        "is damaged",
        "confab-cli db check",
    ] {
        assert!(message.contains(words), "{words:?} in: {message}");
    }
    for action in ["Export what can still be read…", "Try again", "Quit"] {
        app.client
            .find(Locator::XPath(&format!(
                "//main[contains(@class,'recovery')]//button[normalize-space()='{action}']"
            )))
            .await?;
    }
    app.eventually("the backup in the list", || async {
        let rows = app.texts(".snapshot .detail").await?;
        Ok(rows.iter().any(|r| r.contains("3 chats")).then_some(()))
    })
    .await?;
    app.screenshot("recovery-mid-session").await?;

    // Confab stopped using the file: trying again finds the damage again and writes nothing.
    let before = std::fs::read(&db)?;
    app.client
        .find(Locator::XPath("//button[normalize-space()='Try again']"))
        .await?
        .click()
        .await?;
    app.eventually("the damage found again", || async {
        let busy = app.texts(".recovery [aria-live]").await?.join(" ");
        let code = app
            .wait_for(Locator::Css("main.recovery"))
            .await?
            .attr("data-code")
            .await?;
        Ok(
            (!busy.contains("Starting") && code.as_deref() == Some("database_damaged"))
                .then_some(()),
        )
    })
    .await?;
    assert!(std::fs::read(&db)? == before, "nothing more was written");

    // A restore, in the same window, and the app goes on with the chats of the backup.
    app.wait_for(Locator::Css(".snapshot button.restore"))
        .await?
        .click()
        .await?;
    app.wait_for(Locator::Css(".confirm button.primary"))
        .await?
        .click()
        .await?;
    let mut titles = app
        .eventually("the restored chats in the sidebar", || async {
            let titles = app.texts("[data-testid=conversation-item] .title").await?;
            Ok((titles.len() == 3).then_some(titles))
        })
        .await?;
    titles.sort();
    assert_eq!(titles, ["Long notes", "Sourdough", "Trip to Lisbon"]);
    app.quit().await?;
    Ok(())
}
