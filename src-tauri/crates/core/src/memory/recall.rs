//! The recall step of the context builder (the `recall` strategy): which earlier turns go into
//! the retrieved-history block, and the block itself.
//!
//! 1. Find: the conversation's messages older than the window with words of the new message
//!    (BM25), and those closest in meaning (cosine similarity of embedding vectors), 20 each.
//! 2. Fuse by reciprocal rank: `Σ 1 / (60 + rank)` over the two lists. RRF needs no calibration
//!    between a BM25 score and a cosine similarity, and a message found both ways comes first.
//! 3. Take whole turns (a question with its answer), best first, while they fit in the share of
//!    the budget ([`RECALL_SHARE`]); what was found and did not fit is reported as left out.
//! 4. Send them in chronological order, in one block at the start of the newest user message,
//!    which tells the model it is retrieved history. There, the block changes only the end of the
//!    prompt: the system prompt, summary and window before it stay a byte-identical prefix of the
//!    previous request (the server's prompt cache), and no chat template sees a second system
//!    message or two user messages in a row.

use std::collections::{HashMap, HashSet};

use chrono::SecondsFormat;
use tokio_util::task::AbortOnDropHandle;

use super::report::{RecallCandidate, RecallReport, RecallSource};
use super::tokens::Counter;
use crate::llm::LlmClient;
use crate::recall::{Recall, RecallError};
use crate::settings::RecallSettings;
use crate::store::{topic_words, ConversationId, Message, MessageId, Role, Store, StoreError};

/// Recall takes at most this share of the budget (1/4): the window keeps at least the rest, so
/// the conversation's flow (the newest turns, which matter most) is never crowded out, while a
/// 4,096-token context still has room for three or four recalled turns.
pub const RECALL_SHARE: u64 = 4;
/// How many messages each half of the search finds.
const FOUND_PER_SOURCE: u32 = 20;
/// The reciprocal-rank-fusion constant (the usual 60, from Cormack et al. 2009).
const RRF_K: f64 = 60.0;
/// Tokens a block entry's heading ("[user, 2026-03-04]") is counted at, on top of its text.
const ENTRY_TOKENS: u64 = 12;

/// The block's opening and closing lines.
pub const BLOCK_START: &str = "<retrieved_history>\nEarlier messages of this conversation, \
     retrieved because they may be relevant to the message after this block. They are older than \
     the recent turns above; use them only if they help.";
pub const BLOCK_END: &str = "</retrieved_history>";

/// A turn chosen for the block.
pub(super) struct Chosen {
    /// The turn's messages, oldest first, each with its score and source.
    pub messages: Vec<(Message, f64, RecallSource, (u64, bool))>,
    pub why: String,
}

pub(super) struct Outcome {
    /// Oldest first.
    pub chosen: Vec<Chosen>,
    pub report: RecallReport,
}

pub(super) struct Ask<'a> {
    pub store: &'a Store,
    pub recall: &'a Recall,
    pub client: Option<&'a LlmClient>,
    pub settings: &'a RecallSettings,
    pub counter: &'a Counter<'a>,
    pub conversation_id: ConversationId,
    /// The message recall looks for: the newest user message.
    pub prompt: &'a Message,
    /// Only messages older than this (the window's first).
    pub before: MessageId,
    /// Messages already sent (pinned).
    pub sent: HashSet<MessageId>,
    pub share: u64,
}

struct Found {
    id: MessageId,
    score: f64,
    source: RecallSource,
    word_rank: Option<usize>,
    similarity: Option<f32>,
}

pub(super) async fn recall(ask: Ask<'_>) -> Result<Outcome, StoreError> {
    let terms = topic_words(&ask.prompt.content);
    // The two halves at once: the word search is a task of its own (its queries run on SQLite's
    // threads) while the vectors are compared on this one. Dropped with this request.
    let words = {
        let (store, terms) = (ask.store.clone(), terms.clone());
        let (conversation_id, before) = (ask.conversation_id, ask.before);
        AbortOnDropHandle::new(tokio::spawn(async move {
            store
                .recall_words(conversation_id, &terms, before, FOUND_PER_SOURCE)
                .await
        }))
    };
    let (by_meaning, embedding_model, words_only_reason) = by_meaning(&ask).await?;
    let by_words = match words.await {
        Ok(found) => found?,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    };

    // Reciprocal rank fusion.
    let mut found: Vec<Found> = Vec::new();
    for (rank, (id, _)) in by_words.iter().enumerate() {
        found.push(Found {
            id: *id,
            score: 1.0 / (RRF_K + rank as f64 + 1.0),
            source: RecallSource::Words,
            word_rank: Some(rank + 1),
            similarity: None,
        });
    }
    for (rank, (id, similarity)) in by_meaning.iter().enumerate() {
        let score = 1.0 / (RRF_K + rank as f64 + 1.0);
        match found.iter_mut().find(|f| f.id == *id) {
            Some(f) => {
                f.score += score;
                f.source = RecallSource::Both;
                f.similarity = Some(*similarity);
            }
            None => found.push(Found {
                id: *id,
                score,
                source: RecallSource::Vectors,
                word_rank: None,
                similarity: Some(*similarity),
            }),
        }
    }
    found.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.id.0.cmp(&a.id.0)));
    let found_count = found.len();

    // Whole turns, best first, while they fit.
    let block_cost = ask.counter.count_text(BLOCK_START).await.0 + 4;
    let mut used = 0u64;
    let mut taken: HashSet<MessageId> = HashSet::new();
    let mut chosen: Vec<Chosen> = Vec::new();
    let mut left_out: Vec<RecallCandidate> = Vec::new();
    let ids: Vec<MessageId> = found.iter().map(|f| f.id).collect();
    let around = ask
        .store
        .messages_with_neighbours(ask.conversation_id, &ids, ask.before)
        .await?;
    // Every found message's turn, and the tokens of all their messages counted in one go (one
    // read of the cached counts, where a count per turn was a query each).
    let turns: Vec<Vec<Message>> = found
        .iter()
        .map(|f| {
            turn_of(&around, f.id)
                .into_iter()
                .filter(|m| !ask.sent.contains(&m.id))
                .filter(super::plan::sendable)
                .collect()
        })
        .collect();
    let mut unique: Vec<Message> = turns.iter().flatten().cloned().collect();
    unique.sort_by_key(|m| m.id);
    unique.dedup_by_key(|m| m.id);
    let tokens: HashMap<MessageId, (u64, bool)> = unique
        .iter()
        .map(|m| m.id)
        .zip(ask.counter.count_messages(&unique).await?)
        .collect();
    for ((place, f), turn) in found.iter().enumerate().zip(turns) {
        if taken.contains(&f.id) {
            continue;
        }
        let turn: Vec<Message> = turn
            .into_iter()
            .filter(|m| !taken.contains(&m.id))
            .collect();
        if turn.is_empty() {
            continue;
        }
        let counts: Vec<(u64, bool)> = turn.iter().map(|m| tokens[&m.id]).collect();
        let cost: u64 = counts.iter().map(|c| c.0 + ENTRY_TOKENS).sum::<u64>()
            + if chosen.is_empty() { block_cost } else { 0 };
        if used + cost > ask.share {
            left_out.push(RecallCandidate {
                message_id: f.id,
                score: f.score,
                source: f.source,
                tokens: cost,
            });
            continue;
        }
        used += cost;
        let why = why(f, place, found_count, &terms, &turn);
        let messages = turn
            .into_iter()
            .zip(counts)
            .map(|(m, c)| {
                taken.insert(m.id);
                let (score, source) = if m.id == f.id {
                    (f.score, f.source)
                } else {
                    (0.0, RecallSource::Turn)
                };
                (m, score, source, c)
            })
            .collect();
        chosen.push(Chosen { messages, why });
    }
    chosen.sort_by_key(|c| c.messages[0].0.id);
    Ok(Outcome {
        chosen,
        report: RecallReport {
            embedding_model,
            words_only_reason,
            share: ask.share,
            used,
            found: found_count as u32,
            left_out,
        },
    })
}

/// The vector half: the messages closest in meaning to the prompt, the model used, or why none.
async fn by_meaning(
    ask: &Ask<'_>,
) -> Result<(Vec<(MessageId, f32)>, Option<String>, Option<String>), StoreError> {
    let Some(client) = ask.client else {
        return Ok((
            Vec::new(),
            None,
            Some("no server to make embeddings (offline)".into()),
        ));
    };
    let embedder = match ask.recall.embedder(ask.settings, client).await {
        Ok(e) => e,
        Err(why) => return Ok((Vec::new(), None, Some(why))),
    };
    let query = match ask
        .recall
        .message_vector(ask.store, &embedder, ask.prompt.id, &ask.prompt.content)
        .await
    {
        Ok(Some(v)) => v,
        Ok(None) => return Ok((Vec::new(), Some(embedder.key), None)),
        Err(RecallError::Store(e)) => return Err(e),
        Err(err) => {
            let why = format!("the embedding model could not be used this time: {err}");
            if let RecallError::Llm(crate::llm::LlmError::NoEmbeddings { .. }) = err {
                ask.recall.embedder_failed(&embedder, why.clone());
            }
            return Ok((Vec::new(), None, Some(why)));
        }
    };
    let similar = ask
        .recall
        .similar(
            ask.store,
            ask.conversation_id,
            &embedder.key,
            &query,
            ask.before,
            FOUND_PER_SOURCE as usize,
        )
        .await?;
    Ok((similar, Some(embedder.key), None))
}

/// The turn a message belongs to: a question with the answer after it, an answer with the
/// question before it. `around` is what [`Store::messages_with_neighbours`] read for every
/// message found, oldest first, so a message's neighbours there are its neighbours in the chat
/// (the next one only if it is older than the window); a message not in it (hidden, or from
/// another chat), and a system message, has no turn.
fn turn_of(around: &[Message], id: MessageId) -> Vec<Message> {
    let Ok(at) = around.binary_search_by_key(&id, |m| m.id) else {
        return Vec::new();
    };
    let message = around[at].clone();
    match message.role {
        Role::User => {
            let mut turn = vec![message];
            turn.extend(
                around
                    .get(at + 1)
                    .filter(|m| m.role == Role::Assistant)
                    .cloned(),
            );
            turn
        }
        Role::Assistant => {
            let mut turn: Vec<Message> = at
                .checked_sub(1)
                .map(|p| &around[p])
                .filter(|m| m.role == Role::User)
                .cloned()
                .into_iter()
                .collect();
            turn.push(message);
            turn
        }
        // Recall brings back what was said in the chat's turns, not instructions.
        Role::System => Vec::new(),
    }
}

/// Why a turn made the cut, for a person.
fn why(f: &Found, place: usize, found: usize, terms: &[String], turn: &[Message]) -> String {
    let mut reasons = Vec::new();
    if let Some(rank) = f.word_rank {
        let text = turn
            .iter()
            .find(|m| m.id == f.id)
            .map(|m| m.content.to_lowercase())
            .unwrap_or_default();
        let matched: Vec<&str> = terms
            .iter()
            .filter(|t| text.contains(t.as_str()))
            .take(5)
            .map(String::as_str)
            .collect();
        reasons.push(if matched.is_empty() {
            format!("word match #{rank}")
        } else {
            format!("word match #{rank} ({})", matched.join(", "))
        });
    }
    if let Some(s) = f.similarity {
        reasons.push(format!("similar in meaning ({s:.2})"));
    }
    format!(
        "recalled: {}; {} of {found} found",
        reasons.join(" and "),
        ordinal(place + 1)
    )
}

fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The block's text for the chosen turns (oldest first), and each message's entry.
pub(super) fn block(chosen: &[Chosen]) -> (String, Vec<String>) {
    let entries: Vec<String> = chosen
        .iter()
        .flat_map(|c| c.messages.iter())
        .map(|(m, ..)| {
            format!(
                "[{}, {}]\n{}",
                m.role.as_str(),
                m.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                m.content
            )
        })
        .collect();
    let text = format!("{BLOCK_START}\n\n{}\n{BLOCK_END}\n\n", entries.join("\n\n"));
    (text, entries)
}

#[cfg(test)]
mod tests {
    use super::ordinal;

    #[test]
    fn ordinals_read_right() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 101].map(ordinal).to_vec();
        assert_eq!(
            got,
            ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st"]
        );
    }
}
