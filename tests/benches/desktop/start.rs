//! Cold start: from the WebDriver new-session request to a usable window, and where the time went.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use confab_tests::{App, DataDir, Result};
use serde_json::Value;

use crate::memory::app_pid;
use crate::report::ms;

/// How long a window may take to become usable before the start counts as failed.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The page's own timeline, from its navigation and resource timing: when each stage ended, in
/// ms after the navigation began (`performance.timeOrigin`, the first figure).
const PAGE_TIMELINE: &str = "
    const n = performance.getEntriesByType('navigation')[0];
    const at = (t) => (t > 0 ? t : null);
    const scripts = performance.getEntriesByType('resource')
      .filter((r) => /\\.(js|css)$/.test(r.name))
      .map((r) => r.responseEnd);
    const paint = performance.getEntriesByType('paint').find((p) => p.name === 'first-contentful-paint');
    return [performance.timeOrigin, n && at(n.responseEnd), scripts.length ? Math.max(...scripts) : null,
            n && at(n.domInteractive), n && at(n.domContentLoadedEventEnd), n && at(n.loadEventEnd),
            paint ? paint.startTime : null];";

/// The stages of a start, in the order [`PAGE_TIMELINE`] gives them after the navigation's start.
pub const STAGES: [&str; 7] = [
    "the page began loading",
    "its HTML was read",
    "its scripts and styles were read",
    "it was parsed (domInteractive)",
    "its scripts had run (DOMContentLoaded ended)",
    "its load event ended",
    "its first contentful paint",
];

/// One cold start: times from the session request to a usable window.
pub async fn cold_start(binary: &Path, ready: &str, env: &[(&str, &str)]) -> Result<Start> {
    let data = DataDir::new()?;
    let window = App::launch_binary(binary, &data, env).await?;
    let usable = wait_usable(&window, ready).await?;
    let since_exec = process_age(app_pid(&window, binary)?)?;
    let timeline: Vec<Option<f64>> =
        serde_json::from_value(window.client.execute(PAGE_TIMELINE, vec![]).await?)?;
    let requested = SystemTime::now() - window.launched_at.elapsed();
    let requested_ms = requested.duration_since(UNIX_EPOCH)?.as_secs_f64() * 1e3;
    window.quit().await?;
    // Let the processes of this run go before the next one starts.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let origin = timeline.first().copied().flatten().unwrap_or(requested_ms);
    let stages = timeline
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let after = if i == 0 { Some(0.0) } else { *t };
            after.map(|t| Duration::from_secs_f64(((origin + t - requested_ms) / 1e3).max(0.0)))
        })
        .collect();
    Ok(Start {
        usable,
        since_exec,
        stages,
    })
}

#[derive(Clone)]
pub struct Start {
    /// From the session request to a usable window.
    pub usable: Duration,
    /// From the process's start (after WebDriver's own set-up) to a usable window, ±20 ms.
    pub since_exec: Duration,
    /// From the session request to the end of each of [`STAGES`], where the page tells.
    pub stages: Vec<Option<Duration>>,
}

impl std::fmt::Display for Start {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let stages: Vec<String> = self
            .stages
            .iter()
            .map(|s| s.map_or("–".into(), |d| format!("{:.0}", ms(d))))
            .collect();
        write!(
            f,
            "{:.0} ms (process started {:.0} ms before; page stages at {} ms)",
            ms(self.usable),
            ms(self.since_exec),
            stages.join(", ")
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
