//! Bounds a decoder enforces on its input (nats-server `server/const.go`).

/// nats-server's `MAX_CONTROL_LINE_SIZE`.
pub const DEFAULT_MAX_CONTROL_LINE: usize = 4096;
/// nats-server's `MAX_PAYLOAD_SIZE` (1 MiB).
pub const DEFAULT_MAX_PAYLOAD: usize = 1024 * 1024;

/// Decoder bounds. Together they bound what a decoder makes its caller buffer:
/// at most `max_control_line` (+ verb, CRLF) bytes of a control line, and at most
/// `max_payload + 2` bytes of payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest argument part of a control line (after the verb and its
    /// separating whitespace, excluding CRLF). `-ERR 'maximum control line exceeded'`.
    pub max_control_line: usize,
    /// Largest PUB size / HPUB total size. `-ERR 'Maximum Payload Violation'`.
    pub max_payload: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_control_line: DEFAULT_MAX_CONTROL_LINE,
            max_payload: DEFAULT_MAX_PAYLOAD,
        }
    }
}
