//! Attachments in the real window: a text file and an image attached by the button (the native
//! open dialog answered through the test-only `CONFAB_TEST_OPEN_FILES`, since WebDriver cannot
//! drive it) and by a drop (run through the same Rust path as the window's drop event, since
//! WebDriver cannot drag files in from outside), the request's body checked at the fault server,
//! the files shown with the message; and llama.cpp's real server, which has no projector,
//! refusing an image with a clear error. Screenshots in light and dark, wide and narrow.

use std::path::PathBuf;

use confab_core::paths::DATABASE_FILE;
use confab_core::settings::{AppSettings, Theme};
use confab_core::store::Store;
use confab_test_support::fault::{delta, FaultServer, Reply, DONE};
use confab_tests::fantoccini::Locator;
use confab_tests::llama::LlamaServer;
use confab_tests::{workspace_root, App, DataDir, Result};

fn fixture(name: &str) -> PathBuf {
    workspace_root()
        .join("tests/fixtures/attachments")
        .join(name)
}

async fn with_theme(data: &DataDir, theme: Theme) -> Result<()> {
    let store = Store::open(&data.path().join(DATABASE_FILE)).await?;
    AppSettings {
        theme,
        ..Default::default()
    }
    .save(&store)
    .await?;
    store.close().await;
    Ok(())
}

async fn count(app: &App, css: &str) -> Result<usize> {
    Ok(app.texts(css).await?.len())
}

/// Types `text` in the composer and sends it with the button.
async fn send(app: &App, text: &str) -> Result<()> {
    let composer = app.wait_for(Locator::Css("[data-testid=composer]")).await?;
    composer.send_keys(text).await?;
    app.click("send").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_file_and_an_image_by_the_button_and_by_a_drop() -> Result<()> {
    let png = std::fs::read(fixture("sunset.png"))?;
    let png_url = confab_core::attachments::data_url("image/png", &png);
    for (theme, name) in [(Theme::Light, "light"), (Theme::Dark, "dark")] {
        let server = FaultServer::start().await;
        server.vision(true, 8192);
        server.chat([Reply::sse([
            delta("A sunset over the sea, and your notes."),
            DONE.to_owned(),
        ])]);
        let data = DataDir::new()?;
        with_theme(&data, theme).await?;
        let files = std::env::join_paths([fixture("notes.md"), fixture("sunset.png")])?;
        let url = server.url();
        let app = App::launch_with_env(
            &data,
            &[
                ("CONFAB_ENDPOINT", url.as_str()),
                ("CONFAB_TEST_OPEN_FILES", files.to_str().unwrap()),
                ("CONFAB_TEST_FILE_HOOKS", "1"),
            ],
        )
        .await?;
        app.click("new-chat").await?;

        // By the button: both files wait as chips, the image with its thumbnail.
        app.click("attach").await?;
        app.eventually("two files waiting in the composer", || async {
            Ok((count(&app, "[data-testid=pending-attachment]").await? == 2).then_some(()))
        })
        .await?;
        let thumbs = app
            .client
            .execute(
                "return [...document.querySelectorAll('[data-testid=pending-attachment] img')]
                   .map(i => i.src.slice(0, 22))",
                vec![],
            )
            .await?;
        assert_eq!(thumbs, serde_json::json!(["data:image/png;base64,"]));
        send(&app, "What do you see?").await?;
        app.eventually("the reply", || async {
            Ok(app
                .texts("[data-testid=message][data-role=assistant] [data-testid=message-content]")
                .await?
                .into_iter()
                .find(|t| t.contains("sunset")))
        })
        .await?;

        // The request carried the file's text and the image as a content part.
        let body = &server.chat_requests()[0];
        let content = &body["messages"].as_array().unwrap().last().unwrap()["content"];
        assert_eq!(
            content[0]["text"],
            "What do you see?\n\nFile: notes.md\n```markdown\n# Trip notes\n\n- leave at 7\n- bring the camera\n```"
        );
        assert_eq!(content[1]["image_url"]["url"], png_url);
        // The message shows its files: the image as a thumbnail, the text file as a chip.
        app.eventually("the image shown with the message", || async {
            let shown = app
                .client
                .execute(
                    "const i = document.querySelector('[data-testid=message-attachment][data-kind=image] img');
                     return !!i && i.complete && i.naturalWidth === 96;",
                    vec![],
                )
                .await?;
            Ok((shown == serde_json::Value::Bool(true)).then_some(()))
        })
        .await?;
        let chips = app
            .texts("[data-testid=message-attachment][data-kind=text]")
            .await?;
        assert!(chips[0].contains("notes.md"), "{chips:?}");
        assert_eq!(count(&app, "[data-testid=pending-attachment]").await?, 0);
        // The question shows what was written; the file's text is behind its chip.
        assert_eq!(
            app.texts("[data-testid=message][data-role=user] [data-testid=message-content]")
                .await?,
            ["What do you see?"]
        );
        app.click("text-file-chip").await?;
        let opened = app
            .eventually("the file's text in its dialog", || async {
                let text = app.texts("[data-testid=text-file-content]").await?;
                Ok((!text.is_empty()).then(|| text.join("")))
            })
            .await?;
        assert!(opened.contains("# Trip notes") && opened.contains("bring the camera"));
        if name == "light" {
            app.screenshot("attachments-text-file-light-1280x800")
                .await?;
        }
        app.client
            .find(Locator::XPath(
                "//*[@data-testid='text-file']//button[normalize-space()='Close']",
            ))
            .await?
            .click()
            .await?;

        for (width, height) in [(1280, 800), (800, 600)] {
            app.resize(width, height).await?;
            tokio::time::sleep(std::time::Duration::from_millis(400)).await;
            app.screenshot(&format!("attachments-{name}-{width}x{height}"))
                .await?;
        }
        app.resize(1280, 800).await?;

        // By a drop: the same path as the window's drop event, then sent.
        server.chat([Reply::sse([delta("The same sunset."), DONE.to_owned()])]);
        let dropped = app
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 window.__TAURI_INTERNALS__.invoke('test_drop_files', { paths: [arguments[0]] })
                   .then(() => done(null), (e) => done(String(e && e.message || e)));",
                vec![fixture("sunset.png").to_str().unwrap().into()],
            )
            .await?;
        assert_eq!(dropped, serde_json::Value::Null, "the drop hook answered");
        app.eventually("the dropped image waiting in the composer", || async {
            Ok((count(&app, "[data-testid=pending-attachment]").await? == 1).then_some(()))
        })
        .await?;
        app.screenshot(&format!("attachments-pending-{name}-1280x800"))
            .await?;
        // Only the image, no words: sent, then edited and sent again with words.
        app.click("send").await?;
        app.eventually("the second request", || async {
            Ok((server.chat_requests().len() == 2).then_some(()))
        })
        .await?;
        let body = &server.chat_requests()[1];
        let last = body["messages"].as_array().unwrap().last().unwrap().clone();
        let parts = last["content"].as_array().unwrap().clone();
        assert!(
            parts.iter().any(|p| p["image_url"]["url"] == png_url),
            "{parts:?}"
        );
        app.eventually("the second reply", || async {
            Ok(
                (count(&app, "[data-testid=message][data-role=assistant]").await? == 2)
                    .then_some(()),
            )
        })
        .await?;
        server.chat([Reply::sse([delta("Orange and pink."), DONE.to_owned()])]);
        app.click("edit").await?;
        let field = app
            .wait_for(Locator::Css("[data-testid=edit-text]"))
            .await?;
        field.send_keys("What colours are in this one?").await?;
        app.click("save-edit").await?;
        app.eventually("the edited question's request", || async {
            Ok((server.chat_requests().len() == 3).then_some(()))
        })
        .await?;
        let body = &server.chat_requests()[2];
        let last = body["messages"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["content"][0]["text"], "What colours are in this one?");
        assert_eq!(last["content"][1]["image_url"]["url"], png_url);
        app.quit().await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llama_cpp_without_a_projector_refuses_an_image_clearly() -> Result<()> {
    let server = LlamaServer::start(2048, 1)?;
    let data = DataDir::new()?;
    let files = std::env::join_paths([fixture("sunset.png")])?;
    let app = App::launch_with_env(
        &data,
        &[
            ("CONFAB_ENDPOINT", server.url.as_str()),
            ("CONFAB_TEST_OPEN_FILES", files.to_str().unwrap()),
        ],
    )
    .await?;
    app.click("new-chat").await?;
    app.click("attach").await?;
    app.eventually("the image waiting in the composer", || async {
        Ok((count(&app, "[data-testid=pending-attachment]").await? == 1).then_some(()))
    })
    .await?;
    send(&app, "What is in this picture?").await?;
    let error = app
        .eventually("an error that says the model takes no images", || async {
            let text = app.texts("[role=alert]").await?.join(" ");
            Ok(
                (text.contains("does not take images") || text.contains("cannot read images"))
                    .then_some(text),
            )
        })
        .await?;
    assert!(
        error.contains("sunset.png") || error.contains("--mmproj"),
        "{error}"
    );
    // The image stays in the composer, so it can be removed and the question sent alone.
    assert_eq!(count(&app, "[data-testid=pending-attachment]").await?, 1);
    app.quit().await?;
    Ok(())
}

/// What llama.cpp's real server answers to an image it cannot read (no projector): the client
/// maps it to `no_vision` with the way forward, and `/props` says so up front.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llama_cpp_says_it_takes_no_images_and_its_refusal_is_mapped() -> Result<()> {
    use confab_core::error::{Coded, ErrorCode};
    use confab_core::llm::{ChatMessage, ChatRequest, Endpoint, LlmClient, RetryPolicy, Timeouts};
    let server = LlamaServer::start(2048, 1)?;
    let client = LlmClient::new(
        Endpoint::new(&server.url, None)?,
        Timeouts::default(),
        RetryPolicy {
            max_attempts: 1,
            ..Default::default()
        },
    );
    assert_eq!(client.reports_vision(None).await, Some(false));
    let png = std::fs::read(fixture("sunset.png"))?;
    let mut message = ChatMessage::user("What is in this picture?");
    message.images = vec![confab_core::attachments::data_url("image/png", &png)];
    let request = ChatRequest {
        messages: vec![message],
        max_tokens: Some(8),
        ..Default::default()
    };
    let err = client
        .complete(&request, &tokio_util::sync::CancellationToken::new())
        .await
        .expect_err("a server without a projector cannot read the image");
    assert_eq!(err.code(), ErrorCode::NoVision, "{err}");
    assert!(err.to_string().contains("--mmproj"), "{err}");
    Ok(())
}

/// The composer's value and the names of the files waiting in it.
async fn composer_state(app: &App) -> Result<(String, Vec<String>)> {
    let value = app
        .client
        .execute(
            "return document.querySelector('[data-testid=composer]').value",
            vec![],
        )
        .await?;
    let names = app.texts("[data-testid=pending-attachment] .name").await?;
    Ok((value.as_str().unwrap_or_default().to_owned(), names))
}

/// Waits for the sidebar to list `n` chats.
async fn wait_rows(app: &App, n: usize) -> Result<()> {
    app.eventually(&format!("{n} chats in the sidebar"), || async {
        Ok((count(app, "[data-testid=conversation-item]").await? == n).then_some(()))
    })
    .await
}

/// The id of the chat shown (the sidebar's current row).
async fn current_chat(app: &App) -> Result<String> {
    app.eventually("a chat to be shown", || async {
        let id = app
            .client
            .execute(
                "const row = document.querySelector('[data-testid=conversation-item]:has(.item[aria-current=page])');
                 return row ? row.dataset.id : null;",
                vec![],
            )
            .await?;
        Ok(id.as_str().map(str::to_owned))
    })
    .await
}

/// Opens the chat with this id from the sidebar and waits for it to be shown.
async fn open_chat(app: &App, id: &str) -> Result<()> {
    app.client
        .execute(
            "document.querySelector(`[data-testid=conversation-item][data-id='${arguments[0]}'] .item`).click()",
            vec![id.into()],
        )
        .await?;
    app.eventually("the chat to open", || async {
        Ok((current_chat(app).await? == id).then_some(()))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_chat_keeps_its_own_draft_and_files_across_a_restart() -> Result<()> {
    let server = FaultServer::start().await;
    server.chat([Reply::sse([delta("Noted."), DONE.to_owned()])]);
    let data = DataDir::new()?;
    let files = std::env::join_paths([fixture("notes.md")])?;
    let url = server.url();
    let env = [
        ("CONFAB_ENDPOINT", url.as_str()),
        ("CONFAB_TEST_OPEN_FILES", files.to_str().unwrap()),
    ];
    let app = App::launch_with_env(&data, &env).await?;

    // The first chat: a half-written message and a file, not sent.
    app.click("new-chat").await?;
    wait_rows(&app, 1).await?;
    let first = current_chat(&app).await?;
    let composer = app.wait_for(Locator::Css("[data-testid=composer]")).await?;
    composer.send_keys("Summarise my trip notes").await?;
    app.click("attach").await?;
    app.eventually("the file waiting in the composer", || async {
        Ok((count(&app, "[data-testid=pending-attachment]").await? == 1).then_some(()))
    })
    .await?;

    // Another chat starts with an empty composer, and has its own draft.
    app.click("new-chat").await?;
    wait_rows(&app, 2).await?;
    let second = current_chat(&app).await?;
    assert_ne!(first, second);
    app.eventually("an empty composer in the new chat", || async {
        Ok((composer_state(&app).await? == (String::new(), vec![])).then_some(()))
    })
    .await?;
    let composer = app.wait_for(Locator::Css("[data-testid=composer]")).await?;
    composer.send_keys("Something else entirely").await?;

    // Back in the first chat, its text and file are there.
    open_chat(&app, &first).await?;
    assert_eq!(
        composer_state(&app).await?,
        (
            "Summarise my trip notes".to_owned(),
            vec!["notes.md".to_owned()]
        )
    );
    // The text is kept once typing pauses: both chats' drafts are in the database before Confab
    // quits.
    let store = Store::open(&data.path().join(DATABASE_FILE)).await?;
    let wanted = [
        (first.parse::<i64>()?, "Summarise my trip notes"),
        (second.parse::<i64>()?, "Something else entirely"),
    ];
    app.eventually("both chats' drafts saved", || async {
        let saved = store.drafts().await?;
        Ok(wanted
            .iter()
            .all(|(id, text)| {
                saved
                    .iter()
                    .any(|d| d.conversation_id.0 == *id && d.text == *text)
            })
            .then_some(()))
    })
    .await?;
    store.close().await;
    app.quit().await?;

    // After a restart both drafts are back, the file ready to send.
    let app = App::launch_with_env(&data, &env).await?;
    wait_rows(&app, 2).await?;
    open_chat(&app, &first).await?;
    app.eventually("the first chat's draft back", || async {
        let state = composer_state(&app).await?;
        Ok((state
            == (
                "Summarise my trip notes".to_owned(),
                vec!["notes.md".to_owned()],
            ))
            .then_some(()))
    })
    .await?;
    app.click("send").await?;
    app.eventually("the request", || async {
        Ok((server.chat_requests().len() == 1).then_some(()))
    })
    .await?;
    let body = &server.chat_requests()[0];
    let last = body["messages"].as_array().unwrap().last().unwrap().clone();
    let text = last["content"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| {
            last["content"][0]["text"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        });
    assert!(
        text.starts_with("Summarise my trip notes\n\nFile: notes.md\n```markdown\n# Trip notes"),
        "{text}"
    );
    app.eventually("an empty composer after the send", || async {
        Ok((composer_state(&app).await? == (String::new(), vec![])).then_some(()))
    })
    .await?;

    // The other chat's draft waited for it, with no file of the first chat's.
    open_chat(&app, &second).await?;
    assert_eq!(
        composer_state(&app).await?,
        ("Something else entirely".to_owned(), vec![])
    );
    app.quit().await?;

    // Sent is gone for good; the other draft stays.
    let app = App::launch_with_env(&data, &env).await?;
    wait_rows(&app, 2).await?;
    // The drafts come back together at start: once the second chat's is there, the first
    // chat's absence is what was restored, not a load still on its way.
    open_chat(&app, &second).await?;
    app.eventually("the second chat's draft", || async {
        Ok(
            (composer_state(&app).await? == ("Something else entirely".to_owned(), vec![]))
                .then_some(()),
        )
    })
    .await?;
    open_chat(&app, &first).await?;
    assert_eq!(composer_state(&app).await?, (String::new(), vec![]));
    app.quit().await?;
    Ok(())
}
