//! The screenshots of the README and the guide: a typical chat at 1280×800 and 800×600, light and
//! dark. Each run checks what a person relies on at that size (the chats beside the chat, room to
//! read, the composer in view, the theme asked for) and leaves the pictures in `tests/artifacts/`
//! (`docs/images/` keeps the ones the docs show).

use confab_core::paths::DATABASE_FILE;
use confab_core::settings::{AppSettings, Theme};
use confab_core::store::{MessageStatus, NewConversation, NewMessage, Role, Store};
use confab_tests::{App, DataDir, Result};

const QUESTION: &str = "How do I read a file line by line in Rust, and skip blank lines?";

const ANSWER: &str = r#"Use a `BufReader` and its `lines()` iterator:

```rust
use std::fs::File;
use std::io::{BufRead, BufReader};

fn main() -> std::io::Result<()> {
    let reader = BufReader::new(File::open("notes.txt")?);
    for line in reader.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue; // skip blank lines
        }
        println!("{line}");
    }
    Ok(())
}
```

| Approach | Memory | When |
|---|---|---|
| `read_to_string` | whole file | small files |
| `BufReader::lines` | one line | large files |

Each `line` is a `Result`, so **`?`** reports an I/O error instead of stopping silently."#;

async fn seed(data: &DataDir, theme: Theme) -> Result<()> {
    let store = Store::open(&data.path().join(DATABASE_FILE)).await?;
    for (title, text) in [
        (
            "Plan a weekend in Oslo",
            "Two days in Oslo in March: what should we see?",
        ),
        (
            "Summarise the meeting notes",
            "Summarise these notes in five bullets.",
        ),
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
    let chat = store
        .create_conversation(NewConversation {
            title: "Read a file line by line".into(),
            ..Default::default()
        })
        .await?;
    for (role, content) in [(Role::User, QUESTION), (Role::Assistant, ANSWER)] {
        store
            .append_message(
                chat.id,
                NewMessage {
                    role,
                    content: content.into(),
                    status: MessageStatus::Complete,
                    model: Some("smollm2-1.7b-instruct".into()),
                },
            )
            .await?;
    }
    AppSettings {
        theme,
        ..Default::default()
    }
    .save(&store)
    .await?;
    store.close().await;
    Ok(())
}

async fn sidebar_beside_chat(app: &App) -> Result<bool> {
    let shown = app
        .client
        .execute(
            "const s = document.querySelector('.sidebar').getBoundingClientRect();
             const m = document.querySelector('main').getBoundingClientRect();
             return s.width > 0 && s.right <= m.left + 1 && s.left >= 0;",
            vec![],
        )
        .await?;
    Ok(shown == serde_json::Value::Bool(true))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_in_light_and_dark_at_two_sizes() -> Result<()> {
    for (theme, name) in [(Theme::Light, "light"), (Theme::Dark, "dark")] {
        let data = DataDir::new()?;
        seed(&data, theme).await?;
        let app = App::launch(&data).await?;
        app.eventually("the chat's code block", || async {
            let code = app.texts("[data-testid=message-content] pre code").await?;
            Ok((!code.is_empty()).then_some(()))
        })
        .await?;
        let painted = app
            .client
            .execute("return document.documentElement.dataset.theme", vec![])
            .await?;
        assert_eq!(painted, name, "the saved theme is applied");

        app.resize(1280, 800).await?;
        assert!(
            sidebar_beside_chat(&app).await?,
            "wide: the chats beside the chat"
        );
        app.screenshot(&format!("confab-{name}-1280x800")).await?;

        app.resize(800, 600).await?;
        // Still both panes at 800 px (the list folds behind ☰ below 720), with room to read and
        // the composer in view.
        let fits = app
            .client
            .execute(
                "const m = document.querySelector('main').getBoundingClientRect();
                 const c = document.querySelector('[data-testid=composer]').getBoundingClientRect();
                 return m.width >= 480 && c.bottom <= window.innerHeight && c.top > 0;",
                vec![],
            )
            .await?;
        assert_eq!(
            fits, true,
            "800×600 keeps the chat readable and the composer in view"
        );
        assert!(sidebar_beside_chat(&app).await?);
        app.screenshot(&format!("confab-{name}-800x600")).await?;
        app.quit().await?;
    }
    Ok(())
}
