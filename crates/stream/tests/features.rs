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
        config_err(
            r#"{"name":"T","subjects":["t.*"],"subject_transform":{"src":"t..","dest":"x"}}"#
        ),
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
    assert_eq!(
        reply_text(&Applied1(&a.effects[1..])),
        r#"{"stream":"R","seq":1}"#
    );
    publish(&mut s, "r.b", b"", b"x", T0 + 1);
    let a = publish(&mut s, "r.a", &h(&[("X", "1")]), b"again", T0 + 2);
    let Effect::Reply { headers, .. } = &a.effects[0] else {
        panic!()
    };
    let text = std::str::from_utf8(headers.as_ref().unwrap()).unwrap();
    assert!(
        text.starts_with("NATS/1.0\r\nX: 1\r\nNats-Stream: R\r\n"),
        "{text}"
    );
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
    assert!(
        text.ends_with("Nats-Last-Sequence: 0\r\nNats-Msg-Size: 5\r\n\r\n"),
        "{text}"
    );
}

#[test]
fn ttl_header_rules() {
    let dir = tempfile::tempdir().unwrap();
    let mut plain = new_stream(dir.path(), r#"{"name":"P","subjects":["p"]}"#);
    assert_eq!(
        reply_text(&publish(
            &mut plain,
            "p",
            &h(&[("Nats-TTL", "1s")]),
            b"",
            T0
        )),
        r#"{"error":{"code":400,"err_code":10166,"description":"per-message TTL is disabled"},"stream":"P","seq":0}"#
    );
    // An invalid TTL on a stream without TTLs is "invalid", as nats-server.
    assert_eq!(
        reply_text(&publish(
            &mut plain,
            "p",
            &h(&[("Nats-TTL", "bad")]),
            b"",
            T0
        )),
        r#"{"error":{"code":400,"err_code":10165,"description":"invalid per-message TTL"},"stream":"P","seq":0}"#
    );
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(
        dir.path(),
        r#"{"name":"T","subjects":["t.*"],"allow_msg_ttl":true}"#,
    );
    for bad in ["500ms", "0", "-1", "1x"] {
        let a = publish(&mut s, "t.a", &h(&[("Nats-TTL", bad)]), b"", T0);
        assert!(
            reply_text(&a).contains("10165"),
            "{bad}: {}",
            reply_text(&a)
        );
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

fn statuses(fx: &[Effect]) -> Vec<String> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Reply {
                headers: Some(h), ..
            } => {
                let t = String::from_utf8_lossy(h).to_string();
                Some(t.lines().next().unwrap_or_default().to_string())
            }
            _ => None,
        })
        .collect()
}

fn advisories(fx: &[Effect]) -> Vec<String> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Advisory(a) => Some(String::from_utf8(a.encode("ID")).unwrap()),
            _ => None,
        })
        .collect()
}

#[test]
fn pause_holds_delivery_until_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(dir.path(), r#"{"name":"S","subjects":["s"]}"#);
    consumer(&mut s, r#"{"name":"C","ack_policy":"explicit"}"#, T0);
    publish(&mut s, "s", b"", b"m1", T0);
    let a = s.apply(Command::PauseConsumer {
        name: "C".into(),
        pause_until: Some(T0 + 2 * SEC),
        now_ns: T0,
    });
    assert_eq!(
        a.outcome,
        Outcome::ConsumerPaused {
            paused: true,
            pause_until: T0 + 2 * SEC,
            pause_remaining: 2 * SEC
        }
    );
    assert_eq!(
        advisories(&a.effects),
        [
            r#"{"type":"io.nats.jetstream.advisory.v1.consumer_pause","id":"ID","timestamp":"2026-11-23T14:01:54.621459089Z","stream":"S","consumer":"C","paused":true,"pause_until":"2026-11-23T14:01:56.621459089Z"}"#
        ]
    );
    let info = s.consumer_info("C", T0 + SEC).unwrap();
    assert!(info.paused);
    assert_eq!(info.pause_remaining, SEC);
    assert!(deliveries(&pull(&mut s, "C", "r1", r#"{"batch":1}"#, T0 + SEC)).is_empty());
    // The deadline passes: the waiting request is served and the end is announced.
    let fx = tick(&mut s, T0 + 2 * SEC);
    assert_eq!(advisories(&fx).len(), 1);
    assert!(advisories(&fx)[0].contains(r#""paused":false"#));
    assert_eq!(deliveries(&Applied1(&fx)).len(), 1);
    assert!(advisories(&tick(&mut s, T0 + 3 * SEC)).is_empty());
    // Resume without a deadline.
    s.apply(Command::PauseConsumer {
        name: "C".into(),
        pause_until: Some(T0 + 100 * SEC),
        now_ns: T0 + 3 * SEC,
    });
    let a = s.apply(Command::PauseConsumer {
        name: "C".into(),
        pause_until: None,
        now_ns: T0 + 3 * SEC,
    });
    assert_eq!(
        a.outcome,
        Outcome::ConsumerPaused {
            paused: false,
            pause_until: 0,
            pause_remaining: 0
        }
    );
    assert!(!s.consumer_info("C", T0 + 3 * SEC).unwrap().paused);
}

#[test]
fn pinned_client_priority_group() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(dir.path(), r#"{"name":"G","subjects":["g"]}"#);
    let a = consumer(
        &mut s,
        r#"{"name":"C","ack_policy":"explicit","priority_policy":"pinned_client","priority_groups":["A"],"priority_timeout":5000000000}"#,
        T0,
    );
    assert!(matches!(a.outcome, Outcome::ConsumerCreated(_)), "{a:?}");
    for i in 0..3 {
        publish(&mut s, "g", b"", format!("m{i}").as_bytes(), T0);
    }
    assert_eq!(
        statuses(&pull(&mut s, "C", "r", r#"{"batch":1}"#, T0).effects),
        ["NATS/1.0 400 Bad Request - Priority Group missing"]
    );
    assert_eq!(
        statuses(&pull(&mut s, "C", "r", r#"{"batch":1,"group":"B"}"#, T0).effects),
        ["NATS/1.0 400 Bad Request - Invalid Priority Group"]
    );
    let a = pull(&mut s, "C", "r1", r#"{"batch":1,"group":"A"}"#, T0);
    let pin = a
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::Deliver {
                headers: Some(h), ..
            } => {
                let t = String::from_utf8_lossy(h).to_string();
                t.split("Nats-Pin-Id: ")
                    .nth(1)
                    .map(|r| r.split("\r\n").next().unwrap_or_default().to_string())
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(pin.len(), 22);
    assert!(advisories(&a.effects)[0].contains("consumer_group_pinned"));
    let info = s.consumer_info("C", T0).unwrap();
    assert_eq!(info.priority_groups[0].pinned_client_id, pin);
    assert_eq!(info.priority_groups[0].pinned_ts, T0);
    assert_eq!(
        statuses(
            &pull(
                &mut s,
                "C",
                "r2",
                r#"{"batch":1,"group":"A","id":"OTHER"}"#,
                T0
            )
            .effects
        ),
        ["NATS/1.0 423 Nats-Pin-Id mismatch"]
    );
    // A request without the pin waits; the pinned one is served first.
    assert!(deliveries(&pull(
        &mut s,
        "C",
        "r3",
        r#"{"batch":1,"group":"A","expires":10000000000}"#,
        T0
    ))
    .is_empty());
    let body = format!(r#"{{"batch":1,"group":"A","id":"{pin}"}}"#);
    let d = deliveries(&pull(&mut s, "C", "r4", &body, T0));
    assert_eq!(d.len(), 1);
    // The pin lapses after priority_timeout without pulls; the waiting request takes over
    // with a new pin.
    let fx = tick(&mut s, T0 + 5 * SEC);
    let adv = advisories(&fx);
    assert!(
        adv.iter().any(|a| a.contains(r#""reason":"timeout""#)),
        "{adv:?}"
    );
    assert!(
        adv.iter().any(|a| a.contains("consumer_group_pinned")),
        "{adv:?}"
    );
    assert_eq!(deliveries(&Applied1(&fx)).len(), 1);
    let a = s.apply(Command::UnpinConsumer {
        name: "C".into(),
        group: "B".into(),
        now_ns: T0 + 5 * SEC,
    });
    assert!(matches!(a.outcome, Outcome::Failed(ref e) if e.err_code == 10160));
    s.apply(Command::UnpinConsumer {
        name: "C".into(),
        group: "A".into(),
        now_ns: T0 + 5 * SEC,
    });
    assert!(
        s.consumer_info("C", T0 + 5 * SEC).unwrap().priority_groups[0]
            .pinned_client_id
            .is_empty()
    );
}

#[test]
fn overflow_and_prioritized_requests() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(dir.path(), r#"{"name":"O","subjects":["o"]}"#);
    consumer(
        &mut s,
        r#"{"name":"C","ack_policy":"explicit","priority_policy":"overflow","priority_groups":["A"]}"#,
        T0,
    );
    consumer(
        &mut s,
        r#"{"name":"P","ack_policy":"explicit","priority_policy":"prioritized","priority_groups":["A"]}"#,
        T0,
    );
    for i in 0..3 {
        publish(&mut s, "o", b"", format!("m{i}").as_bytes(), T0);
    }
    assert!(deliveries(&pull(
        &mut s,
        "C",
        "hi",
        r#"{"batch":1,"group":"A","min_pending":4,"expires":10000000000}"#,
        T0
    ))
    .is_empty());
    let d = deliveries(&pull(
        &mut s,
        "C",
        "lo",
        r#"{"batch":1,"group":"A","min_pending":3}"#,
        T0,
    ));
    assert_eq!(d.len(), 1);
    // With 2 acks pending, min_ack_pending 1 is reached.
    let d = deliveries(&pull(
        &mut s,
        "C",
        "ack",
        r#"{"batch":1,"group":"A","min_ack_pending":1}"#,
        T0,
    ));
    assert_eq!(d.len(), 1);
    // prioritized: the lower number is served first.
    let fx = pull(
        &mut s,
        "P",
        "p5",
        r#"{"batch":1,"group":"A","priority":5,"expires":10000000000}"#,
        T0,
    );
    assert_eq!(deliveries(&fx).len(), 1);
    let p = s.consumer_info("P", T0).unwrap();
    assert_eq!(p.num_waiting, 0);
    let s2_dir = tempfile::tempdir().unwrap();
    let mut s2 = new_stream(s2_dir.path(), r#"{"name":"Q","subjects":["q"]}"#);
    consumer(
        &mut s2,
        r#"{"name":"P","ack_policy":"explicit","priority_policy":"prioritized","priority_groups":["A"]}"#,
        T0,
    );
    pull(
        &mut s2,
        "P",
        "p5",
        r#"{"batch":1,"group":"A","priority":5,"expires":10000000000}"#,
        T0,
    );
    pull(
        &mut s2,
        "P",
        "p1",
        r#"{"batch":1,"group":"A","priority":1,"expires":10000000000}"#,
        T0,
    );
    let a = publish(&mut s2, "q", b"", b"x", T0);
    let targets: Vec<String> = a
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::Deliver { subject, .. } => Some(subject.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(targets, ["p1"]);
}

#[test]
fn sources_copy_with_header_and_resume_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let json = r#"{"name":"S","sources":[{"name":"A","subject_transforms":[{"src":"a.*","dest":"x.$1"}]}]}"#;
    let meta = {
        let mut s = new_stream(dir.path(), json);
        let plans = s.source_plans();
        assert_eq!(plans.len(), 1);
        assert_eq!((plans[0].stream.as_str(), plans[0].next_seq), ("A", 0));
        let store = |s: &mut Stream, seq: u64, subject: &str| {
            s.apply(Command::SourceStore {
                index_name: plans[0].index_name.clone(),
                source_created_ns: 0,
                source_seq: seq,
                subject: subject.into(),
                headers: Bytes::from_static(b"NATS/1.0\r\nNats-Expected-Stream: A\r\nK: v\r\n\r\n"),
                payload: Bytes::from_static(b"p"),
                now_ns: T0,
            })
        };
        assert!(matches!(
            store(&mut s, 4, "a.1").outcome,
            Outcome::Published { seq: 1, .. }
        ));
        // Not past what was copied: ignored.
        assert_eq!(store(&mut s, 4, "a.1").outcome, Outcome::Done);
        let m = s
            .get_msg(&MsgGetRequest {
                seq: 1,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(m.subject, "x.1");
        let id = jetmirror_stream::source::stream_identity(0);
        assert_eq!(
            String::from_utf8_lossy(&m.headers),
            format!("NATS/1.0\r\nK: v\r\nNats-Stream-Source: A 4 a.* x.$1 a.1 {id}\r\n\r\n")
        );
        assert_eq!(s.source_plans()[0].next_seq, 5);
        let infos = s.source_infos(T0 + SEC, &|_| (0, None));
        assert_eq!((infos[0].seq, infos[0].active), (4, SEC));
        s.meta()
    };
    // After a restart the progress comes back from the headers.
    let s = Stream::open_with_sync(dir.path(), meta, jetmirror_store::SyncPolicy::Never).unwrap();
    assert_eq!(s.source_plans()[0].next_seq, 5);
}

#[test]
fn max_age_keeps_never_messages_across_ticks() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(
        dir.path(),
        r#"{"name":"T","subjects":["t"],"allow_msg_ttl":true,"max_age":1000000000}"#,
    );
    publish(&mut s, "t", &h(&[("Nats-TTL", "never")]), b"keep", T0);
    publish(&mut s, "t", b"", b"a", T0);
    tick(&mut s, T0 + 2 * SEC);
    publish(&mut s, "t", b"", b"b", T0 + 2 * SEC);
    tick(&mut s, T0 + 2 * SEC + SEC / 2);
    assert_eq!(
        subjects(&s),
        vec![(1, "t".to_string()), (3, "t".to_string())]
    );
    tick(&mut s, T0 + 4 * SEC);
    assert_eq!(subjects(&s), vec![(1, "t".to_string())]);
}
