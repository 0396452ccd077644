//! Enter → first token painted, with the stages on the way.

use confab_test_support::fault::{delta, finish, FaultServer, Reply, DONE};
use confab_tests::{App, Result};
use serde_json::{json, Value};

use crate::page::{arm, new_chat, probe, send, turn_done};

const FIRST_TOKEN_SENDS: usize = 30;

pub async fn first_token(app: &App, server: &FaultServer) -> Result<Vec<FirstToken>> {
    new_chat(app).await?;
    let mut latencies = Vec::new();
    for i in 0..FIRST_TOKEN_SENDS {
        let marker = format!("tok{i}x");
        server.chat([Reply::sse([
            delta(&format!("{marker} ")),
            delta("and "),
            delta("the rest."),
            finish("stop"),
            DONE.to_owned(),
        ])]);
        let question = format!("Question {i}");
        arm(
            app,
            json!({ "kind": "first", "marker": marker, "question": question, "enterAt": null,
                    "startedAt": null, "domAt": null, "paintedAt": null, "finished": false }),
        )
        .await?;
        send(app, &question).await?;
        turn_done(app, &question).await?;
        let p = app
            .eventually("the first token to be painted", || async {
                let p = probe(app).await?;
                Ok((!p["paintedAt"].is_null()).then_some(p))
            })
            .await?;
        let enter = number(&p["enterAt"])?;
        latencies.push(FirstToken {
            started: number(&p["startedAt"])? - enter,
            in_dom: number(&p["domAt"])? - enter,
            painted: number(&p["paintedAt"])? - enter,
        });
    }
    Ok(latencies)
}

pub fn painted(sends: &[FirstToken]) -> Vec<f64> {
    sends.iter().map(|s| s.painted).collect()
}

/// One send's stages, in ms after Enter went down.
pub struct FirstToken {
    /// The question and an empty reply are on screen (saved, and the request under way).
    pub started: f64,
    /// The first token's text is in the reply's DOM.
    pub in_dom: f64,
    /// The frame that shows it has been rendered.
    pub painted: f64,
}

pub fn number(v: &Value) -> Result<f64> {
    v.as_f64()
        .ok_or_else(|| format!("expected a number, got {v}").into())
}
