//! Where a window's memory is: what the page holds (its nodes, the messages in it, highlighted
//! code, math, images) and the web process's resident memory by kind of mapping (the JavaScript
//! and malloc heaps, libraries, mapped files, buffers shared with the compositor).

use confab_tests::{App, Result};
use serde_json::Value;

use crate::memory::{descendants, process_tree};

/// The page's contents, counted in the page.
const PAGE_STATS: &str = r#"
let nodes = 0;
const walker = document.createTreeWalker(document, NodeFilter.SHOW_ALL);
while (walker.nextNode()) nodes++;
const count = (css) => document.querySelectorAll(css).length;
return {
  nodes,
  elements: count('*'),
  messages: count('[data-testid=message]'),
  code_spans: count('pre code span'),
  math: count('math, math *'),
  images: count('img'),
  text_kib: Math.round(document.body.textContent.length / 1024),
};
"#;

/// One reading of where the memory is.
pub struct Inside {
    /// The page's counts, in the order of [`PAGE_STATS`]'s fields.
    pub page: Vec<(String, u64)>,
    /// The web process's resident KiB by kind of mapping.
    pub web: Vec<(&'static str, u64)>,
}

impl std::fmt::Display for Inside {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let page: Vec<String> = self.page.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let web: Vec<String> = self
            .web
            .iter()
            .map(|(k, v)| format!("{k} {:.1}", *v as f64 / 1024.0))
            .collect();
        write!(
            f,
            "page: {}; web process, resident MiB: {}",
            page.join(", "),
            web.join(", ")
        )
    }
}

pub async fn inside(app: &App, pid: u32) -> Result<Inside> {
    let stats = app.client.execute(PAGE_STATS, vec![]).await?;
    let page = match stats {
        Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| (k, v.as_u64().unwrap_or(0)))
            .collect(),
        other => return Err(format!("the page's counts came back as {other}").into()),
    };
    Ok(Inside {
        page,
        web: web_mappings(pid)?,
    })
}

/// The resident memory of the app's WebKitWebProcess by kind of mapping, from its `smaps`.
fn web_mappings(pid: u32) -> Result<Vec<(&'static str, u64)>> {
    let Some(web) = descendants(&process_tree()?, pid)
        .into_iter()
        .find(|child| {
            std::fs::read_link(format!("/proc/{child}/exe"))
                .is_ok_and(|exe| exe.file_name().is_some_and(|n| n == "WebKitWebProcess"))
        })
    else {
        return Ok(Vec::new());
    };
    let smaps = std::fs::read_to_string(format!("/proc/{web}/smaps"))?;
    if let Some(dir) = std::env::var_os("CONFAB_BENCH_SMAPS") {
        let n = std::fs::read_dir(&dir).map_or(0, |d| d.count());
        std::fs::write(
            std::path::Path::new(&dir).join(format!("smaps-{n}")),
            &smaps,
        )?;
    }
    let kinds = [
        "anonymous",
        "[heap]",
        "libraries",
        "files",
        "shared buffers",
        "stacks",
    ];
    let mut kib = [0u64; 6];
    let mut kind = 0;
    for line in smaps.lines() {
        if line.starts_with(|c: char| c.is_ascii_digit() || ('a'..='f').contains(&c)) {
            // The path, if any, is the sixth field.
            let path = line.split_whitespace().nth(5).unwrap_or("");
            kind = match path {
                "" => 0,
                "[heap]" => 1,
                p if p.starts_with("[stack") => 5,
                p if p.starts_with('[') => 0,
                p if p.contains(".so") => 2,
                p if p.starts_with("/memfd:")
                    || p.starts_with("/dev/")
                    || p.starts_with("/SYSV") =>
                {
                    4
                }
                _ => 3,
            };
        } else if let Some(rss) = line.strip_prefix("Rss:") {
            kib[kind] += rss
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .unwrap_or(0);
        }
    }
    Ok(kinds.into_iter().zip(kib).collect())
}
