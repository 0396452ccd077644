//! Continuing a reply sends its text so far as the final assistant message (a prefill). Some
//! servers stream only what follows it; llama.cpp's server streams the prefill again first, in
//! its first delta (`"One, two, three, four"` after `"One, two, three,"`). [`EchoFilter`] takes
//! that echo out, so the continuation is appended once either way.

/// Drops the prefill from the start of a continuation's text, when the server echoes it.
#[derive(Debug)]
pub(super) struct EchoFilter {
    /// The reply's text so far, as it was sent.
    prefill: String,
    /// What arrived while it could still be the echo; `None` once decided.
    held: Option<String>,
}

impl EchoFilter {
    pub(super) fn new(prefill: &str) -> Self {
        Self {
            prefill: prefill.to_owned(),
            held: Some(String::new()),
        }
    }

    /// The part of `text` that is new. Text that may still turn out to be the echo is held back
    /// until it either completes the echo (and is dropped) or departs from it (and is passed on).
    /// A stream that ends mid-echo has said nothing new.
    pub(super) fn feed(&mut self, text: &str) -> String {
        let Some(held) = self.held.as_mut() else {
            return text.to_owned();
        };
        held.push_str(text);
        // The echo of a prefill ending in white space may come trimmed by the chat template.
        let key = self.prefill.trim_end();
        if held.len() < key.len() {
            if key.starts_with(held.as_str()) {
                return String::new();
            }
            return self.held.take().unwrap_or_default();
        }
        let held = self.held.take().unwrap_or_default();
        match held.strip_prefix(key) {
            Some(rest) => {
                let trailing = &self.prefill[key.len()..];
                rest.strip_prefix(trailing).unwrap_or(rest).to_owned()
            }
            None => held,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::EchoFilter;

    fn run(prefill: &str, deltas: &[&str]) -> String {
        let mut filter = EchoFilter::new(prefill);
        deltas.iter().map(|d| filter.feed(d)).collect()
    }

    #[test]
    fn an_echoed_prefill_is_dropped() {
        // As llama.cpp's server streams it.
        assert_eq!(
            run("One, two, three,", &["One, two, three, four", ",", " five"]),
            " four, five"
        );
        assert_eq!(
            run("One, two, three, ", &["One, two, three, \n", "four"]),
            "\nfour"
        );
        // In pieces, and trimmed by a template.
        assert_eq!(run("Once upon", &["Once", " up", "on a time"]), " a time");
        assert_eq!(run("Once upon ", &["Once upon", "a time"]), "a time");
    }

    #[test]
    fn a_continuation_without_echo_passes_through() {
        assert_eq!(
            run("One, two, three,", &[" four", ",", " five"]),
            " four, five"
        );
        // Held while it looked like the echo, passed on once it departs from it.
        assert_eq!(run("One, two", &["One", " more"]), "One more");
    }

    #[test]
    fn empty_deltas_change_nothing() {
        assert_eq!(run("Hi", &["", "Hi there", "", "!"]), " there!");
    }

    #[test]
    fn a_stream_cut_mid_echo_adds_nothing() {
        assert_eq!(run("One, two, three,", &["One, tw"]), "");
    }
}
