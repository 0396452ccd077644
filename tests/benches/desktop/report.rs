//! The figures of a run, printed as Markdown tables beside their targets.

use std::time::Duration;

use crate::code_block;
use crate::first_token::{painted, FirstToken};
use crate::memory::{mib, Footprint};
use crate::start::Start;
use crate::stream::{Stream, STREAM_TOKENS};
use crate::turns::{Turns, EARLY_TURNS};

const START_TARGET: f64 = 1.2;
const MEMORY_TARGET: f64 = 1.15;
/// "Flat after 1,000 turns": from the reading after the first [`EARLY_TURNS`] turns to the one after
/// the last, idle memory grew by less than this factor. (The rise from start to the first reading
/// is reported beside it: it is the page warming up once, not growth per turn.)
const FLAT_TARGET: f64 = 1.10;

pub struct Figures {
    pub app_starts: Vec<Start>,
    pub empty_starts: Vec<Start>,
    pub empty_idle: Footprint,
    pub app_idle: Footprint,
    pub app_after: Footprint,
    /// After the first-token sends and the long stream too.
    pub app_end: Footprint,
    pub first: Vec<FirstToken>,
    pub stream: Stream,
    /// The long code block, streamed after `stream`.
    pub code: Stream,
    pub turned: Turns,
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

fn by_process(f: &Footprint) -> String {
    let k = f.main();
    format!(
        "app {} · web {} · network {}",
        mib(k.app),
        mib(k.web),
        mib(k.network)
    )
}

fn verdict(ratio: f64, target: f64) -> &'static str {
    if ratio <= target {
        "met"
    } else {
        "MISSED"
    }
}

pub fn report(f: &Figures) {
    let usable = |s: &[Start]| median(&s.iter().map(|s| ms(s.usable)).collect::<Vec<_>>());
    let exec = |s: &[Start]| median(&s.iter().map(|s| ms(s.since_exec)).collect::<Vec<_>>());
    let loaded = |s: &[Start]| median(&s.iter().map(|s| ms(s.page_loaded)).collect::<Vec<_>>());
    let page = |s: &[Start]| median(&s.iter().map(|s| ms(s.page_began)).collect::<Vec<_>>());
    let (app_start, empty_start) = (usable(&f.app_starts), usable(&f.empty_starts));
    let start_ratio = app_start / empty_start;
    let memory_ratio = f.app_idle.total() as f64 / f.empty_idle.total() as f64;
    let of_start = |fp: &Footprint| fp.total() as f64 / f.app_idle.total() as f64;
    // Growth over the turns after the first ones; with too few turns for that, since start.
    let (flat_from, flat_base) = match &f.turned.early {
        Some(early) => (EARLY_TURNS, early),
        None => (0, &f.app_idle),
    };
    let flat_ratio = f.app_after.total() as f64 / flat_base.total() as f64;
    let s = &f.stream;
    let gaps = s.gaps();
    let gaps_over_50 = gaps.iter().filter(|&&g| g > 50.0).count();
    let last_painted = s.samples.last().map_or(f64::NAN, |t| t.0);

    println!();
    println!(
        "Desktop benchmark (through WebDriver, {} starts each)",
        f.app_starts.len()
    );
    println!();
    println!("| | Confab | empty Tauri window | ratio | target |");
    println!("|---|---|---|---|---|");
    println!(
        "| cold start to usable window (median) | {app_start:.0} ms | {empty_start:.0} ms | {start_ratio:.3}× | ≤ {START_TARGET}×: {} |",
        verdict(start_ratio, START_TARGET)
    );
    let fastest =
        |s: &[Start]| percentile(&s.iter().map(|s| ms(s.usable)).collect::<Vec<_>>(), 0.0);
    println!(
        "| … fastest start | {:.0} ms | {:.0} ms | {:.2}× | |",
        fastest(&f.app_starts),
        fastest(&f.empty_starts),
        fastest(&f.app_starts) / fastest(&f.empty_starts)
    );
    println!(
        "| … counted from the process's start instead | {:.0} ms | {:.0} ms | {:.2}× | |",
        exec(&f.app_starts),
        exec(&f.empty_starts),
        exec(&f.app_starts) / exec(&f.empty_starts)
    );
    println!(
        "| … of which until the page began loading | {:.0} ms | {:.0} ms | | |",
        page(&f.app_starts),
        page(&f.empty_starts)
    );
    println!(
        "| … of which until its DOMContentLoaded ended | {:.0} ms | {:.0} ms | | |",
        loaded(&f.app_starts),
        loaded(&f.empty_starts)
    );
    println!(
        "| idle memory at start | {} | {} | {memory_ratio:.3}× | ≤ {MEMORY_TARGET}×: {} |",
        both(&f.app_idle),
        both(&f.empty_idle),
        verdict(memory_ratio, MEMORY_TARGET)
    );
    let (app, empty) = (f.app_idle.main(), f.empty_idle.main());
    for (name, app, empty) in [
        ("app process", app.app, empty.app),
        ("WebKitWebProcess", app.web, empty.web),
        ("WebKitNetworkProcess", app.network, empty.network),
        ("other children", app.other, empty.other),
    ] {
        if app + empty > 0 {
            println!(
                "| … {name} | {} | {} | {:.2}× | |",
                mib(app),
                mib(empty),
                app as f64 / empty.max(1) as f64
            );
        }
    }
    if let Some(early) = &f.turned.early {
        println!(
            "| idle memory after the first {EARLY_TURNS} turns | {} | | {:.3}× of start | |",
            both(early),
            of_start(early)
        );
        println!("| … by process | {} | | | |", by_process(early));
    }
    println!(
        "| idle memory after {} turns | {} | | {:.3}× of start | |",
        f.turned.count,
        both(&f.app_after),
        of_start(&f.app_after)
    );
    println!("| … by process | {} | | | |", by_process(&f.app_after));
    let grown = f.app_after.total() as f64 - flat_base.total() as f64;
    println!(
        "| flat: growth from turn {flat_from} to turn {} | {:+.1} MiB ({:+.1} KiB per turn) | | {flat_ratio:.3}× | ≤ {FLAT_TARGET}×: {} |",
        f.turned.count,
        grown / 1024.0,
        grown / (f.turned.count - flat_from).max(1) as f64,
        verdict(flat_ratio, FLAT_TARGET)
    );
    println!(
        "| idle memory at the end, after the sends and the streams below too | {} | | {:.2}× of start | |",
        both(&f.app_end),
        of_start(&f.app_end)
    );
    println!("| … by process | {} | | | |", by_process(&f.app_end));
    println!();
    println!(
        "Memory: each physical page the app's processes map counted once (their PSS if nothing \
         else ran){}.",
        if f.app_idle.alone.is_some() {
            "; in brackets, PSS as read, which other WebKit processes on the machine shrink"
        } else {
            " could not be read (it takes root): PSS as read instead"
        }
    );
    println!();
    let stage =
        |pick: fn(&FirstToken) -> f64| median(&f.first.iter().map(pick).collect::<Vec<_>>());
    let first = painted(&f.first);
    println!(
        "Enter → first token painted ({} sends): median {:.1} ms, p90 {:.1} ms, max {:.1} ms \
         (medians: reply shown as started {:.1} ms, token in the DOM {:.1} ms)",
        f.first.len(),
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
    code_block::report(&f.code);
    println!(
        "{} turns in {:.0} s ({:.0} ms per turn: typing median {:.0} ms, then reply and composer \
         ready median {:.0} ms); PSS along the way: {}",
        f.turned.count,
        f.turned.took.as_secs_f64(),
        ms(f.turned.took) / f.turned.count.max(1) as f64,
        median(&f.turned.typing),
        median(&f.turned.replying),
        f.turned
            .trend
            .iter()
            .map(|(n, kib)| format!("{n}: {}", mib(*kib)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  requests per turn: {}",
        f.turned
            .requests
            .iter()
            .map(|(path, n)| format!("{path} {:.2}", *n as f64 / f.turned.count.max(1) as f64))
            .collect::<Vec<_>>()
            .join(", ")
    );
}
