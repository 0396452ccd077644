//! Projects against a real SQLite file: create, rename, list with counts, fold, delete with and
//! without their chats, move chats, inherit defaults (chat → project → app settings) in the
//! request and in the sources the Options dialog shows, and export a whole project.

use confab_core::error::{Coded, ErrorCode};
use confab_core::export;
use confab_core::inherit::{self, OptionSource};
use confab_core::memory::{self, ServerReports};
use confab_core::settings::{AppSettings, ChatOptions, Strategy};
use confab_core::store::{
    InProject, ListConversations, NewConversation, ProjectChats, ProjectDefaults, ProjectError,
};
use confab_test_support::store::TestStore;

fn defaults() -> ProjectDefaults {
    ProjectDefaults {
        system_prompt: Some("You review Rust code.".into()),
        model: Some("qwen-coder".into()),
        temperature: Some(0.1),
        memory: Some(Strategy::Recall),
    }
}

#[tokio::test]
async fn create_rename_list_and_fold() {
    let t = TestStore::new().await;
    let work = t
        .store
        .create_project("  Work   stuff ", defaults())
        .await
        .unwrap();
    assert_eq!(work.name, "Work stuff");
    assert_eq!(work.defaults, defaults());
    assert_eq!(work.chats, 0);
    let home = t
        .store
        .create_project("Home", ProjectDefaults::default())
        .await
        .unwrap();

    // Names ignore case, Unicode included, on create and rename alike.
    let taken = t
        .store
        .create_project("WORK STUFF", ProjectDefaults::default())
        .await
        .unwrap_err();
    assert!(matches!(taken, ProjectError::NameTaken(_)), "{taken}");
    assert_eq!(taken.code(), ErrorCode::ProjectNameTaken);
    assert!(taken.to_string().contains("WORK STUFF"), "{taken}");
    t.store.rename_project(home.id, "Über").await.unwrap();
    let err = t.store.rename_project(work.id, "über").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ProjectNameTaken);
    assert_eq!(t.store.project_named("ÜBER").await.unwrap().id, home.id);
    let err = t.store.project_named("nowhere").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ProjectNotFound);
    assert!(err.to_string().contains("nowhere"), "{err}");
    let err = t
        .store
        .create_project("   ", ProjectDefaults::default())
        .await;
    assert_eq!(err.unwrap_err().code(), ErrorCode::InvalidInput);
    let err = t
        .store
        .create_project(
            "Hot",
            ProjectDefaults {
                temperature: Some(5.0),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);

    let a = t.chat("a").await;
    t.chat("b").await;
    t.store.move_to_project(a.id, Some(work.id)).await.unwrap();
    let listed = t.store.projects().await.unwrap();
    let names: Vec<_> = listed.iter().map(|p| (p.name.as_str(), p.chats)).collect();
    assert_eq!(names, [("Work stuff", 1), ("Über", 0)]);

    // Folding is kept (the sidebar reads it back after a restart).
    t.store.set_project_collapsed(work.id, true).await.unwrap();
    assert!(t.store.get_project(work.id).await.unwrap().collapsed);
    // Blank defaults mean "inherit".
    let cleared = t
        .store
        .set_project_defaults(
            work.id,
            ProjectDefaults {
                system_prompt: Some("  ".into()),
                model: Some(" m ".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(cleared.defaults.system_prompt, None);
    assert_eq!(cleared.defaults.model.as_deref(), Some("m"));
    // The same name again is found, not created twice.
    let again = t
        .store
        .project_named_or_created("work STUFF")
        .await
        .unwrap();
    assert_eq!(again.id, work.id);
    let fresh = t.store.project_named_or_created("Fresh").await.unwrap();
    assert_eq!(t.store.projects().await.unwrap().len(), 3);
    assert_eq!(fresh.defaults, ProjectDefaults::default());
}

#[tokio::test]
async fn chats_list_by_project_and_move_in_and_out() {
    let t = TestStore::new().await;
    let p = t
        .store
        .create_project("P", ProjectDefaults::default())
        .await
        .unwrap();
    let inside = t
        .store
        .create_conversation(NewConversation {
            title: "inside".into(),
            project_id: Some(p.id),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(inside.project_id, Some(p.id));
    let outside = t.chat("outside").await;
    let titles = |items: Vec<confab_core::store::Conversation>| {
        items.into_iter().map(|c| c.title).collect::<Vec<_>>()
    };
    let list = |project| ListConversations {
        project,
        ..Default::default()
    };
    let only_p = t
        .store
        .list_conversations(list(InProject::Is(p.id)))
        .await
        .unwrap();
    assert_eq!(titles(only_p.items), ["inside"]);
    let rest = t
        .store
        .list_conversations(list(InProject::None))
        .await
        .unwrap();
    assert_eq!(titles(rest.items), ["outside"]);
    let all = t
        .store
        .list_conversations(list(InProject::Any))
        .await
        .unwrap();
    assert_eq!(all.items.len(), 2);

    let moved = t
        .store
        .move_to_project(outside.id, Some(p.id))
        .await
        .unwrap();
    assert_eq!(moved.project_id, Some(p.id));
    // Moving is not activity: the chat keeps its place in time.
    assert_eq!(moved.updated_at, outside.updated_at);
    let out = t.store.move_to_project(inside.id, None).await.unwrap();
    assert_eq!(out.project_id, None);
    let err = t
        .store
        .move_to_project(inside.id, Some(confab_core::store::ProjectId(999)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ProjectNotFound);
    let err = t
        .store
        .create_conversation(NewConversation {
            project_id: Some(confab_core::store::ProjectId(999)),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn deleting_a_project_moves_its_chats_out_or_deletes_them() {
    let t = TestStore::new().await;
    let keep = t
        .store
        .create_project("Keep", ProjectDefaults::default())
        .await
        .unwrap();
    let drop = t
        .store
        .create_project("Drop", ProjectDefaults::default())
        .await
        .unwrap();
    let mut kept = Vec::new();
    for title in ["k1", "k2"] {
        let c = t.chat(title).await;
        t.say(&c, "hello").await;
        t.store.move_to_project(c.id, Some(keep.id)).await.unwrap();
        kept.push(c.id);
    }
    let gone = t.chat("d1").await;
    t.say(&gone, "bye").await;
    t.store
        .move_to_project(gone.id, Some(drop.id))
        .await
        .unwrap();
    let bystander = t.chat("outside").await;

    let moved = t
        .store
        .delete_project(keep.id, ProjectChats::MoveOut)
        .await
        .unwrap();
    assert_eq!((moved.moved_out, moved.deleted), (2, 0));
    for id in &kept {
        let c = t.store.get_conversation(*id).await.unwrap();
        assert_eq!(c.project_id, None);
        assert_eq!(
            t.store
                .messages_oldest_first(*id, None, None, 10)
                .await
                .unwrap()
                .len(),
            1
        );
    }
    let deleted = t
        .store
        .delete_project(drop.id, ProjectChats::Delete)
        .await
        .unwrap();
    assert_eq!((deleted.moved_out, deleted.deleted), (0, 1));
    assert_eq!(
        t.store.get_conversation(gone.id).await.unwrap_err().code(),
        ErrorCode::NotFound
    );
    t.store.get_conversation(bystander.id).await.unwrap();
    assert!(t.store.projects().await.unwrap().is_empty());
    let err = t
        .store
        .delete_project(drop.id, ProjectChats::MoveOut)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ProjectNotFound);
}

#[tokio::test]
async fn chats_inherit_the_projects_defaults_and_their_own_options_win() {
    let t = TestStore::new().await;
    AppSettings {
        model: Some("app-model".into()),
        system_prompt: "App prompt.".into(),
        temperature: Some(0.9),
        max_tokens: Some(200),
        context_length: Some(4096),
        ..Default::default()
    }
    .save(&t.store)
    .await
    .unwrap();
    let p = t.store.create_project("Code", defaults()).await.unwrap();
    let chat = t
        .store
        .create_conversation(NewConversation {
            project_id: Some(p.id),
            ..Default::default()
        })
        .await
        .unwrap();
    t.say(&chat, "Review this").await;
    let app = AppSettings::load(&t.store).await;

    // The request: the project's defaults, and the app's for what the project does not set.
    let built = memory::build(
        &t.store,
        None,
        &ServerReports::new(),
        &Default::default(),
        &app,
        &chat,
    )
    .await
    .unwrap();
    assert_eq!(built.request.model.as_deref(), Some("qwen-coder"));
    assert_eq!(built.request.temperature, Some(0.1));
    assert_eq!(built.request.max_tokens, Some(200));
    assert_eq!(built.request.messages[0].content, "You review Rust code.");
    let effective = inherit::effective(&t.store, &app, &chat).await.unwrap();
    assert_eq!(Strategy::of(&effective), Strategy::Recall);

    // The sources, as the Options dialog shows them.
    let sources = inherit::options_of(&t.store, chat.id).await.unwrap();
    assert_eq!(
        sources.project.as_ref().map(|p| p.name.as_str()),
        Some("Code")
    );
    assert_eq!(sources.model.value.as_deref(), Some("qwen-coder"));
    assert_eq!(sources.model.source, OptionSource::Project);
    assert_eq!(sources.system_prompt.source, OptionSource::Project);
    assert_eq!(sources.temperature.source, OptionSource::Project);
    assert_eq!(sources.memory.value, Strategy::Recall);
    assert_eq!(sources.memory.source, OptionSource::Project);

    // The chat's own options win; clearing the project's default falls through to the app's.
    ChatOptions {
        model: Some("chat-model".into()),
        temperature: Some(0.5),
        memory: Some(Strategy::SlidingWindow),
        ..ChatOptions::of(&chat)
    }
    .save(&t.store, chat.id)
    .await
    .unwrap();
    t.store
        .set_project_defaults(
            p.id,
            ProjectDefaults {
                model: Some("qwen-coder".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let sources = inherit::options_of(&t.store, chat.id).await.unwrap();
    assert_eq!(sources.model.value.as_deref(), Some("chat-model"));
    assert_eq!(sources.model.source, OptionSource::Chat);
    assert_eq!(sources.model.inherited.as_deref(), Some("qwen-coder"));
    assert_eq!(sources.model.inherited_from, OptionSource::Project);
    assert_eq!(sources.temperature.value, Some(0.5));
    assert_eq!(sources.temperature.inherited, Some(0.9));
    assert_eq!(
        sources.temperature.inherited_from,
        OptionSource::AppSettings
    );
    assert_eq!(sources.system_prompt.value, "App prompt.");
    assert_eq!(sources.system_prompt.source, OptionSource::AppSettings);
    assert_eq!(sources.memory.value, Strategy::SlidingWindow);
    assert_eq!(sources.memory.inherited, Strategy::SummaryWindow);
    assert_eq!(sources.memory.inherited_from, OptionSource::BuiltIn);
    let chat = t.store.get_conversation(chat.id).await.unwrap();
    let built = memory::build(
        &t.store,
        None,
        &ServerReports::new(),
        &Default::default(),
        &app,
        &chat,
    )
    .await
    .unwrap();
    assert_eq!(built.request.model.as_deref(), Some("chat-model"));
    assert_eq!(built.request.temperature, Some(0.5));
    assert_eq!(built.request.messages[0].content, "App prompt.");

    // Out of the project: the app's settings alone.
    t.store.move_to_project(chat.id, None).await.unwrap();
    let sources = inherit::options_of(&t.store, chat.id).await.unwrap();
    assert_eq!(sources.project, None);
    assert_eq!(sources.model.inherited.as_deref(), Some("app-model"));
    assert_eq!(sources.model.inherited_from, OptionSource::AppSettings);
}

#[tokio::test]
async fn a_project_exports_as_one_reimportable_archive() {
    let t = TestStore::new().await;
    let p = t
        .store
        .create_project("Trip", ProjectDefaults::default())
        .await
        .unwrap();
    for title in ["Flights", "Hotels"] {
        let c = t.chat(title).await;
        t.say(&c, &format!("About {title}")).await;
        t.store.move_to_project(c.id, Some(p.id)).await.unwrap();
    }
    let other = t.chat("Not in the trip").await;
    t.say(&other, "elsewhere").await;

    let mut out = Vec::new();
    let stats = export::export_project(&t.store, p.id, &mut out)
        .await
        .unwrap();
    assert_eq!((stats.conversations, stats.messages), (2, 2));
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(
        text.contains("About Flights") && !text.contains("elsewhere"),
        "{text}"
    );
    let plan = export::parse_import(&out).unwrap();
    let preview = plan.preview();
    assert_eq!(preview.conversations, 2);

    let path = t.dir.path().join("Trip.json");
    export::export_project_to(&t.store, p.id, &path)
        .await
        .unwrap();
    let other_store = TestStore::new().await;
    let ids = export::import(&other_store.store, &export::read_import(&path).unwrap())
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    assert_eq!(export::project_file_name(&p), "Trip.json");

    let err = export::export_project(&t.store, confab_core::store::ProjectId(77), &mut Vec::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ProjectNotFound);
}
