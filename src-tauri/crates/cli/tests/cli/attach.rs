//! `confab-cli chat --attach`: files go with the message as in the app — text fenced in it,
//! images as content parts to a model that takes them, refused before sending otherwise.

use confab_core::attachments::AttachmentKind;
use confab_core::paths::DATABASE_FILE;
use confab_core::store::{ListConversations, Store};
use confab_test_support::fault::{delta, FaultServer, Reply, DONE};

use super::confab_cli;

/// The first bytes of a PNG: enough for Confab to know it as one.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";

async fn chat(data: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = confab_cli(data)
        .run_async(&[&["chat"], args].concat())
        .await
        .expect("run confab-cli");
    (out.code, out.stdout, out.stderr)
}

#[tokio::test]
async fn attached_files_go_with_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let notes = files.path().join("notes.py");
    std::fs::write(&notes, "print('hi')\n").unwrap();
    let photo = files.path().join("photo.dat");
    std::fs::write(&photo, PNG).unwrap();
    let server = FaultServer::start().await;
    server.vision(true, 4096);
    server.chat([answer("A script and a picture.")]);
    let url = server.url();
    let (code, stdout, stderr) = chat(
        dir.path(),
        &[
            "--endpoint",
            &url,
            "--attach",
            notes.to_str().unwrap(),
            "--attach",
            photo.to_str().unwrap(),
            "-m",
            "What are these?",
        ],
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "A script and a picture.\n");
    let body = &server.chat_requests()[0];
    let content = &body["messages"].as_array().unwrap().last().unwrap()["content"];
    assert_eq!(
        content[0]["text"],
        "What are these?\n\nFile: notes.py\n```python\nprint('hi')\n```"
    );
    assert!(content[1]["image_url"]["url"]
        .as_str()
        .unwrap()
        .starts_with("data:image/png;base64,iVBORw0KGgo"));

    let store = Store::open(&dir.path().join(DATABASE_FILE)).await.unwrap();
    let chats = store
        .list_conversations(ListConversations::default())
        .await
        .unwrap();
    let saved = store.tail_messages(chats.items[0].id, 5).await.unwrap();
    let attached: Vec<_> = saved[0]
        .attachments
        .iter()
        .map(|a| (a.name.as_str(), a.kind))
        .collect();
    assert_eq!(
        attached,
        [
            ("notes.py", AttachmentKind::Text),
            ("photo.dat", AttachmentKind::Image)
        ]
    );
}

#[tokio::test]
async fn an_image_for_a_model_that_cannot_see_is_refused_before_sending() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let photo = files.path().join("cat.png");
    std::fs::write(&photo, PNG).unwrap();
    let server = FaultServer::start().await;
    server.vision(false, 4096);
    server.chat([answer("never")]);
    let url = server.url();
    let (code, stdout, stderr) = chat(
        dir.path(),
        &[
            "--endpoint",
            &url,
            "--attach",
            photo.to_str().unwrap(),
            "-m",
            "What is it?",
        ],
    )
    .await;
    assert_ne!(code, 0);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("does not take images") && stderr.contains("cat.png"),
        "{stderr}"
    );
    assert!(server.chat_requests().is_empty());

    // A file that is neither text nor an image is named, and nothing is sent.
    let binary = files.path().join("tool.bin");
    std::fs::write(&binary, b"\x7fELF\x02\x01\x01\0").unwrap();
    let (code, _, stderr) = chat(
        dir.path(),
        &[
            "--endpoint",
            &url,
            "--attach",
            binary.to_str().unwrap(),
            "-m",
            "?",
        ],
    )
    .await;
    assert_ne!(code, 0);
    assert!(
        stderr.contains("tool.bin is neither a text file"),
        "{stderr}"
    );
    assert!(server.chat_requests().is_empty());

    // Refused, each left nothing behind: no empty chat to find in the list.
    let store = Store::open(&dir.path().join(DATABASE_FILE)).await.unwrap();
    let chats = store
        .list_conversations(ListConversations::default())
        .await
        .unwrap();
    assert!(chats.items.is_empty(), "{:?}", chats.items);
}

/// A streamed reply of `text`.
fn answer(text: &str) -> Reply {
    Reply::sse([delta(text), DONE.to_owned()])
}

#[tokio::test]
async fn vision_tells_confab_the_model_takes_images_when_the_server_does_not_say() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let photo = files.path().join("chart.png");
    std::fs::write(&photo, PNG).unwrap();
    let server = FaultServer::start().await;
    server.chat([answer("A chart.")]);
    let url = server.url();
    let args = [
        "--endpoint",
        &url,
        "--attach",
        photo.to_str().unwrap(),
        "-m",
        "?",
    ];
    let (code, _, stderr) = chat(dir.path(), &args).await;
    assert_ne!(code, 0);
    assert!(stderr.contains("--vision"), "{stderr}");
    assert!(server.chat_requests().is_empty());

    let (code, stdout, stderr) = chat(dir.path(), &[&args[..], &["--vision"]].concat()).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "A chart.\n");
    assert_eq!(server.chat_requests().len(), 1);
}
