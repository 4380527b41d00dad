//! `maillab graph`: the scenario's network as DOT, Mermaid or SVG, its words
//! in the language of `--lang` (or the locale).

use super::GraphFormat;
use super::output::load_scenario;
use maillab::lesson::Lang;
use std::path::Path;
use std::process::ExitCode;

pub fn graph(file: &Path, format: GraphFormat, lang: Lang) -> ExitCode {
    let sc = match load_scenario(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let ja = lang == Lang::Ja;
    let out = match format {
        GraphFormat::Dot => maillab::report::graph::dot(&sc, ja),
        GraphFormat::Mermaid => maillab::report::graph::mermaid(&sc, ja),
        GraphFormat::Svg => maillab::report::graph::svg(&sc, ja),
    };
    say!("{out}");
    ExitCode::SUCCESS
}
