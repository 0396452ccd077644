//! Versions, continue and edit in the real window, with replies from a scripted server: regenerate
//! shows "2 / 2" and switching back shows the first text; a stopped reply continues in the same
//! message; the last question is edited and resent.

use std::time::Duration;

use confab_test_support::fault::{delta, finish, Ending, FaultServer, Reply, DONE};
use confab_tests::fantoccini::Locator;
use confab_tests::{App, DataDir, Result};

fn answer(text: &str) -> Reply {
    Reply::sse([delta(text), finish("stop"), DONE.to_owned()])
}

/// Each assistant message's text and status, in order, read from the DOM.
async fn replies(app: &App) -> Result<Vec<(String, String)>> {
    let value = app
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=message][data-role=assistant]')]
               .map(m => [m.querySelector('[data-testid=message-content]')?.textContent.trim() ?? '',
                          m.dataset.status]);",
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(value)?)
}

/// Waits until the assistant messages are exactly `expected` (text, status).
async fn wait_replies(app: &App, what: &str, expected: &[(&str, &str)]) -> Result<()> {
    app.eventually(what, || async {
        let now = replies(app).await?;
        let same = now.len() == expected.len()
            && now
                .iter()
                .zip(expected)
                .all(|((t, s), (et, es))| t == et && s == es);
        Ok(same.then_some(()))
    })
    .await
}

async fn version_label(app: &App) -> Result<Option<String>> {
    Ok(app
        .texts("[data-testid=version-label]")
        .await?
        .into_iter()
        .next())
}

async fn wait_label(app: &App, label: &str) -> Result<()> {
    app.eventually(&format!("the switcher to show {label}"), || async {
        Ok((version_label(app).await?.as_deref() == Some(label)).then_some(()))
    })
    .await
}

/// The visible messages as saved, read from the database the app writes.
async fn saved(data: &DataDir) -> Result<Vec<(i64, String, String)>> {
    use confab_core::store::{ListConversations, Store};
    let store = Store::open(&data.path().join("confab.db")).await?;
    let chats = store
        .list_conversations(ListConversations::default())
        .await?;
    let chat = chats.items.first().ok_or("no chat saved")?;
    let messages = store.messages_before(chat.id, None, 100).await?;
    store.close().await;
    Ok(messages
        .into_iter()
        .map(|m| (m.id.0, m.content, m.status.as_str().to_owned()))
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regenerate_then_switch_between_the_versions() -> Result<()> {
    let server = FaultServer::start().await;
    server.chat([answer("The first answer."), answer("The second answer.")]);
    let data = DataDir::new()?;
    let app = App::launch_with_env(&data, &[("CONFAB_ENDPOINT", &server.url())]).await?;
    app.new_chat_and_ask("Say something").await?;
    wait_replies(
        &app,
        "the first reply",
        &[("The first answer.", "complete")],
    )
    .await?;
    assert_eq!(version_label(&app).await?, None, "one version: no switcher");

    app.click("regenerate").await?;
    wait_replies(
        &app,
        "the new version",
        &[("The second answer.", "complete")],
    )
    .await?;
    wait_label(&app, "2 / 2").await?;
    app.resize(1280, 800).await?;
    app.screenshot("versions-2-of-2-1280x800").await?;

    app.click("version-prev").await?;
    wait_label(&app, "1 / 2").await?;
    wait_replies(
        &app,
        "the first version again",
        &[("The first answer.", "complete")],
    )
    .await?;
    let shown = saved(&data).await?;
    assert_eq!(shown.len(), 2);
    assert_eq!(shown[1].1, "The first answer.", "the choice is saved");

    app.click("version-next").await?;
    wait_label(&app, "2 / 2").await?;
    wait_replies(
        &app,
        "the second version again",
        &[("The second answer.", "complete")],
    )
    .await?;

    // The choice survives a restart.
    app.click("version-prev").await?;
    wait_label(&app, "1 / 2").await?;
    app.quit().await?;
    let app = App::launch_with_env(&data, &[("CONFAB_ENDPOINT", &server.url())]).await?;
    // The sidebar fills in after the window shows: wait for the saved chat.
    app.wait_for(Locator::Css("[data-testid=conversation-item] .item"))
        .await?
        .click()
        .await?;
    wait_replies(
        &app,
        "the chosen version after a restart",
        &[("The first answer.", "complete")],
    )
    .await?;
    wait_label(&app, "1 / 2").await?;
    app.quit().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_reply_continues_in_the_same_message() -> Result<()> {
    let server = FaultServer::start().await;
    let words: Vec<String> = (0..300).map(|i| delta(&format!("word{i} "))).collect();
    server.chat([
        Reply::sse(words)
            .paced(Duration::from_millis(30))
            .ending(Ending::Stall),
        answer("and that is the end."),
    ]);
    let data = DataDir::new()?;
    let app = App::launch_with_env(&data, &[("CONFAB_ENDPOINT", &server.url())]).await?;
    app.resize(1280, 800).await?;
    app.new_chat_and_ask("Tell me a long story").await?;
    app.eventually("the reply to stream", || async {
        let now = replies(&app).await?;
        Ok(now
            .first()
            .filter(|(t, s)| s == "streaming" && t.len() > 30)
            .map(|_| ()))
    })
    .await?;
    app.click("stop").await?;
    let (partial, _) = app
        .eventually("the reply to stop", || async {
            Ok(replies(&app)
                .await?
                .into_iter()
                .next()
                .filter(|(_, s)| s == "interrupted"))
        })
        .await?;
    let before = saved(&data).await?;
    assert_eq!(before.len(), 2);
    let continue_button = app.wait_for(Locator::Css("[data-testid=continue]")).await?;
    assert_eq!(continue_button.text().await?, "Continue");
    app.screenshot("versions-stopped-1280x800").await?;

    continue_button.click().await?;
    let expected = format!("{partial} and that is the end.");
    wait_replies(&app, "the same reply to grow", &[(&expected, "complete")]).await?;
    let after = saved(&data).await?;
    assert_eq!(after.len(), 2, "no new message");
    assert_eq!(after[1].0, before[1].0, "the same message grew");
    assert_eq!(after[1].2, "complete");
    assert!(after[1].1.starts_with(&before[1].1) && after[1].1.ends_with("the end."));
    // A continued reply is one version: regenerate is offered, no switcher.
    app.wait_for(Locator::Css("[data-testid=regenerate]"))
        .await?;
    assert_eq!(version_label(&app).await?, None);
    app.quit().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_question_is_edited_and_resent() -> Result<()> {
    let server = FaultServer::start().await;
    server.chat([answer("Berlin."), answer("Paris.")]);
    let data = DataDir::new()?;
    let app = App::launch_with_env(&data, &[("CONFAB_ENDPOINT", &server.url())]).await?;
    app.new_chat_and_ask("Capital of Germany?").await?;
    wait_replies(&app, "the first reply", &[("Berlin.", "complete")]).await?;

    app.click("edit").await?;
    let editor = app
        .wait_for(Locator::Css("[data-testid=edit-text]"))
        .await?;
    assert_eq!(
        editor.prop("value").await?.as_deref(),
        Some("Capital of Germany?")
    );
    editor.clear().await?;
    editor.send_keys("Capital of France?").await?;
    app.resize(1280, 800).await?;
    app.screenshot("versions-edit-1280x800").await?;
    app.click("save-edit").await?;
    wait_replies(
        &app,
        "the reply to the edited question",
        &[("Paris.", "complete")],
    )
    .await?;
    let questions = app
        .texts("[data-testid=message][data-role=user] [data-testid=message-content]")
        .await?;
    assert_eq!(questions, ["Capital of France?"]);
    // The answer to the earlier text is kept as a version.
    wait_label(&app, "2 / 2").await?;
    let shown = saved(&data).await?;
    assert_eq!(
        shown.iter().map(|m| m.1.as_str()).collect::<Vec<_>>(),
        ["Capital of France?", "Paris."]
    );

    // Cancel leaves everything as it was.
    app.click("edit").await?;
    app.wait_for(Locator::Css("[data-testid=edit-text]"))
        .await?;
    app.click("cancel-edit").await?;
    app.eventually("the editor to close", || async {
        Ok(app
            .texts("[data-testid=edit-text]")
            .await?
            .is_empty()
            .then_some(()))
    })
    .await?;
    assert_eq!(server.chat_requests().len(), 2);
    app.quit().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_that_hit_its_length_limit_continues() -> Result<()> {
    let server = FaultServer::start().await;
    server.chat([
        Reply::sse([delta("Roses are red,"), finish("length"), DONE.to_owned()]),
        answer(" violets are blue."),
    ]);
    let data = DataDir::new()?;
    let app = App::launch_with_env(&data, &[("CONFAB_ENDPOINT", &server.url())]).await?;
    app.new_chat_and_ask("A poem, please").await?;
    wait_replies(&app, "the cut reply", &[("Roses are red,", "complete")]).await?;
    let badge = app
        .wait_for(Locator::Css("[data-testid=length-badge]"))
        .await?;
    assert_eq!(badge.text().await?, "hit the length limit");
    let continue_button = app.wait_for(Locator::Css("[data-testid=continue]")).await?;
    assert_eq!(continue_button.text().await?, "Continue");
    continue_button.click().await?;
    wait_replies(
        &app,
        "the continued reply",
        &[("Roses are red, violets are blue.", "complete")],
    )
    .await?;
    assert!(app.texts("[data-testid=length-badge]").await?.is_empty());
    assert_eq!(saved(&data).await?.len(), 2, "the same message grew");
    app.quit().await?;
    Ok(())
}
