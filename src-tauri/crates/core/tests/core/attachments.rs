//! Files attached to a message, against a scripted server: what the request carries, refusals
//! before anything is sent, storage once per distinct file, and the context budget.

use base64::Engine as _;
use confab_core::attachments::{AttachmentKind, Upload, IMAGE_TOKEN_ESTIMATE};
use confab_core::error::{Coded, ErrorCode};
use confab_core::memory::Part;
use confab_core::store::MessageStatus;
use confab_test_support::fault::{delta, FaultServer, Reply, DONE};
use confab_test_support::store::TestStore;

use crate::harness::service;

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

fn file(name: &str, bytes: &[u8]) -> Upload {
    Upload {
        name: name.into(),
        bytes: bytes.to_vec(),
    }
}

#[tokio::test]
async fn an_image_goes_to_a_vision_model_as_a_content_part() {
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    server.vision(true, 8192);
    server.chat([answer("A red dot.")]);
    let chat = t.chat("Look").await;
    let svc = service(&t, &server.url());

    let reply = svc
        .send_with_files(
            chat.id,
            "What is in the picture?",
            vec![file("dot.png", PNG), file("notes.txt", b"seen at noon\n")],
            &(),
        )
        .await
        .unwrap();
    assert_eq!(reply.status, MessageStatus::Complete);

    let body = &server.chat_requests()[0];
    let messages = body["messages"].as_array().unwrap();
    let last = messages.last().unwrap();
    assert_eq!(last["role"], "user");
    let png64 = base64::engine::general_purpose::STANDARD.encode(PNG);
    assert_eq!(
        last["content"],
        serde_json::json!([
            {"type": "text", "text": "What is in the picture?\n\nFile: notes.txt\n```\nseen at noon\n```"},
            {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{png64}")}}
        ])
    );

    let saved = t.store.tail_messages(chat.id, 10).await.unwrap();
    let question = &saved[0];
    let kinds: Vec<(&str, AttachmentKind, i64)> = question
        .attachments
        .iter()
        .map(|a| (a.name.as_str(), a.kind, a.size))
        .collect();
    assert_eq!(
        kinds,
        [
            ("dot.png", AttachmentKind::Image, PNG.len() as i64),
            ("notes.txt", AttachmentKind::Text, 13)
        ]
    );
    let (image, bytes) = t
        .store
        .attachment_bytes(question.attachments[0].id)
        .await
        .unwrap();
    assert_eq!((image.mime.as_str(), bytes.as_slice()), ("image/png", PNG));

    // The next turn sends the image again with its question, as part of the history.
    server.chat([answer("Still red.")]);
    svc.send(chat.id, "And now?", &()).await.unwrap();
    let body = &server.chat_requests()[1];
    let history = body["messages"].as_array().unwrap();
    assert!(history
        .iter()
        .any(|m| m["content"][1]["type"] == "image_url"));
    assert_eq!(history.last().unwrap()["content"], "And now?");
}

#[tokio::test]
async fn a_model_that_cannot_see_is_named_before_anything_is_sent_or_saved() {
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    server.vision(false, 8192);
    server.chat([answer("never")]);
    let chat = t.chat("Blind").await;
    let svc = service(&t, &server.url());

    let err = svc
        .send_with_files(chat.id, "Describe it", vec![file("cat.png", PNG)], &())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NoVision);
    let text = err.to_string();
    assert!(
        text.starts_with("the loaded model does not take images (its server says so)")
            && text.contains("cat.png"),
        "{text}"
    );
    assert!(server.chat_requests().is_empty());
    assert!(t.store.tail_messages(chat.id, 10).await.unwrap().is_empty());
    assert_eq!(t.store.attachment_blob_count().await.unwrap(), 0);
    // The chat is free again: a text file goes through.
    svc.send_with_files(chat.id, "", vec![file("a.md", b"# Hi")], &())
        .await
        .unwrap();
    assert_eq!(
        server.chat_requests()[0]["messages"][0]["content"],
        "File: a.md\n```markdown\n# Hi\n```"
    );
}

#[tokio::test]
async fn a_server_that_does_not_say_takes_the_users_word_for_the_model() {
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    let chat = t.chat("Unknown").await;
    let svc = service(&t, &server.url());

    let err = svc
        .send_with_files(chat.id, "What is it?", vec![file("x.png", PNG)], &())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NoVision);
    assert!(
        err.to_string().contains("“This model takes images”"),
        "{err}"
    );

    svc.set_model_vision(chat.id, Some(true)).await.unwrap();
    // llama.cpp without a projector refuses the image: the reply says what to do.
    server.chat([Reply::json(
        500,
        r#"{"error":{"code":500,"message":"image input is not supported - hint: if this is unexpected, you may need to provide the mmproj","type":"server_error"}}"#,
    )]);
    let reply = svc
        .send_with_files(chat.id, "What is it?", vec![file("x.png", PNG)], &())
        .await
        .unwrap();
    assert_eq!(reply.status, MessageStatus::Error);
    let error = reply.error.unwrap();
    assert!(
        error.contains("cannot read images") && error.contains("--mmproj"),
        "{error}"
    );
}

#[tokio::test]
async fn the_same_image_is_stored_once_and_goes_with_its_last_message() {
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    server.vision(true, 8192);
    server.chat([answer("ok")]);
    let svc = service(&t, &server.url());
    let first = t.chat("One").await;
    let second = t.chat("Two").await;
    for chat in [&first, &first, &second] {
        svc.send_with_files(
            chat.id,
            "again",
            vec![file("a.png", PNG), file("b.png", PNG)],
            &(),
        )
        .await
        .unwrap();
    }
    assert_eq!(t.store.attachment_blob_count().await.unwrap(), 1);

    t.store.delete_conversation(first.id).await.unwrap();
    assert_eq!(t.store.attachment_blob_count().await.unwrap(), 1);
    t.store.delete_conversation(second.id).await.unwrap();
    assert_eq!(t.store.attachment_blob_count().await.unwrap(), 0);
}

#[tokio::test]
async fn an_image_is_counted_in_the_context_budget() {
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    server.vision(true, 8192);
    server.chat([answer("ok")]);
    let chat = t.chat("Budget").await;
    let svc = service(&t, &server.url());
    svc.send_with_files(chat.id, "hi", vec![file("a.png", PNG)], &())
        .await
        .unwrap();
    let question = t.store.tail_messages(chat.id, 10).await.unwrap()[0].clone();

    let built = svc.context(chat.id).await.unwrap();
    let item = built
        .report
        .items
        .iter()
        .find(|i| matches!(i.part, Part::Recent { message_id } if message_id == question.id))
        .unwrap();
    assert!(item.tokens >= IMAGE_TOKEN_ESTIMATE, "{}", item.tokens);
    assert!(!item.exact);
}

#[tokio::test]
async fn files_are_refused_by_name_before_anything_is_saved() {
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    let chat = t.chat("Refused").await;
    let svc = service(&t, &server.url());
    let err = svc
        .send_with_files(
            chat.id,
            "read this",
            vec![file("ok.txt", b"fine"), file("prog.exe", b"MZ\x90\0\x03\0")],
            &(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnsupportedFile);
    assert!(err.to_string().starts_with("prog.exe is neither"), "{err}");
    assert!(t.store.tail_messages(chat.id, 10).await.unwrap().is_empty());
    assert_eq!(server.request_count(), 0);
}

/// A streamed reply of `text`.
fn answer(text: &str) -> Reply {
    Reply::sse([delta(text), DONE.to_owned()])
}

#[tokio::test]
async fn exports_keep_the_files_and_an_import_gives_them_back_stored_once() {
    use confab_core::export::{self, parse_import, ExportOptions, Format};
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    server.vision(true, 8192);
    server.chat([answer("Red.")]);
    let chat = t.chat("Export").await;
    let svc = service(&t, &server.url());
    svc.send_with_files(
        chat.id,
        "Colour?",
        vec![file("dot.png", PNG), file("plan.txt", b"step 1\n")],
        &(),
    )
    .await
    .unwrap();
    let options = ExportOptions::default();
    let export = |format| {
        let store = t.store.clone();
        let options = options.clone();
        async move {
            let mut out = Vec::new();
            export::export_conversation(&store, chat.id, format, &options, &mut out)
                .await
                .unwrap();
            String::from_utf8(out).unwrap()
        }
    };

    let markdown = export(Format::Markdown).await;
    assert!(
        markdown.contains("📎 *dot.png* (image, 70 bytes)"),
        "{markdown}"
    );
    let html = export(Format::Html).await;
    let png64 = base64::engine::general_purpose::STANDARD.encode(PNG);
    assert!(html.contains(&format!(
        "<img src=\"data:image/png;base64,{png64}\" alt=\"dot.png\">"
    )));
    assert!(html.contains("📎 plan.txt (7 bytes)"));
    assert!(!html.contains("<script"));
    assert!(html.contains("img-src data:"));
    let audit = export(Format::Jsonl).await;
    assert!(audit
        .lines()
        .next()
        .unwrap()
        .contains(r#""attachments":["dot.png","plan.txt"]"#));

    let json = export(Format::Json).await;
    let plan = parse_import(json.as_bytes()).unwrap();
    let ids = export::import(&t.store, &plan).await.unwrap();
    let copy = t.store.tail_messages(ids[0], 10).await.unwrap();
    let names: Vec<&str> = copy[0]
        .attachments
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["dot.png", "plan.txt"]);
    let (_, bytes) = t
        .store
        .attachment_bytes(copy[0].attachments[0].id)
        .await
        .unwrap();
    assert_eq!(bytes, PNG);
    // The copy shares the original's blobs.
    assert_eq!(t.store.attachment_blob_count().await.unwrap(), 2);

    // A file whose bytes were damaged is refused by name.
    let broken = json.replace(&png64, "not base64!");
    let err = parse_import(broken.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("dot.png"), "{err}");
}

/// A question's text files show as chips, not as their text under the question: the message
/// says what the user wrote apart from the files fenced after it, while the model still gets
/// the whole.
#[tokio::test]
async fn what_the_user_wrote_is_kept_apart_from_the_text_files_sent_with_it() {
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    server.chat([answer("It prints.")]);
    let chat = t.chat("Code").await;
    let svc = service(&t, &server.url());
    svc.send_with_files(
        chat.id,
        "What does this do?",
        vec![file("main.rs", b"fn main() { println!(\"hi\"); }\n")],
        &(),
    )
    .await
    .unwrap();
    let question = t.store.tail_messages(chat.id, 2).await.unwrap()[0].clone();
    assert_eq!(question.written.as_deref(), Some("What does this do?"));
    assert!(question
        .content
        .contains("File: main.rs\n```rust\nfn main()"));
    let sent = &server.chat_requests()[0]["messages"];
    assert!(sent.as_array().unwrap().last().unwrap()["content"]
        .as_str()
        .unwrap()
        .contains("fn main() { println!"));
    let (_, bytes) = t
        .store
        .attachment_bytes(question.attachments[0].id)
        .await
        .unwrap();
    assert_eq!(bytes, b"fn main() { println!(\"hi\"); }\n");
    // A plain message has nothing apart, and neither does a JSON export.
    svc.send(chat.id, "Thanks", &()).await.unwrap();
    let plain = t.store.tail_messages(chat.id, 2).await.unwrap()[0].clone();
    assert_eq!(plain.written, None);
    let mut out = Vec::new();
    confab_core::export::export_conversation(
        &t.store,
        chat.id,
        confab_core::export::Format::Json,
        &Default::default(),
        &mut out,
    )
    .await
    .unwrap();
    assert!(!String::from_utf8(out).unwrap().contains("\"written\""));
}

/// A question with only an image (or only files) can be edited and resent: with words added, or
/// as it was; its files go with it, and its text files are fenced after the new words.
#[tokio::test]
async fn a_question_with_only_files_can_be_edited_and_resent() {
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    server.vision(true, 8192);
    server.chat([answer("A dot."), answer("Red."), answer("Still a dot.")]);
    let chat = t.chat("Only files").await;
    let svc = service(&t, &server.url());
    svc.send_with_files(
        chat.id,
        "",
        vec![file("dot.png", PNG), file("notes.txt", b"seen at noon\n")],
        &(),
    )
    .await
    .unwrap();
    let question = t.store.tail_messages(chat.id, 2).await.unwrap()[0].clone();
    assert_eq!(question.written.as_deref(), Some(""));

    let reply = svc
        .edit_and_resend(question.id, "What colour is the dot?", &())
        .await
        .unwrap();
    assert_eq!(reply.status, MessageStatus::Complete);
    let edited = t.store.get_message(question.id).await.unwrap();
    assert_eq!(edited.written.as_deref(), Some("What colour is the dot?"));
    assert_eq!(
        edited.content,
        "What colour is the dot?\n\nFile: notes.txt\n```\nseen at noon\n```"
    );
    assert_eq!(edited.attachments.len(), 2, "the files go with it");
    let last = server.chat_requests()[1]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["content"][0]["text"], edited.content);
    assert_eq!(last["content"][1]["type"], "image_url");

    // Back to no words at all: the files alone are a message.
    svc.edit_and_resend(question.id, "  ", &()).await.unwrap();
    let edited = t.store.get_message(question.id).await.unwrap();
    assert_eq!(edited.written.as_deref(), Some(""));
    assert_eq!(edited.content, "File: notes.txt\n```\nseen at noon\n```");

    // A question without files still needs words.
    let plain = t.chat("Plain").await;
    server.chat([answer("Hi.")]);
    svc.send(plain.id, "Hello", &()).await.unwrap();
    let hello = t.store.tail_messages(plain.id, 2).await.unwrap()[0].clone();
    let err = svc.edit_and_resend(hello.id, " ", &()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
}
