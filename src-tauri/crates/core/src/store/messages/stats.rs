//! A reply's statistics ([`ReplyStats`]): how long it took to start and to generate, how fast it
//! came, and which of those figures the server reported rather than Confab measured. Stored in
//! the `messages` row (migration 0011), exported in the JSON, shown under the reply.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A timing figure of a reply that either the server reported or Confab measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum StatFigure {
    /// [`ReplyStats::first_token_ms`].
    FirstToken,
    /// [`ReplyStats::generation_ms`].
    Generation,
    /// [`ReplyStats::tokens_per_second`].
    Speed,
}

impl StatFigure {
    pub const ALL: [Self; 3] = [Self::FirstToken, Self::Generation, Self::Speed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::FirstToken => "first_token",
            Self::Generation => "generation",
            Self::Speed => "speed",
        }
    }
}

/// How a reply was produced. Every figure is `None` when unknown: a reply saved before Confab
/// kept them, one that never got a token, or a figure the server did not report and Confab
/// cannot measure (the speed needs the server's token count). A continued reply's timings are
/// those of the request that continued it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct ReplyStats {
    /// From sending the request to the first token (of text or reasoning), in milliseconds; the
    /// server's figure is its prompt-processing time.
    pub first_token_ms: Option<i64>,
    /// From the first token to the last, in milliseconds.
    pub generation_ms: Option<i64>,
    /// Tokens generated per second.
    pub tokens_per_second: Option<f64>,
    /// Prompt tokens processed per second, when the server reports it (llama.cpp).
    pub prompt_per_second: Option<f64>,
    /// Prompt tokens the server took from its cache instead of processing them again.
    pub cached_tokens: Option<i64>,
    /// The figures the server reported; the others that are known, Confab measured.
    pub from_server: Vec<StatFigure>,
}

impl ReplyStats {
    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// `from_server` as stored: the figures' names, space-separated; `None` when empty.
    pub(crate) fn server_figures_column(&self) -> Option<String> {
        let names: Vec<&str> = StatFigure::ALL
            .into_iter()
            .filter(|f| self.from_server.contains(f))
            .map(StatFigure::as_str)
            .collect();
        (!names.is_empty()).then(|| names.join(" "))
    }

    /// Reads `from_server` as stored; names this build does not know are left out.
    pub(crate) fn parse_server_figures(column: Option<&str>) -> Vec<StatFigure> {
        let words: Vec<&str> = column.unwrap_or_default().split_whitespace().collect();
        StatFigure::ALL
            .into_iter()
            .filter(|f| words.contains(&f.as_str()))
            .collect()
    }

    /// What is wrong with the figures (from an imported file), if anything.
    pub(crate) fn problem(&self) -> Option<&'static str> {
        let negative = [self.first_token_ms, self.generation_ms, self.cached_tokens]
            .into_iter()
            .flatten()
            .any(|n| n < 0);
        let bad_speed = [self.tokens_per_second, self.prompt_per_second]
            .into_iter()
            .flatten()
            .any(|x| !x.is_finite() || x < 0.0);
        if negative || bad_speed {
            Some("its statistics have a negative number or one that is not a number")
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_figures_are_stored_as_words_and_read_back() {
        let stats = ReplyStats {
            from_server: vec![StatFigure::Speed, StatFigure::FirstToken],
            ..Default::default()
        };
        let column = stats.server_figures_column();
        assert_eq!(column.as_deref(), Some("first_token speed"));
        assert_eq!(
            ReplyStats::parse_server_figures(column.as_deref()),
            [StatFigure::FirstToken, StatFigure::Speed]
        );
        assert_eq!(ReplyStats::default().server_figures_column(), None);
        assert!(ReplyStats::parse_server_figures(None).is_empty());
        // A later Confab's figure names are left out, not an error.
        assert_eq!(
            ReplyStats::parse_server_figures(Some("energy generation")),
            [StatFigure::Generation]
        );
    }

    #[test]
    fn missing_fields_read_as_unknown_and_bad_numbers_are_found() {
        let stats: ReplyStats = serde_json::from_str(r#"{"first_token_ms": 420}"#).unwrap();
        assert_eq!(stats.first_token_ms, Some(420));
        assert_eq!(stats.tokens_per_second, None);
        assert!(stats.from_server.is_empty());
        assert_eq!(stats.problem(), None);
        assert!(ReplyStats::default().is_empty());
        assert!(!stats.is_empty());
        for bad in [
            ReplyStats {
                generation_ms: Some(-1),
                ..Default::default()
            },
            ReplyStats {
                tokens_per_second: Some(f64::NAN),
                ..Default::default()
            },
            ReplyStats {
                prompt_per_second: Some(-3.0),
                ..Default::default()
            },
        ] {
            assert!(bad.problem().is_some(), "{bad:?}");
        }
    }
}
