//! The streaming client against a scripted server: SSE edge cases, errors, timeouts, retries,
//! cancel.

use std::time::Duration;

use confab_core::error::{Coded, ErrorCode};
use confab_core::llm::{
    ChatMessage, ChatRequest, Endpoint, FinishReason, LlmClient, LlmError, RetryPolicy,
    StreamEvent, Timeouts, Usage,
};
use confab_test_support::fault::{delta, finish, Ending, FaultServer, Reply, DONE};
use tokio_util::sync::CancellationToken;

fn client_for(url: &str, timeouts: Timeouts, retry: RetryPolicy) -> LlmClient {
    LlmClient::new(Endpoint::new(url, None).unwrap(), timeouts, retry)
}

fn quick(server: &FaultServer) -> LlmClient {
    client_for(
        &server.url(),
        Timeouts {
            connect: Duration::from_secs(2),
            first_token: Duration::from_secs(5),
            idle: Duration::from_secs(5),
        },
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        },
    )
}

fn hello() -> ChatRequest {
    ChatRequest {
        model: Some("test-model".into()),
        messages: vec![ChatMessage::user("Hello")],
        ..Default::default()
    }
}

/// Everything a stream yielded: the events, then how it ended.
async fn drain(client: &LlmClient) -> (Vec<StreamEvent>, Result<(), LlmError>) {
    let cancel = CancellationToken::new();
    let mut stream = match client.stream(&hello(), &cancel).await {
        Ok(s) => s,
        Err(e) => return (Vec::new(), Err(e)),
    };
    let mut events = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(event) => events.push(event),
            Err(e) => return (events, Err(e)),
        }
    }
    (events, Ok(()))
}

fn text(events: &[StreamEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Content(c) => Some(c.as_str()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_plain_stream_yields_deltas_finish_usage_and_done() {
    let server = FaultServer::start().await;
    server.chat([Reply::sse([
        r#"data: {"model":"smol","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#.to_owned() + "\n\n",
        delta("The capital"),
        delta(" is Paris."),
        finish("stop"),
        r#"data: {"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":8}},"timings":{"predicted_n":5,"predicted_per_second":120.5}}"#.to_owned() + "\n\n",
        DONE.to_owned(),
    ])]);
    let (events, end) = drain(&quick(&server)).await;
    end.unwrap();
    assert_eq!(text(&events), "The capital is Paris.");
    assert_eq!(events[0], StreamEvent::Model("smol".into()));
    assert_eq!(events[1], StreamEvent::Role);
    assert!(events.contains(&StreamEvent::Finish(FinishReason::Stop)));
    assert!(events.contains(&StreamEvent::Usage(Usage {
        prompt_tokens: Some(12),
        completion_tokens: Some(5),
        cached_tokens: Some(8),
    })));
    assert!(events
        .iter()
        .any(|e| matches!(e, StreamEvent::Timings(t) if t.predicted_n == Some(5))));
    assert_eq!(events.last(), Some(&StreamEvent::Done));

    let (path, body) = &server.requests()[0];
    assert_eq!(path, "/v1/chat/completions");
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["messages"][0]["role"], "user");
}

#[tokio::test]
async fn sse_edge_cases_are_read_by_the_spec() {
    let server = FaultServer::start().await;
    let chunk = |t: &str| serde_json::json!({"choices":[{"delta":{"content":t}}]}).to_string();
    let reasoning =
        serde_json::json!({"choices":[{"delta":{"reasoning_content":"Let me think."}}]});
    // "é" is 0xC3 0xA9: split across two network chunks. "€" (3 bytes) likewise.
    let accented = format!("data: {}\r\n\r\n", chunk("café €"));
    let bytes = accented.as_bytes();
    let split_at = accented.find('é').unwrap() + 1;
    let euro_split = accented.find('€').unwrap() + 2;
    let content_and_finish =
        serde_json::json!({"choices":[{"delta":{"content":"!"},"finish_reason":"length"}]});
    let script: Vec<Vec<u8>> = vec![
        b": keep-alive comment\n\n".to_vec(),
        format!("data: {reasoning}\n\n").into_bytes(),
        bytes[..split_at].to_vec(),
        bytes[split_at..euro_split].to_vec(),
        bytes[euro_split..].to_vec(),
        // Multi-line data joined with "\n" makes one JSON document.
        b"data: {\"choices\":[{\"delta\":\ndata: {\"content\":\" ok\"}}]}\n\n".to_vec(),
        // No space after the colon, CR line ends.
        format!("data:{}\r\r", chunk(" cr")).into_bytes(),
        format!("data: {content_and_finish}\n\n").into_bytes(),
        b"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}\n\n"
            .to_vec(),
        b"data: [DONE]\n\n".to_vec(),
    ];
    server.chat([Reply::sse(script)]);
    let (events, end) = drain(&quick(&server)).await;
    end.unwrap();
    assert_eq!(text(&events), "café € ok cr!");
    assert_eq!(events[0], StreamEvent::Reasoning("Let me think.".into()));
    let finish_at = events
        .iter()
        .position(|e| *e == StreamEvent::Finish(FinishReason::Length))
        .unwrap();
    assert_eq!(
        events[finish_at - 1],
        StreamEvent::Content("!".into()),
        "content before its finish"
    );
    assert!(events.contains(&StreamEvent::Usage(Usage {
        prompt_tokens: Some(3),
        completion_tokens: Some(4),
        cached_tokens: None
    })));
}

#[tokio::test]
async fn a_stream_without_done_is_interrupted_not_complete() {
    let server = FaultServer::start().await;
    server.chat([Reply::sse([delta("partial"), finish("stop")])]);
    let (events, end) = drain(&quick(&server)).await;
    assert_eq!(text(&events), "partial");
    assert_eq!(end.unwrap_err().code(), ErrorCode::Interrupted);
}

#[tokio::test]
async fn a_dropped_connection_mid_stream_is_interrupted_and_not_retried() {
    let server = FaultServer::start().await;
    server.chat([
        Reply::sse([delta("Once upon")]).ending(Ending::Drop),
        Reply::sse([DONE]),
    ]);
    let (events, end) = drain(&quick(&server)).await;
    assert_eq!(text(&events), "Once upon");
    assert!(matches!(end, Err(LlmError::Interrupted { .. })), "{end:?}");
    assert_eq!(
        server.request_count(),
        1,
        "nothing is re-sent after partial output"
    );
}

#[tokio::test]
async fn malformed_json_is_a_protocol_error_with_the_raw_bytes() {
    let server = FaultServer::start().await;
    server.chat([Reply::sse([
        delta("ok"),
        "data: {\"choices\": [oops\n\n".to_owned(),
    ])]);
    let (events, end) = drain(&quick(&server)).await;
    assert_eq!(text(&events), "ok");
    match end {
        Err(LlmError::Protocol { excerpt, .. }) => assert!(excerpt.contains("[oops"), "{excerpt}"),
        other => panic!("expected a protocol error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_error_event_in_the_stream_is_typed() {
    let server = FaultServer::start().await;
    server.chat([Reply::sse([
        delta("Hel"),
        "event: error\ndata: {\"error\":{\"code\":500,\"message\":\"slot crashed\"}}\n\n"
            .to_owned(),
    ])]);
    let (_, end) = drain(&quick(&server)).await;
    assert_eq!(
        end.unwrap_err(),
        LlmError::Server {
            status: 500,
            message: "slot crashed".into()
        }
    );
}

#[tokio::test]
async fn error_statuses_become_typed_errors() {
    let cases: Vec<(Reply, ErrorCode)> = vec![
        (
            Reply::json(
                400,
                r#"{"error":{"code":400,"message":"the request exceeds the available context size","type":"exceed_context_size_error","n_prompt_tokens":4100,"n_ctx":2048}}"#,
            ),
            ErrorCode::ContextOverflow,
        ),
        (
            Reply::json(
                400,
                r#"{"error":{"message":"too long","code":"context_length_exceeded"}}"#,
            ),
            ErrorCode::ContextOverflow,
        ),
        (
            Reply::json(
                404,
                r#"{"error":{"message":"model 'x' not found","code":"model_not_found"}}"#,
            ),
            ErrorCode::ModelNotFound,
        ),
        (
            Reply::json(401, r#"{"error":{"message":"Invalid API Key"}}"#),
            ErrorCode::Unauthorized,
        ),
        (
            Reply::json(
                400,
                r#"{"error":{"message":"temperature must be positive"}}"#,
            ),
            ErrorCode::ServerError,
        ),
    ];
    for (reply, code) in cases {
        let server = FaultServer::start().await;
        server.chat([reply]);
        let (_, end) = drain(&quick(&server)).await;
        let err = end.unwrap_err();
        assert_eq!(err.code(), code, "{err}");
        assert_eq!(server.request_count(), 1, "{code} is not retried");
    }
    let server = FaultServer::start().await;
    server.chat([Reply::json(400, r#"{"error":{"code":400,"type":"exceed_context_size_error","message":"x","n_prompt_tokens":4100,"n_ctx":2048}}"#)]);
    let (_, end) = drain(&quick(&server)).await;
    assert!(matches!(
        end,
        Err(LlmError::ContextOverflow {
            n_prompt_tokens: Some(4100),
            n_ctx: Some(2048),
            ..
        })
    ));
}

#[tokio::test]
async fn loading_and_server_errors_are_retried_before_the_first_token() {
    let server = FaultServer::start().await;
    server.chat([
        Reply::json(
            503,
            r#"{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}"#,
        ),
        Reply::json(502, "bad gateway"),
        Reply::sse([delta("ready"), DONE.to_owned()]),
    ]);
    let (events, end) = drain(&quick(&server)).await;
    end.unwrap();
    assert_eq!(text(&events), "ready");
    assert_eq!(server.request_count(), 3);

    // When retries run out, the last error is reported.
    let server = FaultServer::start().await;
    server.chat([Reply::json(
        503,
        r#"{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}"#,
    )]);
    let (_, end) = drain(&quick(&server)).await;
    assert_eq!(end.unwrap_err(), LlmError::ModelLoading);
    assert_eq!(server.request_count(), 3);
}

#[tokio::test]
async fn rate_limits_honour_retry_after() {
    let server = FaultServer::start().await;
    server.chat([
        Reply::json(429, r#"{"error":{"message":"slow down"}}"#).header("retry-after", "0.3"),
        Reply::sse([delta("ok"), DONE.to_owned()]),
    ]);
    let started = std::time::Instant::now();
    let client = client_for(
        &server.url(),
        Timeouts::default(),
        RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_secs(5),
        },
    );
    let (events, end) = drain(&client).await;
    end.unwrap();
    assert_eq!(text(&events), "ok");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "waited as the server asked"
    );
}

#[tokio::test]
async fn nothing_listening_is_unreachable_with_a_way_forward() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = client_for(
        &url,
        Timeouts::default(),
        RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(1),
        },
    );
    let (_, end) = drain(&client).await;
    let err = end.unwrap_err();
    assert_eq!(err, LlmError::Unreachable { url: url.clone() });
    assert!(err
        .to_string()
        .contains("start LM Studio, llama-server or Ollama"));
}

#[tokio::test]
async fn a_silent_server_hits_the_first_token_timeout() {
    let server = FaultServer::start().await;
    server.chat([Reply::sse(Vec::<Vec<u8>>::new()).ending(Ending::Stall)]);
    let client = client_for(
        &server.url(),
        Timeouts {
            connect: Duration::from_secs(2),
            first_token: Duration::from_millis(300),
            idle: Duration::from_secs(10),
        },
        RetryPolicy {
            max_attempts: 1,
            ..Default::default()
        },
    );
    let (_, end) = drain(&client).await;
    assert!(
        matches!(end, Err(LlmError::FirstTokenTimeout { .. })),
        "{end:?}"
    );
}

#[tokio::test]
async fn a_stall_mid_stream_hits_the_idle_timeout_and_closes_the_connection() {
    let server = FaultServer::start().await;
    server.chat([Reply::sse([delta("Hello")]).ending(Ending::Stall)]);
    let client = client_for(
        &server.url(),
        Timeouts {
            connect: Duration::from_secs(2),
            first_token: Duration::from_secs(10),
            idle: Duration::from_millis(300),
        },
        RetryPolicy::default(),
    );
    let (events, end) = drain(&client).await;
    assert_eq!(text(&events), "Hello");
    assert!(matches!(end, Err(LlmError::IdleTimeout { .. })), "{end:?}");
    assert!(server.client_disconnected(Duration::from_secs(2)).await);
}

#[tokio::test]
async fn cancelling_closes_the_connection_at_once() {
    let server = FaultServer::start().await;
    let tokens: Vec<String> = (0..1000).map(|i| delta(&format!("t{i} "))).collect();
    server.chat([Reply::sse(tokens).paced(Duration::from_millis(5))]);
    let client = quick(&server);
    let cancel = CancellationToken::new();
    let mut stream = client.stream(&hello(), &cancel).await.unwrap();
    let mut got = 0;
    while let Some(Ok(_)) = stream.next().await {
        got += 1;
        if got == 3 {
            cancel.cancel();
        }
    }
    assert!(got < 10);
    assert!(stream.next().await.is_none(), "nothing after the cancel");
    assert!(
        server.client_disconnected(Duration::from_secs(1)).await,
        "the server saw the disconnect"
    );
}

#[tokio::test]
async fn cancel_reports_cancelled_and_dropping_the_stream_disconnects() {
    let server = FaultServer::start().await;
    server.chat([Reply::sse([delta("a")]).ending(Ending::Stall)]);
    let client = quick(&server);
    let cancel = CancellationToken::new();
    let mut stream = client.stream(&hello(), &cancel).await.unwrap();
    assert_eq!(
        stream.next().await.unwrap().unwrap(),
        StreamEvent::Content("a".into())
    );
    cancel.cancel();
    assert_eq!(
        stream.next().await.unwrap().unwrap_err(),
        LlmError::Cancelled
    );

    let server = FaultServer::start().await;
    server.chat([Reply::sse([delta("a")]).ending(Ending::Stall)]);
    let client = quick(&server);
    let mut stream = client
        .stream(&hello(), &CancellationToken::new())
        .await
        .unwrap();
    stream.next().await.unwrap().unwrap();
    drop(stream);
    assert!(server.client_disconnected(Duration::from_secs(1)).await);
}

#[tokio::test]
async fn a_cancel_during_backoff_stops_retrying() {
    let server = FaultServer::start().await;
    server.chat([Reply::json(
        503,
        r#"{"error":{"message":"Loading model","type":"unavailable_error"}}"#,
    )]);
    let client = client_for(
        &server.url(),
        Timeouts::default(),
        RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(30),
        },
    );
    let cancel = CancellationToken::new();
    let stopper = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        stopper.cancel();
    });
    let err = client.stream(&hello(), &cancel).await.unwrap_err();
    assert_eq!(err, LlmError::Cancelled);
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn complete_returns_the_whole_reply() {
    let server = FaultServer::start().await;
    server.chat([Reply::json(
        200,
        r#"{"model":"smol","choices":[{"message":{"role":"assistant","content":"Paris.","reasoning_content":"Easy."},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":2}}"#,
    )]);
    let done = quick(&server)
        .complete(&hello(), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(done.content, "Paris.");
    assert_eq!(done.reasoning, "Easy.");
    assert_eq!(done.finish_reason, Some(FinishReason::Stop));
    assert_eq!(done.usage.prompt_tokens, Some(9));
    assert_eq!(server.requests()[0].1["stream"], false);
}

#[tokio::test]
async fn the_api_key_is_sent_as_a_bearer_token() {
    let server = FaultServer::start().await;
    server.chat([Reply::sse([DONE])]);
    let client = LlmClient::new(
        Endpoint::new(&format!("{}/v1/", server.url()), Some("sk-test".into())).unwrap(),
        Timeouts::default(),
        RetryPolicy::default(),
    );
    let (_, end) = drain(&client).await;
    end.unwrap();
    assert_eq!(server.requests()[0].0, "/v1/chat/completions");
    assert_eq!(server.authorizations(), [Some("Bearer sk-test".to_owned())]);
}
