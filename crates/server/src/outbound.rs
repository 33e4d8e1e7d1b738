//! The per-connection send path: a bounded buffer that any task may append to, drained by one
//! writer task per connection.
//!
//! Publishers encode straight into the receiver's buffer; the writer swaps the whole buffer
//! out and writes it in one call, so many small messages leave in a few large writes. The
//! buffer is bounded by `max_pending`: an append that would pass it marks the connection a
//! slow consumer and closes it, which keeps server memory bounded whatever a reader does
//! (at most the pending buffer plus the one being written).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::BytesMut;
use parking_lot::Mutex;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Why a connection's sending stopped, when it was not a normal close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteFailure {
    /// Appending would have passed `max_pending`.
    SlowConsumerPending,
    /// A write did not complete within `write_deadline`.
    SlowConsumerDeadline,
    /// The socket returned an error.
    WriteError,
}

/// The bounded outbound buffer of one connection.
#[derive(Debug)]
pub struct Outbound {
    buf: Mutex<BytesMut>,
    ready: Notify,
    max_pending: usize,
    failed: Mutex<Option<WriteFailure>>,
    flushing: AtomicBool,
}

impl Outbound {
    pub fn new(max_pending: usize) -> Self {
        Outbound {
            buf: Mutex::new(BytesMut::with_capacity(4096)),
            ready: Notify::new(),
            max_pending,
            failed: Mutex::new(None),
            flushing: AtomicBool::new(false),
        }
    }

    /// Appends with `encode`. Returns `false` when the connection has failed or this append
    /// made it a slow consumer (the caller then closes the connection).
    pub fn push(&self, encode: impl FnOnce(&mut BytesMut)) -> bool {
        let was_empty;
        {
            let mut buf = self.buf.lock();
            if self.failed.lock().is_some() {
                return false;
            }
            was_empty = buf.is_empty();
            encode(&mut buf);
            if buf.len() > self.max_pending {
                buf.clear();
                *self.failed.lock() = Some(WriteFailure::SlowConsumerPending);
                return false;
            }
        }
        if was_empty {
            self.ready.notify_one();
        }
        true
    }

    /// Bytes waiting to be written.
    pub fn pending_bytes(&self) -> usize {
        self.buf.lock().len()
    }

    pub fn failure(&self) -> Option<WriteFailure> {
        *self.failed.lock()
    }

    fn fail(&self, why: WriteFailure) {
        let mut failed = self.failed.lock();
        if failed.is_none() {
            *failed = Some(why);
        }
    }

    /// Whether the writer is in the middle of a write (for `/connz` stalls and tests).
    pub fn is_flushing(&self) -> bool {
        self.flushing.load(Ordering::Relaxed)
    }

    /// The writer task: drains the buffer into `sink` until `close` is cancelled, then writes
    /// what is left (bounded by `linger`) and shuts the socket down. A failed or overdue
    /// write records the failure and cancels `close`.
    pub async fn run_writer<W: AsyncWrite + Unpin>(
        &self,
        mut sink: W,
        close: CancellationToken,
        write_deadline: Duration,
        linger: Duration,
    ) {
        let mut local = BytesMut::with_capacity(4096);
        loop {
            tokio::select! {
                biased;
                _ = self.ready.notified() => {}
                _ = close.cancelled() => break,
            }
            loop {
                {
                    let mut buf = self.buf.lock();
                    std::mem::swap(&mut *buf, &mut local);
                }
                if local.is_empty() {
                    break;
                }
                self.flushing.store(true, Ordering::Relaxed);
                let result = tokio::time::timeout(write_deadline, sink.write_all(&local)).await;
                self.flushing.store(false, Ordering::Relaxed);
                local.clear();
                match result {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => {
                        self.fail(WriteFailure::WriteError);
                        close.cancel();
                        return;
                    }
                    Err(_) => {
                        self.fail(WriteFailure::SlowConsumerDeadline);
                        close.cancel();
                        return;
                    }
                }
            }
            if self.failure().is_some() {
                close.cancel();
                return;
            }
        }
        // Closing: send what is queued (an -ERR, usually), unless the connection failed.
        if self.failure().is_none() {
            let rest = std::mem::take(&mut *self.buf.lock());
            if !rest.is_empty() {
                let _ = tokio::time::timeout(linger, sink.write_all(&rest)).await;
            }
        }
        let _ = tokio::time::timeout(linger, sink.shutdown()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_past_max_pending_fails_and_frees() {
        let out = Outbound::new(10);
        assert!(out.push(|b| b.extend_from_slice(b"12345")));
        assert!(!out.push(|b| b.extend_from_slice(b"1234567")));
        assert_eq!(out.failure(), Some(WriteFailure::SlowConsumerPending));
        assert_eq!(out.pending_bytes(), 0);
        assert!(!out.push(|b| b.extend_from_slice(b"1")));
    }

    #[tokio::test]
    async fn writer_drains_and_flushes_on_close() {
        let out = std::sync::Arc::new(Outbound::new(1 << 20));
        let (client, mut server) = tokio::io::duplex(1 << 16);
        let close = CancellationToken::new();
        let o = out.clone();
        let c = close.clone();
        let writer = tokio::spawn(async move {
            o.run_writer(client, c, Duration::from_secs(1), Duration::from_secs(1))
                .await
        });
        out.push(|b| b.extend_from_slice(b"hello "));
        out.push(|b| b.extend_from_slice(b"world"));
        close.cancel();
        writer.await.ok();
        let mut got = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut server, &mut got)
            .await
            .ok();
        assert_eq!(got, b"hello world");
    }
}
