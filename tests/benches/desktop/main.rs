//! The desktop benchmark: Confab's real window, driven through WebDriver like the end-to-end tests,
//! beside an empty Tauri 2 window (`tests/empty-window`) measured in the same run.
//!
//! - **Cold start**: from the WebDriver new-session request (WebKitWebDriver then spawns the app)
//!   to a usable window: the app's "New chat" button, the empty window's marker, present, laid out,
//!   enabled and not covered. Session overhead is in both figures, so their ratio is fair. The
//!   page's own timeline splits it into stages (`start.rs`).
//! - **Memory** of the app process and its WebKitWebProcess and WebKitNetworkProcess children,
//!   after the window has sat idle for a while: each physical page they map counted once (their
//!   PSS were nothing else running; see [`Footprint`]), and PSS as read beside it. The empty
//!   window's at either end of the run; Confab's through one long session (`session.rs`): at
//!   start, after 100 and 1,000 turns through the UI, at the end of the streams below, after
//!   switching to an empty chat and a minute after that — each with where the memory is: the
//!   page's nodes, messages, highlighted code, math and images, and the web process's resident
//!   memory by kind of mapping (`inside.rs`).
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
//! The figures are judged against their targets (`targets.rs`), each with the run's own noise;
//! a target missed by more than that noise fails the run (non-zero exit), as does a measurement
//! that could not be made or a streamed token that went missing.
//!
//! Both binaries are release builds unless `CONFAB_APP` / `CONFAB_EMPTY_WINDOW` name others.
//! `CONFAB_BENCH_TURNS` and `CONFAB_BENCH_STARTS` shorten a trial run;
//! `CONFAB_BENCH_ONLY=memory` runs the session (and the empty window's memory) alone,
//! `CONFAB_BENCH_ONLY=code-block` the long code block, `CONFAB_BENCH_ONLY=chat-list` the 10,000
//! chats.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use confab_test_support::fault::FaultServer;
use confab_tests::{workspace_root, App, DataDir, Result, SessionBus};

use memory::{app_pid, settled_footprint, Footprint};
use page::install_probe;
use report::Figures;
use start::{cold_start, wait_usable};

mod chat_list;
mod code_block;
mod first_token;
mod inside;
mod memory;
mod page;
mod report;
mod session;
mod start;
mod stream;
mod targets;
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

    let only_memory = std::env::var("CONFAB_BENCH_ONLY").as_deref() == Ok("memory");
    let first_empty = empty_idle(&empty_bin, &empty_env).await?;
    let session = session::run(&app_bin, &app_env, &server, turns).await?;
    let last_empty = empty_idle(&empty_bin, &empty_env).await?;
    let list = if only_memory {
        None
    } else {
        Some(chat_list::measure(&app_bin, &chat_list::seed().await?, &app_env).await?)
    };

    let figures = Figures {
        app_starts,
        empty_starts,
        empty_idle: [first_empty, last_empty],
        session,
    };
    report::report(&figures);
    if let Some(list) = &list {
        chat_list::report(list);
    }
    let missed = targets::report(&targets::checks(&figures), targets::memory_noise(&figures));
    let session = &figures.session;
    if let Some(lost) = session.stream.lost.as_ref().or(session.code.lost.as_ref()) {
        return Err(format!("tokens were lost while streaming: {lost}").into());
    }
    if !missed.is_empty() {
        return Err(format!(
            "targets missed by more than the run's noise: {}",
            missed.join("; ")
        )
        .into());
    }
    Ok(())
}

/// The empty window's idle memory, from a launch of its own.
async fn empty_idle(binary: &Path, env: &[(&str, &str)]) -> Result<Footprint> {
    let data = DataDir::new()?;
    let window = App::launch_binary(binary, &data, env).await?;
    wait_usable(&window, EMPTY_READY).await?;
    let pid = app_pid(&window, binary)?;
    let idle = settled_footprint(pid).await?;
    window.quit().await?;
    eprintln!("empty window idle: {}", idle.total_mib());
    Ok(idle)
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
