//! What a Confab at each schema version would have written: the database made by applying the
//! first N migrations through sqlx's migrator (as those versions did), then chats that use every
//! column and table the schema had by then. Ids and times are fixed, so two runs write the same
//! rows.
//!
//! By schema: 1 chats (pinned, archived, "New chat"), user and assistant messages (unicode, a
//! long paste, an interrupted and a failed reply), a rolling summary, a setting; 2 a pinned
//! message, exact token counts, a model profile, a window start; 3 a regenerated reply (the
//! first version hidden, the hidden one pinned, which 0007's index is about); 4 reasoning; 5 who
//! named each chat; 6 why replies stopped. 7 changed an index only, so it adds no data. 11 a
//! reply's statistics (llama.cpp's timings on one, measured figures on another). 12 projects:
//! one with every default, folded, holding chat 1, and an empty one. 13 (attachments, told by its
//! table) an image twice and a text file, and a model's vision setting. 14 (told by its `drafts`
//! table) how each reply ended, and two chats' unsent drafts: one with text and a file, one with
//! an image alone. 15 (tools, told by its table): an approved stdio server with a changed tool
//! held, an imported HTTP one waiting, allowances (always, and in chat 1), the servers chat 1 and
//! project 1 offer, and chat 1's calls (one with an image in its result).

use std::path::Path;

use confab_core::store::content_hash;
use confab_test_support::store::database_at_schema;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{Connection, SqliteConnection};

/// 2026-11-01T09:00:00Z: the seed's clock starts here and ticks a minute per row.
const T0: i64 = 1_793_523_600_000;
const MINUTE: i64 = 60_000;

/// The tokenizer key of the seeded token counts and model profile.
pub const TOKENIZER: &str = "llama.cpp http://127.0.0.1:8080 llama-3.1-8b-instruct";

/// The chats, by id.
pub const KYOTO: i64 = 1;
pub const PASTE: i64 = 2;
pub const NEW_CHAT: i64 = 3;
pub const RECIPES: i64 = 4;

/// The unicode question every fixture carries; searching for a word of it finds chat 1.
pub const UNICODE_QUESTION: &str =
    "Grüße! Какой лучший сезон для поездки в Киото? 京都の紅葉はいつですか 🍁 — and is it crowded?";

/// A long paste: a 13 KB source file, line-numbered so no two lines are alike.
pub fn long_paste() -> String {
    let mut text = String::from("Why does this panic?\n\n```rust\n");
    for i in 0..200 {
        text.push_str(&format!(
            "let value_{i} = items.get({i}).copied().unwrap_or_default(); // step {i}\n"
        ));
    }
    text.push_str("```\n");
    text
}

/// Writes the fixture for schema `schema` (1-based: that many migrations applied) at `path`,
/// checkpointed and vacuumed into one self-contained file.
pub async fn write_fixture(path: &Path, schema: usize) {
    database_at_schema(path, schema).await;
    let options = SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .expect("connect");
    seed(&mut conn, schema as i64).await;
    for statement in ["PRAGMA wal_checkpoint(TRUNCATE)", "VACUUM"] {
        sqlx::query(statement)
            .execute(&mut conn)
            .await
            .expect(statement);
    }
    conn.close().await.expect("close");
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        assert!(
            !Path::new(&side).exists(),
            "{} is left beside the fixture",
            Path::new(&side).display()
        );
    }
}

async fn run(conn: &mut SqliteConnection, sql: &str, args: &[Arg<'_>]) {
    let mut query = sqlx::query(sql);
    for arg in args {
        query = match arg {
            Arg::Int(n) => query.bind(*n),
            Arg::Text(s) => query.bind(*s),
            Arg::Null => query.bind(None::<i64>),
        };
    }
    query
        .execute(&mut *conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

enum Arg<'a> {
    Int(i64),
    Text(&'a str),
    Null,
}
use Arg::{Int, Null, Text};

/// One message as schema 1 stores it.
struct Row<'a> {
    id: i64,
    chat: i64,
    role: &'a str,
    content: &'a str,
    status: &'a str,
    error: Option<&'a str>,
}

async fn message(conn: &mut SqliteConnection, m: Row<'_>) {
    let at = T0 + m.id * MINUTE;
    let model = (m.role == "assistant").then_some("llama-3.1-8b-instruct");
    let tokens =
        (m.status == "complete" && m.role == "assistant").then_some((m.content.len() / 4) as i64);
    run(
        conn,
        "INSERT INTO messages (id, conversation_id, role, content, status, error, model, \
         prompt_tokens, completion_tokens, created_at, completed_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            Int(m.id),
            Int(m.chat),
            Text(m.role),
            Text(m.content),
            Text(m.status),
            m.error.map_or(Null, Text),
            model.map_or(Null, Text),
            tokens.map_or(Null, |_| Int(m.id * 100)),
            tokens.map_or(Null, Int),
            Int(at),
            Int(at + 30_000),
        ],
    )
    .await;
}

async fn seed(conn: &mut SqliteConnection, schema: i64) {
    let chats = [
        (
            KYOTO,
            "Trip to Kyoto 🏯",
            "You are a friendly travel guide. Answer briefly.",
            Some("llama-3.1-8b-instruct"),
            r#"{"temperature":0.7,"max_tokens":512}"#,
            1,
            0,
        ),
        (PASTE, "Why does this panic?", "", None, "{}", 0, 0),
        (NEW_CHAT, "New chat", "", None, "{}", 0, 0),
        (
            RECIPES,
            "Recipes: ramen & gyōza",
            "",
            Some("qwen2.5-7b"),
            r#"{"memory":{"strategy":"window"}}"#,
            0,
            1,
        ),
    ];
    for (id, title, system_prompt, model, params, pinned, archived) in chats {
        run(
            conn,
            "INSERT INTO conversations (id, title, system_prompt, model, params, created_at, \
             updated_at, pinned, archived) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                Int(id),
                Text(title),
                Text(system_prompt),
                model.map_or(Null, Text),
                Text(params),
                Int(T0 + id * MINUTE),
                Int(T0 + (100 + id) * MINUTE),
                Int(pinned),
                Int(archived),
            ],
        )
        .await;
    }

    let paste = long_paste();
    let rows = [
        (1, KYOTO, "user", UNICODE_QUESTION, "complete", None),
        (2, KYOTO, "assistant", "Late November: the maples turn red (紅葉, kōyō). Go early in the morning — Tōfuku-ji fills up by ten.", "complete", None),
        (3, KYOTO, "user", "And where should I stay? Budget ≈ ¥15 000 a night.", "complete", None),
        (4, KYOTO, "assistant", "Stay near Kyoto Station: fast trains, many hotels in that range.", "complete", None),
        (5, PASTE, "user", paste.as_str(), "complete", None),
        (6, PASTE, "assistant", "The panic comes from `unwrap` on line 412: the index is past the end of", "interrupted", Some("the connection to the model server was lost; the reply so far is kept")),
        (7, RECIPES, "user", "A vegetarian ramen broth, please.", "complete", None),
        (8, RECIPES, "assistant", "Kombu and shiitake dashi, then miso and sesame. Simmer, never boil.", "complete", None),
        (9, RECIPES, "user", "And gyōza dough?", "complete", None),
        (10, RECIPES, "assistant", "", "error", Some("the model server answered 500 Internal Server Error: out of memory")),
    ];
    for (id, chat, role, content, status, error) in rows {
        message(
            conn,
            Row {
                id,
                chat,
                role,
                content,
                status,
                error,
            },
        )
        .await;
    }
    run(
        conn,
        "INSERT INTO summaries (id, conversation_id, content, covers_through_message_id, \
         token_count, model, created_at, edited_by_user) VALUES (1, ?, ?, 2, 41, ?, ?, 0)",
        &[
            Int(KYOTO),
            Text("The user plans a trip to Kyoto (京都) in autumn; best time is late November."),
            Text("llama-3.1-8b-instruct"),
            Int(T0 + 50 * MINUTE),
        ],
    )
    .await;
    run(
        conn,
        "INSERT INTO settings (key, value, updated_at) VALUES ('theme', '\"dark\"', ?)",
        &[Int(T0)],
    )
    .await;

    if schema >= 2 {
        run(conn, "UPDATE messages SET pinned = 1 WHERE id = 1", &[]).await;
        for (id, tokens) in [(1, 38), (2, 31)] {
            let (content,): (String,) = sqlx::query_as("SELECT content FROM messages WHERE id = ?")
                .bind(id)
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            run(
                conn,
                "INSERT INTO token_counts (message_id, tokenizer, content_hash, tokens) \
                 VALUES (?, ?, ?, ?)",
                &[
                    Int(id),
                    Text(TOKENIZER),
                    Int(content_hash(&content)),
                    Int(tokens),
                ],
            )
            .await;
        }
        run(
            conn,
            "INSERT INTO model_profiles (tokenizer, context_length, learned_n_ctx, \
             bytes_per_token, per_message_overhead, calibration_samples, last_estimate_error, \
             mean_abs_estimate_error, updated_at) VALUES (?, 8192, 4096, 3.4, 7.5, 12, 0.05, 0.08, ?)",
            &[Text(TOKENIZER), Int(T0 + 60 * MINUTE)],
        )
        .await;
        run(
            conn,
            "INSERT INTO memory_windows (conversation_id, start_message_id, updated_at) \
             VALUES (?, 7, ?)",
            &[Int(RECIPES), Int(T0 + 60 * MINUTE)],
        )
        .await;
    }

    if schema >= 3 {
        // Chat 1's last reply was regenerated: the first version (4) is set aside, the new one
        // (11) shown; the user had pinned the first.
        message(
            conn,
            Row {
                id: 11,
                chat: KYOTO,
                role: "assistant",
                content: "Try a ryokan in Higashiyama: tatami, onsen, and the old streets at dawn.",
                status: "complete",
                error: None,
            },
        )
        .await;
        run(
            conn,
            "UPDATE messages SET version_of = 4, hidden = 1, pinned = 1 WHERE id = 4",
            &[],
        )
        .await;
        run(
            conn,
            "UPDATE messages SET version_of = 4 WHERE id = 11",
            &[],
        )
        .await;
    }

    if schema >= 4 {
        run(
            conn,
            "UPDATE messages SET reasoning = ? WHERE id = 2",
            &[Text("The user asks about seasons; autumn foliage peaks in late November in Kyoto. Mention crowds.")],
        )
        .await;
    }

    if schema >= 5 {
        for (id, source) in [
            (KYOTO, "model"),
            (PASTE, "first_message"),
            (NEW_CHAT, "default"),
        ] {
            run(
                conn,
                "UPDATE conversations SET title_source = ? WHERE id = ?",
                &[Text(source), Int(id)],
            )
            .await;
        }
    }

    if schema >= 6 {
        run(
            conn,
            "UPDATE messages SET finish_reason = 'stop' WHERE status = 'complete' AND role = 'assistant'",
            &[],
        )
        .await;
        run(
            conn,
            "UPDATE messages SET finish_reason = 'length' WHERE id = 8",
            &[],
        )
        .await;
    }

    if schema >= 11 {
        run(
            conn,
            "UPDATE messages SET first_token_ms = 412, generation_ms = 5230,
                 tokens_per_second = 38.1, prompt_per_second = 912.5, cached_tokens = 24,
                 stats_from_server = 'first_token generation speed'
             WHERE id = 2",
            &[],
        )
        .await;
        run(
            conn,
            "UPDATE messages SET first_token_ms = 1830, generation_ms = 640 WHERE id = 8",
            &[],
        )
        .await;
    }

    if schema >= 12 {
        // A project with every default set, folded, holding chat 1; another with none.
        run(
            conn,
            "INSERT INTO projects (id, name, name_key, system_prompt, model, temperature, memory, \
             collapsed, position, created_at, updated_at) \
             VALUES (1, 'Reisen 🧳', 'reisen 🧳', 'Plan trips.', 'llama-3.1-8b-instruct', 0.4, \
             'recall', 1, 1, ?, ?)",
            &[Int(T0 + 200 * MINUTE), Int(T0 + 200 * MINUTE)],
        )
        .await;
        run(
            conn,
            "INSERT INTO projects (id, name, name_key, position, created_at, updated_at) \
             VALUES (2, 'Empty', 'empty', 2, ?, ?)",
            &[Int(T0 + 201 * MINUTE), Int(T0 + 201 * MINUTE)],
        )
        .await;
        run(
            conn,
            "UPDATE conversations SET project_id = 1 WHERE id = ?",
            &[Int(KYOTO)],
        )
        .await;
    }

    // 0013 (attachments): told by its table, not by a count, since migrations from parallel
    // branches land in any order. Chat 1's first question carries an image and a text file; the
    // same image again on the long paste is stored once.
    let (attachments,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'attachment_blobs'",
    )
    .fetch_one(&mut *conn)
    .await
    .expect("look for the attachments table");
    if attachments > 0 {
        const PNG_HEX: &str = "89504e470d0a1a0a0000000d4948445200000001000000010806000000";
        const PNG_SHA: &str = "5f1e3a3b6d0c1a4a2f0b8e0d6a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d";
        const TXT_SHA: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
        run(
            conn,
            &format!(
                "INSERT INTO attachment_blobs (sha256, mime, size, bytes) \
                 VALUES (?, 'image/png', 29, X'{PNG_HEX}')"
            ),
            &[Text(PNG_SHA)],
        )
        .await;
        run(
            conn,
            "INSERT INTO attachment_blobs (sha256, mime, size, bytes) \
             VALUES (?, 'text/plain; charset=utf-8', 11, CAST('seen at 9h\n' AS BLOB))",
            &[Text(TXT_SHA)],
        )
        .await;
        for (message, position, name, kind, sha) in [
            (1, 0, "maple.png", "image", PNG_SHA),
            (1, 1, "notes.txt", "text", TXT_SHA),
            (5, 0, "maple again.png", "image", PNG_SHA),
        ] {
            run(
                conn,
                "INSERT INTO message_attachments (message_id, position, name, kind, sha256) \
                 VALUES (?, ?, ?, ?, ?)",
                &[
                    Int(message),
                    Int(position),
                    Text(name),
                    Text(kind),
                    Text(sha),
                ],
            )
            .await;
        }
        run(
            conn,
            "UPDATE model_profiles SET vision = 0 WHERE tokenizer = ?",
            &[Text(TOKENIZER)],
        )
        .await;
    }

    // 0014 (endings and drafts): told by its table, like 0013. Every reply that ended says how,
    // as this version writes it; chat 2 has an unsent question with a log file waiting, the empty
    // chat an image alone.
    let (drafts,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'drafts'",
    )
    .fetch_one(&mut *conn)
    .await
    .expect("look for the drafts table");
    if drafts > 0 {
        for (id, ended) in [
            (2, "stop"),
            (4, "stop"),
            (6, "interrupted"),
            (8, "length"),
            (10, "failed"),
            (11, "stop"),
        ] {
            run(
                conn,
                "UPDATE messages SET ended = ? WHERE id = ?",
                &[Text(ended), Int(id)],
            )
            .await;
        }
        for (chat, text) in [(PASTE, "And what about line 413?"), (NEW_CHAT, "")] {
            run(
                conn,
                "INSERT INTO drafts (conversation_id, text, updated_at) VALUES (?, ?, ?)",
                &[Int(chat), Text(text), Int(T0 + (300 + chat) * MINUTE)],
            )
            .await;
        }
        run(
            conn,
            "INSERT INTO draft_files (conversation_id, position, name, kind, mime, bytes) \
             VALUES (?, 0, 'panic.log', 'text', 'text/plain; charset=utf-8', \
             CAST('thread main panicked at src/main.rs:412\n' AS BLOB))",
            &[Int(PASTE)],
        )
        .await;
        run(
            conn,
            "INSERT INTO draft_files (conversation_id, position, name, kind, mime, bytes) \
             VALUES (?, 0, 'shrine.png', 'image', 'image/png', \
             X'89504e470d0a1a0a0000000d4948445200000001000000010806000000')",
            &[Int(NEW_CHAT)],
        )
        .await;
    }
    // 0015 (tools): told by its table, like 0013.
    let (tools,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'tool_servers'",
    )
    .fetch_one(&mut *conn)
    .await
    .expect("look for the tools table");
    if tools > 0 {
        seed_tools(conn).await;
    }
}

/// Schema 15: MCP servers, pinned tools, allowances, chats' servers and calls.
async fn seed_tools(conn: &mut SqliteConnection) {
    const APPROVED_HASH: &str = "3b7e0c6a9f1d2e4b5a6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2";
    const ECHO_HASH: &str = "0c1d2e3f405162738495a6b7c8d9e0f10c1d2e3f405162738495a6b7c8d9e0f1";
    const ECHO_NEW_HASH: &str = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0";
    const ADD_HASH: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
    let at = T0 + 300 * MINUTE;
    run(
        conn,
        "INSERT INTO tool_servers (id, name, name_key, transport, command, args, env, cwd, state, \
         approved_hash, timeout_secs, created_at, updated_at) \
         VALUES (1, 'Files', 'files', 'stdio', 'npx', ?, '{\"DEBUG\":\"1\"}', '/home/ada', \
         'approved', ?, 90, ?, ?)",
        &[
            Text(r#"["-y","@modelcontextprotocol/server-filesystem","/home/ada/notes"]"#),
            Text(APPROVED_HASH),
            Int(at),
            Int(at),
        ],
    )
    .await;
    run(
        conn,
        "INSERT INTO tool_servers (id, name, name_key, transport, url, headers, state, \
         created_at, updated_at) VALUES (2, 'weather', 'weather', 'http', \
         'https://mcp.example.com/weather', '[\"Authorization\"]', 'needs_approval', ?, ?)",
        &[Int(at + MINUTE), Int(at + MINUTE)],
    )
    .await;
    run(
        conn,
        "INSERT INTO tool_definitions (server_id, name, description, input_schema, annotations, \
         hash, pending_description, pending_input_schema, pending_annotations, pending_hash, \
         updated_at) VALUES (1, 'echo', 'Repeats the text back.', ?, '{\"readOnlyHint\":true}', \
         ?, 'Repeats the text back, and reads your files.', ?, '{\"readOnlyHint\":true}', ?, ?)",
        &[
            Text(r#"{"type":"object","properties":{"text":{"type":"string"}}}"#),
            Text(ECHO_HASH),
            Text(r#"{"type":"object","properties":{"text":{"type":"string"}}}"#),
            Text(ECHO_NEW_HASH),
            Int(at + 2 * MINUTE),
        ],
    )
    .await;
    run(
        conn,
        "INSERT INTO tool_definitions (server_id, name, description, input_schema, annotations, \
         hash, offered, updated_at) VALUES (1, 'add', 'Adds two numbers.', ?, '{}', ?, 0, ?)",
        &[
            Text(r#"{"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}}}"#),
            Text(ADD_HASH),
            Int(at + 2 * MINUTE),
        ],
    )
    .await;
    for (id, conversation, tool, hash) in [
        (1, Null, "echo", ECHO_HASH),
        (2, Int(KYOTO), "add", ADD_HASH),
    ] {
        run(
            conn,
            "INSERT INTO tool_allowances (id, server_id, tool, conversation_id, tool_hash, \
             created_at) VALUES (?, 1, ?, ?, ?, ?)",
            &[
                Int(id),
                Text(tool),
                conversation,
                Text(hash),
                Int(at + 3 * MINUTE),
            ],
        )
        .await;
    }
    run(
        conn,
        "UPDATE conversations SET tool_servers = '[1]' WHERE id = ?",
        &[Int(KYOTO)],
    )
    .await;
    run(
        conn,
        "UPDATE conversations SET tool_servers = '[]' WHERE id = ?",
        &[Int(PASTE)],
    )
    .await;
    run(
        conn,
        "UPDATE projects SET tool_servers = '[1,2]' WHERE id = 1",
        &[],
    )
    .await;
    // Chat 1's second reply asked for two calls: one allowed and run, one denied with a reason.
    run(
        conn,
        "INSERT INTO tool_calls (id, message_id, position, call_id, function_name, server, tool, \
         arguments, decision, result, result_bytes, is_error, requested_at, decided_at, \
         started_at, finished_at) VALUES (1, 4, 0, 'call_0', 'Files__echo', 'Files', 'echo', \
         '{\"text\":\"Kyoto Station hotels\"}', 'allowed_always', 'Kyoto Station hotels', 20, 0, \
         ?, ?, ?, ?)",
        &[
            Int(at + 4 * MINUTE),
            Int(at + 4 * MINUTE),
            Int(at + 4 * MINUTE),
            Int(at + 4 * MINUTE + 120),
        ],
    )
    .await;
    run(
        conn,
        "INSERT INTO tool_calls (id, message_id, position, call_id, function_name, server, tool, \
         arguments, decision, reason, is_error, requested_at, decided_at) VALUES (2, 4, 1, \
         'confab_1', 'Files__write_note', 'Files', 'write_note', '{\"text\":\"book it\"}', \
         'denied', 'not without asking me first', 0, ?, ?)",
        &[Int(at + 4 * MINUTE), Int(at + 5 * MINUTE)],
    )
    .await;
    // The allowed call's result carried an image (a 1×1 PNG's first bytes).
    run(
        conn,
        "INSERT INTO tool_result_images (call_id, position, mime, bytes) VALUES (1, 0, \
         'image/png', X'89504e470d0a1a0a0000000d4948445200000001000000010806000000')",
        &[],
    )
    .await;
}
