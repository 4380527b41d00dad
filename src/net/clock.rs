//! The scenario clock: tokio's clock (paused and virtual in a simulation,
//! real when serving) offset to the scenario's wall-clock start. Below both
//! `env.rs` (which hands it to every host) and `net/` (whose tap stamps
//! captured segments with it).

use chrono::{DateTime, FixedOffset};
use tokio::time::Instant;

#[derive(Clone)]
pub struct Clock {
    start_wall: DateTime<FixedOffset>,
    start: Instant,
}

impl Clock {
    pub fn new(start_wall: DateTime<FixedOffset>) -> Self {
        Clock { start_wall, start: Instant::now() }
    }
    pub fn now(&self) -> DateTime<FixedOffset> {
        let el = Instant::now().saturating_duration_since(self.start);
        // Scenarios cap their durations (scenario::load::MAX_STEPS_TIME); past chrono's range the clock stops.
        chrono::Duration::from_std(el)
            .ok()
            .and_then(|d| self.start_wall.checked_add_signed(d))
            .unwrap_or(self.start_wall)
    }
    pub fn elapsed(&self) -> std::time::Duration {
        Instant::now().saturating_duration_since(self.start)
    }
}
