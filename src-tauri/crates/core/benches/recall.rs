//! Recall's costs, measured:
//!
//! 1. **Building a request with recall in a 100,000-message chat**: `memory::build` with the
//!    recall strategy (word search, brute-force scoring of 100,000 stored 768-dimension vectors,
//!    whole turns, the block), first (vectors read from SQLite) and then as every later request
//!    (only new vectors read). The vectors are random unit vectors: scoring costs the same
//!    whatever they hold. Built once in `$CARGO_TARGET_DIR/bench-recall/` and reused.
//! 2. **The database size per message with a vector**, from the same database.
//! 3. **Indexing throughput against a local server**: llama.cpp's server with SmolLM2-135M and
//!    `--embeddings` (the project's `.venv`, as the tests use it), embedding 1,000 messages of
//!    realistic lengths in the indexer's batches.
//!
//! Run with `cargo bench -p confab-core --bench recall` (`-- --no-indexing` leaves out the third,
//! which needs llama.cpp and takes minutes).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use confab_test_support::text::{draw, vocabulary, zipf, Rng};

use confab_core::llm::{Endpoint, LlmClient, RetryPolicy, Timeouts};
use confab_core::memory::{self, Part, ServerReports};
use confab_core::recall::{vector, Recall};
use confab_core::settings::{AppSettings, RecallSettings};
use confab_core::store::{
    ConversationId, ImportConversation, ImportMessage, MessageId, MessageStatus, Role, Store,
};

const MESSAGES: usize = 100_000;
const DIMS: usize = 768;
const RUNS: usize = 50;
/// The embedding model's key the vectors are stored under (server root # model).
const KEY: &str = "http://127.0.0.1:9#bench-embed";

/// Messages of Zipf-distributed made-up words, as in the search benchmark.
struct Words {
    list: Vec<String>,
    cumulative: Vec<f64>,
}

impl Words {
    fn new(rng: &mut Rng) -> Self {
        Self {
            list: vocabulary(rng),
            cumulative: zipf(),
        }
    }

    fn text(&self, rng: &mut Rng, n: usize) -> String {
        (0..n)
            .map(|_| self.list[draw(rng, &self.cumulative)].as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

async fn build(dir: &Path) -> (Store, ConversationId) {
    let db = dir.join("confab.db");
    if dir.join("complete").exists() {
        let store = Store::open(&db)
            .await
            .expect("open the benchmark's database");
        return (store, ConversationId(1));
    }
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("benchmark dir");
    let store = Store::open(&db)
        .await
        .expect("create the benchmark's database");
    let mut rng = Rng(0x5EED_0000_ABCD_1234);
    let words = Words::new(&mut rng);
    let at = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let messages: Vec<ImportMessage> = (0..MESSAGES)
        .map(|i| {
            let user = i % 2 == 0;
            let n = if user {
                8 + rng.below(30)
            } else {
                40 + rng.below(160)
            };
            ImportMessage {
                role: if user { Role::User } else { Role::Assistant },
                content: words.text(&mut rng, n),
                status: MessageStatus::Complete,
                error: None,
                model: None,
                prompt_tokens: None,
                completion_tokens: None,
                created_at: at + chrono::Duration::seconds(i as i64),
                completed_at: None,
                pinned: false,
                version_of: None,
                hidden: false,
                reasoning: String::new(),
                finish_reason: None,
                ended: None,
                stats: Default::default(),
                attachments: Vec::new(),
                tool_calls: Vec::new(),
            }
        })
        .collect();
    store
        .import_conversations(&[ImportConversation {
            title: "A very long chat".into(),
            system_prompt: "You are a helpful assistant.".into(),
            model: None,
            params: serde_json::json!({"memory": "recall", "context_length": 8192}),
            created_at: at,
            updated_at: at,
            pinned: false,
            archived: false,
            messages,
            summaries: Vec::new(),
        }])
        .await
        .expect("import the chat");
    let (store, size_before) = file_size(store, &db).await;
    // A vector for every message, as the indexer would store them.
    let mut after = MessageId(0);
    loop {
        let batch = store
            .unindexed_messages(KEY, after, 1_000)
            .await
            .expect("read messages");
        let Some(last) = batch.last() else { break };
        after = MessageId(last.id);
        let rows: Vec<(MessageId, &str, Vec<u8>)> = batch
            .iter()
            .map(|m| {
                let v: Vec<f32> = (0..DIMS).map(|_| (rng.unit() - 0.5) as f32).collect();
                let q = vector::quantize(&v).expect("a non-zero vector");
                (MessageId(m.id), m.content.as_str(), vector::to_bytes(&q))
            })
            .collect();
        store
            .save_vectors(KEY, DIMS, &rows)
            .await
            .expect("save vectors");
    }
    let (store, size_after) = file_size(store, &db).await;
    std::fs::write(dir.join("sizes"), format!("{size_before} {size_after}")).expect("sizes");
    std::fs::write(dir.join("complete"), b"").expect("mark complete");
    (store, ConversationId(1))
}

/// The database's size with the WAL folded in (closing the last connection does that), and the
/// store opened again.
async fn file_size(store: Store, db: &Path) -> (Store, u64) {
    store.close().await;
    let size = std::fs::metadata(db).expect("database file").len();
    (Store::open(db).await.expect("open again"), size)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(mut times: Vec<Duration>, p: f64) -> f64 {
    times.sort();
    ms(times[((times.len() - 1) as f64 * p).round() as usize])
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../target"));
    let dir = target.join("bench-recall");
    let (store, chat) = build(&dir).await;
    AppSettings {
        recall: RecallSettings {
            model: Some("bench-embed".into()),
            ..Default::default()
        },
        ..Default::default()
    }
    .save(&store)
    .await
    .expect("settings");
    // Nothing listens there: the context length is the chat's, counts are estimated, and the
    // prompt's vector is stored already (as it is once a message is sent).
    let client = LlmClient::new(
        Endpoint::new("http://127.0.0.1:9", None).unwrap(),
        Timeouts::default(),
        RetryPolicy {
            max_attempts: 1,
            ..Default::default()
        },
    );
    let servers = ServerReports::new();
    let recall = Recall::new();
    let conversation = store.get_conversation(chat).await.expect("the chat");

    let mut times = Vec::with_capacity(RUNS);
    let mut recalled = 0;
    let mut first = Duration::ZERO;
    for run in 0..=RUNS {
        let began = Instant::now();
        let defaults = AppSettings::load(&store).await;
        let built = memory::build(
            &store,
            Some(&client),
            &servers,
            &recall,
            &defaults,
            &conversation,
        )
        .await
        .expect("build");
        let took = began.elapsed();
        if run == 0 {
            first = took;
            continue;
        }
        times.push(took);
        recalled = built
            .report
            .items
            .iter()
            .filter(|i| matches!(i.part, Part::Recalled { .. }))
            .count();
        let r = built.report.recall.as_ref().expect("recall report");
        assert!(r.embedding_model.is_some(), "vectors took part: {r:?}");
    }
    println!(
        "request with recall, {MESSAGES} messages with {DIMS}-dimension vectors: first {:.1} ms \
         (vectors read from SQLite), then p50 {:.1} ms, p95 {:.1} ms over {RUNS} runs; {recalled} \
         messages recalled",
        ms(first),
        percentile(times.clone(), 0.5),
        percentile(times, 0.95)
    );

    // The two halves on their own.
    let prompt = store
        .messages_newest_first(chat, None, None, 2)
        .await
        .expect("messages")
        .into_iter()
        .find(|m| m.role == Role::User)
        .expect("a user message");
    let words: Vec<String> = prompt
        .content
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let mut w = Vec::new();
    let mut v = Vec::new();
    let query = vector::from_bytes(
        &store
            .message_vector(prompt.id, KEY)
            .await
            .expect("read")
            .expect("the prompt's vector"),
    );
    for _ in 0..RUNS {
        let t = Instant::now();
        store
            .recall_words(chat, &words[..words.len().min(24)], prompt.id, 20)
            .await
            .expect("words");
        w.push(t.elapsed());
        let t = Instant::now();
        recall
            .similar(&store, chat, KEY, &query, prompt.id, 20)
            .await
            .expect("vectors");
        v.push(t.elapsed());
    }
    println!(
        "  of which: words p50 {:.1} ms, vectors (scoring {MESSAGES}) p50 {:.1} ms",
        percentile(w, 0.5),
        percentile(v, 0.5)
    );

    let sizes = std::fs::read_to_string(dir.join("sizes")).expect("sizes");
    let (before, after) = sizes.split_once(' ').expect("two sizes");
    let (before, after): (u64, u64) = (before.parse().unwrap(), after.parse().unwrap());
    println!(
        "database: {:.0} MB without vectors, {:.0} MB with ({DIMS} dimensions): {} bytes per message \
         for its vector",
        before as f64 / 1e6,
        after as f64 / 1e6,
        (after - before) / MESSAGES as u64
    );

    if std::env::args().any(|a| a == "--no-indexing") {
        println!("indexing throughput: skipped (--no-indexing)");
    } else {
        indexing_throughput().await;
    }
}

/// How long the indexing measurement embeds for, at most (a batch started is finished).
const INDEXING_TIME_BOX: Duration = Duration::from_secs(120);

/// Embeds up to 1,000 messages with llama.cpp's server (SmolLM2, `--embeddings`) in the
/// indexer's batches of 32, for at most [`INDEXING_TIME_BOX`], and reports messages per second.
async fn indexing_throughput() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let python = root.join(".venv/bin/python");
    if !python.exists() {
        println!("indexing throughput: skipped — no .venv with llama.cpp's server (run scripts/test.sh once)");
        return;
    }
    let mut child = Command::new(&python)
        .arg(root.join("scripts/llama_server.py"))
        .args(["--embeddings", "--parallel", "1", "--n-ctx", "8192"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start llama.cpp's server");
    let stdout = child.stdout.take().expect("stdout");
    let url = BufReader::new(stdout)
        .lines()
        .find_map(|l| l.ok()?.strip_prefix("READY ").map(str::to_owned))
        .expect("the server's address");
    let client = LlmClient::new(
        Endpoint::new(&url, None).unwrap(),
        Timeouts::default(),
        RetryPolicy::default(),
    );
    let mut rng = Rng(0xFEED_0000_0000_0001);
    let words = Words::new(&mut rng);
    let texts: Vec<String> = (0..1_000)
        .map(|i| {
            let n = if i % 2 == 0 {
                8 + rng.below(30)
            } else {
                40 + rng.below(160)
            };
            words.text(&mut rng, n)
        })
        .collect();
    let cancel = tokio_util::sync::CancellationToken::new();
    let began = Instant::now();
    let (mut dims, mut done, mut words_done) = (0, 0, 0);
    for batch in texts.chunks(32) {
        // A CPU-only server can take many minutes for all 1,000: the rate is taken over the
        // batches finished within the time box.
        if began.elapsed() > INDEXING_TIME_BOX {
            break;
        }
        let refs: Vec<&str> = batch.iter().map(String::as_str).collect();
        let sent = Instant::now();
        match client.embed(Some("smollm2"), &refs, &cancel).await {
            Ok(got) => {
                dims = got.vectors[0].len();
                done += batch.len();
                words_done += batch
                    .iter()
                    .map(|t| t.split_whitespace().count())
                    .sum::<usize>();
                println!(
                    "  indexing: a batch of {} in {:.1} s",
                    batch.len(),
                    sent.elapsed().as_secs_f64()
                );
            }
            Err(err) => {
                println!("indexing: the server failed a batch of 32 ({err})");
                let _ = Command::new("kill")
                    .args(["-TERM", &child.id().to_string()])
                    .status();
                let _ = child.wait();
                return;
            }
        }
    }
    let took = began.elapsed().as_secs_f64();
    println!(
        "indexing: {:.2} messages per second ({done} of {} messages in {took:.0} s, {:.0} words \
         each on average, {dims} dimensions, batches of 32, llama.cpp + SmolLM2-135M on this \
         machine's CPU)",
        done as f64 / took,
        texts.len(),
        words_done as f64 / done.max(1) as f64,
    );
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}
