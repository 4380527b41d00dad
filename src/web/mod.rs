//! The browser lab (`maillab web`, `maillab serve --web`): an HTTP server on
//! loopback that serves the page (`assets/`, embedded in the binary) and a
//! JSON API over one run: its events (an index with filters and
//! navigation), the state of every host after any number of events (a lab
//! worker that re-runs the scenario to rewind), a message inspector and a
//! lesson's checkpoints. The API is described route by route in the book
//! (`book/src/web.md`, "The JSON API") and in ARCHITECTURE.md.
//!
//! The top layer: it uses lab/, lesson/, report/, trace/ and serve/; nothing
//! below uses it.

pub mod error;
pub mod index;
pub mod inspect;
pub mod lesson;
pub mod live;
pub mod routes;
pub mod worker;

use crate::lab::RunOptions;
use crate::proto::dns::RecordData;
use crate::scenario::{Role, Scenario};
use crate::trace::{Category, Event};
use index::Index;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub use crate::lesson::Lang;

/// Simulation (a finished run to step through) or live (`serve --web`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Sim,
    Live,
}

#[derive(Clone, Debug, Serialize)]
pub struct MetaScenario {
    pub name: String,
    /// The one-line `title:`, in English (the Japanese if it has only that),
    /// empty without one; the page shows it after the name.
    pub title: String,
    /// The title in Japanese, where it differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title_ja: Option<String>,
    pub description: String,
    pub file: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct MetaHost {
    pub name: String,
    pub role: String,
    pub address: String,
    pub domains: Vec<String>,
    pub flavour: Option<String>,
    pub services: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MetaEdge {
    pub from: String,
    pub to: String,
    pub kind: String,
    pub label: String,
    /// The label in Japanese, where it differs (a link's latency).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_ja: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MetaMx {
    pub domain: String,
    pub preference: u16,
    pub host: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct MetaStep {
    pub n: usize,
    pub at: String,
    pub event: usize,
    pub summary: String,
    /// The summary in Japanese, where it differs (the step event's `line_ja`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary_ja: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MetaLesson {
    pub name: String,
    pub title: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Meta {
    pub mode: Mode,
    pub scenario: MetaScenario,
    pub lang: Lang,
    pub hosts: Vec<MetaHost>,
    pub edges: Vec<MetaEdge>,
    pub mx: Vec<MetaMx>,
    pub steps: Vec<MetaStep>,
    pub total: usize,
    pub start: String,
    pub end: String,
    pub categories: Vec<&'static str>,
    pub lesson: Option<MetaLesson>,
}

/// Everything the handlers share.
pub struct App {
    pub mode: Mode,
    pub sc: Scenario,
    pub lang: Lang,
    /// Every event of the run (live: so far).
    pub events: RwLock<Arc<Vec<Event>>>,
    pub index: RwLock<Index>,
    /// Sim mode: the Labs that answer `/api/state`.
    pub worker: Option<worker::Worker>,
    /// Live mode: the served hosts.
    pub live: Option<live::Live>,
    pub lesson: Option<lesson::LessonState>,
}

pub(crate) fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

/// Scenario addresses to host names.
pub fn host_names(sc: &Scenario) -> BTreeMap<String, String> {
    sc.hosts.iter().map(|h| (h.address.to_string(), h.name.clone())).collect()
}

fn ts(t: chrono::DateTime<chrono::FixedOffset>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}

impl App {
    /// Run the scenario to the end once (for the event list) and start the
    /// lab worker that rewinds it.
    pub fn simulate(sc: Scenario, lang: Lang, lesson: Option<crate::lesson::Lesson>) -> std::io::Result<App> {
        // On a thread of its own: a Lab has its own runtime, and the caller may be inside one.
        let run = std::thread::scope(|s| {
            s.spawn(|| crate::lab::run_with(&sc, RunOptions { wire: false }))
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the run panicked")))
        })?;
        let events = Arc::new(run.events);
        let index = Index::build(sc.start, host_names(&sc), &events);
        let worker = worker::Worker::start(sc.clone(), events.clone())?;
        let lesson = lesson.map(|l| lesson::LessonState::new(l, &events));
        Ok(App {
            mode: Mode::Sim,
            sc,
            lang,
            events: RwLock::new(events),
            index: RwLock::new(index),
            worker: Some(worker),
            live: None,
            lesson,
        })
    }

    pub fn meta(&self) -> Meta {
        let sc = &self.sc;
        let ix = read(&self.index);
        let events = read(&self.events);
        let hosts = sc
            .hosts
            .iter()
            .map(|h| {
                let mut services = Vec::new();
                if h.role.is_mta() {
                    services.push(format!("smtp:{}", crate::proto::ports::SMTP));
                }
                if h.role == Role::Mailstore {
                    services.push(format!("pop3:{}", crate::proto::ports::POP3));
                    services.push(format!("imap:{}", crate::proto::ports::IMAP));
                }
                if h.role == Role::Dns {
                    services.push(format!("dns:{}", crate::proto::ports::DNS));
                }
                MetaHost {
                    name: h.name.clone(),
                    role: h.role.name().to_string(),
                    address: h.address.to_string(),
                    domains: h.mta.as_ref().map(|m| m.domains.clone()).unwrap_or_default(),
                    flavour: h.mta.as_ref().map(|m| m.flavour.name().to_string()),
                    services,
                }
            })
            .collect();
        let g = crate::report::graph::build(sc);
        let edges = g
            .edge_indices()
            .filter_map(|e| {
                let (a, b) = g.edge_endpoints(e)?;
                let w = g.edge_weight(e)?;
                let kind = match w.kind {
                    crate::report::graph::EdgeKind::Submits => "submit",
                    crate::report::graph::EdgeKind::Reads => "fetch",
                    crate::report::graph::EdgeKind::Smarthost => "smarthost",
                    crate::report::graph::EdgeKind::Mx => "mx",
                    crate::report::graph::EdgeKind::Resolver => "dns",
                    crate::report::graph::EdgeKind::Link => "link",
                };
                Some(MetaEdge {
                    from: g[a].name.clone(),
                    to: g[b].name.clone(),
                    kind: kind.into(),
                    label: w.label.clone(),
                    label_ja: w.label_ja.clone(),
                })
            })
            .collect();
        let by_hostname: BTreeMap<String, String> =
            sc.hosts.iter().map(|h| (h.hostname.trim_end_matches('.').to_ascii_lowercase(), h.name.clone())).collect();
        let mut mx = Vec::new();
        for h in &sc.hosts {
            for (_, recs) in h.dns.iter().flat_map(|d| d.zones.iter()) {
                for r in recs {
                    if let RecordData::Mx { preference, exchange } = &r.data {
                        let key = exchange.trim_end_matches('.').to_ascii_lowercase();
                        mx.push(MetaMx {
                            domain: r.name.trim_end_matches('.').to_string(),
                            preference: *preference,
                            host: by_hostname.get(&key).cloned().unwrap_or_else(|| exchange.clone()),
                        });
                    }
                }
            }
        }
        let steps = ix
            .steps()
            .into_iter()
            .map(|(n, i)| MetaStep {
                n,
                at: ix.rows.get(i).map(|r| r.t.clone()).unwrap_or_default(),
                event: i,
                summary: ix.rows.get(i).map(|r| r.line.clone()).unwrap_or_default(),
                summary_ja: ix.rows.get(i).and_then(|r| r.line_ja.clone()),
            })
            .collect();
        let end = events.last().map(|e| e.t).unwrap_or(sc.start);
        Meta {
            mode: self.mode,
            scenario: MetaScenario {
                name: sc.name.clone(),
                title: Lang::En.pick(&sc.title),
                title_ja: Some(Lang::Ja.pick(&sc.title)).filter(|ja| *ja != Lang::En.pick(&sc.title)),
                description: self.lang.pick(&sc.description),
                file: sc.file.clone(),
            },
            lang: self.lang,
            hosts,
            edges,
            mx,
            steps,
            total: ix.len(),
            start: ts(sc.start),
            end: ts(end),
            categories: Category::ALL.iter().map(|c| c.name()).collect(),
            lesson: self
                .lesson
                .as_ref()
                .map(|l| MetaLesson { name: l.lesson.name.clone(), title: self.lang.pick(&l.lesson.title) }),
        }
    }
}

/// How to listen.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    pub bind: SocketAddr,
}

/// Bind the address (before anything is printed, so a taken port is an error at once).
pub async fn bind(opt: &ServerOptions) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(opt.bind).await
}

/// Serve the page and the API until `shutdown` completes.
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, routes::router(app)).with_graceful_shutdown(shutdown).await
}

/// Serve `app` on a thread of its own (live mode: the hosts' runtime is
/// busy with the hosts); returns the address once it listens.
pub fn spawn(app: Arc<App>, bind: SocketAddr) -> std::io::Result<SocketAddr> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new().name("maillab-web".into()).spawn(move || {
        let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        rt.block_on(async move {
            let listener = match tokio::net::TcpListener::bind(bind).await {
                Ok(l) => l,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            let _ = tx.send(listener.local_addr());
            let _ = serve(app, listener, std::future::pending()).await;
        });
    })?;
    rx.recv().map_err(|_| std::io::Error::other("the web server thread stopped"))?
}

/// The event index of an app (for the bench and tests).
pub fn read_index(app: &App) -> RwLockReadGuard<'_, Index> {
    read(&app.index)
}
