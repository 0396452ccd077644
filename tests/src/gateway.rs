//! LiteLLM's real proxy (PyPI `litellm[proxy]`, in the project's venv beside llama.cpp) in front
//! of a [`LlamaServer`]: a gateway with a master key, as people run one before their local models.
//!
//! `scripts/test.sh` installs it (`ensure_litellm` in `scripts/common.sh`). Missing, it is a
//! failure with instructions, never a skip.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::llama::{LlamaServer, MODEL};
use crate::{workspace_root, Result};

/// The proxy's master key: every request must carry it.
pub const KEY: &str = "sk-confab-gateway-test";
/// How long the proxy may take to start: it imports a great deal of Python (about 20 s of CPU on
/// the CI machine, more when the machine is busy).
const START_TIMEOUT: Duration = Duration::from_secs(180);

pub struct Gateway {
    child: Child,
    pub url: String,
    _config: tempfile::TempDir,
}

impl Gateway {
    /// Starts the proxy on a free local port, serving llama.cpp's model under its name with
    /// `max_input_tokens` as its context, and waits until it answers.
    pub fn start(upstream: &LlamaServer, max_input_tokens: u32) -> Result<Self> {
        let litellm = workspace_root().join(".venv").join("bin").join("litellm");
        if !litellm.is_file() {
            return Err(format!(
                "LiteLLM's proxy is not installed at {}: run scripts/test.sh (it installs it), or \
                 `.venv/bin/pip install uv==0.9.5 && .venv/bin/uv pip install --python \
                 .venv/bin/python 'litellm[proxy]==1.106.12'`",
                litellm.display()
            )
            .into());
        }
        let config = tempfile::tempdir()?;
        let file = config.path().join("litellm.yaml");
        std::fs::write(
            &file,
            format!(
                "model_list:\n  - model_name: {MODEL}\n    litellm_params:\n      model: openai/{MODEL}\n      \
                 api_base: {}/v1\n      api_key: none\n    model_info:\n      max_input_tokens: \
                 {max_input_tokens}\ngeneral_settings:\n  master_key: {KEY}\nlitellm_settings:\n  \
                 telemetry: false\n",
                upstream.url
            ),
        )?;
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        let mut command = Command::new(&litellm);
        command
            .args(["--config", &file.display().to_string()])
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            // Its model price list from the package, not from GitHub (no network here).
            .env("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            .env("LITELLM_TELEMETRY", "False")
            .current_dir(config.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, so stopping it stops whatever it started.
            .process_group(0);
        let mut child = command
            .spawn()
            .map_err(|e| format!("could not start {}: {e}", litellm.display()))?;
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait()? {
                return Err(format!("LiteLLM's proxy exited at start ({status})").into());
            }
            if live(port) {
                break;
            }
            if started.elapsed() > START_TIMEOUT {
                let _ = child.kill();
                return Err(format!(
                    "LiteLLM's proxy did not answer within {} s",
                    START_TIMEOUT.as_secs()
                )
                .into());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        Ok(Self {
            child,
            url,
            _config: config,
        })
    }
}

/// Whether the proxy on `port` says it is alive (`GET /health/liveliness`, no key needed).
fn live(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET /health/liveliness HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

impl Drop for Gateway {
    fn drop(&mut self) {
        // The whole process group (`--`: a negative number is a group, not an option).
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}
