//! Subject transform, republish, per-message TTL and subject delete markers, driven by
//! commands with their own time (expiry follows `Tick`'s `now_ns`, never the clock).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod common;
use bytes::Bytes;
use common::*;
use jetmirror_stream::api::stream::{MsgGetRequest, StreamConfig};
use jetmirror_stream::{validate, Command, Effect, Outcome, Stream};

const SEC: i64 = 1_000_000_000;

fn h(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut s = String::from("NATS/1.0\r\n");
    for (k, v) in pairs {
        s.push_str(&format!("{k}: {v}\r\n"));
    }
    s.push_str("\r\n");
    s.into_bytes()
}

fn subjects(s: &Stream) -> Vec<(u64, String)> {
    let st = s.state(false, None);
    let mut out = Vec::new();
    for seq in st.first_seq..=st.last_seq {
        if let Ok(m) = s.get_msg(&MsgGetRequest {
            seq,
            ..Default::default()
        }) {
            out.push((m.seq, m.subject));
        }
    }
    out
}

fn tick(s: &mut Stream, now: i64) -> Vec<Effect> {
    s.apply(Command::Tick { now_ns: now }).effects
}

fn config_err(json: &str) -> String {
    let raw: StreamConfig = serde_json::from_str(json).unwrap();
    match validate::check_stream_create(&raw, false, std::iter::empty()) {
        Ok(_) => String::new(),
        Err(e) => format!("{} {}", e.err_code, e.description),
    }
}

#[test]
fn subject_transform_stores_the_transformed_subject() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(
        dir.path(),
        r#"{"name":"T","subjects":["t.*","u.>"],"subject_transform":{"src":"t.*","dest":"tt.$1"}}"#,
    );
    publish(&mut s, "t.x", b"", b"1", T0);
    publish(&mut s, "u.y", b"", b"2", T0);
    assert_eq!(
        subjects(&s),
        vec![(1, "tt.x".to_string()), (2, "u.y".to_string())]
    );
    // Expected-last-subject-sequence checks run on the transformed subject.
    let a = publish(
        &mut s,
        "t.x",
        &h(&[("Nats-Expected-Last-Subject-Sequence", "1")]),
        b"3",
        T0,
    );
    assert_eq!(reply_text(&a), r#"{"stream":"T","seq":3}"#);
}

#[test]
fn subject_transform_config_errors() {
    assert_eq!(
        config_err(r#"{"name":"T","subjects":["t.*"],"subject_transform":{"src":"t..","dest":"x"}}"#),
        "10155 stream transform source: invalid subject t.."
    );
    assert_eq!(
        config_err(
            r#"{"name":"T","subjects":["t.*"],"subject_transform":{"src":"t.*","dest":"x.{{wildcard(2)}}"}}"#
        ),
        "10156 stream transform: invalid mapping destination: wildcard index out of range in {{wildcard(2)}}: [2]"
    );
    assert_eq!(
        config_err(
            r#"{"name":"T","subjects":["t.*"],"subject_transform":{"src":"t.*","dest":"x.{{nope(1)}}"}}"#
        ),
        "10156 stream transform: invalid mapping destination: unknown function in {{nope(1)}}"
    );
    assert_eq!(
        config_err(r#"{"name":"T","subjects":["t.*"],"republish":{"src":"t.*","dest":"t.>"}}"#),
        "10052 stream configuration for republish destination forms a cycle"
    );
    assert_eq!(
        config_err(r#"{"name":"T","subjects":["t.*"],"republish":{"src":"t.*","dest":"r.*"}}"#),
        "10052 stream configuration for republish with transform from 't.*' to 'r.*' not valid"
    );
    assert_eq!(
        config_err(r#"{"name":"T","subjects":["t.*"],"republish":{"src":"t.*","dest":"r.$1"}}"#),
        ""
    );
}

#[test]
fn republish_sends_the_stored_message_with_its_headers() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(
        dir.path(),
        r#"{"name":"R","subjects":["r.*"],"republish":{"src":"r.*","dest":"rp.$1"}}"#,
    );
    let a = publish(&mut s, "r.a", b"", b"hello", T0);
    let Effect::Reply {
        subject,
        headers,
        payload,
    } = &a.effects[0]
    else {
        panic!("{:?}", a.effects)
    };
    assert_eq!(subject, "rp.a");
    assert_eq!(payload.as_ref(), b"hello");
    assert_eq!(
        std::str::from_utf8(headers.as_ref().unwrap()).unwrap(),
        "NATS/1.0\r\nNats-Stream: R\r\nNats-Subject: r.a\r\nNats-Sequence: 1\r\nNats-Time-Stamp: 2026-11-23T14:01:54.621459089Z\r\nNats-Last-Sequence: 0\r\n\r\n"
    );
    // The PubAck comes after the republished message.
    assert_eq!(reply_text(&Applied1(&a.effects[1..])), r#"{"stream":"R","seq":1}"#);
    publish(&mut s, "r.b", b"", b"x", T0 + 1);
    let a = publish(&mut s, "r.a", &h(&[("X", "1")]), b"again", T0 + 2);
    let Effect::Reply { headers, .. } = &a.effects[0] else {
        panic!()
    };
    let text = std::str::from_utf8(headers.as_ref().unwrap()).unwrap();
    assert!(text.starts_with("NATS/1.0\r\nX: 1\r\nNats-Stream: R\r\n"), "{text}");
    assert!(text.contains("Nats-Sequence: 3\r\n"), "{text}");
    assert!(text.contains("Nats-Last-Sequence: 1\r\n"), "{text}");
}

/// A stand-in to reuse `reply_text` on a slice of effects.
#[allow(non_snake_case)]
fn Applied1(fx: &[Effect]) -> jetmirror_stream::Applied {
    jetmirror_stream::Applied {
        outcome: Outcome::Done,
        effects: fx.to_vec(),
    }
}

#[test]
fn republish_headers_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(
        dir.path(),
        r#"{"name":"R","subjects":["r.>"],"republish":{"src":">","dest":"rp.>","headers_only":true}}"#,
    );
    let a = publish(&mut s, "r.a.b", b"", b"12345", T0);
    let Effect::Reply {
        subject,
        headers,
        payload,
    } = &a.effects[0]
    else {
        panic!()
    };
    assert_eq!(subject, "rp.r.a.b");
    assert!(payload.is_empty());
    let text = std::str::from_utf8(headers.as_ref().unwrap()).unwrap();
    assert!(text.ends_with("Nats-Last-Sequence: 0\r\nNats-Msg-Size: 5\r\n\r\n"), "{text}");
}

#[test]
fn ttl_header_rules() {
    let dir = tempfile::tempdir().unwrap();
    let mut plain = new_stream(dir.path(), r#"{"name":"P","subjects":["p"]}"#);
    assert_eq!(
        reply_text(&publish(&mut plain, "p", &h(&[("Nats-TTL", "1s")]), b"", T0)),
        r#"{"error":{"code":400,"err_code":10166,"description":"per-message TTL is disabled"},"stream":"P","seq":0}"#
    );
    // An invalid TTL on a stream without TTLs is "invalid", as nats-server.
    assert_eq!(
        reply_text(&publish(&mut plain, "p", &h(&[("Nats-TTL", "bad")]), b"", T0)),
        r#"{"error":{"code":400,"err_code":10165,"description":"invalid per-message TTL"},"stream":"P","seq":0}"#
    );
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(
        dir.path(),
        r#"{"name":"T","subjects":["t.*"],"allow_msg_ttl":true}"#,
    );
    for bad in ["500ms", "0", "-1", "1x"] {
        let a = publish(&mut s, "t.a", &h(&[("Nats-TTL", bad)]), b"", T0);
        assert!(reply_text(&a).contains("10165"), "{bad}: {}", reply_text(&a));
    }
    publish(&mut s, "t.a", &h(&[("Nats-TTL", "1s")]), b"", T0);
    publish(&mut s, "t.b", &h(&[("Nats-TTL", "3")]), b"", T0);
    publish(&mut s, "t.c", &h(&[("Nats-TTL", "never")]), b"", T0);
    publish(&mut s, "t.d", b"", b"", T0);
    tick(&mut s, T0 + SEC - 1);
    assert_eq!(s.state(false, None).messages, 4);
    tick(&mut s, T0 + SEC);
    assert_eq!(
        subjects(&s).into_iter().map(|x| x.1).collect::<Vec<_>>(),
        ["t.b", "t.c", "t.d"]
    );
    tick(&mut s, T0 + 3 * SEC);
    assert_eq!(
        subjects(&s).into_iter().map(|x| x.1).collect::<Vec<_>>(),
        ["t.c", "t.d"]
    );
}

#[test]
fn ttls_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let meta = {
        let mut s = new_stream(
            dir.path(),
            r#"{"name":"T","subjects":["t"],"allow_msg_ttl":true}"#,
        );
        publish(&mut s, "t", &h(&[("Nats-TTL", "2s")]), b"", T0);
        s.meta()
    };
    let mut s =
        Stream::open_with_sync(dir.path(), meta, jetmirror_store::SyncPolicy::Never).unwrap();
    tick(&mut s, T0 + SEC);
    assert_eq!(s.state(false, None).messages, 1);
    tick(&mut s, T0 + 2 * SEC);
    assert_eq!(s.state(false, None).messages, 0);
}

#[test]
fn never_outlives_max_age() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(
        dir.path(),
        r#"{"name":"T","subjects":["t"],"allow_msg_ttl":true,"max_age":1000000000}"#,
    );
    publish(&mut s, "t", &h(&[("Nats-TTL", "never")]), b"keep", T0);
    publish(&mut s, "t", b"", b"go", T0);
    tick(&mut s, T0 + 2 * SEC);
    assert_eq!(subjects(&s), vec![(1, "t".to_string())]);
}

#[test]
fn delete_markers_replace_the_last_message_of_a_subject() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(
        dir.path(),
        r#"{"name":"M","subjects":["m.*"],"allow_msg_ttl":true,"subject_delete_marker_ttl":2000000000,"allow_rollup_hdrs":true}"#,
    );
    // A TTL below the marker TTL is raised to it (header rewritten as seconds).
    publish(&mut s, "m.a", &h(&[("Nats-TTL", "1s")]), b"a1", T0);
    let m = s
        .get_msg(&MsgGetRequest {
            seq: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(m.headers.as_ref(), b"NATS/1.0\r\nNats-TTL: 2\r\n\r\n");
    tick(&mut s, T0 + SEC);
    assert_eq!(s.state(false, None).messages, 1);
    tick(&mut s, T0 + 2 * SEC);
    // The message is gone; a marker took its place on the same subject.
    let st = s.state(false, None);
    assert_eq!((st.messages, st.first_seq, st.last_seq), (1, 2, 2));
    let marker = s
        .get_msg(&MsgGetRequest {
            seq: 2,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(marker.subject, "m.a");
    assert_eq!(
        marker.headers.as_ref(),
        b"NATS/1.0\r\nNats-Marker-Reason: MaxAge\r\nNats-TTL: 2s\r\nNats-Rollup: sub\r\n\r\n"
    );
    // The marker expires in its turn and leaves no marker behind.
    tick(&mut s, T0 + 4 * SEC);
    let st = s.state(false, None);
    assert_eq!((st.messages, st.last_seq), (0, 2));
}

#[test]
fn delete_marker_config_rules() {
    assert_eq!(
        config_err(r#"{"name":"T","subjects":["t"],"subject_delete_marker_ttl":500000000}"#),
        "10052 subject delete marker TTL must be at least 1 second"
    );
    let cfg = stream_cfg(r#"{"name":"T","subjects":["t"],"subject_delete_marker_ttl":1000000000}"#);
    assert!(cfg.allow_msg_ttl && cfg.allow_rollup_hdrs);
    let _ = Bytes::new();
}
