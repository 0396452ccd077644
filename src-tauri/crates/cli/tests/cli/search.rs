//! `confab-cli search`: one hit per line or JSON, filters, and any text as a query.

use super::cli;

/// A data directory with two chats made through the CLI's own import.
fn data_dir_with_chats() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chats.json");
    let message = |id: i64, role: &str, text: &str, at: &str| serde_json::json!({"id": id, "role": role, "content": text, "status": "complete", "created_at": at});
    let chat = |title: &str, messages: Vec<serde_json::Value>| {
        serde_json::json!({
            "conversation": {"title": title, "created_at": "2026-01-01T10:00:00Z",
                             "updated_at": "2026-11-20T10:00:00Z"},
            "messages": messages,
            "summaries": [],
        })
    };
    let backup = serde_json::json!({
        "format": "confab.backup",
        "version": 2,
        "exported_at": "2026-11-27T19:00:00Z",
        "conversations": [
            chat("Servers", vec![
                message(1, "user", "What is the staging server's address?", "2026-01-01T10:00:00Z"),
                message(2, "assistant", "The staging server is 10.4.2.19.", "2026-01-01T10:00:05Z"),
            ]),
            chat("Databases", vec![
                message(3, "user", "Remind me why we chose Postgres over MySQL", "2026-11-20T10:00:00Z"),
                message(4, "assistant", "Postgres: better JSON support and the staging server already ran it.", "2026-11-20T10:00:04Z"),
            ]),
        ]
    });
    std::fs::write(&file, backup.to_string()).unwrap();
    let (ok, out, err) = cli(dir.path(), &["import", file.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
    dir
}

#[test]
fn hits_print_one_per_line_and_as_json() {
    let dir = data_dir_with_chats();
    let (ok, out, err) = cli(dir.path(), &["search", "staging server"]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    for line in &lines {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 5, "{line}");
        assert!(fields[0].parse::<i64>().is_ok() && fields[1].parse::<i64>().is_ok());
        assert!(["user", "assistant"].contains(&fields[2]), "{line}");
        assert!(
            fields[4].to_lowercase().contains("staging server"),
            "{line}"
        );
        assert!(
            !fields[4].contains('\x1b'),
            "no escapes when not on a terminal"
        );
    }

    let (ok, out, _) = cli(dir.path(), &["search", "postgres", "--json"]);
    assert!(ok);
    let hits: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(hits.len(), 2);
    for key in [
        "conversation_id",
        "message_id",
        "role",
        "created_at",
        "snippet",
        "score",
    ] {
        assert!(hits[0].get(key).is_some(), "{key} missing: {}", hits[0]);
    }
    assert!(hits[0]["score"].as_f64().unwrap() >= hits[1]["score"].as_f64().unwrap());
}

#[test]
fn filters_and_limits() {
    let dir = data_dir_with_chats();
    let (_, out, _) = cli(
        dir.path(),
        &["search", "staging", "--role", "user", "--json"],
    );
    let hits: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["role"], "user");

    let (_, out, _) = cli(
        dir.path(),
        &["search", "staging", "--since", "2026-06-01", "--json"],
    );
    let hits: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");

    let (_, out, _) = cli(dir.path(), &["ls", "--json"]);
    let chats: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let servers_id = chats.iter().find(|c| c["title"] == "Servers").unwrap()["id"].clone();
    let servers = servers_id.to_string();
    let (_, out, _) = cli(
        dir.path(),
        &["search", "staging", "--chat", &servers, "--json"],
    );
    let hits: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(hits.len(), 2);
    assert!(hits.iter().all(|h| h["conversation_id"] == servers_id));

    let (_, out, _) = cli(dir.path(), &["search", "staging", "--limit", "1"]);
    assert!(out.contains("… more"), "{out}");

    for (args, says) in [
        (
            &["search", "x", "--role", "robot"][..],
            "--role is user or assistant",
        ),
        (
            &["search", "x", "--since", "yesterday"],
            "--since takes a date",
        ),
        (&["search", "x", "--limit", "0"], "--limit is 1 to 100"),
        (&["search", "   "], "type something to search for"),
        (
            &["search", "staging", "--chat", "999999"],
            "conversation 999999 was not found",
        ),
    ] {
        let (ok, _, err) = cli(dir.path(), args);
        assert!(!ok, "{args:?}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn any_text_is_a_query() {
    let dir = data_dir_with_chats();
    for text in [
        "\"",
        "NEAR(",
        "*",
        "-",
        "'; DROP TABLE messages; --",
        "🙂",
        "!!!",
    ] {
        let (ok, out, err) = cli(dir.path(), &["search", text]);
        assert!(ok, "{text:?}: {err}");
        assert!(!out.is_empty());
    }
    let (_, out, _) = cli(dir.path(), &["search", "10.4.2.19"]);
    assert!(out.contains("10.4.2.19"), "{out}");
}
