//! The commit pipeline of the JetStream service: a thread that makes each finished batch
//! durable (fsync of the streams it wrote, then the stream metadata it changed) and only
//! then answers it (replies, acks, deliveries).
//!
//! The service hands over a [`Commit`] and goes on applying the next batch while this one
//! fsyncs, so group commit never stalls the service: the next batch's writes reach the OS
//! while the previous fsync runs, and its own fsync follows. The queue is unbounded: a
//! slow fsync never blocks the service (mirrors keep ingesting and delivering), and every
//! commit queued during a flush shares the next one. What the queue holds is bounded by
//! the clients themselves, which wait for the answers it carries. Commits are handled strictly
//! in order, so what a batch publishes never overtakes an earlier batch, and nothing is
//! published before the data it depends on is on disk. A batch with nothing to make
//! durable is answered by the service itself when no commit is in flight (nothing earlier
//! can be overtaken then), which keeps the fetch path free of a thread hop. One exception,
//! decided by the service: what mirror streams' consumers send goes out before the flush
//! (see `Service::free_out`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

use jetmirror_store::Flusher;
use jetmirror_stream::StreamMeta;
use tracing::error;

use super::{persist, Outgoing};
use crate::accounts::AccountState;

/// What one batch must make durable, and what it publishes afterwards.
#[derive(Default)]
pub(super) struct Commit {
    /// Streams written by the batch (name, its store's flusher).
    pub flush: Vec<(String, Flusher)>,
    /// Stream metadata to save (None: the stream was deleted), after the flush.
    pub metas: Vec<(String, Option<StreamMeta>)>,
    pub out: Vec<Outgoing>,
}

impl Commit {
    /// Nothing to make durable: it may be published at once.
    pub fn is_volatile(&self) -> bool {
        self.flush.is_empty() && self.metas.is_empty()
    }
}

/// The commit thread and the count of commits not yet fully published.
pub(super) struct Pipeline {
    tx: Option<Sender<Commit>>,
    in_flight: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
    state: Arc<AccountState>,
    meta_dir: PathBuf,
}

impl Pipeline {
    pub fn start(state: Arc<AccountState>, meta_dir: PathBuf) -> Pipeline {
        let (tx, rx) = channel();
        let in_flight = Arc::new(AtomicUsize::new(0));
        let thread = {
            let (state, meta_dir) = (state.clone(), meta_dir.clone());
            let in_flight = in_flight.clone();
            std::thread::Builder::new()
                .name("jetmirror-commit".into())
                .spawn(move || run(rx, &state, &meta_dir, &in_flight))
        };
        let thread = match thread {
            Ok(t) => Some(t),
            Err(e) => {
                // Without the thread every commit runs on the service itself.
                error!(error = %e, "cannot start the commit thread; committing inline");
                None
            }
        };
        Pipeline {
            tx: thread.is_some().then_some(tx),
            in_flight,
            thread,
            state,
            meta_dir,
        }
    }

    /// Commits `c`: at once when it has nothing to make durable and nothing is in flight
    /// (or when there is no commit thread), else through the thread. Never waits.
    pub fn submit(&self, c: Commit) {
        let Some(tx) = &self.tx else {
            commit(c, &self.state, &self.meta_dir);
            return;
        };
        if c.is_volatile() && self.in_flight.load(Ordering::Acquire) == 0 {
            commit(c, &self.state, &self.meta_dir);
            return;
        }
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        if let Err(refused) = tx.send(c) {
            let c = refused.0;
            // The thread is gone (it only stops when the sender is dropped, unless it
            // panicked): commit here rather than lose the batch.
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            commit(c, &self.state, &self.meta_dir);
        }
    }

    /// Publishes `out` now, outside the pipeline: for what depends on no commit in flight.
    pub fn publish_now(&self, out: Vec<Outgoing>) {
        commit(
            Commit {
                out,
                ..Commit::default()
            },
            &self.state,
            &self.meta_dir,
        );
    }

    /// Waits until every submitted commit is published, and stops the thread.
    pub fn close(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        self.close();
    }
}

fn run(
    rx: Receiver<Commit>,
    state: &AccountState,
    meta_dir: &std::path::Path,
    in_flight: &AtomicUsize,
) {
    while let Ok(first) = rx.recv() {
        // Group commit across batches: every commit queued meanwhile shares one flush per
        // stream, and their answers go out in order after it.
        let mut queued = vec![first];
        while let Ok(c) = rx.try_recv() {
            queued.push(c);
        }
        let n = queued.len();
        commit(merge(queued), state, meta_dir);
        in_flight.fetch_sub(n, Ordering::AcqRel);
    }
}

/// One commit for several, in order: each written stream flushed once, each stream's last
/// metadata saved, every answer and publication kept in its original order.
fn merge(commits: Vec<Commit>) -> Commit {
    let mut merged = Commit::default();
    for c in commits {
        for (name, flusher) in c.flush {
            if !merged.flush.iter().any(|(n, _)| *n == name) {
                merged.flush.push((name, flusher));
            }
        }
        for (name, meta) in c.metas {
            merged.metas.retain(|(n, _)| *n != name);
            merged.metas.push((name, meta));
        }
        merged.out.extend(c.out);
    }
    merged
}

/// Flush, save metadata, publish. A failed flush withholds every reply and delivery of the
/// batch (the store refuses further writes after a failed fsync, so mirrors and
/// publishers see the failure on their next write).
fn commit(c: Commit, state: &AccountState, meta_dir: &std::path::Path) {
    for (name, flusher) in &c.flush {
        if let Err(e) = flusher.flush() {
            error!(stream = %name, error = %e, "flush failed; replies withheld");
            return;
        }
    }
    for (name, meta) in &c.metas {
        match meta {
            Some(m) => {
                if let Err(e) = persist::save_meta(meta_dir, m) {
                    error!(stream = %name, error = %e, "cannot save stream metadata");
                }
            }
            None => persist::remove_meta(meta_dir, name),
        }
    }
    for o in c.out {
        state.deliver_internal(
            &o.subject,
            o.wire_subject.as_deref(),
            o.reply.as_deref(),
            o.headers.as_ref(),
            &o.payload,
        );
    }
}
