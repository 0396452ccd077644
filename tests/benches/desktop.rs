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
//!   the frame gaps from the block's first lines to its last (`desktop/code_block.rs`).
//! - **10,000 chats** (1,000 in 20 projects): start to the list drawn, and scrolling the sidebar
//!   to its end a page a frame, with the frame gaps (`desktop/chat_list.rs`).
//!
//! Both binaries are release builds unless `CONFAB_APP` / `CONFAB_EMPTY_WINDOW` name others.
//! `CONFAB_BENCH_TURNS` and `CONFAB_BENCH_STARTS` shorten a trial run;
//! `CONFAB_BENCH_ONLY=code-block` runs the long code block alone, `CONFAB_BENCH_ONLY=chat-list`
//! the 10,000 chats. A missed target is reported,
//! not failed: the exit code is non-zero only when a measurement could not be made.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use confab_test_support::fault::{delta, finish, FaultServer, Reply, DONE};
use confab_tests::fantoccini::key::Key;
use confab_tests::fantoccini::Locator;
use confab_tests::{workspace_root, App, DataDir, Result, SessionBus};
use serde_json::{json, Value};

#[path = "desktop/chat_list.rs"]
mod chat_list;
#[path = "desktop/code_block.rs"]
mod code_block;

const APP_READY: &str = "[data-testid=new-chat]";
const EMPTY_READY: &str = "[data-testid=empty-window]";
const STARTS: usize = 15;
const FIRST_TOKEN_SENDS: usize = 30;
const STREAM_TOKENS: usize = 5_000;
/// Tokens per socket write and the pause before each write. The server's timer sleeps about a
/// millisecond past each pause, so 5 tokens after 4 ms make about 1,000 tokens/s (one token per
/// millisecond would make half that); the report gives the pace measured at the socket.
const TOKENS_PER_WRITE: usize = 5;
const WRITE_PAUSE: Duration = Duration::from_millis(4);
const TURNS: usize = 1_000;
/// Idle memory is also read after this many turns: the chat then shows as many messages as it ever
/// keeps on screen (two pages of 100), the renderer and every code path of a turn have run, and
/// the engine's heaps have grown to their working size. Later growth is growth per turn.
const EARLY_TURNS: usize = 100;
/// How long a window sits untouched before its idle memory is read.
const SETTLE: Duration = Duration::from_secs(10);
/// How long a window may take to become usable before the start counts as failed.
const START_TIMEOUT: Duration = Duration::from_secs(60);

const START_TARGET: f64 = 1.2;
const MEMORY_TARGET: f64 = 1.15;
/// "Flat after 1,000 turns": from the reading after the first [`EARLY_TURNS`] turns to the one after
/// the last, idle memory grew by less than this factor. (The rise from start to the first reading
/// is reported beside it: it is the page warming up once, not growth per turn.)
const FLAT_TARGET: f64 = 1.10;

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
    let turns = env_count("CONFAB_BENCH_TURNS", TURNS)?;
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
    let turned = many_turns(&app, &server, pid, turns).await?;
    let app_after = settled_footprint(pid).await?;
    eprintln!("app idle after the turns: {}", app_after.total_mib());
    install_probe(&app).await?;
    let first = first_token(&app, &server).await?;
    eprintln!("first token: median {:.1} ms", median(&painted(&first)));
    let stream = stream(&app, &server).await?;
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
    report(&figures);
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

// ---------------------------------------------------------------------------------------------
// Start-up

/// One cold start: times from the session request to a usable window.
async fn cold_start(binary: &Path, ready: &str, env: &[(&str, &str)]) -> Result<Start> {
    let data = DataDir::new()?;
    let window = App::launch_binary(binary, &data, env).await?;
    let usable = wait_usable(&window, ready).await?;
    let since_exec = process_age(app_pid(&window, binary)?)?;
    // Where the time went: until the webview began loading the page, until the page's scripts
    // had run (DOMContentLoaded), and after.
    let (origin, loaded): (f64, f64) = serde_json::from_value(
        window
            .client
            .execute(
                "const n = performance.getEntriesByType('navigation')[0];
                 return [performance.timeOrigin, n ? n.domContentLoadedEventEnd : 0];",
                vec![],
            )
            .await?,
    )?;
    let requested = SystemTime::now() - window.launched_at.elapsed();
    let requested_ms = requested.duration_since(UNIX_EPOCH)?.as_secs_f64() * 1e3;
    window.quit().await?;
    // Let the processes of this run go before the next one starts.
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(Start {
        usable,
        since_exec,
        page_began: Duration::from_secs_f64(((origin - requested_ms) / 1e3).max(0.0)),
        page_loaded: Duration::from_secs_f64(((origin + loaded - requested_ms) / 1e3).max(0.0)),
    })
}

#[derive(Clone, Copy)]
struct Start {
    /// From the session request to a usable window.
    usable: Duration,
    /// From the process's start (after WebDriver's own set-up) to a usable window, ±20 ms.
    since_exec: Duration,
    /// From the session request to the webview's navigation start (`performance.timeOrigin`).
    page_began: Duration,
    /// From the session request to the end of the page's `DOMContentLoaded` (its scripts run).
    page_loaded: Duration,
}

impl std::fmt::Display for Start {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.0} ms (process started {:.0} ms before, page from {:.0} ms, loaded at {:.0} ms)",
            ms(self.usable),
            ms(self.since_exec),
            ms(self.page_began),
            ms(self.page_loaded)
        )
    }
}

/// How long ago the process started, to the 10 ms of the kernel's clock ticks.
fn process_age(pid: u32) -> Result<Duration> {
    // USER_HZ: /proc counts clock ticks of 10 ms on Linux, whatever the kernel's own HZ.
    const TICKS_PER_SECOND: f64 = 100.0;
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")?
        .split_whitespace()
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or("unreadable /proc/uptime")?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Field 22, starttime; the fields after the name in parentheses begin at field 3.
    let ticks: f64 = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(19))
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| format!("unreadable /proc/{pid}/stat"))?;
    Ok(Duration::from_secs_f64(
        (uptime - ticks / TICKS_PER_SECOND).max(0.0),
    ))
}

/// Polls until the element matching `css` can be clicked; returns how long after the session
/// request that was.
async fn wait_usable(window: &App, css: &str) -> Result<Duration> {
    const USABLE: &str = "const e = document.querySelector(arguments[0]);
        if (!e || e.disabled) return false;
        const r = e.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) return false;
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return hit !== null && (hit === e || e.contains(hit));";
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        // Errors while the page is still loading are expected: try again.
        let usable = window.client.execute(USABLE, vec![css.into()]).await;
        if matches!(usable, Ok(Value::Bool(true))) {
            return Ok(window.launched_at.elapsed());
        }
        if Instant::now() > deadline {
            return Err(
                format!("{css} was not usable within {START_TIMEOUT:?}: {usable:?}").into(),
            );
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Memory

/// KiB by process kind: the app process and the WebKit processes it started.
#[derive(Clone, Copy, Default)]
struct Kinds {
    app: u64,
    web: u64,
    network: u64,
    other: u64,
}

impl Kinds {
    fn total(&self) -> u64 {
        self.app + self.web + self.network + self.other
    }

    fn add(&mut self, kind: Kind, kib: u64) {
        match kind {
            Kind::App => self.app += kib,
            Kind::Web => self.web += kib,
            Kind::Network => self.network += kib,
            Kind::Other => self.other += kib,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    App,
    Web,
    Network,
    Other,
}

/// A window's memory, read two ways.
///
/// PSS splits each shared page between every process on the machine that maps it, so it shrinks
/// whenever other WebKit processes run (on a shared machine, other people's tests): the same empty
/// window read 131 MiB or 191 MiB. `alone` counts each physical page the app's processes map
/// once, however many of them map it and whoever else does: their PSS as if nothing else ran.
/// It needs the page frame numbers of `/proc/<pid>/pagemap`, which only root may read.
#[derive(Clone, Copy)]
struct Footprint {
    pss: Kinds,
    alone: Option<Kinds>,
}

impl Footprint {
    /// The figure the targets are judged on: `alone` where it could be read, else PSS.
    fn main(&self) -> Kinds {
        self.alone.unwrap_or(self.pss)
    }

    fn total(&self) -> u64 {
        self.main().total()
    }

    fn total_mib(&self) -> String {
        mib(self.total())
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The app process below this window's driver (tauri-driver → WebKitWebDriver → app).
fn app_pid(window: &App, binary: &Path) -> Result<u32> {
    let children = process_tree()?;
    descendants(&children, window.driver_pid())
        .into_iter()
        .find(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == binary))
        .ok_or_else(|| format!("no process of {} below the driver", binary.display()).into())
}

/// Parent → children, for every process.
fn process_tree() -> Result<HashMap<u32, Vec<u32>>> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for entry in std::fs::read_dir("/proc")? {
        let Some(pid) = entry?.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        // Gone already, or not ours to read: neither is below our driver.
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The name in parentheses may hold spaces: the fields after the last ')' are fixed.
        let Some(ppid) = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse().ok())
        else {
            continue;
        };
        children.entry(ppid).or_default().push(pid);
    }
    Ok(children)
}

fn descendants(children: &HashMap<u32, Vec<u32>>, root: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut todo = vec![root];
    while let Some(pid) = todo.pop() {
        for &child in children.get(&pid).into_iter().flatten() {
            out.push(child);
            todo.push(child);
        }
    }
    out
}

fn pss_kib(pid: u32) -> Result<u64> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))?;
    rollup
        .lines()
        .find_map(|line| line.strip_prefix("Pss:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no Pss in /proc/{pid}/smaps_rollup").into())
}

/// The memory of the app and of every process below it, by kind.
fn footprint(pid: u32) -> Result<Footprint> {
    let mut processes = vec![(pid, Kind::App)];
    for child in descendants(&process_tree()?, pid) {
        // Gone since the listing: it holds no memory any more.
        let Ok(exe) = std::fs::read_link(format!("/proc/{child}/exe")) else {
            continue;
        };
        let kind = match exe.file_name().and_then(|n| n.to_str()) {
            Some("WebKitWebProcess") => Kind::Web,
            Some("WebKitNetworkProcess") => Kind::Network,
            _ => Kind::Other,
        };
        processes.push((child, kind));
    }
    let mut pss = Kinds::default();
    for &(pid, kind) in &processes {
        match pss_kib(pid) {
            Ok(kib) => pss.add(kind, kib),
            Err(e) if kind == Kind::App => return Err(e),
            Err(_) => {}
        }
    }
    Ok(Footprint {
        pss,
        alone: pages_alone(&processes)?,
    })
}

const PAGE: u64 = 4096;
/// In a pagemap entry: the page is in RAM, and its frame number (zero unless root reads it).
const PRESENT: u64 = 1 << 63;
const FRAME: u64 = (1 << 55) - 1;

/// Each physical page mapped by any of `processes`, counted once, its KiB shared out between the
/// processes that map it. `None` when the frame numbers are hidden (not root).
fn pages_alone(processes: &[(u32, Kind)]) -> Result<Option<Kinds>> {
    use std::os::unix::fs::FileExt;
    // Frame number → which of the processes map it (a bit each).
    let mut mappers: HashMap<u64, u32> = HashMap::new();
    let mut hidden = false;
    for (index, &(pid, _)) in processes.iter().enumerate().take(32) {
        let (Ok(smaps), Ok(pagemap)) = (
            std::fs::read_to_string(format!("/proc/{pid}/smaps")),
            std::fs::File::open(format!("/proc/{pid}/pagemap")),
        ) else {
            continue;
        };
        let mut buf = vec![0u8; 8 * 65_536];
        for (start, end) in resident_ranges(&smaps) {
            let mut page = start / PAGE;
            while page < end / PAGE {
                let count = (end / PAGE - page).min(65_536);
                let bytes = &mut buf[..8 * count as usize];
                // Special mappings ([vsyscall]) refuse to be read: nothing of ours is there.
                if pagemap.read_exact_at(bytes, page * 8).is_err() {
                    break;
                }
                for entry in bytes.chunks_exact(8) {
                    let entry = u64::from_le_bytes(entry.try_into().expect("8 bytes"));
                    if entry & PRESENT == 0 {
                        continue;
                    }
                    match entry & FRAME {
                        0 => hidden = true,
                        frame => *mappers.entry(frame).or_default() |= 1 << index,
                    }
                }
                page += count;
            }
        }
    }
    if hidden && mappers.is_empty() {
        return Ok(None);
    }
    let mut shares = vec![0.0f64; processes.len()];
    for bits in mappers.values() {
        let share = (PAGE / 1024) as f64 / f64::from(bits.count_ones());
        for (index, slot) in shares.iter_mut().enumerate().take(32) {
            if bits & (1 << index) != 0 {
                *slot += share;
            }
        }
    }
    let mut kinds = Kinds::default();
    for (&(_, kind), kib) in processes.iter().zip(shares) {
        kinds.add(kind, kib.round() as u64);
    }
    Ok(Some(kinds))
}

/// The address ranges of the mappings in `smaps` that have pages in RAM.
fn resident_ranges(smaps: &str) -> Vec<(u64, u64)> {
    let mut ranges = Vec::new();
    let mut current = None;
    for line in smaps.lines() {
        // A mapping's header starts with its range in lower-case hex; its fields are capitalised.
        if line.starts_with(|c: char| c.is_ascii_digit() || ('a'..='f').contains(&c)) {
            current = line
                .split_once(' ')
                .and_then(|(range, _)| range.split_once('-'))
                .and_then(|(a, b)| {
                    Some((
                        u64::from_str_radix(a, 16).ok()?,
                        u64::from_str_radix(b, 16).ok()?,
                    ))
                });
        } else if let Some(rss) = line.strip_prefix("Rss:") {
            let resident = rss.trim().trim_end_matches("kB").trim() != "0";
            if let (true, Some(range)) = (resident, current.take()) {
                ranges.push(range);
            }
        }
    }
    ranges
}

/// Lets the window sit untouched, then takes the median of three readings a second apart.
async fn settled_footprint(pid: u32) -> Result<Footprint> {
    tokio::time::sleep(SETTLE).await;
    let mut readings = Vec::new();
    for _ in 0..3 {
        readings.push(footprint(pid)?);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    readings.sort_by_key(Footprint::total);
    Ok(readings[1])
}

// ---------------------------------------------------------------------------------------------
// In the page

/// Installs the page's probe: a capturing `keydown` listener notes when Enter went down, and a
/// `MutationObserver` watches the newest reply. Each measurement arms `__bench.probe`.
///
/// "Painted" is the end of the rendering update in which text entered the DOM: the app applies a
/// reply's deltas in `requestAnimationFrame` callbacks, and both a task queued from there and the
/// next frame's callbacks run after that frame's style, layout and paint (the first token is
/// timed by whichever runs first; other queued work can delay either).
const PROBE: &str = r#"
if (!window.__bench) {
  const b = window.__bench = { probe: null };
  const afterPaint = (f) => {
    const c = new MessageChannel();
    c.port1.onmessage = () => f(performance.now());
    c.port2.postMessage(null);
  };
  const newestReply = () => {
    const all = document.querySelectorAll('[data-testid=message][data-role=assistant]');
    const m = all[all.length - 1];
    return m ? m.querySelector('[data-testid=message-content]') : null;
  };
  addEventListener('keydown', (e) => {
    const p = b.probe;
    if (p && e.key === 'Enter' && p.enterAt === null) p.enterAt = performance.now();
  }, true);
  new MutationObserver(() => {
    const p = b.probe;
    if (!p || p.enterAt === null || p.finished) return;
    const c = newestReply();
    if (p.kind === 'first') {
      // The stages: the reply shown as started (the question saved), then its first token.
      const all = document.querySelectorAll('[data-testid=message]');
      const reply = all[all.length - 1], asked = all[all.length - 2];
      if (p.startedAt === null && reply && asked && reply.dataset.role === 'assistant'
          && asked.querySelector('[data-testid=message-content]')?.textContent === p.question) {
        p.startedAt = performance.now();
      }
      if (c && c.textContent.includes(p.marker)) {
        p.finished = true;
        p.domAt = performance.now();
        // Painted by whichever comes first: a task after this rendering update, or the start
        // of the next one.
        const painted = (t) => (p.paintedAt = p.paintedAt === null ? t : Math.min(p.paintedAt, t));
        afterPaint(painted);
        requestAnimationFrame(painted);
      }
      return;
    }
    if (!c) return;
    // Streaming: tokens are "w0 w1 …", in order, so the last one says how many are shown.
    const m = /w(\d+)\D*$/.exec(c.textContent.slice(-60));
    const count = m ? Number(m[1]) + 1 : 0;
    if (count > p.count) {
      p.count = count;
      afterPaint((t) => p.samples.push([t, count]));
      if (count >= p.n) p.finished = true;
    }
  }).observe(document.body, { childList: true, subtree: true, characterData: true });
}
"#;

/// True once the turn that sent `arguments[0]` has its reply complete and the composer is ready
/// for the next message; waits in the page for up to 20 s.
const TURN_DONE: &str = r#"
const [text, done] = arguments;
const ready = () => {
  const all = document.querySelectorAll('[data-testid=message]');
  const n = all.length;
  if (n < 2) return false;
  const reply = all[n - 1], asked = all[n - 2];
  const composer = document.querySelector('[data-testid=composer]');
  const send = document.querySelector('[data-testid=send]');
  return reply.dataset.role === 'assistant' && reply.dataset.status === 'complete'
    && asked.dataset.role === 'user'
    && asked.querySelector('[data-testid=message-content]')?.textContent === text
    && composer !== null && composer.value === ''
    && send !== null && send.textContent.trim() === 'Send';
};
if (ready()) { done(true); return; }
const observer = new MutationObserver(() => {
  if (ready()) { observer.disconnect(); clearTimeout(timer); done(true); }
});
const timer = setTimeout(() => { observer.disconnect(); done(ready()); }, 20000);
observer.observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true });
"#;

async fn install_probe(app: &App) -> Result<()> {
    app.client.execute(PROBE, vec![]).await?;
    Ok(())
}

async fn arm(app: &App, probe: Value) -> Result<()> {
    app.client
        .execute("window.__bench.probe = arguments[0];", vec![probe])
        .await?;
    Ok(())
}

async fn probe(app: &App) -> Result<Value> {
    Ok(app
        .client
        .execute("return window.__bench.probe", vec![])
        .await?)
}

async fn new_chat(app: &App) -> Result<()> {
    app.wait_for(Locator::Css(APP_READY)).await?.click().await?;
    // A fresh chat shows its empty state; wait for it so that the next keys go to this chat.
    app.eventually("the new chat to open", || async {
        let empty = app
            .client
            .execute(
                "return document.querySelectorAll('[data-testid=message]').length === 0
                    && document.querySelector('[data-testid=composer]') !== null",
                vec![],
            )
            .await?;
        Ok((empty == Value::Bool(true)).then_some(()))
    })
    .await
}

/// Types `text` into the composer and presses Enter (real key events, through WebDriver).
async fn send(app: &App, text: &str) -> Result<()> {
    let composer = app.wait_for(Locator::Css("[data-testid=composer]")).await?;
    composer
        .send_keys(&format!("{text}{}", char::from(Key::Enter)))
        .await?;
    Ok(())
}

async fn turn_done(app: &App, text: &str) -> Result<()> {
    let done = app
        .client
        .execute_async(TURN_DONE, vec![text.into()])
        .await?;
    if done != Value::Bool(true) {
        return Err(format!("the reply to {text:?} did not complete within 20 s").into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Enter → first token

async fn first_token(app: &App, server: &FaultServer) -> Result<Vec<FirstToken>> {
    new_chat(app).await?;
    let mut latencies = Vec::new();
    for i in 0..FIRST_TOKEN_SENDS {
        let marker = format!("tok{i}x");
        server.chat([Reply::sse([
            delta(&format!("{marker} ")),
            delta("and "),
            delta("the rest."),
            finish("stop"),
            DONE.to_owned(),
        ])]);
        let question = format!("Question {i}");
        arm(
            app,
            json!({ "kind": "first", "marker": marker, "question": question, "enterAt": null,
                    "startedAt": null, "domAt": null, "paintedAt": null, "finished": false }),
        )
        .await?;
        send(app, &question).await?;
        turn_done(app, &question).await?;
        let p = app
            .eventually("the first token to be painted", || async {
                let p = probe(app).await?;
                Ok((!p["paintedAt"].is_null()).then_some(p))
            })
            .await?;
        let enter = number(&p["enterAt"])?;
        latencies.push(FirstToken {
            started: number(&p["startedAt"])? - enter,
            in_dom: number(&p["domAt"])? - enter,
            painted: number(&p["paintedAt"])? - enter,
        });
    }
    Ok(latencies)
}

fn painted(sends: &[FirstToken]) -> Vec<f64> {
    sends.iter().map(|s| s.painted).collect()
}

/// One send's stages, in ms after Enter went down.
struct FirstToken {
    /// The question and an empty reply are on screen (saved, and the request under way).
    started: f64,
    /// The first token's text is in the reply's DOM.
    in_dom: f64,
    /// The frame that shows it has been rendered.
    painted: f64,
}

fn number(v: &Value) -> Result<f64> {
    v.as_f64()
        .ok_or_else(|| format!("expected a number, got {v}").into())
}

// ---------------------------------------------------------------------------------------------
// Streaming

struct Stream {
    /// The server's pace, read straight off the socket: tokens per second.
    socket_rate: f64,
    /// (ms since Enter, tokens shown) after each frame that showed more.
    samples: Vec<(f64, u64)>,
    /// Gaps between animation frames while the reply streamed, in ms, each with the number of
    /// tokens shown when the frame began.
    frame_gaps: Vec<(f64, u64)>,
    /// The final text held exactly the tokens sent, in order.
    lost: Option<String>,
}

impl Stream {
    fn painted_rate(&self) -> f64 {
        match (self.samples.first(), self.samples.last()) {
            (Some(&(t0, n0)), Some(&(t1, n1))) if t1 > t0 => (n1 - n0) as f64 / (t1 - t0) * 1e3,
            _ => 0.0,
        }
    }

    fn longest_frame_gap(&self) -> f64 {
        self.gaps().into_iter().fold(0.0, f64::max)
    }

    fn gaps(&self) -> Vec<f64> {
        self.frame_gaps.iter().map(|g| g.0).collect()
    }
}

fn stream_token(i: usize) -> String {
    // A paragraph every 50 tokens, so the reply renders like prose rather than one long line.
    if i % 50 == 49 {
        format!("w{i}\n\n")
    } else {
        format!("w{i} ")
    }
}

async fn stream(app: &App, server: &FaultServer) -> Result<Stream> {
    let tokens: Vec<String> = (0..STREAM_TOKENS).map(stream_token).collect();
    stream_reply(app, server, "", &tokens, "Stream 5,000 tokens").await
}

/// Streams a reply of `intro` and then `tokens` (each holding `w<its index>`, as the probe counts
/// them) at about 1,000 tokens/s, and measures it.
async fn stream_reply(
    app: &App,
    server: &FaultServer,
    intro: &str,
    tokens: &[String],
    question: &str,
) -> Result<Stream> {
    let n = tokens.len();
    let mut writes: Vec<String> = std::iter::once(delta(intro))
        .filter(|_| !intro.is_empty())
        .chain(
            tokens
                .chunks(TOKENS_PER_WRITE)
                .map(|group| group.iter().map(|t| delta(t)).collect()),
        )
        .collect();
    writes.push(format!("{}{DONE}", finish("stop")));
    server.chat([Reply::sse(writes).paced(WRITE_PAUSE)]);
    let socket_rate = n as f64 / read_off_socket(server).await?.as_secs_f64();

    new_chat(app).await?;
    arm(
        app,
        json!({ "kind": "stream", "n": n, "count": 0, "samples": [], "enterAt": null, "finished": false }),
    )
    .await?;
    // Frame gaps: a requestAnimationFrame loop for as long as the probe is armed.
    app.client
        .execute(
            "const p = window.__bench.probe; p.gaps = []; let last = null;
             const frame = (t) => {
               if (last !== null && p.count > 0) p.gaps.push([t - last, p.count]);
               last = t;
               if (!p.stop) requestAnimationFrame(frame);
             };
             requestAnimationFrame(frame);",
            vec![],
        )
        .await?;
    send(app, question).await?;
    // A window slow to paint takes longer than one wait for the reply to complete.
    let mut waited = turn_done(app, question).await;
    for _ in 0..2 {
        if waited.is_ok() {
            break;
        }
        waited = turn_done(app, question).await;
    }
    waited?;
    // The reply is complete; its last frame's sample follows within a task or two.
    let deadline = Instant::now() + Duration::from_secs(2);
    let p = loop {
        let p = probe(app).await?;
        let shown = p["samples"].as_array().and_then(|s| s.last()).cloned();
        if shown.is_some_and(|s| s[1].as_u64() == Some(n as u64)) || Instant::now() > deadline {
            break p;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    app.client
        .execute("window.__bench.probe.stop = true", vec![])
        .await?;
    let enter = number(&p["enterAt"])?;
    let samples = p["samples"]
        .as_array()
        .ok_or("no samples")?
        .iter()
        .map(|s| Ok((number(&s[0])? - enter, s[1].as_u64().ok_or("bad count")?)))
        .collect::<Result<Vec<_>>>()?;
    // From the frame that showed the first token to the one that showed the last.
    let frame_gaps = p["gaps"]
        .as_array()
        .ok_or("no frame gaps")?
        .iter()
        .map(|g| Ok((number(&g[0])?, g[1].as_u64().ok_or("bad count")?)))
        .filter(|g| g.as_ref().map_or(true, |g| g.1 < n as u64))
        .collect::<Result<Vec<_>>>()?;
    // None lost: the reply's tokens are exactly the ones sent, in order.
    let shown: Vec<u64> = serde_json::from_value(
        app.client
            .execute(
                "const all = document.querySelectorAll('[data-testid=message][data-role=assistant] [data-testid=message-content]');
                 return [...all[all.length - 1].textContent.matchAll(/w(\\d+)/g)].map((m) => Number(m[1]));",
                vec![],
            )
            .await?,
    )?;
    let lost = (0..n)
        .find(|&i| shown.get(i) != Some(&(i as u64)))
        .map(|i| format!("token {i} is {:?}", shown.get(i).map(|k| format!("w{k}"))))
        .or_else(|| (shown.len() != n).then(|| format!("{} tokens shown for {n}", shown.len())));
    Ok(Stream {
        socket_rate,
        samples,
        frame_gaps,
        lost,
    })
}

/// Reads the scripted reply once over a raw HTTP/1.1 connection and returns how long its body took
/// from first byte to last: the pace the server really keeps.
async fn read_off_socket(server: &FaultServer) -> Result<Duration> {
    let addr = server.addr;
    tokio::task::spawn_blocking(move || -> Result<Duration> {
        let mut socket = std::net::TcpStream::connect(addr)?;
        socket.write_all(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n\
              Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
        )?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut first = None;
        loop {
            let n = socket.read(&mut buf)?;
            if n == 0 {
                break;
            }
            first.get_or_insert_with(Instant::now);
        }
        Ok(first.ok_or("the server sent nothing")?.elapsed())
    })
    .await?
}

// ---------------------------------------------------------------------------------------------
// Many turns

struct Turns {
    count: usize,
    took: Duration,
    /// Per turn, in ms: typing the message and pressing Enter (WebDriver key events), then waiting
    /// for the reply to complete and the composer to be ready again.
    typing: Vec<f64>,
    replying: Vec<f64>,
    /// (turns done, memory in KiB), read without settling.
    trend: Vec<(usize, u64)>,
    /// Idle memory after the first [`EARLY_TURNS`] turns, when there are more.
    early: Option<Footprint>,
    /// The requests the server received during the turns, by path.
    requests: Vec<(String, usize)>,
}

async fn many_turns(app: &App, server: &FaultServer, pid: u32, turns: usize) -> Result<Turns> {
    server.chat([Reply::sse([
        delta("Noted"),
        delta(", "),
        delta("thank you."),
        finish("stop"),
        DONE.to_owned(),
    ])]);
    new_chat(app).await?;
    // The scripted server answers every request with the same stream, so it cannot write a
    // summary: this chat keeps the recent messages only, and never asks for one.
    app.wait_for(Locator::Css("[data-testid=open-chat-options]"))
        .await?
        .click()
        .await?;
    app.wait_for(Locator::Css("[data-testid=memory-sliding_window]"))
        .await?
        .click()
        .await?;
    app.wait_for(Locator::Css("[data-testid=save-chat-options]"))
        .await?
        .click()
        .await?;
    app.eventually("the chat options to close", || async {
        Ok(app
            .texts("[data-testid=chat-options]")
            .await?
            .is_empty()
            .then_some(()))
    })
    .await?;

    let started = Instant::now();
    let mut paused = Duration::ZERO;
    let mut early = None;
    let requests_before = server.requests().len();
    let mut trend = vec![(0, footprint(pid)?.total())];
    let (mut typing, mut replying) = (Vec::new(), Vec::new());
    for i in 1..=turns {
        let text = format!("Turn {i}");
        let turn = Instant::now();
        send(app, &text).await?;
        typing.push(ms(turn.elapsed()));
        let sent = Instant::now();
        turn_done(app, &text).await?;
        replying.push(ms(sent.elapsed()));
        if i % 100 == 0 || i == turns {
            trend.push((i, footprint(pid)?.total()));
            eprintln!(
                "turn {i}: {:.0} ms per turn, {}",
                ms(started.elapsed() - paused) / i as f64,
                mib(trend.last().map_or(0, |t| t.1))
            );
        }
        // A step once the chat shows a full page of messages, or growth with every turn?
        if i == EARLY_TURNS && turns > EARLY_TURNS {
            let pause = Instant::now();
            early = Some(settled_footprint(pid).await?);
            paused += pause.elapsed();
        }
    }
    Ok(Turns {
        count: turns,
        took: started.elapsed() - paused,
        early,
        typing,
        replying,
        trend,
        requests: by_path(&server.requests()[requests_before..]),
    })
}

fn by_path(requests: &[(String, Value)]) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for (path, _) in requests {
        match counts.iter_mut().find(|(p, _)| p == path) {
            Some((_, n)) => *n += 1,
            None => counts.push((path.clone(), 1)),
        }
    }
    counts
}

// ---------------------------------------------------------------------------------------------
// Report

struct Figures {
    app_starts: Vec<Start>,
    empty_starts: Vec<Start>,
    empty_idle: Footprint,
    app_idle: Footprint,
    app_after: Footprint,
    /// After the first-token sends and the long stream too.
    app_end: Footprint,
    first: Vec<FirstToken>,
    stream: Stream,
    /// The long code block, streamed after `stream`.
    code: Stream,
    turned: Turns,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(values: &[f64]) -> f64 {
    percentile(values, 0.5)
}

/// The nearest-rank percentile.
fn percentile(values: &[f64], p: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// The main figure, with PSS as read beside it when the two differ.
fn both(f: &Footprint) -> String {
    match f.alone {
        Some(_) => format!("{} ({})", f.total_mib(), mib(f.pss.total())),
        None => f.total_mib(),
    }
}

fn by_process(f: &Footprint) -> String {
    let k = f.main();
    format!(
        "app {} · web {} · network {}",
        mib(k.app),
        mib(k.web),
        mib(k.network)
    )
}

fn verdict(ratio: f64, target: f64) -> &'static str {
    if ratio <= target {
        "met"
    } else {
        "MISSED"
    }
}

fn report(f: &Figures) {
    let usable = |s: &[Start]| median(&s.iter().map(|s| ms(s.usable)).collect::<Vec<_>>());
    let exec = |s: &[Start]| median(&s.iter().map(|s| ms(s.since_exec)).collect::<Vec<_>>());
    let loaded = |s: &[Start]| median(&s.iter().map(|s| ms(s.page_loaded)).collect::<Vec<_>>());
    let page = |s: &[Start]| median(&s.iter().map(|s| ms(s.page_began)).collect::<Vec<_>>());
    let (app_start, empty_start) = (usable(&f.app_starts), usable(&f.empty_starts));
    let start_ratio = app_start / empty_start;
    let memory_ratio = f.app_idle.total() as f64 / f.empty_idle.total() as f64;
    let of_start = |fp: &Footprint| fp.total() as f64 / f.app_idle.total() as f64;
    // Growth over the turns after the first ones; with too few turns for that, since start.
    let (flat_from, flat_base) = match &f.turned.early {
        Some(early) => (EARLY_TURNS, early),
        None => (0, &f.app_idle),
    };
    let flat_ratio = f.app_after.total() as f64 / flat_base.total() as f64;
    let s = &f.stream;
    let gaps = s.gaps();
    let gaps_over_50 = gaps.iter().filter(|&&g| g > 50.0).count();
    let last_painted = s.samples.last().map_or(f64::NAN, |t| t.0);

    println!();
    println!(
        "Desktop benchmark (through WebDriver, {} starts each)",
        f.app_starts.len()
    );
    println!();
    println!("| | Confab | empty Tauri window | ratio | target |");
    println!("|---|---|---|---|---|");
    println!(
        "| cold start to usable window (median) | {app_start:.0} ms | {empty_start:.0} ms | {start_ratio:.3}× | ≤ {START_TARGET}×: {} |",
        verdict(start_ratio, START_TARGET)
    );
    let fastest =
        |s: &[Start]| percentile(&s.iter().map(|s| ms(s.usable)).collect::<Vec<_>>(), 0.0);
    println!(
        "| … fastest start | {:.0} ms | {:.0} ms | {:.2}× | |",
        fastest(&f.app_starts),
        fastest(&f.empty_starts),
        fastest(&f.app_starts) / fastest(&f.empty_starts)
    );
    println!(
        "| … counted from the process's start instead | {:.0} ms | {:.0} ms | {:.2}× | |",
        exec(&f.app_starts),
        exec(&f.empty_starts),
        exec(&f.app_starts) / exec(&f.empty_starts)
    );
    println!(
        "| … of which until the page began loading | {:.0} ms | {:.0} ms | | |",
        page(&f.app_starts),
        page(&f.empty_starts)
    );
    println!(
        "| … of which until its DOMContentLoaded ended | {:.0} ms | {:.0} ms | | |",
        loaded(&f.app_starts),
        loaded(&f.empty_starts)
    );
    println!(
        "| idle memory at start | {} | {} | {memory_ratio:.3}× | ≤ {MEMORY_TARGET}×: {} |",
        both(&f.app_idle),
        both(&f.empty_idle),
        verdict(memory_ratio, MEMORY_TARGET)
    );
    let (app, empty) = (f.app_idle.main(), f.empty_idle.main());
    for (name, app, empty) in [
        ("app process", app.app, empty.app),
        ("WebKitWebProcess", app.web, empty.web),
        ("WebKitNetworkProcess", app.network, empty.network),
        ("other children", app.other, empty.other),
    ] {
        if app + empty > 0 {
            println!(
                "| … {name} | {} | {} | {:.2}× | |",
                mib(app),
                mib(empty),
                app as f64 / empty.max(1) as f64
            );
        }
    }
    if let Some(early) = &f.turned.early {
        println!(
            "| idle memory after the first {EARLY_TURNS} turns | {} | | {:.3}× of start | |",
            both(early),
            of_start(early)
        );
        println!("| … by process | {} | | | |", by_process(early));
    }
    println!(
        "| idle memory after {} turns | {} | | {:.3}× of start | |",
        f.turned.count,
        both(&f.app_after),
        of_start(&f.app_after)
    );
    println!("| … by process | {} | | | |", by_process(&f.app_after));
    let grown = f.app_after.total() as f64 - flat_base.total() as f64;
    println!(
        "| flat: growth from turn {flat_from} to turn {} | {:+.1} MiB ({:+.1} KiB per turn) | | {flat_ratio:.3}× | ≤ {FLAT_TARGET}×: {} |",
        f.turned.count,
        grown / 1024.0,
        grown / (f.turned.count - flat_from).max(1) as f64,
        verdict(flat_ratio, FLAT_TARGET)
    );
    println!(
        "| idle memory at the end, after the sends and the streams below too | {} | | {:.2}× of start | |",
        both(&f.app_end),
        of_start(&f.app_end)
    );
    println!("| … by process | {} | | | |", by_process(&f.app_end));
    println!();
    println!(
        "Memory: each physical page the app's processes map counted once (their PSS if nothing \
         else ran){}.",
        if f.app_idle.alone.is_some() {
            "; in brackets, PSS as read, which other WebKit processes on the machine shrink"
        } else {
            " could not be read (it takes root): PSS as read instead"
        }
    );
    println!();
    let stage =
        |pick: fn(&FirstToken) -> f64| median(&f.first.iter().map(pick).collect::<Vec<_>>());
    let first = painted(&f.first);
    println!(
        "Enter → first token painted ({} sends): median {:.1} ms, p90 {:.1} ms, max {:.1} ms \
         (medians: reply shown as started {:.1} ms, token in the DOM {:.1} ms)",
        f.first.len(),
        median(&first),
        percentile(&first, 0.9),
        percentile(&first, 1.0),
        stage(|s| s.started),
        stage(|s| s.in_dom)
    );
    println!(
        "Streaming {STREAM_TOKENS} tokens (server pace {:.0} tokens/s at the socket): {:.0} tokens/s painted, \
         {} frames showed more text, last token painted {:.0} ms after Enter (socket alone: {:.0} ms), {}",
        s.socket_rate,
        s.painted_rate(),
        s.samples.len(),
        last_painted,
        STREAM_TOKENS as f64 / s.socket_rate * 1e3,
        s.lost.as_deref().map_or("none lost".to_owned(), |l| format!("LOST: {l}"))
    );
    println!(
        "  frames while streaming: {}, gap median {:.1} ms, p99 {:.1} ms, longest {:.1} ms, {} over 50 ms",
        gaps.len(),
        median(&gaps),
        percentile(&gaps, 0.99),
        s.longest_frame_gap(),
        gaps_over_50
    );
    // How frames stretch as the reply grows.
    let buckets: Vec<String> = (0..STREAM_TOKENS as u64)
        .step_by(1_000)
        .map(|from| {
            let in_bucket: Vec<f64> = s
                .frame_gaps
                .iter()
                .filter(|g| (from..from + 1_000).contains(&g.1))
                .map(|g| g.0)
                .collect();
            format!(
                "{from}–{}: {:.0}/{:.0} ms",
                from + 1_000,
                median(&in_bucket),
                percentile(&in_bucket, 1.0)
            )
        })
        .collect();
    println!(
        "  frame gap median/longest by tokens shown: {}",
        buckets.join(", ")
    );
    code_block::report(&f.code);
    println!(
        "{} turns in {:.0} s ({:.0} ms per turn: typing median {:.0} ms, then reply and composer \
         ready median {:.0} ms); PSS along the way: {}",
        f.turned.count,
        f.turned.took.as_secs_f64(),
        ms(f.turned.took) / f.turned.count.max(1) as f64,
        median(&f.turned.typing),
        median(&f.turned.replying),
        f.turned
            .trend
            .iter()
            .map(|(n, kib)| format!("{n}: {}", mib(*kib)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  requests per turn: {}",
        f.turned
            .requests
            .iter()
            .map(|(path, n)| format!("{path} {:.2}", *n as f64 / f.turned.count.max(1) as f64))
            .collect::<Vec<_>>()
            .join(", ")
    );
}
