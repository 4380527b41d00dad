//! Rewinding in the lab bench is re-running the same seed to an earlier
//! point. This measures what that costs: for every shipped scenario (or the
//! files given), the time to rebuild the state at each of N evenly spread
//! events (a fresh Lab, run to the event, snapshot), and the worst case.
//!
//!     cargo run --release --example rewind [-- FILE...]
//!
//! Prints figures, asserts nothing (see bench/RESULTS.md).

use maillab::lab::{Lab, RunOptions, Until};
use std::time::Instant;

fn main() {
    let mut files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        let mut v: Vec<String> = std::fs::read_dir("scenarios")
            .map(|d| d.flatten().map(|e| e.path().display().to_string()).filter(|p| p.ends_with(".yaml")).collect())
            .unwrap_or_default();
        v.sort();
        files = v;
    }
    println!("{:<34} {:>7} {:>10} {:>10} {:>10}", "scenario", "events", "full ms", "mean ms", "worst ms");
    for f in files {
        let sc = match maillab::scenario::load_file(std::path::Path::new(&f)) {
            Ok(sc) => sc,
            Err(d) => {
                eprintln!("{d}");
                continue;
            }
        };
        let opts = RunOptions { wire: false };
        let t = Instant::now();
        let total = match Lab::new(&sc, opts) {
            Ok(lab) => lab.finish().events.len(),
            Err(e) => {
                eprintln!("{f}: {e}");
                continue;
            }
        };
        let full = t.elapsed().as_secs_f64() * 1000.0;
        // Up to 50 points spread over the run, the last one included.
        let points: Vec<usize> = (1..=50usize).map(|i| (total * i / 50).max(1)).collect();
        let (mut sum, mut worst) = (0.0f64, 0.0f64);
        for &p in &points {
            let t = Instant::now();
            if let Ok(mut lab) = Lab::new(&sc, opts) {
                lab.run_until(Until::Event(p));
                std::hint::black_box(lab.snapshot());
            }
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            sum += ms;
            worst = worst.max(ms);
        }
        println!("{:<34} {:>7} {:>10.2} {:>10.2} {:>10.2}", f, total, full, sum / points.len() as f64, worst);
    }
}
