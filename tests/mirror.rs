//! Mirrors end to end: an origin stream on a real nats-server 2.15.1 (JetStream domain
//! `hub`), mirrored by jetmirror (its `upstream { url }` pointing at the hub) through
//! `$JS.API.STREAM.CREATE.MIR` with `external.api = "$JS.hub.API"`. Every message is
//! compared by `$JS.API.STREAM.MSG.GET` on both sides (sequence, subject, headers, data,
//! time); deleted origin sequences must be absent on the mirror; the mirror follows live
//! traffic and resumes after a restart without loss or duplicates.

use std::time::{Duration, Instant};

use async_nats::jetstream::{self, stream};
use async_nats::HeaderMap;
use bytes::Bytes;
use jetmirror_testkit::{upstream_pair, Kind, Server};
use jetmirror_tests::mirror_support::{
    api, compare_all, connect, get, info, publish_mixed, state_of, wait_synced,
};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_of_upstream_stream_is_faithful_live_and_survives_restart() {
    let (hub_server, mut side_server) = upstream_pair(Kind::Jetmirror).expect("servers");
    let hub = connect(&hub_server).await;
    let hub_js = jetstream::new(hub.clone());
    hub_js
        .create_stream(stream::Config {
            name: "ORIGIN".into(),
            subjects: vec!["orig.>".into()],
            ..Default::default()
        })
        .await
        .expect("create ORIGIN");
    publish_mixed(&hub_js, 0, 20, true).await;
    let big = Bytes::from(vec![0xA5u8; 100_000]);
    hub_js
        .publish("orig.big", big)
        .await
        .expect("publish")
        .await
        .expect("ack");
    // Gaps: the head and two in the middle.
    let deleted = [1u64, 5, 6];
    for seq in deleted {
        let v = api(
            &hub,
            "$JS.API.STREAM.MSG.DELETE.ORIGIN",
            json!({ "seq": seq }),
        )
        .await;
        assert_eq!(v["success"], true, "{v}");
    }

    let side = connect(&side_server).await;
    let created = api(
        &side,
        "$JS.API.STREAM.CREATE.MIR",
        json!({"name":"MIR","mirror":{"name":"ORIGIN","external":{"api":"$JS.hub.API"}}}),
    )
    .await;
    assert!(created.get("error").is_none(), "{created}");
    assert_eq!(created["config"]["mirror"]["name"], "ORIGIN", "{created}");

    let mirror_info = wait_synced(&hub, &side).await;
    let m = &mirror_info["mirror"];
    assert_eq!(m["name"], "ORIGIN", "{mirror_info}");
    assert_eq!(m["external"]["api"], "$JS.hub.API", "{mirror_info}");
    assert_eq!(m["lag"], 0, "{mirror_info}");
    assert!(
        m["active"].as_i64().is_some_and(|a| a >= 0),
        "{mirror_info}"
    );
    assert!(m.get("error").is_none(), "{mirror_info}");
    compare_all(&hub, &side, &deleted).await;

    // A mirror takes no publishes of its own (it has no subjects): a request to the
    // origin's subjects on the side has no responders there.
    assert!(side
        .request("orig.a", Bytes::from_static(b"x"))
        .await
        .is_err());

    // Live tail.
    publish_mixed(&hub_js, 100, 12, true).await;
    wait_synced(&hub, &side).await;
    compare_all(&hub, &side, &deleted).await;

    // Published right before a restart (possibly in flight), and while it starts again.
    publish_mixed(&hub_js, 200, 7, true).await;
    drop(side);
    side_server.restart().expect("restart jetmirror");
    publish_mixed(&hub_js, 300, 9, true).await;
    let side = connect(&side_server).await;
    let after = wait_synced(&hub, &side).await;
    assert_eq!(after["mirror"]["name"], "ORIGIN", "{after}");
    compare_all(&hub, &side, &deleted).await;

    // STREAM.LIST carries the mirror block too.
    let list = api(&side, "$JS.API.STREAM.LIST", json!({})).await;
    assert_eq!(list["streams"][0]["mirror"]["name"], "ORIGIN", "{list}");

    // Promotion: removing the mirror block stops mirroring; the stream keeps its
    // messages and takes publishes at last_seq + 1.
    let (n, _, last, _) = state_of(&info(&side, "MIR").await);
    let v = api(
        &side,
        "$JS.API.STREAM.UPDATE.MIR",
        json!({"name":"MIR","subjects":["mir.>"]}),
    )
    .await;
    assert!(v.get("error").is_none(), "{v}");
    assert!(v.get("mirror").is_none(), "{v}");
    publish_mixed(&hub_js, 400, 2, true).await;
    let side_js = jetstream::new(side.clone());
    let ack = side_js
        .publish("mir.own", Bytes::from_static(b"own"))
        .await
        .expect("publish")
        .await
        .expect("ack");
    assert_eq!(ack.sequence, last + 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (n2, _, last2, _) = state_of(&info(&side, "MIR").await);
    assert_eq!(
        (n2, last2),
        (n + 1, last + 1),
        "promoted stream still mirrors"
    );

    let v = api(&side, "$JS.API.STREAM.DELETE.MIR", json!({})).await;
    assert_eq!(v["success"], true, "{v}");
    let v = info(&side, "MIR").await;
    assert_eq!(v["error"]["err_code"], 10059, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_of_missing_origin_and_domain_option() {
    let (_hub_server, side_server) = upstream_pair(Kind::Jetmirror).expect("servers");
    let side = connect(&side_server).await;
    // A mirror of an origin that does not exist is created; the failure shows in
    // `mirror.error` (as nats-server: the create reply succeeds), for a same-node
    // origin and for an upstream one.
    for (name, mirror) in [
        ("M2", json!({"name":"LOCAL"})),
        (
            "M3",
            json!({"name":"NOPE","external":{"api":"$JS.hub.API"}}),
        ),
    ] {
        let v = api(
            &side,
            &format!("$JS.API.STREAM.CREATE.{name}"),
            json!({"name": name, "mirror": mirror}),
        )
        .await;
        assert!(v.get("error").is_none(), "{v}");
        assert_eq!(v["mirror"]["active"], -1, "{v}");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let v = info(&side, name).await;
            if v["mirror"].get("error").is_some() {
                assert_eq!(v["mirror"]["error"]["err_code"], 10059, "{v}");
                break;
            }
            assert!(Instant::now() < deadline, "no mirror error: {v}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    // The `domain` option: async-nats sends it as external.api; a raw `domain` key in
    // the mirror block is taken the same way.
    let js = jetstream::new(side.clone());
    let s = js
        .create_stream(stream::Config {
            name: "M4".into(),
            mirror: Some(stream::Source {
                name: "NOPE".into(),
                domain: Some("hub".into()),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect("create M4");
    let ext = s
        .cached_info()
        .config
        .mirror
        .clone()
        .and_then(|m| m.external);
    assert_eq!(ext.map(|e| e.api_prefix), Some("$JS.hub.API".to_string()));
    let v = api(
        &side,
        "$JS.API.STREAM.CREATE.M5",
        json!({"name":"M5","mirror":{"name":"NOPE","domain":"hub"}}),
    )
    .await;
    assert_eq!(
        v["config"]["mirror"]["external"]["api"], "$JS.hub.API",
        "{v}"
    );
}

fn b64decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("bad base64 char {c}"),
        }
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|c| *c != b'=') {
        acc = (acc << 6) | val(c);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// A header block's lines, sorted (the client sends a message's headers in a random
/// order, so two runs differ in it).
fn header_lines(hdrs: &Value) -> Value {
    let Some(b64) = hdrs.as_str() else {
        return Value::Null;
    };
    let text = String::from_utf8_lossy(&b64decode(b64)).into_owned();
    let mut lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    lines.sort();
    json!(lines)
}

/// What a same-node mirror looks like after the steps of [`same_node_steps`]: its
/// `mirror_direct`, state, `mirror` block (without `active`) and messages, each with
/// whether its time equals the origin's.
async fn same_node_steps(c: &async_nats::Client) -> Value {
    let v = api(
        c,
        "$JS.API.STREAM.CREATE.O",
        json!({"name":"O","subjects":["o.>"],"allow_direct":true}),
    )
    .await;
    assert!(v.get("error").is_none(), "{v}");
    let js = jetstream::new(c.clone());
    let publish = |i: usize| {
        let js = js.clone();
        async move {
            let subject = ["o.a", "o.b", "o.c.d"][i % 3];
            let mut h = HeaderMap::new();
            h.insert("X-K", i.to_string().as_str());
            if i.is_multiple_of(4) {
                h.insert("Nats-Expected-Stream", "O");
                h.insert("Nats-Msg-Id", format!("m{i}").as_str());
            }
            let payload = match i % 3 {
                0 => Bytes::new(),
                1 => Bytes::from(vec![i as u8; 40 + i]),
                _ => Bytes::from(format!("p{i}")),
            };
            js.publish_with_headers(subject, h, payload)
                .await
                .expect("publish")
                .await
                .expect("ack");
        }
    };
    for i in 0..12 {
        publish(i).await;
    }
    let v = api(c, "$JS.API.STREAM.MSG.DELETE.O", json!({"seq": 3})).await;
    assert_eq!(v["success"], true, "{v}");
    let t5 = get(c, "O", 5).await.expect("seq 5")["time"].clone();
    let mirrors = [
        json!({"name":"M1","mirror":{"name":"O"}}),
        json!({"name":"M2","mirror":{"name":"O","filter_subject":"o.a"}}),
        json!({"name":"M3","mirror":{"name":"O","subject_transforms":[{"src":"o.a","dest":"t.a"},{"src":"o.b","dest":""}]}}),
        json!({"name":"M4","mirror":{"name":"O","opt_start_seq":4}}),
        json!({"name":"M5","mirror":{"name":"O","opt_start_time":t5}}),
        json!({"name":"M6","mirror":{"name":"MISSING"}}),
    ];
    for m in &mirrors {
        let name = m["name"].as_str().unwrap_or_default();
        let v = api(c, &format!("$JS.API.STREAM.CREATE.{name}"), m.clone()).await;
        assert!(v.get("error").is_none(), "{v}");
    }
    let wait_last = |name: &'static str, last: u64| async move {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = info(c, name).await;
            if state_of(&v).2 == last && v["mirror"]["lag"] == 0 {
                return;
            }
            assert!(Instant::now() < deadline, "{name} not at {last}: {v}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    wait_last("M1", 12).await;
    // Live traffic, then a delete on the origin of an already mirrored message.
    for i in 12..16 {
        publish(i).await;
    }
    // Every mirror holds the whole origin before the delete below, on both servers (a
    // mirror that copies later would see seq 2 as a gap: a race, not a difference).
    for name in ["M1", "M2", "M3", "M4", "M5"] {
        wait_last(name, 16).await;
    }
    let mut origin = Vec::new();
    for seq in 1..=16u64 {
        origin.push(get(c, "O", seq).await);
    }
    let v = api(c, "$JS.API.STREAM.MSG.DELETE.O", json!({"seq": 2})).await;
    assert_eq!(v["success"], true, "{v}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut out = serde_json::Map::new();
    for m in &mirrors {
        let name = m["name"].as_str().unwrap_or_default();
        let v = info(c, name).await;
        let mut block = v["mirror"].clone();
        let active = block["active"].as_i64().unwrap_or(-2);
        if let Some(b) = block.as_object_mut() {
            b.remove("active");
        }
        let mut state = v["state"].clone();
        if let Some(s) = state.as_object_mut() {
            s.remove("first_ts");
            s.remove("last_ts");
        }
        let mut msgs = Vec::new();
        for seq in 1..=16u64 {
            let got = get(c, name, seq).await;
            msgs.push(match got {
                None => Value::Null,
                Some(g) => {
                    let o = origin[seq as usize - 1].as_ref();
                    let same_time = o.is_some_and(|o| o["time"] == g["time"]);
                    // Byte for byte the origin's block, or (both servers) without the
                    // Nats-Expected-* line.
                    let same_hdrs = o.is_some_and(|o| o["hdrs"] == g["hdrs"]);
                    json!({"seq": g["seq"], "subject": g["subject"],
                           "hdrs": header_lines(&g["hdrs"]), "hdrs_are_origins": same_hdrs,
                           "data": g["data"], "time_is_origins": same_time})
                }
            });
        }
        out.insert(
            name.to_string(),
            json!({"mirror_direct": v["config"]["mirror_direct"], "state": state,
                   "mirror": block, "active_seen": active >= 0, "messages": msgs}),
        );
    }
    Value::Object(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_node_mirrors_match_nats_server() {
    let reference = {
        let server = Server::start(jetmirror_testkit::ServerSpec {
            jetstream: true,
            ..jetmirror_testkit::ServerSpec::new(Kind::NatsServer)
        })
        .expect("nats-server");
        let c = connect(&server).await;
        same_node_steps(&c).await
    };
    let ours = {
        let server = Server::start(jetmirror_testkit::ServerSpec {
            jetstream: true,
            ..jetmirror_testkit::ServerSpec::new(Kind::Jetmirror)
        })
        .expect("jetmirror");
        let c = connect(&server).await;
        same_node_steps(&c).await
    };
    for name in ["M1", "M2", "M3", "M4", "M5", "M6"] {
        assert_eq!(
            ours[name], reference[name],
            "{name}:\n ours      {}\n reference {}",
            ours[name], reference[name]
        );
    }
    // Sanity of the reference itself: gaps, filters, transforms and starts happened.
    assert_eq!(reference["M1"]["messages"][2], Value::Null);
    assert_eq!(
        reference["M1"]["messages"][1]["seq"], 2,
        "kept after the origin delete"
    );
    assert_eq!(reference["M3"]["messages"][0]["subject"], "t.a");
    let first = &reference["M1"]["messages"][0];
    assert_eq!(
        first["hdrs_are_origins"], false,
        "Nats-Expected-* stripped: {first}"
    );
    assert!(
        !first["hdrs"].to_string().contains("Nats-Expected"),
        "{first}"
    );
    assert!(
        first["hdrs"].to_string().contains("Nats-Msg-Id: m0"),
        "{first}"
    );
    assert_eq!(reference["M1"]["messages"][1]["hdrs_are_origins"], true);
    assert_eq!(reference["M4"]["state"]["first_seq"], 4);
    assert_eq!(reference["M6"]["mirror"]["error"]["err_code"], 10059);
    assert_eq!(
        reference["M1"]["mirror_direct"], true,
        "inherited from allow_direct"
    );
}

/// `mirror_direct: true` on a mirror of an upstream origin: DIRECT.GET requests for the
/// ORIGIN's name sent to the mirroring node are answered by the mirror (its name in
/// `Nats-Stream`), as a nats-server leaf node in its own domain answers them.
async fn mirror_direct_answers(kind: Kind) -> Vec<Value> {
    let (hub_server, side_server) = upstream_pair(kind).expect("servers");
    let hub = connect(&hub_server).await;
    let v = api(
        &hub,
        "$JS.API.STREAM.CREATE.ORIGIN",
        json!({"name":"ORIGIN","subjects":["orig.>"]}),
    )
    .await;
    assert!(v.get("error").is_none(), "{v}");
    let js = jetstream::new(hub.clone());
    publish_mixed(&js, 0, 9, true).await;
    let side = connect(&side_server).await;
    let v = api(
        &side,
        "$JS.API.STREAM.CREATE.MIR",
        json!({"name":"MIR","mirror":{"name":"ORIGIN","external":{"api":"$JS.hub.API"}},"mirror_direct":true}),
    )
    .await;
    assert!(v.get("error").is_none(), "{v}");
    assert_eq!(v["config"]["mirror_direct"], true, "{v}");
    wait_synced(&hub, &side).await;
    let mut out = Vec::new();
    for (subject, body) in [
        ("$JS.API.DIRECT.GET.ORIGIN", json!({"seq": 2})),
        (
            "$JS.API.DIRECT.GET.ORIGIN",
            json!({"last_by_subj": "orig.d"}),
        ),
        ("$JS.API.DIRECT.GET.ORIGIN.orig.a", json!(null)),
        ("$JS.API.DIRECT.GET.ORIGIN", json!({"seq": 99})),
    ] {
        let payload = if body.is_null() {
            Bytes::new()
        } else {
            Bytes::from(body.to_string())
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        let m = loop {
            match side.request(subject.to_string(), payload.clone()).await {
                Ok(m) => break m,
                Err(e) => {
                    assert!(Instant::now() < deadline, "{subject}: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        let mut headers: Vec<(String, String)> = m
            .headers
            .iter()
            .flat_map(|h| {
                h.iter().flat_map(|(k, vs)| {
                    vs.iter()
                        .map(move |v| (k.to_string(), v.as_str().to_string()))
                })
            })
            .collect();
        headers.sort();
        // The time stamp is the ORIGIN's (runs differ, so compare it there).
        let seq = headers
            .iter()
            .find(|(k, _)| k == "Nats-Sequence")
            .and_then(|(_, v)| v.parse::<u64>().ok());
        if let Some(seq) = seq {
            let origin_time = get(&hub, "ORIGIN", seq).await.expect("origin msg")["time"].clone();
            for (k, v) in headers.iter_mut() {
                if k == "Nats-Time-Stamp" {
                    assert_eq!(Some(v.as_str()), origin_time.as_str(), "time of seq {seq}");
                    *v = "<origin's>".into();
                }
            }
        }
        out.push(json!({
            "status": m.status.map(|s| s.as_u16()),
            "headers": headers,
            "payload": String::from_utf8_lossy(&m.payload),
        }));
    }
    // The mirror's own name has no direct-get responders (allow_direct is off).
    assert!(side
        .request(
            "$JS.API.DIRECT.GET.MIR",
            Bytes::from(json!({"seq": 2}).to_string())
        )
        .await
        .is_err());
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_direct_serves_origin_direct_gets_like_nats_server() {
    let reference = mirror_direct_answers(Kind::NatsServer).await;
    let ours = mirror_direct_answers(Kind::Jetmirror).await;
    assert_eq!(ours, reference);
    assert!(
        reference[0].to_string().contains("\"Nats-Stream\",\"MIR\""),
        "{}",
        reference[0]
    );
}

/// A same-node mirror created over a large backlog copies it (in bounded passes, while
/// the origin keeps taking publishes) and then follows live traffic; every message
/// equals the origin's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_node_mirror_catches_up_a_backlog_and_follows_live_traffic() {
    use futures::StreamExt;
    let server = Server::start(jetmirror_testkit::ServerSpec {
        jetstream: true,
        ..jetmirror_testkit::ServerSpec::new(Kind::Jetmirror)
    })
    .expect("jetmirror");
    let c = connect(&server).await;
    let v = api(
        &c,
        "$JS.API.STREAM.CREATE.O",
        json!({"name":"O","subjects":["o.>"]}),
    )
    .await;
    assert!(v.get("error").is_none(), "{v}");
    const BACKLOG: u64 = 20_000;
    for i in 0..BACKLOG {
        c.publish(format!("o.{}", i % 7), Bytes::from(format!("m{i}")))
            .await
            .expect("publish");
    }
    c.flush().await.expect("flush");
    let deadline = Instant::now() + Duration::from_secs(30);
    while state_of(&info(&c, "O").await).2 < BACKLOG {
        assert!(Instant::now() < deadline, "origin not filled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let v = api(
        &c,
        "$JS.API.STREAM.CREATE.M",
        json!({"name":"M","mirror":{"name":"O"}}),
    )
    .await;
    assert!(v.get("error").is_none(), "{v}");
    // Live publishes while the copy runs are answered meanwhile.
    let js = jetstream::new(c.clone());
    let started = Instant::now();
    for i in 0..50 {
        js.publish(format!("o.live.{i}"), Bytes::from_static(b"live"))
            .await
            .expect("publish")
            .await
            .expect("ack");
    }
    eprintln!(
        "50 acked publishes during the catch-up took {:?}",
        started.elapsed()
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let o = state_of(&info(&c, "O").await);
        let m = info(&c, "M").await;
        if state_of(&m) == o && m["mirror"]["lag"] == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "mirror not caught up: {o:?} {m}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("caught up {BACKLOG}+50 in {:?}", started.elapsed());
    let last = BACKLOG + 50;
    let mismatches: Vec<u64> = futures::stream::iter(1..=last)
        .map(|seq| {
            let c = c.clone();
            async move {
                let (o, m) = (get(&c, "O", seq).await, get(&c, "M", seq).await);
                let same = match (&o, &m) {
                    (Some(o), Some(m)) => ["seq", "subject", "hdrs", "data", "time"]
                        .iter()
                        .all(|k| o.get(*k) == m.get(*k)),
                    _ => false,
                };
                (seq, same)
            }
        })
        .buffered(64)
        .filter_map(|(seq, same)| async move { (!same).then_some(seq) })
        .collect()
        .await;
    assert!(
        mismatches.is_empty(),
        "differ at {:?}",
        &mismatches[..mismatches.len().min(10)]
    );
}

/// Which streams answer 40 `DIRECT.GET.O` requests on one node where O has
/// `allow_direct` and M mirrors it (inheriting `mirror_direct`): nats-server puts both
/// in one queue group, so both answer, each request once, with the same message.
async fn same_node_direct_answerers(kind: Kind) -> Vec<(String, String, Vec<u8>)> {
    let server = Server::start(jetmirror_testkit::ServerSpec {
        jetstream: true,
        ..jetmirror_testkit::ServerSpec::new(kind)
    })
    .expect("server");
    let c = connect(&server).await;
    let v = api(
        &c,
        "$JS.API.STREAM.CREATE.O",
        json!({"name":"O","subjects":["o.>"],"allow_direct":true}),
    )
    .await;
    assert!(v.get("error").is_none(), "{v}");
    for i in 0..5 {
        c.request("o.x", Bytes::from(format!("m{i}")))
            .await
            .expect("publish");
    }
    let v = api(
        &c,
        "$JS.API.STREAM.CREATE.M",
        json!({"name":"M","mirror":{"name":"O"}}),
    )
    .await;
    assert_eq!(v["config"]["mirror_direct"], true, "{v}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while state_of(&info(&c, "M").await).2 < 5 {
        assert!(Instant::now() < deadline, "M not synced");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..40 {
        let m = c
            .request(
                "$JS.API.DIRECT.GET.O",
                Bytes::from(json!({"seq": 3}).to_string()),
            )
            .await
            .expect("direct get");
        let h = m.headers.clone().unwrap_or_default();
        let get = |k: &str| h.get(k).map(|v| v.as_str().to_string()).unwrap_or_default();
        seen.insert((get("Nats-Stream"), get("Nats-Sequence"), m.payload.to_vec()));
    }
    seen.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_node_mirror_direct_shares_the_origins_direct_gets_like_nats_server() {
    let reference = same_node_direct_answerers(Kind::NatsServer).await;
    let ours = same_node_direct_answerers(Kind::Jetmirror).await;
    assert_eq!(ours, reference);
    assert_eq!(reference.len(), 2, "{reference:?}");
}

/// Rollups on the origin (`Nats-Rollup: sub`, as a KV purge sends it) reach a live mirror:
/// a mirror that allows rollups itself (`allow_rollup_hdrs`, as a KV bucket's mirror is
/// configured) purges the subject's earlier messages as the origin did; one that does not
/// keeps them and stores the rollup as a plain message. Compared with a nats-server leaf
/// mirror: which sequences each side holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirrored_rollups_like_nats_server() {
    async fn run(kind: Kind, mirror_extra: Value) -> Vec<String> {
        let (hub_server, side_server) = upstream_pair(kind).expect("topology");
        let hub = connect(&hub_server).await;
        let side = connect(&side_server).await;
        let origin = json!({"name":"ORIGIN","subjects":["kv.>"],"allow_rollup_hdrs":true,
            "max_msgs_per_subject":5,"deny_delete":true,"allow_direct":true});
        api(&hub, "$JS.API.STREAM.CREATE.ORIGIN", origin).await;
        let mut cfg =
            json!({"name":"MIR","mirror":{"name":"ORIGIN","external":{"api":"$JS.hub.API"}}});
        if let (Some(o), Some(extra)) = (cfg.as_object_mut(), mirror_extra.as_object()) {
            o.extend(extra.clone());
        }
        let v = api(&side, "$JS.API.STREAM.CREATE.MIR", cfg).await;
        let mut out = vec![format!("create error {}", v["error"])];
        for i in 1..=3 {
            hub.request("kv.a", Bytes::from(format!("v{i}")))
                .await
                .expect("publish");
        }
        hub.request("kv.b", Bytes::from("b1"))
            .await
            .expect("publish");
        wait_synced(&hub, &side).await;
        let mut h = HeaderMap::new();
        h.insert("Nats-Rollup", "sub");
        h.insert("KV-Operation", "PURGE");
        hub.request_with_headers("kv.a", h, Bytes::new())
            .await
            .expect("rollup");
        let mut h = HeaderMap::new();
        h.insert("KV-Operation", "DEL");
        hub.request_with_headers("kv.b", h, Bytes::new())
            .await
            .expect("delete marker");
        // Synced means the same state as the origin, which a mirror without rollups
        // never reaches: wait for the last sequence instead.
        let deadline = Instant::now() + Duration::from_secs(20);
        while state_of(&info(&side, "MIR").await).2 < 6 {
            assert!(
                Instant::now() < deadline,
                "{kind:?}: mirror did not reach seq 6"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for (client, stream) in [(&hub, "ORIGIN"), (&side, "MIR")] {
            let mut present = Vec::new();
            for seq in 1..=6 {
                if get(client, stream, seq).await.is_some() {
                    present.push(seq);
                }
            }
            out.push(format!("{stream} holds {present:?}"));
        }
        out
    }
    for extra in [
        json!({}),
        json!({"allow_rollup_hdrs":true,"max_msgs_per_subject":5,"deny_delete":true,
            "allow_direct":true,"mirror_direct":true}),
    ] {
        let reference = run(Kind::NatsServer, extra.clone()).await;
        let ours = run(Kind::Jetmirror, extra.clone()).await;
        assert_eq!(ours, reference, "mirror config {extra}");
    }
}

/// A KV bucket mirrored from the hub (async-nats `create_key_value` with `mirror`, the
/// read-offload case): after puts, updates, a delete and a purge on the origin bucket, and
/// live updates after the mirror caught up, the mirror bucket answers `get`, `entry`,
/// `history` and `keys` as a nats-server leaf's mirror bucket does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kv_bucket_mirror_reads_like_nats_server() {
    use async_nats::jetstream::kv;
    use futures::StreamExt;

    async fn run(kind: Kind) -> Vec<String> {
        let (hub_server, side_server) = upstream_pair(kind).expect("topology");
        let hub = jetstream::with_domain(connect(&hub_server).await, "hub");
        let side = jetstream::new(connect(&side_server).await);
        let origin = hub
            .create_key_value(kv::Config {
                bucket: "ORIG".into(),
                history: 5,
                ..Default::default()
            })
            .await
            .expect("origin bucket");
        for (k, v) in [("a", "1"), ("b", "1"), ("a", "2"), ("c", "1"), ("d", "1")] {
            origin.put(k, v.into()).await.expect("put");
        }
        origin.delete("b").await.expect("delete");
        origin.purge("d").await.expect("purge");
        side.create_key_value(kv::Config {
            bucket: "M".into(),
            history: 5,
            mirror: Some(stream::Source {
                name: "ORIG".into(),
                external: Some(stream::External {
                    api_prefix: "$JS.hub.API".into(),
                    delivery_prefix: None,
                }),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect("mirror bucket");
        let side_client = connect(&side_server).await;
        let hub_client = connect(&hub_server).await;
        let wait_for = |last: u64| {
            let side_client = side_client.clone();
            async move {
                let deadline = Instant::now() + Duration::from_secs(20);
                while state_of(&info(&side_client, "KV_M").await).2 < last {
                    assert!(Instant::now() < deadline, "mirror bucket not at seq {last}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        let last = state_of(&info(&hub_client, "KV_ORIG").await).2;
        wait_for(last).await;
        origin.put("a", "3".into()).await.expect("live put");
        origin.put("e", "1".into()).await.expect("live put");
        wait_for(last + 2).await;

        let m = side.get_key_value("M").await.expect("open mirror bucket");
        let mut out = Vec::new();
        for key in ["a", "b", "c", "d", "e", "z"] {
            let got = m.get(key).await.map_err(|e| e.kind().to_string());
            out.push(format!("get {key}: {got:?}"));
            let entry = m.entry(key).await.map_err(|e| e.kind().to_string());
            out.push(match entry {
                Ok(Some(e)) => format!(
                    "entry {key}: rev {} op {:?} value {:?} delta {}",
                    e.revision, e.operation, e.value, e.delta
                ),
                other => format!("entry {key}: {:?}", other.map(|o| o.is_some())),
            });
        }
        let mut history = Vec::new();
        let mut h = m.history("a").await.expect("history");
        while let Some(e) = h.next().await {
            let e = e.expect("history entry");
            history.push(format!("{}:{:?}:{:?}", e.revision, e.operation, e.value));
        }
        out.push(format!("history a: {history:?}"));
        let mut keys: Vec<String> = m
            .keys()
            .await
            .expect("keys")
            .map(|k| k.expect("key"))
            .collect()
            .await;
        keys.sort();
        out.push(format!("keys: {keys:?}"));
        out
    }
    let reference = run(Kind::NatsServer).await;
    let ours = run(Kind::Jetmirror).await;
    assert_eq!(ours, reference);
}
