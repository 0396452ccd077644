//! What the benchmark does in the page: its probe, and sending a message as a person would.

use confab_tests::fantoccini::key::Key;
use confab_tests::fantoccini::Locator;
use confab_tests::{App, Result};
use serde_json::Value;

use crate::APP_READY;

/// Installs the page's probe: a capturing `keydown` listener notes when Enter went down, and a
/// `MutationObserver` watches the newest reply. Each measurement arms `__bench.probe`.
///
/// "Painted" is the end of the rendering update in which text entered the DOM: the app applies a
/// reply's deltas in `requestAnimationFrame` callbacks, and both a task queued from there and the
/// next frame's callbacks run after that frame's style, layout and paint (the first token is
/// timed by whichever runs first; other queued work can delay either).
const PROBE: &str = r#"
if (!window.__bench) {
  const b = window.__bench = { probe: null };
  const afterPaint = (f) => {
    const c = new MessageChannel();
    c.port1.onmessage = () => f(performance.now());
    c.port2.postMessage(null);
  };
  // The end of an element's text, from its last text nodes: the whole `textContent` of a long
  // reply on every frame would be the benchmark's own garbage (megabytes a second), not the app's.
  const tail = (root, length) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    let text = '';
    for (let n = walker.lastChild(); n; n = walker.previousNode()) {
      text = n.data + text;
      if (text.length >= length) break;
    }
    return text;
  };
  const newestReply = () => {
    const all = document.querySelectorAll('[data-testid=message][data-role=assistant]');
    const m = all[all.length - 1];
    return m ? m.querySelector('[data-testid=message-content]') : null;
  };
  addEventListener('keydown', (e) => {
    const p = b.probe;
    if (p && e.key === 'Enter' && p.enterAt === null) p.enterAt = performance.now();
  }, true);
  new MutationObserver(() => {
    const p = b.probe;
    if (!p || p.enterAt === null || p.finished) return;
    const c = newestReply();
    if (p.kind === 'first') {
      // The stages: the reply shown as started (the question saved), then its first token.
      const all = document.querySelectorAll('[data-testid=message]');
      const reply = all[all.length - 1], asked = all[all.length - 2];
      if (p.startedAt === null && reply && asked && reply.dataset.role === 'assistant'
          && asked.querySelector('[data-testid=message-content]')?.textContent === p.question) {
        p.startedAt = performance.now();
      }
      if (c && c.textContent.includes(p.marker)) {
        p.finished = true;
        p.domAt = performance.now();
        // Painted by whichever comes first: a task after this rendering update, or the start
        // of the next one.
        const painted = (t) => (p.paintedAt = p.paintedAt === null ? t : Math.min(p.paintedAt, t));
        afterPaint(painted);
        requestAnimationFrame(painted);
      }
      return;
    }
    if (!c) return;
    // Streaming: tokens are "w0 w1 …", in order, so the last one says how many are shown.
    const m = /w(\d+)\D*$/.exec(tail(c, 60));
    const count = m ? Number(m[1]) + 1 : 0;
    if (count > p.count) {
      p.count = count;
      afterPaint((t) => p.samples.push([t, count]));
      if (count >= p.n) p.finished = true;
    }
  }).observe(document.body, { childList: true, subtree: true, characterData: true });
}
"#;

/// True once the turn that sent `arguments[0]` has its reply complete and the composer is ready
/// for the next message; waits in the page for up to 20 s. The reply is the chat's last message,
/// newer than any message shown before the send ([`send`] notes the newest); its question, when
/// it is in the page (a long reply's question may have left it: the conversation keeps only the
/// messages near the viewport), is the text sent.
const TURN_DONE: &str = r#"
const [text, done] = arguments;
const ready = () => {
  const all = document.querySelectorAll('[data-testid=message]');
  const reply = all[all.length - 1];
  if (!reply || Number(reply.dataset.messageId) <= (window.__benchNewest ?? 0)) return false;
  const asked = document.querySelector(`[data-message-id="${Number(reply.dataset.messageId) - 1}"]`);
  const composer = document.querySelector('[data-testid=composer]');
  const send = document.querySelector('[data-testid=send]');
  return reply.dataset.role === 'assistant' && reply.dataset.status === 'complete'
    && (asked === null || (asked.dataset.role === 'user'
        && asked.querySelector('[data-testid=message-content]')?.textContent === text))
    && composer !== null && composer.value === ''
    && send !== null && send.textContent.trim() === 'Send';
};
if (ready()) { done(true); return; }
const observer = new MutationObserver(() => {
  if (ready()) { observer.disconnect(); clearTimeout(timer); done(true); }
});
const timer = setTimeout(() => { observer.disconnect(); done(ready()); }, 20000);
observer.observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true });
"#;

pub async fn install_probe(app: &App) -> Result<()> {
    app.client.execute(PROBE, vec![]).await?;
    Ok(())
}

pub async fn arm(app: &App, probe: Value) -> Result<()> {
    app.client
        .execute("window.__bench.probe = arguments[0];", vec![probe])
        .await?;
    Ok(())
}

pub async fn probe(app: &App) -> Result<Value> {
    Ok(app
        .client
        .execute("return window.__bench.probe", vec![])
        .await?)
}

pub async fn new_chat(app: &App) -> Result<()> {
    app.wait_for(Locator::Css(APP_READY)).await?.click().await?;
    // A fresh chat shows its empty state; wait for it so that the next keys go to this chat.
    app.eventually("the new chat to open", || async {
        let empty = app
            .client
            .execute(
                "return document.querySelectorAll('[data-testid=message]').length === 0
                    && document.querySelector('[data-testid=composer]') !== null",
                vec![],
            )
            .await?;
        Ok((empty == Value::Bool(true)).then_some(()))
    })
    .await
}

/// Types `text` into the composer and presses Enter (real key events, through WebDriver).
pub async fn send(app: &App, text: &str) -> Result<()> {
    let composer = app.wait_for(Locator::Css("[data-testid=composer]")).await?;
    // The newest message shown now: the reply [`turn_done`] waits for is newer.
    app.client
        .execute(
            "window.__benchNewest = Math.max(0, ...Array.from(
               document.querySelectorAll('[data-message-id]'), (m) => Number(m.dataset.messageId)));",
            vec![],
        )
        .await?;
    composer
        .send_keys(&format!("{text}{}", char::from(Key::Enter)))
        .await?;
    Ok(())
}

pub async fn turn_done(app: &App, text: &str) -> Result<()> {
    let done = app
        .client
        .execute_async(TURN_DONE, vec![text.into()])
        .await?;
    if done != Value::Bool(true) {
        return Err(format!("the reply to {text:?} did not complete within 20 s").into());
    }
    Ok(())
}
