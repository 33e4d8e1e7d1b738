//! Subscriptions and message delivery: the subject index of every subscription in one
//! account (each account has its own router), and the fan-out of one published message to plain subscribers and one member of each
//! queue group.
//!
//! A subscription delivers either to a client connection or to an internal handler (the
//! JetStream API and streams subscribe this way), so internal services see exactly the
//! traffic a client would. Interest in chosen subjects can be watched
//! ([`Router::watch`]), so push consumers learn at once that their deliver subject gained
//! or lost its subscriber.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use jetmirror_subject::{matches as subject_matches, InvalidSubject, Matches, SubjectIndex};
use parking_lot::RwLock;
use rand::Rng;
use tokio::sync::Notify;

use crate::client::ClientShared;

/// A message on its way to subscribers.
#[derive(Debug, Clone)]
pub struct RoutedMsg<'a> {
    /// The subject subscriptions are matched against.
    pub subject: &'a str,
    /// The subject written in MSG/HMSG when it differs from `subject`: JetStream delivers a
    /// stored message to a consumer's deliver (or pull reply) subject under its own subject.
    pub wire_subject: Option<&'a str>,
    pub reply: Option<&'a [u8]>,
    /// The whole header block, when the message has one.
    pub headers: Option<&'a Bytes>,
    pub payload: &'a Bytes,
    /// The connection that published it (0 for internal publishers).
    pub sender_cid: u64,
    /// Whether the sender wants its own messages back (`echo`).
    pub sender_echo: bool,
    /// Whether the sender asked for no-responders statuses (CONNECT `no_responders`), so a
    /// service that has no handler for a request can answer it with a 503.
    pub sender_no_responders: bool,
}

impl RoutedMsg<'_> {
    /// Header plus payload bytes, as nats-server counts message size.
    pub fn size(&self) -> usize {
        self.headers.map_or(0, |h| h.len()) + self.payload.len()
    }
}

/// Receives messages for an internal subscription.
pub trait InternalHandler: Send + Sync {
    /// Takes one message; `false` when it went nowhere (an import whose other side has no
    /// subscriber), so a requester can get its no-responders status.
    fn deliver(&self, sid: &Bytes, msg: &RoutedMsg<'_>) -> bool;
}

/// Where a subscription's messages go.
#[derive(Clone)]
pub enum SubTarget {
    Client(Arc<ClientShared>),
    Internal(Arc<dyn InternalHandler>),
}

impl std::fmt::Debug for SubTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SubTarget::Client(c) => write!(f, "Client({})", c.cid),
            SubTarget::Internal(_) => write!(f, "Internal"),
        }
    }
}

/// One subscription.
#[derive(Debug)]
pub struct Subscription {
    pub target: SubTarget,
    pub sid: Bytes,
    pub subject: String,
    pub queue: Option<String>,
    /// Auto-unsubscribe after this many deliveries in total (0: no limit).
    pub max: AtomicU64,
    pub delivered: AtomicU64,
    pub closed: AtomicBool,
}

/// A shared handle to a subscription; equality is identity.
#[derive(Debug, Clone)]
pub struct Sub(pub Arc<Subscription>);

impl PartialEq for Sub {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Sub {
    pub fn new(target: SubTarget, sid: Bytes, subject: String, queue: Option<String>) -> Self {
        Sub(Arc::new(Subscription {
            target,
            sid,
            subject,
            queue,
            max: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            closed: AtomicBool::new(false),
        }))
    }

    fn client_cid(&self) -> u64 {
        match &self.0.target {
            SubTarget::Client(c) => c.cid,
            SubTarget::Internal(_) => 0,
        }
    }

    /// Whether this subscription may take `msg` now.
    fn eligible(&self, msg: &RoutedMsg<'_>) -> bool {
        if self.0.closed.load(Ordering::Relaxed) {
            return false;
        }
        if !msg.sender_echo && msg.sender_cid != 0 && self.client_cid() == msg.sender_cid {
            return false;
        }
        let max = self.0.max.load(Ordering::Relaxed);
        max == 0 || self.0.delivered.load(Ordering::Relaxed) < max
    }
}

/// The node's subscriptions.
#[derive(Default)]
pub struct Router {
    index: RwLock<SubjectIndex<Sub>>,
    /// Literal subjects whose interest someone follows (push consumers' deliver subjects,
    /// as nats-server's `registerNotification`), and the signal raised when a subscription
    /// that matches one of them comes or goes.
    watched: RwLock<Vec<String>>,
    interest_changed: Notify,
    /// Bumped with every such change, before the signal: a reader that sees a message
    /// sent after the subscription also sees the bump.
    interest_epoch: AtomicU64,
    /// Subscriptions removed so far: a service holding requests whose requesters may have
    /// gone (waiting pull requests) looks again only when this moved.
    removals: AtomicU64,
}

impl Router {
    pub fn new() -> Self {
        Router::default()
    }

    pub fn insert(&self, sub: &Sub) -> Result<(), InvalidSubject> {
        self.index
            .write()
            .insert(&sub.0.subject, sub.0.queue.as_deref(), sub.clone())?;
        self.notify_interest(&sub.0.subject);
        Ok(())
    }

    pub fn remove(&self, sub: &Sub) {
        sub.0.closed.store(true, Ordering::Relaxed);
        let removed = self
            .index
            .write()
            .remove(&sub.0.subject, sub.0.queue.as_deref(), sub);
        if removed {
            self.removals.fetch_add(1, Ordering::Relaxed);
            self.notify_interest(&sub.0.subject);
        }
    }

    /// How many subscriptions were removed since the router started.
    pub fn removals(&self) -> u64 {
        self.removals.load(Ordering::Relaxed)
    }

    /// Follows interest in exactly `subjects` from now on (replacing the earlier set).
    pub fn watch(&self, subjects: Vec<String>) {
        let mut w = self.watched.write();
        if *w != subjects {
            *w = subjects;
        }
    }

    /// Resolves when a subscription matching a watched subject was added or removed
    /// since the last time this resolved (a change before the first wait counts).
    pub async fn interest_changed(&self) {
        self.interest_changed.notified().await;
    }

    /// Counts changes of watched interest (see [`Router::interest_changed`]).
    pub fn interest_epoch(&self) -> u64 {
        self.interest_epoch.load(Ordering::Acquire)
    }

    fn notify_interest(&self, filter: &str) {
        let w = self.watched.read();
        if w.iter().any(|s| subject_matches(filter, s)) {
            self.interest_epoch.fetch_add(1, Ordering::AcqRel);
            self.interest_changed.notify_one();
        }
    }

    pub fn matches(&self, subject: &str) -> Arc<Matches<Sub>> {
        self.index.read().matches(subject)
    }

    pub fn count(&self) -> usize {
        self.index.read().count()
    }

    pub fn stats(&self) -> jetmirror_subject::IndexStats {
        self.index.read().stats()
    }

    /// Delivers `msg` to every matching plain subscription and one eligible member of each
    /// matching queue group. Returns the number of deliveries.
    pub fn publish(&self, msg: &RoutedMsg<'_>) -> usize {
        let matches = self.matches(msg.subject);
        let mut delivered = 0;
        let mut expired: Vec<Sub> = Vec::new();
        for sub in &matches.plain {
            if sub.eligible(msg) && deliver(sub, msg, &mut expired) {
                delivered += 1;
            }
        }
        if !matches.queues.is_empty() {
            let mut rng = rand::rng();
            for (_, members) in &matches.queues {
                if members.is_empty() {
                    continue;
                }
                let start = rng.random_range(0..members.len());
                let picked = (0..members.len())
                    .filter_map(|i| members.get((start + i) % members.len()))
                    .find(|m| m.eligible(msg));
                if let Some(member) = picked {
                    if deliver(member, msg, &mut expired) {
                        delivered += 1;
                    }
                }
            }
        }
        for sub in expired {
            self.remove(&sub);
            if let SubTarget::Client(c) = &sub.0.target {
                c.forget_sub(&sub.0.sid);
            }
        }
        delivered
    }
}

/// Sends `msg` on `sub`, counting it against an auto-unsubscribe limit; a subscription that
/// reached its limit is queued in `expired` for removal.
fn deliver(sub: &Sub, msg: &RoutedMsg<'_>, expired: &mut Vec<Sub>) -> bool {
    let n = sub.0.delivered.fetch_add(1, Ordering::Relaxed) + 1;
    let max = sub.0.max.load(Ordering::Relaxed);
    if max != 0 && n >= max {
        if n > max {
            return false;
        }
        expired.push(sub.clone());
    }
    match &sub.0.target {
        SubTarget::Client(client) => client.send_msg(&sub.0.sid, msg),
        SubTarget::Internal(handler) => handler.deliver(&sub.0.sid, msg),
    }
}
