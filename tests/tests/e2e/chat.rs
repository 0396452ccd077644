//! Chatting in the real window: a reply streams in from llama.cpp's real server, Stop keeps the
//! partial reply, and it is all there after a restart; with no server, the error says what to do
//! and offers the servers found running.

use confab_tests::fantoccini::key::Key;
use confab_tests::fantoccini::Locator;
use confab_tests::llama::LlamaServer;
use confab_tests::{App, DataDir, Result};

/// Text and status of the last message of a role, read from the DOM.
async fn last_message(app: &App, role: &str) -> Result<Option<(String, String)>> {
    let value = app
        .client
        .execute(
            "const all = document.querySelectorAll(`[data-testid=message][data-role=${arguments[0]}]`);
             const m = all[all.length - 1];
             if (!m) return null;
             const c = m.querySelector('[data-testid=message-content]');
             return [c ? c.textContent : '', m.dataset.status];",
            vec![role.into()],
        )
        .await?;
    Ok(serde_json::from_value(value)?)
}

/// The reply's saved text, read from the database the app writes, as another front end would.
async fn saved_reply(data: &DataDir) -> Result<(String, String)> {
    use confab_core::store::{ListConversations, Store};
    let store = Store::open(&data.path().join("confab.db")).await?;
    let chats = store
        .list_conversations(ListConversations::default())
        .await?;
    for chat in chats.items {
        if let Some(m) = store.tail_messages(chat.id, 1).await?.pop() {
            store.close().await;
            return Ok((m.content, m.status.as_str().to_owned()));
        }
    }
    Err("no saved reply".into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_streams_in_stops_and_survives_a_restart() -> Result<()> {
    let server = LlamaServer::start(2048, 1)?;
    let data = DataDir::new()?;
    let app = App::launch_with_env(&data, &[("CONFAB_ENDPOINT", &server.url)]).await?;
    app.new_chat_and_ask("Tell me a long story about a lighthouse keeper.")
        .await?;

    // The question is saved and shown, the chat is named after it, and the reply grows.
    let (question, _) = app
        .eventually("the question in the chat", || async {
            last_message(&app, "user").await
        })
        .await?;
    assert_eq!(question, "Tell me a long story about a lighthouse keeper.");
    let first = app
        .eventually("the reply to start streaming", || async {
            Ok(last_message(&app, "assistant")
                .await?
                .filter(|(text, status)| status == "streaming" && text.len() > 10))
        })
        .await?;
    app.eventually("the reply to keep growing", || async {
        Ok(last_message(&app, "assistant")
            .await?
            .filter(|(text, _)| text.len() > first.0.len() + 20))
    })
    .await?;
    assert_eq!(
        app.texts("[data-testid=live]").await?.len(),
        1,
        "the sidebar shows the chat is receiving"
    );
    let titles = app.texts("[data-testid=conversation-item] .title").await?;
    assert_eq!(titles, ["Tell me a long story about a lighthouse keeper."]);
    app.resize(1280, 800).await?;
    app.screenshot("chat-streaming-1280x800").await?;

    // Switch to another chat and back: the reply went on streaming and shows live again.
    app.wait_for(Locator::Css("[data-testid=new-chat]"))
        .await?
        .click()
        .await?;
    app.eventually("the other chat to open", || async {
        let n = app.texts("[data-testid=message]").await?.len();
        Ok((n == 0).then_some(()))
    })
    .await?;
    let (away, _) = saved_reply(&data).await?;
    app.client
        .execute(
            "Array.from(document.querySelectorAll('[data-testid=conversation-item] .item')).pop().click()",
            vec![],
        )
        .await?;
    app.eventually("the streaming reply to show again, longer", || async {
        Ok(last_message(&app, "assistant")
            .await?
            .filter(|(text, status)| status == "streaming" && text.len() > away.len()))
    })
    .await?;

    // Stop: the request ends, the partial reply stays, marked, and can be continued.
    // (Raw text is compared in the database: rendered Markdown of a partial reply need not be a
    // prefix of the rendered whole.)
    let (saved_before_stop, _) = saved_reply(&data).await?;
    app.wait_for(Locator::Css("[data-testid=stop]"))
        .await?
        .click()
        .await?;
    let (stopped, status) = app
        .eventually("the reply to stop", || async {
            Ok(last_message(&app, "assistant")
                .await?
                .filter(|(_, status)| status == "interrupted"))
        })
        .await?;
    assert_eq!(status, "interrupted");
    let (saved_after_stop, saved_status) = saved_reply(&data).await?;
    assert_eq!(saved_status, "interrupted");
    assert!(
        saved_after_stop.starts_with(&saved_before_stop)
            && saved_after_stop.len() > first.0.len() / 2,
        "the text so far is kept"
    );
    app.wait_for(Locator::Css("[data-testid=continue]")).await?;
    app.screenshot("chat-stopped-1280x800").await?;
    app.quit().await?;

    let app = App::launch_with_env(&data, &[("CONFAB_ENDPOINT", &server.url)]).await?;
    let (after, status) = app
        .eventually("the saved reply after a restart", || async {
            last_message(&app, "assistant").await
        })
        .await?;
    assert_eq!(
        (after.as_str(), status.as_str()),
        (stopped.as_str(), "interrupted")
    );
    app.quit().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_server_the_error_says_what_to_do() -> Result<()> {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}", closed.local_addr()?);
    drop(closed);
    let data = DataDir::new()?;
    // In the dark theme (GTK's preference reaches the webview's prefers-color-scheme).
    let app = App::launch_with_env(
        &data,
        &[("CONFAB_ENDPOINT", &url), ("GTK_THEME", "Adwaita:dark")],
    )
    .await?;
    app.new_chat_and_ask("Hello?").await?;
    let error = app
        .eventually("the error under the reply", || async {
            let errors = app.texts("[data-testid=message-error]").await?;
            Ok(errors.into_iter().next())
        })
        .await?;
    assert!(error.contains(&format!("no server at {url}")), "{error}");
    assert!(
        error.contains("start LM Studio, llama-server or Ollama"),
        "{error}"
    );
    let retry = app.wait_for(Locator::Css("[data-testid=continue]")).await?;
    assert_eq!(retry.text().await?, "Retry");
    // The question was saved before anything was sent.
    assert_eq!(
        last_message(&app, "user").await?.map(|m| m.0),
        Some("Hello?".to_owned())
    );
    let dark = app
        .client
        .execute(
            "return matchMedia('(prefers-color-scheme: dark)').matches",
            vec![],
        )
        .await?;
    assert_eq!(dark, serde_json::Value::Bool(true));
    app.resize(1280, 800).await?;
    app.screenshot("chat-no-server-dark-1280x800").await?;
    app.resize(800, 600).await?;
    app.screenshot("chat-no-server-dark-800x600").await?;
    app.quit().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_reply_keeps_the_partial_reply_marked_interrupted() -> Result<()> {
    let server = LlamaServer::start(2048, 1)?;
    let data = DataDir::new()?;
    let app = App::launch_with_env(&data, &[("CONFAB_ENDPOINT", &server.url)]).await?;
    app.new_chat_and_ask("Write a long poem about the sea.")
        .await?;
    // Wait until part of the reply has reached the database, then kill the app outright.
    let saved = app
        .eventually("part of the reply to be saved", || async {
            let (text, status) = saved_reply(&data).await?;
            Ok((status == "streaming" && text.len() > 20).then_some(text))
        })
        .await?;
    let killed = std::process::Command::new("pkill")
        .args([
            "-KILL",
            "-f",
            &confab_tests::app_binary()?.to_string_lossy(),
        ])
        .status()?;
    assert!(killed.success(), "the app process was found and killed");
    drop(app);

    let app = App::launch_with_env(&data, &[("CONFAB_ENDPOINT", &server.url)]).await?;
    let (text, status) = app
        .eventually("the partial reply after the crash", || async {
            last_message(&app, "assistant").await
        })
        .await?;
    assert_eq!(status, "interrupted");
    assert!(!text.is_empty());
    let (kept, kept_status) = saved_reply(&data).await?;
    assert_eq!(kept_status, "interrupted");
    assert!(
        kept.starts_with(&saved),
        "nothing saved before the crash is lost"
    );
    app.wait_for(Locator::Css("[data-testid=continue]")).await?;
    app.quit().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_reply_offers_the_server_found_running() -> Result<()> {
    use confab_test_support::fault::{delta, finish, FaultServer, Reply, DONE};
    let running = FaultServer::start().await;
    running.script(
        "/v1/models",
        [Reply::json(200, r#"{"data":[{"id":"found-model"}]}"#)],
    );
    running.chat([Reply::sse([
        delta("Paris."),
        finish("stop"),
        DONE.to_owned(),
    ])]);
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?;
    let dead = format!("http://{}", closed.local_addr()?);
    drop(closed);
    let data = DataDir::new()?;
    let app = App::launch_with_env(
        &data,
        &[
            ("CONFAB_ENDPOINT", &dead),
            // Look for servers on the fault server's port, as on LM Studio's or llama.cpp's.
            ("CONFAB_PROBE_PORTS", &running.addr.port().to_string()),
        ],
    )
    .await?;
    app.new_chat_and_ask("What is the capital of France?")
        .await?;
    app.resize(800, 600).await?;
    let want = format!("Use {}/v1 (found-model)", running.url());
    app.eventually("the failed reply to offer the server found", || async {
        let offers = app.texts("[data-testid=use-server]").await?;
        Ok((offers == [want.as_str()]).then_some(()))
    })
    .await?;
    app.screenshot("chat-found-server-800x600").await?;
    let offer = app
        .wait_for(Locator::Css("[data-testid=use-server]"))
        .await?;
    offer.click().await?;
    app.eventually("the reply from the server found", || async {
        Ok(last_message(&app, "assistant")
            .await?
            .filter(|(text, status)| text.trim() == "Paris." && status == "complete"))
    })
    .await?;
    let footer = app
        .texts("[data-testid=open-server-settings] .server-url")
        .await?;
    assert_eq!(footer, [format!("{}/v1", running.url())]);
    assert!(app.texts("[data-testid=found-servers]").await?.is_empty());
    assert_eq!(running.chat_requests().len(), 1);
    app.quit().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pointing_the_app_at_a_running_server_from_the_failed_reply() -> Result<()> {
    let server = LlamaServer::start(2048, 1)?;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?;
    let dead = format!("http://{}", closed.local_addr()?);
    drop(closed);
    let data = DataDir::new()?;
    let app = App::launch_with_env(&data, &[("CONFAB_ENDPOINT", &dead)]).await?;
    app.new_chat_and_ask("What is the capital of France?")
        .await?;

    // The failed reply offers a way forward: change the server, check it, save it, retry.
    app.wait_for(Locator::Css("[data-testid=change-server]"))
        .await?
        .click()
        .await?;
    let input = app
        .wait_for(Locator::Css("[data-testid=server-url]"))
        .await?;
    input
        .send_keys(&format!("{}a{}", Key::Control, Key::Control))
        .await?;
    input.send_keys(&Key::Backspace.to_string()).await?;
    input.send_keys(&server.url).await?;
    app.wait_for(Locator::Css("[data-testid=check-server]"))
        .await?
        .click()
        .await?;
    let ok = app
        .eventually("the check to list the server's models", || async {
            Ok(app
                .texts("[data-testid=server-ok]")
                .await?
                .into_iter()
                .next())
        })
        .await?;
    assert!(ok.contains("smollm2") && ok.contains("2048 tokens"), "{ok}");
    app.screenshot("server-settings").await?;
    app.wait_for(Locator::Css("[data-testid=save-server]"))
        .await?
        .click()
        .await?;
    let footer = app
        .eventually("the sidebar to show the new server", || async {
            let t = app
                .texts("[data-testid=open-server-settings] .server-url")
                .await?;
            Ok(t.into_iter().next().filter(|u| u.starts_with(&server.url)))
        })
        .await?;
    assert_eq!(footer, format!("{}/v1", server.url));

    app.wait_for(Locator::Css("[data-testid=continue]"))
        .await?
        .click()
        .await?;
    app.eventually("a reply from the new server", || async {
        Ok(last_message(&app, "assistant")
            .await?
            .filter(|(text, status)| status != "error" && !text.is_empty()))
    })
    .await?;
    app.client
        .execute(
            "document.querySelector('[data-testid=stop]')?.click()",
            vec![],
        )
        .await?;
    app.quit().await?;

    // The choice is saved: a relaunch without the override uses it.
    let app = App::launch(&data).await?;
    let footer = app
        .eventually("the saved server after a restart", || async {
            let t = app
                .texts("[data-testid=open-server-settings] .server-url")
                .await?;
            Ok(t.into_iter().next().filter(|u| u != "…"))
        })
        .await?;
    assert_eq!(footer, format!("{}/v1", server.url));
    app.quit().await?;
    Ok(())
}
