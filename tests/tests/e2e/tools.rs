//! Tools in the real window, with the tests' own MCP server (`confab-test-mcp`) and a scripted
//! model: a consent card per call (deny with a reason, allow once, always allow), a hostile result
//! rendered as inert text, a changed tool held until approved and asking again, an imported
//! server waiting for approval and never started, and a server added in Settings. The native
//! confirmations Rust opens (GTK message dialogs) are answered with xdotool, as a person would
//! answer them from the keyboard: each button has a mnemonic (Alt+A adds, approves, always
//! allows; Escape cancels).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use confab_core::paths::DATABASE_FILE;
use confab_core::store::{NewConversation, Store};
use confab_core::tools::{logs_dir, HeaderSecrets, ServerDefinition, ToolHub};
use confab_test_support::fault::{delta, finish, tool_call, FaultServer, Reply, DONE};
use confab_test_support::mcp::stdio_server_exe;
use confab_tests::fantoccini::Locator;
use confab_tests::{App, DataDir, Result};
use serde_json::Value;

use crate::native::answer_native;

fn calls(name: &str, arguments: &str) -> Reply {
    Reply::sse([
        tool_call(Some(0), Some("call_1"), Some(name), arguments),
        finish("tool_calls"),
        DONE.into(),
    ])
}

fn answer(text: &str) -> Reply {
    Reply::sse([delta(text), finish("stop"), DONE.into()])
}

async fn ask(app: &App, question: &str) -> Result<()> {
    let composer = app.wait_for(Locator::Css("[data-testid=composer]")).await?;
    composer.send_keys(question).await?;
    composer
        .send_keys(&fantoccini::key::Key::Enter.to_string())
        .await?;
    Ok(())
}

/// Waits until the chat's last reply is complete and says `text`.
async fn reply_says(app: &App, text: &str) -> Result<()> {
    app.eventually(&format!("the reply {text:?}"), || async {
        let last = app
            .client
            .execute(
                "const m = [...document.querySelectorAll('[data-testid=message][data-role=assistant]')].pop();
                 return m ? [m.dataset.status, m.textContent] : null;",
                vec![],
            )
            .await?;
        let done = last[0] == "complete" && last[1].as_str().unwrap_or_default().contains(text);
        Ok(done.then_some(()))
    })
    .await
}

/// The last card's decision and text.
async fn last_card(app: &App) -> Result<(String, String)> {
    let card = app
        .client
        .execute(
            "const c = [...document.querySelectorAll('[data-testid=tool-call]')].pop();
             return c ? [c.dataset.decision, c.textContent] : ['', ''];",
            vec![],
        )
        .await?;
    Ok((
        card[0].as_str().unwrap_or_default().to_owned(),
        card[1].as_str().unwrap_or_default().to_owned(),
    ))
}

async fn pending_card(app: &App) -> Result<fantoccini::elements::Element> {
    app.wait_for(Locator::Css(
        "[data-testid=tool-call][data-decision=pending] [data-testid=allow-once]",
    ))
    .await
}

/// The `tool` messages of the model's `n`th chat request (from 1), by their text.
fn tool_results(server: &FaultServer, n: usize) -> Vec<String> {
    let requests = server.chat_requests();
    let Some(request) = requests.get(n - 1) else {
        return Vec::new();
    };
    request["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter(|m| m["role"] == "tool")
                .filter_map(|m| m["content"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn offered(server: &FaultServer, n: usize) -> Vec<String> {
    server.chat_requests()[n - 1]["tools"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter_map(|t| t["function"]["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Takes the window in light and dark, wide and narrow, as `tools-NAME-THEME-SIZE`.
async fn screenshots(app: &App, name: &str, css: &str) -> Result<()> {
    for (theme, width, height) in [
        ("light", 1280, 800),
        ("dark", 1280, 800),
        ("light", 800, 600),
        ("dark", 800, 600),
    ] {
        app.resize(width, height).await?;
        app.client
            .execute(
                "document.documentElement.dataset.theme = arguments[0];
                 [...document.querySelectorAll(arguments[1])].pop()?.scrollIntoView({block: 'center'});",
                vec![theme.into(), css.into()],
            )
            .await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        app.screenshot(&format!("tools-{name}-{theme}-{width}x{height}"))
            .await?;
    }
    app.client
        .execute("document.documentElement.dataset.theme = 'light'", vec![])
        .await?;
    app.resize(1280, 800).await?;
    Ok(())
}

/// Scrolls the (first) element with this test id to the middle of its scroller and clicks it, as
/// a person scrolls Settings down to a button.
async fn press(app: &App, testid: &str) -> Result<()> {
    let css = format!("[data-testid={testid}]");
    let element = app.wait_for(Locator::Css(&css)).await?;
    app.client
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView({block: 'center'})",
            vec![css.into()],
        )
        .await?;
    element.click().await?;
    Ok(())
}

/// Opens the one chat in the sidebar.
async fn open_the_chat(app: &App) -> Result<()> {
    app.wait_for(Locator::Css("[data-testid=conversation-item] .item"))
        .await?;
    app.client
        .execute(
            "document.querySelector('[data-testid=conversation-item] .item').click()",
            vec![],
        )
        .await?;
    app.wait_for(Locator::Css("[data-testid=composer]")).await?;
    Ok(())
}

async fn open_tools_settings(app: &App) -> Result<()> {
    app.click("open-server-settings").await?;
    app.wait_for(Locator::Css("[data-testid=tools-settings]"))
        .await?;
    Ok(())
}

async fn close_settings(app: &App) -> Result<()> {
    app.click("cancel-settings").await?;
    Ok(())
}

/// A database with the test server added (approved, its tools pinned) and one chat offering it.
async fn seed(data: &DataDir, description_file: &Path) -> Result<()> {
    let store = Store::open(&data.path().join(DATABASE_FILE)).await?;
    let hub = ToolHub::new(
        store.clone(),
        Arc::new(HeaderSecrets::default()),
        logs_dir(data.path()),
    );
    let exe = stdio_server_exe();
    let def = ServerDefinition::stdio(
        "test",
        exe.to_str().unwrap(),
        &["--description-file", description_file.to_str().unwrap()],
    );
    let added = hub.add(&def, &BTreeMap::new()).await?;
    added.started?;
    hub.shutdown().await;
    let chat = store
        .create_conversation(NewConversation {
            title: "Tools".into(),
            ..Default::default()
        })
        .await?;
    store
        .set_conversation_tool_servers(chat.id, Some(&[added.server.id]))
        .await?;
    store.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_cards_decide_every_call_and_results_stay_text() -> Result<()> {
    let model = FaultServer::start().await;
    model.chat([
        calls("test__write_note", r#"{"text": "buy milk"}"#),
        answer("Understood, no note."),
        calls("test__hostile", "{}"),
        answer("That was odd."),
        calls("test__echo", r#"{"text": "hi"}"#),
        answer("It said hi."),
        calls("test__echo", r#"{"text": "again"}"#),
        answer("The tool is held."),
        calls("test__echo", r#"{"text": "again"}"#),
        answer("It said again."),
    ]);
    let data = DataDir::new()?;
    let description = data.path().join("echo-description.txt");
    std::fs::write(&description, "Repeats the text back.")?;
    seed(&data, &description).await?;
    let app = App::launch_with_env(&data, &[("CONFAB_ENDPOINT", &model.url())]).await?;
    open_the_chat(&app).await?;

    // 1. A destructive tool: the card shows the server, the tool, its hints and the whole
    // arguments; denied with a reason, which the model reads.
    ask(&app, "Note that I need milk").await?;
    pending_card(&app).await?;
    let (decision, text) = last_card(&app).await?;
    assert_eq!(decision, "pending");
    for shown in [
        "write_note",
        "of test",
        "may change or delete things",
        "\"text\": \"buy milk\"",
    ] {
        assert!(text.contains(shown), "{shown:?} in the card: {text}");
    }
    screenshots(&app, "consent", "[data-testid=tool-call]").await?;
    app.click("deny").await?;
    let reason = app
        .wait_for(Locator::Css("[data-testid=deny-reason]"))
        .await?;
    reason.send_keys("not now, thanks").await?;
    app.click("confirm-deny").await?;
    reply_says(&app, "Understood, no note.").await?;
    let (decision, text) = last_card(&app).await?;
    assert_eq!(decision, "denied");
    assert!(text.contains("not now, thanks"), "{text}");
    assert_eq!(
        tool_results(&model, 2),
        ["The user denied this call. Their reason: not now, thanks"]
    );

    // 2. Allowed once, a hostile result: text on screen, nothing run, nothing loaded.
    ask(&app, "Show me the markup").await?;
    pending_card(&app).await?.click().await?;
    reply_says(&app, "That was odd.").await?;
    let report = app
        .client
        .execute(
            "const c = [...document.querySelectorAll('[data-testid=tool-call]')].pop();
             const r = c.querySelector('[data-testid=tool-result]');
             return {
               decision: c.dataset.decision,
               text: r.textContent,
               elements: r.querySelectorAll('*').length,
               risky: c.querySelectorAll('script, img, a, iframe, svg').length,
               pwned: window.__pwned ?? null,
             };",
            vec![],
        )
        .await?;
    assert_eq!(report["decision"], "allowed_once", "{report}");
    assert_eq!(
        report["elements"], 0,
        "the result is one text node: {report}"
    );
    assert_eq!(report["risky"], 0, "{report}");
    assert_eq!(report["pwned"], Value::Null, "{report}");
    let shown = report["text"].as_str().unwrap_or_default();
    for raw in [
        "<script>window.__pwned = 1</script>",
        "onerror=",
        "javascript:window.__pwned=3",
        "https://example.com/track.png",
        "\\u{001B}[31mred",
    ] {
        assert!(shown.contains(raw), "{raw:?} shown as text: {shown}");
    }
    screenshots(&app, "result", "[data-testid=tool-result]").await?;

    // 3. A read-only tool, always allowed after the native confirmation.
    ask(&app, "Echo hi").await?;
    pending_card(&app).await?;
    app.click("allow-always").await?;
    answer_native("Always allow", "alt+a").await?;
    reply_says(&app, "It said hi.").await?;
    assert_eq!(last_card(&app).await?.0, "allowed_always");
    assert_eq!(
        tool_results(&model, 6).last().map(String::as_str),
        Some("hi")
    );

    // 4. The server comes back with echo changed: held, so not offered, and a call of it is not
    // run. Settings shows the old and new description side by side; approving it natively lets
    // it run again, but the earlier "always" does not carry over: the card asks again.
    std::fs::write(&description, "Repeats the text back, and reads your files.")?;
    open_tools_settings(&app).await?;
    press(&app, "tool-server-off").await?;
    press(&app, "tool-server-on").await?;
    close_settings(&app).await?;
    ask(&app, "Echo again").await?;
    reply_says(&app, "The tool is held.").await?;
    assert!(
        !offered(&model, 7).contains(&"test__echo".to_owned()),
        "a held tool is not offered: {:?}",
        offered(&model, 7)
    );
    assert_eq!(last_card(&app).await?.0, "invalid");
    open_tools_settings(&app).await?;
    let change = app
        .wait_for(Locator::Css("[data-testid=tool-change]"))
        .await?
        .text()
        .await?;
    assert!(
        change.contains("Repeats the text back.") && change.contains("and reads your files"),
        "{change}"
    );
    app.client
        .execute(
            "document.querySelector('[data-testid=tool-change]').scrollIntoView({block: 'center'})",
            vec![],
        )
        .await?;
    app.screenshot("tools-changed-light-1280x800").await?;
    press(&app, "approve-tool-server").await?;
    answer_native("Approve the tool server", "alt+a").await?;
    app.eventually("the change to be approved", || async {
        let changes = app.texts("[data-testid=tool-change]").await?;
        Ok(changes.is_empty().then_some(()))
    })
    .await?;
    close_settings(&app).await?;
    ask(&app, "Echo again, please").await?;
    pending_card(&app).await?.click().await?;
    reply_says(&app, "It said again.").await?;
    assert_eq!(
        tool_results(&model, 10).last().map(String::as_str),
        Some("again")
    );

    app.quit().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_server_waits_and_one_added_in_settings_is_confirmed_natively() -> Result<()> {
    let model = FaultServer::start().await;
    model.chat([answer("No tools here.")]);
    let data = DataDir::new()?;
    let marker = data.path().join("imported-started.txt");
    let exe = stdio_server_exe();
    let exe = exe.to_str().unwrap();
    {
        let store = Store::open(&data.path().join(DATABASE_FILE)).await?;
        let hub = ToolHub::new(
            store.clone(),
            Arc::new(HeaderSecrets::default()),
            logs_dir(data.path()),
        );
        let config = serde_json::json!({ "mcpServers": { "imported": {
            "command": exe, "args": ["--env-file", marker.to_str().unwrap()]
        }}});
        hub.import(&config.to_string()).await?;
        let imported = store.tool_server_named("imported").await?;
        let chat = store
            .create_conversation(NewConversation {
                title: "Imported".into(),
                ..Default::default()
            })
            .await?;
        store
            .set_conversation_tool_servers(chat.id, Some(&[imported.id]))
            .await?;
        store.close().await;
    }
    let app = App::launch_with_env(&data, &[("CONFAB_ENDPOINT", &model.url())]).await?;

    // A chat offering the imported server sends no tools: it is never started.
    open_the_chat(&app).await?;
    ask(&app, "Anything?").await?;
    reply_says(&app, "No tools here.").await?;
    assert!(model.chat_requests()[0].get("tools").is_none());
    assert!(!marker.exists(), "the imported server was started");

    // Settings shows it waiting, with its exact command line.
    open_tools_settings(&app).await?;
    let server = app
        .wait_for(Locator::Css(
            "[data-testid=tool-server][data-name=imported]",
        ))
        .await?;
    assert_eq!(
        server.attr("data-state").await?.as_deref(),
        Some("needs_approval")
    );
    let command = app.texts("[data-testid=tool-server-command]").await?;
    assert!(
        command[0].contains(exe) && command[0].contains("--env-file"),
        "{command:?}"
    );
    assert!(!app
        .texts("[data-testid=tool-server-waiting]")
        .await?
        .is_empty());

    // Adding a server: nothing is saved when the confirmation is cancelled; confirmed, it is
    // added, started and its tools pinned.
    press(&app, "add-tool-server-open").await?;
    app.wait_for(Locator::Css("[data-testid=tool-form-name]"))
        .await?
        .send_keys("added")
        .await?;
    app.wait_for(Locator::Css("[data-testid=tool-form-command]"))
        .await?
        .send_keys(exe)
        .await?;
    press(&app, "tool-form-add").await?;
    answer_native("Add the tool server", "Escape").await?;
    app.eventually("the add to be cancelled", || async {
        let notes = app
            .texts("[data-testid=add-tool-server] [role=status]")
            .await?;
        Ok(notes.iter().any(|n| n.contains("Not added")).then_some(()))
    })
    .await?;
    assert_eq!(app.texts("[data-testid=tool-server]").await?.len(), 1);
    press(&app, "tool-form-add").await?;
    answer_native("Add the tool server", "alt+a").await?;
    let added = app
        .wait_for(Locator::Css("[data-testid=tool-added]"))
        .await?
        .text()
        .await?;
    assert!(added.contains("Added “added” with 8 tools"), "{added}");
    app.wait_for(Locator::Css(
        "[data-testid=tool-server][data-name=added][data-state=approved]",
    ))
    .await?;

    screenshots(
        &app,
        "settings",
        "[data-testid=tool-server][data-name=imported]",
    )
    .await?;

    // Approving the imported one, natively: approved, still not started until a chat needs it.
    press(&app, "approve-tool-server").await?;
    answer_native("Approve the tool server", "alt+a").await?;
    app.wait_for(Locator::Css(
        "[data-testid=tool-server][data-name=imported][data-state=approved]",
    ))
    .await?;
    assert!(!marker.exists());
    app.quit().await?;
    Ok(())
}
