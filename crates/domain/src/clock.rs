//! Time as a parameter. Every part of safeguard that needs "now" or "today" asks a [`Clock`], so
//! deadlines and audit stamps can be tested with a [`FixedClock`] instead of the wall clock.
//!
//! [`SystemClock::now`] is the only place in the codebase that reads the system time.

use std::sync::{Mutex, MutexGuard, PoisonError};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// The time zone statutory deadlines are counted in.
const LONDON: &str = "Europe/London";

/// The time zone statutory deadlines are counted in, or UTC if the time zone database is not
/// available on this machine.
pub fn london() -> TimeZone {
    TimeZone::get(LONDON).unwrap_or(TimeZone::UTC)
}

/// The civil date in England of an instant (Europe/London).
pub fn london_date(ts: Timestamp) -> Date {
    ts.to_zoned(london()).date()
}

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> Timestamp;

    /// Today's date in England (Europe/London, so 23:30 UTC in summer is already tomorrow).
    ///
    /// Falls back to the UTC date if the time zone database is not available on this machine,
    /// which can put the date out by one for an hour around midnight in summer.
    fn today(&self) -> Date {
        london_date(self.now())
    }
}

/// The real wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        // The one call to the system time in the whole codebase: everything else is handed a
        // Clock.
        Timestamp::now()
    }
}

/// A clock that stands still until told to move, for tests and demos.
#[derive(Debug)]
pub struct FixedClock(Mutex<Timestamp>);

impl FixedClock {
    /// A clock showing `ts`.
    pub fn new(ts: Timestamp) -> FixedClock {
        FixedClock(Mutex::new(ts))
    }

    /// Moves the clock to `ts` (backwards is allowed).
    pub fn set(&self, ts: Timestamp) {
        *self.lock() = ts;
    }

    /// Moves the clock by `by` (negative moves it back), stopping at the ends of the range jiff
    /// supports rather than overflowing.
    pub fn advance(&self, by: SignedDuration) {
        let mut now = self.lock();
        let moved = now.saturating_add(by).unwrap_or(*now);
        *now = moved;
    }

    /// The stored time. A panic while the lock was held cannot leave a `Timestamp` half-written,
    /// so a poisoned lock is safe to use.
    fn lock(&self) -> MutexGuard<'_, Timestamp> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *self.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn fixed_clock_stands_still_and_moves_when_told() {
        let clock = FixedClock::new(ts("2025-06-01T09:00:00Z"));
        assert_eq!(clock.now(), ts("2025-06-01T09:00:00Z"));
        clock.advance(SignedDuration::from_hours(25));
        assert_eq!(clock.now(), ts("2025-06-02T10:00:00Z"));
        clock.advance(SignedDuration::from_hours(-1));
        assert_eq!(clock.now(), ts("2025-06-02T09:00:00Z"));
        clock.set(ts("2020-01-01T00:00:00Z"));
        assert_eq!(clock.now(), ts("2020-01-01T00:00:00Z"));
    }

    #[test]
    fn advance_saturates_instead_of_overflowing() {
        let clock = FixedClock::new(Timestamp::MAX);
        clock.advance(SignedDuration::from_hours(1));
        assert_eq!(clock.now(), Timestamp::MAX);
    }

    #[test]
    fn today_is_the_london_date() {
        // 23:30 UTC on 1 July is 00:30 BST on 2 July.
        let summer = FixedClock::new(ts("2025-07-01T23:30:00Z"));
        assert_eq!(summer.today(), date(2025, 7, 2));
        // In winter London is on UTC.
        let winter = FixedClock::new(ts("2025-01-01T23:30:00Z"));
        assert_eq!(winter.today(), date(2025, 1, 1));
    }

    #[test]
    fn system_clock_reads_a_plausible_time() {
        let now = SystemClock.now();
        assert!(now > ts("2025-01-01T00:00:00Z"));
        assert!(SystemClock.today() >= date(2025, 1, 1));
    }

    #[test]
    fn clocks_work_as_trait_objects() {
        let clock: std::sync::Arc<dyn Clock> =
            std::sync::Arc::new(FixedClock::new(ts("2025-03-30T00:59:59Z")));
        assert_eq!(clock.today(), date(2025, 3, 30));
    }
}
