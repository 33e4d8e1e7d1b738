//! jetmirror-mirror: holding faithful mirrors of JetStream streams that live on a
//! real upstream nats-server.
//!
//! Parts:
//! - [`upstream`]: [`UpstreamClient`], a tokio-backed NATS client over
//!   `jetmirror-protocol` with reconnect, jittered back-off, ping liveness and the
//!   server list learned from INFO.
//! - [`core`]: [`MirrorIngest`], the sans-IO state machine of one mirror (consumer
//!   create requests, origin sequences and timestamps, gaps, flow control,
//!   heartbeats, stall detection, retry back-off). It talks to the stream layer only
//!   through its effects.
//! - [`driver`]: the tokio shell that runs one `MirrorIngest` on an
//!   `UpstreamClient` and writes into a [`MirrorSink`] (the stream layer's side).
#![deny(clippy::unwrap_used)]
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

pub mod core;
pub mod driver;
pub mod upstream;

pub use crate::core::{
    CreateReply, Effect, Inbound, InfoClock, MirrorConfig, MirrorInfo, MirrorIngest, OriginState,
    RetryReason, StoreError, StoreMsg, StoreState,
};
pub use driver::{spawn_mirror, MirrorHandle, MirrorSink, MirrorSnapshot, SinkFuture, SinkOp};
pub use upstream::{
    ConnectionEvent, Message, PublishError, RequestError, Status, Subscription, UpstreamClient,
    UpstreamConfig, UpstreamTls,
};
