//! The `maillab` command line.

use clap::{Parser, Subcommand, ValueEnum};
use maillab::diag::{Diagnostics, snippet};
use maillab::scenario;
use maillab::trace::Kind;
use maillab::trace::render;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "maillab",
    version,
    about = "A teaching lab for e-mail systems: SMTP relays, a hub, MX hosts and DNS, in virtual time"
)]
#[command(
    after_help = "Start with:  maillab run scenarios/relay-chain.yaml\nThe book (book/) explains every command and the scenario format."
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Human-readable lines (coloured on a terminal unless NO_COLOR is set).
    Text,
    /// One JSON object per trace event.
    Json,
}

#[derive(Subcommand)]
enum LessonCmd {
    /// List the lessons in lessons/.
    List {
        /// Language (default from the locale: ja if LANG starts with ja).
        #[arg(long, value_enum)]
        lang: Option<LangArg>,
    },
    /// Work through a lesson in the terminal; answers are saved so you can resume.
    Run {
        /// Lesson name (a file in lessons/) or path.
        name: String,
        #[arg(long, value_enum)]
        lang: Option<LangArg>,
        /// Forget saved answers and start again.
        #[arg(long)]
        restart: bool,
    },
    /// Grade a file of answers (checkpoint id: answer) without questions.
    ///
    /// Exit status: 0 when the pass mark is reached, 1 when not, 2 for bad input.
    Grade {
        /// Lesson name (a file in lessons/) or path.
        name: String,
        /// YAML map from checkpoint id to answer.
        #[arg(long, value_name = "FILE")]
        answers: PathBuf,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        #[arg(long, value_enum)]
        lang: Option<LangArg>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum LangArg {
    En,
    Ja,
}

#[derive(Clone, Copy, ValueEnum)]
enum NewKind {
    Scenario,
    Lesson,
}

fn lang_of(l: Option<LangArg>) -> maillab::lesson::Lang {
    match l {
        Some(LangArg::En) => maillab::lesson::Lang::En,
        Some(LangArg::Ja) => maillab::lesson::Lang::Ja,
        None => maillab::lesson::Lang::from_env(),
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum SeqFormat {
    Mermaid,
    Svg,
}

#[derive(Clone, Copy, ValueEnum)]
enum SeqZoom {
    Lines,
    Sessions,
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphFormat {
    Dot,
    Mermaid,
    Svg,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a scenario in virtual time and print its trace and expectation results.
    ///
    /// Exit status: 0 when every expectation holds, 1 when one fails, 2 for an invalid file or usage.
    Run {
        /// The scenario file (YAML).
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Do not print the headers of delivered messages after the trace (text format).
        #[arg(long)]
        no_messages: bool,
        /// Print only the log lines (maillog) of this host.
        #[arg(long, value_name = "HOST")]
        maillog: Option<String>,
        /// Print a sequence diagram of the run instead of the trace.
        #[arg(long, value_enum, value_name = "FORMAT")]
        seq: Option<SeqFormat>,
        /// With --seq: an arrow per protocol line, or one per connection.
        #[arg(long, value_enum, default_value = "lines")]
        zoom: SeqZoom,
        /// Also write a self-contained HTML report (network, sequence diagram, events, messages).
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
        /// Also write the run's traffic as a pcap file for Wireshark/tshark.
        #[arg(long, value_name = "FILE")]
        pcap: Option<PathBuf>,
    },
    /// Start every host of a scenario on real sockets, each on its own loopback address.
    ///
    /// Talk to them with telnet/nc (use `nc -C`: only CRLF.CRLF ends DATA), Python's
    /// smtplib/poplib/imaplib, curl, swaks or a mail client. The scenario's steps are not run.
    /// Ctrl-C stops the hosts and reports what is still queued.
    Serve {
        /// The scenario file (YAML).
        file: PathBuf,
        /// Live trace format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Write the endpoint table and client settings as JSON here once every listener is up.
        #[arg(long, value_name = "PATH")]
        ready_file: Option<PathBuf>,
        /// Real port for a service, e.g. `--port smtp=2526` (defaults: smtp=2525 pop3=1110 imap=1143 dns=5353 http=8080);
        /// 0 lets the system choose a free port for each host (the table and the ready file show it).
        #[arg(long = "port", value_name = "SERVICE=PORT")]
        ports: Vec<String>,
        /// Let one host listen on a real address instead of loopback, e.g. `--listen mx=10.1.2.3`
        /// (so classmates' labs can reach it; a warning is printed).
        #[arg(long = "listen", value_name = "HOST=ADDR")]
        listen: Vec<String>,
    },
    /// Draw a scenario's network: hosts by role, who forwards to whom, MX records, DNS.
    Graph {
        /// The scenario file (YAML).
        file: PathBuf,
        /// dot (Graphviz), mermaid, or svg (drawn without Graphviz).
        #[arg(long, value_enum, default_value = "svg")]
        format: GraphFormat,
    },
    /// Work through a lesson: read, look at the trace, answer checkpoints.
    Lesson {
        #[command(subcommand)]
        cmd: LessonCmd,
    },
    /// Print the JSON Schema of the scenario or lesson format (for editors that complete and check YAML).
    Schema {
        #[arg(value_enum)]
        what: NewKind,
    },
    /// Write a commented starting file for a new scenario or lesson.
    New {
        /// What to create.
        #[arg(value_enum)]
        what: NewKind,
        /// Its name; the file NAME.yaml is written in scenarios/ or lessons/ (or give a path ending in .yaml).
        name: String,
    },
    /// Check scenario and lesson files and report every problem as FILE:LINE:COLUMN.
    ///
    /// A lesson's answer key (NAME.answers.yaml) is checked against the lesson NAME.yaml beside it.
    /// Exit status: 0 when all files are valid, 2 otherwise.
    Check {
        /// One or more scenario, lesson or answer-key files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// Print to stdout, ignoring a closed pipe (`maillab run … | head`).
macro_rules! say {
    ($($t:tt)*) => {{
        let _ = write!(std::io::stdout().lock(), $($t)*);
    }};
}
macro_rules! sayln {
    ($($t:tt)*) => {{
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

fn print_diags(d: &Diagnostics, file: &std::path::Path) {
    let src = std::fs::read_to_string(file).unwrap_or_default();
    let mut err = std::io::stderr().lock();
    for x in &d.0 {
        let _ = writeln!(err, "{x}");
        if let Some(s) = snippet(&src, x) {
            let _ = writeln!(err, "{s}");
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .try_init();
    }
    match cli.cmd {
        Cmd::Check { files } => {
            let mut bad = false;
            for f in &files {
                let is_lesson = std::fs::read_to_string(f).map(|s| maillab::lesson::is_lesson(&s)).unwrap_or(false);
                let answers_of = f.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".answers.yaml"));
                let res = if let Some(stem) = answers_of {
                    check_answers(f, stem)
                } else if is_lesson {
                    maillab::lesson::load_file(f).map(|l| {
                        format!("lesson, {} sections, {} checkpoints", l.sections.len(), l.checkpoints().count())
                    })
                } else {
                    scenario::load_file(f).map(|sc| {
                        format!("{} hosts, {} steps, {} expectations", sc.hosts.len(), sc.steps.len(), sc.expect.len())
                    })
                };
                match res {
                    Ok(what) => sayln!("{}: ok ({what})", f.display()),
                    Err(d) => {
                        print_diags(&d, f);
                        bad = true;
                    }
                }
            }
            if bad { ExitCode::from(2) } else { ExitCode::SUCCESS }
        }
        Cmd::Lesson { cmd } => lesson_cmd(cmd),
        Cmd::Schema { what } => {
            let schema = match what {
                NewKind::Scenario => maillab::schema::scenario(),
                NewKind::Lesson => maillab::schema::lesson(),
            };
            sayln!("{schema}");
            ExitCode::SUCCESS
        }
        Cmd::New { what, name } => {
            let (dir, text) = match what {
                NewKind::Scenario => ("scenarios", maillab::templates::SCENARIO.replace("NAME", &name)),
                NewKind::Lesson => ("lessons", maillab::templates::LESSON.replace("NAME", &name)),
            };
            let path = if name.ends_with(".yaml") {
                PathBuf::from(&name)
            } else {
                PathBuf::from(dir).join(format!("{name}.yaml"))
            };
            if path.exists() {
                eprintln!("maillab: {} exists already; choose another name", path.display());
                return ExitCode::from(2);
            }
            if let Some(d) = path.parent()
                && !d.as_os_str().is_empty()
                && let Err(e) = std::fs::create_dir_all(d)
            {
                eprintln!("maillab: cannot create {}: {e}", d.display());
                return ExitCode::from(2);
            }
            match std::fs::write(&path, text) {
                Ok(()) => {
                    sayln!("wrote {}; edit it, then run `maillab check {}`", path.display(), path.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("maillab: cannot write {}: {e}", path.display());
                    ExitCode::from(2)
                }
            }
        }
        Cmd::Graph { file, format } => {
            let sc = match scenario::load_file(&file) {
                Ok(s) => s,
                Err(d) => {
                    print_diags(&d, &file);
                    return ExitCode::from(2);
                }
            };
            let out = match format {
                GraphFormat::Dot => maillab::graph::dot(&sc),
                GraphFormat::Mermaid => maillab::graph::mermaid(&sc),
                GraphFormat::Svg => maillab::graph::svg(&sc),
            };
            say!("{out}");
            ExitCode::SUCCESS
        }
        Cmd::Serve { file, format, ready_file, ports, listen } => {
            let sc = match scenario::load_file(&file) {
                Ok(s) => s,
                Err(d) => {
                    print_diags(&d, &file);
                    return ExitCode::from(2);
                }
            };
            let mut map = maillab::net::real::PortMap::default();
            for p in &ports {
                let parsed = p.split_once('=').and_then(|(svc, port)| {
                    let scenario_port = match svc {
                        "smtp" => 25,
                        "pop3" => 110,
                        "imap" => 143,
                        "dns" => 53,
                        "http" => 80,
                        _ => return None,
                    };
                    port.parse::<u16>().ok().map(|p| (scenario_port, p))
                });
                match parsed {
                    Some((s, r)) => {
                        map.0.insert(s, r);
                    }
                    None => {
                        eprintln!(
                            "maillab: `--port {p}`: write SERVICE=PORT with SERVICE one of smtp, pop3, imap, dns, http"
                        );
                        return ExitCode::from(2);
                    }
                }
            }
            let mut listen_on = Vec::new();
            for l in &listen {
                match l
                    .split_once('=')
                    .and_then(|(h, a)| a.parse::<std::net::Ipv4Addr>().ok().map(|a| (h.to_string(), a)))
                {
                    Some((h, a)) if sc.host_by_name(&h).is_some() => listen_on.push((h, a)),
                    _ => {
                        eprintln!(
                            "maillab: `--listen {l}`: write HOST=ADDR with a host of the scenario and an IPv4 address"
                        );
                        return ExitCode::from(2);
                    }
                }
            }
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let opt = maillab::serve::ServeOptions {
                ports: map,
                listen: listen_on,
                ready_file,
                json: matches!(format, Format::Json),
                color,
            };
            match maillab::serve::serve(&sc, opt) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("maillab serve: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Cmd::Run { file, format, no_messages, maillog, seq, zoom, html, pcap } => {
            let sc = match scenario::load_file(&file) {
                Ok(s) => s,
                Err(d) => {
                    print_diags(&d, &file);
                    return ExitCode::from(2);
                }
            };
            if let Some(h) = &maillog
                && sc.host_by_name(h).is_none()
            {
                eprintln!("maillab: there is no host named `{h}` in {}", file.display());
                return ExitCode::from(2);
            }
            let opts = maillab::lab::RunOptions { wire: pcap.is_some() };
            let res = match maillab::lab::run_with(&sc, opts) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("maillab: could not start the simulator: {e}");
                    return ExitCode::from(2);
                }
            };
            if let Some(path) = &html
                && let Err(e) = std::fs::write(path, maillab::trace::html::report(&sc, &res.events))
            {
                eprintln!("maillab: cannot write {}: {e}", path.display());
                return ExitCode::from(2);
            }
            if let Some(path) = &pcap {
                let written = std::fs::File::create(path)
                    .map_err(|e| e.to_string())
                    .and_then(|f| maillab::trace::pcap::write(&res.events, std::io::BufWriter::new(f)));
                if let Err(e) = written {
                    eprintln!("maillab: cannot write {}: {e}", path.display());
                    return ExitCode::from(2);
                }
            }
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let z = match zoom {
                SeqZoom::Lines => maillab::trace::seq::Zoom::Lines,
                SeqZoom::Sessions => maillab::trace::seq::Zoom::Sessions,
            };
            let out = match (format, &maillog) {
                _ if seq.is_some() => match seq {
                    Some(SeqFormat::Svg) => maillab::trace::seq::svg(&res.events, z),
                    _ => maillab::trace::seq::mermaid(&res.events, z),
                },
                (_, Some(h)) => res
                    .events
                    .iter()
                    .filter(|e| e.kind == Kind::Log && &e.host == h)
                    .filter_map(|e| e.line.clone())
                    .map(|l| l + "\n")
                    .collect(),
                (Format::Json, None) => {
                    let out = std::io::BufWriter::new(std::io::stdout().lock());
                    let _ = render::write_json_lines(&res.events, out);
                    return if res.failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS };
                }
                (Format::Text, None) => {
                    let mut s = render::text(&res.events, render::TextOptions { color, messages: !no_messages });
                    s.push_str(&format!(
                        "\n{} expectation(s): {} passed, {} failed\n",
                        res.passed + res.failed,
                        res.passed,
                        res.failed
                    ));
                    s
                }
            };
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(out.as_bytes());
            if res.failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
        }
    }
}

/// An answer key `NAME.answers.yaml`: it must read, and name only checkpoints of the lesson `NAME.yaml` beside it.
fn check_answers(f: &std::path::Path, stem: &str) -> Result<String, maillab::diag::Diagnostics> {
    let given = maillab::lesson::load_answers(f)?;
    let lesson_path = f.with_file_name(format!("{stem}.yaml"));
    let l = maillab::lesson::load_file(&lesson_path)?;
    let unknown: Vec<&String> = given.keys().filter(|k| !l.checkpoints().any(|c| &c.id == *k)).collect();
    if let Some(k) = unknown.first() {
        let src = std::fs::read_to_string(f).unwrap_or_default();
        let line = src.lines().position(|l| l.trim_start().starts_with(&format!("{k}:"))).map(|i| i as u64 + 1);
        let d = maillab::diag::Diagnostic {
            file: f.display().to_string(),
            line: line.unwrap_or(1),
            column: 1,
            message: format!("`{k}` is not a checkpoint of lesson {}", l.name),
            hint: Some(format!("the checkpoint ids are in {}", lesson_path.display())),
        };
        return Err(maillab::diag::Diagnostics(vec![d]));
    }
    Ok(format!("answer key of lesson {}, {} of {} checkpoints answered", l.name, given.len(), l.checkpoints().count()))
}

/// Load a lesson by name or path, printing its problems.
fn load_lesson(name: &str) -> Result<maillab::lesson::Lesson, ExitCode> {
    let path = maillab::lesson::locate(name);
    maillab::lesson::load_file(&path).map_err(|d| {
        print_diags(&d, &path);
        ExitCode::from(2)
    })
}

fn lesson_cmd(cmd: LessonCmd) -> ExitCode {
    use maillab::lesson;
    match cmd {
        LessonCmd::List { lang } => {
            let lang = lang_of(lang);
            let all = lesson::list(std::path::Path::new("lessons"));
            if all.is_empty() {
                eprintln!("maillab: no lessons in ./lessons (run maillab from the project folder)");
                return ExitCode::from(2);
            }
            for (p, l) in all {
                let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("?").to_string();
                match l {
                    Ok(l) => sayln!(
                        "{stem:<22} {}  ({} checkpoints, scenario {})",
                        lang.pick(&l.title),
                        l.checkpoints().count(),
                        l.scenario.name
                    ),
                    Err(_) => sayln!("{stem:<22} (has errors: run `maillab check {}`)", p.display()),
                }
            }
            ExitCode::SUCCESS
        }
        LessonCmd::Run { name, lang, restart } => {
            let l = match load_lesson(&name) {
                Ok(l) => l,
                Err(code) => return code,
            };
            let ppath = lesson::interactive::progress_path(&l.name);
            let mut progress = if restart { Default::default() } else { lesson::interactive::load_progress(&ppath) };
            let stdin = std::io::stdin();
            let mut input = stdin.lock();
            let mut out = std::io::stdout().lock();
            let mut save = |p: &lesson::interactive::Progress| lesson::interactive::save_progress(&ppath, p);
            match lesson::interactive::run(&l, lang_of(lang), &mut input, &mut out, &mut progress, &mut save) {
                Ok(Some(r)) if r.passed => ExitCode::SUCCESS,
                Ok(_) => ExitCode::from(1),
                Err(e) => {
                    eprintln!("maillab: {e}");
                    ExitCode::from(2)
                }
            }
        }
        LessonCmd::Grade { name, answers, format, lang } => {
            let l = match load_lesson(&name) {
                Ok(l) => l,
                Err(code) => return code,
            };
            let given = match lesson::load_answers(&answers) {
                Ok(a) => a,
                Err(d) => {
                    print_diags(&d, &answers);
                    return ExitCode::from(2);
                }
            };
            let unknown: Vec<&String> = given.keys().filter(|k| !l.checkpoints().any(|c| &c.id == *k)).collect();
            if !unknown.is_empty() {
                eprintln!(
                    "maillab: {} answers checkpoints that lesson {} does not have: {unknown:?}",
                    answers.display(),
                    l.name
                );
                return ExitCode::from(2);
            }
            let r = match lesson::grade(&l, &given, lang_of(lang)) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("maillab: {e}");
                    return ExitCode::from(2);
                }
            };
            match format {
                Format::Json => sayln!("{}", serde_json::to_string_pretty(&r).unwrap_or_default()),
                Format::Text => say!("{}", lesson::report_text(&r)),
            }
            if r.passed { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
    }
}
