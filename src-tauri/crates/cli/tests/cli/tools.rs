//! `confab-cli tools`: adding, listing (`--json`), importing (waiting for approval, never
//! started), approving, turning off and on, removing, and calling a tool by hand — against the
//! tests' own stdio server, the reference server `@modelcontextprotocol/server-everything` (over
//! stdio and streamable HTTP), and the official conformance suite's client scenarios.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use confab_test_support::mcp::stdio_server_exe;
use serde_json::{json, Value};

use super::cli;

/// The npm packages `scripts/test.sh` installs into `tests/mcp/` (pinned in its package.json).
fn node_modules() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../tests/mcp/node_modules");
    assert!(
        dir.join("@modelcontextprotocol/server-everything").is_dir()
            && dir.join("@modelcontextprotocol/conformance").is_dir(),
        "the MCP test servers are not installed: run `npm ci --prefix tests/mcp` (scripts/test.sh does)"
    );
    dir
}

fn everything_js() -> String {
    node_modules()
        .join("@modelcontextprotocol/server-everything/dist/index.js")
        .display()
        .to_string()
}

fn test_server() -> String {
    stdio_server_exe().display().to_string()
}

#[test]
fn add_list_call_turn_off_and_on_and_remove() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, stdout, stderr) = cli(dir.path(), &["tools"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("No tool servers yet"), "{stdout}");

    let exe = test_server();
    let (ok, stdout, stderr) = cli(
        dir.path(),
        &[
            "tools",
            "add",
            "test",
            "--env",
            "GREETING=hi there",
            "--",
            &exe,
            "--hidden",
        ],
    );
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains(&format!("Added “test” (stdio): {exe} --hidden")),
        "{stdout}"
    );
    assert!(
        stdout.contains("Its tools: add, crash, echo, hang, hostile, huge, slow, write_note"),
        "{stdout}"
    );

    let (ok, stdout, _) = cli(dir.path(), &["tools", "--json"]);
    assert!(ok);
    let listed: Value = serde_json::from_str(&stdout).unwrap();
    let server = &listed[0];
    let mut keys: Vec<&str> = server
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "args",
            "command",
            "name",
            "state",
            "tools",
            "transport",
            "url"
        ]
    );
    assert_eq!(server["name"], "test");
    assert_eq!(server["transport"], "stdio");
    assert_eq!(server["state"], "approved");
    assert_eq!(server["command"], exe.as_str());
    assert_eq!(server["args"], json!(["--hidden"]));
    assert_eq!(server["url"], Value::Null);
    let echo = server["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "echo")
        .unwrap();
    assert_eq!(echo["warnings"], json!(["unicode_tags"]));
    // Shown escaped, never raw.
    let description = echo["description"].as_str().unwrap();
    assert!(
        description.starts_with("Repeats the text back.\\u{E0041}"),
        "{description}"
    );
    assert!(!description
        .chars()
        .any(|c| ('\u{E0000}'..='\u{E007F}').contains(&c)));

    let (ok, stdout, stderr) = cli(
        dir.path(),
        &["tools", "call", "test", "add", r#"{"a": 2, "b": 40}"#],
    );
    assert!(ok, "{stderr}");
    assert_eq!(stdout.trim(), "42");
    // A hostile result reaches the terminal with its escapes escaped.
    let (ok, stdout, _) = cli(dir.path(), &["tools", "call", "test", "hostile"]);
    assert!(ok);
    assert!(
        stdout.contains("\\u{001B}[31mred") && !stdout.contains('\u{1b}'),
        "{stdout}"
    );
    let (ok, _, stderr) = cli(dir.path(), &["tools", "call", "test", "add", "{not json"]);
    assert!(!ok);
    assert!(
        stderr.contains("the arguments are not valid JSON"),
        "{stderr}"
    );
    let (ok, _, stderr) = cli(dir.path(), &["tools", "call", "test", "nope"]);
    assert!(!ok);
    assert!(stderr.contains("has no tool named “nope”"), "{stderr}");

    let (ok, stdout, _) = cli(dir.path(), &["tools", "off", "test"]);
    assert!(ok);
    assert!(stdout.contains("“test” is off."));
    let (ok, _, stderr) = cli(
        dir.path(),
        &["tools", "call", "test", "echo", r#"{"text":"x"}"#],
    );
    assert!(!ok);
    assert!(stderr.contains("is turned off"), "{stderr}");
    let (ok, _, _) = cli(dir.path(), &["tools", "on", "test"]);
    assert!(ok);
    let (ok, stdout, _) = cli(
        dir.path(),
        &["tools", "call", "test", "echo", r#"{"text":"back on"}"#],
    );
    assert!(ok);
    assert_eq!(stdout.trim(), "back on");
    let (ok, _, _) = cli(dir.path(), &["tools", "rm", "test"]);
    assert!(ok);
    let (ok, _, stderr) = cli(dir.path(), &["tools", "call", "test", "echo"]);
    assert!(!ok);
    assert!(
        stderr.contains("there is no tool server named “test”"),
        "{stderr}"
    );
}

#[test]
fn an_imported_server_is_never_started_until_approved() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("record.jsonl");
    let file = dir.path().join("claude_desktop_config.json");
    let config = json!({ "mcpServers": {
        "notes": { "command": test_server(), "args": ["--record", record], "env": { "NOTES_DIR": "value-not-shown" } },
        "remote": { "type": "sse", "url": "https://mcp.example.com/sse" }
    }});
    std::fs::write(&file, config.to_string()).unwrap();
    let (ok, stdout, stderr) = cli(dir.path(), &["tools", "import", file.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("New: notes (needs approval: confab-cli tools approve notes)"),
        "{stdout}"
    );
    assert!(stdout.contains("New: remote"), "{stdout}");
    let (_, stdout, _) = cli(dir.path(), &["tools", "--json"]);
    let listed: Value = serde_json::from_str(&stdout).unwrap();
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["state"] == "needs_approval"));
    assert_eq!(listed[1]["transport"], "http");

    let (ok, _, stderr) = cli(
        dir.path(),
        &["tools", "call", "notes", "echo", r#"{"text":"x"}"#],
    );
    assert!(!ok);
    assert!(
        stderr.contains("has not been approved, so it is not started"),
        "{stderr}"
    );
    // With no terminal to ask at, approving needs --yes.
    let (ok, stdout, stderr) = cli(dir.path(), &["tools", "approve", "notes"]);
    assert!(!ok);
    assert!(
        stderr.contains("approving needs a terminal to ask at"),
        "{stderr}"
    );
    // What is shown is the whole command line and the environment's names, never values.
    assert!(
        stdout.contains(&format!(
            "  {} --record {}",
            test_server(),
            record.display()
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("with the environment: NOTES_DIR (and PATH, HOME, the locale)"),
        "{stdout}"
    );
    assert!(!stdout.contains("value-not-shown"), "{stdout}");
    assert!(
        !record.exists(),
        "the imported server was started before approval"
    );

    let (ok, stdout, stderr) = cli(dir.path(), &["tools", "approve", "notes", "--yes"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("Approved “notes”."), "{stdout}");
    let (ok, stdout, stderr) = cli(
        dir.path(),
        &["tools", "call", "notes", "echo", r#"{"text":"approved"}"#],
    );
    assert!(ok, "{stderr}");
    assert_eq!(stdout.trim(), "approved");
    assert!(std::fs::read_to_string(&record)
        .unwrap()
        .contains("tools/call"));

    // Importing it again with another argument asks again.
    let changed = json!({ "mcpServers": { "notes": { "command": test_server(), "args": ["--record", record, "--hidden"] } } });
    std::fs::write(&file, changed.to_string()).unwrap();
    let (ok, stdout, _) = cli(dir.path(), &["tools", "import", file.to_str().unwrap()]);
    assert!(ok);
    assert!(
        stdout.contains("Changed: notes (needs approval again"),
        "{stdout}"
    );
    let (ok, _, stderr) = cli(
        dir.path(),
        &["tools", "call", "notes", "echo", r#"{"text":"x"}"#],
    );
    assert!(!ok);
    assert!(stderr.contains("has not been approved"), "{stderr}");
}

#[tokio::test]
async fn the_reference_server_over_stdio_and_streamable_http() {
    let dir = tempfile::tempdir().unwrap();
    let js = everything_js();
    let (ok, stdout, stderr) = cli(
        dir.path(),
        &["tools", "add", "everything", "--", "node", &js, "stdio"],
    );
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("echo") && stdout.contains("get-sum"),
        "{stdout}"
    );
    let (ok, stdout, stderr) = cli(
        dir.path(),
        &[
            "tools",
            "call",
            "everything",
            "echo",
            r#"{"message":"hello"}"#,
        ],
    );
    assert!(ok, "{stderr}");
    assert_eq!(stdout.trim(), "Echo: hello");
    let (ok, stdout, _) = cli(
        dir.path(),
        &["tools", "call", "everything", "get-sum", r#"{"a":2,"b":5}"#],
    );
    assert!(ok);
    assert!(stdout.contains('7'), "{stdout}");
    // Its stderr went to its log.
    let log = std::fs::read_to_string(dir.path().join("tool-logs/everything.log")).unwrap();
    assert!(log.contains("Starting default (STDIO) server"), "{log}");

    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut http = tokio::process::Command::new("node")
        .args([&js, "streamableHttp"])
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/mcp");
    let started = std::time::Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server-everything did not listen"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let data = dir.path().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        let add = cli(&data, &["tools", "add", "web", "--url", &url]);
        let call = cli(
            &data,
            &["tools", "call", "web", "echo", r#"{"message":"over http"}"#],
        );
        (add, call)
    })
    .await
    .unwrap();
    let ((ok, stdout, stderr), (call_ok, call_out, call_err)) = out;
    assert!(ok, "{stderr}");
    assert!(stdout.contains("Added “web” (http)"), "{stdout}");
    assert!(call_ok, "{call_err}");
    assert_eq!(call_out.trim(), "Echo: over http");
    http.kill().await.unwrap();
}

/// The conformance suite runs a client command with the server's URL last: this one adds the
/// server with `tools add` (the handshake and `tools/list`) and runs `tools call` as the scenario
/// needs.
fn conformance_client(dir: &Path) -> PathBuf {
    let script = dir.join("confab-conformance-client");
    let body = format!(
        r#"#!/bin/sh
url="$1"
cli='{cli}'
"$cli" --data-dir '{data}' tools rm conformance >/dev/null 2>&1
"$cli" --data-dir '{data}' tools add conformance --url "$url" || exit 1
case "$MCP_CONFORMANCE_SCENARIO" in
  tools_call) exec "$cli" --data-dir '{data}' tools call conformance add_numbers '{{"a": 5, "b": 3}}' ;;
  sse-retry) exec "$cli" --data-dir '{data}' tools call conformance test_reconnection ;;
esac
"#,
        cli = env!("CARGO_BIN_EXE_confab-cli"),
        data = dir.display(),
    );
    std::fs::write(&script, body).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    script
}

#[test]
fn the_official_conformance_suites_client_scenarios_pass() {
    let dir = tempfile::tempdir().unwrap();
    let client = conformance_client(dir.path());
    let suite = node_modules().join("@modelcontextprotocol/conformance/dist/index.js");
    // Those that apply to a client without sampling, elicitation or OAuth.
    for scenario in ["initialize", "tools_call", "sse-retry"] {
        let out = std::process::Command::new("node")
            .arg(&suite)
            .args(["client", "--command"])
            .arg(&client)
            .args(["--scenario", scenario, "--timeout", "60000", "-o"])
            .arg(dir.path().join("results"))
            .env_remove("CONFAB_ENDPOINT")
            .output()
            .unwrap();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success() && said.contains("OVERALL: PASSED"),
            "{scenario}: {said}"
        );
    }
}

/// `confab-cli chat --tools` with no terminal: a call `--allow` names runs, any other is denied
/// (the model is told why), and the chat remembers its tools.
#[tokio::test]
async fn chat_with_tools_runs_only_what_allow_names_without_a_terminal() {
    use confab_test_support::fault::{delta, finish, tool_call, FaultServer, Reply, DONE};
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, stderr) = cli(dir.path(), &["tools", "add", "test", "--", &test_server()]);
    assert!(ok, "{stderr}");
    let server = FaultServer::start().await;
    let round = |name: &str, args: &str| {
        Reply::sse([
            tool_call(Some(0), Some("c1"), Some(name), args),
            finish("tool_calls"),
            DONE.to_owned(),
        ])
    };
    let answer = |text: &str| Reply::sse([delta(text), finish("stop"), DONE.to_owned()]);
    server.chat([
        round("test__add", r#"{"a": 20, "b": 22}"#),
        answer("It is 42."),
        round("test__write_note", r#"{"text": "hi"}"#),
        answer("I was not allowed."),
    ]);
    let url = server.url();
    let run = |args: Vec<String>| {
        let cli = super::confab_cli(dir.path());
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            cli.run_async(&args).await.unwrap()
        }
    };
    let out = run([
        "chat",
        "--endpoint",
        &url,
        "--tools",
        "test",
        "--allow",
        "test/add",
        "-m",
        "add them",
    ]
    .map(String::from)
    .to_vec())
    .await;
    assert!(out.success(), "{}", out.stderr);
    assert_eq!(out.stdout.trim(), "It is 42.");
    assert!(
        out.stderr.contains("test/add (read-only, open world)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("(allowed by --allow test/add)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("[test/add] → 42"), "{}", out.stderr);
    let second = &server.chat_requests()[1];
    let tool = second["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        tool,
        json!({ "role": "tool", "content": "42", "tool_call_id": "c1" })
    );

    // The chat keeps its tools: continuing it without --tools offers them again, and a call
    // --allow does not name is denied.
    let out = run([
        "chat",
        "--endpoint",
        &url,
        "--conversation",
        "1",
        "-m",
        "write a note",
    ]
    .map(String::from)
    .to_vec())
    .await;
    assert!(out.success(), "{}", out.stderr);
    assert!(
        out.stderr.contains("denied: no terminal to ask at"),
        "{}",
        out.stderr
    );
    let last = server.chat_requests().pop().unwrap();
    let tool = last["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        tool["content"],
        "The user denied this call. Their reason: confab-cli runs a tool without a terminal only when --allow names it"
    );
}
