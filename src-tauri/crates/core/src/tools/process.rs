//! Starting a stdio server: no shell (the command is found on `PATH` and run as itself), in the
//! chosen folder, with only the environment the user gave it plus `PATH`, `HOME` and the locale,
//! in a process group of its own that is ended with it — when it is turned off, when no chat needs
//! it, when Confab quits, and at once when the server itself dies (what it started goes too).
//! Its stderr is appended to a log file the user can open. Its stdout is for the protocol only: a
//! line that is not JSON (a banner, a "listening on…") ends the connection with that line quoted,
//! rather than leaving the client waiting for an answer that will not come.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tokio::process::{ChildStdin, Command};
use tokio::sync::watch;

use super::definition::ServerDefinition;
use super::hidden::escape_hidden;
use super::ToolsError;

/// Variables passed on from Confab's own environment; everything else the server gets is what the
/// user set for it.
const PASSED_ON: &[&str] = &["PATH", "HOME", "LANG", "LANGUAGE", "TZ"];
/// A log larger than this is moved aside (to `NAME.log.1`) when the server starts.
const MAX_LOG_BYTES: u64 = 1024 * 1024;
/// The longest protocol line accepted from a server (a result is capped far below this).
const MAX_LINE_BYTES: u64 = 64 * 1024 * 1024;
/// How long a server is given to leave by itself once its input is closed, then after SIGTERM.
const GRACE: Duration = Duration::from_millis(1500);

/// A running stdio server's process. Dropping it kills the whole group.
pub(crate) struct ServerProcess {
    pid: u32,
    exited: watch::Receiver<Option<String>>,
    banner: Arc<Mutex<Option<String>>>,
    log: PathBuf,
    watcher: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for ServerProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerProcess")
            .field("pid", &self.pid)
            .finish_non_exhaustive()
    }
}

/// The server's side of the protocol: what it writes (lines checked to be JSON) and its stdin.
pub(crate) type Pipes = (DuplexStream, ChildStdin);

/// Where a server's stderr goes: `logs/NAME.log` (the name made safe for a file name).
pub fn log_path(log_dir: &Path, server: &str) -> PathBuf {
    let safe: String = server
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    log_dir.join(format!("{safe}.log"))
}

/// Starts `def` (a stdio definition). `log_dir` receives its stderr.
pub(crate) fn spawn(
    def: &ServerDefinition,
    log_dir: &Path,
) -> Result<(ServerProcess, Pipes), ToolsError> {
    let command = def.command.as_deref().unwrap_or_default();
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let cwd = def
        .cwd
        .as_deref()
        .map(PathBuf::from)
        .or_else(|| home.clone())
        .unwrap_or_else(|| PathBuf::from("/"));
    if !cwd.is_dir() {
        return Err(ToolsError::Start {
            server: def.name.clone(),
            cause: format!("its working folder {} does not exist", cwd.display()),
        });
    }
    let path_var = std::env::var_os("PATH").unwrap_or_default();
    let program = resolve(command, &path_var, &cwd).ok_or_else(|| ToolsError::CommandNotFound {
        server: def.name.clone(),
        command: escape_hidden(command),
    })?;

    let log = log_path(log_dir, &def.name);
    let stderr = open_log(&log).map_err(|e| ToolsError::Start {
        server: def.name.clone(),
        cause: format!("its log {} could not be opened ({e})", log.display()),
    })?;

    let mut cmd = Command::new(&program);
    cmd.args(&def.args)
        .current_dir(&cwd)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr))
        .kill_on_drop(true);
    for (key, value) in std::env::vars_os() {
        let passed = key
            .to_str()
            .is_some_and(|k| PASSED_ON.contains(&k) || k.starts_with("LC_"));
        if passed {
            cmd.env(key, value);
        }
    }
    cmd.envs(&def.env);
    #[cfg(unix)]
    cmd.process_group(0);

    let mut child = cmd.spawn().map_err(|e| ToolsError::Start {
        server: def.name.clone(),
        cause: format!("{} could not be started ({e})", program.display()),
    })?;
    let pid = child.id().unwrap_or_default();
    let stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");

    let banner = Arc::new(Mutex::new(None));
    let (to_client, from_server) = tokio::io::duplex(256 * 1024);
    tokio::spawn(forward_protocol_lines(stdout, to_client, banner.clone()));

    let (exited_tx, exited) = watch::channel(None);
    let watcher = tokio::spawn(async move {
        let status = child.wait().await;
        // The server is gone: whatever it started in its group goes too, now.
        kill_group(pid, true);
        let said = match status {
            Ok(status) => status.to_string(),
            Err(e) => e.to_string(),
        };
        let _ = exited_tx.send(Some(said));
    });
    Ok((
        ServerProcess {
            pid,
            exited,
            banner,
            log,
            watcher,
        },
        (from_server, stdin),
    ))
}

impl ServerProcess {
    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    pub(crate) fn log(&self) -> &Path {
        &self.log
    }

    /// The non-protocol line the server printed on stdout, if that is why the connection ended.
    pub(crate) fn banner(&self) -> Option<String> {
        self.banner.lock().ok().and_then(|b| b.clone())
    }

    /// How the process ended ("exit status: 1", "signal: 9 (SIGKILL)"), if it has.
    pub(crate) fn exit_status(&self) -> Option<String> {
        self.exited.borrow().clone()
    }

    /// Waits until the process has ended, at most `within`.
    pub(crate) async fn wait_exit(&self, within: Duration) -> Option<String> {
        let mut exited = self.exited.clone();
        let ended = tokio::time::timeout(within, exited.wait_for(Option::is_some)).await;
        match ended {
            Ok(Ok(status)) => status.clone(),
            _ => None,
        }
    }

    /// Ends the server politely (its input is already closed by the caller): time to leave, then
    /// SIGTERM to the group, then SIGKILL.
    pub(crate) async fn stop(self) {
        if self.wait_exit(GRACE).await.is_none() {
            kill_group(self.pid, false);
            if self.wait_exit(GRACE).await.is_none() {
                kill_group(self.pid, true);
                self.wait_exit(GRACE).await;
            }
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        kill_group(self.pid, true);
        self.watcher.abort();
    }
}

/// Signals the process group led by `pid` (every server is its own group's leader).
#[cfg(unix)]
fn kill_group(pid: u32, hard: bool) {
    use rustix::process::{kill_process_group, Pid, Signal};
    let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return;
    };
    let signal = if hard { Signal::KILL } else { Signal::TERM };
    // ESRCH (nobody left in the group) is the usual, wanted outcome.
    let _ = kill_process_group(pid, signal);
}

#[cfg(not(unix))]
fn kill_group(_pid: u32, _hard: bool) {}

/// The program `command` names: a path as given (relative to `cwd` when relative), or the first
/// executable file of that name on `path_var`. No shell is involved.
fn resolve(command: &str, path_var: &std::ffi::OsStr, cwd: &Path) -> Option<PathBuf> {
    if command.contains(std::path::MAIN_SEPARATOR) {
        let path = cwd.join(command);
        return is_executable(&path).then_some(path);
    }
    std::env::split_paths(path_var)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(command))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

fn open_log(log: &Path) -> std::io::Result<std::fs::File> {
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir)?;
    }
    if log.metadata().is_ok_and(|m| m.len() > MAX_LOG_BYTES) {
        let mut old = log.as_os_str().to_owned();
        old.push(".1");
        std::fs::rename(log, old)?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
}

/// Copies the server's stdout to the client line by line while each line is JSON (an object or a
/// batch); at the first line that is not, keeps it in `banner` and ends the stream.
async fn forward_protocol_lines(
    stdout: tokio::process::ChildStdout,
    mut to_client: DuplexStream,
    banner: Arc<Mutex<Option<String>>>,
) {
    use tokio::io::AsyncReadExt as _;
    let mut reader = BufReader::new(stdout);
    let mut line = Vec::with_capacity(8 * 1024);
    loop {
        line.clear();
        match (&mut reader)
            .take(MAX_LINE_BYTES)
            .read_until(b'\n', &mut line)
            .await
        {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let start = line.trim_ascii_start();
        if start.is_empty() {
            continue;
        }
        if !matches!(start[0], b'{' | b'[') {
            let text = String::from_utf8_lossy(start.trim_ascii_end());
            let shown: String = text.chars().take(200).collect();
            if let Ok(mut slot) = banner.lock() {
                *slot = Some(escape_hidden(&shown));
            }
            break;
        }
        if to_client.write_all(&line).await.is_err() {
            break;
        }
    }
    let _ = to_client.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_found_on_path_and_never_through_a_shell() {
        let dir = tempfile::tempdir().unwrap();
        let path =
            std::env::join_paths([Path::new("relative"), dir.path(), Path::new("/bin")]).unwrap();
        let tool = dir.path().join("my-server");
        std::fs::write(&tool, "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        assert_eq!(
            resolve("my-server", &path, Path::new("/")),
            Some(tool.clone())
        );
        assert_eq!(resolve("no-such-server", &path, Path::new("/")), None);
        // A command line is not a command: it is looked for as one file name.
        assert_eq!(resolve("my-server; rm -rf ~", &path, Path::new("/")), None);
        assert_eq!(
            resolve("./my-server", &path, dir.path()),
            Some(dir.path().join("./my-server"))
        );
    }

    #[test]
    fn log_names_are_safe_file_names() {
        assert_eq!(
            log_path(Path::new("/logs"), "../etc/passwd x"),
            Path::new("/logs/.._etc_passwd_x.log")
        );
    }
}
