//! Tools against llama.cpp's real server with SmolLM2-135M: with `tool_choice: "required"` the
//! server constrains the reply to a well-formed call even from so small a model; Confab puts the
//! streamed call together, runs it on the tests' MCP server, saves call and result, and rebuilds
//! the next request from the database, which the server's chat template renders with the call and
//! its result in place.
//!
//! SmolLM2's own template has no tools (llama.cpp then leaves them out of the prompt), so the
//! server runs with `scripts/chatml-tools.jinja`, its ChatML with Hermes-style tool calls.

use std::collections::BTreeMap;
use std::sync::Arc;

use confab_core::chat::ChatService;
use confab_core::llm::{FinishReason, StreamEvent, ToolCallAssembler, WireRole};
use confab_core::store::{
    Ending, Finish, NewConversation, NewMessage, NewToolCall, Store, ToolDecision,
};
use confab_core::tools::{HeaderSecrets, ServerDefinition, ToolHub};
use confab_test_support::mcp::stdio_server_exe;
use confab_tests::llama::{LlamaServer, MODEL};
use confab_tests::Result;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn a_required_call_and_its_result_round_trip_through_the_chat_template() -> Result<()> {
    let llama = LlamaServer::start_with_tools(4096, 1)?;
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("confab.db")).await?;
    let client = confab_core::server::client_for(&llama.url, None)?;
    let service = Arc::new(ChatService::new(store.clone(), client.clone()));
    let hub = Arc::new(ToolHub::new(
        store.clone(),
        Arc::new(HeaderSecrets::default()),
        dir.path().join("tool-logs"),
    ));
    service.set_tools(hub.clone());
    let exe = stdio_server_exe();
    let added = hub
        .add(
            &ServerDefinition::stdio("calc", exe.to_str().unwrap(), &[]),
            &BTreeMap::new(),
        )
        .await?;
    added.started?;
    let server = added.server;
    let add = server.tool("add").and_then(|t| t.usable()).unwrap().clone();
    let tools = vec![json!({
        "type": "function",
        "function": { "name": "calc__add", "description": add.description, "parameters": add.input_schema }
    })];

    let chat = store
        .create_conversation(NewConversation {
            title: "Sums".into(),
            model: Some(MODEL.into()),
            ..Default::default()
        })
        .await?;
    store
        .set_conversation_tool_servers(chat.id, Some(&[server.id]))
        .await?;
    store
        .append_message(chat.id, NewMessage::user("What is 2 plus 3? Use the tool."))
        .await?;

    // 1. The request Confab builds for the chat, with its tool, and a call required.
    let mut request = service.context(chat.id).await?.request;
    request.tools = tools.clone();
    request.temperature = Some(0.0);
    request.max_tokens = Some(60);
    request
        .extra
        .insert("tool_choice".into(), "required".into());
    request
        .extra
        .insert("parallel_tool_calls".into(), false.into());
    let cancel = CancellationToken::new();
    let mut stream = client.stream(&request, &cancel).await?;
    let mut calls = ToolCallAssembler::default();
    let mut finish = None;
    while let Some(event) = stream.next().await {
        match event? {
            StreamEvent::ToolCall(piece) => calls.push(piece),
            StreamEvent::Finish(reason) => finish = Some(reason),
            _ => {}
        }
    }
    let calls = calls.finish();
    assert!(!calls.is_empty(), "no tool call (finish: {finish:?})");
    let call = &calls[0];
    assert_eq!(call.name, "calc__add");
    let arguments: Value = serde_json::from_str(&call.arguments)
        .map_err(|e| format!("the arguments are not JSON ({e}): {}", call.arguments))?;
    assert!(
        arguments["a"].is_number() && arguments["b"].is_number(),
        "{arguments}"
    );
    assert!(
        matches!(finish, Some(FinishReason::ToolCalls | FinishReason::Length)),
        "{finish:?}"
    );

    // 2. Run on the MCP server and saved, as a turn does.
    let reply = store
        .append_message(chat.id, NewMessage::streaming_reply(Some(MODEL.into())))
        .await?;
    let (_, mut records) = store
        .finish_message_with_calls(
            reply.id,
            Finish {
                ended: Ending::ToolCalls,
                content: String::new(),
                error: None,
                prompt_tokens: None,
                completion_tokens: None,
                model: None,
                finish_reason: Some("tool_calls".into()),
                stats: Default::default(),
            },
            &[NewToolCall {
                call_id: call.id.clone(),
                function_name: call.name.clone(),
                server: Some("calc".into()),
                tool: Some("add".into()),
                arguments: call.arguments.clone(),
            }],
        )
        .await?;
    let record = store
        .decide_and_start_tool_call(&records.remove(0), ToolDecision::AllowedOnce)
        .await?;
    let result = hub
        .call(server.id, "add", arguments.as_object().cloned(), &cancel)
        .await?;
    let expected = arguments["a"].as_f64().unwrap() + arguments["b"].as_f64().unwrap();
    assert_eq!(result.text, format!("{expected}"));
    store.finish_tool_call(&record, &result).await?;

    // 3. The next request, rebuilt from the database: the call and its result as a pair.
    let mut request = service.context(chat.id).await?.request;
    let roles: Vec<WireRole> = request.messages.iter().map(|m| m.role).collect();
    assert_eq!(
        &roles[roles.len() - 2..],
        [WireRole::Assistant, WireRole::Tool],
        "{roles:?}"
    );
    let messages = serde_json::to_value(&request.messages)?;

    // llama.cpp renders it through its chat template: the call and the result are in the prompt.
    let http = reqwest::Client::new();
    let rendered: Value = http
        .post(format!("{}/apply-template", llama.url))
        .json(&json!({ "messages": messages, "tools": tools }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let prompt = rendered["prompt"].as_str().unwrap_or_default();
    assert!(
        prompt.contains("<tool_call>\n{\"name\": \"calc__add\", \"arguments\": {"),
        "{prompt}"
    );
    assert!(
        prompt.contains(&format!(
            "<|im_start|>user\n<tool_response>\n{expected}\n</tool_response><|im_end|>"
        )),
        "{prompt}"
    );

    // And the next request with it goes through: the server reads the pair and the model, still
    // required to call, calls again (with this template an answer in words would have to be
    // wrapped in <answer> tags, which SmolLM2 does not write unprompted).
    request.tools = tools;
    request.temperature = Some(0.0);
    request.max_tokens = Some(60);
    request
        .extra
        .insert("tool_choice".into(), "required".into());
    let mut stream = client.stream(&request, &cancel).await?;
    let mut again = ToolCallAssembler::default();
    let mut done = false;
    while let Some(event) = stream.next().await {
        match event? {
            StreamEvent::ToolCall(piece) => again.push(piece),
            StreamEvent::Done => done = true,
            _ => {}
        }
    }
    assert!(done, "the next reply did not finish");
    let again = again.finish();
    assert_eq!(again.first().map(|c| c.name.as_str()), Some("calc__add"));

    hub.shutdown().await;
    store.close().await;
    Ok(())
}
