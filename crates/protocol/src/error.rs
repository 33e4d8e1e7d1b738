//! Decoder errors and the `-ERR` text nats-server sends for each (spec §10.1).
//! Every variant means "close the connection"; the decoder's state is undefined
//! afterwards.

/// A protocol violation found while decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// Unknown verb, missing separator after a verb, an op the peer may not send
    /// (e.g. `MSG` from a client), or a payload not followed by exactly CRLF.
    #[error("unknown protocol operation")]
    UnknownOp,
    /// The argument part of a control line is longer than `max_control_line`.
    #[error("maximum control line exceeded")]
    MaxControlLine,
    /// The size on a PUB/HPUB (or MSG/HMSG) control line exceeds `max_payload`.
    #[error("maximum payload violation")]
    MaxPayload,
    /// Wrong argument count, bad size, header size > total, ...: nats-server closes
    /// without an `-ERR`.
    #[error("malformed protocol operation: {0}")]
    Malformed(&'static str),
}

impl ProtocolError {
    /// The text nats-server puts in `-ERR '<text>'` before closing, or `None` when
    /// it closes silently.
    pub fn err_text(&self) -> Option<&'static str> {
        match self {
            ProtocolError::UnknownOp => Some("Unknown Protocol Operation"),
            ProtocolError::MaxControlLine => Some("maximum control line exceeded"),
            ProtocolError::MaxPayload => Some("Maximum Payload Violation"),
            ProtocolError::Malformed(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn err_texts_are_nats_server_texts() {
        assert_eq!(
            ProtocolError::UnknownOp.err_text(),
            Some("Unknown Protocol Operation")
        );
        assert_eq!(
            ProtocolError::MaxControlLine.err_text(),
            Some("maximum control line exceeded")
        );
        assert_eq!(
            ProtocolError::MaxPayload.err_text(),
            Some("Maximum Payload Violation")
        );
        assert_eq!(ProtocolError::Malformed("x").err_text(), None);
    }
}
