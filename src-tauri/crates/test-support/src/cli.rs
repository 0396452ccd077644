//! Running the `confab-cli` binary on a data directory, as a person would from a shell.
//!
//! The binary's path comes from the caller: Cargo tells only the CLI's own tests where it built it
//! (`env!("CARGO_BIN_EXE_confab-cli")`), and the end-to-end tests find it themselves.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One `confab-cli` binary, run on one data directory.
#[derive(Clone, Debug)]
pub struct Cli {
    binary: PathBuf,
    data_dir: PathBuf,
    endpoint: Option<String>,
}

/// How a run ended and what it printed.
#[derive(Clone, Debug)]
pub struct Output {
    /// The exit code; -1 when a signal ended the process.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == 0
    }
}

impl Cli {
    /// Runs `binary` with `CONFAB_DATA_DIR` set to `data_dir`. The environment's `CONFAB_ENDPOINT`
    /// is never passed on, so no run talks to a server the test did not choose.
    pub fn new(binary: impl Into<PathBuf>, data_dir: &Path) -> Self {
        Self {
            binary: binary.into(),
            data_dir: data_dir.to_owned(),
            endpoint: None,
        }
    }

    /// Sets `CONFAB_ENDPOINT` for every run.
    pub fn endpoint(mut self, url: &str) -> Self {
        self.endpoint = Some(url.to_owned());
        self
    }

    /// Runs `confab-cli args` and waits for it, blocking the thread: for tests whose server (if
    /// any) is another process.
    pub fn run(&self, args: &[&str]) -> io::Result<Output> {
        Ok(output(self.command(args).output()?))
    }

    /// Runs `confab-cli args` without blocking the async runtime, which may be serving the very
    /// requests the CLI makes (a [`crate::fault::FaultServer`] in the same test).
    pub async fn run_async(&self, args: &[&str]) -> io::Result<Output> {
        Ok(output(
            tokio::process::Command::from(self.command(args))
                .output()
                .await?,
        ))
    }

    /// The command [`Cli::run`] runs, for a test that needs the process itself (to signal it, or
    /// to talk to it over pipes).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.binary);
        command
            .args(args)
            .env("CONFAB_DATA_DIR", &self.data_dir)
            // Without a message the chat command reads stdin: give it an empty one, never the test's.
            .stdin(Stdio::null());
        match &self.endpoint {
            Some(url) => command.env("CONFAB_ENDPOINT", url),
            None => command.env_remove("CONFAB_ENDPOINT"),
        };
        command
    }
}

fn output(out: std::process::Output) -> Output {
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
