//! The pure half of the context builder: given counted messages and a budget, decide what is
//! sent. No I/O here, so it is property-tested over random conversations and budgets.

use super::{LeftOutReason, MemoryError};
use crate::settings::Strategy;
use crate::store::{Message, MessageStatus};

/// A message and its token count (`exact` when counted by the server's tokenizer).
pub(crate) type Counted<'a> = (&'a Message, (u64, bool));

pub(crate) struct Input<'a> {
    pub strategy: Strategy,
    /// Tokens available for the messages, overheads included.
    pub budget: u64,
    /// Tokens the chat template adds per message.
    pub overhead: u64,
    pub system: Option<(u64, bool)>,
    pub summary: Option<(u64, bool)>,
    /// Pinned messages older than every candidate, oldest first.
    pub pinned: Vec<Counted<'a>>,
    /// The newest messages, oldest first; the last one is the prompt.
    pub candidates: Vec<Counted<'a>>,
    /// Whether the candidates reach back to the floor (the summary's end, the window's anchor or
    /// the first message): if not, older messages exist that were not read.
    pub complete: bool,
}

/// Where a message of the pinned section comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Src {
    Pinned(usize),
    Candidate(usize),
}

#[derive(Debug, Default)]
pub(crate) struct Planned {
    pub summary: bool,
    /// The pinned section, oldest first.
    pub pinned: Vec<Src>,
    /// Outside pinned messages with no room left.
    pub pinned_dropped: Vec<usize>,
    /// Candidates from this index on are the window (the sendable ones are sent).
    pub window_start: usize,
    /// The newest sendable candidate.
    pub newest: Option<usize>,
    /// Candidates left out, with why.
    pub left_out: Vec<(usize, LeftOutReason)>,
    /// Why candidates older than the window are left out.
    pub older_reason: LeftOutReason,
    /// Sendable messages older than the window are left out (or were not read).
    pub older_left_out: bool,
    /// Tokens the included parts take, overheads included.
    pub used: u64,
}

impl Planned {
    /// Whether candidate `i` is sent in the window.
    pub fn in_window(&self, i: usize, input: &Input<'_>) -> bool {
        i >= self.window_start && sendable(input.candidates[i].0)
    }
}

/// Whether a message carries something the model said or was told: failed and still-empty
/// replies are left out; interrupted replies keep their partial text.
pub fn sendable(m: &Message) -> bool {
    m.status != MessageStatus::Error
        && (!m.content.is_empty() || m.has_images() || !m.tool_calls.is_empty())
}

fn unsendable_reason(m: &Message) -> LeftOutReason {
    if m.status == MessageStatus::Error {
        LeftOutReason::Failed
    } else {
        LeftOutReason::Empty
    }
}

pub(crate) fn plan(input: &Input<'_>) -> Result<Planned, MemoryError> {
    let cost = |tokens: u64| tokens + input.overhead;
    let budget = input.budget;
    let candidates = &input.candidates;
    let mut out = Planned {
        older_reason: match input.strategy {
            Strategy::SlidingWindow => LeftOutReason::OutsideWindow,
            _ => LeftOutReason::AwaitingSummary,
        },
        ..Planned::default()
    };

    let mut used = input.system.map_or(0, |(t, _)| cost(t));
    out.newest = candidates.iter().rposition(|(m, _)| sendable(m));
    if let Some(n) = out.newest {
        let c = cost(candidates[n].1 .0);
        if used + c > budget {
            return Err(MemoryError::MessageTooLong {
                tokens: candidates[n].1 .0,
                room: budget.saturating_sub(used + input.overhead),
            });
        }
        used += c;
    }
    if let Some((tokens, _)) = input.summary {
        if used + cost(tokens) <= budget {
            used += cost(tokens);
            out.summary = true;
        }
    }

    // Pinned messages are reserved before the window; those the window reaches stay in place.
    let mut reserved = vec![false; candidates.len()];
    for (i, (_, (tokens, _))) in input.pinned.iter().enumerate() {
        if used + cost(*tokens) <= budget {
            used += cost(*tokens);
            out.pinned.push(Src::Pinned(i));
        } else {
            out.pinned_dropped.push(i);
        }
    }
    for (i, (m, (tokens, _))) in candidates.iter().enumerate() {
        if Some(i) != out.newest && m.pinned && sendable(m) && used + cost(*tokens) <= budget {
            used += cost(*tokens);
            reserved[i] = true;
        }
    }

    // The window: everything, when it fits (the stable case); else the newest that fit.
    let newest = out.newest.unwrap_or(candidates.len());
    let rest: u64 = candidates
        .iter()
        .enumerate()
        .filter(|(i, (m, _))| *i != newest && !reserved[*i] && sendable(m))
        .map(|(_, (_, (t, _)))| cost(*t))
        .sum();
    let all_fit = input.complete && used + rest <= budget;
    if all_fit {
        out.window_start = 0;
        used += rest;
    } else {
        if input.strategy == Strategy::FullHistory {
            return Err(MemoryError::HistoryTooLong {
                tokens: used + rest,
                room: budget,
            });
        }
        // The sliding window jumps forward by half its size, so that its start then stays put
        // for a while (prompt cache); the summary strategy's fallback takes what fits until the
        // next fold.
        let cap = match input.strategy {
            Strategy::SlidingWindow => used + (budget - used) / 2,
            _ => budget,
        };
        out.window_start = newest;
        for i in (0..newest).rev() {
            let (m, (tokens, _)) = candidates[i];
            if !sendable(m) || reserved[i] {
                continue;
            }
            if used + cost(tokens) > cap {
                break;
            }
            used += cost(tokens);
            out.window_start = i;
        }
        // Unsendable messages just before the window belong outside it.
        out.window_start = out.window_start.min(newest);
    }
    out.used = used;

    for (i, (m, _)) in candidates.iter().enumerate() {
        if !sendable(m) {
            out.left_out.push((i, unsendable_reason(m)));
        } else if i < out.window_start {
            if reserved[i] {
                out.pinned.push(Src::Candidate(i));
            } else {
                out.left_out.push((i, out.older_reason));
                out.older_left_out = true;
            }
        }
    }
    // A reserved pinned candidate the window reached is sent in place: nothing more to do.
    out.older_left_out |= !input.complete;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ConversationId, MessageId, Role};
    use chrono::Utc;
    use proptest::prelude::{
        prop, prop_assert, prop_assert_eq, prop_oneof, proptest, Just, ProptestConfig,
    };
    use proptest::strategy::Strategy as Gen;

    fn message(id: i64, role: Role, status: MessageStatus, len: usize, pinned: bool) -> Message {
        Message {
            id: MessageId(id),
            conversation_id: ConversationId(1),
            role,
            content: "x".repeat(len),
            status,
            error: None,
            model: None,
            prompt_tokens: None,
            completion_tokens: None,
            created_at: Utc::now(),
            completed_at: None,
            pinned,
            version_of: None,
            hidden: false,
            reasoning: String::new(),
            finish_reason: None,
            ended: None,
            stats: Default::default(),
            attachments: Vec::new(),
            tool_calls: Vec::new(),
            written: None,
        }
    }

    /// A random conversation: (tokens, status code, pinned) per message, ending with a user
    /// message.
    fn conversation() -> impl Gen<Value = Vec<Message>> {
        prop::collection::vec((0usize..400, 0u8..10, prop::bool::weighted(0.1)), 0..60).prop_map(
            |specs| {
                let mut out: Vec<Message> = specs
                    .into_iter()
                    .enumerate()
                    .map(|(i, (len, status, pinned))| {
                        let role = if i % 2 == 0 {
                            Role::User
                        } else {
                            Role::Assistant
                        };
                        let status = match (role, status) {
                            (Role::Assistant, 0) => MessageStatus::Error,
                            (Role::Assistant, 1) => MessageStatus::Interrupted,
                            _ => MessageStatus::Complete,
                        };
                        let len = if status == MessageStatus::Error {
                            0
                        } else {
                            len.max(1)
                        };
                        message(i as i64 + 1, role, status, len, pinned)
                    })
                    .collect();
                let id = out.len() as i64 + 1;
                out.push(message(id, Role::User, MessageStatus::Complete, 50, false));
                out
            },
        )
    }

    fn strategy() -> impl Gen<Value = super::Strategy> {
        prop_oneof![
            Just(super::Strategy::FullHistory),
            Just(super::Strategy::SlidingWindow),
            Just(super::Strategy::SummaryWindow),
            Just(super::Strategy::Recall),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn plans_keep_every_promise(
            messages in conversation(),
            strategy in strategy(),
            budget in 0u64..6000,
            overhead in 0u64..12,
            system in prop::option::of(0u64..300),
            summary in prop::option::of(0u64..300),
            read_from in 0usize..30,
            pinned_outside in 0usize..3,
        ) {
            // Some of the oldest messages stand for pinned messages older than what was read.
            let read_from = read_from.min(messages.len() - 1);
            let outside: Vec<Message> = (0..pinned_outside)
                .map(|i| message(-(i as i64) - 10, Role::User, MessageStatus::Complete, 30, true))
                .rev()
                .collect();
            let input = Input {
                strategy,
                budget,
                overhead,
                system: system.map(|t| (t, false)),
                summary: summary.map(|t| (t, true)),
                pinned: outside.iter().map(|m| (m, (m.content.len() as u64, false))).collect(),
                candidates: messages[read_from..]
                    .iter()
                    .map(|m| (m, (m.content.len() as u64, false)))
                    .collect(),
                complete: read_from == 0,
            };
            let newest = input.candidates.last().unwrap().1 .0;
            let base = system.map_or(0, |t| t + overhead);
            match plan(&input) {
                Err(MemoryError::MessageTooLong { tokens, .. }) => {
                    prop_assert_eq!(tokens, newest);
                    prop_assert!(base + newest + overhead > budget);
                }
                Err(MemoryError::HistoryTooLong { .. }) => {
                    prop_assert_eq!(strategy, super::Strategy::FullHistory);
                }
                Err(other) => prop_assert!(false, "unexpected error {other}"),
                Ok(planned) => {
                    // Never over budget, and `used` is what the included parts cost.
                    prop_assert!(planned.used <= budget);
                    let cost = |t: u64| t + overhead;
                    let mut total = base;
                    if planned.summary {
                        total += cost(summary.unwrap());
                    }
                    let mut sent_ids = Vec::new();
                    for src in &planned.pinned {
                        let m = match *src {
                            Src::Pinned(i) => input.pinned[i].0,
                            Src::Candidate(i) => input.candidates[i].0,
                        };
                        prop_assert!(m.pinned);
                        total += cost(m.content.len() as u64);
                        sent_ids.push(m.id.0);
                    }
                    for (i, (m, (t, _))) in input.candidates.iter().enumerate() {
                        if planned.in_window(i, &input) {
                            total += cost(*t);
                            sent_ids.push(m.id.0);
                        }
                    }
                    prop_assert_eq!(total, planned.used);
                    // The newest message is always sent, last.
                    prop_assert_eq!(sent_ids.last().copied(), Some(input.candidates.last().unwrap().0.id.0));
                    // Chronological order throughout.
                    prop_assert!(sent_ids.windows(2).all(|w| w[0] < w[1]), "order {:?}", sent_ids);
                    // Every candidate is sent or left out, never both, never twice.
                    for (i, (m, _)) in input.candidates.iter().enumerate() {
                        let sent = sent_ids.contains(&m.id.0) as usize;
                        let left = planned.left_out.iter().filter(|(j, _)| *j == i).count();
                        prop_assert_eq!(sent + left, 1, "message {} sent {} left {}", m.id.0, sent, left);
                    }
                    // Full history sends everything sendable.
                    if strategy == super::Strategy::FullHistory {
                        prop_assert!(planned.left_out.iter().all(|(_, r)| matches!(r, LeftOutReason::Failed | LeftOutReason::Empty)));
                    }
                    // Only an incomplete read or a real cut leaves older messages out.
                    prop_assert_eq!(
                        planned.older_left_out,
                        !input.complete || planned.left_out.iter().any(|(_, r)| *r == planned.older_reason)
                    );
                }
            }
        }
    }

    #[test]
    fn a_window_that_fits_starts_at_the_first_candidate() {
        let ms: Vec<Message> = (1..=6)
            .map(|i| message(i, Role::User, MessageStatus::Complete, 10, false))
            .collect();
        let input = Input {
            strategy: super::Strategy::SlidingWindow,
            budget: 1000,
            overhead: 5,
            system: None,
            summary: None,
            pinned: vec![],
            candidates: ms.iter().map(|m| (m, (10, true))).collect(),
            complete: true,
        };
        let planned = plan(&input).unwrap();
        assert_eq!(planned.window_start, 0);
        assert_eq!(planned.used, 6 * 15);
        assert!(!planned.older_left_out);
    }

    #[test]
    fn the_sliding_window_jumps_by_half_when_full() {
        let ms: Vec<Message> = (1..=20)
            .map(|i| message(i, Role::User, MessageStatus::Complete, 10, false))
            .collect();
        let input = Input {
            strategy: super::Strategy::SlidingWindow,
            budget: 150,
            overhead: 0,
            system: None,
            summary: None,
            pinned: vec![],
            candidates: ms.iter().map(|m| (m, (10, false))).collect(),
            complete: true,
        };
        let planned = plan(&input).unwrap();
        // The newest (10) plus half of the remaining 140 (7 messages of 10).
        assert_eq!(planned.window_start, 12);
        assert_eq!(planned.used, 80);
        assert!(planned.older_left_out);
    }
}
