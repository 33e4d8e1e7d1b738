//! The commit pipeline of the JetStream service: a thread that makes each finished batch
//! durable (fsync of the streams it wrote, then the stream metadata it changed) and only
//! then answers it (mirror batches, replies, acks, deliveries).
//!
//! The service hands over a [`Commit`] and goes on applying the next batch while this one
//! fsyncs, so group commit never stalls the service: the next batch's writes reach the OS
//! while the previous fsync runs, and its own fsync follows. Commits are handled strictly
//! in order, so what a batch publishes never overtakes an earlier batch, and nothing is
//! published before the data it depends on is on disk. A batch with nothing to make
//! durable is answered by the service itself when no commit is in flight (nothing earlier
//! can be overtaken then), which keeps the fetch path free of a thread hop. One exception,
//! decided by the service: deliveries of mirrored messages may go out before their flush
//! (see `Service::release_mirror_deliveries`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;

use jetmirror_mirror::StoreError;
use jetmirror_store::Flusher;
use jetmirror_stream::StreamMeta;
use tracing::error;

use super::{persist, MirrorAck, Outgoing};
use crate::accounts::AccountState;

/// Commits queued before the service waits for the pipeline.
const MAX_QUEUED_COMMITS: usize = 4;

/// What one batch must make durable, and what it publishes afterwards.
#[derive(Default)]
pub(super) struct Commit {
    /// Streams written by the batch (name, its store's flusher).
    pub flush: Vec<(String, Flusher)>,
    /// Stream metadata to save (None: the stream was deleted), after the flush.
    pub metas: Vec<(String, Option<StreamMeta>)>,
    pub mirror_acks: Vec<MirrorAck>,
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
    tx: Option<SyncSender<Commit>>,
    in_flight: Arc<AtomicUsize>,
    /// Of those, the ones that publish something.
    publishing: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
    state: Arc<AccountState>,
    meta_dir: PathBuf,
}

impl Pipeline {
    pub fn start(state: Arc<AccountState>, meta_dir: PathBuf) -> Pipeline {
        let (tx, rx) = sync_channel(MAX_QUEUED_COMMITS);
        let in_flight = Arc::new(AtomicUsize::new(0));
        let publishing = Arc::new(AtomicUsize::new(0));
        let thread = {
            let (state, meta_dir) = (state.clone(), meta_dir.clone());
            let (in_flight, publishing) = (in_flight.clone(), publishing.clone());
            std::thread::Builder::new()
                .name("jetmirror-commit".into())
                .spawn(move || run(rx, &state, &meta_dir, &in_flight, &publishing))
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
            publishing,
            thread,
            state,
            meta_dir,
        }
    }

    /// Commits `c`: at once when it has nothing to make durable and nothing is in flight
    /// (or when there is no commit thread), else through the thread, waiting (without
    /// stalling the runtime's other tasks) when [`MAX_QUEUED_COMMITS`] are queued.
    pub fn submit(&self, c: Commit) {
        let Some(tx) = &self.tx else {
            commit(c, &self.state, &self.meta_dir);
            return;
        };
        if c.is_volatile() && self.in_flight.load(Ordering::Acquire) == 0 {
            commit(c, &self.state, &self.meta_dir);
            return;
        }
        let publishes = !c.out.is_empty();
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        if publishes {
            self.publishing.fetch_add(1, Ordering::AcqRel);
        }
        let refused = match tx.try_send(c) {
            Ok(()) => None,
            Err(TrySendError::Full(c)) => super::blocking(|| tx.send(c)).err().map(|e| e.0),
            Err(TrySendError::Disconnected(c)) => Some(c),
        };
        if let Some(c) = refused {
            // The thread is gone (it only stops when the sender is dropped, unless it
            // panicked): commit here rather than lose the batch.
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            if publishes {
                self.publishing.fetch_sub(1, Ordering::AcqRel);
            }
            commit(c, &self.state, &self.meta_dir);
        }
    }

    /// No commit in flight publishes anything: what is published now overtakes no earlier
    /// publication (it may overtake a flush, which only the caller can judge).
    pub fn nothing_to_publish(&self) -> bool {
        self.tx.is_none() || self.publishing.load(Ordering::Acquire) == 0
    }

    /// Publishes `out` now, outside the pipeline. Only when [`Self::nothing_to_publish`].
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
    publishing: &AtomicUsize,
) {
    while let Ok(first) = rx.recv() {
        // Group commit across batches: every commit queued meanwhile shares one flush per
        // stream, and their answers go out in order after it.
        let mut queued = vec![first];
        while let Ok(c) = rx.try_recv() {
            queued.push(c);
        }
        let n = queued.len();
        let publishing_n = queued.iter().filter(|c| !c.out.is_empty()).count();
        commit(merge(queued), state, meta_dir);
        in_flight.fetch_sub(n, Ordering::AcqRel);
        publishing.fetch_sub(publishing_n, Ordering::AcqRel);
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
        merged.mirror_acks.extend(c.mirror_acks);
        merged.out.extend(c.out);
    }
    merged
}

/// Flush, save metadata, answer mirror batches, publish. A failed flush withholds every
/// reply and delivery of the batch and fails its mirror batches (the store refuses further
/// writes after a failed fsync).
fn commit(c: Commit, state: &AccountState, meta_dir: &std::path::Path) {
    for (name, flusher) in &c.flush {
        if let Err(e) = flusher.flush() {
            error!(stream = %name, error = %e, "flush failed; replies withheld");
            for (done, r) in c.mirror_acks {
                let seq = match r {
                    Err(StoreError::Other { seq })
                    | Err(StoreError::LastSeqMismatch { seq, .. }) => seq,
                    Ok(()) => 0,
                };
                let _ = done.send(Err(StoreError::Other { seq }));
            }
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
    for (done, r) in c.mirror_acks {
        let _ = done.send(r);
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
