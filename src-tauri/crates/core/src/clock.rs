//! Injected time: everything that stamps or compares times asks a [`Clock`], so tests are exact.

use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;

    /// Time since a fixed point in this process, for measuring how long something took: unlike
    /// [`Clock::now`] it never goes back when the system's time is changed.
    fn monotonic(&self) -> std::time::Duration {
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed()
    }
}

/// The real time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to; for tests.
#[derive(Debug)]
pub struct ManualClock(Mutex<ManualTime>);

#[derive(Debug)]
struct ManualTime {
    now: DateTime<Utc>,
    /// How far the clock has been moved forward in all: its [`Clock::monotonic`] reading.
    forward: std::time::Duration,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Mutex::new(ManualTime {
            now: start,
            forward: std::time::Duration::ZERO,
        }))
    }

    fn time(&self) -> std::sync::MutexGuard<'_, ManualTime> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves the clock forward (or back, for a negative duration; the monotonic reading stays).
    pub fn advance(&self, by: Duration) {
        let mut time = self.time();
        time.now += by;
        if let Ok(forward) = by.to_std() {
            time.forward += forward;
        }
    }

    /// Sets the wall-clock time; the monotonic reading stays, as a real one would.
    pub fn set(&self, to: DateTime<Utc>) {
        self.time().now = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.time().now
    }

    fn monotonic(&self) -> std::time::Duration {
        self.time().forward
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let start = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::seconds(90));
        assert_eq!(clock.now(), start + Duration::seconds(90));
        clock.set(start);
        assert_eq!(clock.now(), start);
        assert_eq!(clock.monotonic(), std::time::Duration::from_secs(90));
        clock.advance(Duration::seconds(-30));
        assert_eq!(clock.monotonic(), std::time::Duration::from_secs(90));
        clock.advance(Duration::milliseconds(250));
        assert_eq!(clock.monotonic(), std::time::Duration::from_millis(90_250));
    }

    #[test]
    fn the_system_clock_measures_forward() {
        let a = SystemClock.monotonic();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert!(SystemClock.monotonic() >= a + std::time::Duration::from_millis(5));
    }
}
