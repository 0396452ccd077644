//! The desktop benchmark's long code block: one reply that is a 2,000-line code fence, streamed
//! at about 1,000 tokens/s, and how long frames take as the block grows. A growing fence is the
//! last block of its reply until it closes, so a renderer that redoes the growing block on every
//! frame (lexing, highlighting, sanitising and laying it out) slows down line by line.

use crate::report::{median, percentile};
use crate::stream::{stream_reply, Stream, TOKENS_PER_WRITE, WRITE_PAUSE};
use confab_test_support::fault::FaultServer;
use confab_tests::{App, Result};

pub const LINES: usize = 2_000;
const TOKENS_PER_LINE: usize = 5;
pub const TOKENS: usize = LINES * TOKENS_PER_LINE;
/// The block's frames are reported in this many stretches, from its start to its end.
const STRETCHES: usize = 10;

/// Token `i` of the block. A line is `    let w0 = w1(w2, "w3"); // w4`: a keyword, a call, a
/// string and a comment, so the highlighter has as much to do as in real code.
fn token(i: usize) -> String {
    match i % TOKENS_PER_LINE {
        0 => format!("    let w{i}"),
        1 => format!(" = w{i}"),
        2 => format!("(w{i}, "),
        3 => format!("\"w{i}\");"),
        _ => format!(" // w{i}\n"),
    }
}

pub async fn stream(app: &App, server: &FaultServer) -> Result<Stream> {
    let tokens: Vec<String> = (0..TOKENS).map(token).collect();
    stream_reply(
        app,
        server,
        "Here is the program:\n\n```rust\n",
        &tokens,
        "Stream a 2,000-line code block",
    )
    .await
}

pub fn report(s: &Stream) {
    let gaps = s.gaps();
    println!(
        "A {LINES}-line code block ({TOKENS} tokens, {TOKENS_PER_WRITE} per write every {} ms; server \
         pace {:.0} tokens/s at the socket): {:.0} tokens/s painted, {}",
        WRITE_PAUSE.as_millis(),
        s.socket_rate,
        s.painted_rate(),
        s.lost
            .as_deref()
            .map_or("none lost".to_owned(), |l| format!("LOST: {l}"))
    );
    println!(
        "  frames while streaming: {}, gap median {:.1} ms, p95 {:.1} ms, longest {:.1} ms, {} over 50 ms",
        gaps.len(),
        median(&gaps),
        percentile(&gaps, 0.95),
        s.longest_frame_gap(),
        gaps.iter().filter(|&&g| g > 50.0).count()
    );
    let stretch = TOKENS / STRETCHES;
    let rows: Vec<String> = (0..STRETCHES)
        .map(|k| {
            let (from, to) = ((k * stretch) as u64, ((k + 1) * stretch) as u64);
            let here: Vec<f64> = s
                .frame_gaps
                .iter()
                .filter(|g| (from..to).contains(&g.1))
                .map(|g| g.0)
                .collect();
            format!(
                "lines {}–{}: {:.1}/{:.1}/{:.0} ms",
                from as usize / TOKENS_PER_LINE,
                to as usize / TOKENS_PER_LINE,
                median(&here),
                percentile(&here, 0.95),
                percentile(&here, 1.0)
            )
        })
        .collect();
    println!(
        "  frame gap median/p95/longest by lines shown: {}",
        rows.join(", ")
    );
}
