//! `maillab serve`: the scenario's hosts on real sockets.

use super::output::{color, load_scenario};
use super::{Format, ServeArgs};
use maillab::base::diag::tr;
use maillab::lesson::Lang;
use maillab::net::real::PortMap;
use maillab::scenario::Scenario;
use std::net::Ipv4Addr;
use std::process::ExitCode;

pub fn serve(args: ServeArgs, lang: Lang) -> ExitCode {
    let ServeArgs {
        file,
        format,
        ready_file,
        ports,
        listen,
        web,
        web_port,
        max_sessions,
        max_per_client,
        limit_exempt,
        idle_timeout,
        threads,
    } = args;
    let mut exempt = Vec::new();
    for n in &limit_exempt {
        match maillab::scenario::load::parse_cidr(n) {
            Ok(c) => exempt.push(c),
            Err(e) => {
                eprintln!(
                    "{}",
                    tr(
                        format!("maillab: `--limit-exempt {n}`: {e}; write ADDR/BITS, e.g. 127.0.0.0/8"),
                        format!(
                            "maillab: `--limit-exempt {n}`: {e}。ADDR/BITS の形で書いてください（例: 127.0.0.0/8）"
                        )
                    )
                );
                return ExitCode::from(2);
            }
        }
    }
    let sc = match load_scenario(&file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let map = match port_map(&ports) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let listen_on = match listen_on(&sc, &listen) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let observer = if web {
        let (app, observer) = match maillab::web::live::start(sc.clone(), lang) {
            Ok(x) => x,
            Err(e) => {
                eprintln!(
                    "{}",
                    tr(
                        format!("maillab serve: cannot start the browser lab: {e}"),
                        format!("maillab serve: ブラウザの実験室を起動できません: {e}")
                    )
                );
                return ExitCode::from(1);
            }
        };
        let bind = std::net::SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), web_port);
        match maillab::web::spawn(app, bind) {
            Ok(addr) => sayln!("maillab web: http://{addr}/"),
            Err(e) => {
                eprintln!(
                    "{}",
                    tr(
                        format!("maillab serve: cannot listen on {bind} for the browser lab: {e}"),
                        format!("maillab serve: ブラウザの実験室のために {bind} で待ち受けられません: {e}")
                    )
                );
                return ExitCode::from(1);
            }
        }
        Some(observer)
    } else {
        None
    };
    let opt = maillab::serve::ServeOptions {
        ports: map,
        listen: listen_on,
        ready_file,
        json: matches!(format, Format::Json),
        color: color(),
        observer,
        limits: maillab::host::listen::Limits {
            sessions: max_sessions,
            per_client: max_per_client,
            exempt,
            idle_timeout: idle_timeout.map(std::time::Duration::from_secs),
        },
        lang,
        threads: match threads {
            // A core for the clients, which usually run on this machine too.
            0 => std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1)),
            n => n,
        },
    };
    match maillab::serve::serve(&sc, opt) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("maillab serve: {e}");
            ExitCode::from(1)
        }
    }
}

/// `--port SERVICE=PORT`: the real port for each scenario port.
fn port_map(ports: &[String]) -> Result<PortMap, ExitCode> {
    let mut map = PortMap::default();
    for p in ports {
        let parsed = p.split_once('=').and_then(|(svc, port)| {
            let scenario_port = match svc {
                "smtp" => 25,
                "pop3" => 110,
                "imap" => 143,
                "dns" => 53,
                "http" => 80,
                "submission" => 587,
                "submissions" => 465,
                "imaps" => 993,
                "pop3s" => 995,
                _ => return None,
            };
            Some((scenario_port, port))
        });
        match parsed.map(|(s, port)| (s, port, port.parse::<u16>())) {
            Some((s, _, Ok(r))) => {
                map.0.insert(s, r);
            }
            Some((_, port, Err(_))) => {
                eprintln!(
                    "{}",
                    tr(
                        format!(
                            "maillab: `--port {p}`: `{port}` is not a port; give a number from 0 to 65535 (0: the system chooses)"
                        ),
                        format!(
                            "maillab: `--port {p}`: `{port}` はポート番号ではありません。0 から 65535 の数を指定してください（0 ならシステムが選びます）"
                        ),
                    )
                );
                return Err(ExitCode::from(2));
            }
            None => {
                eprintln!(
                    "{}",
                    tr(
                        format!(
                            "maillab: `--port {p}`: write SERVICE=PORT with SERVICE one of smtp, pop3, imap, dns, http, submission, submissions, imaps, pop3s"
                        ),
                        format!(
                            "maillab: `--port {p}`: SERVICE=PORT の形で書いてください。SERVICE は smtp、pop3、imap、dns、http、submission、submissions、imaps、pop3s のどれかです"
                        ),
                    )
                );
                return Err(ExitCode::from(2));
            }
        }
    }
    Ok(map)
}

/// `--listen HOST=ADDR`: hosts that listen on a real address instead of loopback.
fn listen_on(sc: &Scenario, listen: &[String]) -> Result<Vec<(String, Ipv4Addr)>, ExitCode> {
    let mut listen_on = Vec::new();
    for l in listen {
        match l.split_once('=').and_then(|(h, a)| a.parse::<Ipv4Addr>().ok().map(|a| (h.to_string(), a))) {
            Some((h, a)) if sc.host_by_name(&h).is_some() => listen_on.push((h, a)),
            _ => {
                eprintln!(
                    "{}",
                    tr(
                        format!(
                            "maillab: `--listen {l}`: write HOST=ADDR with a host of the scenario and an IPv4 address"
                        ),
                        format!(
                            "maillab: `--listen {l}`: HOST=ADDR の形で、シナリオのホストと IPv4 アドレスを書いてください"
                        ),
                    )
                );
                return Err(ExitCode::from(2));
            }
        }
    }
    Ok(listen_on)
}
