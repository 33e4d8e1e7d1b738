//! Resumable decoders over a `BytesMut` read buffer, byte-compatible with
//! nats-server's `server/parser.go` (spec §2):
//!
//! - verbs are matched case-insensitively, byte by byte, so a bad byte is
//!   reported as soon as it arrives;
//! - `PUB`, `HPUB`, `SUB`, `UNSUB`, `MSG`, `HMSG`, `-ERR` need a space/TAB after the
//!   verb; `CONNECT`/`INFO` do not; further spaces/TABs are skipped;
//! - arguments split on runs of space, TAB (and CR); a line ends at `\n`, an
//!   optional `\r` before it is dropped;
//! - `PING`/`PONG`/`+OK` ignore every byte up to `\n`; those bytes are discarded as
//!   they arrive, so junk is never buffered;
//! - the argument part of a control line is bounded by `max_control_line`, checked
//!   on every call while the line is incomplete (so an endless line fails fast);
//! - sizes are 1 to 9 decimal digits (`parseSize` in server/util.go);
//! - a payload must be followed by exactly `\r\n`.
//!
//! State between calls is tiny (the current state plus, while a payload is
//! outstanding, its parsed control line); bytes not yet decodable stay in the
//! caller's buffer. Decoded `Bytes` are split off the buffer, never copied. When a
//! whole frame is buffered, the control line and payload come out of one split.

use bytes::{Buf, Bytes, BytesMut};

use crate::error::ProtocolError;
use crate::limits::Limits;
use crate::op::{ClientOp, ServerOp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    Connect,
    Info,
    Pub,
    HPub,
    Sub,
    Unsub,
    Msg,
    HMsg,
    Ping,
    Pong,
    Ok,
    Err,
}

impl Verb {
    /// Must the verb be followed by a space or TAB?
    fn needs_separator(self) -> bool {
        !matches!(self, Verb::Connect | Verb::Info)
    }

    /// Is the rest of the line ignored (PING/PONG/+OK)?
    fn ignores_line(self) -> bool {
        matches!(self, Verb::Ping | Verb::Pong | Verb::Ok)
    }
}

/// Which side's ops a decoder accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// Decodes what clients send (server side).
    FromClient,
    /// Decodes what servers send (client side).
    FromServer,
}

const CLIENT_VERBS: &[(&[u8], Verb)] = &[
    (b"PUB", Verb::Pub),
    (b"HPUB", Verb::HPub),
    (b"PING", Verb::Ping),
    (b"PONG", Verb::Pong),
    (b"SUB", Verb::Sub),
    (b"UNSUB", Verb::Unsub),
    (b"CONNECT", Verb::Connect),
    (b"INFO", Verb::Info),
    (b"+OK", Verb::Ok),
    (b"-ERR", Verb::Err),
];

const SERVER_VERBS: &[(&[u8], Verb)] = &[
    (b"MSG", Verb::Msg),
    (b"HMSG", Verb::HMsg),
    (b"PING", Verb::Ping),
    (b"PONG", Verb::Pong),
    (b"INFO", Verb::Info),
    (b"+OK", Verb::Ok),
    (b"-ERR", Verb::Err),
];

/// A control line whose payload has not fully arrived yet.
#[derive(Debug)]
struct PendingMsg {
    verb: Verb,
    subject: Bytes,
    sid: Bytes,
    reply: Option<Bytes>,
    /// Header bytes at the start of the payload (0 for PUB/MSG).
    header_len: usize,
    /// Bytes of headers plus payload, excluding the trailing CRLF.
    total_len: usize,
}

#[derive(Debug)]
enum State {
    /// At the start of an op: expecting a verb.
    Start,
    /// The verb is consumed; the next byte must be a space or TAB.
    Separator(Verb),
    /// Skipping spaces/TABs before the arguments.
    Spaces(Verb),
    /// Arguments start at the buffer's first byte and run to `\n`.
    Args(Verb),
    /// PING/PONG/+OK: discarding bytes through `\n`.
    Junk(Verb),
    /// Waiting for `total_len + 2` bytes of payload and CRLF.
    Payload(PendingMsg),
}

/// A decoded op, before it is turned into the side's op type.
enum Frame {
    Bare(Verb),
    /// CONNECT / INFO / -ERR with its argument text.
    Text(Verb, Bytes),
    Sub {
        subject: Bytes,
        queue: Option<Bytes>,
        sid: Bytes,
    },
    Unsub {
        sid: Bytes,
        max: Option<u64>,
    },
    Msg {
        subject: Bytes,
        sid: Bytes,
        reply: Option<Bytes>,
        headers: Option<Bytes>,
        payload: Bytes,
    },
}

/// Up to this many argument tokens are recorded; one more than any op accepts, so
/// "too many" is detectable without allocating.
const MAX_ARGS: usize = 6;

/// Byte ranges of the whitespace-separated tokens of a control line.
struct Args {
    spans: [(usize, usize); MAX_ARGS],
    /// Number of tokens, saturating at `MAX_ARGS`.
    len: usize,
}

impl Args {
    /// Tokenises a control line's argument part with nom: runs of space, TAB (and CR)
    /// separate tokens (`args` in the grammar below).
    fn split(line: &[u8]) -> Args {
        let mut args = Args {
            spans: [(0, 0); MAX_ARGS],
            len: 0,
        };
        let mut rest = line;
        while let Ok((after, tok)) = args_grammar::token(rest) {
            // The token ends where the unparsed rest begins.
            let end = line.len() - after.len();
            args.push(end - tok.len(), end);
            rest = after;
        }
        args
    }

    fn push(&mut self, start: usize, end: usize) {
        if let Some(slot) = self.spans.get_mut(self.len) {
            *slot = (start, end);
            self.len += 1;
        }
    }

    fn span(&self, i: usize) -> (usize, usize) {
        self.spans.get(i).copied().unwrap_or((0, 0))
    }

    fn get<'a>(&self, line: &'a [u8], i: usize) -> &'a [u8] {
        let (s, e) = self.span(i);
        line.get(s..e).unwrap_or_default()
    }
}

/// nats-server's `parseSize`: 1 to 9 decimal digits, else `None`.
fn parse_size(d: &[u8]) -> Option<usize> {
    match args_grammar::size(d) {
        Ok(([], n)) => Some(n),
        _ => None,
    }
}

/// The control-line argument grammar, in nom (complete input: the decoder hands over a
/// whole line once its `\n` has arrived).
mod args_grammar {
    use nom::bytes::complete::{take_till1, take_while, take_while_m_n};
    use nom::combinator::map;
    use nom::sequence::preceded;
    use nom::IResult;

    fn is_separator(b: u8) -> bool {
        matches!(b, b' ' | b'\t' | b'\r' | b'\n')
    }

    /// Optional separators, then one token.
    pub(super) fn token(input: &[u8]) -> IResult<&[u8], &[u8]> {
        preceded(take_while(is_separator), take_till1(is_separator))(input)
    }

    /// 1 to 9 ASCII digits as a number.
    pub(super) fn size(input: &[u8]) -> IResult<&[u8], usize> {
        map(
            take_while_m_n(1, 9, |b: u8| b.is_ascii_digit()),
            |d: &[u8]| d.iter().fold(0usize, |n, b| n * 10 + usize::from(b - b'0')),
        )(input)
    }
}

/// Length of an argument part for the control-line limit: nats-server drops the
/// `\r` before `\n`, so a trailing `\r` does not count.
fn arg_len(line: &[u8]) -> usize {
    match line.last() {
        Some(b'\r') => line.len() - 1,
        _ => line.len(),
    }
}

/// Strips trailing spaces, TABs and CR (the text ops' argument).
fn trim_end(line: &[u8]) -> usize {
    let mut end = line.len();
    while let Some(b' ' | b'\t' | b'\r') = line.get(end.wrapping_sub(1)) {
        end -= 1;
    }
    end
}

/// The shared state machine behind both decoders.
#[derive(Debug)]
struct Engine {
    limits: Limits,
    side: Side,
    state: State,
}

/// Result of matching the buffer's start against a verb table.
enum VerbMatch {
    Full(Verb, usize),
    Partial,
    None,
}

fn match_verb(table: &[(&[u8], Verb)], buf: &[u8]) -> VerbMatch {
    let mut partial = false;
    for &(name, verb) in table {
        let n = name.len().min(buf.len());
        let (Some(have), Some(want)) = (buf.get(..n), name.get(..n)) else {
            continue;
        };
        if have.eq_ignore_ascii_case(want) {
            if n == name.len() {
                return VerbMatch::Full(verb, n);
            }
            partial = true;
        }
    }
    if partial {
        VerbMatch::Partial
    } else {
        VerbMatch::None
    }
}

impl Engine {
    fn new(limits: Limits, side: Side) -> Engine {
        Engine {
            limits,
            side,
            state: State::Start,
        }
    }

    fn verbs(&self) -> &'static [(&'static [u8], Verb)] {
        match self.side {
            Side::FromClient => CLIENT_VERBS,
            Side::FromServer => SERVER_VERBS,
        }
    }

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, ProtocolError> {
        loop {
            match &self.state {
                State::Start => {
                    let Some(&first) = buf.first() else {
                        return Ok(None);
                    };
                    // Fast path for the hot op: "PUB " / "MSG ".
                    let fast = match self.side {
                        Side::FromClient => b"PUB",
                        Side::FromServer => b"MSG",
                    };
                    if (first | 0x20) == (fast[0] | 0x20)
                        && buf.get(..3).is_some_and(|v| v.eq_ignore_ascii_case(fast))
                    {
                        buf.advance(3);
                        let verb = if self.side == Side::FromClient {
                            Verb::Pub
                        } else {
                            Verb::Msg
                        };
                        self.state = State::Separator(verb);
                        continue;
                    }
                    match match_verb(self.verbs(), buf) {
                        VerbMatch::Full(verb, n) => {
                            buf.advance(n);
                            self.state = if verb.ignores_line() {
                                State::Junk(verb)
                            } else if verb.needs_separator() {
                                State::Separator(verb)
                            } else {
                                State::Spaces(verb)
                            };
                        }
                        VerbMatch::Partial => return Ok(None),
                        VerbMatch::None => return Err(ProtocolError::UnknownOp),
                    }
                }
                State::Junk(verb) => {
                    let verb = *verb;
                    match memchr::memchr(b'\n', buf) {
                        Some(i) => {
                            buf.advance(i + 1);
                            self.state = State::Start;
                            return Ok(Some(Frame::Bare(verb)));
                        }
                        None => {
                            buf.clear();
                            return Ok(None);
                        }
                    }
                }
                State::Separator(verb) => {
                    let verb = *verb;
                    match buf.first() {
                        None => return Ok(None),
                        Some(b' ' | b'\t') => {
                            buf.advance(1);
                            self.state = State::Spaces(verb);
                        }
                        Some(_) => return Err(ProtocolError::UnknownOp),
                    }
                }
                State::Spaces(verb) => {
                    let verb = *verb;
                    let n = buf.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
                    buf.advance(n);
                    if buf.is_empty() {
                        return Ok(None);
                    }
                    self.state = State::Args(verb);
                }
                State::Args(verb) => {
                    let verb = *verb;
                    let Some(nl) = memchr::memchr(b'\n', buf) else {
                        if arg_len(buf) > self.limits.max_control_line {
                            return Err(ProtocolError::MaxControlLine);
                        }
                        return Ok(None);
                    };
                    let line = buf.get(..nl).unwrap_or_default();
                    if arg_len(line) > self.limits.max_control_line {
                        return Err(ProtocolError::MaxControlLine);
                    }
                    return self.line(verb, buf, nl).map(Some).or_else(|e| match e {
                        Step::Error(e) => Err(e),
                        Step::NeedPayload => self.decode_payload(buf),
                    });
                }
                State::Payload(_) => return self.decode_payload(buf),
            }
        }
    }

    /// Handles a complete argument line `buf[..nl]` for `verb`. On success the line
    /// (and, for messages with all bytes present, the payload) has been consumed.
    fn line(&mut self, verb: Verb, buf: &mut BytesMut, nl: usize) -> Result<Frame, Step> {
        let line = buf.get(..nl).unwrap_or_default();
        match verb {
            Verb::Connect | Verb::Info | Verb::Err => {
                let end = trim_end(line);
                let mut text = buf.split_to(nl + 1).freeze();
                text.truncate(end);
                self.state = State::Start;
                Ok(Frame::Text(verb, text))
            }
            Verb::Sub => {
                let args = Args::split(line);
                let (subject, queue, sid) = match args.len {
                    2 => (args.span(0), None, args.span(1)),
                    3 => (args.span(0), Some(args.span(1)), args.span(2)),
                    _ => {
                        return Err(Step::Error(ProtocolError::Malformed(
                            "SUB: wrong number of arguments",
                        )))
                    }
                };
                let line = buf.split_to(nl + 1).freeze();
                self.state = State::Start;
                Ok(Frame::Sub {
                    subject: line.slice(subject.0..subject.1),
                    queue: queue.map(|q| line.slice(q.0..q.1)),
                    sid: line.slice(sid.0..sid.1),
                })
            }
            Verb::Unsub => {
                let args = Args::split(line);
                let (sid, max) = match args.len {
                    1 => (args.span(0), None),
                    // nats-server: a bad max parses as -1, meaning "remove now".
                    2 => (
                        args.span(0),
                        Some(parse_size(args.get(line, 1)).map_or(0, |m| m as u64)),
                    ),
                    _ => {
                        return Err(Step::Error(ProtocolError::Malformed(
                            "UNSUB: wrong number of arguments",
                        )))
                    }
                };
                let line = buf.split_to(nl + 1).freeze();
                self.state = State::Start;
                Ok(Frame::Unsub {
                    sid: line.slice(sid.0..sid.1),
                    max,
                })
            }
            Verb::Pub | Verb::HPub | Verb::Msg | Verb::HMsg => self.msg_line(verb, buf, nl),
            Verb::Ping | Verb::Pong | Verb::Ok => {
                // Unreachable: these go through State::Junk. Treat as a bare op.
                buf.advance(nl + 1);
                self.state = State::Start;
                Ok(Frame::Bare(verb))
            }
        }
    }

    fn msg_line(&mut self, verb: Verb, buf: &mut BytesMut, nl: usize) -> Result<Frame, Step> {
        let line = buf.get(..nl).unwrap_or_default();
        let args = Args::split(line);
        let malformed = |what| Err(Step::Error(ProtocolError::Malformed(what)));
        // Token positions: subject, [sid], [reply], [header size], size.
        let has_sid = matches!(verb, Verb::Msg | Verb::HMsg);
        let has_hdr = matches!(verb, Verb::HPub | Verb::HMsg);
        let base = 2 + usize::from(has_sid) + usize::from(has_hdr);
        let has_reply = if args.len == base {
            false
        } else if args.len == base + 1 {
            true
        } else {
            return malformed(match verb {
                Verb::Pub => "PUB: wrong number of arguments",
                Verb::HPub => "HPUB: wrong number of arguments",
                Verb::Msg => "MSG: wrong number of arguments",
                _ => "HMSG: wrong number of arguments",
            });
        };
        let subject = args.span(0);
        let sid = if has_sid { args.span(1) } else { (0, 0) };
        let reply_at = 1 + usize::from(has_sid);
        let reply = if has_reply {
            Some(args.span(reply_at))
        } else {
            None
        };
        let size_at = reply_at + usize::from(has_reply);
        let (header_len, total_len) = if has_hdr {
            let Some(h) = parse_size(args.get(line, size_at)) else {
                return malformed("bad header size");
            };
            let Some(t) = parse_size(args.get(line, size_at + 1)) else {
                return malformed("bad total size");
            };
            if h > t {
                return malformed("header size larger than total size");
            }
            (h, t)
        } else {
            let Some(t) = parse_size(args.get(line, size_at)) else {
                return malformed("bad size");
            };
            (0, t)
        };
        if total_len > self.limits.max_payload {
            return Err(Step::Error(ProtocolError::MaxPayload));
        }
        let frame_len = nl + 1 + total_len + 2;
        if buf.len() >= frame_len {
            // Whole frame buffered: check the CRLF, then one split for everything.
            if buf.get(frame_len - 2..frame_len) != Some(b"\r\n".as_slice()) {
                return Err(Step::Error(ProtocolError::UnknownOp));
            }
            let frame = buf.split_to(frame_len).freeze();
            self.state = State::Start;
            let body = nl + 1;
            return Ok(Frame::Msg {
                subject: frame.slice(subject.0..subject.1),
                sid: frame.slice(sid.0..sid.1),
                reply: reply.map(|r| frame.slice(r.0..r.1)),
                headers: has_hdr.then(|| frame.slice(body..body + header_len)),
                payload: frame.slice(body + header_len..body + total_len),
            });
        }
        let line = buf.split_to(nl + 1).freeze();
        self.state = State::Payload(PendingMsg {
            verb,
            subject: line.slice(subject.0..subject.1),
            sid: line.slice(sid.0..sid.1),
            reply: reply.map(|r| line.slice(r.0..r.1)),
            header_len,
            total_len,
        });
        Err(Step::NeedPayload)
    }

    fn decode_payload(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, ProtocolError> {
        let State::Payload(pending) = &self.state else {
            return Ok(None);
        };
        let total = pending.total_len;
        // Check the CRLF bytes as soon as they arrive, like MSG_END_R / MSG_END_N.
        if let Some(&b) = buf.get(total) {
            if b != b'\r' {
                return Err(ProtocolError::UnknownOp);
            }
        }
        if let Some(&b) = buf.get(total + 1) {
            if b != b'\n' {
                return Err(ProtocolError::UnknownOp);
            }
        }
        if buf.len() < total + 2 {
            return Ok(None);
        }
        let State::Payload(pending) = std::mem::replace(&mut self.state, State::Start) else {
            return Ok(None);
        };
        let body = buf.split_to(total).freeze();
        buf.advance(2);
        let has_hdr = matches!(pending.verb, Verb::HPub | Verb::HMsg);
        Ok(Some(Frame::Msg {
            subject: pending.subject,
            sid: pending.sid,
            reply: pending.reply,
            headers: has_hdr.then(|| body.slice(..pending.header_len)),
            payload: body.slice(pending.header_len..),
        }))
    }
}

/// Internal outcome of a control line that is not a finished frame.
enum Step {
    Error(ProtocolError),
    NeedPayload,
}

/// Server side: decodes the ops clients send.
#[derive(Debug)]
pub struct ClientOpDecoder {
    engine: Engine,
}

impl ClientOpDecoder {
    pub fn new(limits: Limits) -> Self {
        ClientOpDecoder {
            engine: Engine::new(limits, Side::FromClient),
        }
    }

    /// Decodes the next op from the front of `buf`, removing its bytes.
    /// `Ok(None)` means more bytes are needed (junk after PING/PONG/+OK and
    /// whitespace after a verb may have been consumed). After an `Err` the
    /// connection must be closed.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<ClientOp>, ProtocolError> {
        let Some(frame) = self.engine.decode(buf)? else {
            return Ok(None);
        };
        Ok(Some(match frame {
            Frame::Bare(Verb::Ping) => ClientOp::Ping,
            Frame::Bare(Verb::Pong) => ClientOp::Pong,
            Frame::Bare(_) => ClientOp::Ok,
            Frame::Text(Verb::Connect, t) => ClientOp::Connect(t),
            Frame::Text(Verb::Info, t) => ClientOp::Info(t),
            Frame::Text(_, t) => ClientOp::Err(t),
            Frame::Sub {
                subject,
                queue,
                sid,
            } => ClientOp::Sub {
                subject,
                queue,
                sid,
            },
            Frame::Unsub { sid, max } => ClientOp::Unsub { sid, max },
            Frame::Msg {
                subject,
                reply,
                headers: Some(headers),
                payload,
                sid: _,
            } => ClientOp::HPub {
                subject,
                reply,
                headers,
                payload,
            },
            Frame::Msg {
                subject,
                reply,
                payload,
                ..
            } => ClientOp::Pub {
                subject,
                reply,
                payload,
            },
        }))
    }
}

/// Client side: decodes the ops a server sends.
#[derive(Debug)]
pub struct ServerOpDecoder {
    engine: Engine,
}

impl ServerOpDecoder {
    pub fn new(limits: Limits) -> Self {
        ServerOpDecoder {
            engine: Engine::new(limits, Side::FromServer),
        }
    }

    /// Decodes the next op from the front of `buf`; see [`ClientOpDecoder::decode`].
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<ServerOp>, ProtocolError> {
        let Some(frame) = self.engine.decode(buf)? else {
            return Ok(None);
        };
        Ok(Some(match frame {
            Frame::Bare(Verb::Ping) => ServerOp::Ping,
            Frame::Bare(Verb::Pong) => ServerOp::Pong,
            Frame::Bare(_) => ServerOp::Ok,
            Frame::Text(Verb::Info, t) => ServerOp::Info(t),
            Frame::Text(_, t) => ServerOp::Err(strip_quotes(t)),
            Frame::Msg {
                subject,
                sid,
                reply,
                headers: Some(headers),
                payload,
                ..
            } => ServerOp::HMsg {
                subject,
                sid,
                reply,
                headers,
                payload,
            },
            Frame::Msg {
                subject,
                sid,
                reply,
                payload,
                ..
            } => ServerOp::Msg {
                subject,
                sid,
                reply,
                payload,
            },
            // SUB/UNSUB/CONNECT are not in the server verb table.
            Frame::Sub { .. } | Frame::Unsub { .. } => return Err(ProtocolError::UnknownOp),
        }))
    }
}

/// `'text'` → `text`; anything else unchanged.
fn strip_quotes(t: Bytes) -> Bytes {
    if t.len() >= 2 && t.first() == Some(&b'\'') && t.last() == Some(&b'\'') {
        t.slice(1..t.len() - 1)
    } else {
        t
    }
}
