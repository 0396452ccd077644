//! Property tests of the SSE decoder: arbitrary bytes, valid streams and mutated streams, each
//! fed in arbitrary chunkings (down to single bytes and empty reads, and cuts inside a UTF-8
//! character), must never panic and must decode to the same events as the stream fed whole.
//!
//! Case counts are small by default so `cargo test` stays fast; `PROPTEST_CASES=N` (what
//! `make fuzz` sets) runs N cases of each instead.

use std::collections::VecDeque;

use proptest::collection::vec;
use proptest::prelude::{any, prop, prop_assert_eq, prop_oneof, proptest, Just, ProptestConfig};
use proptest::sample::Index;
use proptest::strategy::Strategy as Gen;

use super::{SseDecoder, SseEvent};

/// `default` cases, or what `PROPTEST_CASES` asks for: `with_cases` alone would override it.
fn config(default: u32) -> ProptestConfig {
    match std::env::var("PROPTEST_CASES") {
        Ok(_) => ProptestConfig::default(),
        Err(_) => ProptestConfig::with_cases(default),
    }
}

fn decode_whole(bytes: &[u8]) -> Vec<SseEvent> {
    decode_split(bytes, &[])
}

/// Where to cut a stream into reads: positions into it, in any order; a cut marked `true` is
/// made twice, giving an empty read there.
fn cuts() -> impl Gen<Value = Vec<(Index, bool)>> {
    vec((any::<Index>(), prop::bool::weighted(0.2)), 0..24)
}

/// Feeds `bytes` in pieces ending at `cuts`.
fn decode_split(bytes: &[u8], cuts: &[(Index, bool)]) -> Vec<SseEvent> {
    let mut at: Vec<usize> = cuts
        .iter()
        .flat_map(|&(i, twice)| {
            let at = i.index(bytes.len() + 1);
            [Some(at), twice.then_some(at)]
        })
        .flatten()
        .collect();
    at.sort_unstable();
    let mut decoder = SseDecoder::default();
    let mut out = VecDeque::new();
    let mut start = 0;
    for end in at {
        decoder.push(&bytes[start..end], &mut out);
        start = end;
    }
    decoder.push(&bytes[start..], &mut out);
    out.into_iter().collect()
}

fn line_end() -> impl Gen<Value = &'static str> {
    prop_oneof![Just("\n"), Just("\r\n"), Just("\r")]
}

/// One field or comment line's text (no line end), and what it adds to the event.
#[derive(Debug, Clone)]
enum Line {
    Data { value: String, space: bool },
    Event(String),
    Comment(String),
    Other(&'static str, String),
}

/// Text without line breaks: any unicode (multibyte characters included), and the values a
/// server really sends.
fn text() -> impl Gen<Value = String> {
    prop_oneof![
        3 => "[^\r\n]{0,24}",
        1 => Just("[DONE]".to_owned()),
        1 => Just("{\"choices\":[{\"delta\":{\"content\":\"caf\u{e9} \u{20ac} \u{1f600}\"}}]}".to_owned()),
        1 => Just(String::new()),
        1 => " [^\r\n]{0,8}",
    ]
}

fn line() -> impl Gen<Value = Line> {
    prop_oneof![
        4 => (text(), any::<bool>()).prop_map(|(value, space)| Line::Data { value, space }),
        1 => text().prop_map(Line::Event),
        1 => text().prop_map(Line::Comment),
        1 => (prop_oneof![Just("id"), Just("retry"), Just("unknown")], text())
            .prop_map(|(f, v)| Line::Other(f, v)),
    ]
}

/// A well-formed stream and the events it holds: events of mixed lines, each ended by a blank
/// line, every line with its own line end, maybe a BOM first and an unfinished event last.
fn stream() -> impl Gen<Value = (Vec<u8>, Vec<SseEvent>)> {
    let event = (vec((line(), line_end()), 0..6), line_end());
    (
        any::<bool>(),
        vec(event, 0..8),
        vec((line(), line_end()), 0..3),
    )
        .prop_map(|(bom, events, unfinished)| {
            let mut bytes = Vec::new();
            if bom {
                bytes.extend_from_slice("\u{feff}".as_bytes());
            }
            let mut expected = Vec::new();
            let mut last_end = "\n";
            let mut write = |bytes: &mut Vec<u8>, text: &str, end: &'static str| {
                // A blank line after a lone `\r` must not start with `\n`: the two would read as
                // one `\r\n`, and the blank line would vanish.
                let end = if text.is_empty() && last_end == "\r" && end == "\n" {
                    "\r\n"
                } else {
                    end
                };
                bytes.extend_from_slice(text.as_bytes());
                bytes.extend_from_slice(end.as_bytes());
                last_end = end;
            };
            for (lines, blank_end) in events {
                let mut data: Option<String> = None;
                let mut kind = String::new();
                for (line, end) in lines {
                    let text = match line {
                        Line::Data { value, space } => {
                            let got = if space {
                                value.as_str()
                            } else {
                                value.strip_prefix(' ').unwrap_or(&value)
                            };
                            // Data lines are joined with `\n`.
                            match &mut data {
                                Some(d) => {
                                    d.push('\n');
                                    d.push_str(got);
                                }
                                None => data = Some(got.to_owned()),
                            }
                            format!("data:{}{value}", if space { " " } else { "" })
                        }
                        Line::Event(name) => {
                            kind.clone_from(&name);
                            format!("event: {name}")
                        }
                        Line::Comment(text) => format!(":{text}"),
                        Line::Other(field, value) => format!("{field}: {value}"),
                    };
                    write(&mut bytes, &text, end);
                }
                write(&mut bytes, "", blank_end);
                if let Some(data) = data {
                    expected.push(SseEvent {
                        event: if kind.is_empty() {
                            "message".into()
                        } else {
                            kind
                        },
                        data,
                    });
                }
            }
            for (line, end) in unfinished {
                let text = match line {
                    Line::Data { value, .. } => format!("data: {value}"),
                    Line::Event(name) => format!("event: {name}"),
                    Line::Comment(text) => format!(":{text}"),
                    Line::Other(field, value) => format!("{field}: {value}"),
                };
                write(&mut bytes, &text, end);
            }
            (bytes, expected)
        })
}

/// Small edits a broken proxy or a truncated read could make: bytes changed, dropped, repeated,
/// and line ends, BOM bytes and invalid UTF-8 put anywhere.
#[derive(Debug, Clone)]
enum Edit {
    Set(Index, u8),
    Remove(Index, usize),
    Repeat(Index, usize),
    Insert(Index, &'static [u8]),
    Truncate(Index),
}

fn edit() -> impl Gen<Value = Edit> {
    prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Set(i, b)),
        (any::<Index>(), 1usize..8).prop_map(|(i, n)| Edit::Remove(i, n)),
        (any::<Index>(), 1usize..16).prop_map(|(i, n)| Edit::Repeat(i, n)),
        (
            any::<Index>(),
            prop::sample::select(vec![
                &b"\r"[..],
                b"\n",
                b"\r\n",
                b"\n\n",
                b"\xEF\xBB\xBF",
                b"\xEF\xBB",
                b"\xff",
                b"\xe2\x82",
                b":",
                b"data:",
                b"event:",
            ])
        )
            .prop_map(|(i, s)| Edit::Insert(i, s)),
        any::<Index>().prop_map(Edit::Truncate),
    ]
}

fn apply(bytes: &mut Vec<u8>, edit: &Edit) {
    let at = |i: &Index, len: usize| i.index(len + 1);
    match edit {
        Edit::Set(i, b) if !bytes.is_empty() => {
            let i = i.index(bytes.len());
            bytes[i] = *b;
        }
        Edit::Set(..) => {}
        Edit::Remove(i, n) => {
            let start = at(i, bytes.len());
            let end = (start + n).min(bytes.len());
            bytes.drain(start..end);
        }
        Edit::Repeat(i, n) => {
            let start = at(i, bytes.len());
            let end = (start + n).min(bytes.len());
            let copy = bytes[start..end].to_vec();
            bytes.splice(end..end, copy);
        }
        Edit::Insert(i, s) => {
            let i = at(i, bytes.len());
            bytes.splice(i..i, s.iter().copied());
        }
        Edit::Truncate(i) => bytes.truncate(at(i, bytes.len())),
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_bytes_in_any_pieces_decode_as_the_whole(
        bytes in vec(any::<u8>(), 0..2048),
        cuts in cuts(),
    ) {
        prop_assert_eq!(decode_split(&bytes, &cuts), decode_whole(&bytes));
    }

    #[test]
    fn valid_streams_split_anywhere_decode_to_their_events(
        (bytes, expected) in stream(),
        cuts in cuts(),
    ) {
        prop_assert_eq!(&decode_whole(&bytes), &expected);
        prop_assert_eq!(&decode_split(&bytes, &cuts), &expected);
    }

    #[test]
    fn valid_streams_read_a_byte_at_a_time_decode_to_their_events((bytes, expected) in stream()) {
        let mut decoder = SseDecoder::default();
        let mut out = VecDeque::new();
        for b in &bytes {
            decoder.push(std::slice::from_ref(b), &mut out);
        }
        prop_assert_eq!(out.into_iter().collect::<Vec<_>>(), expected);
    }

    #[test]
    fn mutated_streams_in_any_pieces_decode_as_the_whole(
        (bytes, _) in stream(),
        edits in vec(edit(), 1..6),
        cuts in cuts(),
    ) {
        let mut bytes = bytes;
        for e in &edits {
            apply(&mut bytes, e);
        }
        prop_assert_eq!(decode_split(&bytes, &cuts), decode_whole(&bytes));
    }
}
