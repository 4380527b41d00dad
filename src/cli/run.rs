//! `maillab run`: a scenario in virtual time; the trace (text or JSON), one
//! host's maillog or a sequence diagram on stdout, and the HTML report and
//! pcap capture written to files.

use super::output::{color, load_scenario_for, pass_fail};
use super::{Format, RunArgs, SeqFormat, SeqZoom};
use maillab::base::diag::tr;
use maillab::lab::RunResult;
use maillab::lesson::Lang;
use maillab::trace::{Event, Kind, render, seq};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

pub fn run(args: RunArgs, lang: Lang) -> ExitCode {
    let sc = match load_scenario_for(&args.file, args.student.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if !sc.variant.values.is_empty() {
        let label = sc.variant.label();
        eprintln!(
            "{}",
            match sc.variant.student.as_deref() {
                Some(s) => tr(
                    format!("maillab: variant of student {s}: {label}"),
                    format!("maillab: 学生番号 {s} の版: {label}")
                ),
                None => tr(format!("maillab: variant: {label}"), format!("maillab: 版: {label}")),
            }
        );
    }
    if let Some(h) = &args.maillog
        && sc.host_by_name(h).is_none()
    {
        let f = args.file.display();
        eprintln!(
            "{}",
            tr(
                format!("maillab: there is no host named `{h}` in {f}"),
                format!("maillab: {f} に `{h}` という名前のホストはありません")
            )
        );
        return ExitCode::from(2);
    }
    let opts = maillab::lab::RunOptions { wire: args.pcap.is_some() };
    // JSON lines and nothing else that reads the whole trace afterwards:
    // each event is printed as it happens and the trace is not kept.
    if let (None, None, Format::Json, None, None) = (args.seq, &args.maillog, args.format, &args.html, &args.pcap) {
        return match stream_json(std::sync::Arc::new(sc), opts) {
            Ok(failed) => pass_fail(failed == 0),
            Err(e) => {
                eprintln!("{}", cannot_start(&e));
                ExitCode::from(2)
            }
        };
    }
    // The text trace and nothing else that reads the whole trace: each
    // event's line is made as it happens and the events are not kept.
    if let (None, None, Format::Text, None, None) = (args.seq, &args.maillog, args.format, &args.html, &args.pcap) {
        return stream_text(std::sync::Arc::new(sc), opts, lang, !args.no_messages);
    }
    let res = match maillab::lab::run_with(&sc, opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{}", cannot_start(&e));
            return ExitCode::from(2);
        }
    };
    if let Some(path) = &args.html
        && let Err(e) = std::fs::write(path, maillab::report::html::report(&sc, &res.events, lang == Lang::Ja))
    {
        eprintln!("{}", cannot_write(path, &e));
        return ExitCode::from(2);
    }
    if let Some(path) = &args.pcap
        && let Err(e) = write_pcap(path, &res)
    {
        eprintln!("{}", cannot_write(path, &e));
        return ExitCode::from(2);
    }
    if let (None, None, Format::Json) = (args.seq, &args.maillog, args.format) {
        let out = std::io::BufWriter::new(std::io::stdout().lock());
        let _ = render::write_json_lines(&res.events, out);
        return pass_fail(res.failed == 0);
    }
    let out = output(&args, &res, lang);
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    pass_fail(res.failed == 0)
}

fn cannot_start(e: &dyn std::fmt::Display) -> String {
    tr(format!("maillab: could not start the simulator: {e}"), format!("maillab: シミュレータを起動できません: {e}"))
}

/// Run with every event printed as a JSON line when it is recorded (the
/// same lines `render::write_json_lines` writes for the whole trace);
/// returns how many expectations failed. The run writes the lines into
/// buffers of about [`JSON_CHUNK`] octets that a thread of its own hands to
/// stdout (at most [`JSON_CHUNKS`] waiting), so the run does not wait for
/// the terminal or the pipe.
fn stream_json(
    sc: std::sync::Arc<maillab::scenario::Scenario>,
    opts: maillab::lab::RunOptions,
) -> std::io::Result<usize> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(JSON_CHUNKS);
    let writer = std::thread::Builder::new().name("json-out".into()).spawn(move || {
        let out = std::io::stdout();
        // A closed stdout (`| head`) is not the run's failure: it runs on,
        // and what it records is dropped here. Locked per chunk, so that
        // nothing else that prints meanwhile can wait for the whole run.
        let mut open = true;
        for chunk in rx {
            open = open && out.lock().write_all(&chunk).is_ok();
        }
        let _ = out.lock().flush();
    })?;
    let mut chunks = Chunks { buf: Vec::with_capacity(JSON_CHUNK + 4096), tx };
    let res = maillab::lab::run_streaming(sc, opts, Box::new(move |e| chunks.push(&e)));
    // The run is over and its sink dropped (the last chunk sent): wait for the lines.
    let _ = writer.join();
    Ok(res?.failed)
}

/// Run with each event's text line made as it is recorded ([`render::TextStream`]:
/// the lines are kept, not the events), then print what [`output`] prints
/// for the whole trace: the same text, in much less memory.
fn stream_text(
    sc: std::sync::Arc<maillab::scenario::Scenario>,
    opts: maillab::lab::RunOptions,
    lang: Lang,
    messages: bool,
) -> ExitCode {
    let ja = lang == Lang::Ja;
    let st = render::TextStream::new(render::TextOptions { color: color(), messages, ja });
    let shared = std::sync::Arc::new(std::sync::Mutex::new(st));
    let into = shared.clone();
    let sink = move |e: Event| maillab::base::sync::lock(&into).push(&e);
    let res = match maillab::lab::run_streaming(sc.clone(), opts, Box::new(sink)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{}", cannot_start(&e));
            return ExitCode::from(2);
        }
    };
    let Ok(m) = std::sync::Arc::try_unwrap(shared) else {
        // The sink is dropped when the run ends; nothing else holds it.
        eprintln!("maillab: internal error: the trace's text is still in use");
        return ExitCode::from(2);
    };
    let st = m.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut out = std::io::stdout().lock();
    let (done, summary) = if ja {
        let (n, ok, failed) = (res.passed + res.failed, res.passed, res.failed);
        (st.finish_into(true, &mut out), format!("\n期待値 {n} 件: 成立 {ok} 件、不成立 {failed} 件\n"))
    } else {
        let (n, ok, failed) = (res.passed + res.failed, res.passed, res.failed);
        (st.finish_into(false, &mut out), format!("\n{n} expectation(s): {ok} passed, {failed} failed\n"))
    };
    // A closed stdout (`| head`) is not the run's failure.
    if done.is_ok() {
        let _ = out.write_all(summary.as_bytes());
    }
    pass_fail(res.failed == 0)
}

const JSON_CHUNK: usize = 1 << 16;
const JSON_CHUNKS: usize = 16;

/// JSON lines gathered for the writer thread; sends what it holds when dropped.
struct Chunks {
    buf: Vec<u8>,
    tx: std::sync::mpsc::SyncSender<Vec<u8>>,
}

impl Chunks {
    fn push(&mut self, e: &Event) {
        render::push_json_line(e, &mut self.buf);
        if self.buf.len() >= JSON_CHUNK {
            let full = std::mem::replace(&mut self.buf, Vec::with_capacity(JSON_CHUNK + 4096));
            // Only fails if the writer is gone, and then nothing can be printed anyway.
            let _ = self.tx.send(full);
        }
    }
}

impl Drop for Chunks {
    fn drop(&mut self) {
        if !self.buf.is_empty() {
            let _ = self.tx.send(std::mem::take(&mut self.buf));
        }
    }
}

fn cannot_write(path: &Path, e: &dyn std::fmt::Display) -> String {
    let p = path.display();
    tr(format!("maillab: cannot write {p}: {e}"), format!("maillab: {p} に書き込めません: {e}"))
}

fn write_pcap(path: &Path, res: &RunResult) -> Result<usize, String> {
    std::fs::File::create(path)
        .map_err(|e| e.to_string())
        .and_then(|f| maillab::trace::pcap::write(&res.events, std::io::BufWriter::new(f)))
}

/// What goes to stdout but the JSON lines: a sequence diagram, one host's maillog, or the text trace.
fn output(args: &RunArgs, res: &RunResult, lang: Lang) -> String {
    let z = match args.zoom {
        SeqZoom::Lines => seq::Zoom::Lines,
        SeqZoom::Sessions => seq::Zoom::Sessions,
    };
    match (args.seq, &args.maillog) {
        (Some(SeqFormat::Svg), _) => seq::svg(&res.events, z, lang == Lang::Ja),
        (Some(SeqFormat::Mermaid), _) => seq::mermaid(&res.events, z, lang == Lang::Ja),
        (None, Some(h)) => res
            .events
            .iter()
            .filter(|e| e.kind == Kind::Log && &e.host == h)
            .filter_map(|e| e.line.clone())
            .map(|l| l + "\n")
            .collect(),
        (None, None) => {
            let color = color();
            let messages = !args.no_messages;
            match lang {
                Lang::En => {
                    let mut s = render::text(&res.events, render::TextOptions { color, messages, ja: false });
                    s.push_str(&format!(
                        "\n{} expectation(s): {} passed, {} failed\n",
                        res.passed + res.failed,
                        res.passed,
                        res.failed
                    ));
                    s
                }
                Lang::Ja => {
                    let mut s = render::text(&res.events, render::TextOptions { color, messages: false, ja: true });
                    if messages {
                        s.push_str(&render::delivered(&res.events, color, true));
                    }
                    s.push_str(&format!(
                        "\n期待値 {} 件: 成立 {} 件、不成立 {} 件\n",
                        res.passed + res.failed,
                        res.passed,
                        res.failed
                    ));
                    s
                }
            }
        }
    }
}
