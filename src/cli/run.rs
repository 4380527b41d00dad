//! `maillab run`: a scenario in virtual time; the trace (text or JSON), one
//! host's maillog or a sequence diagram on stdout, and the HTML report and
//! pcap capture written to files.

use super::output::{color, load_scenario_for, pass_fail};
use super::{Format, RunArgs, SeqFormat, SeqZoom};
use maillab::lab::RunResult;
use maillab::trace::{Kind, render, seq};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

pub fn run(args: RunArgs) -> ExitCode {
    let sc = match load_scenario_for(&args.file, args.student.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if !sc.variant.values.is_empty() {
        eprintln!(
            "maillab: variant{}: {}",
            sc.variant.student.as_deref().map(|s| format!(" of student {s}")).unwrap_or_default(),
            sc.variant.label()
        );
    }
    if let Some(h) = &args.maillog
        && sc.host_by_name(h).is_none()
    {
        eprintln!("maillab: there is no host named `{h}` in {}", args.file.display());
        return ExitCode::from(2);
    }
    let opts = maillab::lab::RunOptions { wire: args.pcap.is_some() };
    let res = match maillab::lab::run_with(&sc, opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("maillab: could not start the simulator: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(path) = &args.html
        && let Err(e) = std::fs::write(path, maillab::report::html::report(&sc, &res.events))
    {
        eprintln!("maillab: cannot write {}: {e}", path.display());
        return ExitCode::from(2);
    }
    if let Some(path) = &args.pcap
        && let Err(e) = write_pcap(path, &res)
    {
        eprintln!("maillab: cannot write {}: {e}", path.display());
        return ExitCode::from(2);
    }
    if let (None, None, Format::Json) = (args.seq, &args.maillog, args.format) {
        let out = std::io::BufWriter::new(std::io::stdout().lock());
        let _ = render::write_json_lines(&res.events, out);
        return pass_fail(res.failed == 0);
    }
    let out = output(&args, &res);
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    pass_fail(res.failed == 0)
}

fn write_pcap(path: &Path, res: &RunResult) -> Result<usize, String> {
    std::fs::File::create(path)
        .map_err(|e| e.to_string())
        .and_then(|f| maillab::trace::pcap::write(&res.events, std::io::BufWriter::new(f)))
}

/// What goes to stdout but the JSON lines: a sequence diagram, one host's maillog, or the text trace.
fn output(args: &RunArgs, res: &RunResult) -> String {
    let z = match args.zoom {
        SeqZoom::Lines => seq::Zoom::Lines,
        SeqZoom::Sessions => seq::Zoom::Sessions,
    };
    match (args.seq, &args.maillog) {
        (Some(SeqFormat::Svg), _) => seq::svg(&res.events, z),
        (Some(SeqFormat::Mermaid), _) => seq::mermaid(&res.events, z),
        (None, Some(h)) => res
            .events
            .iter()
            .filter(|e| e.kind == Kind::Log && &e.host == h)
            .filter_map(|e| e.line.clone())
            .map(|l| l + "\n")
            .collect(),
        (None, None) => {
            let mut s = render::text(&res.events, render::TextOptions { color: color(), messages: !args.no_messages });
            s.push_str(&format!(
                "\n{} expectation(s): {} passed, {} failed\n",
                res.passed + res.failed,
                res.passed,
                res.failed
            ));
            s
        }
    }
}
