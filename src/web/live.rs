//! Live mode (`maillab serve FILE --web`): the served hosts' events go into
//! the same event index as a simulation's, the page asks for the hosts as
//! they are now, and `/api/stream` (server-sent events) tells it when there
//! are new events.
//!
//! The hosts never wait for the page: their trace hands each event to a
//! bounded channel without blocking ([`std::sync::mpsc::SyncSender::try_send`]);
//! a thread of the web server moves them into the index. When the channel
//! is full (the page's side is far behind) events are counted as dropped,
//! and the stream says how many.

use super::index::Index;
use super::worker::{HostState, State as LabState};
use super::{App, Mode, read, write};
use crate::lab::MessageRef;
use crate::lesson::Lang;
use crate::scenario::Scenario;
use crate::serve::{Observer, SnapshotRequest};
use crate::trace::{Event, Kind};
use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};

/// Events waiting for the index, at most.
const QUEUE: usize = 65_536;
/// The stream sends at most this often.
const STREAM_EVERY: Duration = Duration::from_millis(100);

/// The live side of an [`App`].
pub struct Live {
    requests: mpsc::Sender<SnapshotRequest>,
    total: watch::Receiver<usize>,
    dropped: Arc<AtomicUsize>,
}

impl Live {
    /// The hosts now (with each host's maillog from the events so far).
    pub async fn state(&self, app: &App) -> Result<LabState, super::error::ApiError> {
        let (reply, rx) = oneshot::channel();
        let unavailable =
            || super::error::ApiError::unavailable("the served hosts do not answer (is `maillab serve` stopping?)");
        self.requests.try_send(SnapshotRequest::Hosts(reply)).map_err(|_| unavailable())?;
        let mut hosts = tokio::time::timeout(Duration::from_secs(2), rx)
            .await
            .map_err(|_| unavailable())?
            .map_err(|_| unavailable())?;
        let events = read(&app.events).clone();
        for h in &mut hosts {
            h.maillog = events
                .iter()
                .filter(|e| e.kind == Kind::Log && e.host == h.name)
                .filter_map(|e| e.line.clone())
                .collect();
        }
        let hosts = hosts.into_iter().map(HostState::cut_whole).collect();
        let n = events.len();
        let time = events.last().map(|e| e.t.to_rfc3339_opts(chrono::SecondsFormat::Millis, false)).unwrap_or_default();
        let step = read(&app.index).rows.last().map(|r| r.step).unwrap_or(0);
        Ok(LabState { at: n, events: n, time, step, finished: false, hosts })
    }

    pub async fn message(&self, host: String, which: MessageRef) -> Option<Vec<u8>> {
        let (reply, rx) = oneshot::channel();
        self.requests.try_send(SnapshotRequest::Message { host, which, reply }).ok()?;
        tokio::time::timeout(Duration::from_secs(2), rx).await.ok()?.ok().flatten()
    }

    pub fn dropped(&self) -> usize {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// Make the app of a live run and the observer to hand to `serve`.
pub fn start(sc: Scenario, lang: Lang) -> std::io::Result<(Arc<App>, Observer)> {
    let (tx, rx) = sync_channel::<Event>(QUEUE);
    let (req_tx, req_rx) = mpsc::channel(16);
    let (total_tx, total_rx) = watch::channel(0usize);
    let dropped = Arc::new(AtomicUsize::new(0));
    let app = Arc::new(App {
        mode: Mode::Live,
        lang,
        events: RwLock::new(Arc::new(Vec::new())),
        index: RwLock::new(Index::new(sc.start, super::host_names(&sc))),
        sc,
        worker: None,
        live: Some(Live { requests: req_tx, total: total_rx, dropped: dropped.clone() }),
        lesson: None,
    });
    let ingest = app.clone();
    std::thread::Builder::new().name("maillab-web-ingest".into()).spawn(move || {
        while let Ok(e) = rx.recv() {
            let mut batch = vec![e];
            while let Ok(e) = rx.try_recv() {
                batch.push(e);
                if batch.len() >= 4096 {
                    break;
                }
            }
            write(&ingest.index).extend(&batch);
            let n = {
                let mut ev = write(&ingest.events);
                Arc::make_mut(&mut ev).extend(batch);
                ev.len()
            };
            let _ = total_tx.send(n);
        }
    })?;
    let on_event = sink(tx, dropped);
    Ok((app, Observer { on_event, snapshots: req_rx }))
}

fn sink(tx: SyncSender<Event>, dropped: Arc<AtomicUsize>) -> Box<dyn FnMut(&Event) + Send> {
    Box::new(move |e: &Event| {
        if e.kind == Kind::Wire {
            return;
        }
        if let Err(TrySendError::Full(_)) = tx.try_send(e.clone()) {
            dropped.fetch_add(1, Ordering::Relaxed);
        }
    })
}

/// `GET /api/stream`: `{"total": n, "dropped": d}` whenever events were
/// added, at most 10 times a second. In a simulation it sends the total once.
pub async fn stream(
    State(app): State<Arc<App>>,
) -> Sse<impl futures_util::Stream<Item = Result<SseEvent, std::convert::Infallible>>> {
    let rx = app.live.as_ref().map(|l| l.total.clone());
    let first = read(&app.index).len();
    let state = (app, rx, Some(first));
    let s = futures_util::stream::unfold(state, |(app, rx, first)| async move {
        let msg = |app: &App, n: usize| {
            let dropped = app.live.as_ref().map(Live::dropped).unwrap_or(0);
            SseEvent::default().data(serde_json::json!({ "total": n, "dropped": dropped }).to_string())
        };
        if let Some(n) = first {
            let ev = msg(&app, n);
            return Some((Ok(ev), (app, rx, None)));
        }
        let mut rx = rx?;
        tokio::time::sleep(STREAM_EVERY).await;
        rx.changed().await.ok()?;
        let n = *rx.borrow_and_update();
        let ev = msg(&app, n);
        Some((Ok(ev), (app, Some(rx), None)))
    });
    Sse::new(s).keep_alive(KeepAlive::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_drops_instead_of_blocking() {
        let (tx, rx) = sync_channel::<Event>(2);
        let dropped = Arc::new(AtomicUsize::new(0));
        let mut f = sink(tx, dropped.clone());
        let e = crate::trace::ev(chrono::DateTime::default(), "h", Kind::Log).line("x");
        for _ in 0..5 {
            f(&e);
        }
        assert_eq!(dropped.load(Ordering::Relaxed), 3);
        assert_eq!(rx.try_iter().count(), 2);
    }
}
