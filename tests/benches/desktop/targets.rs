//! The targets a run is judged on, each against the run's own noise.
//!
//! A figure that misses its target by less than the noise of the measurement it came from, in
//! this run, is reported as such and not failed; one that misses by more fails the benchmark.
//!
//! - **Times** (start, first token, frame gaps) are medians; their noise is the standard error of
//!   a median, from the spread of the same run's samples: 1.2533 × 1.4826 × MAD / √n, the MAD
//!   (median absolute deviation) standing in for the standard deviation. A ratio of two medians
//!   (Confab's start over the empty window's) has the two relative errors combined.
//! - **Memory**: the empty window's idle memory is read twice, from two launches at either end of
//!   the run; how far apart the two readings are (relative to their mean) is the noise of any
//!   reading of a settled window's memory in this run.

use crate::report::{median, ms, Figures};

const START: f64 = 1.1;
const IDLE: f64 = 1.1;
/// Memory at the end of the session (its code block's chat on screen), relative to start.
const END: f64 = 1.5;
/// After switching to an empty chat, and after a minute more, relative to start.
const SWITCHED: f64 = 1.2;
const RESTED: f64 = 1.2;
/// After the many turns, relative to start.
const TURNS: f64 = 1.2;
/// "Flat": from the reading after the first hundred turns (`turns::EARLY_TURNS`) to the one after
/// the last.
const FLAT: f64 = 1.1;
/// The code block's frame gaps, median, and Enter → first token painted, median (ms).
const FRAME_GAP_MS: f64 = 20.0;
const FIRST_TOKEN_MS: f64 = 30.0;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Met,
    /// Missed, by less than the noise.
    WithinNoise,
    Missed,
}

pub struct Check {
    pub name: &'static str,
    pub value: f64,
    pub target: f64,
    pub noise: f64,
    /// "×" for ratios, " ms" for times.
    pub unit: &'static str,
}

impl Check {
    pub fn verdict(&self) -> Verdict {
        if self.value <= self.target {
            Verdict::Met
        } else if self.value <= self.target + self.noise {
            Verdict::WithinNoise
        } else {
            Verdict::Missed
        }
    }
}

/// The standard error of the median of `samples`, relative to the median.
pub fn median_error(samples: &[f64]) -> f64 {
    let m = median(samples);
    let deviations: Vec<f64> = samples.iter().map(|s| (s - m).abs()).collect();
    let mad = median(&deviations);
    1.2533 * 1.4826 * mad / (samples.len() as f64).sqrt() / m
}

/// How far apart the empty window's two idle readings are, relative to their mean.
pub fn memory_noise(f: &Figures) -> f64 {
    let [a, b] = f.empty_idle.map(|e| e.total() as f64);
    (a - b).abs() / ((a + b) / 2.0)
}

pub fn checks(f: &Figures) -> Vec<Check> {
    let s = &f.session;
    let start_of = |starts: &[crate::start::Start]| -> Vec<f64> {
        starts.iter().map(|s| ms(s.usable)).collect()
    };
    let (app, empty) = (start_of(&f.app_starts), start_of(&f.empty_starts));
    let mut checks = Vec::new();
    if !app.is_empty() && !empty.is_empty() {
        let ratio = median(&app) / median(&empty);
        checks.push(Check {
            name: "start to a usable window, median, of the empty window's",
            value: ratio,
            target: START,
            noise: ratio * median_error(&app).hypot(median_error(&empty)),
            unit: "×",
        });
    }
    let noise = memory_noise(f);
    let empty_idle = f.empty_idle.iter().map(|e| e.total() as f64).sum::<f64>() / 2.0;
    let idle = s.idle.memory.total() as f64;
    let ratio = idle / empty_idle;
    checks.push(Check {
        name: "idle memory at start, of the empty window's",
        value: ratio,
        target: IDLE,
        noise: ratio * noise,
        unit: "×",
    });
    let of_start = |name, total: u64, target| {
        let ratio = total as f64 / idle;
        Check {
            name,
            value: ratio,
            target,
            noise: ratio * noise,
            unit: "×",
        }
    };
    if let Some(early) = &s.turned.early {
        checks.push(of_start(
            "idle memory after the turns, of start",
            s.after_turns.memory.total(),
            TURNS,
        ));
        let ratio = s.after_turns.memory.total() as f64 / early.total() as f64;
        checks.push(Check {
            name: "flat: growth over the turns after the first hundred",
            value: ratio,
            target: FLAT,
            noise: ratio * noise,
            unit: "×",
        });
    }
    checks.push(of_start(
        "memory at the end of the session, of start",
        s.end.memory.total(),
        END,
    ));
    checks.push(of_start(
        "… after switching to an empty chat",
        s.switched.memory.total(),
        SWITCHED,
    ));
    checks.push(of_start(
        "… and a minute later",
        s.rested.memory.total(),
        RESTED,
    ));
    let gaps = s.code.gaps();
    let gap = median(&gaps);
    checks.push(Check {
        name: "the code block's frame gaps, median",
        value: gap,
        target: FRAME_GAP_MS,
        noise: gap * median_error(&gaps),
        unit: " ms",
    });
    let first = crate::first_token::painted(&s.first);
    let painted = median(&first);
    checks.push(Check {
        name: "Enter → first token painted, median",
        value: painted,
        target: FIRST_TOKEN_MS,
        noise: painted * median_error(&first),
        unit: " ms",
    });
    checks
}

/// Prints the checks as a table; returns the names of those missed by more than the noise.
pub fn report(checks: &[Check], memory_noise: f64) -> Vec<&'static str> {
    println!();
    println!("Targets");
    println!();
    println!("| | measured | target | noise | verdict |");
    println!("|---|---|---|---|---|");
    let mut missed = Vec::new();
    for c in checks {
        let verdict = match c.verdict() {
            Verdict::Met => "met",
            Verdict::WithinNoise => "missed, within the noise",
            Verdict::Missed => {
                missed.push(c.name);
                "MISSED"
            }
        };
        let digits = if c.unit == "×" { 3 } else { 1 };
        println!(
            "| {} | {:.digits$}{} | ≤ {}{} | ±{:.digits$}{} | {verdict} |",
            c.name, c.value, c.unit, c.target, c.unit, c.noise, c.unit
        );
    }
    println!();
    println!(
        "Noise: medians' standard errors from their own samples' spread (MAD); memory: the empty \
         window's two idle readings in this run differ by {:.2}%.",
        memory_noise * 100.0
    );
    missed
}
