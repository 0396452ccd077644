//! Many turns typed and sent through the real composer, with memory read along the way.

use std::time::{Duration, Instant};

use confab_test_support::fault::{delta, finish, FaultServer, Reply, DONE};
use confab_tests::fantoccini::Locator;
use confab_tests::{App, Result};
use serde_json::Value;

use crate::memory::{footprint, mib, settled_footprint, Footprint};
use crate::page::{new_chat, send, turn_done};
use crate::report::ms;

pub const TURNS: usize = 1_000;
/// Idle memory is also read after this many turns: the chat then shows as many messages as it ever
/// keeps on screen (two pages of 100), the renderer and every code path of a turn have run, and
/// the engine's heaps have grown to their working size. Later growth is growth per turn.
pub const EARLY_TURNS: usize = 100;

pub struct Turns {
    pub count: usize,
    pub took: Duration,
    /// Per turn, in ms: typing the message and pressing Enter (WebDriver key events), then waiting
    /// for the reply to complete and the composer to be ready again.
    pub typing: Vec<f64>,
    pub replying: Vec<f64>,
    /// (turns done, memory in KiB), read without settling.
    pub trend: Vec<(usize, u64)>,
    /// Idle memory after the first [`EARLY_TURNS`] turns, when there are more.
    pub early: Option<Footprint>,
    /// The requests the server received during the turns, by path.
    pub requests: Vec<(String, usize)>,
}

pub async fn many_turns(app: &App, server: &FaultServer, pid: u32, turns: usize) -> Result<Turns> {
    server.chat([Reply::sse([
        delta("Noted"),
        delta(", "),
        delta("thank you."),
        finish("stop"),
        DONE.to_owned(),
    ])]);
    new_chat(app).await?;
    // The scripted server answers every request with the same stream, so it cannot write a
    // summary: this chat keeps the recent messages only, and never asks for one.
    app.wait_for(Locator::Css("[data-testid=open-chat-options]"))
        .await?
        .click()
        .await?;
    app.wait_for(Locator::Css("[data-testid=memory-sliding_window]"))
        .await?
        .click()
        .await?;
    app.wait_for(Locator::Css("[data-testid=save-chat-options]"))
        .await?
        .click()
        .await?;
    app.eventually("the chat options to close", || async {
        Ok(app
            .texts("[data-testid=chat-options]")
            .await?
            .is_empty()
            .then_some(()))
    })
    .await?;

    let started = Instant::now();
    let mut paused = Duration::ZERO;
    let mut early = None;
    let requests_before = server.requests().len();
    let mut trend = vec![(0, footprint(pid)?.total())];
    let (mut typing, mut replying) = (Vec::new(), Vec::new());
    for i in 1..=turns {
        let text = format!("Turn {i}");
        let turn = Instant::now();
        send(app, &text).await?;
        typing.push(ms(turn.elapsed()));
        let sent = Instant::now();
        turn_done(app, &text).await?;
        replying.push(ms(sent.elapsed()));
        if i % 100 == 0 || i == turns {
            trend.push((i, footprint(pid)?.total()));
            eprintln!(
                "turn {i}: {:.0} ms per turn, {}",
                ms(started.elapsed() - paused) / i as f64,
                mib(trend.last().map_or(0, |t| t.1))
            );
        }
        // A step once the chat shows a full page of messages, or growth with every turn?
        if i == EARLY_TURNS && turns > EARLY_TURNS {
            let pause = Instant::now();
            early = Some(settled_footprint(pid).await?);
            paused += pause.elapsed();
        }
    }
    Ok(Turns {
        count: turns,
        took: started.elapsed() - paused,
        early,
        typing,
        replying,
        trend,
        requests: by_path(&server.requests()[requests_before..]),
    })
}

fn by_path(requests: &[(String, Value)]) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for (path, _) in requests {
        match counts.iter_mut().find(|(p, _)| p == path) {
            Some((_, n)) => *n += 1,
            None => counts.push((path.clone(), 1)),
        }
    }
    counts
}
