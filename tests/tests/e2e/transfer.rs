//! Export and import through the real window and its native file dialogs (driven with xdotool,
//! as a person would type a path into them): the files written are the conversation.

use std::time::Duration;

use confab_core::paths::DATABASE_FILE;
use confab_core::store::{MessageStatus, NewConversation, NewMessage, Role, Store};
use confab_tests::fantoccini::Locator;
use confab_tests::{App, DataDir, Result};

use crate::native::{find_dialog, xdotool};

/// Waits for the native dialog titled `title`, focuses it and types `path` into it.
async fn answer_dialog(title: &str, path: &str, open_location: bool) -> Result<()> {
    let title = title.to_owned();
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || -> Result<()> {
        let window = find_dialog(&title)?;
        // Let GTK finish mapping the dialog and focusing its entry.
        std::thread::sleep(Duration::from_millis(700));
        // Without a window manager nothing else gives the dialog the keyboard.
        xdotool(&["windowfocus", "--sync", &window])?;
        if open_location {
            xdotool(&["key", "--clearmodifiers", "ctrl+l"])?;
        } else {
            xdotool(&["key", "--clearmodifiers", "ctrl+a"])?;
        }
        xdotool(&["type", "--delay", "15", &path])?;
        std::thread::sleep(Duration::from_millis(300));
        xdotool(&["key", "Return"])?;
        Ok(())
    })
    .await??;
    Ok(())
}

async fn text_of(app: &App, css: &str) -> Result<String> {
    let text = app.texts(css).await?.join(" ");
    Ok(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_and_import_through_the_native_dialogs() -> Result<()> {
    let data = DataDir::new()?;
    let store = Store::open(&data.path().join(DATABASE_FILE)).await?;
    let chat = store
        .create_conversation(NewConversation {
            title: "Oslo trip".into(),
            ..Default::default()
        })
        .await?;
    for (role, text) in [
        (Role::User, "Plan two days in Oslo."),
        (
            Role::Assistant,
            "Day 1: **the fjord**. Day 2: <script>alert(1)</script> museums.",
        ),
    ] {
        store
            .append_message(
                chat.id,
                NewMessage {
                    role,
                    content: text.into(),
                    status: MessageStatus::Complete,
                    model: None,
                },
            )
            .await?;
    }
    store.close().await;
    let out = tempfile::tempdir()?;

    // GTK's file chooser saves its state with dconf, which needs a session bus: keep it in memory.
    let app = App::launch_with_env(&data, &[("GSETTINGS_BACKEND", "memory")]).await?;
    app.wait_for(Locator::Css("[data-testid=conversation-item]"))
        .await?;
    for (format, name) in [
        ("md", "oslo.md"),
        ("html", "oslo.html"),
        ("json", "oslo.json"),
    ] {
        // Markdown through the sidebar's context menu, the others through the chat's menu.
        let item = if format == "md" {
            let row = app
                .wait_for(Locator::Css("[data-testid=conversation-item] .item"))
                .await?;
            app.context_click(&row).await?;
            let item = app
                .wait_for(Locator::Css(
                    "[data-testid=row-menu] [data-testid=menu-export-md]",
                ))
                .await?;
            app.screenshot("sidebar-row-menu").await?;
            item
        } else {
            app.wait_for(Locator::Css("[data-testid=export]"))
                .await?
                .click()
                .await?;
            app.wait_for(Locator::Css(&format!("[data-testid=export-{format}]")))
                .await?
        };
        if format == "html" {
            app.screenshot("export-menu").await?;
        }
        item.click().await?;
        let path = out.path().join(name);
        answer_dialog("Export conversation", path.to_str().unwrap(), false).await?;
        let notice_css = if format == "md" {
            "[data-testid=notice]"
        } else {
            "[data-testid=export-notice]"
        };
        let notice = app
            .eventually("the export notice", || async {
                let text = text_of(&app, notice_css).await?;
                Ok((!text.is_empty()).then_some(text))
            })
            .await?;
        assert!(
            app.texts("[data-testid=row-menu]").await?.is_empty(),
            "the menu closed"
        );
        assert!(notice.contains("Exported 2 messages to"), "{notice}");
        assert!(notice.contains(name), "{notice}");
    }
    let md = std::fs::read_to_string(out.path().join("oslo.md"))?;
    assert!(md.starts_with("# Oslo trip\n"), "{md}");
    assert!(md.contains("Day 1: **the fjord**."));
    let html = std::fs::read_to_string(out.path().join("oslo.html"))?;
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script>"));

    // Import the JSON back: a preview first, then a second "Oslo trip".
    app.wait_for(Locator::Css("[data-testid=import]"))
        .await?
        .click()
        .await?;
    let json = out.path().join("oslo.json");
    answer_dialog("Import conversations", json.to_str().unwrap(), true).await?;
    let preview = app
        .eventually("the import preview", || async {
            let text = text_of(&app, "[data-testid=import-preview]").await?;
            Ok((!text.is_empty()).then_some(text))
        })
        .await?;
    app.resize(800, 600).await?;
    app.screenshot("import-preview-800x600").await?;
    assert!(
        preview.contains("oslo.json is a Confab export with 1 conversation and 2 messages"),
        "{preview}"
    );
    app.wait_for(Locator::Css("[data-testid=confirm-import]"))
        .await?
        .click()
        .await?;
    app.eventually("two chats", || async {
        let titles = app.texts("[data-testid=conversation-item] .title").await?;
        Ok((titles == ["Oslo trip", "Oslo trip"]).then_some(()))
    })
    .await?;
    assert!(app.texts("[data-testid=import-dialog]").await?.is_empty());
    app.quit().await?;
    Ok(())
}
