//! Config validation: the nats-server error code and text for each bad config.
#![allow(clippy::unwrap_used)]
mod common;
use jetmirror_stream::api::consumer::ConsumerConfig;
use jetmirror_stream::api::stream::StreamConfig;
use jetmirror_stream::validate::*;

fn stream_err(json: &str) -> (u16, u16, String) {
    let c: StreamConfig = serde_json::from_str(json).unwrap();
    let e = check_stream_create(&c, false, std::iter::empty()).unwrap_err();
    (e.code, e.err_code, e.description)
}

#[test]
fn stream_config_errors() {
    let cases: &[(&str, u16, &str)] = &[
        (
            r#"{"name":"a.b"}"#,
            10052,
            "stream name is required and can not contain '.', '*', '>', '\\', '/'",
        ),
        (
            r#"{"name":""}"#,
            10052,
            "stream name is required and can not contain '.', '*', '>', '\\', '/'",
        ),
        (
            r#"{"name":"T","max_age":50000000}"#,
            10052,
            "max age needs to be >= 100ms",
        ),
        (
            r#"{"name":"T","max_age":-1}"#,
            10052,
            "max age can not be negative",
        ),
        (
            r#"{"name":"T","max_age":1000000000,"duplicate_window":2000000000}"#,
            10052,
            "duplicates window can not be larger then max age",
        ),
        (
            r#"{"name":"T","duplicate_window":1000}"#,
            10052,
            "duplicates window needs to be >= 100ms",
        ),
        (
            r#"{"name":"T","num_replicas":3}"#,
            10074,
            "replicas > 1 not supported in non-clustered mode",
        ),
        (
            r#"{"name":"T","num_replicas":7}"#,
            10052,
            "maximum replicas is 5",
        ),
        (
            r#"{"name":"T","num_replicas":-1}"#,
            10133,
            "replicas count cannot be negative",
        ),
        (
            r#"{"name":"T","subjects":["a","a"]}"#,
            10052,
            "duplicate subjects detected",
        ),
        (
            r#"{"name":"T","subjects":["a.*","a.b"]}"#,
            10052,
            "subject \"a.*\" overlaps with \"a.b\"",
        ),
        (
            r#"{"name":"T","subjects":["a..b"]}"#,
            10052,
            "invalid subject",
        ),
        (
            r#"{"name":"T","subjects":[">"]}"#,
            10052,
            "capturing all subjects requires no-ack to be true",
        ),
        (
            r#"{"name":"T","subjects":["$JS.API.>"]}"#,
            10052,
            "subjects that overlap with jetstream api require no-ack to be true",
        ),
        (
            r#"{"name":"T","deny_purge":true,"allow_rollup_hdrs":true}"#,
            10052,
            "roll-ups require the purge permission",
        ),
        (
            r#"{"name":"T","discard_new_per_subject":true}"#,
            10052,
            "discard new per subject requires discard new policy to be set",
        ),
        (
            r#"{"name":"T","sealed":true}"#,
            10052,
            "stream configuration for create can not be sealed",
        ),
        (
            r#"{"name":"T","mirror":{"name":"O"},"subjects":["x"]}"#,
            10034,
            "stream mirrors can not contain subjects",
        ),
        (
            r#"{"name":"T","mirror":{"name":"O"},"sources":[{"name":"S"}]}"#,
            10031,
            "stream mirrors can not also contain other sources",
        ),
        (
            r#"{"name":"T","mirror":{"name":"O"},"first_seq":5}"#,
            10143,
            "stream mirrors can not have first sequence configured",
        ),
        (
            r#"{"name":"T","sources":[{"name":"S"},{"name":"S"}]}"#,
            10140,
            "duplicate source configuration detected",
        ),
    ];
    for (json, code, text) in cases {
        let (_, c, d) = stream_err(json);
        assert_eq!((c, d.as_str()), (*code, *text), "{json}");
    }
}

#[test]
fn stream_defaults() {
    let c: StreamConfig =
        serde_json::from_str(r#"{"name":"T","max_msgs":-5,"max_age":60000000000}"#).unwrap();
    let c = check_stream_create(&c, false, std::iter::empty()).unwrap();
    assert_eq!(
        (
            c.subjects.clone(),
            c.max_msgs,
            c.duplicate_window,
            c.num_replicas
        ),
        (vec!["T".to_string()], -1, 60_000_000_000, 1)
    );
    let p: StreamConfig = serde_json::from_str(r#"{"name":"T","max_msgs":-5}"#).unwrap();
    let e = check_stream_create(&p, true, std::iter::empty()).unwrap_err();
    assert_eq!(
        (e.err_code, e.description.as_str()),
        (10157, "pedantic mode: max_msgs must be set to -1")
    );
    let m: StreamConfig = serde_json::from_str(r#"{"name":"M","mirror":{"name":"O"}}"#).unwrap();
    let m = check_stream_create(&m, false, std::iter::empty()).unwrap();
    assert_eq!((m.subjects.len(), m.duplicate_window), (0, 0));
}

#[test]
fn subject_overlap_with_other_streams() {
    let other: StreamConfig = serde_json::from_str(r#"{"name":"O","subjects":["a.>"]}"#).unwrap();
    let c: StreamConfig = serde_json::from_str(r#"{"name":"T","subjects":["a.b"]}"#).unwrap();
    let e = check_stream_create(&c, false, [&other]).unwrap_err();
    assert_eq!(
        (e.code, e.err_code, e.description.as_str()),
        (400, 10065, "subjects overlap with an existing stream")
    );
}

#[test]
fn stream_update_errors() {
    let old = common::stream_cfg(r#"{"name":"T","subjects":["t"],"deny_delete":true}"#);
    let upd = |json: &str| {
        let n: StreamConfig = serde_json::from_str(json).unwrap();
        check_stream_update(&old, &n, false, std::iter::empty())
            .map_err(|e| (e.err_code, e.description))
    };
    assert_eq!(
        upd(r#"{"name":"T","subjects":["t"],"storage":"memory","deny_delete":true}"#)
            .unwrap_err()
            .1,
        "stream configuration update can not change storage type"
    );
    assert_eq!(
        upd(r#"{"name":"T","subjects":["t"],"retention":"workqueue","deny_delete":true}"#)
            .unwrap_err()
            .1,
        "stream configuration update can not change retention policy to/from workqueue"
    );
    assert_eq!(
        upd(r#"{"name":"T","subjects":["t"]}"#).unwrap_err().1,
        "stream configuration update can not cancel deny message deletes"
    );
    assert_eq!(
        upd(r#"{"name":"T","subjects":["t"],"mirror":{"name":"X"},"deny_delete":true}"#)
            .unwrap_err()
            .0,
        10034
    );
    assert!(upd(r#"{"name":"T","subjects":["t","u"],"retention":"interest","deny_delete":true,"max_msgs":10}"#).is_ok());
}

fn consumer_err(json: &str, stream: &str) -> (u16, String) {
    let s = common::stream_cfg(stream);
    let mut c: ConsumerConfig = serde_json::from_str(json).unwrap();
    let e = set_consumer_defaults(&mut c, &s, false)
        .and_then(|_| check_consumer_config(&c, &s))
        .unwrap_err();
    (e.err_code, e.description)
}

#[test]
fn consumer_config_errors() {
    let st = r#"{"name":"T","subjects":["t.>"]}"#;
    let cases: &[(&str, u16, &str)] = &[
        (r#"{"deliver_policy":"by_start_sequence"}"#, 10094, "consumer delivery policy is deliver by start sequence, but optional start sequence is not set"),
        (r#"{"deliver_policy":"all","opt_start_seq":3}"#, 10094, "consumer delivery policy is deliver all, but optional start sequence is also set"),
        (r#"{"deliver_policy":"last_per_subject"}"#, 10094, "consumer delivery policy is deliver last per subject, but optional filter subject is not set"),
        (r#"{"deliver_subject":"d.*"}"#, 10079, "consumer deliver subject has wildcards"),
        (r#"{"deliver_subject":"t.x"}"#, 10081, "consumer deliver subject forms a cycle"),
        (r#"{"deliver_subject":"d","idle_heartbeat":1000}"#, 10083, "consumer idle heartbeat needs to be >= 100ms"),
        (r#"{"idle_heartbeat":1000000000}"#, 10088, "consumer idle heartbeat requires a push based consumer"),
        (r#"{"flow_control":true}"#, 10089, "consumer flow control requires a push based consumer"),
        (r#"{"deliver_subject":"d","flow_control":true}"#, 10108, "consumer with flow control also needs heartbeats"),
        (r#"{"filter_subject":"t.a","filter_subjects":["t.b"]}"#, 10136, "consumer cannot have both FilterSubject and FilterSubjects specified"),
        (r#"{"filter_subjects":["t.*","t.a"]}"#, 10138, "consumer subject filters cannot overlap"),
        (r#"{"durable_name":"a.b"}"#, 10052, "consumer durable name can not contain '.', '*', '>', '\\', '/'"),
        (r#"{"durable_name":"A","name":"B"}"#, 10132, "Consumer Durable and Name have to be equal if both are provided"),
        (r#"{"ack_policy":"explicit","max_deliver":2,"backoff":[1,2,3]}"#, 10116, "max deliver is required to be > length of backoff values"),
        (r#"{"deliver_subject":"d","max_waiting":5}"#, 10080, "consumer in push mode can not set max waiting"),
    ];
    for (json, code, text) in cases {
        assert_eq!(consumer_err(json, st), (*code, text.to_string()), "{json}");
    }
}
