//! One end-to-end test at a time in a process, whatever `--test-threads` says.
//!
//! The tests share one X display, its clipboard and two CPU cores, and their timeouts assume that
//! the app (or llama.cpp's server, which takes every core while it answers) has them to itself.
//! So each resource a test holds ([`crate::DataDir`], [`crate::App`],
//! [`crate::llama::LlamaServer`]) holds a [`Turn`] too, and the next test waits until the last
//! one is gone. Turns are counted per thread: libtest runs each test on its own thread and
//! `#[tokio::test]` polls the test's body there, so one test may hold several at once.

use std::sync::{Condvar, Mutex, PoisonError};
use std::thread::{self, ThreadId};

struct Holder {
    thread: Option<ThreadId>,
    turns: usize,
}

static HOLDER: Mutex<Holder> = Mutex::new(Holder {
    thread: None,
    turns: 0,
});
static RELEASED: Condvar = Condvar::new();

/// The current test's right to the machine, given back when dropped.
#[derive(Debug)]
pub struct Turn(());

impl Turn {
    /// Waits until no other thread holds a turn, then takes one.
    pub fn take() -> Self {
        let me = thread::current().id();
        // A test that panicked still gave its turns back while unwinding: the state is sound.
        let mut holder = HOLDER.lock().unwrap_or_else(PoisonError::into_inner);
        while holder.thread.is_some_and(|thread| thread != me) {
            holder = RELEASED
                .wait(holder)
                .unwrap_or_else(PoisonError::into_inner);
        }
        holder.thread = Some(me);
        holder.turns += 1;
        Self(())
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut holder = HOLDER.lock().unwrap_or_else(PoisonError::into_inner);
        holder.turns -= 1;
        if holder.turns == 0 {
            holder.thread = None;
            RELEASED.notify_all();
        }
    }
}
