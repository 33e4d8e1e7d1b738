#![allow(dead_code, clippy::unwrap_used)]
use bytes::Bytes;
use jetmirror_store::SyncPolicy;
use jetmirror_stream::api::consumer::{ConsumerAction, ConsumerConfig, NextRequest};
use jetmirror_stream::api::stream::StreamConfig;
use jetmirror_stream::validate;
use jetmirror_stream::{Applied, Command, Effect, Stream};

pub const T0: i64 = 1_795_442_514_621_459_089; // 2026-11-23T14:01:54.621459089Z

pub fn stream_cfg(json: &str) -> StreamConfig {
    let raw: StreamConfig = serde_json::from_str(json).unwrap();
    validate::check_stream_create(&raw, false, std::iter::empty()).unwrap()
}

pub fn new_stream(dir: &std::path::Path, json: &str) -> Stream {
    Stream::create_with_sync(dir, stream_cfg(json), T0, "", SyncPolicy::Never).unwrap()
}

pub fn publish(s: &mut Stream, subject: &str, headers: &[u8], payload: &[u8], now: i64) -> Applied {
    s.apply(Command::Publish {
        subject: subject.into(),
        reply: Some("_INBOX.ack".into()),
        headers: Bytes::copy_from_slice(headers),
        payload: Bytes::copy_from_slice(payload),
        now_ns: now,
    })
}

pub fn reply_text(a: &Applied) -> String {
    for e in &a.effects {
        if let Effect::Reply { payload, .. } = e {
            return String::from_utf8(payload.to_vec()).unwrap();
        }
    }
    String::new()
}

pub fn consumer(s: &mut Stream, json: &str, now: i64) -> Applied {
    let config: ConsumerConfig = serde_json::from_str(json).unwrap();
    s.apply(Command::CreateConsumer {
        config,
        action: ConsumerAction::CreateOrUpdate,
        pedantic: false,
        generated_name: "GEN".into(),
        now_ns: now,
    })
}

pub fn pull(s: &mut Stream, c: &str, reply: &str, body: &str, now: i64) -> Applied {
    let request = NextRequest::parse(body.as_bytes()).unwrap();
    s.apply(Command::Pull {
        consumer: c.into(),
        reply: reply.into(),
        request,
        now_ns: now,
    })
}

/// (msg subject, ack reply) of the deliveries.
pub fn deliveries(a: &Applied) -> Vec<(String, String)> {
    a.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Deliver {
                msg_subject,
                reply,
                headers,
                ..
            } if !headers
                .as_ref()
                .is_some_and(|h| h.starts_with(b"NATS/1.0 1")) =>
            {
                Some((msg_subject.clone(), reply.clone().unwrap_or_default()))
            }
            _ => None,
        })
        .collect()
}

/// Status lines of header-only replies, e.g. "NATS/1.0 404 No Messages".
pub fn statuses(a: &Applied) -> Vec<String> {
    a.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Reply {
                headers: Some(h), ..
            } => Some(
                String::from_utf8_lossy(h)
                    .split("\r\n")
                    .collect::<Vec<_>>()
                    .join("|"),
            ),
            _ => None,
        })
        .collect()
}

pub fn advisories(a: &Applied) -> Vec<String> {
    a.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Advisory(adv) => Some(adv.subject.clone()),
            _ => None,
        })
        .collect()
}

/// Acks through an ack reply subject, as the server would after parsing `$JS.ACK…`.
pub fn ack_via(s: &mut Stream, ack_subject: &str, body: &[u8], now: i64) -> Applied {
    let a = jetmirror_stream::AckSubject::parse(ack_subject).unwrap();
    s.apply(Command::Ack {
        consumer: a.consumer,
        stream_seq: a.stream_seq,
        consumer_seq: a.consumer_seq,
        kind: jetmirror_stream::AckKind::parse(body),
        reply: None,
        now_ns: now,
    })
}

/// (delivered consumer, delivered stream, floor consumer, floor stream, ack pending, redelivered, num pending)
pub fn floors(s: &Stream, c: &str) -> (u64, u64, u64, u64, u64, u64, u64) {
    let i = s.consumer_info(c, T0).unwrap();
    (
        i.delivered.consumer_seq,
        i.delivered.stream_seq,
        i.ack_floor.consumer_seq,
        i.ack_floor.stream_seq,
        i.num_ack_pending,
        i.num_redelivered,
        i.num_pending,
    )
}
