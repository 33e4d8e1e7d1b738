//! The protocol operations, one enum per direction, and their generic encoders.

use bytes::{Bytes, BytesMut};

use crate::encode::{
    encode_connect, encode_err_bytes, encode_hmsg, encode_hpub, encode_info, encode_msg,
    encode_pub, encode_sub, encode_unsub, OK, PING, PONG,
};

/// Ops a client sends (what [`crate::ClientOpDecoder`] yields on the server side).
/// Every `Bytes` is a slice of the decoder's input buffer, not a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientOp {
    /// The JSON text after `CONNECT` (leading and trailing spaces/tabs removed).
    Connect(Bytes),
    Pub {
        subject: Bytes,
        reply: Option<Bytes>,
        payload: Bytes,
    },
    HPub {
        subject: Bytes,
        reply: Option<Bytes>,
        /// The whole header block, `NATS/1.0...\r\n\r\n`; not validated (nats-server
        /// relays it as-is).
        headers: Bytes,
        payload: Bytes,
    },
    Sub {
        subject: Bytes,
        queue: Option<Bytes>,
        sid: Bytes,
    },
    /// `max`: `None` for no limit; a non-numeric (or over-long) max reads as
    /// `Some(0)`, which like `0` means "remove now".
    Unsub {
        sid: Bytes,
        max: Option<u64>,
    },
    Ping,
    Pong,
    Ok,
    /// The raw argument of a client's `-ERR` (nats-server closes silently).
    Err(Bytes),
    /// The JSON text of a client's `INFO` (accepted and ignored by nats-server).
    Info(Bytes),
}

/// Ops a server sends (what [`crate::ServerOpDecoder`] yields on the client side).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerOp {
    /// The JSON text after `INFO` (trailing space removed).
    Info(Bytes),
    Msg {
        subject: Bytes,
        sid: Bytes,
        reply: Option<Bytes>,
        payload: Bytes,
    },
    HMsg {
        subject: Bytes,
        sid: Bytes,
        reply: Option<Bytes>,
        headers: Bytes,
        payload: Bytes,
    },
    Ok,
    /// The text between the single quotes of `-ERR '<text>'`.
    Err(Bytes),
    Ping,
    Pong,
}

impl ClientOp {
    /// Appends this op in wire form.
    pub fn encode(&self, buf: &mut BytesMut) {
        match self {
            ClientOp::Connect(json) => encode_connect(buf, json),
            ClientOp::Pub {
                subject,
                reply,
                payload,
            } => encode_pub(buf, subject, reply.as_deref(), payload),
            ClientOp::HPub {
                subject,
                reply,
                headers,
                payload,
            } => encode_hpub(buf, subject, reply.as_deref(), headers, payload),
            ClientOp::Sub {
                subject,
                queue,
                sid,
            } => encode_sub(buf, subject, queue.as_deref(), sid),
            ClientOp::Unsub { sid, max } => encode_unsub(buf, sid, *max),
            ClientOp::Ping => buf.extend_from_slice(PING),
            ClientOp::Pong => buf.extend_from_slice(PONG),
            ClientOp::Ok => buf.extend_from_slice(OK),
            ClientOp::Err(text) => {
                buf.extend_from_slice(b"-ERR ");
                buf.extend_from_slice(text);
                buf.extend_from_slice(b"\r\n");
            }
            ClientOp::Info(json) => encode_info(buf, json),
        }
    }
}

impl ServerOp {
    /// Appends this op in wire form.
    pub fn encode(&self, buf: &mut BytesMut) {
        match self {
            ServerOp::Info(json) => encode_info(buf, json),
            ServerOp::Msg {
                subject,
                sid,
                reply,
                payload,
            } => encode_msg(buf, subject, sid, reply.as_deref(), payload),
            ServerOp::HMsg {
                subject,
                sid,
                reply,
                headers,
                payload,
            } => encode_hmsg(buf, subject, sid, reply.as_deref(), headers, payload),
            ServerOp::Ok => buf.extend_from_slice(OK),
            ServerOp::Err(text) => encode_err_bytes(buf, text),
            ServerOp::Ping => buf.extend_from_slice(PING),
            ServerOp::Pong => buf.extend_from_slice(PONG),
        }
    }
}
