//! The figures of a run, printed as Markdown tables (the targets they are judged on are in
//! `targets.rs`).

use std::time::Duration;

use crate::code_block;
use crate::first_token::{painted, FirstToken};
use crate::memory::{mib, Footprint};
use crate::session::{Reading, Session};
use crate::start::{Start, STAGES};
use crate::stream::STREAM_TOKENS;
use crate::turns::EARLY_TURNS;

pub struct Figures {
    pub app_starts: Vec<Start>,
    pub empty_starts: Vec<Start>,
    /// The empty window's idle memory, read from two launches at either end of the run.
    pub empty_idle: [Footprint; 2],
    pub session: Session,
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

pub fn median(values: &[f64]) -> f64 {
    percentile(values, 0.5)
}

/// The nearest-rank percentile.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// The main figure, with PSS as read beside it when the two differ.
fn both(f: &Footprint) -> String {
    match f.alone {
        Some(_) => format!("{} ({})", f.total_mib(), mib(f.pss.total())),
        None => f.total_mib(),
    }
}

pub fn by_process(f: &Footprint) -> String {
    let k = f.main();
    format!(
        "app {} · web {} · network {}",
        mib(k.app),
        mib(k.web),
        mib(k.network)
    )
}

pub fn report(f: &Figures) {
    let usable = |s: &[Start]| median(&s.iter().map(|s| ms(s.usable)).collect::<Vec<_>>());
    let exec = |s: &[Start]| median(&s.iter().map(|s| ms(s.since_exec)).collect::<Vec<_>>());
    // The median of a stage over the starts whose page told it.
    let stage = |s: &[Start], i: usize| {
        median(
            &s.iter()
                .filter_map(|s| s.stages.get(i).copied().flatten())
                .map(ms)
                .collect::<Vec<_>>(),
        )
    };
    let session = &f.session;
    let idle = &session.idle.memory;
    let (app_start, empty_start) = (usable(&f.app_starts), usable(&f.empty_starts));
    let empty_idle = (f.empty_idle[0].total() + f.empty_idle[1].total()) / 2;
    let of_start = |fp: &Footprint| fp.total() as f64 / idle.total() as f64;
    let s = &session.stream;
    let gaps = s.gaps();
    let gaps_over_50 = gaps.iter().filter(|&&g| g > 50.0).count();
    let last_painted = s.samples.last().map_or(f64::NAN, |t| t.0);

    println!();
    println!(
        "Desktop benchmark (through WebDriver, {} starts each)",
        f.app_starts.len()
    );
    println!();
    println!("| | Confab | empty Tauri window | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| start to a usable window (median) | {app_start:.0} ms | {empty_start:.0} ms | {:.3}× |",
        app_start / empty_start
    );
    let fastest =
        |s: &[Start]| percentile(&s.iter().map(|s| ms(s.usable)).collect::<Vec<_>>(), 0.0);
    println!(
        "| … fastest start | {:.0} ms | {:.0} ms | {:.2}× |",
        fastest(&f.app_starts),
        fastest(&f.empty_starts),
        fastest(&f.app_starts) / fastest(&f.empty_starts)
    );
    println!(
        "| … counted from the process's start instead | {:.0} ms | {:.0} ms | {:.2}× |",
        exec(&f.app_starts),
        exec(&f.empty_starts),
        exec(&f.app_starts) / exec(&f.empty_starts)
    );
    for (i, name) in STAGES.iter().enumerate() {
        println!(
            "| … until {name} | {:.0} ms | {:.0} ms | |",
            stage(&f.app_starts, i),
            stage(&f.empty_starts, i)
        );
    }
    println!(
        "| idle memory at start | {} | {} (mean of {} and {}) | {:.3}× |",
        both(idle),
        mib(empty_idle),
        f.empty_idle[0].total_mib(),
        f.empty_idle[1].total_mib(),
        idle.total() as f64 / empty_idle as f64
    );
    let (app, empty) = (idle.main(), f.empty_idle[0].main());
    for (name, app, empty) in [
        ("app process", app.app, empty.app),
        ("WebKitWebProcess", app.web, empty.web),
        ("WebKitNetworkProcess", app.network, empty.network),
        ("other children", app.other, empty.other),
    ] {
        if app + empty > 0 {
            println!(
                "| … {name} | {} | {} | {:.2}× |",
                mib(app),
                mib(empty),
                app as f64 / empty.max(1) as f64
            );
        }
    }
    println!();
    println!("| Confab's memory through the session | | of start | by process |");
    println!("|---|---|---|---|");
    let row = |name: &str, fp: &Footprint| {
        println!(
            "| {name} | {} | {:.3}× | {} |",
            both(fp),
            of_start(fp),
            by_process(fp)
        );
    };
    row("idle at start", idle);
    if let Some(early) = &session.turned.early {
        row(&format!("after the first {EARLY_TURNS} turns"), early);
    }
    row(
        &format!("after {} turns", session.turned.count),
        &session.after_turns.memory,
    );
    row(
        "at the end: after the sends, the 5,000-token reply and the 2,000-line code block",
        &session.end.memory,
    );
    row("after switching to an empty chat", &session.switched.memory);
    row("… and a minute later", &session.rested.memory);
    println!();
    println!(
        "Where the memory is (the page's contents; the web process's resident memory by mapping):"
    );
    for (name, reading) in readings(session) {
        println!("- {name}: {}", reading.inside);
    }
    println!();
    println!(
        "Memory: each physical page the app's processes map counted once (their PSS if nothing \
         else ran){}.",
        if idle.alone.is_some() {
            "; in brackets, PSS as read, which other WebKit processes on the machine shrink"
        } else {
            " could not be read (it takes root): PSS as read instead"
        }
    );
    println!();
    let stage =
        |pick: fn(&FirstToken) -> f64| median(&session.first.iter().map(pick).collect::<Vec<_>>());
    let first = painted(&session.first);
    println!(
        "Enter → first token painted ({} sends): median {:.1} ms, p90 {:.1} ms, max {:.1} ms \
         (medians: reply shown as started {:.1} ms, token in the DOM {:.1} ms)",
        session.first.len(),
        median(&first),
        percentile(&first, 0.9),
        percentile(&first, 1.0),
        stage(|s| s.started),
        stage(|s| s.in_dom)
    );
    println!(
        "Streaming {STREAM_TOKENS} tokens (server pace {:.0} tokens/s at the socket): {:.0} tokens/s painted, \
         {} frames showed more text, last token painted {:.0} ms after Enter (socket alone: {:.0} ms), {}",
        s.socket_rate,
        s.painted_rate(),
        s.samples.len(),
        last_painted,
        STREAM_TOKENS as f64 / s.socket_rate * 1e3,
        s.lost.as_deref().map_or("none lost".to_owned(), |l| format!("LOST: {l}"))
    );
    println!(
        "  frames while streaming: {}, gap median {:.1} ms, p99 {:.1} ms, longest {:.1} ms, {} over 50 ms",
        gaps.len(),
        median(&gaps),
        percentile(&gaps, 0.99),
        s.longest_frame_gap(),
        gaps_over_50
    );
    // How frames stretch as the reply grows.
    let buckets: Vec<String> = (0..STREAM_TOKENS as u64)
        .step_by(1_000)
        .map(|from| {
            let in_bucket: Vec<f64> = s
                .frame_gaps
                .iter()
                .filter(|g| (from..from + 1_000).contains(&g.1))
                .map(|g| g.0)
                .collect();
            format!(
                "{from}–{}: {:.0}/{:.0} ms",
                from + 1_000,
                median(&in_bucket),
                percentile(&in_bucket, 1.0)
            )
        })
        .collect();
    println!(
        "  frame gap median/longest by tokens shown: {}",
        buckets.join(", ")
    );
    code_block::report(&session.code);
    println!(
        "{} turns in {:.0} s ({:.0} ms per turn: typing median {:.0} ms, then reply and composer \
         ready median {:.0} ms); PSS along the way: {}",
        session.turned.count,
        session.turned.took.as_secs_f64(),
        ms(session.turned.took) / session.turned.count.max(1) as f64,
        median(&session.turned.typing),
        median(&session.turned.replying),
        session
            .turned
            .trend
            .iter()
            .map(|(n, kib)| format!("{n}: {}", mib(*kib)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  requests per turn: {}",
        session
            .turned
            .requests
            .iter()
            .map(|(path, n)| format!(
                "{path} {:.2}",
                *n as f64 / session.turned.count.max(1) as f64
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

fn readings(s: &Session) -> [(&'static str, &Reading); 5] {
    [
        ("idle at start", &s.idle),
        ("after the turns", &s.after_turns),
        ("at the end", &s.end),
        ("after switching to an empty chat", &s.switched),
        ("a minute later", &s.rested),
    ]
}
