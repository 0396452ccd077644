//! `confab-cli chat -m` against a scripted server: stdout carries only the reply, the exit code
//! says how it ended, and everything lands in the app's database.

use std::process::Stdio;

use confab_core::paths::DATABASE_FILE;
use confab_core::store::{ListConversations, MessageStatus, Store};
use confab_test_support::fault::{delta, Ending, FaultServer, Reply, DONE};

use super::confab_cli;

/// Runs `confab-cli chat args` on `data`: the exit code, stdout and stderr.
async fn chat(data: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = confab_cli(data)
        .run_async(&[&["chat"], args].concat())
        .await
        .expect("run confab-cli");
    (out.code, out.stdout, out.stderr)
}

#[tokio::test]
async fn one_message_prints_the_reply_and_saves_the_turn() {
    let dir = tempfile::tempdir().unwrap();
    let server = FaultServer::start().await;
    server.chat([Reply::sse([
        delta("Paris"),
        delta(" it is."),
        DONE.to_owned(),
    ])]);
    let url = server.url();
    let (code, stdout, stderr) = chat(
        dir.path(),
        &[
            "--endpoint",
            &url,
            "--system",
            "Be brief.",
            "--temperature",
            "0",
            "-m",
            "Capital of France?",
        ],
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "Paris it is.\n");
    let body = &server.chat_requests()[0];
    assert_eq!(body["messages"][0]["content"], "Be brief.");
    assert_eq!(body["temperature"], 0.0);

    let store = Store::open(&dir.path().join(DATABASE_FILE)).await.unwrap();
    let chats = store
        .list_conversations(ListConversations::default())
        .await
        .unwrap();
    assert_eq!(chats.items.len(), 1);
    assert_eq!(chats.items[0].title, "Capital of France?");
    let id = chats.items[0].id;

    // A second turn in the same conversation carries the first.
    server.chat([Reply::sse([delta("Lyon."), DONE.to_owned()])]);
    let (code, stdout, _) = chat(
        dir.path(),
        &[
            "--endpoint",
            &url,
            "--conversation",
            &id.to_string(),
            "-m",
            "And then?",
        ],
    )
    .await;
    assert_eq!((code, stdout.as_str()), (0, "Lyon.\n"));
    assert_eq!(
        server.chat_requests()[1]["messages"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(store.message_count(id).await.unwrap(), 4);
}

#[tokio::test]
async fn an_interrupted_reply_exits_non_zero_with_the_reason_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let server = FaultServer::start().await;
    server.chat([Reply::sse([delta("Half a")]).ending(Ending::Drop)]);
    let (code, stdout, stderr) =
        chat(dir.path(), &["--endpoint", &server.url(), "-m", "Story?"]).await;
    assert_eq!(code, 2);
    assert_eq!(stdout, "Half a\n");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let store = Store::open(&dir.path().join(DATABASE_FILE)).await.unwrap();
    let id = store
        .list_conversations(ListConversations::default())
        .await
        .unwrap()
        .items[0]
        .id;
    let tail = store.tail_messages(id, 1).await.unwrap();
    assert_eq!(tail[0].status, MessageStatus::Interrupted);
    assert_eq!(tail[0].content, "Half a");
}

#[tokio::test]
async fn no_server_is_a_clear_failure() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = chat(
        dir.path(),
        &["--endpoint", "http://127.0.0.1:9", "-m", "hi"],
    )
    .await;
    assert_eq!(code, 2);
    assert_eq!(stdout.trim(), "");
    assert!(
        stderr.contains("no server at http://127.0.0.1:9"),
        "{stderr}"
    );
}

#[tokio::test]
async fn ctrl_c_stops_the_reply_not_the_program() {
    let dir = tempfile::tempdir().unwrap();
    let server = FaultServer::start().await;
    server.chat([Reply::sse([delta("Once upon a time")]).ending(Ending::Stall)]);
    let mut child = tokio::process::Command::from(confab_cli(dir.path()).command(&[
        "chat",
        "--endpoint",
        &server.url(),
        "-m",
        "A long story, please",
    ]))
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // Wait for the first words on stdout, then press Ctrl+C.
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&seen).contains("Once upon a time") {
        use tokio::io::AsyncReadExt;
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), stdout.read(&mut buf))
            .await
            .expect("the reply starts")
            .unwrap();
        assert!(n > 0, "stdout closed early");
        seen.extend_from_slice(&buf[..n]);
    }
    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait())
        .await
        .expect("the program ends on its own after the reply stops")
        .unwrap();
    assert_eq!(
        status.code(),
        Some(2),
        "an interrupted reply, reported — not a killed process"
    );
    assert!(
        server
            .client_disconnected(std::time::Duration::from_secs(2))
            .await
    );
    let store = Store::open(&dir.path().join(DATABASE_FILE)).await.unwrap();
    let id = store
        .list_conversations(ListConversations::default())
        .await
        .unwrap()
        .items[0]
        .id;
    let reply = store.tail_messages(id, 1).await.unwrap().remove(0);
    assert_eq!(reply.status, MessageStatus::Interrupted);
    assert_eq!(reply.content, "Once upon a time");
}

#[tokio::test]
async fn continue_and_regenerate_in_an_interactive_session() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().unwrap();
    let server = FaultServer::start().await;
    server.chat([
        Reply::sse([delta("Half")]).ending(Ending::Drop),
        Reply::sse([delta(" and whole."), DONE.to_owned()]),
        Reply::sse([delta("Anew."), DONE.to_owned()]),
    ]);
    let mut child = tokio::process::Command::from(confab_cli(dir.path()).command(&[
        "chat",
        "--endpoint",
        &server.url(),
    ]))
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Each line waits for the previous turn: the session reads the next one after the reply.
    stdin
        .write_all(b"/continue\nTell me\n/continue\n/continue\n/regenerate\n/exit\n")
        .await
        .unwrap();
    drop(stdin);
    let out = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("the session ends")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout, "Half\n and whole.\nAnew.\n");
    assert!(stderr.contains("there is no reply yet"), "{stderr}");
    assert!(stderr.contains("cannot be continued"), "{stderr}");

    let store = Store::open(&dir.path().join(DATABASE_FILE)).await.unwrap();
    let id = store
        .list_conversations(ListConversations::default())
        .await
        .unwrap()
        .items[0]
        .id;
    let shown = store.messages_before(id, None, 10).await.unwrap();
    assert_eq!(
        shown.iter().map(|m| m.content.as_str()).collect::<Vec<_>>(),
        ["Tell me", "Anew."]
    );
    let versions = store.reply_versions(shown[1].id).await.unwrap();
    assert_eq!(versions.len(), 2);
    let first = store.get_message(versions[0].id).await.unwrap();
    assert_eq!(
        (first.content.as_str(), first.status),
        ("Half and whole.", MessageStatus::Complete)
    );
}
