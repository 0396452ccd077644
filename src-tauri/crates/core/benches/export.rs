//! How long exporting a 10,000-message conversation takes in each format, written to a file.
//! Target: under 200 ms. Run with `cargo bench -p confab-core --bench export`.

use std::io::BufWriter;
use std::time::{Duration, Instant};

use confab_core::export::{export_backup, export_conversation, ExportOptions, Format};
use confab_core::store::{MessageStatus, NewConversation, NewMessage, Role, Store};

const MESSAGES: usize = 10_000;
const RUNS: usize = 15;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("bench.db"))
        .await
        .expect("store");
    let chat = store
        .create_conversation(NewConversation {
            title: "A long chat".into(),
            ..Default::default()
        })
        .await
        .expect("chat");
    for i in 0..MESSAGES {
        let role = if i % 2 == 0 {
            Role::User
        } else {
            Role::Assistant
        };
        store
            .append_message(
                chat.id,
                NewMessage {
                    role,
                    content: format!(
                        "Message {i}: a typical turn, with some `code`, a <tag> to escape, an \
                         address like ada{i}@example.org and a paragraph or so of prose that \
                         makes it weigh about what a real message does in a long conversation."
                    ),
                    status: MessageStatus::Complete,
                    model: None,
                },
            )
            .await
            .expect("message");
    }
    println!("export of {MESSAGES} messages to a file, {RUNS} runs each (median / max):");
    let mut reads: Vec<Duration> = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let mut after = None;
        loop {
            let batch = store
                .messages_oldest_first(chat.id, after, None, 500)
                .await
                .expect("read");
            if batch.is_empty() {
                break;
            }
            after = batch.last().map(|m| m.id);
        }
        reads.push(start.elapsed());
    }
    reads.sort();
    println!(
        "  {:<15} {:>7.1} ms / {:>7.1} ms  (reading the messages, for comparison)",
        "read only",
        reads[RUNS / 2].as_secs_f64() * 1000.0,
        reads[RUNS - 1].as_secs_f64() * 1000.0
    );
    let cases: [(&str, Option<Format>, bool); 6] = [
        ("markdown", Some(Format::Markdown), false),
        ("json", Some(Format::Json), false),
        ("html", Some(Format::Html), false),
        ("jsonl", Some(Format::Jsonl), false),
        ("jsonl --redact", Some(Format::Jsonl), true),
        ("backup (all)", None, false),
    ];
    for (name, format, redact) in cases {
        let mut times: Vec<Duration> = Vec::new();
        let mut size = 0;
        for _ in 0..RUNS {
            let path = dir.path().join("out");
            let start = Instant::now();
            let mut out = BufWriter::new(std::fs::File::create(&path).expect("file"));
            match format {
                Some(format) => {
                    export_conversation(
                        &store,
                        chat.id,
                        format,
                        &ExportOptions {
                            redact,
                            endpoint: None,
                        },
                        &mut out,
                    )
                    .await
                    .expect("export");
                }
                None => {
                    export_backup(&store, &mut out).await.expect("backup");
                }
            }
            drop(out);
            times.push(start.elapsed());
            size = std::fs::metadata(&path).expect("size").len();
        }
        times.sort();
        println!(
            "  {name:<15} {:>7.1} ms / {:>7.1} ms  ({:.1} MB)",
            times[RUNS / 2].as_secs_f64() * 1000.0,
            times[RUNS - 1].as_secs_f64() * 1000.0,
            size as f64 / 1e6
        );
    }
    store.close().await;
}
