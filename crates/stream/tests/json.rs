//! Exact JSON against what nats-server 2.15.1 sends (spec and captures).
#![allow(clippy::unwrap_used)]
mod common;
use common::*;
use jetmirror_stream::api::responses::{self, types, StreamCreateResponse, StreamInfoResponse};
use jetmirror_stream::api::stream::PubAck;
use jetmirror_stream::{ApiError, Outcome};

#[test]
fn stream_create_response_matches_nats_server() {
    let dir = tempfile::tempdir().unwrap();
    let s = new_stream(dir.path(), r#"{"name":"T1","subjects":["t1.>"]}"#);
    let info = s.info(T0 + 1_000, false, None);
    let body = responses::success(
        types::STREAM_CREATE,
        &StreamCreateResponse {
            info: &info,
            did_create: true,
        },
    );
    assert_eq!(
        String::from_utf8(body).unwrap(),
        r#"{"type":"io.nats.jetstream.api.v1.stream_create_response","config":{"name":"T1","subjects":["t1.\u003e"],"retention":"limits","max_consumers":-1,"max_msgs":-1,"max_bytes":-1,"max_age":0,"max_msgs_per_subject":-1,"max_msg_size":-1,"discard":"old","storage":"file","num_replicas":1,"duplicate_window":120000000000,"compression":"none","allow_direct":false,"mirror_direct":false,"sealed":false,"deny_delete":false,"deny_purge":false,"allow_rollup_hdrs":false,"consumer_limits":{},"allow_msg_ttl":false,"metadata":{"_nats.level":"5","_nats.req.level":"0","_nats.ver":"2.15.1"}},"created":"2026-11-23T14:01:54.621459089Z","state":{"messages":0,"bytes":0,"first_seq":0,"first_ts":"0001-01-01T00:00:00Z","last_seq":0,"last_ts":"0001-01-01T00:00:00Z","consumer_count":0},"ts":"2026-11-23T14:01:54.621460089Z","did_create":true}"#
    );
}

#[test]
fn stream_info_state_bytes_match_file_store_accounting() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(dir.path(), r#"{"name":"ORIG","subjects":["orig.>"]}"#);
    for i in 1..=5 {
        let hdr: &[u8] = if i % 2 == 0 {
            b"NATS/1.0\r\nX-Foo: bar\r\n\r\n"
        } else {
            b""
        };
        publish(&mut s, &format!("orig.a.{i}"), hdr, b"hello!", T0 + i);
    }
    let info = s.info(T0 + 10, false, None);
    let body = String::from_utf8(responses::success(
        types::STREAM_INFO,
        &StreamInfoResponse {
            total: 0,
            offset: 0,
            limit: 0,
            info: &info,
        },
    ))
    .unwrap();
    assert!(body.starts_with(r#"{"type":"io.nats.jetstream.api.v1.stream_info_response","total":0,"offset":0,"limit":0,"config":{"name":"ORIG""#), "{body}");
    assert!(
        body.contains(r#""state":{"messages":5,"bytes":276,"first_seq":1,"first_ts":"2026-11-23T14:01:54.62145909Z","last_seq":5,"last_ts":"2026-11-23T14:01:54.621459094Z","num_subjects":5,"consumer_count":0},"ts":"#),
        "{body}"
    );
}

#[test]
fn subjects_filter_and_deleted_details() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(dir.path(), r#"{"name":"T1","subjects":["t1.>"]}"#);
    for (i, subj) in ["t1.a", "t1.b", "t1.a", "t1.c", "t1.d"].iter().enumerate() {
        publish(&mut s, subj, b"", b"x", T0 + i as i64);
    }
    s.apply(jetmirror_stream::Command::DeleteMsg {
        seq: 4,
        no_erase: true,
        now_ns: T0,
    });
    let st = s.state(true, Some("t1.*"));
    let j = String::from_utf8(jetmirror_stream::api::json::encode(&st)).unwrap();
    assert!(j.contains(r#""num_subjects":3,"subjects":{"t1.a":2,"t1.b":1,"t1.d":1},"num_deleted":1,"deleted":[4],"consumer_count":0"#), "{j}");
}

#[test]
fn pub_ack_forms() {
    let ack = PubAck {
        stream: "T1".into(),
        seq: 1,
        domain: String::new(),
        duplicate: false,
    };
    assert_eq!(ack.encode(), br#"{"stream":"T1","seq":1}"#);
    let dup = PubAck {
        duplicate: true,
        seq: 2,
        ..ack.clone()
    };
    assert_eq!(
        dup.encode(),
        br#"{"stream":"T1","seq":2,"duplicate": true}"#
    );
    let dom = PubAck {
        domain: "hub".into(),
        ..ack
    };
    assert_eq!(dom.encode(), br#"{"stream":"T1","domain":"hub","seq":1}"#);
    assert_eq!(
        PubAck::encode_error("T1", &ApiError::stream_wrong_last_sequence(3)),
        br#"{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 3"},"stream":"T1","seq":0}"#
    );
}

#[test]
fn error_envelopes() {
    assert_eq!(
        String::from_utf8(responses::paged_error(
            types::STREAM_INFO,
            &ApiError::stream_not_found()
        ))
        .unwrap(),
        r#"{"type":"io.nats.jetstream.api.v1.stream_info_response","error":{"code":404,"err_code":10059,"description":"stream not found"},"total":0,"offset":0,"limit":0}"#
    );
    assert_eq!(
        String::from_utf8(responses::purge_error(&ApiError::bad_request())).unwrap(),
        r#"{"type":"io.nats.jetstream.api.v1.stream_purge_response","error":{"code":400,"err_code":10003,"description":"bad request"},"purged":0}"#
    );
    assert_eq!(
        String::from_utf8(responses::error(
            types::STREAM_CREATE,
            &ApiError::stream_invalid_config("max age needs to be >= 100ms")
        ))
        .unwrap(),
        r#"{"type":"io.nats.jetstream.api.v1.stream_create_response","error":{"code":500,"err_code":10052,"description":"max age needs to be \u003e= 100ms"}}"#
    );
    assert_eq!(
        String::from_utf8(responses::success(
            types::STREAM_PURGE,
            &responses::PurgeResponse {
                success: true,
                purged: 5
            }
        ))
        .unwrap(),
        r#"{"type":"io.nats.jetstream.api.v1.stream_purge_response","success":true,"purged":5}"#
    );
}

fn created_json(o: &Outcome) -> String {
    match o {
        Outcome::ConsumerCreated(i) => {
            String::from_utf8(responses::success(types::CONSUMER_CREATE, i.as_ref())).unwrap()
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn consumer_create_responses_match_nats_server() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(dir.path(), r#"{"name":"T1","subjects":["t1.>"]}"#);
    for i in 0..3 {
        publish(&mut s, "t1.a", b"", b"hello", T0 + i);
    }
    let a = consumer(
        &mut s,
        r#"{"durable_name":"C1","ack_policy":"explicit"}"#,
        T0 + 100,
    );
    assert_eq!(
        created_json(&a.outcome),
        r#"{"type":"io.nats.jetstream.api.v1.consumer_create_response","stream_name":"T1","name":"C1","created":"2026-11-23T14:01:54.621459189Z","config":{"durable_name":"C1","name":"C1","deliver_policy":"all","ack_policy":"explicit","ack_wait":30000000000,"max_deliver":-1,"replay_policy":"instant","max_waiting":512,"max_ack_pending":1000,"num_replicas":0,"metadata":{"_nats.level":"5","_nats.req.level":"0","_nats.ver":"2.15.1"}},"delivered":{"consumer_seq":0,"stream_seq":0},"ack_floor":{"consumer_seq":0,"stream_seq":0},"num_ack_pending":0,"num_redelivered":0,"num_waiting":0,"num_pending":3,"ts":"2026-11-23T14:01:54.621459189Z"}"#
    );
    assert_eq!(
        advisories(&a),
        vec!["$JS.EVENT.ADVISORY.CONSUMER.CREATED.T1.C1".to_string()]
    );
    let e = consumer(&mut s, r#"{"name":"E1"}"#, T0 + 100);
    assert!(created_json(&e.outcome).contains(r#""config":{"name":"E1","deliver_policy":"all","ack_policy":"none","max_deliver":-1,"replay_policy":"instant","max_waiting":512,"inactive_threshold":5000000000,"num_replicas":0,"#));
    let l = consumer(
        &mut s,
        r#"{"name":"L1","deliver_policy":"last","ack_policy":"explicit"}"#,
        T0 + 100,
    );
    assert!(created_json(&l.outcome).contains(r#""delivered":{"consumer_seq":0,"stream_seq":2},"ack_floor":{"consumer_seq":0,"stream_seq":2},"num_ack_pending":0,"num_redelivered":0,"num_waiting":0,"num_pending":1,"#));
    let p = consumer(
        &mut s,
        r#"{"name":"P1","deliver_subject":"dlv.p1","ack_policy":"explicit"}"#,
        T0 + 100,
    );
    assert!(created_json(&p.outcome).contains(r#""max_ack_pending":1000,"deliver_subject":"dlv.p1","inactive_threshold":5000000000,"num_replicas":0,"#));
}
