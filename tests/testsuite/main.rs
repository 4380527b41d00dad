//! maillab's integration tests, one test binary (as mdBook lays them out):
//! one module per area. Run one area with `cargo test --test testsuite cli::`.

mod auth_delay;
mod book;
mod cli;
mod common;
mod faults;
mod fuzz_regressions;
mod html;
mod lessons;
mod pcap;
mod pictures;
mod scenarios;
mod serve;
