//! `jetmirror`: a nats-server-compatible node that serves core NATS and (later) the JetStream
//! API, and mirrors streams from an upstream nats-server.
//!
//! Parts:
//! - [`server`]: the shared server state, the client listener and the accept loop.
//! - [`client`]: one task per client connection: handshake, parsing, and processing of ops.
//! - [`accounts`]: the accounts, their subject spaces, service and stream imports.
//! - [`router`]: subscriptions and message delivery through one account's subject index.
//! - [`outbound`]: the bounded per-connection send buffer and its writer task.
//! - [`auth`]: checking CONNECT credentials against the configured authorization.
//! - [`permissions`]: per-user publish and subscribe permissions.
//! - [`info`]: the INFO document and server identity.
//! - [`jetstream`]: the JetStream service: `$JS.API`, streams, consumers, acks.
//! - [`internal`]: subscriptions and publishing for services inside the node.
//! - [`logging`]: log lines in nats-server's format.
//! - [`monitor`]: the HTTP monitoring endpoints (`/varz`, `/connz`, `/subsz`, `/healthz`, ...).
//! - [`accountz`]: the `/accountz` document.
//! - [`stats`]: message and byte counters shared by the server and its connections.
//! - [`tls`]: TLS on the client port: configuration and the accept-side handshake.
//! - [`time_fmt`]: Go-compatible renderings of times and durations for monitoring.

#![recursion_limit = "256"]

pub mod accounts;
pub mod accountz;
pub mod auth;
pub mod client;
pub mod info;
pub mod internal;
pub mod jetstream;
pub mod logging;
pub mod monitor;
pub mod outbound;
pub mod permissions;
pub mod router;
pub mod server;
pub mod stats;
pub mod time_fmt;
pub mod tls;

pub use server::{Server, ServerHandle};
