//! The `$JS.ACK` reply subject of a delivered JetStream message: where a mirror
//! learns the origin sequence, the consumer sequence, the origin timestamp and the
//! pending count (mirror.md §5.1; nats-server `server/consumer.go`, func ackReplyInfo).

/// Fields of an ack reply subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckInfo<'a> {
    /// Origin stream name token.
    pub stream: &'a str,
    /// Consumer name token (must be the mirror's current consumer).
    pub consumer: &'a str,
    /// Delivery count; > 1 is a redelivery.
    pub delivered: u64,
    /// Origin stream sequence.
    pub stream_seq: u64,
    /// Consumer delivery sequence.
    pub consumer_seq: u64,
    /// Origin timestamp, Unix nanoseconds.
    pub timestamp_ns: i64,
    /// Messages still pending for the consumer after this one.
    pub pending: u64,
}

const V1_TOKENS: usize = 9;
const V2_TOKENS: usize = 11;

/// nats-server's `parseAckReplyNum`: ASCII digits only, else -1.
fn parse_num(token: &str) -> Option<i64> {
    if token.is_empty() || token.len() > 19 || !token.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token.parse().ok()
}

/// Parses a v1 (9 tokens) or v2 (11+ tokens) ack subject; `None` when it is not one
/// or a numeric token is not a number.
pub fn parse_ack_reply(subject: &str) -> Option<AckInfo<'_>> {
    // Every mirrored message goes through here: the tokens used go on the stack (only the
    // first 11 are ever read; the count decides the layout).
    let mut buf = [""; V2_TOKENS];
    let mut count = 0;
    for token in subject.split('.') {
        if let Some(slot) = buf.get_mut(count) {
            *slot = token;
        }
        count += 1;
    }
    let tokens = buf.get(..count.min(V2_TOKENS))?;
    if count != V1_TOKENS && count < V2_TOKENS {
        return None;
    }
    if tokens.first() != Some(&"$JS") || tokens.get(1) != Some(&"ACK") {
        return None;
    }
    let offset = if count >= V2_TOKENS { 4 } else { 2 };
    let num = |i: usize| tokens.get(offset + i).and_then(|t| parse_num(t));
    Some(AckInfo {
        stream: tokens.get(offset)?,
        consumer: tokens.get(offset + 1)?,
        delivered: u64::try_from(num(2)?).ok()?,
        stream_seq: u64::try_from(num(3)?).ok()?,
        consumer_seq: u64::try_from(num(4)?).ok()?,
        timestamp_ns: num(5)?,
        pending: u64::try_from(num(6)?).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_observed_subject() {
        let a =
            parse_ack_reply("$JS.ACK.ORIG.JS_MIRROR_L9fwEMNd-sVKZOIRp.1.2.2.1795442514622133394.3");
        assert_eq!(
            a,
            Some(AckInfo {
                stream: "ORIG",
                consumer: "JS_MIRROR_L9fwEMNd-sVKZOIRp",
                delivered: 1,
                stream_seq: 2,
                consumer_seq: 2,
                timestamp_ns: 1795442514622133394,
                pending: 3,
            })
        );
    }

    #[test]
    fn v2_subject_with_domain_and_account_hash() {
        let a =
            parse_ack_reply("$JS.ACK.hub.ACCHASH.ORIG.C1.1.7.5.100.0.token").expect("v2 parses");
        assert_eq!((a.stream, a.consumer), ("ORIG", "C1"));
        assert_eq!(
            (a.stream_seq, a.consumer_seq, a.timestamp_ns, a.pending),
            (7, 5, 100, 0)
        );
    }

    #[test]
    fn rejects_other_subjects() {
        assert_eq!(parse_ack_reply("$JS.ACK.ORIG.C.1.2.2.3"), None);
        assert_eq!(parse_ack_reply("_INBOX.a.b.c.d.e.f.g.h"), None);
        assert_eq!(parse_ack_reply("$JS.ACK.ORIG.C.1.x.2.3.4"), None);
        assert_eq!(parse_ack_reply("$JS.ACK.ORIG.C.1.2.2.3.4.5"), None);
        assert_eq!(parse_ack_reply(""), None);
    }
}
