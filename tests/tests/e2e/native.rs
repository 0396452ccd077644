//! The native dialogs Rust opens (GTK file choosers and message dialogs), driven with xdotool
//! as a person would from the keyboard: there is no window manager under Xvfb, so nothing else
//! gives a dialog the keyboard.

use std::process::Command;
use std::time::{Duration, Instant};

use confab_tests::Result;

/// Runs `xdotool` with `args`; fails with what it printed.
pub fn xdotool(args: &[&str]) -> Result<()> {
    let out = Command::new("xdotool")
        .args(args)
        .output()
        .map_err(|e| format!("xdotool is needed for this test (apt install xdotool): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "xdotool {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(())
}

/// The window of the visible dialog whose title contains `title`, waiting up to 20 s for it.
pub fn find_dialog(title: &str) -> Result<String> {
    let search = Command::new("timeout")
        .args([
            "20",
            "xdotool",
            "search",
            "--sync",
            "--onlyvisible",
            "--name",
            title,
        ])
        .output()?;
    String::from_utf8_lossy(&search.stdout)
        .lines()
        .last()
        .map(str::to_owned)
        .ok_or_else(|| format!("no native dialog titled {title:?} appeared").into())
}

/// Whether a visible dialog whose title contains `title` is still there.
fn dialog_shown(title: &str) -> Result<bool> {
    let search = Command::new("xdotool")
        .args(["search", "--onlyvisible", "--name", title])
        .output()?;
    Ok(!String::from_utf8_lossy(&search.stdout).trim().is_empty())
}

/// Waits for the native confirmation whose title contains `title`, and presses `key` in it until
/// it closes: a dialog just mapped may not take keys yet, so the answer is judged by the dialog
/// going away, not by waiting long enough first.
pub async fn answer_native(title: &str, key: &str) -> Result<()> {
    let title = title.to_owned();
    let key = key.to_owned();
    tokio::task::spawn_blocking(move || -> Result<()> {
        let window = find_dialog(&title)?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            xdotool(&["windowfocus", "--sync", &window])?;
            xdotool(&["key", "--clearmodifiers", &key])?;
            let pressed = Instant::now();
            while pressed.elapsed() < Duration::from_millis(500) {
                if !dialog_shown(&title)? {
                    return Ok(());
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Err(format!("the native dialog titled {title:?} did not close on {key}").into())
    })
    .await??;
    Ok(())
}
