//! The browser lab's answer times (issue 14), measured on the same objects
//! the server uses (the event index, the lab worker thread), without HTTP:
//!
//! - first paint: run the scenario to the end, build the index, start the
//!   worker, then meta + the first page of events + the state at 0;
//! - a step forward or back by one event at several places of the run,
//!   straight after one another and with a 150 ms pause between steps (a
//!   student pressing a key: the worker rebuilds checkpoints in the pauses);
//! - a jump back to 50 random positions.
//!
//!     cargo run --release --example web [-- FILE...]
//!
//! Without files: every shipped scenario. Prints figures, asserts nothing
//! (see bench/RESULTS.md).

use maillab::lesson::Lang;
use maillab::web::App;
use maillab::web::index::Filter;
use std::time::{Duration, Instant};

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

struct Stats(Vec<f64>);

impl Stats {
    fn show(&self) -> String {
        let n = self.0.len().max(1) as f64;
        let mean = self.0.iter().sum::<f64>() / n;
        let worst = self.0.iter().copied().fold(0.0, f64::max);
        format!("mean {mean:7.2} ms  worst {worst:7.2} ms  ({} steps)", self.0.len())
    }
}

fn main() {
    let mut files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        let mut v: Vec<String> = std::fs::read_dir("scenarios")
            .map(|d| d.flatten().map(|e| e.path().display().to_string()).filter(|p| p.ends_with(".yaml")).collect())
            .unwrap_or_default();
        v.sort();
        files = v;
    }
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return eprintln!("{e}"),
    };
    for f in files {
        let sc = match maillab::scenario::load_file(std::path::Path::new(&f)) {
            Ok(sc) => sc,
            Err(d) => {
                eprintln!("{d}");
                continue;
            }
        };
        rt.block_on(async {
            let t = Instant::now();
            let app = match App::simulate(sc, Lang::En, None) {
                Ok(a) => a,
                Err(e) => return eprintln!("{f}: {e}"),
            };
            let meta = serde_json::to_string(&app.meta()).unwrap_or_default();
            let page = {
                let ix = maillab::web::read_index(&app);
                serde_json::to_string(&ix.page(&Filter::default(), 0, None, 200).2).unwrap_or_default()
            };
            let Some(w) = app.worker.clone() else { return };
            let s0 = w.state(0).await.unwrap_or_default();
            let first = ms(t);
            let total = maillab::web::read_index(&app).len();
            println!(
                "{f}: {total} events; first paint {first:.0} ms (meta {} KB, first page {} KB, state 0 {} KB)",
                meta.len() / 1024,
                page.len() / 1024,
                s0.len() / 1024
            );
            for (pause, label) in [(Duration::ZERO, "no pause"), (Duration::from_millis(150), "150 ms pauses")] {
                let (mut fwd, mut back) = (Stats(Vec::new()), Stats(Vec::new()));
                for frac in [0.25, 0.5, 0.9, 1.0] {
                    let p = ((total as f64 * frac) as usize).min(total);
                    let _ = w.state(p).await;
                    for k in 1..=10 {
                        tokio::time::sleep(pause).await;
                        let t = Instant::now();
                        let _ = w.state(p.saturating_sub(k)).await;
                        back.0.push(ms(t));
                        if ms(t) > 50.0 {
                            println!(
                                "    slow: back to {} ({label}, {frac} of the run, step {k}): {:.1} ms",
                                p.saturating_sub(k),
                                ms(t)
                            );
                        }
                    }
                    for k in (0..10).rev() {
                        tokio::time::sleep(pause).await;
                        let t = Instant::now();
                        let _ = w.state(p.saturating_sub(k)).await;
                        fwd.0.push(ms(t));
                        if ms(t) > 50.0 {
                            println!(
                                "    slow: forward to {} ({label}, {frac} of the run): {:.1} ms",
                                p.saturating_sub(k),
                                ms(t)
                            );
                        }
                    }
                }
                println!("  step back by one ({label}):    {}", back.show());
                println!("  step forward by one ({label}): {}", fwd.show());
            }
            let mut jumps = Stats(Vec::new());
            let mut x: u64 = 0x9e3779b97f4a7c15;
            for _ in 0..50 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let p = (x % (total as u64 + 1)) as usize;
                let t = Instant::now();
                let _ = w.state(p).await;
                jumps.0.push(ms(t));
            }
            println!("  jump anywhere (random):      {}", jumps.show());
            let end = w.state(total).await.unwrap_or_default();
            println!("  state at the end: {} KB", end.len() / 1024);
        });
    }
}
