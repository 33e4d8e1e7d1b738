//! Scripted event sequences against [`MirrorIngest`] with simulated time: the
//! "upstream" here is the test, which plays the origin's replies, deliveries,
//! heartbeats and flow-control requests exactly as nats-server 2.15.1 sends them.

use super::*;

const CONSUMER: &str = "JS_MIRROR_L9fwEMNd-sVKZOIRp";

struct Sim {
    m: MirrorIngest,
    now: Instant,
    deliver: String,
}

fn ack(sseq: u64, dseq: u64, pending: u64) -> String {
    format!(
        "$JS.ACK.ORIG.{CONSUMER}.1.{sseq}.{dseq}.{}.{pending}",
        1_700_000_000_000_000_000u64 + sseq
    )
}

fn reply(delivered_stream: u64, deliver: &str) -> Bytes {
    Bytes::from(format!(
        r#"{{"type":"io.nats.jetstream.api.v1.consumer_create_response","stream_name":"ORIG","name":"{CONSUMER}","config":{{"deliver_subject":"{deliver}"}},"delivered":{{"consumer_seq":0,"stream_seq":{delivered_stream}}}}}"#
    ))
}

impl Sim {
    fn new(cfg: MirrorConfig, store: StoreState) -> Sim {
        let now = Instant::now();
        Sim {
            m: MirrorIngest::with_seed(cfg, store, now, 7),
            now,
            deliver: String::new(),
        }
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
        self.m.on_timer(self.now);
    }

    fn drain(&mut self) -> Vec<Effect> {
        std::iter::from_fn(|| self.m.poll_effect()).collect()
    }

    /// Runs timers until a create request goes out; returns (id, subject, payload).
    fn expect_create(&mut self) -> (u64, String, String) {
        for _ in 0..10_000 {
            for e in self.drain() {
                if let Effect::SendConsumerCreate {
                    request_id,
                    subject,
                    payload,
                    ..
                } = e
                {
                    return (
                        request_id,
                        subject,
                        String::from_utf8_lossy(&payload).into_owned(),
                    );
                }
            }
            let next = self.m.poll_timeout().expect("a timer is armed");
            self.now = next.max(self.now);
            self.m.on_timer(self.now);
        }
        panic!("no create request");
    }

    /// Connects and completes a setup with a consumer that has delivered `delivered`.
    fn setup(&mut self, delivered: u64) -> Vec<Effect> {
        let (id, _, payload) = self.expect_create();
        let v: Value = serde_json::from_str(&payload).expect("json");
        self.deliver = v["config"]["deliver_subject"]
            .as_str()
            .expect("deliver")
            .to_owned();
        self.m.on_create_reply(
            id,
            CreateReply::Response(reply(delivered, &self.deliver)),
            self.now,
        );
        self.drain()
    }

    fn data(
        &mut self,
        sseq: u64,
        dseq: u64,
        pending: u64,
        subject: &str,
        hdr: Option<&str>,
        payload: &str,
    ) {
        self.m.on_message(
            Inbound {
                deliver_subject: self.deliver.clone(),
                subject: Bytes::from(subject.to_owned()),
                reply: Some(Bytes::from(ack(sseq, dseq, pending))),
                headers: hdr.map(|h| Bytes::from(h.to_owned())),
                payload: Bytes::from(payload.to_owned()),
            },
            self.now,
        );
    }

    fn control(&mut self, hdr: &str, reply: Option<&str>) {
        self.m.on_message(
            Inbound {
                deliver_subject: self.deliver.clone(),
                subject: Bytes::from(self.deliver.clone()),
                reply: reply.map(|r| Bytes::from(r.to_owned())),
                headers: Some(Bytes::from(hdr.to_owned())),
                payload: Bytes::new(),
            },
            self.now,
        );
    }
}

fn stores(effects: &[Effect]) -> Vec<u64> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Store(m) => Some(m.seq),
            _ => None,
        })
        .collect()
}

fn connected(cfg: MirrorConfig, store: StoreState) -> Sim {
    let mut s = Sim::new(cfg, store);
    s.m.on_connected(s.now);
    s
}

#[test]
fn nothing_before_connect_then_first_setup_after_jitter() {
    let mut s = Sim::new(MirrorConfig::new("MIR", "ORIG"), StoreState::default());
    assert_eq!(s.m.poll_timeout(), None, "no timers while disconnected");
    s.advance(Duration::from_secs(5));
    assert!(s.drain().is_empty());
    s.m.on_connected(s.now);
    let t0 = s.now;
    let (_, subject, payload) = s.expect_create();
    let waited = s.now - t0;
    assert!(
        waited >= Duration::from_millis(100) && waited < Duration::from_millis(200),
        "{waited:?}"
    );
    assert_eq!(subject, "$JS.API.CONSUMER.CREATE.ORIG");
    assert!(payload.contains(r#""deliver_policy":"all""#));
    assert!(payload.contains(r#""deliver_subject":"$JS.M."#));
    assert_eq!(s.m.info(s.now).active_ns, -1);
}

#[test]
fn stores_with_origin_seq_and_timestamp_and_cleans_headers() {
    let mut s = connected(MirrorConfig::new("MIR", "ORIG"), StoreState::default());
    let fx = s.setup(0);
    assert_eq!(
        fx.first(),
        Some(&Effect::Subscribe {
            deliver_subject: s.deliver.clone()
        })
    );
    s.data(1, 1, 2, "orig.a", None, "one");
    s.data(
        2,
        2,
        1,
        "orig.b",
        Some("NATS/1.0\r\nNats-Expected-Last-Sequence: 1\r\nNats-Msg-Id: abc\r\nNats-Batch-Id: z\r\nX-Keep:  1 \r\n\r\n"),
        "two",
    );
    s.data(
        3,
        3,
        0,
        "orig.c",
        Some("NATS/1.0\r\nNats-Expected-Stream: ORIG\r\n\r\n"),
        "",
    );
    let fx = s.drain();
    let msgs: Vec<&StoreMsg> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Store(m) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(msgs.len(), 3);
    let first = msgs.first().expect("first");
    assert_eq!(
        (
            first.seq,
            first.ts_ns,
            &first.subject[..],
            &first.payload[..]
        ),
        (1, 1_700_000_000_000_000_001, &b"orig.a"[..], &b"one"[..])
    );
    assert_eq!(first.headers, None);
    let second = msgs.get(1).expect("second");
    assert_eq!(
        second.headers.as_deref(),
        Some(&b"NATS/1.0\r\nNats-Msg-Id: abc\r\nX-Keep:  1 \r\n\r\n"[..]),
        "kept byte for byte"
    );
    let third = msgs.get(2).expect("third");
    assert_eq!(third.headers, None, "nothing left → no header block");
    assert_eq!(
        third.payload.len(),
        0,
        "an empty data message is data, not control"
    );
    assert_eq!((s.m.last_seq(), s.m.delivered_seq(), s.m.lag()), (3, 3, 0));
    assert_eq!(
        s.m.store_state(),
        StoreState {
            messages: 3,
            first_seq: 1,
            last_seq: 3
        }
    );
}

#[test]
fn lag_is_pending_minus_one_and_origin_info_floor() {
    let mut s = connected(MirrorConfig::new("MIR", "ORIG"), StoreState::default());
    s.setup(0);
    s.data(1, 1, 5, "a", None, "x");
    assert_eq!(s.m.lag(), 4);
    s.data(2, 2, 0, "a", None, "x");
    assert_eq!(s.m.lag(), 0);
    // The origin has moved on but nothing arrives: lag from STREAM.INFO.
    s.m.on_origin_info(Some(10), s.now);
    assert_eq!(s.m.lag(), 8);
}

#[test]
fn origin_gap_becomes_skip_and_duplicates_are_dropped() {
    let mut s = connected(MirrorConfig::new("MIR", "ORIG"), StoreState::default());
    s.setup(0);
    s.data(1, 1, 3, "a", None, "1");
    s.data(2, 2, 2, "a", None, "2");
    // Origin deleted 3 and 4: consumer seq continues, stream seq jumps.
    s.data(5, 3, 0, "a", None, "5");
    let fx = s.drain();
    assert!(fx.contains(&Effect::SkipTo { seq: 4 }));
    assert_eq!(stores(&fx), vec![1, 2, 5]);
    assert_eq!(
        s.m.store_state(),
        StoreState {
            messages: 3,
            first_seq: 1,
            last_seq: 5
        }
    );
    // A duplicate (already stored) is dropped.
    s.data(5, 4, 0, "a", None, "5");
    assert!(stores(&s.drain()).is_empty());
    assert_eq!(
        s.m.delivered_seq(),
        4,
        "delivered accounting follows dseq+1"
    );
}

#[test]
fn consumer_seq_gap_recreates_from_last_seq_plus_one() {
    let mut s = connected(MirrorConfig::new("MIR", "ORIG"), StoreState::default());
    s.setup(0);
    s.data(1, 1, 9, "a", None, "1");
    s.data(2, 2, 8, "a", None, "2");
    s.drain();
    s.advance(Duration::from_secs(3) - Duration::from_millis(1));
    s.data(4, 4, 6, "a", None, "4"); // dseq 3 lost in transit
    let fx = s.drain();
    assert!(fx.contains(&Effect::Unsubscribe {
        deliver_subject: s.deliver.clone()
    }));
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Retry {
            reason: RetryReason::ConsumerSeqGap,
            ..
        }
    )));
    assert!(stores(&fx).is_empty());
    let old = s.deliver.clone();
    let (_, _, payload) = s.expect_create();
    assert!(
        payload.contains(r#""deliver_policy":"by_start_sequence","opt_start_seq":3,"#),
        "{payload}"
    );
    // Messages still arriving on the old subscription are ignored.
    let mut m = s.m;
    m.on_message(
        Inbound {
            deliver_subject: old,
            subject: Bytes::from_static(b"a"),
            reply: Some(Bytes::from(ack(3, 3, 0))),
            headers: None,
            payload: Bytes::from_static(b"3"),
        },
        s.now,
    );
    assert!(std::iter::from_fn(|| m.poll_effect()).next().is_none());
}

#[test]
fn resume_drops_duplicates_and_continues() {
    // Store already has 1..=5 (e.g. after a restart).
    let st = StoreState {
        messages: 5,
        first_seq: 1,
        last_seq: 5,
    };
    let mut s = connected(MirrorConfig::new("MIR", "ORIG"), st);
    let (id, _, payload) = s.expect_create();
    assert!(payload.contains(r#""opt_start_seq":6"#));
    s.deliver = serde_json::from_str::<Value>(&payload).expect("json")["config"]["deliver_subject"]
        .as_str()
        .expect("deliver")
        .to_owned();
    s.m.on_create_reply(id, CreateReply::Response(reply(5, &s.deliver)), s.now);
    s.drain();
    s.data(5, 1, 2, "a", None, "dup");
    s.data(6, 2, 1, "a", None, "6");
    s.data(7, 3, 0, "a", None, "7");
    assert_eq!(stores(&s.drain()), vec![6, 7]);
}

#[test]
fn flow_control_is_answered_with_counters() {
    let mut s = connected(MirrorConfig::new("MIR", "ORIG"), StoreState::default());
    s.setup(0);
    for i in 1..=32 {
        s.data(i, i, 0, "a", None, "x");
    }
    s.drain();
    s.control(
        "NATS/1.0 100 FlowControl Request\r\n\r\n",
        Some("$JS.FC.ORIG.C.abcd"),
    );
    assert_eq!(
        s.drain(),
        vec![Effect::Publish {
            subject: "$JS.FC.ORIG.C.abcd".into(),
            headers: Some(Bytes::from_static(
                b"NATS/1.0\r\nNats-Last-Consumer: 32\r\nNats-Last-Stream: 32\r\n\r\n"
            )),
            payload: Bytes::new(),
        }]
    );
}

#[test]
fn heartbeat_checks_last_consumer_and_answers_stalled() {
    let mut s = connected(MirrorConfig::new("MIR", "ORIG"), StoreState::default());
    s.setup(0);
    s.data(1, 1, 0, "a", None, "x");
    s.drain();
    s.control(
        "NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 1\r\nNats-Last-Stream: 1\r\n\r\n",
        None,
    );
    assert!(s.drain().is_empty());
    s.control(
        "NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 1\r\nNats-Last-Stream: 1\r\nNats-Consumer-Stalled: $JS.FC.ORIG.C.zzzz\r\n\r\n",
        None,
    );
    assert_eq!(
        s.drain(),
        vec![Effect::Publish {
            subject: "$JS.FC.ORIG.C.zzzz".into(),
            headers: None,
            payload: Bytes::new()
        }]
    );
    // The origin says it delivered 3 but we saw 1: missed messages → recreate.
    s.control(
        "NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 3\r\nNats-Last-Stream: 3\r\n\r\n",
        None,
    );
    let fx = s.drain();
    assert!(
        fx.iter().any(|e| matches!(
            e,
            Effect::Retry {
                reason: RetryReason::HeartbeatGap,
                ..
            }
        )),
        "{fx:?}"
    );
    assert_eq!(s.m.consumer_name(), "");
}

#[test]
fn unanswered_flow_control_recreates() {
    let mut s = connected(MirrorConfig::new("MIR", "ORIG"), StoreState::default());
    s.setup(0);
    let hb = "NATS/1.0 100 Idle Heartbeat\r\nNats-Consumer-Stalled: $JS.FC.ORIG.C.q\r\n\r\n";
    for _ in 0..STALLED_HEARTBEATS_LIMIT {
        s.control(hb, None);
        assert!(matches!(s.drain().as_slice(), [Effect::Publish { .. }]));
    }
    s.control(hb, None);
    let fx = s.drain();
    assert!(
        fx.iter().any(|e| matches!(
            e,
            Effect::Retry {
                reason: RetryReason::FlowControlUnanswered,
                ..
            }
        )),
        "{fx:?}"
    );
}

#[test]
fn three_missed_heartbeats_recreate_at_once_then_back_off() {
    let mut s = connected(MirrorConfig::new("MIR", "ORIG"), StoreState::default());
    s.setup(0);
    s.data(1, 1, 0, "a", None, "x");
    s.drain();
    s.advance(Duration::from_millis(2_900));
    assert!(s.drain().is_empty(), "not stalled yet");
    s.advance(Duration::from_millis(100));
    let fx = s.drain();
    assert!(fx.iter().any(|e| matches!(e, Effect::Retry { reason: RetryReason::Stalled, after } if after.is_zero())), "{fx:?}");
    let (id, _, payload) = {
        let create = fx.iter().find_map(|e| match e {
            Effect::SendConsumerCreate {
                request_id,
                subject,
                payload,
                ..
            } => Some((
                *request_id,
                subject.clone(),
                String::from_utf8_lossy(payload).into_owned(),
            )),
            _ => None,
        });
        create.expect("recreated at once (last request was > 2 s ago)")
    };
    assert!(payload.contains(r#""opt_start_seq":2"#));
    // The origin is gone: the request times out, then back-off 10 s (+2 s spacing
    // already passed after 30 s) + jitter.
    s.m.on_create_reply(id, CreateReply::Timeout, s.now);
    let fx = s.drain();
    let after = fx.iter().find_map(|e| match e {
        Effect::Retry {
            after,
            reason: RetryReason::CreateFailed,
        } => Some(*after),
        _ => None,
    });
    let after = after.expect("scheduled");
    assert!(
        after >= Duration::from_millis(12_100) && after < Duration::from_millis(12_200),
        "{after:?}"
    );
    // An error reply is kept in mirror.error and the back-off grows.
    let t0 = s.now;
    let (id, _, _) = s.expect_create();
    assert!(s.now - t0 >= Duration::from_millis(12_100));
    let err = br#"{"type":"io.nats.jetstream.api.v1.consumer_create_response","error":{"code":404,"err_code":10059,"description":"stream not found"}}"#;
    s.m.on_create_reply(id, CreateReply::Response(Bytes::from_static(err)), s.now);
    let fx = s.drain();
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Retry { after, .. } if *after >= Duration::from_secs(22))),
        "{fx:?}"
    );
    assert_eq!(
        s.m.info(s.now).error,
        Some(serde_json::json!({"code":404,"err_code":10059,"description":"stream not found"}))
    );
    assert_eq!(s.m.fails(), 2);
    // Success clears the error and the failure count.
    s.setup(1);
    assert_eq!(s.m.info(s.now).error, None);
    assert_eq!(s.m.fails(), 0);
}

#[test]
fn create_reply_timeout_fires_from_the_core_timer() {
    let mut s = connected(MirrorConfig::new("MIR", "ORIG"), StoreState::default());
    let _ = s.expect_create();
    s.advance(CREATE_REPLY_TIMEOUT);
    assert!(s.drain().iter().any(|e| matches!(
        e,
        Effect::Retry {
            reason: RetryReason::CreateFailed,
            ..
        }
    )));
    assert_eq!(s.m.fails(), 1);
}

#[test]
fn disconnect_cancels_and_reconnect_recreates_immediately() {
    let mut s = connected(MirrorConfig::new("MIR", "ORIG"), StoreState::default());
    s.setup(0);
    s.data(1, 1, 0, "a", None, "x");
    s.drain();
    s.m.on_disconnected(s.now);
    assert_eq!(
        s.drain(),
        vec![Effect::Unsubscribe {
            deliver_subject: s.deliver.clone()
        }]
    );
    s.advance(Duration::from_secs(60));
    assert!(s.drain().is_empty(), "no requests while disconnected");
    s.m.on_connected(s.now);
    let fx = s.drain();
    let create = fx.iter().find_map(|e| match e {
        Effect::SendConsumerCreate { payload, .. } => {
            Some(String::from_utf8_lossy(payload).into_owned())
        }
        _ => None,
    });
    assert!(create
        .expect("immediately")
        .contains(r#""opt_start_seq":2"#));
    // Even right after another request (no 2 s spacing on reconnect).
    s.m.on_disconnected(s.now);
    s.m.on_connected(s.now);
    assert!(s
        .drain()
        .iter()
        .any(|e| matches!(e, Effect::SendConsumerCreate { .. })));
}

#[test]
fn stale_create_replies_are_ignored() {
    let mut s = connected(MirrorConfig::new("MIR", "ORIG"), StoreState::default());
    let (id, _, _) = s.expect_create();
    s.m.on_disconnected(s.now);
    s.m.on_connected(s.now);
    s.drain();
    s.m.on_create_reply(id, CreateReply::Response(reply(0, "$JS.M.old")), s.now);
    assert!(s.drain().is_empty());
    assert_eq!(s.m.deliver_subject(), None);
}

#[test]
fn delivered_ahead_of_empty_store_skips() {
    let mut s = connected(MirrorConfig::new("MIR", "ORIG"), StoreState::default());
    let fx = s.setup(41);
    assert!(fx.contains(&Effect::SkipTo { seq: 41 }));
    assert_eq!(
        s.m.store_state(),
        StoreState {
            messages: 0,
            first_seq: 42,
            last_seq: 41
        }
    );
    s.data(42, 1, 0, "a", None, "x");
    assert_eq!(stores(&s.drain()), vec![42]);
}

#[test]
fn store_mismatch_recreates_from_store_last_seq() {
    let mut s = connected(MirrorConfig::new("MIR", "ORIG"), StoreState::default());
    s.setup(0);
    s.data(1, 1, 0, "a", None, "x");
    s.data(2, 2, 0, "a", None, "x");
    s.drain();
    s.m.on_store_error(
        StoreError::LastSeqMismatch {
            seq: 2,
            last_seq: 1,
        },
        s.now,
    );
    let (_, _, payload) = s.expect_create();
    assert!(payload.contains(r#""opt_start_seq":2"#), "{payload}");
}

#[test]
fn old_origin_gets_legacy_resend() {
    let mut s = connected(MirrorConfig::new("MIR", "ORIG"), StoreState::default());
    let (id, _, _) = s.expect_create();
    let err = br#"{"error":{"code":400,"err_code":10025,"description":"json: unknown field \"sourcing\""}}"#;
    s.m.on_create_reply(id, CreateReply::Response(Bytes::from_static(err)), s.now);
    let fx = s.drain();
    match fx.as_slice() {
        [Effect::SendConsumerCreate {
            headers, payload, ..
        }] => {
            assert_eq!(*headers, None);
            let p = String::from_utf8_lossy(payload);
            assert!(
                !p.contains("sourcing") && p.contains("JS_MIRROR_L9fwEMNd_"),
                "{p}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn transforms_rename_and_origin_info_subject_uses_external_api() {
    let mut cfg = MirrorConfig::new("MIR", "ORIG");
    cfg.subject_transforms = vec![SubjectTransform {
        src: "o1.*".into(),
        dest: "t.$1".into(),
    }];
    cfg.external = Some(External {
        api: "$JS.hub.API".into(),
        deliver: String::new(),
    });
    let mut s = connected(cfg, StoreState::default());
    let (id, subject, payload) = s.expect_create();
    assert!(
        subject.starts_with("$JS.hub.API.CONSUMER.CREATE.ORIG.JS_MIRROR_"),
        "{subject}"
    );
    assert!(subject.ends_with(".o1.*"), "{subject}");
    s.deliver = serde_json::from_str::<Value>(&payload).expect("json")["config"]["deliver_subject"]
        .as_str()
        .expect("deliver")
        .to_owned();
    s.m.on_create_reply(id, CreateReply::Response(reply(0, &s.deliver)), s.now);
    s.drain();
    s.data(1, 1, 0, "o1.x", None, "p");
    let fx = s.drain();
    let subj = fx.iter().find_map(|e| match e {
        Effect::Store(m) => Some(m.subject.clone()),
        _ => None,
    });
    assert_eq!(subj.as_deref(), Some(&b"t.x"[..]));
    // STREAM.INFO polling goes through the external API prefix, every 2 s.
    s.m.on_origin_info(Some(1), s.now);
    // A quiet filtered mirror (no heartbeat for 1.5 s) asks its consumer, not the
    // stream; nothing pending: current.
    s.advance(Duration::from_millis(1600));
    let fx = s.drain();
    assert!(
        fx.iter().any(|e| matches!(e, Effect::RequestOriginInfo { subject, .. } if subject == &format!("$JS.hub.API.CONSUMER.INFO.ORIG.{CONSUMER}"))),
        "{fx:?}"
    );
    s.m.on_origin_state(OriginState::ConsumerPending(0), s.now);
    assert_eq!(s.m.info(s.now).lag, 0);
    s.advance(ORIGIN_INFO_INTERVAL);
    let fx = s.drain();
    assert!(
        fx.iter().any(|e| matches!(e, Effect::RequestOriginInfo { subject, .. } if subject == "$JS.hub.API.STREAM.INFO.ORIG")),
        "{fx:?}"
    );
    // Filtered mirrors keep the pending-based lag.
    s.m.on_origin_info(Some(100), s.now);
    assert_eq!(s.m.lag(), 0);
}

#[test]
fn redeliveries_and_foreign_consumers_are_ignored() {
    let mut s = connected(MirrorConfig::new("MIR", "ORIG"), StoreState::default());
    s.setup(0);
    let deliver = s.deliver.clone();
    let mut send = |reply: &str| {
        s.m.on_message(
            Inbound {
                deliver_subject: deliver.clone(),
                subject: Bytes::from_static(b"a"),
                reply: Some(Bytes::from(reply.to_owned())),
                headers: None,
                payload: Bytes::from_static(b"x"),
            },
            s.now,
        );
    };
    send(&format!("$JS.ACK.ORIG.{CONSUMER}.2.1.1.5.0"));
    send("$JS.ACK.ORIG.OTHER.1.1.1.5.0");
    send("not.an.ack");
    assert!(stores(&s.drain()).is_empty());
}

#[test]
fn clean_headers_rules() {
    let h = |s: &'static str| Some(Bytes::from_static(s.as_bytes()));
    assert_eq!(
        clean_headers(h("NATS/1.0\r\nA: 1\r\n\r\n")),
        h("NATS/1.0\r\nA: 1\r\n\r\n")
    );
    // Only at a line start, case-sensitive.
    assert_eq!(
        clean_headers(h(
            "NATS/1.0\r\nX-Nats-Expected-Foo: 1\r\nnats-expected-x: 2\r\n\r\n"
        )),
        h("NATS/1.0\r\nX-Nats-Expected-Foo: 1\r\nnats-expected-x: 2\r\n\r\n")
    );
    assert_eq!(
        clean_headers(h("NATS/1.0\r\nNats-Batch-Id: 1\r\n\r\n")),
        None
    );
    assert_eq!(clean_headers(None), None);
}

#[test]
fn full_effect_queue_refuses_deliveries_and_the_gap_recreates() {
    let mut s = connected(MirrorConfig::new("MIR", "ORIG"), StoreState::default());
    s.setup(0);
    for i in 1..=(MAX_QUEUED_EFFECTS as u64 + 1) {
        s.data(i, i, 0, "a", None, "x");
    }
    // Exactly MAX stores queued, the last delivery refused.
    let fx = s.drain();
    assert_eq!(fx.len(), MAX_QUEUED_EFFECTS);
    assert_eq!(s.m.last_seq(), MAX_QUEUED_EFFECTS as u64);
    let next = MAX_QUEUED_EFFECTS as u64 + 2;
    s.data(next, next, 0, "a", None, "x");
    assert!(s.drain().iter().any(|e| matches!(
        e,
        Effect::Retry {
            reason: RetryReason::ConsumerSeqGap,
            ..
        }
    )));
}

/// A data message whose origin timestamp is `ts_ns` (the Sim's `ack` derives it from the
/// sequence).
fn data_at(s: &mut Sim, sseq: u64, dseq: u64, pending: u64, ts_ns: u64) {
    let reply = format!("$JS.ACK.ORIG.{CONSUMER}.1.{sseq}.{dseq}.{ts_ns}.{pending}");
    let deliver = s.deliver.clone();
    s.m.on_message(
        Inbound {
            deliver_subject: deliver,
            subject: Bytes::from_static(b"a"),
            reply: Some(Bytes::from(reply)),
            headers: None,
            payload: Bytes::from_static(b"x"),
        },
        s.now,
    );
}

#[test]
fn silent_deliveries_raise_the_lag_estimate_until_the_origin_confirms() {
    let mut s = connected(MirrorConfig::new("MIR", "ORIG"), StoreState::default());
    s.setup(0);
    // The first STREAM.INFO (asked at connect) is answered: an empty origin.
    s.m.on_origin_state(OriginState::LastSeq(0), s.now);
    // The origin publishes every 10 ms; the mirror is current (pending 0).
    for i in 1..=20u64 {
        data_at(&mut s, i, i, 0, 1_000_000_000 + i * 10_000_000);
        s.now += Duration::from_millis(10);
    }
    s.drain();
    assert_eq!(s.m.info(s.now).lag, 0);
    // Within two spacings plus the grace nothing is estimated.
    assert_eq!(s.m.info(s.now + Duration::from_millis(60)).lag, 0);
    // Silent for 300 ms: about 300 ms / 10 ms - grace messages, never 0.
    let later = s.now + Duration::from_millis(300);
    let est = s.m.info(later).lag;
    assert!((20..=30).contains(&est), "{est}");
    // The silence asks the origin's STREAM.INFO at once (not after 2 s).
    s.advance(Duration::from_millis(80));
    let fx = s.drain();
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::RequestOriginInfo { .. })),
        "{fx:?}"
    );
    // The origin says it holds nothing newer: idle, the estimate is gone.
    s.m.on_origin_state(OriginState::LastSeq(20), s.now);
    assert_eq!(s.m.info(s.now + Duration::from_secs(1)).lag, 0);
    // An idle origin's heartbeats are overdue after 1.5 s: behind by an unknown amount.
    assert_eq!(s.m.info(s.now + Duration::from_secs(2)).lag, 1);
    // An idle heartbeat confirms as well.
    data_at(&mut s, 21, 21, 0, 1_000_000_000 + 210_000_000);
    data_at(&mut s, 22, 22, 0, 1_000_000_000 + 220_000_000);
    assert!(s.m.info(s.now + Duration::from_secs(1)).lag > 0);
    s.control(
        "NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 22\r\nNats-Last-Stream: 22\r\n\r\n",
        None,
    );
    assert_eq!(s.m.info(s.now + Duration::from_secs(1)).lag, 0);
}

#[test]
fn an_origin_that_went_back_is_reported_until_it_passes_the_mirror() {
    let store = StoreState {
        messages: 10,
        first_seq: 1,
        last_seq: 10,
    };
    let mut s = connected(MirrorConfig::new("MIR", "ORIG"), store);
    s.setup(10);
    assert!(s.m.info(s.now).error.is_none());
    s.m.on_origin_state(OriginState::LastSeq(5), s.now);
    // Once could be a replica that is behind: reported when seen again.
    assert!(s.m.info(s.now).error.is_none());
    s.m.on_origin_state(OriginState::LastSeq(5), s.now);
    let err = s.m.info(s.now).error.expect("error");
    assert_eq!(err["err_code"], 10052);
    let text = err["description"].as_str().unwrap_or_default();
    assert!(text.contains("went back to last sequence 5"), "{text}");
    assert_eq!(s.m.lag(), 0);
    s.m.on_origin_state(OriginState::LastSeq(12), s.now);
    assert!(s.m.info(s.now).error.is_none());
    assert_eq!(s.m.lag(), 2);
}

#[test]
fn an_origin_answering_again_is_set_up_at_once_not_after_the_back_off() {
    let mut s = connected(MirrorConfig::new("MIR", "ORIG"), StoreState::default());
    let (id, _, _) = s.expect_create();
    let missing = Bytes::from_static(
        br#"{"type":"io.nats.jetstream.api.v1.consumer_create_response","error":{"code":404,"err_code":10059,"description":"stream not found"}}"#,
    );
    s.m.on_create_reply(id, CreateReply::Response(missing.clone()), s.now);
    s.drain();
    s.advance(Duration::from_secs(3));
    let (id, _, _) = s.expect_create();
    s.m.on_create_reply(id, CreateReply::Response(missing), s.now);
    s.drain();
    // fails = 2: the next attempt would be 20 s away.
    let next = s.m.poll_timeout().expect("timer");
    assert!(
        next >= s.now + Duration::from_secs(10),
        "{:?}",
        next - s.now
    );
    // The origin answers STREAM.INFO: set up within the 2 s spacing.
    s.m.on_origin_state(OriginState::LastSeq(0), s.now);
    let started = s.now;
    s.expect_create();
    assert!(
        s.now - started <= Duration::from_secs(2),
        "{:?}",
        s.now - started
    );
}

#[test]
fn a_store_refused_by_the_mirrors_limits_backs_off_and_keeps_the_lag() {
    let mut s = connected(MirrorConfig::new("MIR", "ORIG"), StoreState::default());
    s.setup(0);
    for i in 1..=5u64 {
        s.data(i, i, 5 - i, "a", None, "x");
    }
    s.drain();
    s.m.on_store_error(StoreError::Other { seq: 4 }, s.now);
    assert_eq!(s.m.last_seq(), 3);
    assert_eq!(s.m.store_state().last_seq, 3);
    assert_eq!(s.m.consumer_name(), "", "consumer cancelled");
    let fx = s.drain();
    let after = fx.iter().find_map(|e| match e {
        Effect::Retry { after, reason } if *reason == RetryReason::StoreRefused => Some(*after),
        _ => None,
    });
    assert!(
        after.is_some_and(|a| a >= Duration::from_secs(10)),
        "{fx:?}"
    );
    s.m.on_origin_state(OriginState::LastSeq(5), s.now);
    assert_eq!(s.m.lag(), 2);
}

#[test]
fn origin_polls_set_the_rate_and_an_unchanged_origin_is_idle() {
    let mut s = connected(MirrorConfig::new("MIR", "ORIG"), StoreState::default());
    s.setup(0);
    // A burst: deliveries 100 µs apart (origin time), then the consumer goes away.
    for i in 1..=5u64 {
        data_at(&mut s, i, i, 0, 1_000_000_000 + i * 100_000);
    }
    s.m.on_store_error(StoreError::Other { seq: 6 }, s.now);
    s.drain();
    // The origin answers: 10 ahead, then 10 more 2 s later (one per 200 ms).
    s.m.on_origin_state(OriginState::LastSeq(15), s.now);
    assert_eq!(
        s.m.info(s.now).lag,
        10,
        "the real gap, not a burst-rate guess"
    );
    s.now += Duration::from_secs(2);
    s.m.on_origin_state(OriginState::LastSeq(25), s.now);
    assert_eq!(s.m.info(s.now).lag, 20);
    // One second later: about five more at the polled rate.
    let lag = s.m.info(s.now + Duration::from_secs(1)).lag;
    assert!((22..=26).contains(&lag), "{lag}");
    // Unchanged at the next answer: idle, the gap is all there is.
    s.now += Duration::from_secs(2);
    s.m.on_origin_state(OriginState::LastSeq(25), s.now);
    assert_eq!(s.m.info(s.now + Duration::from_secs(1)).lag, 20);
}

// ----- mirror.consumer (durable sourcing) ----------------------------------------------

fn durable_cfg() -> MirrorConfig {
    let mut cfg = MirrorConfig::new("MIR", "ORIG").with_origin_domain("hub");
    cfg.consumer = Some(DurableConsumer {
        name: "MIRCON".into(),
        deliver_subject: "dlv.mir".into(),
    });
    cfg
}

fn durable_ack(sseq: u64, dseq: u64, pending: u64) -> String {
    format!("$JS.ACK.ORIG.MIRCON.1.{sseq}.{dseq}.{sseq}000.{pending}")
}

fn reset_reply(ack_policy: &str, delivered_stream: u64) -> Bytes {
    Bytes::from(format!(
        r#"{{"type":"io.nats.jetstream.api.v1.consumer_reset_response","stream_name":"ORIG","name":"MIRCON","config":{{"durable_name":"MIRCON","ack_policy":"{ack_policy}","deliver_subject":"dlv.mir","flow_control":true}},"delivered":{{"consumer_seq":0,"stream_seq":{delivered_stream}}},"num_pending":3,"reset_seq":{}}}"#,
        delivered_stream + 1
    ))
}

fn durable_data(s: &mut Sim, sseq: u64, dseq: u64, pending: u64) {
    s.m.on_message(
        Inbound {
            deliver_subject: "dlv.mir".into(),
            subject: Bytes::from_static(b"orig.a"),
            reply: Some(Bytes::from(durable_ack(sseq, dseq, pending))),
            headers: None,
            payload: Bytes::from_static(b"x"),
        },
        s.now,
    );
}

#[test]
fn durable_consumer_is_reset_not_created_and_followed_on_its_deliver_subject() {
    let mut s = Sim::new(durable_cfg(), StoreState::default());
    s.m.on_connected(s.now);
    let mut sent = None;
    for _ in 0..100 {
        let effects = s.drain();
        sent = effects.into_iter().find_map(|e| match e {
            Effect::SendConsumerCreate {
                request_id,
                subject,
                headers,
                payload,
                timeout,
            } => Some((request_id, subject, headers, payload, timeout)),
            _ => None,
        });
        if sent.is_some() {
            break;
        }
        s.advance(Duration::from_millis(50));
    }
    let (id, subject, headers, payload, timeout) = sent.expect("reset request");
    // nats-server setupMirrorConsumer: an empty reset (back to the ack floor), no
    // API-level header, answered within srcDurableConsumerWaitTime.
    assert_eq!(subject, "$JS.hub.API.CONSUMER.RESET.ORIG.MIRCON");
    assert_eq!(headers, None);
    assert!(payload.is_empty());
    assert_eq!(timeout, Duration::from_secs(5));
    s.m.on_create_reply(
        id,
        CreateReply::Response(reset_reply("flow_control", 0)),
        s.now,
    );
    let effects = s.drain();
    assert!(
        effects.contains(&Effect::Subscribe {
            deliver_subject: "dlv.mir".into()
        }),
        "{effects:?}"
    );
    assert_eq!(s.m.consumer_name(), "MIRCON");
    durable_data(&mut s, 1, 1, 2);
    durable_data(&mut s, 2, 2, 1);
    // A flow-control request is answered only after the stores before it.
    s.m.on_message(
        Inbound {
            deliver_subject: "dlv.mir".into(),
            subject: Bytes::from_static(b"dlv.mir"),
            reply: Some(Bytes::from_static(b"$JS.FC.ORIG.MIRCON.abc")),
            headers: Some(Bytes::from_static(
                b"NATS/1.0 100 FlowControl Request\r\n\r\n",
            )),
            payload: Bytes::new(),
        },
        s.now,
    );
    let effects = s.drain();
    assert!(
        matches!(effects.first(), Some(Effect::Store(m)) if m.seq == 1),
        "{effects:?}"
    );
    assert!(
        matches!(effects.get(1), Some(Effect::Store(m)) if m.seq == 2),
        "{effects:?}"
    );
    assert_eq!(
        effects.get(2),
        Some(&Effect::PublishAfterStore {
            subject: "$JS.FC.ORIG.MIRCON.abc".into(),
            headers: Some(Bytes::from_static(
                b"NATS/1.0\r\nNats-Last-Consumer: 2\r\nNats-Last-Stream: 2\r\n\r\n"
            )),
        })
    );
}

#[test]
fn durable_consumer_reset_after_restart_skips_what_the_store_holds() {
    // The store holds 1..=5; the consumer's ack floor is 3 (acks of 4 and 5 never
    // reached the origin): redeliveries of 4 and 5 are not stored twice.
    let store = StoreState {
        messages: 5,
        first_seq: 1,
        last_seq: 5,
    };
    let mut s = Sim::new(durable_cfg(), store);
    s.m.on_connected(s.now);
    let (id, subject, _) = s.expect_create();
    assert_eq!(subject, "$JS.hub.API.CONSUMER.RESET.ORIG.MIRCON");
    s.m.on_create_reply(
        id,
        CreateReply::Response(reset_reply("flow_control", 3)),
        s.now,
    );
    s.drain();
    durable_data(&mut s, 4, 1, 3);
    durable_data(&mut s, 5, 2, 2);
    durable_data(&mut s, 6, 3, 1);
    let stored: Vec<u64> = s
        .drain()
        .into_iter()
        .filter_map(|e| match e {
            Effect::Store(m) => Some(m.seq),
            Effect::SkipTo { seq } => Some(1_000_000 + seq),
            _ => None,
        })
        .collect();
    assert_eq!(stored, vec![6]);
    assert_eq!(s.m.delivered_seq(), 3);
}

#[test]
fn durable_consumer_with_another_ack_policy_is_error_10214_and_retried() {
    let mut s = Sim::new(durable_cfg(), StoreState::default());
    s.m.on_connected(s.now);
    let (id, _, _) = s.expect_create();
    s.m.on_create_reply(id, CreateReply::Response(reset_reply("explicit", 0)), s.now);
    let effects = s.drain();
    assert!(
        effects.contains(&Effect::Error(serde_json::json!({
            "code": 400,
            "err_code": 10214,
            "description": "stream mirror consumer requires flow control ack policy",
        }))),
        "{effects:?}"
    );
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::Subscribe { .. })),
        "{effects:?}"
    );
    assert_eq!(
        s.m.info(s.now)
            .error
            .as_ref()
            .map(|e| e["err_code"].clone()),
        Some(10214.into())
    );
    // Retried: a new reset goes out later.
    let (_, subject, _) = s.expect_create();
    assert_eq!(subject, "$JS.hub.API.CONSUMER.RESET.ORIG.MIRCON");
}

#[test]
fn durable_consumer_past_the_store_is_reset_back_to_the_mirrors_next_sequence() {
    // The store holds 1..=5 but the consumer's ack floor is 8 (acknowledged writes
    // lost with a kill -9 before they reached the disk): reset to 6, never skip.
    let store = StoreState {
        messages: 5,
        first_seq: 1,
        last_seq: 5,
    };
    let mut s = Sim::new(durable_cfg(), store);
    s.m.on_connected(s.now);
    let (id, subject, payload) = s.expect_create();
    assert_eq!(subject, "$JS.hub.API.CONSUMER.RESET.ORIG.MIRCON");
    assert_eq!(payload, "");
    s.m.on_create_reply(
        id,
        CreateReply::Response(reset_reply("flow_control", 8)),
        s.now,
    );
    let effects = s.drain();
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::SkipTo { .. } | Effect::Subscribe { .. })),
        "{effects:?}"
    );
    let (id, subject, payload) = effects
        .into_iter()
        .find_map(|e| match e {
            Effect::SendConsumerCreate {
                request_id,
                subject,
                payload,
                ..
            } => Some((request_id, subject, payload)),
            _ => None,
        })
        .expect("second reset");
    assert_eq!(subject, "$JS.hub.API.CONSUMER.RESET.ORIG.MIRCON");
    assert_eq!(&payload[..], br#"{"seq":6}"#);
    s.m.on_create_reply(
        id,
        CreateReply::Response(reset_reply("flow_control", 5)),
        s.now,
    );
    let effects = s.drain();
    assert!(
        effects.contains(&Effect::Subscribe {
            deliver_subject: "dlv.mir".into()
        }),
        "{effects:?}"
    );
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::SkipTo { .. })),
        "{effects:?}"
    );
    durable_data(&mut s, 6, 1, 2);
    assert!(matches!(s.drain().first(), Some(Effect::Store(m)) if m.seq == 6));
}

#[test]
fn fresh_mirror_of_a_durable_consumer_past_its_start_skips_like_nats_server() {
    // A mirror that never held anything starts where the consumer stands.
    let mut s = Sim::new(durable_cfg(), StoreState::default());
    s.m.on_connected(s.now);
    let (id, _, _) = s.expect_create();
    s.m.on_create_reply(
        id,
        CreateReply::Response(reset_reply("flow_control", 8)),
        s.now,
    );
    let effects = s.drain();
    assert!(effects.contains(&Effect::SkipTo { seq: 8 }), "{effects:?}");
    assert_eq!(s.m.last_seq(), 8);
}

#[test]
fn unanswered_reset_probes_the_deliver_subject_and_resets_at_the_first_delivery() {
    let mut s = Sim::new(durable_cfg(), StoreState::default());
    s.m.on_connected(s.now);
    let (id, _, _) = s.expect_create();
    s.now += Duration::from_secs(5);
    s.m.on_create_reply(id, CreateReply::Timeout, s.now);
    let effects = s.drain();
    assert!(
        effects.contains(&Effect::Subscribe {
            deliver_subject: "dlv.mir".into()
        }),
        "{effects:?}"
    );
    assert_eq!(s.m.info(s.now).error, None);
    // The owner creates the consumer; its first delivery reaches the probe.
    s.now += Duration::from_millis(300);
    durable_data(&mut s, 1, 1, 4);
    let effects = s.drain();
    assert_eq!(
        effects.first(),
        Some(&Effect::Unsubscribe {
            deliver_subject: "dlv.mir".into()
        })
    );
    assert!(
        effects.iter().any(|e| matches!(e, Effect::SendConsumerCreate { subject, .. } if subject == "$JS.hub.API.CONSUMER.RESET.ORIG.MIRCON")),
        "{effects:?}"
    );
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Store(_))),
        "{effects:?}"
    );
}
