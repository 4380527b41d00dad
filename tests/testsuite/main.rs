//! maillab's integration tests, one test binary (as mdBook lays them out):
//! one module per area. Run one area with `cargo test --test testsuite cli::`.
//!
//! Tests that drive programs other than cargo's (Chromium, tshark, python3,
//! swaks, dig, curl, Postfix's smtp-sink) go through [`support::tools`]:
//! a missing program skips the test with one line on stderr; with the
//! environment variable `MAILLAB_REQUIRE_TOOLS=1`, it fails the test.

mod added_headers;
mod address_literal;
mod auth_delay;
mod bare_path;
mod book;
mod broken;
mod cli;
mod common;
mod double_bounce;
mod dsn_alias;
mod duplicate_rcpt;
mod faults;
mod fuzz_regressions;
mod helo;
mod html;
mod lessons;
mod local_part_case;
mod long_lines;
mod mx_alias;
mod pcap;
mod pictures;
mod reverse_dns;
mod scenarios;
mod serve;
mod sessions;
mod support;
mod web;
mod web_browser;
