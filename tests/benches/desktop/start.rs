//! Cold start: from the WebDriver new-session request to a usable window, and where the time went.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use confab_tests::{App, DataDir, Result};
use serde_json::Value;

use crate::memory::app_pid;
use crate::report::ms;

/// How long a window may take to become usable before the start counts as failed.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// One cold start: times from the session request to a usable window.
pub async fn cold_start(binary: &Path, ready: &str, env: &[(&str, &str)]) -> Result<Start> {
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
pub struct Start {
    /// From the session request to a usable window.
    pub usable: Duration,
    /// From the process's start (after WebDriver's own set-up) to a usable window, ±20 ms.
    pub since_exec: Duration,
    /// From the session request to the webview's navigation start (`performance.timeOrigin`).
    pub page_began: Duration,
    /// From the session request to the end of the page's `DOMContentLoaded` (its scripts run).
    pub page_loaded: Duration,
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
pub async fn wait_usable(window: &App, css: &str) -> Result<Duration> {
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
