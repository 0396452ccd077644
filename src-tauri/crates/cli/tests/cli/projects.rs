//! `confab-cli projects`, `chat --project` and `ls --project` on the app's database: a new chat
//! lands in the project (created when there is none of that name) and its request carries the
//! project's defaults.

use confab_core::paths::DATABASE_FILE;
use confab_core::settings::Strategy;
use confab_core::store::{NewConversation, ProjectDefaults, Store};
use confab_test_support::fault::{delta, FaultServer, Reply, DONE};

use super::{cli, confab_cli};

#[tokio::test]
async fn projects_lists_each_with_its_chat_count() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, stdout, _) = cli(dir.path(), &["projects"]);
    assert!(ok);
    assert_eq!(
        stdout.trim(),
        "No projects yet. Start one with `confab-cli chat --project NAME`."
    );
    let store = Store::open(&dir.path().join(DATABASE_FILE)).await.unwrap();
    let work = store
        .create_project(
            "Work",
            ProjectDefaults {
                model: Some("qwen".into()),
                memory: Some(Strategy::Recall),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    store
        .create_project("Home", ProjectDefaults::default())
        .await
        .unwrap();
    for title in ["a", "b"] {
        store
            .create_conversation(NewConversation {
                title: title.into(),
                project_id: Some(work.id),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    store.close().await;

    let (ok, stdout, stderr) = cli(dir.path(), &["projects"]);
    assert!(ok, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].contains("2 chats") && lines[0].contains("Work (model qwen, memory recall)"),
        "{stdout}"
    );
    assert!(
        lines[1].contains("0 chats") && lines[1].ends_with("Home"),
        "{stdout}"
    );

    let (ok, stdout, _) = cli(dir.path(), &["projects", "--json"]);
    assert!(ok);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json[0]["name"], "Work");
    assert_eq!(json[0]["chats"], 2);
    assert_eq!(json[0]["defaults"]["memory"], "recall");
}

#[tokio::test]
async fn chat_in_a_project_creates_it_inherits_and_ls_filters_by_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join(DATABASE_FILE)).await.unwrap();
    store
        .create_project(
            "Reviews",
            ProjectDefaults {
                system_prompt: Some("You review code.".into()),
                model: Some("coder".into()),
                temperature: Some(0.2),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    store
        .create_conversation(NewConversation {
            title: "Loose chat".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    store.close().await;

    let server = FaultServer::start().await;
    server.chat([
        Reply::sse([delta("Looks fine."), DONE.to_owned()]),
        Reply::sse([delta("Noted."), DONE.to_owned()]),
    ]);
    let url = server.url();
    // The existing project, named in another case: the request carries its defaults.
    let out = confab_cli(dir.path())
        .run_async(&[
            "chat",
            "--endpoint",
            &url,
            "--project",
            "REVIEWS",
            "-m",
            "Check this",
        ])
        .await
        .unwrap();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "Looks fine.\n");
    let body = &server.chat_requests()[0];
    assert_eq!(body["model"], "coder");
    // The request carries temperatures as f32.
    assert!(
        (body["temperature"].as_f64().unwrap() - 0.2).abs() < 1e-6,
        "{body}"
    );
    assert_eq!(body["messages"][0]["content"], "You review code.");

    // A project that does not exist yet is created.
    let out = confab_cli(dir.path())
        .run_async(&[
            "chat",
            "--endpoint",
            &url,
            "--project",
            "Ideas",
            "-m",
            "Remember this",
        ])
        .await
        .unwrap();
    assert_eq!(out.code, 0, "{}", out.stderr);

    let (ok, stdout, stderr) = cli(dir.path(), &["ls", "--project", "reviews"]);
    assert!(ok, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    assert!(lines[0].ends_with("Check this"), "{stdout}");
    let (ok, stdout, _) = cli(dir.path(), &["ls", "--project", "Ideas", "--json"]);
    assert!(ok);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(json[0]["title"], "Remember this");
    let (ok, stdout, _) = cli(dir.path(), &["ls"]);
    assert!(ok);
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    let (ok, stdout, _) = cli(dir.path(), &["projects"]);
    assert!(ok);
    assert!(
        stdout.contains("1 chat ") && stdout.contains("Ideas"),
        "{stdout}"
    );

    // An unknown project is named in the error, with the way forward.
    let (ok, _, stderr) = cli(dir.path(), &["ls", "--project", "Nowhere"]);
    assert!(!ok);
    assert!(
        stderr.contains("no project named “Nowhere”") && stderr.contains("confab-cli projects"),
        "{stderr}"
    );
    // A chat cannot both continue a conversation and start in a project.
    let (ok, _, stderr) = cli(
        dir.path(),
        &["chat", "--conversation", "1", "--project", "X"],
    );
    assert!(!ok);
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}
