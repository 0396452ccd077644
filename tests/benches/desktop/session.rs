//! One long session in Confab's window, the way a heavy afternoon goes: many short turns, replies
//! timed from Enter, a 5,000-token reply, a 2,000-line code block; then a new, empty chat, then a
//! minute untouched. Memory is read (and where it is, see [`Inside`]) at each step.

use std::path::Path;
use std::time::Duration;

use confab_test_support::fault::FaultServer;
use confab_tests::{App, DataDir, Result};

use crate::first_token::{first_token, painted, FirstToken};
use crate::inside::{inside, Inside};
use crate::memory::{app_pid, settled_footprint, Footprint};
use crate::page::{install_probe, new_chat};
use crate::report::{by_process, median};
use crate::start::wait_usable;
use crate::stream::{stream, Stream};
use crate::turns::{many_turns, Turns};
use crate::{code_block, APP_READY};

/// After switching to an empty chat: how long the window then sits untouched before the last
/// reading (which settles for [`crate::memory::SETTLE`] more).
const IDLE_MINUTE: Duration = Duration::from_secs(60);

/// A reading of the window's memory, and of where it is.
pub struct Reading {
    pub memory: Footprint,
    pub inside: Inside,
}

pub struct Session {
    /// Idle, before anything happened.
    pub idle: Reading,
    pub turned: Turns,
    /// Idle after the turns.
    pub after_turns: Reading,
    pub first: Vec<FirstToken>,
    pub stream: Stream,
    /// The long code block, streamed after `stream`.
    pub code: Stream,
    /// Idle at the end of all that, the code block's chat still on screen.
    pub end: Reading,
    /// Idle after switching to a new, empty chat.
    pub switched: Reading,
    /// And after a minute more.
    pub rested: Reading,
}

async fn read(app: &App, pid: u32, what: &str) -> Result<Reading> {
    let memory = settled_footprint(pid).await?;
    let inside = inside(app, pid).await?;
    eprintln!(
        "{what}: {} ({}); {inside}",
        memory.total_mib(),
        by_process(&memory)
    );
    Ok(Reading { memory, inside })
}

pub async fn run(
    app_bin: &Path,
    env: &[(&str, &str)],
    server: &FaultServer,
    turns: usize,
) -> Result<Session> {
    let data = DataDir::new()?;
    let app = App::launch_binary(app_bin, &data, env).await?;
    wait_usable(&app, APP_READY).await?;
    let pid = app_pid(&app, app_bin)?;
    let idle = read(&app, pid, "app idle").await?;
    let turned = many_turns(&app, server, pid, turns).await?;
    let after_turns = read(&app, pid, "app idle after the turns").await?;
    install_probe(&app).await?;
    let first = first_token(&app, server).await?;
    eprintln!("first token: median {:.1} ms", median(&painted(&first)));
    let stream = stream(&app, server).await?;
    eprintln!("stream: {:.0} tokens/s painted", stream.painted_rate());
    let code = code_block::stream(&app, server).await?;
    eprintln!("code block: {:.0} tokens/s painted", code.painted_rate());
    let end = read(&app, pid, "app at the end").await?;
    new_chat(&app).await?;
    let switched = read(&app, pid, "app after switching to an empty chat").await?;
    tokio::time::sleep(IDLE_MINUTE).await;
    let rested = read(&app, pid, "app after a minute more").await?;
    app.quit().await?;
    Ok(Session {
        idle,
        turned,
        after_turns,
        first,
        stream,
        code,
        end,
        switched,
        rested,
    })
}
