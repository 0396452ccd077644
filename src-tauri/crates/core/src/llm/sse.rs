//! An incremental decoder for server-sent events, by the WHATWG spec, in linear time.
//!
//! Why not `eventsource-stream`: its parser copies the rest of its buffer after every line, which
//! is quadratic when a network read carries many events (a fast local server sends hundreds per
//! read); measured here it made a 2000-token reply ~30× slower to read than `curl -N`.
//!
//! Handled: `\n`, `\r\n` and `\r` line ends (also split across reads), a UTF-8 character split
//! across reads (lines are decoded only once complete), a leading BOM, `:` comments, fields with
//! or without the space after the colon, multi-line `data` joined with `\n`, `event` types, and
//! an unterminated event at the end of the stream being dropped, as the spec says.

use std::collections::VecDeque;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The `event:` field, or `message`.
    pub event: String,
    pub data: String,
}

#[derive(Debug, Default)]
pub(crate) struct SseDecoder {
    buf: Vec<u8>,
    /// A `\r` ended the previous read: a `\n` starting the next one belongs to it.
    pending_cr: bool,
    started: bool,
    data: String,
    event: String,
    has_data: bool,
}

impl SseDecoder {
    /// Feeds bytes from the network; complete events are appended to `out`.
    pub(crate) fn push(&mut self, mut bytes: &[u8], out: &mut VecDeque<SseEvent>) {
        // An empty read says nothing about the byte after the `\r`: keep waiting for it.
        if self.pending_cr && !bytes.is_empty() {
            self.pending_cr = false;
            if let Some(rest) = bytes.strip_prefix(b"\n") {
                bytes = rest;
            }
        }
        if !self.started && !bytes.is_empty() {
            // The BOM may itself arrive split; wait for three bytes before deciding.
            self.buf.extend_from_slice(bytes);
            if self.buf.len() < 3 && b"\xEF\xBB\xBF".starts_with(&self.buf) {
                return;
            }
            self.started = true;
            if self.buf.starts_with(b"\xEF\xBB\xBF") {
                self.buf.drain(..3);
            }
            let pending = std::mem::take(&mut self.buf);
            self.lines(&pending, out);
            return;
        }
        if self.buf.is_empty() {
            self.lines(bytes, out);
        } else {
            let mut joined = std::mem::take(&mut self.buf);
            joined.extend_from_slice(bytes);
            self.lines(&joined, out);
        }
    }

    /// Splits `bytes` into complete lines; keeps an unfinished last line in `self.buf`.
    fn lines(&mut self, bytes: &[u8], out: &mut VecDeque<SseEvent>) {
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => {
                    self.line(&bytes[start..i], out);
                    i += 1;
                    start = i;
                }
                b'\r' => {
                    self.line(&bytes[start..i], out);
                    i += 1;
                    if i == bytes.len() {
                        self.pending_cr = true;
                    } else if bytes[i] == b'\n' {
                        i += 1;
                    }
                    start = i;
                }
                _ => i += 1,
            }
        }
        self.buf.extend_from_slice(&bytes[start..]);
    }

    fn line(&mut self, line: &[u8], out: &mut VecDeque<SseEvent>) {
        if line.is_empty() {
            if self.has_data {
                if self.data.ends_with('\n') {
                    self.data.pop();
                }
                out.push_back(SseEvent {
                    event: if self.event.is_empty() {
                        "message".to_owned()
                    } else {
                        std::mem::take(&mut self.event)
                    },
                    data: std::mem::take(&mut self.data),
                });
            }
            self.has_data = false;
            self.data.clear();
            self.event.clear();
            return;
        }
        if line[0] == b':' {
            return;
        }
        let line = String::from_utf8_lossy(line);
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_ref(), ""),
        };
        match field {
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
                self.has_data = true;
            }
            "event" => self.event = value.to_owned(),
            // `id` and `retry` matter for reconnecting EventSource clients, not for one response.
            _ => {}
        }
    }
}

#[cfg(test)]
mod fuzz;

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut decoder = SseDecoder::default();
        let mut out = VecDeque::new();
        for chunk in chunks {
            decoder.push(chunk, &mut out);
        }
        out.into_iter().collect()
    }

    fn data(events: &[SseEvent]) -> Vec<&str> {
        events.iter().map(|e| e.data.as_str()).collect()
    }

    #[test]
    fn every_line_ending_and_comments() {
        let events = decode(&[b": hi\n\ndata: a\n\ndata: b\r\n\r\ndata:c\r\rdata: d\n\n"]);
        assert_eq!(data(&events), ["a", "b", "c", "d"]);
        assert!(events.iter().all(|e| e.event == "message"));
    }

    #[test]
    fn anything_can_be_split_anywhere() {
        let whole = "\u{feff}data: caf\u{e9} \u{20ac}\r\n\r\nevent: error\ndata: {\"x\":1}\r\n\r\ndata: [DONE]\n\n";
        let bytes = whole.as_bytes();
        let expected = decode(&[bytes]);
        assert_eq!(data(&expected), ["café €", "{\"x\":1}", "[DONE]"]);
        assert_eq!(expected[1].event, "error");
        for a in 0..bytes.len() {
            for b in a..bytes.len() {
                let got = decode(&[&bytes[..a], &bytes[a..b], &bytes[b..]]);
                assert_eq!(got, expected, "split at {a} and {b}");
            }
        }
    }

    /// Found by the property tests: an empty read between the `\r` and the `\n` of a line end
    /// made them two line ends, and the blank line between dispatched half an event.
    #[test]
    fn an_empty_read_inside_a_crlf_keeps_it_one_line_end() {
        let events = decode(&[b"data: a\r", b"", b"\ndata: b\r\n\r\n"]);
        assert_eq!(data(&events), ["a\nb"]);
    }

    #[test]
    fn multi_line_data_and_fields_without_values() {
        let events = decode(&[b"data: one\ndata\ndata: three\nid: 7\nretry: 10\n\n"]);
        assert_eq!(data(&events), ["one\n\nthree"]);
    }

    #[test]
    fn events_without_data_and_unterminated_events_are_dropped() {
        assert!(decode(&[b"event: ping\n\n"]).is_empty());
        assert!(decode(&[b"data: never finished\n"]).is_empty());
    }
}
