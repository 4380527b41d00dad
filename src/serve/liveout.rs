//! `serve`'s live trace on its way to the terminal: lines rendered on the
//! threads that run the sessions and written by one writer thread.
//!
//! **Batches.** When every event is recorded on one thread (`serve
//! --threads 1`, the default on two cores), that thread writes each line
//! into a batch (a thread-local string) instead of queueing it alone; the
//! batch is handed to the writer when it reaches [`BATCH`] octets, when the
//! thread's runtime is about to wait for something to happen
//! ([`flush_thread`], run by `serve`'s runtimes as they park) and when the
//! thread ends. A line is therefore on its way as soon as its thread has
//! nothing more to do, and under load many lines go at once: one queue
//! operation for some eighty lines instead of one each. With several
//! threads, lines are queued one by one ([`LineSender::send`]): batches
//! handed over as each thread parks would put one thread's lines after
//! another's that they caused (a delivery before its `queue.add`).
//!
//! **Never waiting.** The queue to the writer holds at most [`TRACE_QUEUE`]
//! lines. Lines that would go beyond are dropped and counted, rather than
//! making a session wait; the writer says how many were dropped (on
//! standard error, so `--format json` stays JSON lines).

use crate::lesson::Lang;
use std::cell::RefCell;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Lines waiting for the terminal; beyond this, lines are dropped (and
/// counted) rather than making a session wait.
pub const TRACE_QUEUE: usize = 65_536;

/// A thread's batch is handed to the writer once it holds this many octets.
pub const BATCH: usize = 8 * 1024;
/// A batch's first allocation: a full batch and a long line more, so that a
/// batch filling up under load is never copied to a bigger one.
const BATCH_ROOM: usize = BATCH + 1024;

/// While lines come, the writer looks at its queue this often (a line
/// reaches the terminal at most this late once its thread has handed it
/// over) ...
const WRITER_PAUSE: std::time::Duration = std::time::Duration::from_millis(2);
/// ... and after this many looks that found nothing it blocks until the next batch.
const QUIET_ROUNDS: u32 = 25;

enum OutMsg {
    /// Lines, each ended by a newline, and how many.
    Lines(String, u64),
    /// Write everything queued, then answer.
    Flush(std::sync::mpsc::SyncSender<()>),
}

/// The live trace's writer: a thread of its own that takes batches of
/// rendered lines from a bounded queue and writes them through a buffer,
/// flushed each time it has drained the queue (while lines come it looks
/// every `WRITER_PAUSE` instead of waiting to be woken).
pub struct LiveOut {
    tx: std::sync::mpsc::Sender<OutMsg>,
    dropped: Arc<Counter>,
    queued: Arc<Counter>,
    limit: u64,
    id: u64,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// A handle that queues lines for a [`LiveOut`].
#[derive(Clone)]
pub struct LineSender {
    tx: std::sync::mpsc::Sender<OutMsg>,
    dropped: Arc<Counter>,
    /// Lines queued and not yet written, and how many may be.
    queued: Arc<Counter>,
    limit: u64,
    /// Which [`LiveOut`] (a thread's batches are kept per writer).
    id: u64,
}

/// A thread's batch for one writer.
struct Pending {
    to: LineSender,
    text: String,
    lines: u64,
}

impl Pending {
    fn hand_over(&mut self) {
        if self.lines > 0 {
            let text = std::mem::replace(&mut self.text, String::with_capacity(BATCH_ROOM));
            self.to.send_lines(text, std::mem::take(&mut self.lines));
        }
    }
}

impl Drop for Pending {
    /// A thread that ends hands over what it gathered.
    fn drop(&mut self) {
        self.hand_over();
    }
}

thread_local! {
    static PENDING: RefCell<Vec<Pending>> = const { RefCell::new(Vec::new()) };
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// A counter shared by the session threads and the writer, on cache lines
/// of its own. The writer changes `queued` for every batch it writes; a
/// small object allocated next to it (serve makes its hosts' names just
/// after, and every event changes a name's reference count) would share its
/// cache line, which each change on one core would take from the other.
/// (`perf` put nine-tenths of dropping an event on the decrement of the
/// host name's count; the machine's noise hid what padding changed.)
#[derive(Default)]
#[repr(align(128))]
struct Counter(AtomicU64);

impl std::ops::Deref for Counter {
    type Target = AtomicU64;
    fn deref(&self) -> &AtomicU64 {
        &self.0
    }
}

/// Hand over the lines this thread has gathered, for every writer.
/// `serve`'s runtimes run this as they park.
pub fn flush_thread() {
    // `try_with`: nothing to do on a thread whose locals are being torn down.
    let _ = PENDING.try_with(|p| {
        if let Ok(mut p) = p.try_borrow_mut() {
            for b in p.iter_mut() {
                b.hand_over();
            }
        }
    });
}

impl LineSender {
    /// Queue one line (without its newline) at once; drop and count it when
    /// the queue is full.
    pub fn send(&self, mut line: String) {
        line.push('\n');
        self.send_lines(line, 1);
    }

    /// Write one line (without its newline) into this thread's batch, with
    /// `write`; the batch goes to the writer when it is full or the thread
    /// parks ([`flush_thread`]).
    pub fn batch(&self, write: impl FnOnce(&mut String)) {
        let mut write = Some(write);
        let _ = PENDING.try_with(|p| {
            let Ok(mut p) = p.try_borrow_mut() else {
                return;
            };
            let Some(write) = write.take() else {
                return;
            };
            let i = match p.iter().position(|b| b.to.id == self.id) {
                Some(i) => i,
                None => {
                    p.push(Pending { to: self.clone(), text: String::with_capacity(BATCH_ROOM), lines: 0 });
                    p.len() - 1
                }
            };
            let b = &mut p[i];
            write(&mut b.text);
            b.text.push('\n');
            b.lines += 1;
            if b.text.len() >= BATCH {
                b.hand_over();
            }
        });
        if let Some(write) = write {
            // No batch on this thread (its locals are gone): the line goes alone.
            let mut line = String::new();
            write(&mut line);
            self.send(line);
        }
    }

    fn send_lines(&self, text: String, lines: u64) {
        let before = self.queued.fetch_add(lines, Ordering::Relaxed);
        if before + lines > self.limit || self.tx.send(OutMsg::Lines(text, lines)).is_err() {
            self.queued.fetch_sub(lines, Ordering::Relaxed);
            self.dropped.fetch_add(lines, Ordering::Relaxed);
        }
    }
}

impl LiveOut {
    pub fn start(queue: usize, out: Box<dyn Write + Send>, lang: Lang) -> std::io::Result<Self> {
        Self::start_with(queue, out, Box::new(std::io::stderr()), lang)
    }

    /// `notices`: where "N trace lines dropped" goes (in `lang`).
    pub fn start_with(
        queue: usize,
        out: Box<dyn Write + Send>,
        mut notices: Box<dyn Write + Send>,
        lang: Lang,
    ) -> std::io::Result<Self> {
        // Unbounded as a channel, bounded in lines by `queued`.
        let (tx, rx) = std::sync::mpsc::channel::<OutMsg>();
        let dropped = Arc::new(Counter::default());
        let queued = Arc::new(Counter::default());
        let seen = dropped.clone();
        let written = queued.clone();
        let thread = std::thread::Builder::new().name("maillab-trace".into()).spawn(move || {
            let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
            let mut told = 0u64;
            let write = |m: OutMsg, out: &mut std::io::BufWriter<Box<dyn Write + Send>>| match m {
                OutMsg::Lines(text, n) => {
                    let _ = out.write_all(text.as_bytes());
                    written.fetch_sub(n, Ordering::Relaxed);
                    None
                }
                OutMsg::Flush(ack) => Some(ack),
            };
            // Idle, the writer blocks in `recv`. Once lines come it stops
            // blocking: it drains the queue, writes, and pauses a moment before
            // looking again, so that a thread handing over lines does not have to
            // wake it (a futex call per line was a fifth of `serve`'s CPU under
            // load); only after a quiet spell does it block again.
            'run: while let Ok(first) = rx.recv() {
                let mut next = Some(first);
                let mut quiet = 0;
                loop {
                    let mut acks = Vec::new();
                    let mut got = next.is_some();
                    if let Some(m) = next.take() {
                        acks.extend(write(m, &mut out));
                    }
                    let mut gone = false;
                    // Everything queued meanwhile goes out in the same buffer.
                    loop {
                        match rx.try_recv() {
                            Ok(m) => {
                                got = true;
                                acks.extend(write(m, &mut out));
                            }
                            Err(std::sync::mpsc::TryRecvError::Empty) => break,
                            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                                gone = true;
                                break;
                            }
                        }
                    }
                    let _ = out.flush();
                    let d = seen.load(Ordering::Relaxed);
                    if d > told {
                        let n = d - told;
                        let _ = match lang {
                            Lang::En => writeln!(
                                notices,
                                "maillab serve: {n} trace lines dropped (the output could not keep up)"
                            ),
                            Lang::Ja => {
                                writeln!(notices, "maillab serve: 出力が追いつかず、トレースの行を {n} 行捨てました")
                            }
                        };
                        told = d;
                    }
                    for a in acks {
                        let _ = a.send(());
                    }
                    if gone {
                        break 'run;
                    }
                    quiet = if got { 0 } else { quiet + 1 };
                    if quiet >= QUIET_ROUNDS {
                        break;
                    }
                    std::thread::sleep(WRITER_PAUSE);
                }
            }
        })?;
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        Ok(LiveOut { tx, dropped, queued, limit: queue as u64, id, thread: Some(thread) })
    }

    pub fn sender(&self) -> LineSender {
        LineSender {
            tx: self.tx.clone(),
            dropped: self.dropped.clone(),
            queued: self.queued.clone(),
            limit: self.limit,
            id: self.id,
        }
    }

    /// Lines dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Write out what is queued, this thread's batch included (waiting at
    /// most a few seconds for a stuck terminal). Other threads hand theirs
    /// over as they park or end.
    pub fn finish(&self) {
        flush_thread();
        let (ack, done) = std::sync::mpsc::sync_channel(1);
        if self.tx.send(OutMsg::Flush(ack)).is_ok() {
            let _ = done.recv_timeout(std::time::Duration::from_secs(5));
        }
    }
}

impl Drop for LiveOut {
    fn drop(&mut self) {
        self.finish();
        // The thread ends when the last sender is gone; the trace (holding one)
        // may outlive this, so it is not joined.
        drop(self.thread.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A writer whose output the test can read.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            crate::base::sync::lock(&self.0).extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl Shared {
        fn text(&self) -> String {
            String::from_utf8_lossy(&crate::base::sync::lock(&self.0)).into_owned()
        }
    }

    #[test]
    fn a_full_queue_drops_and_counts_instead_of_waiting() {
        // No writer: the queue of four lines fills up, and what comes next is dropped at once.
        let (tx, rx) = std::sync::mpsc::channel();
        let (dropped, queued) = (Arc::new(Counter::default()), Arc::new(Counter::default()));
        let s = LineSender { tx, dropped: dropped.clone(), queued: queued.clone(), limit: 4, id: u64::MAX };
        s.send_lines("a\nb\n".into(), 2);
        s.send("c".into());
        // Three lines would make five: all three are dropped and counted.
        s.send_lines("d\ne\nf\n".into(), 3);
        assert_eq!(dropped.load(Ordering::Relaxed), 3);
        s.send("g".into());
        s.send("h".into());
        assert_eq!(dropped.load(Ordering::Relaxed), 4);
        assert_eq!(queued.load(Ordering::Relaxed), 4);
        assert_eq!(rx.try_iter().count(), 3);
    }

    #[test]
    fn the_writer_writes_every_line_and_says_how_many_were_dropped() {
        let (out, notices) = (Shared::default(), Shared::default());
        let w = LiveOut::start_with(16, Box::new(out.clone()), Box::new(notices.clone()), Lang::En).expect("a thread");
        let s = w.sender();
        s.send("one".into());
        s.send("two".into());
        w.finish();
        assert_eq!(out.text(), "one\ntwo\n");
        assert_eq!(notices.text(), "");
        assert_eq!(w.queued.load(Ordering::Relaxed), 0, "written lines leave the count");
        // Lines a full queue turned away are counted, and the writer says so once.
        w.dropped.fetch_add(5, Ordering::Relaxed);
        s.send("three".into());
        w.finish();
        assert_eq!(w.dropped(), 5);
        assert_eq!(out.text(), "one\ntwo\nthree\n");
        assert_eq!(notices.text(), "maillab serve: 5 trace lines dropped (the output could not keep up)\n");
        w.finish();
        assert_eq!(notices.text().lines().count(), 1);
    }

    #[test]
    fn batched_lines_go_out_when_full_when_flushed_and_when_their_thread_ends() {
        let out = Shared::default();
        let w =
            LiveOut::start_with(64, Box::new(out.clone()), Box::new(Shared::default()), Lang::En).expect("a thread");
        let s = w.sender();
        // Held in this thread's batch until it is flushed.
        s.batch(|b| b.push_str("first"));
        s.batch(|b| b.push_str("second"));
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(out.text(), "", "handed over too soon");
        flush_thread();
        w.finish();
        assert_eq!(out.text(), "first\nsecond\n");
        // A full batch goes at once, in order, with nothing lost or doubled.
        let long = "x".repeat(1000);
        for i in 0..(2 * BATCH / 1000 + 1) {
            s.batch(|b| {
                b.push_str(&long);
                b.push_str(&i.to_string());
            });
        }
        // What the writer has before this thread flushes: the full batch only.
        let (ack, done) = std::sync::mpsc::sync_channel(1);
        w.tx.send(OutMsg::Flush(ack)).expect("the writer runs");
        done.recv().expect("an answer");
        let per_batch = BATCH.div_ceil(long.len() + 2);
        assert_eq!(out.text().lines().filter(|l| l.starts_with('x')).count(), per_batch, "the full batch went at once");
        w.finish();
        // Another thread's lines go out when it ends, without a flush.
        let s2 = w.sender();
        std::thread::spawn(move || s2.batch(|b| b.push_str("from a thread that ends"))).join().expect("ran");
        w.finish();
        let text = out.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[..2], ["first", "second"]);
        let xs: Vec<&str> = lines.iter().copied().filter(|l| l.starts_with('x')).collect();
        assert_eq!(xs.len(), 2 * BATCH / 1000 + 1);
        for (i, l) in xs.iter().enumerate() {
            assert_eq!(l.trim_start_matches('x'), i.to_string());
        }
        assert_eq!(lines.last(), Some(&"from a thread that ends"));
        // Two writers on one thread keep their own batches.
        let (o1, o2) = (Shared::default(), Shared::default());
        let w1 = LiveOut::start_with(8, Box::new(o1.clone()), Box::new(Shared::default()), Lang::En).expect("a thread");
        let w2 = LiveOut::start_with(8, Box::new(o2.clone()), Box::new(Shared::default()), Lang::En).expect("a thread");
        w1.sender().batch(|b| b.push_str("to one"));
        w2.sender().batch(|b| b.push_str("to two"));
        w1.finish();
        w2.finish();
        assert_eq!((o1.text(), o2.text()), ("to one\n".to_string(), "to two\n".to_string()));
    }
}
