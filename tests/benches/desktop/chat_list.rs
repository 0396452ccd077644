//! The desktop benchmark's long chat list: 10,000 chats (1,000 of them in 20 projects), how long
//! the window takes to open on them, and how long the sidebar takes to scroll to its end — a page
//! down every frame, as a fling would, the list reading its next pages from the database as the
//! end comes into view — with the gaps between frames on the way.

use chrono::{Duration as Minutes, Utc};
use confab_core::paths::DATABASE_FILE;
use confab_core::store::{
    ConversationId, ImportConversation, ImportMessage, MessageStatus, ProjectDefaults, Role, Store,
};
use confab_tests::fantoccini::wd::TimeoutConfiguration;
use confab_tests::{App, DataDir, Result};
use serde_json::{json, Value};

use crate::report::{median, ms, percentile};
use crate::start::wait_usable;
use crate::APP_READY;

pub const CHATS: usize = 10_000;
const PROJECTS: usize = 20;
const IN_PROJECTS: usize = 1_000;
const STARTS: usize = 5;

/// The oldest chat: the last row of the list (the newest ones are in the projects).
fn title(i: usize) -> String {
    format!("Chat {i:05} about the garden")
}

/// A data directory holding the chats and projects.
pub async fn seed() -> Result<DataDir> {
    let data = DataDir::new()?;
    let store = Store::open(&data.path().join(DATABASE_FILE)).await?;
    let now = Utc::now();
    let message = |role, content: &str, at| ImportMessage {
        role,
        content: content.to_owned(),
        status: MessageStatus::Complete,
        error: None,
        model: None,
        prompt_tokens: None,
        completion_tokens: None,
        created_at: at,
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
    };
    // One every 7 minutes going back: the date groups (today, yesterday, the week, the month,
    // then months) all fill.
    let chats: Vec<ImportConversation> = (0..CHATS)
        .map(|i| {
            let at = now - Minutes::minutes(7 * i as i64);
            ImportConversation {
                title: title(i),
                system_prompt: String::new(),
                model: None,
                params: json!({}),
                created_at: at,
                updated_at: at,
                pinned: i % 500 == 7,
                archived: false,
                messages: vec![
                    message(Role::User, "What grows in shade?", at),
                    message(Role::Assistant, "Ferns, hostas and moss.", at),
                ],
                summaries: Vec::new(),
            }
        })
        .collect();
    let ids = store.import_conversations(&chats).await?;
    for p in 0..PROJECTS {
        let project = store
            .create_project(&format!("Project {p:02}"), ProjectDefaults::default())
            .await?;
        let per = IN_PROJECTS / PROJECTS;
        for id in &ids[p * per..(p + 1) * per] {
            store
                .move_to_project(ConversationId(id.0), Some(project.id))
                .await?;
        }
    }
    store.close().await;
    Ok(data)
}

pub struct ChatList {
    /// Start to a usable window, each start.
    pub starts: Vec<f64>,
    /// From the first page down to the last chat's row on screen.
    pub to_end_ms: f64,
    pub pages_down: u64,
    pub frame_gaps: Vec<f64>,
    /// Whether the last chat came into view within the 110 s the scroll is given, and the
    /// last chat's row drawn when it stopped.
    pub reached: bool,
    pub last_row: String,
}

/// Opens the window on `data` [`STARTS`] times, then scrolls the list to its end.
pub async fn measure(
    binary: &std::path::Path,
    data: &DataDir,
    env: &[(&str, &str)],
) -> Result<ChatList> {
    let mut starts = Vec::new();
    for _ in 0..STARTS {
        let app = App::launch_binary(binary, data, env).await?;
        wait_usable(&app, APP_READY).await?;
        starts.push(ms(first_rows(&app).await?));
        app.quit().await?;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let app = App::launch_binary(binary, data, env).await?;
    wait_usable(&app, APP_READY).await?;
    first_rows(&app).await?;
    // The scroll runs in the page, longer than WebDriver's default 30 s for a script.
    app.client
        .update_timeouts(TimeoutConfiguration::new(
            Some(std::time::Duration::from_secs(150)),
            None,
            None,
        ))
        .await?;
    let result = app
        .client
        .execute_async(
            "const [last, done] = [arguments[0], arguments[arguments.length - 1]];
             const list = document.querySelector('[data-testid=conversation-list]');
             const gaps = [];
             const start = performance.now();
             let prev = start, steps = 0;
             function frame(now) {
               gaps.push(now - prev);
               prev = now;
               const reached = list.textContent.includes(last);
               if (reached || now - start > 110000) {
                 const rows = [...list.querySelectorAll('[data-testid=conversation-item]')];
                 done({ ms: now - start, steps, gaps, reached,
                        lastRow: rows.pop()?.textContent.trim().split('  ')[0] ?? '' });
               } else {
                 list.scrollTop += list.clientHeight;
                 steps += 1;
                 requestAnimationFrame(frame);
               }
             }
             requestAnimationFrame(frame);",
            vec![json!(title(CHATS - 1))],
        )
        .await?;
    app.quit().await?;
    let number = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    Ok(ChatList {
        starts,
        to_end_ms: number(&result["ms"]),
        pages_down: result["steps"].as_u64().unwrap_or(0),
        reached: result["reached"].as_bool().unwrap_or(false),
        last_row: result["lastRow"].as_str().unwrap_or_default().to_owned(),
        frame_gaps: result["gaps"]
            .as_array()
            .map(|g| g.iter().skip(1).map(number).collect())
            .unwrap_or_default(),
    })
}

/// Polls until the list shows chats; returns how long after the session request that was.
async fn first_rows(app: &App) -> Result<std::time::Duration> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let shown = app
            .client
            .execute(
                "return document.querySelector('[data-testid=conversation-item]') !== null",
                vec![],
            )
            .await;
        if matches!(shown, Ok(Value::Bool(true))) {
            return Ok(app.launched_at.elapsed());
        }
        if std::time::Instant::now() > deadline {
            return Err("the chat list did not show within 60 s".into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

pub fn report(c: &ChatList) {
    let scrolled = if c.reached {
        format!("scrolled to the last chat in {:.0} ms", c.to_end_ms)
    } else {
        format!(
            "NOT at the last chat after {:.0} ms of scrolling (the last row drawn: {})",
            c.to_end_ms, c.last_row
        )
    };
    println!(
        "{CHATS} chats ({IN_PROJECTS} in {PROJECTS} projects): start to the list drawn, median {:.0} ms \
         (of {STARTS}: {}); {scrolled} ({} pages down, one a frame), frame gap median {:.1} ms, \
         p95 {:.1} ms, longest {:.1} ms",
        median(&c.starts),
        c.starts
            .iter()
            .map(|s| format!("{s:.0}"))
            .collect::<Vec<_>>()
            .join(", "),
        c.pages_down,
        median(&c.frame_gaps),
        percentile(&c.frame_gaps, 0.95),
        percentile(&c.frame_gaps, 1.0),
    );
    let tenth = c.frame_gaps.len() / 10;
    if tenth > 0 {
        let stretches: Vec<String> = c
            .frame_gaps
            .chunks(tenth)
            .map(|g| format!("{:.0}", median(g)))
            .collect();
        println!(
            "  frame gap median by tenth of the scroll: {} ms",
            stretches.join(", ")
        );
    }
}
