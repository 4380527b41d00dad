//! The `maillab` command line: parse the arguments (clap) and hand the
//! subcommand to its module under `cli/`.

mod alloc;
mod cli;

use clap::FromArgMatches;
use std::process::ExitCode;

/// The program's allocator: mimalloc (see `alloc.rs` for why and how).
#[global_allocator]
static ALLOC: alloc::MiMalloc = alloc::MiMalloc;

/// clap's answer that is not a command to run: help, the version, or a
/// usage error (in Japanese for a Japanese command line).
fn clap_exit(e: clap::Error, lang: maillab::lesson::Lang) -> ExitCode {
    if !e.use_stderr() {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    match (lang, cli::usage_error_ja::render(&e)) {
        (maillab::lesson::Lang::Ja, Some(ja)) => eprint!("{ja}"),
        _ => {
            let _ = e.print();
        }
    }
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // The help is in `--lang`'s language (else the locale's), so it is chosen before parsing.
    let lang = cli::lang_before_parsing(&args);
    let matches = match cli::command(lang).try_get_matches_from(&args) {
        Ok(m) => m,
        Err(e) => return clap_exit(e, lang),
    };
    // `maillab help COMMAND` of the Japanese help: the same as `maillab COMMAND --help`.
    if let Some(rest) = cli::help_ja::help_request(&matches) {
        let again = args.iter().take(1).cloned().chain(rest.into_iter().map(Into::into));
        return match cli::command(lang).try_get_matches_from(again) {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => clap_exit(e, lang),
        };
    }
    let cli = match cli::Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => return clap_exit(e, lang),
    };
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .try_init();
    }
    cli::dispatch(cli)
}
