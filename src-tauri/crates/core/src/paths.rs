//! Where Confab keeps its data.
//!
//! The desktop app asks Tauri for the OS app-data dir; the CLI, which has no Tauri, computes the same
//! directory here. `CONFAB_DATA_DIR` overrides both (tests use it), so both front ends open one file.

use std::path::PathBuf;

/// The bundle identifier, shared with `src-tauri/tauri.conf.json`; the data dir is named after it.
pub const APP_IDENTIFIER: &str = "app.confab.desktop";
/// The database file inside the data dir.
pub const DATABASE_FILE: &str = "confab.db";
/// Environment variable that overrides the data dir for every front end.
pub const DATA_DIR_ENV: &str = "CONFAB_DATA_DIR";

/// The data-dir override from `CONFAB_DATA_DIR`, if set and non-empty.
pub fn data_dir_override() -> Option<PathBuf> {
    std::env::var_os(DATA_DIR_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The data dir a front end without Tauri uses: the override, else the platform's app-data dir
/// (`$XDG_DATA_HOME/<identifier>` or `~/.local/share/<identifier>` on Linux), matching Tauri's
/// `app_data_dir()`.
pub fn default_data_dir() -> Option<PathBuf> {
    if let Some(dir) = data_dir_override() {
        return Some(dir);
    }
    platform_data_dir().map(|base| base.join(APP_IDENTIFIER))
}

#[cfg(target_os = "macos")]
fn platform_data_dir() -> Option<PathBuf> {
    home().map(|h| h.join("Library/Application Support"))
}

#[cfg(target_os = "windows")]
fn platform_data_dir() -> Option<PathBuf> {
    std::env::var_os("APPDATA").map(PathBuf::from)
}

#[cfg(not(any(target_os = "macos", target_os = "windows")))]
fn platform_data_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| home().map(|h| h.join(".local/share")))
}

#[cfg(not(target_os = "windows"))]
fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}
