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
    assert_eq!(
        e.description,
        "invalid JSON: invalid character 'n' looking for beginning of object key string at offset 2"
    );
}

/// Syntax errors read exactly like nats-server 2.15.1's (Go 1.25 `json.Decoder` text plus
/// `at offset N`). Every expected string was captured from the real binary answering
/// `$JS.API.STREAM.CREATE.ORDERS` with that body.
#[test]
fn request_syntax_errors_match_nats_server() {
    let cases: &[(&[u8], &str)] = &[
        (b"{nope", "invalid JSON: invalid character 'n' looking for beginning of object key string at offset 2"),
        (b"{\x22name\x22:\x22A\x22,}", "invalid JSON: invalid character '}' looking for beginning of object key string at offset 13"),
        (b"{\x22name\x22 \x22A\x22}", "invalid JSON: invalid character '\"' after object key at offset 9"),
        (b"{\x22name\x22:\x22A\x22 \x22x\x22:1}", "invalid JSON: invalid character '\"' after object key:value pair at offset 13"),
        (b"{\x22subjects\x22:[\x22a\x22 \x22b\x22]}", "invalid JSON: invalid character '\"' after array element at offset 18"),
        (b"{\x22name\x22:\x22A\x0aB\x22}", "invalid JSON: invalid character '\\n' in string at offset 11"),
        (b"{\x22name\x22:tru}", "invalid JSON: invalid character '}' in literal true (expecting 'e') at offset 12"),
        (b"{\x22name\x22:trux}", "invalid JSON: invalid character 'x' in literal true (expecting 'e') at offset 12"),
        (b"{\x22name\x22:\x22A\x22", "invalid JSON: unexpected EOF"),
        (b"{\x22max_msgs\x22:-}", "invalid JSON: invalid character '}' in numeric literal at offset 14"),
        (b"{\x22max_msgs\x22:1.}", "invalid JSON: invalid character '}' in numeric literal at offset 15"),
        (b"{\x22max_msgs\x22:1e}", "invalid JSON: invalid character '}' in numeric literal at offset 15"),
        (b"{\x22name\x22:\x22\x5cx\x22}", "invalid JSON: invalid escape sequence `\\x` in string at offset 11"),
        (b"{\x22name\x22:\x22\x5cu12g4\x22}", "invalid JSON: invalid escape sequence `\\u12g4` in string at offset 15"),
        (b"{} x", "invalid JSON: invalid character 'x' looking for beginning of value at offset 4"),
        (b"{}}", "invalid JSON: invalid character '}' looking for beginning of value at offset 3"),
        (b"nope", "invalid JSON: invalid character 'o' in literal null (expecting 'u') at offset 2"),
        (b"'a'", "invalid JSON: invalid character '\\'' looking for beginning of value at offset 1"),
        (b"\xef\xbb\xbf{}", "invalid JSON: invalid character '\\ufeff' looking for beginning of value at offset 3"),
        (b"{\x22a\x22\x00}", "invalid JSON: invalid character '\\x00' after object key at offset 5"),
        (b"{\x22name\x22:\x22A\x22}\x09]", "invalid JSON: invalid character ']' looking for beginning of value at offset 14"),
        (b"[1,]", "invalid JSON: invalid character ']' looking for beginning of value at offset 4"),
        (b"{\x22max_msgs\x22:01}", "invalid JSON: invalid character '1' after object key:value pair at offset 14"),
        (b"   x", "invalid JSON: invalid character 'x' looking for beginning of value at offset 4"),
        (b"{\x22name\x22:nul", "invalid JSON: unexpected EOF"),
        (b"nullx", "invalid JSON: invalid character 'x' looking for beginning of value at offset 5"),
        (b"null x", "invalid JSON: invalid character 'x' looking for beginning of value at offset 6"),
        (b"{\x22name\x22:\x22A\x22}x", "invalid JSON: invalid character 'x' looking for beginning of value at offset 13"),
        (b"{\x22name\x22:\x22\x5cu12\x22}", "invalid JSON: invalid escape sequence `\\u12\"}` in string at offset 15"),
        (b"{\xc3\xa9}", "invalid JSON: invalid character 'é' looking for beginning of object key string at offset 3"),
        (b"{\xff}", "invalid JSON: invalid character '\\xff' looking for beginning of object key string at offset 2"),
        (b"{\x22name\x22:\x22A\x22}nope", "invalid JSON: invalid character 'o' in literal null (expecting 'u') at offset 14"),
        (b"{\x22max_msgs\x22:-x}", "invalid JSON: invalid character 'x' in numeric literal at offset 14"),
        (b"{\x22max_msgs\x22:1.5e+}", "invalid JSON: invalid character '}' in numeric literal at offset 18"),
        (b"{\x22max_msgs\x22:truex}", "invalid JSON: invalid character 'x' after object key:value pair at offset 17"),
        (b"{\x22max_msgs\x22:\x22a\x22\x22b\x22}", "invalid JSON: invalid character '\"' after object key:value pair at offset 16"),
        (b"{\x22subjects\x22:[}", "invalid JSON: invalid character '}' looking for beginning of value at offset 14"),
        (b"{\x22subjects\x22:[\x22a\x22,]}", "invalid JSON: invalid character ']' looking for beginning of value at offset 18"),
        (b"{\x22name\x22:\x22a\x09b\x22}", "invalid JSON: invalid character '\\t' in string at offset 11"),
        (b"{\x22name\x22:}", "invalid JSON: invalid character '}' looking for beginning of value at offset 9"),
        (b"{,}", "invalid JSON: invalid character ',' looking for beginning of object key string at offset 2"),
        (b"\x00", "invalid JSON: invalid character '\\x00' looking for beginning of value at offset 1"),
        (b"{\x22name\x22:\x22A\x22} {\x22max_msgs\x22:x}", "invalid JSON: invalid character 'x' looking for beginning of value at offset 26"),
        (b"{\x22name\x22:\x22\x5cu1 \x22}", "invalid JSON: invalid escape sequence \"\\\\u1 \\\"}\" in string at offset 15"),
        (b"{\x22name\x22:\x22\x5cu1", "invalid JSON: unexpected EOF"),
        (b"{\x22name\x22:\x22\x5c", "invalid JSON: unexpected EOF"),
        (b"{\x22name\x22:\x22\x5c\xc3\xa9\x22}", "invalid JSON: invalid escape sequence \"\\\\\\xc3\" in string at offset 11"),
        (b"{\x22a\x22:1]", "invalid JSON: invalid character ']' after object key:value pair at offset 7"),
        (b"{\x22a\x22:]", "invalid JSON: invalid character ']' looking for beginning of value at offset 6"),
        (b"[1}", "invalid JSON: invalid character '}' after array element at offset 3"),
        (b"{\x22a\x22:[1 2]}", "invalid JSON: invalid character '2' after array element at offset 9"),
        (b"{\x22a\x22:{\x22b\x22:}}", "invalid JSON: invalid character '}' looking for beginning of value at offset 11"),
        (b"{`}", "invalid JSON: invalid character '`' looking for beginning of object key string at offset 2"),
        (b"{\xe2\x80\x8b}", "invalid JSON: invalid character '\\u200b' looking for beginning of object key string at offset 4"),
        (b"-", "invalid JSON: unexpected EOF"),
        (b"{\x22name\x22:\x22A\x22,", "invalid JSON: unexpected EOF"),
        (b"{\x22name\x22:\x22A\x22:", "invalid JSON: invalid character ':' after object key:value pair at offset 12"),
        (b"{\x22a\x22}", "invalid JSON: invalid character '}' after object key at offset 5"),
    ];
    for (body, want) in cases {
        let e = parse_request::<StreamCreateRequest>(body).unwrap_err();
        assert_eq!((e.code, e.err_code), (400, 10025));
        assert_eq!(
            &e.description,
            want,
            "body {:?}",
            String::from_utf8_lossy(body)
        );
    }
}
