//! Searching every chat: words (short ones, prefixes, phrases, diacritics), BM25 ranking, CJK and
//! word-less text, filters, paging, titles, snippets with offsets, hidden versions left out, and
//! any text a person types answered without an SQL or FTS error.

use chrono::Duration;
use confab_core::error::{Coded, ErrorCode};
use confab_core::store::{
    Conversation, ConversationId, MessageStatus, NewMessage, Role, SearchHit, SearchMode,
    SearchQuery, Snippet,
};
use confab_test_support::store::TestStore;

async fn reply(t: &TestStore, chat: &Conversation, text: &str) {
    t.tick();
    t.store
        .append_message(
            chat.id,
            NewMessage {
                role: Role::Assistant,
                content: text.into(),
                status: MessageStatus::Complete,
                model: None,
            },
        )
        .await
        .unwrap();
}

async fn find(t: &TestStore, query: SearchQuery) -> Vec<SearchHit> {
    t.store.search(&query).await.unwrap().hits
}

async fn texts(t: &TestStore, text: &str) -> Vec<String> {
    find(t, SearchQuery::text(text))
        .await
        .into_iter()
        .map(|h| h.snippet.text)
        .collect()
}

fn highlighted(snippet: &Snippet) -> Vec<String> {
    let units: Vec<u16> = snippet.text.encode_utf16().collect();
    snippet
        .highlights
        .iter()
        .map(|[s, e]| String::from_utf16(&units[*s as usize..*e as usize]).unwrap())
        .collect()
}

#[tokio::test]
async fn words_short_ones_prefixes_phrases_and_diacritics() {
    let t = TestStore::new().await;
    let chat = t.chat("Languages").await;
    t.say(&chat, "I write Go every day").await;
    t.say(&chat, "The UI is written in C# and Svelte").await;
    t.say(&chat, "We chose Postgres over MySQL").await;
    t.say(&chat, "The staging server is 10.4.2.19").await;
    t.say(&chat, "a server for staging builds").await;
    t.say(&chat, "Mein Résumé liegt im Büro").await;

    assert_eq!(texts(&t, "go ").await, ["I write Go every day"]);
    assert_eq!(texts(&t, "UI").await.len(), 1);
    assert_eq!(
        texts(&t, "postg").await.len(),
        1,
        "the word being typed is a prefix"
    );
    assert!(
        texts(&t, "postg ").await.is_empty(),
        "a finished word is whole"
    );
    assert_eq!(texts(&t, "resume buro").await.len(), 1, "diacritics folded");
    assert_eq!(texts(&t, "staging server").await.len(), 2);
    assert_eq!(
        texts(&t, "\"staging server\"").await,
        ["The staging server is 10.4.2.19"],
        "a quoted phrase is in order"
    );
    assert_eq!(texts(&t, "10.4.2.19").await.len(), 1);

    let hit = &find(&t, SearchQuery::text("chose mysql")).await[0];
    assert_eq!(highlighted(&hit.snippet), ["chose", "MySQL"]);
    assert_eq!(hit.role, Role::User);
    assert_eq!(hit.conversation_title, "Languages");
}

#[tokio::test]
async fn the_best_match_comes_first() {
    let t = TestStore::new().await;
    let chat = t.chat("Ranking").await;
    let filler = "and then we talked about many other things for a long while ".repeat(20);
    t.say(&chat, &format!("kubernetes came up once {filler}"))
        .await;
    t.say(&chat, "kubernetes, kubernetes: all about kubernetes")
        .await;
    t.say(&chat, "nothing relevant here").await;
    let hits = find(&t, SearchQuery::text("kubernetes ")).await;
    assert_eq!(hits.len(), 2);
    assert!(hits[0].snippet.text.starts_with("kubernetes, kubernetes"));
    assert!(hits[0].score > hits[1].score);
}

#[tokio::test]
async fn cjk_and_wordless_text_are_found_as_substrings() {
    let t = TestStore::new().await;
    let chat = t.chat("東京").await;
    t.say(&chat, "東京タワーに行きました").await;
    t.say(&chat, "that was fun :-) really").await;
    t.say(&chat, "party time 🎉 now").await;

    let results = t.store.search(&SearchQuery::text("タワー")).await.unwrap();
    assert_eq!(results.mode, SearchMode::Substring);
    assert_eq!(results.hits.len(), 1);
    assert_eq!(highlighted(&results.hits[0].snippet), ["タワー"]);

    let results = t.store.search(&SearchQuery::text("東京")).await.unwrap();
    assert_eq!(results.mode, SearchMode::Scan);
    assert_eq!(results.hits.len(), 1);
    assert_eq!(highlighted(&results.hits[0].snippet), ["東京"]);
    assert_eq!(results.titles.len(), 1, "the title matches too");

    assert_eq!(texts(&t, ":-)").await.len(), 1);
    assert_eq!(texts(&t, "🎉").await.len(), 1);
}

#[tokio::test]
async fn filters_narrow_by_chat_role_date_and_pin() {
    let t = TestStore::new().await;
    let a = t.chat("Alpha").await;
    let b = t.chat("Beta").await;
    let early = t.say(&a, "orchid question from alpha").await;
    reply(&t, &a, "orchid answer in alpha").await;
    t.clock.advance(Duration::days(3));
    let late = t.say(&b, "orchid question from beta").await;
    t.store.set_message_pinned(late.id, true).await.unwrap();

    let all = SearchQuery::text("orchid");
    assert_eq!(find(&t, all.clone()).await.len(), 3);
    let in_a = SearchQuery {
        conversation_id: Some(a.id),
        ..all.clone()
    };
    assert_eq!(find(&t, in_a).await.len(), 2);
    let replies = SearchQuery {
        role: Some(Role::Assistant),
        ..all.clone()
    };
    assert_eq!(find(&t, replies).await[0].role, Role::Assistant);
    let since = SearchQuery {
        since: Some(early.created_at + Duration::days(1)),
        ..all.clone()
    };
    assert_eq!(find(&t, since).await[0].message_id, late.id);
    let until = SearchQuery {
        until: Some(early.created_at + Duration::days(1)),
        ..all.clone()
    };
    assert_eq!(find(&t, until).await.len(), 2);
    let pinned = SearchQuery {
        pinned_only: true,
        ..all.clone()
    };
    let hits = find(&t, pinned).await;
    assert_eq!(hits.len(), 1);
    assert!(hits[0].pinned);

    let backwards = SearchQuery {
        since: Some(late.created_at),
        until: Some(early.created_at),
        ..all
    };
    let err = t.store.search(&backwards).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
}

#[tokio::test]
async fn a_chat_that_does_not_exist_is_an_error_not_an_empty_page() {
    let t = TestStore::new().await;
    let a = t.chat("Alpha").await;
    t.say(&a, "orchid").await;
    t.store.delete_conversation(a.id).await.unwrap();
    // A deleted chat, and one that never was; also for a query that finds nothing by itself.
    for (id, text) in [
        (a.id, "orchid"),
        (ConversationId(987_654), "orchid"),
        (a.id, "  !  "),
    ] {
        let query = SearchQuery {
            conversation_id: Some(id),
            ..SearchQuery::text(text)
        };
        let err = t.store.search(&query).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::NotFound, "{text:?}");
        assert!(err.to_string().contains(&id.0.to_string()), "{err}");
    }
}

#[tokio::test]
async fn pages_cover_every_hit_once_and_titles_come_first() {
    let t = TestStore::new().await;
    let chat = t.chat("Tulip notes").await;
    for i in 0..25 {
        t.say(&chat, &format!("tulip bulb number {i}")).await;
    }
    let mut seen = std::collections::HashSet::new();
    let mut offset = 0;
    let mut pages = Vec::new();
    loop {
        let results = t
            .store
            .search(&SearchQuery {
                limit: 10,
                offset,
                ..SearchQuery::text("tulip")
            })
            .await
            .unwrap();
        if offset == 0 {
            assert_eq!(results.titles.len(), 1);
            assert_eq!(results.titles[0].title, "Tulip notes");
        } else {
            assert!(results.titles.is_empty());
        }
        pages.push(results.hits.len());
        for hit in &results.hits {
            assert!(seen.insert(hit.message_id), "{:?} twice", hit.message_id);
        }
        if !results.more {
            break;
        }
        offset += 10;
    }
    assert_eq!(pages, [10, 10, 5]);
}

#[tokio::test]
async fn hidden_versions_are_not_found() {
    let t = TestStore::new().await;
    let chat = t.chat("Versions").await;
    t.say(&chat, "name a colour").await;
    reply(&t, &chat, "Vermilion").await;
    let regenerated = t.store.regenerate_reply(chat.id, None).await.unwrap();
    t.store
        .update_streaming_content(regenerated.reply.id, "Cerulean")
        .await
        .unwrap();
    assert!(texts(&t, "vermilion").await.is_empty());
    assert_eq!(texts(&t, "cerulean").await, ["Cerulean"]);
}

#[tokio::test]
async fn any_text_a_person_types_is_answered_never_an_error() {
    let t = TestStore::new().await;
    let chat = t.chat("Hostile").await;
    t.say(
        &chat,
        "ordinary words: NEAR the * star - dash \"quote\" (paren)",
    )
    .await;
    let long = "x".repeat(10 * 1024);
    let hostile = [
        "\"",
        "\"\"\"",
        "NEAR(ordinary words)",
        "ordinary NEAR words",
        "*",
        "ordinary*",
        "-ordinary",
        "ordinary OR words",
        "AND",
        "col:ordinary",
        "^ordinary",
        "(ordinary",
        "'; DROP TABLE messages; --",
        "!!!",
        "?",
        "🙂",
        "🙂🙂🙂🙂",
        "\u{E000}ordinary\u{E001}",
        &long,
    ];
    for text in hostile {
        match t.store.search(&SearchQuery::text(text)).await {
            Ok(_) => {}
            Err(e) => assert_eq!(
                e.code(),
                ErrorCode::InvalidInput,
                "{:?} gave {e}",
                &text[..text.len().min(40)]
            ),
        }
    }
    assert_eq!(
        texts(&t, "ordinary").await.len(),
        1,
        "the table is still there"
    );
    let quotes = t.store.search(&SearchQuery::text("\"\"")).await.unwrap();
    assert!(quotes.hits.is_empty() && quotes.titles.is_empty());
    for nothing in ["", "   "] {
        let err = t
            .store
            .search(&SearchQuery::text(nothing))
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput);
        assert!(err.to_string().contains("type"), "{err}");
    }
}
