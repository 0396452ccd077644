//! Streaming a long reply at about 1,000 tokens/s: tokens painted per second, none lost, and the
//! gaps between frames.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use confab_test_support::fault::{delta, finish, FaultServer, Reply, DONE};
use confab_tests::{App, Result};
use serde_json::json;

use crate::first_token::number;
use crate::page::{arm, new_chat, probe, send, turn_done};

pub const STREAM_TOKENS: usize = 5_000;
/// Tokens per socket write and the pause before each write. The server's timer sleeps about a
/// millisecond past each pause, so 5 tokens after 4 ms make about 1,000 tokens/s (one token per
/// millisecond would make half that); the report gives the pace measured at the socket.
pub const TOKENS_PER_WRITE: usize = 5;
pub const WRITE_PAUSE: Duration = Duration::from_millis(4);

pub struct Stream {
    /// The server's pace, read straight off the socket: tokens per second.
    pub socket_rate: f64,
    /// (ms since Enter, tokens shown) after each frame that showed more.
    pub samples: Vec<(f64, u64)>,
    /// Gaps between animation frames while the reply streamed, in ms, each with the number of
    /// tokens shown when the frame began.
    pub frame_gaps: Vec<(f64, u64)>,
    /// The final text held exactly the tokens sent, in order.
    pub lost: Option<String>,
}

impl Stream {
    pub fn painted_rate(&self) -> f64 {
        match (self.samples.first(), self.samples.last()) {
            (Some(&(t0, n0)), Some(&(t1, n1))) if t1 > t0 => (n1 - n0) as f64 / (t1 - t0) * 1e3,
            _ => 0.0,
        }
    }

    pub fn longest_frame_gap(&self) -> f64 {
        self.gaps().into_iter().fold(0.0, f64::max)
    }

    pub fn gaps(&self) -> Vec<f64> {
        self.frame_gaps.iter().map(|g| g.0).collect()
    }
}

fn stream_token(i: usize) -> String {
    // A paragraph every 50 tokens, so the reply renders like prose rather than one long line.
    if i % 50 == 49 {
        format!("w{i}\n\n")
    } else {
        format!("w{i} ")
    }
}

pub async fn stream(app: &App, server: &FaultServer) -> Result<Stream> {
    let tokens: Vec<String> = (0..STREAM_TOKENS).map(stream_token).collect();
    stream_reply(app, server, "", &tokens, "Stream 5,000 tokens").await
}

/// Streams a reply of `intro` and then `tokens` (each holding `w<its index>`, as the probe counts
/// them) at about 1,000 tokens/s, and measures it.
pub async fn stream_reply(
    app: &App,
    server: &FaultServer,
    intro: &str,
    tokens: &[String],
    question: &str,
) -> Result<Stream> {
    let n = tokens.len();
    let mut writes: Vec<String> = std::iter::once(delta(intro))
        .filter(|_| !intro.is_empty())
        .chain(
            tokens
                .chunks(TOKENS_PER_WRITE)
                .map(|group| group.iter().map(|t| delta(t)).collect()),
        )
        .collect();
    writes.push(format!("{}{DONE}", finish("stop")));
    server.chat([Reply::sse(writes).paced(WRITE_PAUSE)]);
    let socket_rate = n as f64 / read_off_socket(server).await?.as_secs_f64();

    new_chat(app).await?;
    arm(
        app,
        json!({ "kind": "stream", "n": n, "count": 0, "samples": [], "enterAt": null, "finished": false }),
    )
    .await?;
    // Frame gaps: a requestAnimationFrame loop for as long as the probe is armed.
    app.client
        .execute(
            "const p = window.__bench.probe; p.gaps = []; let last = null;
             const frame = (t) => {
               if (last !== null && p.count > 0) p.gaps.push([t - last, p.count]);
               last = t;
               if (!p.stop) requestAnimationFrame(frame);
             };
             requestAnimationFrame(frame);",
            vec![],
        )
        .await?;
    send(app, question).await?;
    // A window slow to paint takes longer than one wait for the reply to complete.
    let mut waited = turn_done(app, question).await;
    for _ in 0..2 {
        if waited.is_ok() {
            break;
        }
        waited = turn_done(app, question).await;
    }
    waited?;
    // The reply is complete; its last frame's sample follows within a task or two.
    let deadline = Instant::now() + Duration::from_secs(2);
    let p = loop {
        let p = probe(app).await?;
        let shown = p["samples"].as_array().and_then(|s| s.last()).cloned();
        if shown.is_some_and(|s| s[1].as_u64() == Some(n as u64)) || Instant::now() > deadline {
            break p;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    app.client
        .execute("window.__bench.probe.stop = true", vec![])
        .await?;
    let enter = number(&p["enterAt"])?;
    let samples = p["samples"]
        .as_array()
        .ok_or("no samples")?
        .iter()
        .map(|s| Ok((number(&s[0])? - enter, s[1].as_u64().ok_or("bad count")?)))
        .collect::<Result<Vec<_>>>()?;
    // From the frame that showed the first token to the one that showed the last.
    let frame_gaps = p["gaps"]
        .as_array()
        .ok_or("no frame gaps")?
        .iter()
        .map(|g| Ok((number(&g[0])?, g[1].as_u64().ok_or("bad count")?)))
        .filter(|g| g.as_ref().map_or(true, |g| g.1 < n as u64))
        .collect::<Result<Vec<_>>>()?;
    // None lost: the reply's tokens are exactly the ones sent, in order.
    let shown: Vec<u64> = serde_json::from_value(
        app.client
            .execute(
                "const all = document.querySelectorAll('[data-testid=message][data-role=assistant] [data-testid=message-content]');
                 return [...all[all.length - 1].textContent.matchAll(/w(\\d+)/g)].map((m) => Number(m[1]));",
                vec![],
            )
            .await?,
    )?;
    let lost = (0..n)
        .find(|&i| shown.get(i) != Some(&(i as u64)))
        .map(|i| format!("token {i} is {:?}", shown.get(i).map(|k| format!("w{k}"))))
        .or_else(|| (shown.len() != n).then(|| format!("{} tokens shown for {n}", shown.len())));
    Ok(Stream {
        socket_rate,
        samples,
        frame_gaps,
        lost,
    })
}

/// Reads the scripted reply once over a raw HTTP/1.1 connection and returns how long its body took
/// from first byte to last: the pace the server really keeps.
async fn read_off_socket(server: &FaultServer) -> Result<Duration> {
    let addr = server.addr;
    tokio::task::spawn_blocking(move || -> Result<Duration> {
        let mut socket = std::net::TcpStream::connect(addr)?;
        socket.write_all(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n\
              Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
        )?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut first = None;
        loop {
            let n = socket.read(&mut buf)?;
            if n == 0 {
                break;
            }
            first.get_or_insert_with(Instant::now);
        }
        Ok(first.ok_or("the server sent nothing")?.elapsed())
    })
    .await?
}
