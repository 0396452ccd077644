//! Property tests of the importers (Confab's JSON, its backups and ChatGPT's `conversations.json`):
//! random bytes, random JSON and mutations of real exports never panic in `parse_import`; a file
//! that fails to parse or to import leaves the database exactly as it was; a file that imports
//! gives conversations that read back and export again.
//!
//! Case counts are small by default so the suite stays fast; `PROPTEST_CASES=N` (what
//! `make fuzz` sets) runs N cases of each instead.

use std::cell::RefCell;

use confab_core::export::{self, export_backup, export_conversation, parse_import, Format};
use confab_core::store::{Ending, Finish, Store};
use confab_test_support::store::TestStore;
use proptest::collection::{btree_map, vec};
use proptest::prelude::{any, prop, prop_assert, prop_assert_eq, prop_oneof, Just};
use proptest::sample::Index;
use proptest::strategy::Strategy as Gen;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value};

use crate::export::{chatgpt_fixture, sample};

/// `default` cases, or what `PROPTEST_CASES` asks for: `with_cases` alone would override it.
/// Failures are not saved to a file: a runner made by hand has no source file to save them by.
fn config(default: u32) -> Config {
    let config = match std::env::var("PROPTEST_CASES") {
        Ok(_) => Config::default(),
        Err(_) => Config::with_cases(default),
    };
    Config {
        failure_persistence: None,
        ..config
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Valid files to mutate, made by the real exporter: a conversation with a bit of everything, a
/// backup of it beside a chat with a regenerated reply (hidden versions), and a ChatGPT export.
async fn valid_files() -> Vec<Vec<u8>> {
    let t = TestStore::new().await;
    let chat = sample(&t).await;
    let mut conversation = Vec::new();
    export_conversation(
        &t.store,
        chat.id,
        Format::Json,
        &Default::default(),
        &mut conversation,
    )
    .await
    .unwrap();
    let other = t.chat("Versions").await;
    t.say(&other, "Tell me a joke").await;
    for (n, text) in ["A first joke.", "A second joke."].into_iter().enumerate() {
        let reply = if n == 0 {
            t.start_reply(&other).await
        } else {
            t.store
                .regenerate_reply(other.id, None)
                .await
                .unwrap()
                .reply
        };
        t.store
            .finish_message(
                reply.id,
                Finish {
                    ended: Ending::Stop,
                    content: text.into(),
                    error: None,
                    prompt_tokens: None,
                    completion_tokens: None,
                    model: None,
                    finish_reason: Some("stop".into()),
                    stats: Default::default(),
                },
            )
            .await
            .unwrap();
    }
    let mut backup = Vec::new();
    export_backup(&t.store, &mut backup).await.unwrap();
    let chatgpt = serde_json::to_vec(&chatgpt_fixture()).unwrap();
    vec![conversation, backup, chatgpt]
}

/// Rows in each table, and the size of every text, read with plain SQL beside the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    conversations: i64,
    messages: i64,
    summaries: i64,
    text_bytes: i64,
}

async fn counts(db: &sqlx::SqlitePool) -> Counts {
    let (conversations, messages, summaries, text_bytes): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM conversations), (SELECT count(*) FROM messages),
                (SELECT count(*) FROM summaries),
                (SELECT coalesce(sum(length(content) + length(reasoning)), 0) FROM messages)
                  + (SELECT coalesce(sum(length(title) + length(system_prompt)), 0)
                     FROM conversations)",
    )
    .fetch_one(db)
    .await
    .unwrap();
    Counts {
        conversations,
        messages,
        summaries,
        text_bytes,
    }
}

fn number() -> impl Gen<Value = Value> {
    prop_oneof![
        Just(json!(0)),
        Just(json!(-1)),
        Just(json!(1)),
        Just(json!(2)),
        Just(json!(i64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(u64::MAX)),
        Just(json!(1e308)),
        Just(json!(-1e308)),
        Just(json!(0.5)),
        Just(json!(-0.0)),
        Just(json!(1_700_000_000.25)),
        any::<i64>().prop_map(Value::from),
    ]
}

fn string() -> impl Gen<Value = Value> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            " ",
            "user",
            "assistant",
            "system",
            "tool",
            "all",
            "streaming",
            "complete",
            "error",
            "interrupted",
            "text",
            "multimodal_text",
            "confab.conversation",
            "confab.backup",
            "1970-01-01T00:00:00Z",
            "2026-11-24T09:00:00Z",
            "+262142-12-31T23:59:59.999Z",
            "-262143-01-01T00:00:00Z",
            "\u{0}",
            "\u{202e}\u{feff}",
        ])
        .prop_map(Value::from),
        Just(Value::from("t".repeat(201))),
        Just(Value::from("r".repeat(65))),
        ".{0,24}".prop_map(Value::from),
    ]
}

/// Values a mutation puts into a file: the types, edge numbers and strings the importers read.
fn json_value() -> impl Gen<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        number(),
        string(),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..3).prop_map(Value::Array),
            btree_map(key(), inner, 0..3).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Keys the importers look for, and some they do not know.
fn key() -> impl Gen<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "format",
            "version",
            "exported_at",
            "conversation",
            "conversations",
            "messages",
            "summaries",
            "id",
            "title",
            "role",
            "content",
            "status",
            "created_at",
            "version_of",
            "hidden",
            "covers_through_message_id",
            "mapping",
            "current_node",
            "parent",
            "children",
            "message",
            "author",
            "parts",
            "content_type",
            "metadata",
            "recipient",
            "create_time",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{1,8}",
    ]
}

/// An edit of a parsed file: a node (chosen among all of them, in document order) replaced,
/// removed, copied over another node, or an array element repeated; or a string, number or
/// boolean given another value of its kind; or a field the store checks (a title, a version
/// link, a finish reason) given another value. The last two often still parse and reach the store.
#[derive(Debug, Clone)]
enum JsonEdit {
    Replace(Index, Value),
    Field(&'static str, Index, Value),
    SameKind(Index, Value, Value),
    Remove(Index),
    Copy(Index, Index),
    Repeat(Index),
}

fn json_edit() -> impl Gen<Value = JsonEdit> {
    prop_oneof![
        3 => (any::<Index>(), json_value()).prop_map(|(i, v)| JsonEdit::Replace(i, v)),
        4 => (any::<Index>(), string(), number())
            .prop_map(|(i, s, n)| JsonEdit::SameKind(i, s, n)),
        4 => (
            prop::sample::select(vec![
                "title",
                "system_prompt",
                "finish_reason",
                "hidden",
                "version_of",
                "covers_through_message_id",
                "id",
                "status",
                "current_node",
                "parent",
                "recipient",
            ]),
            any::<Index>(),
            prop_oneof![string(), number(), any::<bool>().prop_map(Value::from), Just(Value::Null)],
        )
            .prop_map(|(field, i, v)| JsonEdit::Field(field, i, v)),
        2 => any::<Index>().prop_map(JsonEdit::Remove),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| JsonEdit::Copy(a, b)),
        1 => any::<Index>().prop_map(JsonEdit::Repeat),
    ]
}

/// Every node's JSON pointer, the root first.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                pointers(item, format!("{at}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                let k = k.replace('~', "~0").replace('/', "~1");
                pointers(item, format!("{at}/{k}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

fn apply_json(doc: &mut Value, edit: &JsonEdit) {
    let mut all = Vec::new();
    pointers(doc, String::new(), &mut all);
    let pick = |i: &Index| all[i.index(all.len())].clone();
    match edit {
        JsonEdit::Replace(i, v) => *doc.pointer_mut(&pick(i)).unwrap() = v.clone(),
        JsonEdit::Field(field, i, v) => {
            let suffix = format!("/{field}");
            let named: Vec<&String> = all.iter().filter(|p| p.ends_with(&suffix)).collect();
            if !named.is_empty() {
                *doc.pointer_mut(named[i.index(named.len())]).unwrap() = v.clone();
            }
        }
        JsonEdit::SameKind(i, string, number) => {
            let node = doc.pointer_mut(&pick(i)).unwrap();
            match node {
                Value::String(_) => *node = string.clone(),
                Value::Number(_) => *node = number.clone(),
                Value::Bool(b) => *b = !*b,
                _ => {}
            }
        }
        JsonEdit::Copy(from, to) => {
            let v = doc.pointer(&pick(from)).unwrap().clone();
            *doc.pointer_mut(&pick(to)).unwrap() = v;
        }
        JsonEdit::Remove(i) | JsonEdit::Repeat(i) => {
            let at = pick(i);
            let Some((parent, last)) = at.rsplit_once('/') else {
                return;
            };
            let repeat = matches!(edit, JsonEdit::Repeat(_));
            match doc.pointer_mut(parent).unwrap() {
                Value::Array(items) => {
                    let n: usize = last.parse().unwrap();
                    if repeat {
                        let copy = items[n].clone();
                        items.insert(n, copy);
                    } else {
                        items.remove(n);
                    }
                }
                Value::Object(map) if !repeat => {
                    map.remove(&last.replace("~1", "/").replace("~0", "~"));
                }
                _ => {}
            }
        }
    }
}

/// An edit of the file's bytes: what a truncated download or a bad disk makes of it.
#[derive(Debug, Clone)]
enum ByteEdit {
    Set(Index, u8),
    Remove(Index, usize),
    Truncate(Index),
}

fn byte_edit() -> impl Gen<Value = ByteEdit> {
    prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| ByteEdit::Set(i, b)),
        (any::<Index>(), 1usize..8).prop_map(|(i, n)| ByteEdit::Remove(i, n)),
        any::<Index>().prop_map(ByteEdit::Truncate),
    ]
}

fn apply_bytes(bytes: &mut Vec<u8>, edit: &ByteEdit) {
    match edit {
        ByteEdit::Set(i, b) if !bytes.is_empty() => {
            let i = i.index(bytes.len());
            bytes[i] = *b;
        }
        ByteEdit::Set(..) => {}
        ByteEdit::Remove(i, n) => {
            let start = i.index(bytes.len() + 1);
            bytes.drain(start..(start + n).min(bytes.len()));
        }
        ByteEdit::Truncate(i) => bytes.truncate(i.index(bytes.len() + 1)),
    }
}

/// A mutated file: one of the valid ones, edited as JSON, then maybe as bytes.
#[derive(Debug, Clone)]
struct Mutation {
    file: Index,
    json: Vec<JsonEdit>,
    bytes: Option<Vec<ByteEdit>>,
}

fn mutation() -> impl Gen<Value = Mutation> {
    (
        any::<Index>(),
        vec(json_edit(), 0..4),
        prop::option::weighted(0.2, vec(byte_edit(), 1..3)),
    )
        .prop_map(|(file, json, bytes)| Mutation { file, json, bytes })
}

fn mutate(files: &[Vec<u8>], m: &Mutation) -> Vec<u8> {
    let mut doc: Value = serde_json::from_slice(&files[m.file.index(files.len())]).unwrap();
    for e in &m.json {
        apply_json(&mut doc, e);
    }
    let mut bytes = serde_json::to_vec(&doc).unwrap();
    for e in m.bytes.iter().flatten() {
        apply_bytes(&mut bytes, e);
    }
    bytes
}

#[test]
fn parse_import_never_panics_on_random_bytes_or_json() {
    let input = prop_oneof![
        vec(any::<u8>(), 0..1024),
        json_value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        // Random bodies under a known header, so the format's own parsing is reached.
        (
            prop::sample::select(vec!["confab.conversation", "confab.backup"]),
            0u64..4,
            json_value()
        )
            .prop_map(|(format, version, body)| {
                let mut doc = json!({"format": format, "version": version,
                                     "exported_at": "2026-11-24T09:00:00Z"});
                if let Value::Object(fields) = body {
                    doc.as_object_mut().unwrap().extend(fields);
                }
                serde_json::to_vec(&doc).unwrap()
            }),
        vec(json_value().prop_map(|v| json!({"mapping": v})), 0..3)
            .prop_map(|v| serde_json::to_vec(&v).unwrap()),
    ];
    TestRunner::new(config(256))
        .run(&input, |bytes| {
            let _ = parse_import(&bytes);
            Ok(())
        })
        .unwrap();
}

#[test]
fn mutated_files_never_panic_when_parsed() {
    let files = runtime().block_on(valid_files());
    TestRunner::new(config(256))
        .run(&mutation(), |m| {
            let _ = parse_import(&mutate(&files, &m));
            Ok(())
        })
        .unwrap();
}

/// How the files fared: each outcome is reached by a fixed file, whatever the random ones do.
#[derive(Debug, Default)]
struct Outcomes {
    unparsed: u32,
    refused: u32,
    imported: u32,
}

/// Fixed files, one for each outcome: a backup as it was written, truncated, and with its last
/// chat's title too long, which the store finds only inside the transaction, after the first
/// chat is written.
fn fixed_files(files: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let backup = files[1].clone();
    let truncated = backup[..backup.len() / 2].to_vec();
    let mut doc: Value = serde_json::from_slice(&backup).unwrap();
    let chats = doc["conversations"].as_array_mut().unwrap();
    assert!(chats.len() > 1, "the backup has chats before the bad one");
    chats.last_mut().unwrap()["conversation"]["title"] = json!("t".repeat(201));
    vec![backup, truncated, serde_json::to_vec(&doc).unwrap()]
}

/// Imports into one real database file: each file either imports whole and reads back, or
/// leaves the database as it was.
#[test]
fn mutated_files_import_whole_or_not_at_all() {
    let rt = runtime();
    let files = rt.block_on(valid_files());
    let t = rt.block_on(TestStore::new());
    let db = rt.block_on(async {
        sqlx::SqlitePool::connect(&format!(
            "sqlite://{}",
            t.dir.path().join("confab.db").display()
        ))
        .await
        .unwrap()
    });
    let outcomes = RefCell::new(Outcomes::default());
    let check = |bytes: Vec<u8>| {
        rt.block_on(async {
            let before = counts(&db).await;
            let Ok(plan) = parse_import(&bytes) else {
                outcomes.borrow_mut().unparsed += 1;
                prop_assert_eq!(counts(&db).await, before);
                return Ok(());
            };
            match export::import(&t.store, &plan).await {
                Err(e) => {
                    outcomes.borrow_mut().refused += 1;
                    prop_assert_eq!(counts(&db).await, before, "after {}", e);
                }
                Ok(ids) => {
                    outcomes.borrow_mut().imported += 1;
                    prop_assert_eq!(ids.len(), plan.conversations.len());
                    let after = counts(&db).await;
                    let preview = plan.preview();
                    prop_assert_eq!(
                        after.conversations - before.conversations,
                        preview.conversations as i64
                    );
                    prop_assert_eq!(after.messages - before.messages, preview.messages as i64);
                    for id in ids {
                        read_back(&t.store, id).await?;
                    }
                }
            }
            Ok(())
        })
    };
    for (n, bytes) in fixed_files(&files).into_iter().enumerate() {
        check(bytes).unwrap_or_else(|e| panic!("fixed file {n}: {e}"));
    }
    TestRunner::new(config(64))
        .run(&mutation(), |m| check(mutate(&files, &m)))
        .unwrap_or_else(|e| panic!("{e} ({:?})", outcomes.borrow()));
    let o = outcomes.into_inner();
    eprintln!("imports of mutated files: {o:?}");
    assert!(o.unparsed > 0 && o.refused > 0 && o.imported > 0, "{o:?}");
}

/// An imported conversation reads back whole, and its export imports again.
async fn read_back(
    store: &Store,
    id: confab_core::store::ConversationId,
) -> Result<(), TestCaseError> {
    let c = store.get_conversation(id).await.map_err(fail)?;
    let every = store
        .every_message_oldest_first(id, None, u32::MAX)
        .await
        .map_err(fail)?;
    let shown = store
        .messages_oldest_first(id, None, None, u32::MAX)
        .await
        .map_err(fail)?;
    prop_assert!(shown.len() <= every.len());
    let summaries = store.summaries(id).await.map_err(fail)?;
    let mut out = Vec::new();
    export_conversation(store, id, Format::Json, &Default::default(), &mut out)
        .await
        .map_err(fail)?;
    let again = parse_import(&out).map_err(fail)?;
    prop_assert_eq!(again.conversations.len(), 1);
    prop_assert_eq!(again.conversations[0].messages.len(), every.len());
    prop_assert_eq!(again.conversations[0].summaries.len(), summaries.len());
    prop_assert_eq!(&again.conversations[0].title, &c.title);
    Ok(())
}

fn fail(e: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(e.to_string())
}
