//! A turn with tools, OpenAI's way, against the scripted model server and the tests' own MCP
//! server: streamed `delta.tool_calls` (split arguments, parallel calls, no id, bad JSON, an
//! unknown tool, a model that calls forever), consent (allow once, in this chat, always, deny with
//! a reason), Stop, a server that refuses tools, and the calls and results rebuilt from the
//! database in valid pairs.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use confab_core::chat::{
    ChatEvent, ChatService, Consent, ConsentRequest, EventSink, MAX_TOOL_ROUNDS,
};
use confab_core::secrets::{BackendError, SecretBackend};
use confab_core::store::{Conversation, MessageStatus, ToolDecision, ToolServer};
use confab_core::tools::{HeaderSecrets, ToolHub};
use confab_test_support::fault::{delta, finish, tool_call, FaultServer, Reply, DONE};
use confab_test_support::mcp::stdio_server_exe;
use confab_test_support::store::TestStore;
use serde_json::{json, Value};

use super::harness::service;

struct NoKeyring;

impl SecretBackend for NoKeyring {
    fn get(&self, _: &str) -> Result<Option<String>, BackendError> {
        Ok(None)
    }
    fn set(&self, _: &str, _: &str) -> Result<(), BackendError> {
        Ok(())
    }
    fn delete(&self, _: &str) -> Result<(), BackendError> {
        Ok(())
    }
}

/// Records every event and answers each question with the next scripted consent (`None`: leaves
/// it waiting).
struct Consenting {
    service: Mutex<Weak<ChatService>>,
    answers: Mutex<Vec<Option<Consent>>>,
    events: Mutex<Vec<ChatEvent>>,
}

impl Consenting {
    fn new(service: &Arc<ChatService>, answers: Vec<Option<Consent>>) -> Self {
        Self {
            service: Mutex::new(Arc::downgrade(service)),
            answers: Mutex::new(answers),
            events: Mutex::default(),
        }
    }

    fn events(&self) -> Vec<ChatEvent> {
        self.events.lock().unwrap().clone()
    }

    fn questions(&self) -> Vec<ConsentRequest> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                ChatEvent::ToolConsent { request } => Some(request),
                _ => None,
            })
            .collect()
    }

    fn text(&self) -> String {
        self.events()
            .iter()
            .filter_map(|e| match e {
                ChatEvent::Delta { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }
}

impl EventSink for Consenting {
    fn send(&self, event: ChatEvent) {
        if let ChatEvent::ToolConsent { request } = &event {
            let answer = {
                let mut answers = self.answers.lock().unwrap();
                if answers.is_empty() {
                    None
                } else {
                    answers.remove(0)
                }
            };
            if let (Some(answer), Some(service)) = (answer, self.service.lock().unwrap().upgrade())
            {
                assert!(service.decide_tool_call(request.call_id, answer));
            }
        }
        self.events.lock().unwrap().push(event);
    }
}

struct Setup {
    t: TestStore,
    server: FaultServer,
    service: Arc<ChatService>,
    tools: ToolServer,
    chat: Conversation,
}

async fn setup() -> Setup {
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    let service = service(&t, &server.url());
    let hub = Arc::new(ToolHub::new(
        t.store.clone(),
        Arc::new(HeaderSecrets::new(Box::new(NoKeyring))),
        t.dir.path().join("tool-logs"),
    ));
    let exe = stdio_server_exe();
    let def = confab_core::tools::ServerDefinition::stdio("test", exe.to_str().unwrap(), &[]);
    let added = hub.add(&def, &BTreeMap::new()).await.unwrap();
    added.started.unwrap();
    service.set_tools(hub);
    let chat = t.chat("tools").await;
    t.store
        .set_conversation_tool_servers(chat.id, Some(&[added.server.id]))
        .await
        .unwrap();
    Setup {
        t,
        server,
        service,
        tools: added.server,
        chat,
    }
}

fn calls(chunks: Vec<String>) -> Reply {
    let mut all = chunks;
    all.push(finish("tool_calls"));
    all.push(DONE.into());
    Reply::sse(all)
}

fn answer(text: &str) -> Reply {
    Reply::sse([delta(text), finish("stop"), DONE.into()])
}

/// The tool messages of a request, by the call they answer.
fn tool_messages(request: &Value) -> Vec<(String, String)> {
    request["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| {
            (
                m["tool_call_id"].as_str().unwrap().to_owned(),
                m["content"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn split_arguments_allowed_once_and_the_result_goes_back_in_pairs() {
    let s = setup().await;
    s.server.chat([
        calls(vec![
            delta("Let me add that."),
            tool_call(Some(0), Some("call_1"), Some("test__add"), ""),
            tool_call(Some(0), None, None, "{\"a\": 2"),
            tool_call(Some(0), None, None, ", \"b\": 3}"),
        ]),
        answer("It is 5."),
    ]);
    let sink = Consenting::new(&s.service, vec![Some(Consent::AllowOnce)]);
    let reply = s
        .service
        .send(s.chat.id, "What is 2 + 3?", &sink)
        .await
        .unwrap();
    assert_eq!(reply.status, MessageStatus::Complete);
    assert_eq!(reply.content, "It is 5.");

    let requests = s.server.chat_requests();
    assert_eq!(requests.len(), 2);
    // The tools went out with their `server__tool` names and schemas.
    let names: Vec<&str> = requests[0]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"test__add") && names.contains(&"test__echo"),
        "{names:?}"
    );
    assert_eq!(requests[0]["tools"][0]["type"], "function");
    // The second request carries the call and its result, in that order, after the question.
    let messages = requests[1]["messages"].as_array().unwrap();
    let n = messages.len();
    assert_eq!(messages[n - 2]["role"], "assistant");
    assert_eq!(messages[n - 2]["content"], "Let me add that.");
    assert_eq!(
        messages[n - 2]["tool_calls"],
        json!([{ "id": "call_1", "type": "function", "function": { "name": "test__add", "arguments": "{\"a\": 2, \"b\": 3}" } }])
    );
    assert_eq!(
        messages[n - 1],
        json!({ "role": "tool", "content": "5", "tool_call_id": "call_1" })
    );

    // The consent card had everything.
    let question = &sink.questions()[0];
    assert_eq!(
        (question.server.as_str(), question.tool.as_str()),
        ("test", "add")
    );
    assert!(question.read_only && !question.destructive);
    assert_eq!(question.arguments, "{\n  \"a\": 2,\n  \"b\": 3\n}");

    // Stored: the first round's reply with its call, decided and finished.
    let messages = s.t.store.tail_messages(s.chat.id, 100).await.unwrap();
    let asked = &messages[1];
    assert_eq!(asked.finish_reason.as_deref(), Some("tool_calls"));
    let call = &asked.tool_calls[0];
    assert_eq!(call.decision, ToolDecision::AllowedOnce);
    assert_eq!(call.result.as_deref(), Some("5"));
    assert!(call.started_at.is_some() && call.finished_at.is_some());
    // Rebuilt from the database, the next request has the same pairs.
    let built = s.service.context(s.chat.id).await.unwrap();
    let wire = serde_json::to_value(&built.request.messages).unwrap();
    let tool = wire
        .as_array()
        .unwrap()
        .iter()
        .position(|m| m["role"] == "tool")
        .unwrap();
    assert_eq!(wire[tool - 1]["tool_calls"][0]["id"], "call_1");
    assert_eq!(wire[tool]["tool_call_id"], "call_1");
    s.service.tools().unwrap().shutdown().await;
}

#[tokio::test]
async fn parallel_calls_one_without_an_id_and_a_denial_with_its_reason() {
    let s = setup().await;
    s.server.chat([
        calls(vec![
            tool_call(Some(0), Some("a"), Some("test__echo"), "{\"text\":"),
            tool_call(Some(1), None, Some("test__write_note"), "{\"text\":"),
            tool_call(Some(0), None, None, "\"hi\"}"),
            tool_call(Some(1), None, None, "\"rm -rf\"}"),
        ]),
        answer("Done."),
    ]);
    let sink = Consenting::new(
        &s.service,
        vec![
            Some(Consent::AllowOnce),
            Some(Consent::Deny {
                reason: Some("not on my disk".into()),
            }),
        ],
    );
    s.service.send(s.chat.id, "go", &sink).await.unwrap();
    let requests = s.server.chat_requests();
    let tools = tool_messages(&requests[1]);
    assert_eq!(
        tools,
        [
            ("a".to_owned(), "hi".to_owned()),
            (
                "confab_1".to_owned(),
                "The user denied this call. Their reason: not on my disk".to_owned()
            )
        ]
    );
    let questions = sink.questions();
    assert!(questions[1].destructive);
    s.service.tools().unwrap().shutdown().await;
}

#[tokio::test]
async fn bad_json_and_unknown_tools_are_not_run_and_the_model_is_told() {
    let s = setup().await;
    s.server.chat([
        calls(vec![
            tool_call(Some(0), Some("x"), Some("test__add"), "{\"a\": 1,"),
            tool_call(Some(1), Some("y"), Some("rm_everything"), "{}"),
        ]),
        answer("Sorry."),
    ]);
    let sink = Consenting::new(&s.service, vec![]);
    s.service.send(s.chat.id, "go", &sink).await.unwrap();
    assert!(
        sink.questions().is_empty(),
        "nothing invalid is asked about"
    );
    let requests = s.server.chat_requests();
    let tools = tool_messages(&requests[1]);
    assert!(
        tools[0]
            .1
            .starts_with("Error: the call was not run: the arguments are not valid JSON"),
        "{tools:?}"
    );
    assert!(
        tools[1]
            .1
            .contains("there is no tool named “rm_everything”"),
        "{tools:?}"
    );
    // The invalid arguments go back as {} (servers parse earlier calls' arguments).
    let asked = requests[1]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["tool_calls"].is_array())
        .unwrap()
        .clone();
    assert_eq!(asked["tool_calls"][0]["function"]["arguments"], "{}");
    s.service.tools().unwrap().shutdown().await;
}

#[tokio::test]
async fn allowed_in_a_chat_and_always_allowed_run_without_asking() {
    let s = setup().await;
    let round =
        |name: &str, args: &str| calls(vec![tool_call(Some(0), Some("c"), Some(name), args)]);
    s.server.chat([
        round("test__write_note", r#"{"text":"a"}"#),
        answer("1"),
        round("test__write_note", r#"{"text":"b"}"#),
        answer("2"),
        round("test__echo", r#"{"text":"c"}"#),
        answer("3"),
        round("test__echo", r#"{"text":"d"}"#),
        answer("4"),
    ]);
    let sink = Consenting::new(
        &s.service,
        vec![Some(Consent::AllowInChat), Some(Consent::AlwaysAllow)],
    );
    for text in ["1", "2", "3", "4"] {
        s.service.send(s.chat.id, text, &sink).await.unwrap();
    }
    // Asked twice: write_note once (then allowed in this chat), echo once (then always).
    assert_eq!(sink.questions().len(), 2);
    let allowances = s.t.store.tool_allowances().await.unwrap();
    assert_eq!(allowances.len(), 2);
    assert_eq!(allowances[0].tool, "echo");
    assert_eq!(allowances[0].conversation_id, None);
    assert_eq!(allowances[1].conversation_id, Some(s.chat.id));
    // Another chat asks about write_note again, not about echo.
    let other = s.t.chat("other").await;
    s.t.store
        .set_conversation_tool_servers(other.id, Some(&[s.tools.id]))
        .await
        .unwrap();
    s.server.chat([
        round("test__echo", r#"{"text":"e"}"#),
        answer("5"),
        round("test__write_note", "{}"),
        answer("6"),
    ]);
    let sink = Consenting::new(&s.service, vec![Some(Consent::AllowOnce)]);
    s.service.send(other.id, "5", &sink).await.unwrap();
    s.service.send(other.id, "6", &sink).await.unwrap();
    let asked: Vec<String> = sink.questions().into_iter().map(|q| q.tool).collect();
    assert_eq!(asked, ["write_note"]);
    s.service.tools().unwrap().shutdown().await;
}

#[tokio::test]
async fn a_model_that_calls_forever_is_stopped_after_ten_rounds() {
    let s = setup().await;
    let always = calls(vec![tool_call(
        Some(0),
        Some("c"),
        Some("test__echo"),
        r#"{"text":"again"}"#,
    )]);
    s.server
        .chat(std::iter::repeat_n(always, MAX_TOOL_ROUNDS + 2));
    let echo = s.tools.tool("echo").unwrap().usable().unwrap().hash.clone();
    s.t.store
        .allow_tool(s.tools.id, "echo", None, &echo)
        .await
        .unwrap();
    let sink = Consenting::new(&s.service, vec![]);
    let last = s.service.send(s.chat.id, "loop", &sink).await.unwrap();
    assert_eq!(last.status, MessageStatus::Error);
    assert!(
        last.error
            .as_deref()
            .unwrap()
            .contains("asked for tools 10 times in a row"),
        "{:?}",
        last.error
    );
    assert_eq!(s.server.chat_requests().len(), MAX_TOOL_ROUNDS);
    s.service.tools().unwrap().shutdown().await;
}

#[tokio::test]
async fn stop_while_asking_ends_the_turn_and_the_pairs_stay_whole() {
    let s = setup().await;
    s.server.chat([calls(vec![tool_call(
        Some(0),
        Some("c"),
        Some("test__write_note"),
        "{}",
    )])]);
    let sink = Arc::new(Consenting::new(&s.service, vec![None]));
    let service = s.service.clone();
    let chat = s.chat.id;
    let waiting = sink.clone();
    let turn = tokio::spawn(async move { service.send(chat, "write it", waiting.as_ref()).await });
    while sink.questions().is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Another chat is not blocked meanwhile.
    let other = s.t.chat("other").await;
    s.server.chat([answer("free")]);
    let free = Consenting::new(&s.service, vec![]);
    assert_eq!(
        s.service.send(other.id, "hi", &free).await.unwrap().content,
        "free"
    );

    assert!(s.service.stop(chat));
    tokio::time::timeout(Duration::from_secs(2), turn)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let messages = s.t.store.tail_messages(chat, 100).await.unwrap();
    assert_eq!(
        messages.last().unwrap().tool_calls[0].decision,
        ToolDecision::Cancelled
    );
    let built = s.service.context(chat).await.unwrap();
    let wire = serde_json::to_value(&built.request.messages).unwrap();
    let tool = wire
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .unwrap();
    assert_eq!(tool["content"], "The call was stopped before it finished.");
    s.service.tools().unwrap().shutdown().await;
}

#[tokio::test]
async fn a_server_that_refuses_tools_says_so() {
    let s = setup().await;
    s.server.chat([Reply::json(
        500,
        r#"{"error":{"code":500,"message":"tools param requires --jinja flag","type":"server_error"}}"#,
    )]);
    let sink = Consenting::new(&s.service, vec![]);
    let reply = s.service.send(s.chat.id, "hi", &sink).await.unwrap();
    assert_eq!(reply.status, MessageStatus::Error);
    let error = reply.error.unwrap();
    assert!(
        error.contains("tools param requires --jinja flag") && error.contains("send without tools"),
        "{error}"
    );

    // A chat without tools sends no `tools` field at all.
    let plain = s.t.chat("plain").await;
    s.server.chat([answer("ok")]);
    s.service.send(plain.id, "hi", &sink).await.unwrap();
    let last = s.server.chat_requests().pop().unwrap();
    assert!(last.get("tools").is_none(), "{last}");
    assert_eq!(sink.text().trim_end(), "ok");
    s.service.tools().unwrap().shutdown().await;
}

async fn export(s: &Setup, format: confab_core::export::Format, redact: bool) -> String {
    let mut out = Vec::new();
    confab_core::export::export_conversation(
        &s.t.store,
        s.chat.id,
        format,
        &confab_core::export::ExportOptions {
            redact,
            endpoint: None,
        },
        &mut out,
    )
    .await
    .unwrap();
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn calls_and_results_are_exported_escaped_imported_whole_and_audited() {
    use confab_core::export::Format;
    let s = setup().await;
    s.server.chat([
        calls(vec![
            tool_call(
                Some(0),
                Some("h"),
                Some("test__hostile"),
                r#"{"who": "ada@example.com"}"#,
            ),
            tool_call(Some(1), Some("d"), Some("test__write_note"), "{}"),
        ]),
        answer("Here it is."),
    ]);
    let sink = Consenting::new(
        &s.service,
        vec![
            Some(Consent::AllowOnce),
            Some(Consent::Deny {
                reason: Some("no".into()),
            }),
        ],
    );
    s.service.send(s.chat.id, "show me", &sink).await.unwrap();

    let markdown = export(&s, Format::Markdown, false).await;
    assert!(
        markdown.contains("🔧 **Tool call** ` test/hostile ` · allowed once"),
        "{markdown}"
    );
    assert!(
        markdown.contains("```text\n<script>window.__pwned = 1</script>"),
        "{markdown}"
    );
    assert!(markdown.contains("· denied (no)"), "{markdown}");
    let html = export(&s, Format::Html, false).await;
    assert!(
        !html.contains("<script>window"),
        "a result reached the page as markup"
    );
    assert!(
        html.contains("&lt;script&gt;window.__pwned = 1&lt;/script&gt;"),
        "{html}"
    );
    assert!(html.contains(
        "<section class=\"tool-call\"><p>Tool call <code>test/hostile</code> · allowed once"
    ));

    let audit = export(&s, Format::Jsonl, true).await;
    let lines: Vec<Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let calls: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "tool_call").collect();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["server"], "test");
    assert_eq!(calls[0]["tool"], "hostile");
    assert_eq!(calls[0]["decision"], "allowed_once");
    assert!(calls[0]["duration_ms"].as_i64().is_some());
    assert!(calls[0]["result_bytes"].as_u64().unwrap() > 100);
    assert!(
        !calls[0]["arguments"]
            .as_str()
            .unwrap()
            .contains("ada@example.com"),
        "redacted"
    );
    assert_eq!(calls[1]["decision"], "denied");
    assert_eq!(calls[1]["duration_ms"], Value::Null);

    // JSON carries them losslessly: imported, the calls read back the same.
    let json = export(&s, Format::Json, false).await;
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["version"], 4);
    let plan = confab_core::export::parse_import(json.as_bytes()).unwrap();
    let ids = confab_core::export::import(&s.t.store, &plan)
        .await
        .unwrap();
    let before = s.t.store.tail_messages(s.chat.id, 100).await.unwrap();
    let after = s.t.store.tail_messages(ids[0], 100).await.unwrap();
    let strip = |calls: &[confab_core::store::ToolCallRecord]| -> Vec<Value> {
        calls
            .iter()
            .map(|c| {
                let mut v = serde_json::to_value(c).unwrap();
                v.as_object_mut().unwrap().remove("id");
                v.as_object_mut().unwrap().remove("message_id");
                v
            })
            .collect()
    };
    assert_eq!(strip(&before[1].tool_calls), strip(&after[1].tool_calls));
    assert_eq!(after[1].tool_calls.len(), 2);
    // An older export (version 3, no calls) still imports.
    let mut old: Value = serde_json::from_str(&json).unwrap();
    old["version"] = 3.into();
    for m in old["messages"].as_array_mut().unwrap() {
        m.as_object_mut().unwrap().remove("tool_calls");
    }
    let plan = confab_core::export::parse_import(old.to_string().as_bytes()).unwrap();
    confab_core::export::import(&s.t.store, &plan)
        .await
        .unwrap();
    s.service.tools().unwrap().shutdown().await;
}

#[tokio::test]
async fn a_summary_fold_reads_the_calls_of_the_turns_it_folds() {
    use confab_core::store::NewConversation;
    use confab_test_support::fault::completion;
    let s = setup().await;
    let chat =
        s.t.store
            .create_conversation(NewConversation {
                title: "small".into(),
                params: json!({ "context_length": 900, "max_tokens": 100, "memory": "summary" }),
                ..Default::default()
            })
            .await
            .unwrap();
    s.t.store
        .set_conversation_tool_servers(chat.id, Some(&[s.tools.id]))
        .await
        .unwrap();
    s.server.chat([
        calls(vec![tool_call(
            Some(0),
            Some("c"),
            Some("test__add"),
            r#"{"a": 2, "b": 3}"#,
        )]),
        answer("It is 5."),
    ]);
    let sink = Consenting::new(&s.service, vec![Some(Consent::AllowOnce)]);
    s.service
        .send(chat.id, "What is 2 + 3?", &sink)
        .await
        .unwrap();
    for i in 0..20 {
        s.t.say(
            &chat,
            &format!("Message {i}: {}", "a longer line of chat ".repeat(12)),
        )
        .await;
    }
    s.server
        .chat([completion("Summary: 2 + 3 was added with the tool: 5.")]);
    let folded = s.service.fold_summary(chat.id).await.unwrap();
    assert!(folded.is_some());
    let fold = s.server.chat_requests().pop().unwrap();
    let prompt = fold["messages"][1]["content"].as_str().unwrap();
    assert!(
        prompt.contains("Assistant: \n[called the tool test__add with {\"a\": 2, \"b\": 3}: 5]"),
        "{prompt}"
    );
    s.service.tools().unwrap().shutdown().await;
}

#[tokio::test]
async fn search_finds_text_in_tool_results_as_tool_output() {
    use confab_core::store::SearchQuery;
    let s = setup().await;
    s.server.chat([
        calls(vec![tool_call(
            Some(0),
            Some("c"),
            Some("test__echo"),
            r#"{"text": "the zanzibar ledger (京都の台帳) is balanced"}"#,
        )]),
        answer("Done."),
    ]);
    let sink = Consenting::new(&s.service, vec![Some(Consent::AllowOnce)]);
    s.service
        .send(s.chat.id, "check the books", &sink)
        .await
        .unwrap();
    for (text, mode) in [
        ("zanzibar", "words"),
        ("zan", "a prefix"),
        ("都の台帳", "substring"),
    ] {
        let results = s.t.store.search(&SearchQuery::text(text)).await.unwrap();
        assert_eq!(results.hits.len(), 1, "{text} ({mode}): {results:?}");
        let hit = &results.hits[0];
        assert!(hit.tool_output, "{text}");
        assert!(hit.snippet.text.contains("zanzibar ledger"), "{text}");
        let messages = s.t.store.tail_messages(s.chat.id, 10).await.unwrap();
        assert_eq!(
            hit.message_id, messages[1].id,
            "the reply that called the tool"
        );
    }
    // Short text is scanned, tool results included.
    let results = s.t.store.search(&SearchQuery::text("z")).await.unwrap();
    assert!(results.hits.iter().any(|h| h.tool_output));
    // A message's own text is not tool output.
    let results = s.t.store.search(&SearchQuery::text("books")).await.unwrap();
    assert_eq!(results.hits.len(), 1);
    assert!(!results.hits[0].tool_output);
    // Gone with its chat.
    s.t.store.delete_conversation(s.chat.id).await.unwrap();
    assert!(s
        .t
        .store
        .search(&SearchQuery::text("zanzibar"))
        .await
        .unwrap()
        .hits
        .is_empty());
    s.service.tools().unwrap().shutdown().await;
}

/// The reference MCP server (`@modelcontextprotocol/server-everything`, installed into
/// `tests/mcp/` by `scripts/test.sh`), whose `get-tiny-image` returns a PNG.
fn everything_js() -> String {
    let js = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../../../tests/mcp/node_modules/@modelcontextprotocol/server-everything/dist/index.js",
    );
    assert!(
        js.is_file(),
        "the MCP test servers are not installed: run `npm ci --prefix tests/mcp` (scripts/test.sh does)"
    );
    js.display().to_string()
}

#[tokio::test]
async fn an_image_a_tool_returns_goes_to_a_model_that_takes_images_and_is_named_to_one_that_does_not(
) {
    let t = TestStore::new().await;
    let server = FaultServer::start().await;
    let service = service(&t, &server.url());
    let hub = Arc::new(ToolHub::new(
        t.store.clone(),
        Arc::new(HeaderSecrets::new(Box::new(NoKeyring))),
        t.dir.path().join("tool-logs"),
    ));
    let js = everything_js();
    let def = confab_core::tools::ServerDefinition::stdio("ref", "node", &[js.as_str()]);
    let added = hub.add(&def, &BTreeMap::new()).await.unwrap();
    added.started.unwrap();
    service.set_tools(hub);

    for takes_images in [true, false] {
        let chat = t.chat("images").await;
        t.store
            .set_conversation_tool_servers(chat.id, Some(&[added.server.id]))
            .await
            .unwrap();
        service
            .set_model_vision(chat.id, Some(takes_images))
            .await
            .unwrap();
        let before = server.chat_requests().len();
        server.chat([
            calls(vec![tool_call(
                Some(0),
                Some("call_img"),
                Some("ref__get-tiny-image"),
                "{}",
            )]),
            answer("A tiny image."),
        ]);
        let sink = Consenting::new(&service, vec![Some(Consent::AllowOnce)]);
        let reply = service
            .send(chat.id, "Show me an image", &sink)
            .await
            .unwrap();
        assert_eq!(reply.content, "A tiny image.", "vision {takes_images}");

        let requests = server.chat_requests();
        let offered: Vec<&str> = requests[before]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["function"]["name"].as_str().unwrap())
            .collect();
        assert!(offered.contains(&"ref__get-tiny-image"), "{offered:?}");
        let messages = requests[before + 1]["messages"].as_array().unwrap();
        let tool = messages.iter().position(|m| m["role"] == "tool").unwrap();
        // The result's text names the image whatever the model.
        let text = messages[tool]["content"].as_str().unwrap();
        assert!(text.contains("[image: image/png,"), "{text}");
        let images: Vec<&str> = messages
            .iter()
            .filter_map(|m| m["content"].as_array())
            .flatten()
            .filter_map(|part| part["image_url"]["url"].as_str())
            .collect();
        if takes_images {
            // After the tool's message, a user message carries the image itself.
            let shown = &messages[tool + 1];
            assert_eq!(shown["role"], "user");
            assert_eq!(
                shown["content"][0]["text"],
                confab_core::memory::TOOL_IMAGES_NOTE
            );
            assert_eq!(images.len(), 1, "{messages:?}");
            assert!(
                images[0].starts_with("data:image/png;base64,iVBOR"),
                "{}",
                images[0]
            );
            // Rebuilt from the database for the next turn, the image is still there.
            let built = service.context(chat.id).await.unwrap();
            let wire = serde_json::to_value(&built.request.messages).unwrap();
            assert!(wire.to_string().contains("data:image/png;base64,iVBOR"));

            // The JSON export carries the image with its call, and an import gives it back.
            let mut out = Vec::new();
            confab_core::export::export_conversation(
                &t.store,
                chat.id,
                confab_core::export::Format::Json,
                &confab_core::export::ExportOptions {
                    redact: false,
                    endpoint: None,
                },
                &mut out,
            )
            .await
            .unwrap();
            let doc: Value = serde_json::from_slice(&out).unwrap();
            let exported = &doc["messages"][1]["tool_calls"][0]["images"];
            assert_eq!(exported[0]["mime"], "image/png", "{exported}");
            assert!(exported[0]["data"].as_str().unwrap().starts_with("iVBOR"));
            let plan = confab_core::export::parse_import(&out).unwrap();
            let ids = confab_core::export::import(&t.store, &plan).await.unwrap();
            t.store
                .set_conversation_tool_servers(ids[0], Some(&[added.server.id]))
                .await
                .unwrap();
            let built = service.context(ids[0]).await.unwrap();
            let wire = serde_json::to_value(&built.request.messages).unwrap();
            assert!(wire.to_string().contains("data:image/png;base64,iVBOR"));

            // A file whose "image" is not one is refused whole, naming the call.
            let mut hostile = doc.clone();
            hostile["messages"][1]["tool_calls"][0]["images"][0]["data"] =
                "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==".into();
            let err = confab_core::export::parse_import(hostile.to_string().as_bytes())
                .unwrap_err()
                .to_string();
            assert!(err.contains("call_img") && err.contains("PNG"), "{err}");
        } else {
            assert!(images.is_empty(), "{messages:?}");
            assert_eq!(tool, messages.len() - 1, "nothing follows the result");
        }
    }
    service.tools().unwrap().shutdown().await;
}
