//! The sidebar's reads with 10,000 chats, 1,000 of them in 20 projects: what opening the app asks
//! for (the projects with their counts, the first page of chats outside projects, each unfolded
//! project's chats) and what scrolling to the end asks for (every page of 50 after that). Medians
//! and 95th percentiles of 30 runs. Run with `cargo bench -p confab-core --bench chat_list`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use confab_core::clock::ManualClock;
use confab_core::store::{InProject, ListConversations, NewConversation, ProjectDefaults, Store};

const CHATS: usize = 10_000;
const PROJECTS: usize = 20;
const PER_PROJECT: usize = 50;
const PAGE: u32 = 50;
const RUNS: usize = 30;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let start = Utc.with_ymd_and_hms(2024, 11, 27, 9, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let store = Store::open_with_clock(&dir.path().join("bench.db"), clock.clone())
        .await
        .expect("store");
    let mut projects = Vec::new();
    for p in 0..PROJECTS {
        let project = store
            .create_project(&format!("Project {p}"), ProjectDefaults::default())
            .await
            .expect("project");
        projects.push(project.id);
    }
    // Two years of chats, one every ~105 minutes; every tenth in a project.
    for i in 0..CHATS {
        clock.advance(chrono::Duration::minutes(105));
        let project_id = (i % 10 == 0).then(|| projects[(i / 10) % PROJECTS]);
        store
            .create_conversation(NewConversation {
                title: format!("Chat {i}: a question about something"),
                project_id,
                ..Default::default()
            })
            .await
            .expect("chat");
    }
    assert_eq!(
        store.projects().await.expect("projects")[0].chats as usize,
        PER_PROJECT
    );

    println!("chat list, {CHATS} chats, {PROJECTS} projects, {RUNS} runs (median / p95):");
    let mut opening = Vec::new();
    let mut scrolling = Vec::new();
    let mut projects_only = Vec::new();
    let mut pages = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let listed = store.projects().await.expect("projects");
        projects_only.push(t.elapsed());
        let first = store
            .list_conversations(outside(None))
            .await
            .expect("first page");
        for p in listed.iter().take(5) {
            store
                .list_conversations(ListConversations {
                    limit: 500,
                    project: InProject::Is(p.id),
                    ..Default::default()
                })
                .await
                .expect("project chats");
        }
        opening.push(t.elapsed());

        let t = Instant::now();
        let mut next = first.next;
        let mut seen = first.items.len();
        pages = 1;
        while let Some(cursor) = next {
            let page = store
                .list_conversations(outside(Some(cursor)))
                .await
                .expect("page");
            seen += page.items.len();
            next = page.next;
            pages += 1;
        }
        scrolling.push(t.elapsed());
        assert_eq!(seen, CHATS - PROJECTS * PER_PROJECT);
    }
    report("projects with their counts", &mut projects_only);
    report(
        "opening: projects, first page, 5 unfolded projects' chats",
        &mut opening,
    );
    report(
        &format!("scrolling to the end: {pages} pages"),
        &mut scrolling,
    );
}

fn outside(after: Option<confab_core::store::ConversationCursor>) -> ListConversations {
    ListConversations {
        limit: PAGE,
        after,
        project: InProject::None,
        ..Default::default()
    }
}

fn report(what: &str, times: &mut [Duration]) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "  {what}: {:.2} ms / {:.2} ms",
        ms(times[times.len() / 2]),
        ms(times[times.len() * 95 / 100])
    );
}
