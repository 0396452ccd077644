//! The tests' stdio MCP server (see `confab_test_support::mcp`). Flags:
//!
//! - `--banner TEXT`: print TEXT on stdout before anything else (a server that is not quiet).
//! - `--hidden`: `echo`'s description carries invisible Unicode tag characters.
//! - `--change-after-call`: the first call changes `echo` and the server says so.
//! - `--description-file FILE`: `echo`'s description, read at start.
//! - `--record FILE`: every message received, one JSON line each.
//! - `--child PIDFILE`: start a `sleep` child (writing its pid to PIDFILE), to check that a stopped
//!   server leaves nothing behind.
//! - `--env-file FILE`: write the environment the server was given, one `NAME=value` a line.

use std::io::{BufRead as _, Write as _};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use confab_test_support::mcp::{Faults, Script, Step};
use serde_json::{json, Value};

fn main() {
    let mut faults = Faults::default();
    let mut args = std::env::args().skip(1);
    let mut banner = None;
    let mut child = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--banner" => banner = args.next(),
            "--hidden" => faults.hidden_description = true,
            "--change-after-call" => faults.change_after_call = true,
            "--description-file" => faults.description_file = args.next().map(Into::into),
            "--record" => faults.record = args.next().map(Into::into),
            "--child" => child = args.next(),
            "--env-file" => {
                let path = args.next().expect("--env-file FILE");
                let vars: String = std::env::vars()
                    .map(|(k, v)| format!("{k}={v}\n"))
                    .collect();
                std::fs::write(path, vars).expect("write the env file");
            }
            other => panic!("unknown flag {other}"),
        }
    }
    eprintln!("confab-test-mcp started (pid {})", std::process::id());
    let out = Arc::new(Mutex::new(std::io::stdout()));
    if let Some(banner) = banner {
        writeln!(out.lock().unwrap(), "{banner}").unwrap();
        out.lock().unwrap().flush().unwrap();
    }
    // Held until the end: a child left running is what `--child` checks for.
    let _sleeper = child.map(|pidfile| {
        let sleeper = std::process::Command::new("sleep")
            .arg("1000")
            .spawn()
            .expect("start sleep");
        std::fs::write(pidfile, sleeper.id().to_string()).unwrap();
        sleeper
    });

    let script = Arc::new(Mutex::new(Script::new(faults)));
    let send = {
        let out = out.clone();
        move |message: &Value| {
            let mut out = out.lock().unwrap();
            writeln!(out, "{message}").unwrap();
            out.flush().unwrap();
        }
    };
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let Ok(message) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let step = script.lock().unwrap().handle(&message);
        match step {
            Step::Send(messages) => messages.iter().for_each(&send),
            Step::Progress { token, steps, then } => {
                let send = send.clone();
                std::thread::spawn(move || {
                    for step in 1..=steps {
                        std::thread::sleep(Duration::from_millis(100));
                        send(&json!({
                            "jsonrpc": "2.0",
                            "method": "notifications/progress",
                            "params": { "progressToken": token, "progress": step, "total": steps }
                        }));
                    }
                    send(&then);
                });
            }
            Step::Hang => {}
            Step::Crash => {
                eprintln!("confab-test-mcp: crashing mid-call, as asked");
                std::process::exit(3);
            }
        }
    }
}
