//! `maillab graph`: the scenario's network as DOT, Mermaid or SVG.

use super::GraphFormat;
use super::output::load_scenario;
use std::path::Path;
use std::process::ExitCode;

pub fn graph(file: &Path, format: GraphFormat) -> ExitCode {
    let sc = match load_scenario(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let out = match format {
        GraphFormat::Dot => maillab::report::graph::dot(&sc),
        GraphFormat::Mermaid => maillab::report::graph::mermaid(&sc),
        GraphFormat::Svg => maillab::report::graph::svg(&sc),
    };
    say!("{out}");
    ExitCode::SUCCESS
}
