//! Session threads for real sockets: `maillab serve` runs each accepted
//! session, from start to end, on one of several threads, each with a
//! single-threaded runtime of its own (a "shard").
//!
//! Why not tokio's work-stealing runtime: with it, a session woken on one
//! worker was often taken over by the other, which first had to be woken
//! itself; under smtp-source's load on two cores that was about one futex
//! wake and one context switch per message, and a third of serve's CPU (see
//! bench/RESULTS.md). A shard sleeps only in `epoll_wait` on its own
//! sessions' sockets and is woken by the kernel when one of them has data.
//! Sessions are independent of each other, so handing each to one thread
//! for good costs nothing but balance: new sessions go to the shards in
//! turn.
//!
//! The runtime `serve` was started on is the first shard: it also runs what
//! is not a session (listeners, queues, DNS, the web pages). The simulation
//! never uses this module: a [`crate::net::sim::SimNet`] spawns with
//! `tokio::spawn` on its one deterministic thread.

use std::future::Future;
use std::io;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::runtime::Handle;

/// The session threads of a `serve`.
pub struct Shards {
    handles: Vec<Handle>,
    next: AtomicUsize,
    /// One per extra thread: dropping it ends that thread's runtime.
    stops: Mutex<Vec<tokio::sync::oneshot::Sender<()>>>,
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
}

impl Shards {
    /// The current runtime plus `extra` threads of their own, each running
    /// `on_park` whenever it is about to wait. Call from within the runtime
    /// that will be the first shard.
    pub fn start(extra: usize, on_park: fn()) -> io::Result<Shards> {
        let mut handles = vec![Handle::current()];
        let (mut stops, mut threads) = (Vec::new(), Vec::new());
        for i in 0..extra {
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let (handle_tx, handle_rx) = std::sync::mpsc::sync_channel(1);
            // The runtime is made, run and dropped on its own thread (a
            // runtime must not be dropped inside another one).
            let t = std::thread::Builder::new().name(format!("maillab-serve-{}", i + 1)).spawn(move || {
                let rt =
                    match tokio::runtime::Builder::new_current_thread().enable_all().on_thread_park(on_park).build() {
                        Ok(rt) => rt,
                        Err(e) => {
                            let _ = handle_tx.send(Err(e));
                            return;
                        }
                    };
                let _ = handle_tx.send(Ok(rt.handle().clone()));
                // Runs its sessions until told to stop; dropping the
                // runtime then ends the sessions still open.
                let _ = rt.block_on(stopped);
            })?;
            let handle = handle_rx.recv().map_err(|_| io::Error::other("a session thread ended at its start"))??;
            handles.push(handle);
            stops.push(stop);
            threads.push(t);
        }
        Ok(Shards { handles, next: AtomicUsize::new(0), stops: Mutex::new(stops), threads: Mutex::new(threads) })
    }

    /// How many threads run sessions.
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// Always false: there is at least the first shard.
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// Run a session on the next shard in turn.
    pub fn spawn<F>(&self, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.handles.len();
        drop(self.handles[i].spawn(fut));
    }

    /// End the extra threads (their open sessions are dropped) and wait for them.
    pub fn stop(&self) {
        crate::base::sync::lock(&self.stops).clear();
        let me = std::thread::current().id();
        for t in crate::base::sync::lock(&self.threads).drain(..) {
            // A thread cannot wait for itself (the last holder dropped there).
            if t.thread().id() != me {
                let _ = t.join();
            }
        }
    }
}

impl Drop for Shards {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn sessions_go_to_every_shard_in_turn_and_stay_there() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            let shards = Arc::new(Shards::start(2, || {}).expect("threads"));
            assert_eq!(shards.len(), 3);
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            for n in 0..6 {
                let tx = tx.clone();
                shards.spawn(async move {
                    let before = std::thread::current().id();
                    tokio::task::yield_now().await;
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                    let _ = tx.send((n, before, std::thread::current().id()));
                });
            }
            drop(tx);
            let mut seen = Vec::new();
            while let Some(x) = rx.recv().await {
                seen.push(x);
            }
            seen.sort_by_key(|x| x.0);
            assert_eq!(seen.len(), 6);
            for (n, before, after) in &seen {
                assert_eq!(before, after, "session {n} moved to another thread");
            }
            // Round robin: sessions 0 and 3 share a thread, 0, 1 and 2 do not.
            assert_eq!(seen[0].1, seen[3].1);
            assert!(seen[0].1 != seen[1].1 && seen[1].1 != seen[2].1 && seen[0].1 != seen[2].1);
            assert_eq!(seen[0].1, std::thread::current().id(), "the first shard is the caller's runtime");
            shards.stop();
        });
    }
}
