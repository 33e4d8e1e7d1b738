//! Services inside the node (the JetStream API, streams, mirrors) talk NATS through the same
//! router as clients: they subscribe with a handler and publish as sender 0. A
//! [`ChannelHandler`] turns deliveries into owned messages on a bounded queue, so a service
//! runs on its own task and a slow service never blocks a publisher.

use std::sync::Arc;

use bytes::Bytes;
use jetmirror_subject::InvalidSubject;
use tokio::sync::mpsc;
use tracing::warn;

use crate::router::{InternalHandler, RoutedMsg, Sub};
use crate::server::ServerState;

/// A message delivered to an internal subscription, owned.
#[derive(Debug, Clone)]
pub struct InternalMsg {
    pub sid: Bytes,
    pub subject: String,
    pub reply: Option<String>,
    pub headers: Option<Bytes>,
    pub payload: Bytes,
    /// The requester takes a 503 status when nothing handles its request.
    pub no_responders: bool,
}

/// Forwards deliveries to a bounded channel; when the service falls behind, messages are
/// dropped and counted in the log (nats-server's internal queues behave the same way).
pub struct ChannelHandler {
    name: &'static str,
    tx: mpsc::Sender<InternalMsg>,
}

impl ChannelHandler {
    pub fn new(name: &'static str, capacity: usize) -> (Arc<Self>, mpsc::Receiver<InternalMsg>) {
        let (tx, rx) = mpsc::channel(capacity);
        (Arc::new(ChannelHandler { name, tx }), rx)
    }
}

impl InternalHandler for ChannelHandler {
    fn deliver(&self, sid: &Bytes, msg: &RoutedMsg<'_>) -> bool {
        let owned = InternalMsg {
            sid: sid.clone(),
            subject: msg.wire_subject.unwrap_or(msg.subject).to_string(),
            reply: msg.reply.map(|r| String::from_utf8_lossy(r).into_owned()),
            headers: msg.headers.cloned(),
            payload: msg.payload.clone(),
            no_responders: msg.sender_no_responders,
        };
        if self.tx.try_send(owned).is_err() {
            warn!(
                service = self.name,
                subject = msg.subject,
                "internal queue full, message dropped"
            );
        }
        true
    }
}

/// The `ServerState` forms work in the global account `$G`; services of other accounts use
/// the same methods on [`crate::accounts::AccountState`].
impl ServerState {
    /// Subscribes an internal handler to `subject` (optionally in a queue group) in `$G`.
    pub fn subscribe_internal(
        &self,
        subject: &str,
        queue: Option<&str>,
        sid: &str,
        handler: Arc<dyn InternalHandler>,
    ) -> Result<Sub, InvalidSubject> {
        self.accounts
            .global()
            .subscribe_internal(subject, queue, sid, handler)
    }

    pub fn unsubscribe_internal(&self, sub: &Sub) {
        self.accounts.global().unsubscribe_internal(sub);
    }

    /// Publishes from inside the node. Returns the number of deliveries.
    pub fn publish_internal(
        &self,
        subject: &str,
        reply: Option<&str>,
        headers: Option<&Bytes>,
        payload: &Bytes,
    ) -> usize {
        self.deliver_internal(subject, None, reply, headers, payload)
    }

    /// Publishes to the subscribers of `subject`, showing them `wire_subject` as the message's
    /// subject when given (JetStream deliveries keep the stored message's subject).
    pub fn deliver_internal(
        &self,
        subject: &str,
        wire_subject: Option<&str>,
        reply: Option<&str>,
        headers: Option<&Bytes>,
        payload: &Bytes,
    ) -> usize {
        self.accounts
            .global()
            .deliver_internal(subject, wire_subject, reply, headers, payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Server;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn internal_service_answers_a_client_request() {
        let opts = jetmirror_config::Options {
            host: "127.0.0.1".into(),
            port: -1,
            ..Default::default()
        };
        let handle = Server::start(opts).await.expect("server starts");
        let state = handle.state.clone();
        let (handler, mut rx) = ChannelHandler::new("echo", 16);
        state
            .subscribe_internal("svc.echo", None, "1", handler)
            .expect("valid subject");
        let service = state.clone();
        tokio::spawn(async move {
            while let Some(m) = rx.recv().await {
                if let Some(reply) = m.reply {
                    let mut body = b"echo:".to_vec();
                    body.extend_from_slice(&m.payload);
                    service.publish_internal(&reply, None, None, &Bytes::from(body));
                }
            }
        });

        let mut sock = tokio::net::TcpStream::connect(handle.client_addr())
            .await
            .expect("connect");
        sock.write_all(b"CONNECT {\"verbose\":false}\r\nSUB r.1 1\r\nPUB svc.echo r.1 2\r\nhi\r\n")
            .await
            .expect("write");
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        while !String::from_utf8_lossy(&got).contains("echo:hi") {
            let n = tokio::time::timeout_at(deadline, sock.read(&mut buf))
                .await
                .expect("reply in time")
                .expect("read");
            assert!(n > 0);
            got.extend_from_slice(&buf[..n]);
        }
        assert!(String::from_utf8_lossy(&got).contains("MSG r.1 1 7\r\necho:hi\r\n"));
        handle.shutdown().await;
    }
}
