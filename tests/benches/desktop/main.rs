//! The desktop benchmark: Confab's real window, driven through WebDriver like the end-to-end tests,
//! beside an empty Tauri 2 window (`tests/empty-window`) measured in the same run.
//!
//! - **Cold start**: from the WebDriver new-session request (WebKitWebDriver then spawns the app)
//!   to a usable window: the app's "New chat" button, the empty window's marker, present, laid out,
//!   enabled and not covered. Session overhead is in both figures, so their ratio is fair.
//! - **Idle memory** of the app process and its WebKitWebProcess and WebKitNetworkProcess
//!   children, after the window has sat idle for a while: each physical page they map counted once
//!   (their PSS were nothing else running; see [`Footprint`]), and PSS as read beside it. For
//!   Confab at start, after 100 and 1,000 turns through the UI, and at the end.
//! - **Enter → first token painted**: in-page, from a capturing `keydown` listener to the end of the
//!   rendering update in which the token's text entered the reply (a `MutationObserver`, then a
//!   task queued behind that update or the next frame, whichever runs first), with the stages on
//!   the way. A scripted server answers at once.
//! - **Streaming**: 5,000 tokens, one SSE event each, at about 1,000 tokens/s; the tokens painted
//!   per second, whether any was lost, and the longest gap between animation frames.
//! - **A long code block**: a reply that is one 2,000-line code fence, at about 1,000 tokens/s;
//!   the frame gaps from the block's first lines to its last (`code_block.rs`).
//! - **10,000 chats** (1,000 in 20 projects): start to the list drawn, and scrolling the sidebar
//!   to its end a page a frame, with the frame gaps (`chat_list.rs`).
//!
//! Both binaries are release builds unless `CONFAB_APP` / `CONFAB_EMPTY_WINDOW` name others.
//! `CONFAB_BENCH_TURNS` and `CONFAB_BENCH_STARTS` shorten a trial run;
//! `CONFAB_BENCH_ONLY=code-block` runs the long code block alone, `CONFAB_BENCH_ONLY=chat-list`
//! the 10,000 chats. A missed target is reported,
//! not failed: the exit code is non-zero only when a measurement could not be made.

use std::path::PathBuf;
use std::process::ExitCode;

use confab_test_support::fault::FaultServer;
use confab_tests::{workspace_root, App, DataDir, Result, SessionBus};

use memory::{app_pid, settled_footprint};
use page::install_probe;
use report::{median, Figures};
use start::{cold_start, wait_usable};

mod chat_list;
mod code_block;
mod first_token;
mod memory;
mod page;
mod report;
mod start;
mod stream;
mod turns;

const APP_READY: &str = "[data-testid=new-chat]";
const EMPTY_READY: &str = "[data-testid=empty-window]";
const STARTS: usize = 15;

fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("desktop bench: a measurement failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let app_bin = binary("CONFAB_APP", "confab")?;
    let empty_bin = binary("CONFAB_EMPTY_WINDOW", "confab-empty-window")?;
    let starts = env_count("CONFAB_BENCH_STARTS", STARTS)?;
    let turns = env_count("CONFAB_BENCH_TURNS", turns::TURNS)?;
    // A desktop session has a session bus; without one, start-up would include D-Bus timeouts.
    let bus = SessionBus::start()?;
    let server = FaultServer::start().await;
    let url = server.url();
    // The app's warnings and errors only, unless asked: its log would bury the progress lines.
    let log = std::env::var("CONFAB_LOG").unwrap_or_else(|_| "warn".into());
    let empty_env = [("DBUS_SESSION_BUS_ADDRESS", bus.address.as_str())];
    let app_env = [
        empty_env[0],
        ("CONFAB_ENDPOINT", url.as_str()),
        ("CONFAB_LOG", log.as_str()),
    ];
    eprintln!("app:          {}", app_bin.display());
    eprintln!("empty window: {}", empty_bin.display());
    if std::env::var("CONFAB_BENCH_ONLY").as_deref() == Ok("chat-list") {
        let data = chat_list::seed().await?;
        let list = chat_list::measure(&app_bin, &data, &app_env).await?;
        chat_list::report(&list);
        return Ok(());
    }
    if std::env::var("CONFAB_BENCH_ONLY").as_deref() == Ok("code-block") {
        let data = DataDir::new()?;
        let app = App::launch_binary(&app_bin, &data, &app_env).await?;
        wait_usable(&app, APP_READY).await?;
        install_probe(&app).await?;
        let code = code_block::stream(&app, &server).await?;
        app.quit().await?;
        code_block::report(&code);
        return match &code.lost {
            None => Ok(()),
            Some(lost) => Err(format!("tokens were lost while streaming: {lost}").into()),
        };
    }

    // Alternating, so that a busy moment on the machine lands on both.
    let mut app_starts = Vec::new();
    let mut empty_starts = Vec::new();
    for run in 1..=starts {
        empty_starts.push(cold_start(&empty_bin, EMPTY_READY, &empty_env).await?);
        app_starts.push(cold_start(&app_bin, APP_READY, &app_env).await?);
        eprintln!(
            "cold start {run}/{starts}: empty window {}, app {}",
            empty_starts[run - 1],
            app_starts[run - 1]
        );
    }

    let empty_idle = {
        let data = DataDir::new()?;
        let window = App::launch_binary(&empty_bin, &data, &empty_env).await?;
        wait_usable(&window, EMPTY_READY).await?;
        let pid = app_pid(&window, &empty_bin)?;
        let idle = settled_footprint(pid).await?;
        window.quit().await?;
        idle
    };
    eprintln!("empty window idle: {idle}", idle = empty_idle.total_mib());

    let data = DataDir::new()?;
    let app = App::launch_binary(&app_bin, &data, &app_env).await?;
    wait_usable(&app, APP_READY).await?;
    let pid = app_pid(&app, &app_bin)?;
    let app_idle = settled_footprint(pid).await?;
    eprintln!("app idle: {idle}", idle = app_idle.total_mib());
    let turned = turns::many_turns(&app, &server, pid, turns).await?;
    let app_after = settled_footprint(pid).await?;
    eprintln!("app idle after the turns: {}", app_after.total_mib());
    install_probe(&app).await?;
    let first = first_token::first_token(&app, &server).await?;
    eprintln!(
        "first token: median {:.1} ms",
        median(&first_token::painted(&first))
    );
    let stream = stream::stream(&app, &server).await?;
    eprintln!("stream: {:.0} tokens/s painted", stream.painted_rate());
    let code = code_block::stream(&app, &server).await?;
    eprintln!("code block: {:.0} tokens/s painted", code.painted_rate());
    let app_end = settled_footprint(pid).await?;
    app.quit().await?;
    let list = chat_list::measure(&app_bin, &chat_list::seed().await?, &app_env).await?;

    let figures = Figures {
        app_starts,
        empty_starts,
        empty_idle,
        app_idle,
        app_after,
        app_end,
        first,
        stream,
        code,
        turned,
    };
    report::report(&figures);
    chat_list::report(&list);
    match figures.stream.lost.as_ref().or(figures.code.lost.as_ref()) {
        None => Ok(()),
        Some(lost) => Err(format!("tokens were lost while streaming: {lost}").into()),
    }
}

/// `target/release/<name>` (honouring `CARGO_TARGET_DIR`), or the path in `var`; relative paths
/// are taken from the workspace's root, as `cargo bench` runs this from `tests/`.
fn binary(var: &str, name: &str) -> Result<PathBuf> {
    let path = match std::env::var_os(var) {
        Some(p) => workspace_root().join(p),
        None => {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| workspace_root().join("target"));
            workspace_root().join(target).join("release").join(name)
        }
    };
    if !path.is_file() {
        return Err(format!(
            "{} does not exist: build it first (`npm --prefix ui run build && cargo build \
             --release -p confab -p confab-empty-window`), or name it in {var}",
            path.display()
        )
        .into());
    }
    Ok(path.canonicalize()?)
}

fn env_count(var: &str, default: usize) -> Result<usize> {
    match std::env::var(var) {
        Ok(v) => Ok(v.parse().map_err(|_| format!("{var}={v} is not a count"))?),
        Err(_) => Ok(default),
    }
}
