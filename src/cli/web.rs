//! `maillab web`: the lab in a browser (a scenario, or a lesson with its
//! checkpoints), served on loopback until Ctrl-C.

use super::WebArgs;
use super::lesson::open_for_student;
use super::output::load_scenario;
use maillab::base::diag::tr;
use maillab::lesson::Lang;
use maillab::web::{App, ServerOptions};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

pub fn web(args: WebArgs, lang: Lang) -> ExitCode {
    let (sc, lesson) = match (&args.lesson, &args.file) {
        (Some(name), _) => match open_for_student(name, args.student.clone(), false, false, lang) {
            Ok((l, _)) => (l.scenario.clone(), Some(l)),
            Err(code) => return code,
        },
        (None, Some(file)) => match load_scenario(file) {
            Ok(sc) => (sc, None),
            Err(code) => return code,
        },
        (None, None) => {
            eprintln!(
                "{}",
                tr(
                    "maillab web: give a scenario file or --lesson NAME",
                    "maillab web: シナリオファイルか --lesson NAME を指定してください"
                )
            );
            return ExitCode::from(2);
        }
    };
    warn_if_exposed(args.bind);
    let app = match App::simulate(sc, lang, lesson) {
        Ok(a) => Arc::new(a),
        Err(e) => {
            eprintln!(
                "{}",
                tr(
                    format!("maillab web: could not run the scenario: {e}"),
                    format!("maillab web: シナリオを実行できません: {e}")
                )
            );
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("maillab web: {e}");
            return ExitCode::from(2);
        }
    };
    rt.block_on(async move {
        let opt = ServerOptions { bind: SocketAddr::new(args.bind, args.port) };
        let listener = match maillab::web::bind(&opt).await {
            Ok(l) => l,
            Err(e) => {
                let b = opt.bind;
                eprintln!(
                    "{}",
                    tr(
                        format!("maillab web: cannot listen on {b}: {e}"),
                        format!("maillab web: {b} で待ち受けられません: {e}")
                    )
                );
                return ExitCode::from(2);
            }
        };
        let url = match listener.local_addr() {
            Ok(a) => format!("http://{a}/"),
            Err(_) => format!("http://{}/", opt.bind),
        };
        sayln!("maillab web: {url}");
        if args.open {
            open_browser(&url);
        }
        let stop = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        match maillab::web::serve(app, listener, stop).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("maillab web: {e}");
                ExitCode::from(1)
            }
        }
    })
}

/// A warning when the lab listens beyond this machine.
pub(super) fn warn_if_exposed(bind: std::net::IpAddr) {
    if !bind.is_loopback() {
        eprintln!(
            "{}",
            tr(
                format!(
                    "warning: maillab web listens on {bind}, outside loopback: anyone who can reach that address can use the lab and read its messages"
                ),
                format!(
                    "警告: maillab web はループバックの外の {bind} で待ち受けます。そのアドレスに届く人はだれでも実験室を使い、メッセージを読めます"
                ),
            )
        );
    }
}

/// Open the page with the desktop's opener; failing is only a warning.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    match std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(_) => {}
        Err(e) => eprintln!(
            "{}",
            tr(
                format!("warning: could not open a browser with {opener}: {e}; open {url} yourself"),
                format!("警告: {opener} でブラウザを開けません: {e}。{url} を自分で開いてください"),
            )
        ),
    }
}
