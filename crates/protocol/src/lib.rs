//! jetmirror-protocol: the NATS client wire protocol, both directions, sans-IO.
//!
//! Parts:
//! - [`limits`]: [`Limits`], the control-line and payload bounds a decoder enforces.
//! - [`error`]: [`ProtocolError`], what a decoder reports and which `-ERR` (if any)
//!   nats-server sends for it.
//! - [`op`]: [`ClientOp`] (client → server) and [`ServerOp`] (server → client), each
//!   with a generic `encode`.
//! - [`decode`]: [`ClientOpDecoder`] (server side) and [`ServerOpDecoder`] (client
//!   side): resumable parsers over a `BytesMut` read buffer, byte-compatible with
//!   nats-server's `server/parser.go` for any fragmentation of the input.
//! - [`encode`]: encoders that append one op to a `BytesMut`.
//! - [`headers`]: the `NATS/1.0` header block of HPUB/HMSG.
//!
//! Nothing here does IO or spawns tasks; callers own sockets and buffers.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod decode;
pub mod encode;
pub mod error;
pub mod headers;
pub mod limits;
pub mod op;

pub use decode::{ClientOpDecoder, ServerOpDecoder};
pub use encode::{
    encode_connect, encode_err, encode_hmsg, encode_hpub, encode_info, encode_msg, encode_pub,
    encode_sub, encode_unsub, OK, PING, PONG,
};
pub use error::ProtocolError;
pub use headers::{HeaderError, HeaderMap};
pub use limits::Limits;
pub use op::{ClientOp, ServerOp};

pub use jetmirror_subject::{
    is_valid_publish_subject, is_valid_subject, matches as subject_matches,
};
