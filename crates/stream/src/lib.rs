//! jetmirror-stream: the JetStream data model and the deterministic stream state machine.
//!
//! # The seam
//!
//! Every change to a stream is a [`stream::Command`] applied by [`stream::Stream::apply`]:
//! publish, delete message, purge, update config, consumer create and delete, acks, pull
//! requests, push interest and `Tick` (time passing). Commands carry their time (`now_ns`)
//! and any name the shell had to draw at random (ephemeral consumer names), so applying
//! the same command log to two fresh streams yields the same [`stream::Applied`] results and
//! the same state: no clock, no randomness, no IO except the store. On one node the server
//! applies commands directly; with Raft the leader proposes the same commands and every
//! replica applies them, without changing the API layer.
//!
//! ```text
//!   $JS.API / publish / $JS.ACK        ┌────────────── Stream ──────────────┐
//!   server (sockets, timers, routing) ─┤ apply(Command{…, now_ns}) → Applied │─ store (segments)
//!                        ▲             │   outcome: Published | Purged | …    │
//!                        └── Effects ──┤   effects: Reply | Deliver | Advisory│
//!                                      └──────────────────────────────────────┘
//! ```
//!
//! Commands ([`stream::Command`]): `Publish`, `DeleteMsg`, `Purge`, `UpdateConfig`,
//! `CreateConsumer`, `DeleteConsumer`, `Ack` (parsed `$JS.ACK…` subject + body:
//! [`consumer::AckSubject`], [`consumer::AckKind`]), `Pull` (`CONSUMER.MSG.NEXT`),
//! `CancelPull`, `PushInterest`, `FlowControlReply`, `PauseConsumer`, `UnpinConsumer`,
//! `SourceStore` (a message the shell read from a source stream), `Tick`. Results
//! ([`stream::Outcome`]) go back to the API caller; effects ([`stream::Effect`]) are
//! messages to publish: `Reply` (PubAck, ack-ack, pull statuses 404/408/409/100), `Deliver`
//! (messages, heartbeats and flow control requests for consumers; republished messages
//! go out as `Reply` too), `Advisory`, and
//! `ConsumerDeleted`. Reads (info, MSG.GET, DIRECT.GET, NAMES/LIST) are plain methods.
//!
//! The server owns what is not deterministic or not per stream: sockets, subject routing,
//! timers (it sends `Tick` at least every 100 ms or at the next deadline), the `$JS.API`
//! dispatch and the name rules of the subject forms, advisory ids
//! ([`stream::Advisory::encode`]), and persisting [`stream::StreamMeta`] (config, created,
//! dedupe window, last msg id, consumers with their [`consumer::ConsumerState`]) next to
//! the store after commands that change it; [`stream::Stream::open`] takes it back after a
//! restart. Waiting pull requests, push interest and flow control are transient, as in
//! nats-server. Account-wide checks (subjects overlapping another stream, name in use) are
//! in [`account::Account`].
//!
//! # Parts
//!
//! - [`api`]: serde types and JSON exactly as nats-server 2.15.1 writes them, the error table.
//! - [`validate`]: stream and consumer config checks and defaults.
//! - [`consumer`]: consumer state, ack subjects and bodies.
//! - [`memstore`]: the memory store and the file/memory [`memstore::Backend`].
//! - [`stream`]: the state machine (subject transform, republish, TTL expiry included).
//! - [`ttl`]: `Nats-TTL` parsing and subject delete markers.
//! - [`source`]: stream sources on the same node (`Nats-Stream-Source`, index names).
//! - [`account`]: the streams of one account (create/update/delete, NAMES, LIST, INFO).
#![deny(clippy::unwrap_used, clippy::indexing_slicing)]

pub mod account;
pub mod api;
pub mod consumer;
pub mod memstore;
pub mod source;
pub mod stream;
pub mod ttl;
pub mod validate;

pub use account::Account;
pub use api::ApiError;
pub use consumer::{AckKind, AckSubject, ConsumerState};
pub use stream::{Advisory, Applied, Command, Effect, Outcome, Stream, StreamError, StreamMeta};
