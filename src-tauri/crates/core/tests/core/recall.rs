//! Recall against real SQLite and the fault server: the embeddings client, the indexer (resume,
//! re-index, stale vectors), the recall step of the context builder, and the quality test that
//! judges retrieval itself over a 1,000-turn chat.

use std::sync::Arc;
use std::time::Duration;

use confab_core::chat::ChatService;
use confab_core::error::{Coded, ErrorCode};
use confab_core::llm::{Endpoint, LlmClient, RetryPolicy, Timeouts};
use confab_core::memory::{Part, RecallSource};
use confab_core::settings::{AppSettings, RecallSettings, Strategy};
use confab_core::store::{
    ConversationId, ConversationSettings, MessageId, MessageStatus, NewMessage, NewSummary, Role,
};
use confab_test_support::fault::{concept_vectors, EmbedFn, FaultServer, Reply};
use confab_test_support::store::TestStore;
use tokio_util::sync::CancellationToken;

use crate::harness::service;

const EMBED_MODEL: &str = "test-embed";

fn client(server: &FaultServer) -> LlmClient {
    LlmClient::new(
        Endpoint::new(&server.url(), None).unwrap(),
        Timeouts::default(),
        RetryPolicy {
            max_attempts: 1,
            ..Default::default()
        },
    )
}

fn words_vectors() -> EmbedFn {
    concept_vectors(64, &[])
}

async fn set_memory(t: &TestStore, id: ConversationId, strategy: Strategy, context: u64) {
    t.store
        .update_conversation_settings(
            id,
            ConversationSettings {
                params: Some(serde_json::json!({
                    "memory": strategy.as_str(),
                    "context_length": context,
                })),
                ..Default::default()
            },
        )
        .await
        .unwrap();
}

async fn reply(t: &TestStore, id: ConversationId, text: &str) -> MessageId {
    t.tick();
    t.store
        .append_message(
            id,
            NewMessage {
                role: Role::Assistant,
                content: text.into(),
                status: MessageStatus::Complete,
                model: None,
            },
        )
        .await
        .unwrap()
        .id
}

/// Starts the indexer and waits until every message has a vector.
async fn index_everything(service: &Arc<ChatService>) {
    service.start_indexing();
    let mut watch = service.recall().watch();
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let s = watch.borrow_and_update().clone();
            if s.embedding_model.is_some() && !s.indexing && s.total > 0 && s.indexed == s.total {
                return;
            }
            watch.changed().await.unwrap();
        }
    })
    .await
    .unwrap_or_else(|_| panic!("indexing did not finish: {:?}", service.recall().status()));
}

#[tokio::test]
async fn embeddings_come_back_in_order_and_a_chat_only_server_is_named() {
    let server = FaultServer::start().await;
    server.embeddings(EMBED_MODEL, words_vectors());
    let c = client(&server);
    let cancel = CancellationToken::new();
    let got = c
        .embed(
            Some(EMBED_MODEL),
            &["alpha beta", "gamma", "alpha beta"],
            &cancel,
        )
        .await
        .unwrap();
    assert_eq!(got.vectors.len(), 3);
    assert_eq!(got.vectors[0].len(), 64);
    assert_eq!(got.vectors[0], got.vectors[2]);
    assert_ne!(got.vectors[0], got.vectors[1]);
    assert_eq!(c.embedding_models().await, [EMBED_MODEL]);

    // llama.cpp started without --embeddings answers 501.
    let chat_only = FaultServer::start().await;
    chat_only.script(
        "/v1/embeddings",
        [Reply::json(
            501,
            r#"{"error":{"code":501,"message":"This server does not support embeddings. Start it with `--embeddings`","type":"not_supported_error"}}"#,
        )],
    );
    let err = client(&chat_only)
        .embed(None, &["x"], &cancel)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NoEmbeddings);
    assert!(err.to_string().contains("--embeddings"), "{err}");

    let broken = FaultServer::start().await;
    broken.script(
        "/v1/embeddings",
        [Reply::json(200, r#"{"data":[{"embedding":[1,2]}]}"#)],
    );
    let err = client(&broken)
        .embed(None, &["x", "y"], &cancel)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Protocol);
}

#[tokio::test]
async fn the_indexer_embeds_everything_resumes_and_reindexes_for_a_new_model() {
    let server = FaultServer::start().await;
    server.embeddings(EMBED_MODEL, words_vectors());
    let t = TestStore::new().await;
    let chat = t.chat("indexed").await;
    for i in 0..50 {
        t.say(&chat, &format!("question number {i} about turnips"))
            .await;
        reply(&t, chat.id, &format!("answer number {i} about radishes")).await;
    }
    let first = service(&t, &server.url());
    index_everything(&first).await;
    assert_eq!(server.embedded_texts(), 100);
    let status = first.recall().status();
    assert_eq!((status.indexed, status.total), (100, 100));
    assert!(status.embedding_model.unwrap().ends_with("#test-embed"));
    first.stop_indexing().await;

    // Another process (a restart) embeds only what is new.
    t.say(&chat, "one more about parsnips").await;
    let second = service(&t, &server.url());
    index_everything(&second).await;
    assert_eq!(server.embedded_texts(), 101);

    // An edited message loses its vector and gets a new one.
    let last = t
        .store
        .messages_newest_first(chat.id, None, None, 1)
        .await
        .unwrap()
        .remove(0);
    let key = second.recall().status().embedding_model.unwrap();
    assert!(t
        .store
        .message_vector(last.id, &key)
        .await
        .unwrap()
        .is_some());
    t.store
        .edit_and_resend(last.id, "one more about celeriac", None)
        .await
        .unwrap();
    assert_eq!(t.store.message_vector(last.id, &key).await.unwrap(), None);
    second.stop_indexing().await;

    // A new embedding model: everything again, under the new model.
    AppSettings {
        recall: RecallSettings {
            model: Some("other-embed".into()),
            ..Default::default()
        },
        ..Default::default()
    }
    .save(&t.store)
    .await
    .unwrap();
    let third = service(&t, &server.url());
    index_everything(&third).await;
    let status = third.recall().status();
    assert!(status.embedding_model.unwrap().ends_with("#other-embed"));
    assert_eq!(status.indexed, status.total);
    assert_eq!(server.embedded_texts(), 101 + 101);
}

#[tokio::test]
async fn recall_sends_whole_turns_in_order_inside_the_share_and_says_what_was_left_out() {
    let server = FaultServer::start().await;
    let t = TestStore::new().await;
    let chat = t.chat("recall").await;
    set_memory(&t, chat.id, Strategy::Recall, 1024).await;
    let fact = t
        .say(&chat, "The staging server is 10.4.2.19, remember it.")
        .await;
    let answer = reply(&t, chat.id, "Noted: staging lives at 10.4.2.19.").await;
    for i in 0..60 {
        t.say(
            &chat,
            &format!("Tell me about pottery glazes, part {i}, in detail please."),
        )
        .await;
        reply(
            &t,
            chat.id,
            &"Glazes are glassy coatings fired onto clay. ".repeat(4),
        )
        .await;
    }
    let question = t
        .say(&chat, "What is the address of the staging server?")
        .await;
    let service = service(&t, &server.url());
    let built = service.context(chat.id).await.unwrap();
    let report = &built.report;
    let recall = report.recall.as_ref().expect("a recall report");
    assert!(recall.embedding_model.is_none());
    assert!(
        recall.words_only_reason.is_some(),
        "no embedding model: words alone, and why"
    );
    assert!(recall.share > 0 && recall.used <= recall.share);
    assert!(report.used <= report.budget);

    let recalled: Vec<(MessageId, RecallSource)> = report
        .items
        .iter()
        .filter_map(|i| match i.part {
            Part::Recalled {
                message_id, source, ..
            } => Some((message_id, source)),
            _ => None,
        })
        .collect();
    // The fact and its answer (whole turn), oldest first, before the question.
    assert_eq!(recalled[0], (fact.id, RecallSource::Words));
    assert_eq!(recalled[1], (answer, RecallSource::Turn));
    assert!(recalled.windows(2).all(|w| w[0].0 < w[1].0));
    let last = built.request.messages.last().unwrap();
    assert!(
        last.content.starts_with("<retrieved_history>"),
        "{}",
        last.content
    );
    assert!(last.content.contains("10.4.2.19"));
    assert!(last
        .content
        .ends_with("What is the address of the staging server?"));
    // Nothing recalled is also in the window.
    let window: Vec<MessageId> = report
        .items
        .iter()
        .filter_map(|i| match i.part {
            Part::Recent { message_id } => Some(message_id),
            _ => None,
        })
        .collect();
    assert!(recalled.iter().all(|(id, _)| !window.contains(id)));
    assert_eq!(window.last(), Some(&question.id));
    // The inspector's texts: each recalled entry, and the question as the user wrote it.
    let texts = built.item_texts();
    let at = report
        .items
        .iter()
        .position(|i| matches!(i.part, Part::Recalled { .. }))
        .unwrap();
    assert!(texts[at].contains("The staging server is 10.4.2.19"));
    assert_eq!(
        texts.last().unwrap(),
        "What is the address of the staging server?"
    );
    // Found but did not fit: listed.
    assert!(recall.found as usize >= recalled.len() / 2);
    assert!(
        recall.found as usize
            > recalled
                .iter()
                .filter(|r| r.1 != RecallSource::Turn)
                .count()
            || recall.left_out.is_empty()
    );
}

#[tokio::test]
async fn a_short_chat_recalls_nothing_and_other_strategies_never_recall() {
    let server = FaultServer::start().await;
    let t = TestStore::new().await;
    let chat = t.chat("short").await;
    set_memory(&t, chat.id, Strategy::Recall, 4096).await;
    t.say(&chat, "hello there").await;
    let service = service(&t, &server.url());
    let built = service.context(chat.id).await.unwrap();
    let recall = built.report.recall.unwrap();
    assert_eq!((recall.share, recall.found), (0, 0));
    set_memory(&t, chat.id, Strategy::SummaryWindow, 4096).await;
    assert!(service
        .context(chat.id)
        .await
        .unwrap()
        .report
        .recall
        .is_none());
}

/// A planted fact, a question about it sharing a word, and one in other words (with the
/// synonyms that make the test vectors see them as related).
struct Fact {
    statement: &'static str,
    question: &'static str,
    paraphrase: &'static str,
    synonyms: &'static [(&'static str, &'static str)],
}

const FACTS: &[Fact] = &[
    Fact {
        statement: "My sister's name is Ilse.",
        question: "What is my sister's name?",
        paraphrase: "Remind me what my sibling is called.",
        synonyms: &[("sibling", "sister"), ("called", "name")],
    },
    Fact {
        statement: "The staging server is 10.4.2.19.",
        question: "What address does the staging server have?",
        paraphrase: "Which machine hosts our preprod environment?",
        synonyms: &[("machine", "server"), ("preprod", "staging")],
    },
    Fact {
        statement: "We chose Postgres over MySQL for the database.",
        question: "Which database did we choose?",
        paraphrase: "What storage engine did the team settle on?",
        synonyms: &[("storage", "database"), ("settle", "chose")],
    },
    Fact {
        statement: "My dog is a beagle named Biscuit.",
        question: "What is my dog's name?",
        paraphrase: "What's my puppy called?",
        synonyms: &[("puppy", "dog"), ("named", "name")],
    },
    Fact {
        statement: "The project deadline is March 14.",
        question: "When is the project deadline?",
        paraphrase: "By what date must the work be delivered?",
        synonyms: &[
            ("date", "deadline"),
            ("delivered", "deadline"),
            ("work", "project"),
        ],
    },
    Fact {
        statement: "I am allergic to peanuts.",
        question: "What am I allergic to?",
        paraphrase: "Which food makes me react badly?",
        synonyms: &[("food", "peanuts"), ("react", "allergic")],
    },
    Fact {
        statement: "Our office wifi password is tangerine42.",
        question: "What's the office wifi password?",
        paraphrase: "How do I get onto the wireless network at the workplace?",
        synonyms: &[("wireless", "wifi"), ("workplace", "office")],
    },
    Fact {
        statement: "The API rate limit is 600 requests per minute.",
        question: "What is the API rate limit?",
        paraphrase: "How quickly may clients hit the endpoint before being throttled?",
        synonyms: &[
            ("throttled", "limit"),
            ("endpoint", "api"),
            ("hit", "requests"),
        ],
    },
    Fact {
        statement: "My favourite programming language is Rust.",
        question: "Which programming language is my favourite?",
        paraphrase: "What coding tongue do I like best?",
        synonyms: &[
            ("coding", "programming"),
            ("tongue", "language"),
            ("best", "favourite"),
        ],
    },
    Fact {
        statement: "The wedding is in Lisbon on June 3.",
        question: "Where is the wedding?",
        paraphrase: "In which city will the marriage ceremony take place?",
        synonyms: &[("marriage", "wedding"), ("ceremony", "wedding")],
    },
    Fact {
        statement: "My car is a blue Subaru.",
        question: "What car do I have?",
        paraphrase: "Which vehicle do I own?",
        synonyms: &[("vehicle", "car")],
    },
    Fact {
        statement: "My manager is called Priya Raman.",
        question: "Who is my manager?",
        paraphrase: "Who is my boss at the company?",
        synonyms: &[("boss", "manager")],
    },
    Fact {
        statement: "The backup runs every night at 2am.",
        question: "When does the backup run?",
        paraphrase: "At what hour is data copied for safekeeping?",
        synonyms: &[("copied", "backup"), ("safekeeping", "backup")],
    },
    Fact {
        statement: "I moved to Utrecht in 2019.",
        question: "When did I move to Utrecht?",
        paraphrase: "Which Dutch city do I live in?",
        synonyms: &[("dutch", "utrecht"), ("live", "moved")],
    },
    Fact {
        statement: "The frontend uses Svelte 5.",
        question: "Which framework does the frontend use?",
        paraphrase: "What library powers the client side?",
        synonyms: &[("client", "frontend"), ("powers", "uses")],
    },
    Fact {
        statement: "My blood type is O negative.",
        question: "What is my blood type?",
        paraphrase: "Which group does my plasma belong to for transfusions?",
        synonyms: &[
            ("group", "type"),
            ("plasma", "blood"),
            ("transfusions", "blood"),
        ],
    },
    Fact {
        statement: "The Kubernetes cluster runs in eu-west-1.",
        question: "Which region does the Kubernetes cluster run in?",
        paraphrase: "Where are our k8s containers hosted geographically?",
        synonyms: &[
            ("k8s", "kubernetes"),
            ("containers", "cluster"),
            ("hosted", "runs"),
        ],
    },
    Fact {
        statement: "My son's birthday is on October 9.",
        question: "When is my son's birthday?",
        paraphrase: "On what day was my boy born?",
        synonyms: &[("boy", "son"), ("born", "birthday")],
    },
    Fact {
        statement: "We deploy with GitHub Actions.",
        question: "How do we deploy?",
        paraphrase: "What ships our releases to production?",
        synonyms: &[("ships", "deploy"), ("releases", "deploy")],
    },
    Fact {
        statement: "The logo colour is teal #0F8B8D.",
        question: "What colour is the logo?",
        paraphrase: "Which hue does our brand mark use?",
        synonyms: &[("hue", "colour"), ("brand", "logo"), ("mark", "logo")],
    },
    Fact {
        statement: "My landlord is Mr. Okafor.",
        question: "Who is my landlord?",
        paraphrase: "Who owns the flat I rent?",
        synonyms: &[("rent", "landlord"), ("owns", "landlord")],
    },
    Fact {
        statement: "The test suite takes 14 minutes on CI.",
        question: "How long does the test suite take?",
        paraphrase: "What is the duration of our automated checks in continuous integration?",
        synonyms: &[("duration", "minutes"), ("checks", "test")],
    },
    Fact {
        statement: "I take my coffee with oat milk.",
        question: "How do I take my coffee?",
        paraphrase: "What dairy alternative goes in my morning brew?",
        synonyms: &[("dairy", "milk"), ("brew", "coffee")],
    },
    Fact {
        statement: "The marketing budget for Q3 is 40,000 euros.",
        question: "What is the marketing budget?",
        paraphrase: "How much money can advertising spend this quarter?",
        synonyms: &[
            ("advertising", "marketing"),
            ("money", "budget"),
            ("spend", "budget"),
        ],
    },
    Fact {
        statement: "My passport expires in August 2027.",
        question: "When does my passport expire?",
        paraphrase: "Until when is my travel document valid?",
        synonyms: &[("document", "passport"), ("valid", "expires")],
    },
    Fact {
        statement: "The cat's vet is Dr. Lindqvist.",
        question: "Who is the cat's vet?",
        paraphrase: "Which animal doctor treats my kitten?",
        synonyms: &[("doctor", "vet"), ("kitten", "cat")],
    },
    Fact {
        statement: "Our Slack workspace is acme-eng.",
        question: "What is our Slack workspace?",
        paraphrase: "Which team chat space do we message in?",
        synonyms: &[
            ("chat", "slack"),
            ("message", "slack"),
            ("space", "workspace"),
        ],
    },
    Fact {
        statement: "I run 10 km every Sunday.",
        question: "How far do I run on Sundays?",
        paraphrase: "What distance do I jog at the weekend?",
        synonyms: &[("jog", "run"), ("weekend", "sunday")],
    },
    Fact {
        statement: "The encryption key rotates every 90 days.",
        question: "How often does the encryption key rotate?",
        paraphrase: "On what schedule are our crypto secrets replaced?",
        synonyms: &[
            ("crypto", "encryption"),
            ("secrets", "key"),
            ("replaced", "rotates"),
        ],
    },
    Fact {
        statement: "My grandmother was born in Kraków.",
        question: "Where was my grandmother born?",
        paraphrase: "What town does my granny come from?",
        synonyms: &[("granny", "grandmother"), ("come", "born")],
    },
    Fact {
        statement: "The release codename is Nightjar.",
        question: "What is the release codename?",
        paraphrase: "What do we call the upcoming version internally?",
        synonyms: &[("call", "codename"), ("version", "release")],
    },
    Fact {
        statement: "The ticket for the login bug is PROJ-1234.",
        question: "Which ticket tracks the login bug?",
        paraphrase: "What issue number covers the sign-in defect?",
        synonyms: &[("issue", "ticket"), ("sign", "login"), ("defect", "bug")],
    },
];

/// Everyday chatter that mentions none of the facts: the haystack.
fn filler(i: usize) -> (String, String) {
    const TOPICS: &[&str] = &[
        "sourdough starters",
        "pottery glazes",
        "binary search trees",
        "sea kayaking",
        "watercolour washes",
        "chess openings",
        "compost heaps",
        "jazz chord voicings",
        "bicycle gear ratios",
        "tide tables",
        "origami cranes",
        "regular expressions",
        "houseplant repotting",
        "sailing knots",
        "bread hydration",
        "guitar string gauges",
        "mushroom foraging",
        "spreadsheet pivots",
        "bird migration",
        "tea steeping",
    ];
    const ANGLES: &[&str] = &[
        "common mistakes with",
        "a beginner's guide to",
        "the history of",
        "advanced tips on",
        "how experts think about",
        "a checklist for",
        "myths about",
        "tools for",
    ];
    let topic = TOPICS[i % TOPICS.len()];
    let angle = ANGLES[(i / TOPICS.len()) % ANGLES.len()];
    (
        format!("Could you give me {angle} {topic}? Keep it short, variant {i}."),
        format!(
            "Here is {angle} {topic}: start small, practise often, compare results, and keep \
             notes so patterns in {topic} become clear over time (variant {i})."
        ),
    )
}

/// Builds the 1,000-turn chat (facts planted in the first 100 turns) and returns it with each
/// fact's message.
async fn planted_chat(t: &TestStore, turns: usize) -> (ConversationId, Vec<MessageId>) {
    let chat = t.chat("a long chat").await;
    let mut planted = Vec::new();
    let mut fact = 0;
    for turn in 0..turns {
        if turn % 3 == 1 && fact < FACTS.len() {
            planted.push(t.say(&chat, FACTS[fact].statement).await.id);
            reply(t, chat.id, "Got it, I'll keep that in mind.").await;
            fact += 1;
        } else {
            let (q, a) = filler(turn);
            t.say(&chat, &q).await;
            reply(t, chat.id, &a).await;
        }
    }
    (chat.id, planted)
}

/// How many questions' planted fact reaches the model (its statement is in the request; with
/// recall, in the retrieved block), asking each in turn at the end of the chat.
async fn reached(
    t: &TestStore,
    service: &Arc<ChatService>,
    chat: ConversationId,
    questions: impl Iterator<Item = (usize, &'static str)>,
) -> (usize, usize, Vec<usize>) {
    let (mut hit, mut asked, mut missed) = (0, 0, Vec::new());
    for (i, question) in questions {
        t.say(&t.store.get_conversation(chat).await.unwrap(), question)
            .await;
        let built = service.context(chat).await.unwrap();
        // With recall, what counts is the retrieved block (the summary may quote the fact too).
        let sent: String = match &built.recall_block {
            Some(b) => built.request.messages[b.wire_index].content[..b.prefix_len].to_owned(),
            None => built
                .request
                .messages
                .iter()
                .map(|m| m.content.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        };
        asked += 1;
        if sent.contains(FACTS[i].statement) {
            hit += 1;
        } else {
            missed.push(i);
        }
        reply(t, chat, "I am not sure.").await;
    }
    (hit, asked, missed)
}

/// An extractive stand-in for the model's rolling summary: evenly spaced user messages, as
/// many as the summary's size bound holds (512 tokens at 4,096 context ≈ 2,000 bytes).
async fn extractive_summary(t: &TestStore, chat: ConversationId, through: MessageId) {
    let all = t
        .store
        .messages_oldest_first(chat, None, Some(MessageId(through.0 + 1)), 10_000)
        .await
        .unwrap();
    let users: Vec<&str> = all
        .iter()
        .filter(|m| m.role == Role::User)
        .map(|m| m.content.as_str())
        .collect();
    let per = users.iter().map(|u| u.len() + 1).sum::<usize>() / 2_000 + 1;
    let content: String = users
        .iter()
        .step_by(per)
        .map(|u| format!("{u}\n"))
        .collect();
    t.store
        .save_summary(NewSummary {
            conversation_id: chat,
            content,
            covers_through_message_id: through,
            token_count: None,
            model: None,
            edited_by_user: false,
        })
        .await
        .unwrap();
}

const TURNS: usize = 1_000;
const CONTEXT: u64 = 4096;

/// Run with `--nocapture` to see the numbers the README quotes.
#[tokio::test]
async fn recall_finds_planted_facts_in_a_thousand_turn_chat() {
    assert!(FACTS.len() >= 30);
    let server = FaultServer::start().await;
    let t = TestStore::new().await;
    let (chat, _) = planted_chat(&t, TURNS).await;
    let last_before_questions = t
        .store
        .messages_newest_first(chat, None, None, 1)
        .await
        .unwrap()[0]
        .id;

    // Words alone: no embedding model on the server.
    set_memory(&t, chat, Strategy::Recall, CONTEXT).await;
    let words = service(&t, &server.url());
    let questions = || FACTS.iter().enumerate().map(|(i, f)| (i, f.question));
    let paraphrases = || FACTS.iter().enumerate().map(|(i, f)| (i, f.paraphrase));
    let (hit, asked, missed) = reached(&t, &words, chat, questions()).await;
    println!("recall, words alone, questions sharing a word: {hit}/{asked} (missed {missed:?})");
    assert!(
        hit * 10 >= asked * 9,
        "words alone: {hit}/{asked}, missed {missed:?}"
    );
    let report = words.context(chat).await.unwrap().report;
    assert!(report.recall.unwrap().words_only_reason.is_some());
    let (words_on_paraphrases, _, _) = reached(&t, &words, chat, paraphrases()).await;

    // The window alone and the summary alone, same questions.
    set_memory(&t, chat, Strategy::SlidingWindow, CONTEXT).await;
    let (window_hit, _, _) = reached(&t, &words, chat, questions()).await;
    println!("sliding window alone: {window_hit}/{asked}");
    set_memory(&t, chat, Strategy::SummaryWindow, CONTEXT).await;
    extractive_summary(&t, chat, last_before_questions).await;
    let (summary_hit, _, _) = reached(&t, &words, chat, questions()).await;
    println!("summary + window alone (extractive summary): {summary_hit}/{asked}");
    assert!(window_hit < hit && summary_hit < hit);

    // Words and meaning: the paraphrased questions share no topic word with their fact.
    let synonyms: Vec<(&str, &str)> = FACTS
        .iter()
        .flat_map(|f| f.synonyms.iter().copied())
        .collect();
    server.embeddings(EMBED_MODEL, concept_vectors(256, &synonyms));
    set_memory(&t, chat, Strategy::Recall, CONTEXT).await;
    let vectors = service(&t, &server.url());
    index_everything(&vectors).await;
    let (hit, asked, missed) = reached(&t, &vectors, chat, paraphrases()).await;
    println!(
        "recall, paraphrased questions: words alone {words_on_paraphrases}/{asked}, words and \
         vectors {hit}/{asked} (missed {missed:?})"
    );
    assert!(
        hit * 10 >= asked * 9,
        "with vectors: {hit}/{asked}, missed {missed:?}"
    );
    let report = vectors.context(chat).await.unwrap().report;
    assert!(report.recall.unwrap().embedding_model.is_some());
    vectors.stop_indexing().await;
}

#[tokio::test]
async fn search_by_meaning_finds_other_words_and_says_how_each_was_found() {
    use confab_core::store::{Matched, SearchQuery};
    let server = FaultServer::start().await;
    server.embeddings(
        EMBED_MODEL,
        concept_vectors(64, &[("sibling", "sister"), ("called", "name")]),
    );
    let t = TestStore::new().await;
    let chat = t.chat("family").await;
    let fact = t.say(&chat, "My sister's name is Ilse.").await;
    reply(&t, chat.id, "A lovely name.").await;
    let other = t.chat("pottery").await;
    for i in 0..5 {
        t.say(&other, &format!("Pottery glazes, part {i}.")).await;
        reply(&t, other.id, "Glassy coatings fired onto clay.").await;
    }
    let service = service(&t, &server.url());
    index_everything(&service).await;

    let ask = |text: &str, meaning: bool| SearchQuery {
        text: text.into(),
        meaning,
        ..Default::default()
    };
    // Other words: found by meaning only, and marked so.
    assert!(service
        .search(&ask("sibling called", false))
        .await
        .unwrap()
        .hits
        .is_empty());
    let found = service.search(&ask("sibling called", true)).await.unwrap();
    assert_eq!(found.meaning_note, None);
    assert_eq!(found.hits[0].message_id, fact.id);
    assert_eq!(found.hits[0].matched, Matched::Meaning);
    assert_eq!(found.hits[0].conversation_title, "family");
    // The same words: both ways, first.
    let found = service.search(&ask("sister name", true)).await.unwrap();
    assert_eq!(found.hits[0].message_id, fact.id);
    assert_eq!(found.hits[0].matched, Matched::Both);
    // Filters hold for what is found by meaning too.
    let replies_only = SearchQuery {
        role: Some(Role::Assistant),
        ..ask("sibling called", true)
    };
    let found = service.search(&replies_only).await.unwrap();
    assert!(
        found.hits.iter().all(|h| h.role == Role::Assistant),
        "{found:?}"
    );
    let elsewhere = SearchQuery {
        conversation_id: Some(other.id),
        ..ask("sibling called", true)
    };
    let found = service.search(&elsewhere).await.unwrap();
    assert!(found.hits.iter().all(|h| h.conversation_id == other.id));
    service.stop_indexing().await;

    // No embedding model: words only, and why.
    let plain = FaultServer::start().await;
    let words = crate::harness::service(&t, &plain.url());
    let found = words.search(&ask("sister", true)).await.unwrap();
    assert_eq!(found.hits[0].message_id, fact.id);
    assert_eq!(found.hits[0].matched, Matched::Words);
    assert!(found.meaning_note.is_some());
}
