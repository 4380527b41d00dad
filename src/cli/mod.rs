//! The command line: clap's types for every subcommand, and one module per
//! subcommand that does its work and returns the exit code. Only this part
//! of the program (with `main.rs`) prints or exits.

#[macro_use]
mod output;
pub mod check;
pub mod graph;
pub mod help_ja;
pub mod lesson;
pub mod new;
pub mod run;
pub mod schema;
pub mod serve;
pub mod usage_error_ja;
pub mod web;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use maillab::lesson::Lang;
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "maillab",
    version,
    about = "A teaching lab for e-mail systems: SMTP relays, a hub, MX hosts and DNS, in virtual time"
)]
#[command(
    after_help = "Start with:  maillab run scenarios/relay-chain.yaml\nThe book (book/) explains every command and the scenario format."
)]
pub struct Cli {
    /// Language of what maillab prints, help included: en or ja (default from the locale:
    /// ja when LC_ALL, else LC_MESSAGES, else LANG starts with ja).
    #[arg(long, value_enum, global = true)]
    pub lang: Option<LangArg>,
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// Human-readable lines (coloured on a terminal unless NO_COLOR is set).
    Text,
    /// One JSON object per trace event.
    Json,
}

#[derive(Subcommand)]
pub enum LessonCmd {
    /// List the lessons in lessons/.
    List,
    /// Work through a lesson in the terminal; answers are saved so you can resume.
    ///
    /// A wrong answer gets a hint and another try (the lesson says how many).
    Run {
        /// Lesson name (a file in lessons/) or path.
        name: String,
        /// Forget your answers in this language and start again (asks first;
        /// the other language's answers are kept).
        #[arg(long)]
        restart: bool,
        /// Answer this checkpoint again (its id, as shown in "Q (id)"); may be repeated.
        #[arg(long, value_name = "CHECKPOINT")]
        redo: Vec<String>,
        /// Your student ID: a lesson whose scenario has variants gives you your own
        /// network and answers (remembered with your progress).
        #[arg(long, value_name = "ID")]
        student: Option<String>,
        /// Exam mode: one answer per question, no feedback; writes a submission file (needs --student).
        #[arg(long, requires = "student")]
        exam: bool,
        /// With --exam: where to write the submission (default: NAME-ID.submission.json here).
        #[arg(long, value_name = "FILE", requires = "exam")]
        submission: Option<PathBuf>,
        /// Print long trace excerpts at once instead of a page at a time (the
        /// pager is used only when reading from and writing to a terminal).
        #[arg(long)]
        no_pager: bool,
    },
    /// For instructors: write a copy of a lesson without its keys, for an exam.
    ///
    /// Answers of short, number and choice questions are withheld, in any form
    /// YAML allows; accept:, explain:, hint: and every comment are left out.
    /// Trace questions are computed from the run.
    ExamCopy {
        /// Lesson name (a file in lessons/) or path.
        name: String,
        /// The folder to write the copy to (as NAME.yaml).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
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
        /// Grade against this student's variant of the lesson's scenario.
        #[arg(long, value_name = "ID")]
        student: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum ClassCmd {
    /// Grade every submission (*.submission.json) in a folder against the full lessons.
    ///
    /// Writes a CSV for Moodle's grade import (column "ID number", one column per
    /// lesson, in percent) and, beside it, a per-question summary (most missed first).
    Grade {
        /// The folder of submission files.
        submissions: PathBuf,
        /// The folder of the full lessons with their keys (e.g. lessons/).
        #[arg(long, value_name = "DIR")]
        keys: PathBuf,
        /// The grades CSV; the summary goes to the same name with -questions.csv.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum LangArg {
    En,
    Ja,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum NewKind {
    Scenario,
    Lesson,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SeqFormat {
    Mermaid,
    Svg,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SeqZoom {
    Lines,
    Sessions,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
    Svg,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Run a scenario in virtual time and print its trace and expectation results.
    ///
    /// Exit status: 0 when every expectation holds, 1 when one fails, 2 for an invalid file or usage.
    Run(RunArgs),
    /// Start every host of a scenario on real sockets, each on its own loopback address.
    ///
    /// Talk to them with telnet/nc (use `nc -C`: only CRLF.CRLF ends DATA), Python's
    /// smtplib/poplib/imaplib, curl, swaks or a mail client. The scenario's steps are not run.
    /// Ctrl-C (or SIGTERM, or SIGHUP) stops the hosts and reports the mail that goes with them
    /// (queued recipients and messages in mailboxes: the lab keeps mail in memory only).
    Serve(ServeArgs),
    /// Open the lab in a web browser: step through a run forward and back, look inside every host.
    ///
    /// Runs the scenario (or a lesson's scenario, with its checkpoints on the page) in virtual
    /// time and serves a page and its JSON API on 127.0.0.1; prints the address
    /// (`maillab web: http://127.0.0.1:PORT/`) and serves until Ctrl-C. Nothing is fetched
    /// from the Internet.
    Web(WebArgs),
    /// Draw a scenario's network: hosts by role, who forwards to whom, MX records, DNS.
    ///
    /// Its words (a link's latency, a host played by a real server) are in the language of
    /// --lang; host names, roles, protocols and MX records stay as the scenario writes them.
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
    /// For instructors: grade a class's exam submissions.
    Class {
        #[command(subcommand)]
        cmd: ClassCmd,
    },
    /// Print the JSON Schema of the scenario or lesson format (for editors that complete and check YAML).
    Schema {
        #[arg(value_enum)]
        what: NewKind,
    },
    /// Write a commented starting file for a new scenario, or a new lesson and its answer key.
    ///
    /// The comments are in the language of --lang (or of the locale); the YAML is the same in both.
    /// A lesson's answer key NAME.answers.yaml is written beside it, right for the lesson's scenario.
    /// An existing file is never overwritten. Exit status: 0 when written, 2 otherwise.
    New {
        /// What to create.
        #[arg(value_enum)]
        what: NewKind,
        /// Its name (letters, digits, -, _ and .); the file NAME.yaml is written in scenarios/ or lessons/ (or give a path ending in .yaml).
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

// No doc comments on the argument structs: the variant's text is the subcommand's help.
#[derive(Args)]
pub struct RunArgs {
    /// The scenario file (YAML).
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Do not print the headers of delivered messages after the trace (text format).
    #[arg(long)]
    pub no_messages: bool,
    /// Print only the log lines (maillog) of this host.
    #[arg(long, value_name = "HOST")]
    pub maillog: Option<String>,
    /// Print a sequence diagram of the run instead of the trace, its words in the language of --lang.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub seq: Option<SeqFormat>,
    /// With --seq: an arrow per protocol line, or one per connection.
    #[arg(long, value_enum, default_value = "lines", requires = "seq")]
    pub zoom: SeqZoom,
    /// Also write a self-contained HTML report (network, sequence diagram, events, messages), in the language of --lang.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Also write the run's traffic as a pcap file for Wireshark/tshark.
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// Run this student's variant of a scenario with `variants:` (same ID, same network and trace).
    #[arg(long, value_name = "ID")]
    pub student: Option<String>,
}

#[derive(Args)]
pub struct ServeArgs {
    /// The scenario file (YAML).
    pub file: PathBuf,
    /// Live trace format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write the endpoint table and client settings as JSON here once every listener is up.
    #[arg(long, value_name = "PATH")]
    pub ready_file: Option<PathBuf>,
    /// Real port for a service, e.g. `--port smtp=2526` (defaults: smtp=2525 pop3=1110 imap=1143 dns=5353 http=8080 submission=5587 submissions=4465 imaps=9993 pop3s=9995);
    /// 0 lets the system choose a free port for each host (the table and the ready file show it).
    #[arg(long = "port", value_name = "SERVICE=PORT")]
    pub ports: Vec<String>,
    /// Let one host listen on a real address instead of loopback, e.g. `--listen mx=10.1.2.3`
    /// (so classmates' labs can reach it; a warning is printed).
    #[arg(long = "listen", value_name = "HOST=ADDR")]
    pub listen: Vec<String>,
    /// Also show the hosts' events live in the browser lab (its address is printed first).
    #[arg(long)]
    pub web: bool,
    /// Port of the browser lab with --web (default 0: the system chooses a free one).
    #[arg(long, value_name = "PORT", default_value_t = 0, requires = "web")]
    pub web_port: u16,
    /// Sessions each service of a host serves at once (as Postfix's default_process_limit);
    /// one more is refused (SMTP 421 4.7.0, POP3 -ERR [SYS/TEMP], IMAP * BYE, DNS closes).
    #[arg(long, value_name = "N", default_value_t = maillab::host::listen::MAX_SESSIONS,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_sessions: usize,
    /// Sessions one client address may hold open to a service at once (as Postfix's
    /// smtpd_client_connection_count_limit); one more is refused the same way. Networks
    /// given with --limit-exempt are not held to it.
    #[arg(long, value_name = "N", default_value_t = maillab::host::listen::MAX_PER_CLIENT,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_per_client: usize,
    /// A client network (ADDR/BITS, or one address) exempt from --max-per-client, as
    /// Postfix's smtpd_client_event_limit_exceptions; repeatable. Default: none. Postfix's
    /// default is $mynetworks (on Postfix 3.0 and later the server's own addresses, loopback
    /// included), but serve's clients are nearly always on loopback, where exempting it
    /// would switch the limit off: give --limit-exempt 127.0.0.0/8 to do as Postfix does.
    #[arg(long, value_name = "CIDR")]
    pub limit_exempt: Vec<String>,
    /// Seconds SMTP, POP3 and IMAP servers wait for a client's next complete line before
    /// they give up (SMTP 421, IMAP * BYE, POP3 closes); bytes that end no line do
    /// not count, as with Postfix's smtpd_per_record_deadline. Default: each protocol's
    /// own (SMTP 300 as Postfix's smtpd_timeout, POP3 600, IMAP 1800).
    #[arg(long, value_name = "SECONDS",
          value_parser = clap::builder::RangedU64ValueParser::<u64>::new().range(1..=86_400))]
    pub idle_timeout: Option<u64>,
    /// Threads that run sessions; each session stays on the one it started on.
    /// Default 0: one fewer than the machine's cores, at least one (serve's clients
    /// usually run on the same machine: on two cores, a second session thread made
    /// smtp-source's 20 sessions slower, see bench/RESULTS.md).
    #[arg(long, value_name = "N", default_value_t = 0, overrides_with = "threads",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=1024))]
    pub threads: usize,
}

#[derive(Args)]
pub struct WebArgs {
    /// The scenario file (YAML); not needed with --lesson (without either, maillab says so).
    pub file: Option<PathBuf>,
    /// Work through a lesson on the page (a name in lessons/ or a path); answers are saved
    /// where `maillab lesson run` saves them.
    #[arg(long, value_name = "NAME", conflicts_with = "file")]
    pub lesson: Option<String>,
    /// With --lesson: your student ID, for a lesson whose network differs per student (as
    /// `maillab lesson run --student`); remembered with your answers, so later runs need not
    /// repeat it.
    #[arg(long, value_name = "ID", requires = "lesson")]
    pub student: Option<String>,
    /// Port to listen on; 0 (the default) lets the system choose a free one.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Address to listen on. Anything but loopback lets others on the network use the lab
    /// (a warning is printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Open the page in the default browser (xdg-open or open); a failure is only a warning.
    #[arg(long)]
    pub open: bool,
}

/// The language of a command line before clap reads it (so that `--help`
/// can be in it): `--lang` wherever it stands, else the locale's, decided by
/// the same [`lesson::lang_of`] that [`dispatch`] uses.
pub fn lang_before_parsing(args: &[OsString]) -> Lang {
    let mut given = None;
    let mut it = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(a) = it.next() {
        if a == "--" {
            break;
        }
        let value = if a == "--lang" {
            it.next().map(|v| v.into_owned())
        } else {
            a.strip_prefix("--lang=").map(str::to_string)
        };
        if let Some(v) = value.and_then(|v| LangArg::from_str(&v, true).ok()) {
            given = Some(v);
        }
    }
    lesson::lang_of(given)
}

/// The command line's clap `Command`, its help in `lang`.
pub fn command(lang: Lang) -> clap::Command {
    match lang {
        Lang::En => Cli::command(),
        Lang::Ja => help_ja::localise(Cli::command()),
    }
}

/// Run one subcommand; the exit code says how it went.
pub fn dispatch(cli: Cli) -> std::process::ExitCode {
    // Everything in `--lang`'s language, else the locale's (diagnostics too).
    let lang = lesson::lang_of(cli.lang);
    match cli.cmd {
        Cmd::Run(args) => run::run(args, lang),
        Cmd::Serve(args) => serve::serve(args, lang),
        Cmd::Web(args) => web::web(args, lang),
        Cmd::Graph { file, format } => graph::graph(&file, format, lang),
        Cmd::Lesson { cmd } => lesson::lesson(cmd, lang),
        Cmd::Class { cmd } => lesson::class(cmd),
        Cmd::Schema { what } => schema::schema(what),
        Cmd::New { what, name } => new::new(what, &name),
        Cmd::Check { files } => check::check(&files),
    }
}
