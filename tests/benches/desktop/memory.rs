//! A window's memory: the app process and its WebKit children, each physical page counted once.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use confab_tests::{App, Result};

/// How long a window sits untouched before its idle memory is read.
const SETTLE: Duration = Duration::from_secs(10);

/// KiB by process kind: the app process and the WebKit processes it started.
#[derive(Clone, Copy, Default)]
pub struct Kinds {
    pub app: u64,
    pub web: u64,
    pub network: u64,
    pub other: u64,
}

impl Kinds {
    pub fn total(&self) -> u64 {
        self.app + self.web + self.network + self.other
    }

    fn add(&mut self, kind: Kind, kib: u64) {
        match kind {
            Kind::App => self.app += kib,
            Kind::Web => self.web += kib,
            Kind::Network => self.network += kib,
            Kind::Other => self.other += kib,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    App,
    Web,
    Network,
    Other,
}

/// A window's memory, read two ways.
///
/// PSS splits each shared page between every process on the machine that maps it, so it shrinks
/// whenever other WebKit processes run (on a shared machine, other people's tests): the same empty
/// window read 131 MiB or 191 MiB. `alone` counts each physical page the app's processes map
/// once, however many of them map it and whoever else does: their PSS as if nothing else ran.
/// It needs the page frame numbers of `/proc/<pid>/pagemap`, which only root may read.
#[derive(Clone, Copy)]
pub struct Footprint {
    pub pss: Kinds,
    pub alone: Option<Kinds>,
}

impl Footprint {
    /// The figure the targets are judged on: `alone` where it could be read, else PSS.
    pub fn main(&self) -> Kinds {
        self.alone.unwrap_or(self.pss)
    }

    pub fn total(&self) -> u64 {
        self.main().total()
    }

    pub fn total_mib(&self) -> String {
        mib(self.total())
    }
}

pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The app process below this window's driver (tauri-driver → WebKitWebDriver → app).
pub fn app_pid(window: &App, binary: &Path) -> Result<u32> {
    let children = process_tree()?;
    descendants(&children, window.driver_pid())
        .into_iter()
        .find(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == binary))
        .ok_or_else(|| format!("no process of {} below the driver", binary.display()).into())
}

/// Parent → children, for every process.
pub fn process_tree() -> Result<HashMap<u32, Vec<u32>>> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for entry in std::fs::read_dir("/proc")? {
        let Some(pid) = entry?.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        // Gone already, or not ours to read: neither is below our driver.
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The name in parentheses may hold spaces: the fields after the last ')' are fixed.
        let Some(ppid) = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse().ok())
        else {
            continue;
        };
        children.entry(ppid).or_default().push(pid);
    }
    Ok(children)
}

pub fn descendants(children: &HashMap<u32, Vec<u32>>, root: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut todo = vec![root];
    while let Some(pid) = todo.pop() {
        for &child in children.get(&pid).into_iter().flatten() {
            out.push(child);
            todo.push(child);
        }
    }
    out
}

fn pss_kib(pid: u32) -> Result<u64> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))?;
    rollup
        .lines()
        .find_map(|line| line.strip_prefix("Pss:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no Pss in /proc/{pid}/smaps_rollup").into())
}

/// The memory of the app and of every process below it, by kind.
pub fn footprint(pid: u32) -> Result<Footprint> {
    let mut processes = vec![(pid, Kind::App)];
    for child in descendants(&process_tree()?, pid) {
        // Gone since the listing: it holds no memory any more.
        let Ok(exe) = std::fs::read_link(format!("/proc/{child}/exe")) else {
            continue;
        };
        let kind = match exe.file_name().and_then(|n| n.to_str()) {
            Some("WebKitWebProcess") => Kind::Web,
            Some("WebKitNetworkProcess") => Kind::Network,
            _ => Kind::Other,
        };
        processes.push((child, kind));
    }
    let mut pss = Kinds::default();
    for &(pid, kind) in &processes {
        match pss_kib(pid) {
            Ok(kib) => pss.add(kind, kib),
            Err(e) if kind == Kind::App => return Err(e),
            Err(_) => {}
        }
    }
    Ok(Footprint {
        pss,
        alone: pages_alone(&processes)?,
    })
}

const PAGE: u64 = 4096;
/// In a pagemap entry: the page is in RAM, and its frame number (zero unless root reads it).
const PRESENT: u64 = 1 << 63;
const FRAME: u64 = (1 << 55) - 1;

/// Each physical page mapped by any of `processes`, counted once, its KiB shared out between the
/// processes that map it. `None` when the frame numbers are hidden (not root).
fn pages_alone(processes: &[(u32, Kind)]) -> Result<Option<Kinds>> {
    use std::os::unix::fs::FileExt;
    // Frame number → which of the processes map it (a bit each).
    let mut mappers: HashMap<u64, u32> = HashMap::new();
    let mut hidden = false;
    for (index, &(pid, _)) in processes.iter().enumerate().take(32) {
        let (Ok(smaps), Ok(pagemap)) = (
            std::fs::read_to_string(format!("/proc/{pid}/smaps")),
            std::fs::File::open(format!("/proc/{pid}/pagemap")),
        ) else {
            continue;
        };
        let mut buf = vec![0u8; 8 * 65_536];
        for (start, end) in resident_ranges(&smaps) {
            let mut page = start / PAGE;
            while page < end / PAGE {
                let count = (end / PAGE - page).min(65_536);
                let bytes = &mut buf[..8 * count as usize];
                // Special mappings ([vsyscall]) refuse to be read: nothing of ours is there.
                if pagemap.read_exact_at(bytes, page * 8).is_err() {
                    break;
                }
                for entry in bytes.chunks_exact(8) {
                    let entry = u64::from_le_bytes(entry.try_into().expect("8 bytes"));
                    if entry & PRESENT == 0 {
                        continue;
                    }
                    match entry & FRAME {
                        0 => hidden = true,
                        frame => *mappers.entry(frame).or_default() |= 1 << index,
                    }
                }
                page += count;
            }
        }
    }
    if hidden && mappers.is_empty() {
        return Ok(None);
    }
    let mut shares = vec![0.0f64; processes.len()];
    for bits in mappers.values() {
        let share = (PAGE / 1024) as f64 / f64::from(bits.count_ones());
        for (index, slot) in shares.iter_mut().enumerate().take(32) {
            if bits & (1 << index) != 0 {
                *slot += share;
            }
        }
    }
    let mut kinds = Kinds::default();
    for (&(_, kind), kib) in processes.iter().zip(shares) {
        kinds.add(kind, kib.round() as u64);
    }
    Ok(Some(kinds))
}

/// The address ranges of the mappings in `smaps` that have pages in RAM.
fn resident_ranges(smaps: &str) -> Vec<(u64, u64)> {
    let mut ranges = Vec::new();
    let mut current = None;
    for line in smaps.lines() {
        // A mapping's header starts with its range in lower-case hex; its fields are capitalised.
        if line.starts_with(|c: char| c.is_ascii_digit() || ('a'..='f').contains(&c)) {
            current = line
                .split_once(' ')
                .and_then(|(range, _)| range.split_once('-'))
                .and_then(|(a, b)| {
                    Some((
                        u64::from_str_radix(a, 16).ok()?,
                        u64::from_str_radix(b, 16).ok()?,
                    ))
                });
        } else if let Some(rss) = line.strip_prefix("Rss:") {
            let resident = rss.trim().trim_end_matches("kB").trim() != "0";
            if let (true, Some(range)) = (resident, current.take()) {
                ranges.push(range);
            }
        }
    }
    ranges
}

/// Lets the window sit untouched, then takes the median of three readings a second apart.
pub async fn settled_footprint(pid: u32) -> Result<Footprint> {
    tokio::time::sleep(SETTLE).await;
    let mut readings = Vec::new();
    for _ in 0..3 {
        readings.push(footprint(pid)?);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    readings.sort_by_key(Footprint::total);
    Ok(readings[1])
}
