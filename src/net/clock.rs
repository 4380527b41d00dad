//! The scenario clock: tokio's clock (paused and virtual in a simulation,
//! real when serving) offset to the scenario's wall-clock start. Below both
//! `env.rs` (which hands it to every host) and `net/` (whose tap stamps
//! captured segments with it).

use chrono::{DateTime, FixedOffset, NaiveDateTime, NaiveTime};
use tokio::time::Instant;

#[derive(Clone)]
pub struct Clock {
    start_wall: DateTime<FixedOffset>,
    start: Instant,
    /// The start's UTC second of the day and nanosecond (below 10^9: not
    /// in a leap second), for the quick sum within the start's UTC day.
    day_start: Option<(u32, u32)>,
}

impl Clock {
    pub fn new(start_wall: DateTime<FixedOffset>) -> Self {
        let t = start_wall.naive_utc().time();
        let (secs, nanos) = (chrono::Timelike::num_seconds_from_midnight(&t), chrono::Timelike::nanosecond(&t));
        Clock { start_wall, start: Instant::now(), day_start: (nanos < 1_000_000_000).then_some((secs, nanos)) }
    }
    pub fn now(&self) -> DateTime<FixedOffset> {
        Self::at(self.start_wall, self.day_start, Instant::now().saturating_duration_since(self.start))
    }
    /// `start_wall` moved on by `el`. Every event reads the clock: within
    /// the start's UTC day (a serve's first day, every scenario that does
    /// not run past midnight) the time of day is summed and the date kept,
    /// without chrono's date arithmetic.
    fn at(
        start_wall: DateTime<FixedOffset>,
        day_start: Option<(u32, u32)>,
        el: std::time::Duration,
    ) -> DateTime<FixedOffset> {
        if let Some((secs, nanos)) = day_start {
            let nanos = u64::from(nanos) + u64::from(el.subsec_nanos());
            let secs = u64::from(secs).saturating_add(el.as_secs()).saturating_add(nanos / 1_000_000_000);
            if secs < 86_400
                && let Some(time) =
                    NaiveTime::from_num_seconds_from_midnight_opt(secs as u32, (nanos % 1_000_000_000) as u32)
            {
                let naive = NaiveDateTime::new(start_wall.naive_utc().date(), time);
                return DateTime::from_naive_utc_and_offset(naive, *start_wall.offset());
            }
        }
        // Scenarios cap their durations (scenario::load::MAX_STEPS_TIME); past chrono's range the clock stops.
        chrono::Duration::from_std(el).ok().and_then(|d| start_wall.checked_add_signed(d)).unwrap_or(start_wall)
    }
    pub fn elapsed(&self) -> std::time::Duration {
        Instant::now().saturating_duration_since(self.start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_quick_sum_is_chrono_s() {
        let starts = [
            "2026-04-01T10:00:00+09:00",
            "2026-04-01T23:59:59.999+00:00",
            "2026-12-31T23:59:58.5-05:00",
            "2026-04-01T00:00:00+14:00",
            "2026-04-01T08:59:59.999999999+09:00",
        ];
        let els = [
            0,
            1,
            999_999_999,
            1_000_000_000,
            1_500_000_000,
            3_600_000_000_000,
            86_399_000_000_000,
            86_400_000_000_000,
            200_000_000_000_000,
        ];
        for s in starts {
            let start = DateTime::parse_from_rfc3339(s).expect("a time");
            let c = Clock::new(start);
            assert!(c.day_start.is_some());
            for el in els {
                let el = Duration::from_nanos(el);
                let want = start + chrono::Duration::from_std(el).expect("in range");
                let got = Clock::at(start, c.day_start, el);
                assert_eq!(got, want, "{s} + {el:?}");
                assert_eq!(got.offset(), want.offset());
                assert_eq!(got.to_rfc3339(), want.to_rfc3339());
            }
        }
    }
}
