//! Putting streamed tool calls back together: arguments split over many chunks, several calls in
//! one reply interleaved by `index`, a whole call in one chunk, and calls without an `id` (Confab
//! gives each one, so its result can answer it).

use super::types::ToolCallDelta;

/// A whole call, as the model asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssembledCall {
    /// The model's id, or `confab_N` when it gave none.
    pub id: String,
    pub name: String,
    /// The arguments as the model wrote them: JSON, or not (that is checked before running).
    pub arguments: String,
}

#[derive(Debug, Default)]
struct Partial {
    index: Option<u32>,
    id: Option<String>,
    name: String,
    arguments: String,
}

/// Collects a reply's [`ToolCallDelta`]s, in the order each call first appeared.
#[derive(Debug, Default)]
pub struct ToolCallAssembler {
    calls: Vec<Partial>,
}

impl ToolCallAssembler {
    pub fn push(&mut self, delta: ToolCallDelta) {
        let at = match delta.index {
            Some(index) => self.calls.iter().position(|c| c.index == Some(index)),
            // No index: a piece with a new id (or a name) starts a call, others go to the last.
            None => {
                let starts = delta.id.as_ref().is_some_and(|id| {
                    self.calls
                        .last()
                        .is_none_or(|c| c.id.as_deref() != Some(id.as_str()))
                }) || (delta.id.is_none()
                    && delta.name.is_some()
                    && self.calls.last().is_some_and(|c| !c.name.is_empty()));
                if starts {
                    None
                } else {
                    self.calls.len().checked_sub(1)
                }
            }
        };
        let call = match at {
            Some(i) => &mut self.calls[i],
            None => {
                self.calls.push(Partial {
                    index: delta.index,
                    ..Partial::default()
                });
                self.calls.last_mut().expect("just pushed")
            }
        };
        if call.id.is_none() {
            call.id = delta.id;
        }
        if let Some(name) = delta.name {
            if call.name != name {
                call.name.push_str(&name);
            }
        }
        call.arguments.push_str(&delta.arguments);
    }

    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// The calls, each with an id (`confab_<n>` for those that came without one, n counting the
    /// reply's calls from 0).
    pub fn finish(self) -> Vec<AssembledCall> {
        self.calls
            .into_iter()
            .enumerate()
            .map(|(n, c)| AssembledCall {
                id: c.id.unwrap_or_else(|| format!("confab_{n}")),
                name: c.name,
                arguments: c.arguments,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(
        index: Option<u32>,
        id: Option<&str>,
        name: Option<&str>,
        arguments: &str,
    ) -> ToolCallDelta {
        ToolCallDelta {
            index,
            id: id.map(Into::into),
            name: name.map(Into::into),
            arguments: arguments.into(),
        }
    }

    fn assemble(pieces: Vec<ToolCallDelta>) -> Vec<AssembledCall> {
        let mut calls = ToolCallAssembler::default();
        pieces.into_iter().for_each(|p| calls.push(p));
        calls.finish()
    }

    #[test]
    fn arguments_split_over_many_chunks() {
        let calls = assemble(vec![
            piece(Some(0), Some("call_1"), Some("files__read"), ""),
            piece(Some(0), None, None, "{\"pa"),
            piece(Some(0), None, None, "th\": \"/tm"),
            piece(Some(0), None, None, "p/x\"}"),
        ]);
        assert_eq!(
            calls,
            [AssembledCall {
                id: "call_1".into(),
                name: "files__read".into(),
                arguments: r#"{"path": "/tmp/x"}"#.into()
            }]
        );
    }

    #[test]
    fn parallel_calls_interleaved_by_index() {
        let calls = assemble(vec![
            piece(Some(0), Some("a"), Some("t__one"), "{\"x\":"),
            piece(Some(1), Some("b"), Some("t__two"), "{\"y\":"),
            piece(Some(0), None, None, "1}"),
            piece(Some(1), None, None, "2}"),
        ]);
        assert_eq!(calls.len(), 2);
        assert_eq!(
            (calls[0].name.as_str(), calls[0].arguments.as_str()),
            ("t__one", r#"{"x":1}"#)
        );
        assert_eq!(
            (calls[1].name.as_str(), calls[1].arguments.as_str()),
            ("t__two", r#"{"y":2}"#)
        );
    }

    #[test]
    fn whole_calls_without_ids_or_indexes_get_confab_ids() {
        let calls = assemble(vec![
            piece(None, None, Some("t__one"), r#"{"x":1}"#),
            piece(None, None, Some("t__two"), r#"{"y":2}"#),
        ]);
        assert_eq!(calls[0].id, "confab_0");
        assert_eq!(calls[1].id, "confab_1");
        assert_eq!(calls[1].arguments, r#"{"y":2}"#);
        // An id repeated on every piece is one call.
        let calls = assemble(vec![
            piece(None, Some("c"), Some("t__one"), "{\"x\""),
            piece(None, Some("c"), None, ":1}"),
        ]);
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].arguments, r#"{"x":1}"#);
    }
}
