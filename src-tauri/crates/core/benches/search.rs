//! Search over 1,000,000 messages against ripgrep scanning the same text.
//!
//! The messages are generated (1,000 chats of 1,000 turns; a user turn 8–40 words, a reply
//! 40–250, words drawn from a 30,000-word vocabulary with Zipf's law, as natural text is), stored
//! once in `$CARGO_TARGET_DIR/bench-search/` and reused by later runs. The same text is written
//! to one file per chat for ripgrep. Each query is timed as `Store::search` (the first page of 20
//! hits, snippets included) and as `rg -i -w -c -F` over the files (ripgrep's fastest honest
//! equivalent: whole words, any case, a count per file). Run with
//! `cargo bench -p confab-core --bench search` (needs `rg` on the PATH).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use confab_test_support::text::{draw, vocabulary, zipf, Rng};

use confab_core::store::{
    ImportConversation, ImportMessage, MessageStatus, Role, SearchQuery, Store,
};

const CHATS: usize = 1_000;
const TURNS: usize = 1_000;
const RUNS: usize = 5;

fn sentence(rng: &mut Rng, words: &[String], cumulative: &[f64], n: usize) -> String {
    let mut text = String::with_capacity(n * 7);
    for i in 0..n {
        if i > 0 {
            text.push(if rng.below(12) == 0 { '.' } else { ' ' });
            if text.ends_with('.') {
                text.push(' ');
            }
        }
        text.push_str(&words[draw(rng, cumulative)]);
    }
    text.push('.');
    text
}

async fn build(dir: &Path, words: &[String]) -> Store {
    let db = dir.join("confab.db");
    let done = dir.join("complete");
    if done.exists() {
        return Store::open(&db)
            .await
            .expect("open the benchmark's database");
    }
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("text")).expect("benchmark dir");
    let store = Store::open(&db)
        .await
        .expect("create the benchmark's database");
    let cumulative = zipf();
    let mut rng = Rng(0x5EED_C0FF_EE15_600D);
    let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let began = Instant::now();
    for batch in 0..CHATS / 50 {
        let mut chats = Vec::new();
        for c in 0..50 {
            let n = batch * 50 + c;
            let at = start + chrono::Duration::hours(n as i64);
            let mut file = String::new();
            let messages: Vec<ImportMessage> = (0..TURNS)
                .map(|i| {
                    let user = i % 2 == 0;
                    let len = if user {
                        8 + rng.below(33)
                    } else {
                        40 + rng.below(211)
                    };
                    let content = sentence(&mut rng, words, &cumulative, len);
                    file.push_str(&content);
                    file.push('\n');
                    ImportMessage {
                        role: if user { Role::User } else { Role::Assistant },
                        content,
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
            std::fs::write(dir.join("text").join(format!("chat-{n}.txt")), file)
                .expect("write the chat's text");
            chats.push(ImportConversation {
                title: format!("Chat {n}"),
                system_prompt: String::new(),
                model: None,
                params: serde_json::json!({}),
                created_at: at,
                updated_at: at,
                pinned: false,
                archived: false,
                messages,
                summaries: Vec::new(),
            });
        }
        store
            .import_conversations(&chats)
            .await
            .expect("import a batch");
        eprint!("\r{} of {CHATS} chats", (batch + 1) * 50);
    }
    eprintln!(
        "\rbuilt {} messages in {:.0} s",
        CHATS * TURNS,
        began.elapsed().as_secs_f64()
    );
    std::fs::write(&done, b"").expect("mark the database complete");
    store
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
    let dir = target.join("bench-search");
    let mut rng = Rng(0xBADC_0FFE_E0DD_F00D);
    let words = vocabulary(&mut rng);
    let store = build(&dir, &words).await;

    // Queries as people type them: a common, a middling and a rare word, two words, a word being
    // typed (a prefix), and a phrase.
    let mut queries: Vec<(String, &str)> = Vec::new();
    for rank in [3, 40, 300, 2_000, 12_000, 25_000] {
        queries.push((format!("{} ", words[rank]), "one word"));
    }
    for (a, b) in [(5, 900), (120, 4_000), (700, 9_000)] {
        queries.push((format!("{} {} ", words[a], words[b]), "two words"));
    }
    for rank in [60, 5_000] {
        let w = &words[rank];
        queries.push((w[..w.len().min(4)].to_owned(), "prefix"));
    }
    queries.push((format!("\"{} {}\"", words[1], words[2]), "phrase"));

    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    println!(
        "search over {} messages, {RUNS} runs each (median):",
        CHATS * TURNS
    );
    println!(
        "{:<32} {:>10} {:>10} {:>8}",
        "query", "confab", "ripgrep", "hits"
    );
    for (text, kind) in &queries {
        let mut mine = Vec::new();
        let mut hits = 0;
        for _ in 0..RUNS {
            let began = Instant::now();
            let results = store
                .search(&SearchQuery::text(text.clone()))
                .await
                .expect("search");
            mine.push(began.elapsed());
            hits = results.hits.len();
        }
        // ripgrep gets one fixed string: the phrase, the first of two words (a scan reads all the
        // text whatever it looks for), or the prefix without -w.
        let pattern = match *kind {
            "phrase" => text.trim_matches('"').to_owned(),
            _ => text
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned(),
        };
        let whole = if *kind == "prefix" { "-i" } else { "-w" };
        let mut rg = Vec::new();
        for _ in 0..RUNS {
            let began = Instant::now();
            let out = Command::new("rg")
                .args(["-i", whole, "-c", "-F", &pattern])
                .arg(dir.join("text"))
                .output()
                .expect("rg is needed on the PATH: apt install ripgrep");
            rg.push(began.elapsed());
            assert!(out.status.code().is_some(), "rg failed");
        }
        println!(
            "{:<32} {:>8.1}ms {:>8.1}ms {:>8}",
            format!("{text:?} ({kind})"),
            percentile(mine.clone(), 0.5),
            percentile(rg.clone(), 0.5),
            hits
        );
        ours.extend(mine);
        theirs.extend(rg);
    }
    let (p50, p95) = (percentile(ours.clone(), 0.5), percentile(ours, 0.95));
    let (rg50, rg95) = (percentile(theirs.clone(), 0.5), percentile(theirs, 0.95));
    println!("all queries: confab p50 {p50:.1} ms, p95 {p95:.1} ms; ripgrep p50 {rg50:.1} ms, p95 {rg95:.1} ms");
    println!("confab is {:.0}× faster at p50", rg50 / p50);
    store.close().await;
}
