//! Account-level stream lifecycle, NAMES/LIST paging and account info.
#![allow(clippy::unwrap_used)]
mod common;
use common::T0;
use jetmirror_store::SyncPolicy;
use jetmirror_stream::account::parse_request;
use jetmirror_stream::api::responses::{self, types};
use jetmirror_stream::api::stream::{StreamConfig, StreamCreateRequest};
use jetmirror_stream::{Account, Command, Effect};

fn cfg(json: &str) -> StreamConfig {
    serde_json::from_str(json).unwrap()
}

#[test]
fn lifecycle_names_list_info_and_restart() {
    let root = tempfile::tempdir().unwrap();
    let mut acc = Account::open(root.path(), "", SyncPolicy::Never, vec![]).unwrap();
    let (_, fx) = acc
        .create_stream(
            "T1",
            &cfg(r#"{"name":"T1","subjects":["t1.>"]}"#),
            false,
            T0,
        )
        .unwrap();
    assert!(
        matches!(&fx[..], [Effect::Advisory(a)] if a.subject == "$JS.EVENT.ADVISORY.STREAM.CREATED.T1"
        && String::from_utf8(a.encode("ID")).unwrap() == r#"{"type":"io.nats.jetstream.advisory.v1.stream_action","id":"ID","timestamp":"2026-11-23T14:01:54.621459089Z","stream":"T1","action":"create"}"#)
    );
    // Identical create again: fine, no advisory; different: 10058; name mismatch: 10056.
    assert!(acc
        .create_stream(
            "T1",
            &cfg(r#"{"name":"T1","subjects":["t1.>"]}"#),
            false,
            T0
        )
        .unwrap()
        .1
        .is_empty());
    assert_eq!(
        acc.create_stream(
            "T1",
            &cfg(r#"{"name":"T1","subjects":["t1.x"]}"#),
            false,
            T0
        )
        .unwrap_err()
        .err_code,
        10058
    );
    assert_eq!(
        acc.create_stream("T9", &cfg(r#"{"name":"T1"}"#), false, T0)
            .unwrap_err()
            .err_code,
        10056
    );
    assert_eq!(
        acc.create_stream(
            "T2",
            &cfg(r#"{"name":"T2","subjects":["t1.a"]}"#),
            false,
            T0
        )
        .unwrap_err()
        .err_code,
        10065
    );
    acc.create_stream("A0", &cfg(r#"{"name":"A0","subjects":["a0"]}"#), false, T0)
        .unwrap();
    acc.stream_mut("T1").unwrap().apply(Command::Publish {
        subject: "t1.a".into(),
        reply: None,
        headers: Default::default(),
        payload: "hello!".into(),
        now_ns: T0,
    });

    let names = responses::success(types::STREAM_NAMES, &acc.stream_names(0, ""));
    assert_eq!(
        String::from_utf8(names).unwrap(),
        r#"{"type":"io.nats.jetstream.api.v1.stream_names_response","total":2,"offset":0,"limit":1024,"streams":["A0","T1"]}"#
    );
    let names = responses::success(types::STREAM_NAMES, &acc.stream_names(0, "t1.*"));
    assert!(String::from_utf8(names)
        .unwrap()
        .ends_with(r#""total":1,"offset":0,"limit":1024,"streams":["T1"]}"#));
    let list = String::from_utf8(responses::success(
        types::STREAM_LIST,
        &acc.stream_list(1, "", T0),
    ))
    .unwrap();
    assert!(list.starts_with(r#"{"type":"io.nats.jetstream.api.v1.stream_list_response","total":2,"offset":1,"limit":256,"streams":[{"config":{"name":"T1""#), "{list}");
    assert!(
        list.contains(r#""metadata":{"_nats.req.level":"0"}}"#),
        "{list}"
    );
    let info = String::from_utf8(responses::success(types::ACCOUNT_INFO, &acc.info())).unwrap();
    assert_eq!(
        info,
        r#"{"type":"io.nats.jetstream.api.v1.account_info_response","memory":0,"storage":40,"reserved_memory":0,"reserved_storage":0,"streams":2,"consumers":0,"limits":{"max_memory":-1,"max_storage":-1,"max_streams":-1,"max_consumers":-1,"max_ack_pending":-1,"memory_max_stream_bytes":-1,"storage_max_stream_bytes":-1,"max_bytes_required":false},"api":{"level":5,"total":0,"errors":0}}"#
    );

    // Update: missing → 10059; storage change → 10052; fine otherwise.
    assert_eq!(
        acc.update_stream("NOPE", &cfg(r#"{"name":"NOPE"}"#), false, T0)
            .unwrap_err()
            .err_code,
        10059
    );
    assert_eq!(
        acc.update_stream(
            "T1",
            &cfg(r#"{"name":"T1","subjects":["t1.>"],"storage":"memory"}"#),
            false,
            T0
        )
        .unwrap_err()
        .err_code,
        10052
    );
    let (i, _) = acc
        .update_stream(
            "T1",
            &cfg(r#"{"name":"T1","subjects":["t1.>"],"description":"d"}"#),
            false,
            T0,
        )
        .unwrap();
    assert_eq!(i.config.description, "d");

    // Restart from the metas.
    let metas = serde_json::to_string(&acc.metas()).unwrap();
    drop(acc);
    let mut acc = Account::open(
        root.path(),
        "",
        SyncPolicy::Never,
        serde_json::from_str(&metas).unwrap(),
    )
    .unwrap();
    assert_eq!(acc.stream("T1").unwrap().state(false, None).messages, 1);
    assert_eq!(acc.stream_for_subject("t1.q"), Some("T1"));
    let fx = acc.delete_stream("T1", T0).unwrap();
    assert!(
        matches!(&fx[..], [Effect::Advisory(a)] if a.subject == "$JS.EVENT.ADVISORY.STREAM.DELETED.T1")
    );
    assert!(!root.path().join("T1").exists());
    assert_eq!(acc.delete_stream("T1", T0).unwrap_err().err_code, 10059);
}

#[test]
fn request_parsing() {
    let r: StreamCreateRequest =
        parse_request(br#"{"name":"T","subjects":["a"],"pedantic":true}"#).unwrap();
    assert!(r.pedantic && r.config.subjects == ["a"]);
    let e = parse_request::<StreamCreateRequest>(b"{nope").unwrap_err();
    assert_eq!((e.code, e.err_code), (400, 10025));
    assert!(
        e.description.starts_with("invalid JSON: "),
        "{}",
        e.description
    );
}
