//! Measuring a reply as it streams ([`StatsMeter`]): when the request went out, when the first and
//! the last token came, and what the server reported (`usage`, llama.cpp's `timings`). What the
//! server reported wins over what was measured; the result is the reply's [`ReplyStats`].
//!
//! Times are readings of the store's monotonic clock ([`crate::clock::Clock::monotonic`]), so
//! tests with a manual clock get exact figures.

use std::time::Duration;

use crate::llm::{Timings, Usage};
use crate::store::{ReplyStats, StatFigure};

/// One reply's measurements so far.
#[derive(Debug, Default)]
pub(super) struct StatsMeter {
    /// When the request answered last was sent; `None` until one is.
    sent: Option<Duration>,
    first_token: Option<Duration>,
    last_token: Option<Duration>,
    usage: Usage,
    timings: Timings,
}

impl StatsMeter {
    /// A request went out: what an earlier one measured (refused, so without tokens) is dropped.
    pub(super) fn sent(&mut self, at: Duration) {
        *self = Self {
            sent: Some(at),
            ..Self::default()
        };
    }

    /// A token (text or reasoning) arrived.
    pub(super) fn token(&mut self, at: Duration) {
        self.first_token.get_or_insert(at);
        self.last_token = Some(at);
    }

    /// The server's token counts; a later report fills in what an earlier one left out.
    pub(super) fn usage(&mut self, usage: &Usage) {
        let u = &mut self.usage;
        u.prompt_tokens = usage.prompt_tokens.or(u.prompt_tokens);
        u.completion_tokens = usage.completion_tokens.or(u.completion_tokens);
        u.cached_tokens = usage.cached_tokens.or(u.cached_tokens);
    }

    /// llama.cpp's timings; a later report fills in what an earlier one left out.
    pub(super) fn timings(&mut self, timings: &Timings) {
        let t = &mut self.timings;
        t.cache_n = timings.cache_n.or(t.cache_n);
        t.prompt_n = timings.prompt_n.or(t.prompt_n);
        t.prompt_ms = timings.prompt_ms.or(t.prompt_ms);
        t.prompt_per_second = timings.prompt_per_second.or(t.prompt_per_second);
        t.predicted_n = timings.predicted_n.or(t.predicted_n);
        t.predicted_ms = timings.predicted_ms.or(t.predicted_ms);
        t.predicted_per_second = timings.predicted_per_second.or(t.predicted_per_second);
    }

    /// The tokens the server says it generated in this request: `usage`, else `timings`.
    pub(super) fn completion_tokens(&self) -> Option<u64> {
        self.usage.completion_tokens.or(self.timings.predicted_n)
    }

    /// The figures as far as they are known: the server's where it gave them, else measured.
    pub(super) fn stats(&self) -> ReplyStats {
        let t = &self.timings;
        let mut from_server = Vec::new();
        let mut server = |figure, value: Option<f64>| {
            let value = value.filter(|v| v.is_finite() && *v >= 0.0);
            if value.is_some() {
                from_server.push(figure);
            }
            value
        };
        let first_token_ms = server(StatFigure::FirstToken, t.prompt_ms)
            .map(|ms| ms.round() as i64)
            .or_else(|| Some(millis(self.first_token? - self.sent?)));
        let measured_generation = self.last_token.zip(self.first_token).map(|(l, f)| l - f);
        let generation_ms = server(StatFigure::Generation, t.predicted_ms)
            .map(|ms| ms.round() as i64)
            .or_else(|| measured_generation.map(millis));
        let server_speed = t.predicted_per_second.or_else(|| {
            let ms = t.predicted_ms.filter(|ms| *ms > 0.0)?;
            Some(t.predicted_n? as f64 * 1000.0 / ms)
        });
        let tokens_per_second = server(StatFigure::Speed, server_speed).or_else(|| {
            // The first token's time is part of the wait before it, so the time from the first
            // token to the last is that of the other tokens.
            let tokens = self.completion_tokens()?.checked_sub(1)?;
            let seconds = measured_generation?.as_secs_f64();
            (tokens > 0 && seconds > 0.0).then(|| tokens as f64 / seconds)
        });
        let prompt_per_second = t
            .prompt_per_second
            .or_else(|| {
                let ms = t.prompt_ms.filter(|ms| *ms > 0.0)?;
                Some(t.prompt_n.filter(|n| *n > 0)? as f64 * 1000.0 / ms)
            })
            .filter(|v| v.is_finite() && *v >= 0.0);
        ReplyStats {
            first_token_ms,
            generation_ms,
            tokens_per_second,
            prompt_per_second,
            cached_tokens: self
                .usage
                .cached_tokens
                .or(t.cache_n)
                .and_then(|n| i64::try_from(n).ok()),
            from_server,
        }
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn without_server_timings_everything_is_measured() {
        let mut meter = StatsMeter::default();
        meter.sent(ms(1_000));
        meter.token(ms(1_420));
        meter.token(ms(1_900));
        meter.token(ms(3_420));
        meter.usage(&Usage {
            prompt_tokens: Some(30),
            completion_tokens: Some(61),
            cached_tokens: Some(12),
        });
        let stats = meter.stats();
        assert_eq!(stats.first_token_ms, Some(420));
        assert_eq!(stats.generation_ms, Some(2_000));
        // 60 tokens after the first, in two seconds.
        assert_eq!(stats.tokens_per_second, Some(30.0));
        assert_eq!(stats.prompt_per_second, None);
        assert_eq!(stats.cached_tokens, Some(12));
        assert!(stats.from_server.is_empty());
    }

    #[test]
    fn the_servers_timings_win_over_what_was_measured() {
        let mut meter = StatsMeter::default();
        meter.sent(ms(0));
        meter.token(ms(500));
        meter.token(ms(1_500));
        meter.usage(&Usage {
            completion_tokens: Some(40),
            ..Default::default()
        });
        meter.timings(&Timings {
            cache_n: Some(100),
            prompt_n: Some(20),
            prompt_ms: Some(123.4),
            prompt_per_second: Some(162.07),
            predicted_n: Some(40),
            predicted_ms: Some(1049.6),
            predicted_per_second: Some(38.11),
        });
        let stats = meter.stats();
        assert_eq!(stats.first_token_ms, Some(123));
        assert_eq!(stats.generation_ms, Some(1_050));
        assert_eq!(stats.tokens_per_second, Some(38.11));
        assert_eq!(stats.prompt_per_second, Some(162.07));
        assert_eq!(stats.cached_tokens, Some(100), "usage did not say: timings");
        assert_eq!(
            stats.from_server,
            [
                StatFigure::FirstToken,
                StatFigure::Generation,
                StatFigure::Speed
            ]
        );
    }

    #[test]
    fn partial_timings_mix_with_measurements_and_speeds_are_derived() {
        let mut meter = StatsMeter::default();
        meter.sent(ms(0));
        meter.token(ms(250));
        meter.token(ms(1_250));
        meter.timings(&Timings {
            prompt_n: Some(50),
            prompt_ms: Some(500.0),
            predicted_n: Some(21),
            predicted_ms: Some(f64::NAN),
            ..Default::default()
        });
        let stats = meter.stats();
        assert_eq!(stats.first_token_ms, Some(500));
        assert_eq!(
            stats.generation_ms,
            Some(1_000),
            "NaN from the server: measured"
        );
        // The server's count over the measured time: 20 tokens after the first in a second.
        assert_eq!(stats.tokens_per_second, Some(20.0));
        assert_eq!(stats.prompt_per_second, Some(100.0));
        assert_eq!(stats.from_server, [StatFigure::FirstToken]);
        assert_eq!(meter.completion_tokens(), Some(21));
    }

    #[test]
    fn a_stopped_reply_keeps_what_was_measured() {
        let mut meter = StatsMeter::default();
        assert!(meter.stats().is_empty(), "nothing sent");
        meter.sent(ms(10));
        assert!(meter.stats().is_empty(), "no token yet");
        meter.token(ms(60));
        meter.token(ms(90));
        let stats = meter.stats();
        assert_eq!(stats.first_token_ms, Some(50));
        assert_eq!(stats.generation_ms, Some(30));
        assert_eq!(
            stats.tokens_per_second, None,
            "no token count without the server"
        );
    }

    #[test]
    fn a_request_sent_again_starts_over_and_reports_merge() {
        let mut meter = StatsMeter::default();
        meter.sent(ms(0));
        meter.usage(&Usage {
            prompt_tokens: Some(9000),
            ..Default::default()
        });
        meter.sent(ms(2_000));
        meter.token(ms(2_100));
        meter.usage(&Usage {
            completion_tokens: Some(1),
            ..Default::default()
        });
        meter.usage(&Usage::default());
        assert_eq!(meter.completion_tokens(), Some(1));
        let stats = meter.stats();
        assert_eq!(stats.first_token_ms, Some(100));
        assert_eq!(stats.generation_ms, Some(0));
        assert_eq!(stats.tokens_per_second, None, "one token has no speed");
    }
}
