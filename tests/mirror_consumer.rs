//! `mirror.consumer` (durable sourcing, API level 4): a mirror that follows a durable
//! push consumer with `ack_policy: flow_control` created on the origin by its owner,
//! instead of a consumer of its own. Checked against nats-server 2.15.1: the config
//! validation (same request to both, same answer), a mirror through such a consumer on
//! a jetmirror side and on a nats-server leaf of the same kind of hub (every message
//! compared by `STREAM.MSG.GET`: sequence, subject, headers, data, time), the
//! consumer's ack floor moved by the mirror's flow-control replies, a restart of the
//! side mid-stream without loss or duplicates, and 10214 in `mirror.error` for a
//! consumer with another ack policy.

use std::time::{Duration, Instant};

use async_nats::jetstream::{self, stream};
use jetmirror_testkit::{upstream_pair, Kind, Server, ServerSpec};
use jetmirror_tests::mirror_support::{
    api, compare_all, connect, get, info, publish_mixed, state_of, wait_synced,
};
use serde_json::{json, Value};

async fn create_origin(hub: &async_nats::Client) -> jetstream::Context {
    let js = jetstream::new(hub.clone());
    js.create_stream(stream::Config {
        name: "ORIGIN".into(),
        subjects: vec!["orig.>".into()],
        ..Default::default()
    })
    .await
    .expect("create ORIGIN");
    js
}

/// The durable push consumer the origin's owner creates for the mirror.
async fn create_durable(hub: &async_nats::Client, ack_policy: &str) -> Value {
    let v = api(
        hub,
        "$JS.API.CONSUMER.CREATE.ORIGIN.MIRCON",
        json!({"stream_name":"ORIGIN","config":{
            "durable_name":"MIRCON","name":"MIRCON","deliver_subject":"dlv.mir",
            "ack_policy":ack_policy,"max_ack_pending":100,
        }}),
    )
    .await;
    assert!(v.get("error").is_none(), "{v}");
    assert_eq!(v["config"]["ack_policy"], ack_policy, "{v}");
    v
}

fn mirror_request() -> Value {
    json!({"name":"MIR","mirror":{
        "name":"ORIGIN",
        "external":{"api":"$JS.hub.API"},
        "consumer":{"name":"MIRCON","deliver_subject":"dlv.mir"},
    }})
}

/// Mirror configs with a `consumer` block and what they get; the same requests go to
/// nats-server 2.15.1 and to jetmirror.
async fn validation_answers(kind: Kind) -> Vec<Value> {
    let server = Server::start(ServerSpec {
        jetstream: true,
        ..ServerSpec::new(kind)
    })
    .expect("server");
    let c = connect(&server).await;
    let cases = [
        json!({"name":"ORIGIN","subjects":["orig.>"]}),
        json!({"name":"V1","mirror":{"name":"ORIGIN","consumer":{"name":"bad.name","deliver_subject":"dlv.x"}}}),
        json!({"name":"V2","mirror":{"name":"ORIGIN","consumer":{"name":"","deliver_subject":"dlv.x"}}}),
        json!({"name":"V3","mirror":{"name":"ORIGIN","consumer":{}}}),
        json!({"name":"V4","mirror":{"name":"ORIGIN","consumer":{"name":"C","deliver_subject":"dlv.*"}}}),
        json!({"name":"V5","mirror":{"name":"ORIGIN","consumer":{"name":"C","deliver_subject":"dlv.>"}}}),
        json!({"name":"V6","mirror":{"name":"ORIGIN","consumer":{"name":"C","deliver_subject":"dlv..x"}}}),
        json!({"name":"V7","mirror":{"name":"ORIGIN","consumer":{"name":"C"}}}),
        json!({"name":"V8","mirror":{"name":"ORIGIN","opt_start_seq":5,"consumer":{"name":"C","deliver_subject":"dlv.x"}}}),
        json!({"name":"V9","mirror":{"name":"ORIGIN","opt_start_time":"2026-01-01T00:00:00Z","consumer":{"name":"C","deliver_subject":"dlv.x"}}}),
        json!({"name":"V10","mirror":{"name":"ORIGIN","filter_subject":"orig.a","consumer":{"name":"C","deliver_subject":"dlv.x"}}}),
        // The consumer check comes before the filter + transforms check.
        json!({"name":"V11","mirror":{"name":"ORIGIN","filter_subject":"orig.a",
            "subject_transforms":[{"src":"orig.b","dest":"x.b"}],
            "consumer":{"name":"C","deliver_subject":"dlv.x"}}}),
        // ...and after the subjects check.
        json!({"name":"V12","subjects":["v12"],"mirror":{"name":"ORIGIN","consumer":{"name":"b.c","deliver_subject":"dlv.x"}}}),
        json!({"name":"V13","mirror":{"name":"ORIGIN","consumer":{"name":"C*","deliver_subject":"dlv.x"}}}),
        json!({"name":"V14","mirror":{"name":"ORIGIN","consumer":{"name":"C","deliver_subject":"dlv x"}}}),
        // Valid ones.
        json!({"name":"V15","mirror":{"name":"ORIGIN","consumer":{"name":"C","deliver_subject":"dlv.x"}}}),
        json!({"name":"V16","mirror":{"name":"ORIGIN","consumer":null}}),
    ];
    let mut out = Vec::new();
    for body in cases {
        let name = body["name"].as_str().unwrap_or_default().to_owned();
        let v = api(&c, &format!("$JS.API.STREAM.CREATE.{name}"), body).await;
        out.push(match v.get("error") {
            Some(e) => json!({"stream": name, "error": e}),
            None => json!({"stream": name, "mirror": v["config"]["mirror"]}),
        });
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_consumer_validation_matches_nats_server() {
    let reference = validation_answers(Kind::NatsServer).await;
    let ours = validation_answers(Kind::Jetmirror).await;
    // Not a vacuous comparison: the invalid cases are refused with 10213.
    let refused = reference
        .iter()
        .filter(|v| v["error"]["err_code"] == 10213)
        .count();
    assert_eq!(refused, 13, "{reference:#?}");
    assert_eq!(reference.len(), ours.len());
    for (r, o) in reference.iter().zip(&ours) {
        assert_eq!(r, o, "nats-server vs jetmirror");
    }
}

/// Mirror through the durable consumer, live tail, restart of the side mid-stream;
/// returns the side's final `mirror` block and the consumer's final info on the hub.
async fn durable_mirror_steps(kind: Kind) -> (Value, Value) {
    let (hub_server, mut side_server) = upstream_pair(kind).expect("servers");
    let hub = connect(&hub_server).await;
    let hub_js = create_origin(&hub).await;
    publish_mixed(&hub_js, 0, 30, false).await;
    let deleted = [1u64, 7, 8];
    for seq in deleted {
        let v = api(
            &hub,
            "$JS.API.STREAM.MSG.DELETE.ORIGIN",
            json!({ "seq": seq }),
        )
        .await;
        assert_eq!(v["success"], true, "{v}");
    }
    create_durable(&hub, "flow_control").await;

    let side = connect(&side_server).await;
    // With external.api too, a bad consumer block is refused before anything runs.
    for consumer in [
        json!({"name":"MIR.CON","deliver_subject":"dlv.mir"}),
        json!({"name":"MIRCON","deliver_subject":"dlv.*"}),
    ] {
        let mut bad = mirror_request();
        bad["mirror"]["consumer"] = consumer;
        let v = api(&side, "$JS.API.STREAM.CREATE.MIR", bad).await;
        assert_eq!(
            v["error"],
            json!({"code":400,"err_code":10213,"description":"stream mirror consumer config is invalid"}),
            "{kind:?}: {v}"
        );
    }
    let created = api(&side, "$JS.API.STREAM.CREATE.MIR", mirror_request()).await;
    assert!(created.get("error").is_none(), "{kind:?}: {created}");
    assert_eq!(
        created["config"]["mirror"]["consumer"],
        json!({"name":"MIRCON","deliver_subject":"dlv.mir"}),
        "{created}"
    );
    wait_synced(&hub, &side).await;
    compare_all(&hub, &side, &deleted).await;

    // Live tail, larger than the consumer's max_ack_pending (100): only flow-control
    // acknowledgements let it through.
    publish_mixed(&hub_js, 100, 250, false).await;
    wait_synced(&hub, &side).await;
    compare_all(&hub, &side, &deleted).await;

    // Published right before a restart of the side (possibly unacknowledged), and
    // while it starts again.
    publish_mixed(&hub_js, 400, 40, false).await;
    drop(side);
    side_server.restart().expect("restart side");
    publish_mixed(&hub_js, 500, 30, false).await;
    let side = connect(&side_server).await;
    let after = wait_synced(&hub, &side).await;
    compare_all(&hub, &side, &deleted).await;

    // The mirror acknowledged everything through flow control: the durable's ack floor
    // reaches the origin's last sequence.
    let last = state_of(&info(&hub, "ORIGIN").await).2;
    let deadline = Instant::now() + Duration::from_secs(10);
    let consumer = loop {
        let c = api(&hub, "$JS.API.CONSUMER.INFO.ORIGIN.MIRCON", json!({})).await;
        if c["ack_floor"]["stream_seq"] == last && c["num_ack_pending"] == 0 {
            break c;
        }
        assert!(Instant::now() < deadline, "{kind:?}: ack floor behind: {c}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Exactly one consumer on the origin: the mirror made none of its own.
    let names = api(&hub, "$JS.API.CONSUMER.NAMES.ORIGIN", json!({})).await;
    assert_eq!(names["consumers"], json!(["MIRCON"]), "{kind:?}: {names}");
    // Deleting the mirror leaves the consumer it was given alone (nats-server only
    // deletes consumers it made itself).
    let v = api(&side, "$JS.API.STREAM.DELETE.MIR", json!({})).await;
    assert_eq!(v["success"], true, "{kind:?}: {v}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let c = api(&hub, "$JS.API.CONSUMER.INFO.ORIGIN.MIRCON", json!({})).await;
    assert!(c.get("error").is_none(), "{kind:?}: {c}");
    (after["mirror"].clone(), consumer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durable_consumer_mirror_is_faithful_and_resumes_like_nats_server() {
    let (ours, our_consumer) = durable_mirror_steps(Kind::Jetmirror).await;
    let (reference, ref_consumer) = durable_mirror_steps(Kind::NatsServer).await;
    for k in ["name", "external", "lag", "error"] {
        assert_eq!(
            ours.get(k),
            reference.get(k),
            "mirror.{k}: {ours} vs {reference}"
        );
    }
    for p in [
        "/ack_floor/stream_seq",
        "/num_pending",
        "/num_ack_pending",
        "/config",
    ] {
        assert_eq!(
            our_consumer.pointer(p),
            ref_consumer.pointer(p),
            "consumer {p}: {our_consumer} vs {ref_consumer}"
        );
    }
}

/// The side's `mirror.error` for a durable consumer whose ack policy is not
/// `flow_control`, and whether the mirror copied anything.
async fn wrong_ack_policy_steps(kind: Kind, ack_policy: &str) -> (Value, u64) {
    let (hub_server, side_server) = upstream_pair(kind).expect("servers");
    let hub = connect(&hub_server).await;
    let hub_js = create_origin(&hub).await;
    publish_mixed(&hub_js, 0, 5, false).await;
    create_durable(&hub, ack_policy).await;
    let side = connect(&side_server).await;
    let created = api(&side, "$JS.API.STREAM.CREATE.MIR", mirror_request()).await;
    assert!(created.get("error").is_none(), "{kind:?}: {created}");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let v = info(&side, "MIR").await;
        if let Some(e) = v["mirror"].get("error") {
            return (e.clone(), state_of(&v).0);
        }
        assert!(Instant::now() < deadline, "{kind:?}: no mirror.error: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_consumer_without_flow_control_ack_policy_reports_10214_like_nats_server() {
    let (ours, our_msgs) = wrong_ack_policy_steps(Kind::Jetmirror, "explicit").await;
    let (reference, ref_msgs) = wrong_ack_policy_steps(Kind::NatsServer, "explicit").await;
    assert_eq!(
        reference,
        json!({"code":400,"err_code":10214,"description":"stream mirror consumer requires flow control ack policy"})
    );
    assert_eq!(ours, reference);
    assert_eq!(our_msgs, ref_msgs);
}

/// A mirror whose durable consumer does not exist yet: the reset goes unanswered
/// (nats-server has no responder for a missing consumer), `mirror.error` stays empty,
/// nothing is copied; once the owner creates the consumer the mirror picks it up (its
/// first delivery triggers a reset at once) and copies everything. Returns the mirror
/// block while waiting and how long the copy took after the consumer was created.
async fn missing_consumer_steps(kind: Kind) -> (Value, Duration) {
    let (hub_server, side_server) = upstream_pair(kind).expect("servers");
    let hub = connect(&hub_server).await;
    let hub_js = create_origin(&hub).await;
    publish_mixed(&hub_js, 0, 5, false).await;
    let side = connect(&side_server).await;
    let created = api(&side, "$JS.API.STREAM.CREATE.MIR", mirror_request()).await;
    assert!(created.get("error").is_none(), "{kind:?}: {created}");
    // Past the 5 s reset timeout.
    tokio::time::sleep(Duration::from_secs(7)).await;
    let waiting = info(&side, "MIR").await;
    assert_eq!(state_of(&waiting).0, 0, "{kind:?}: {waiting}");
    create_durable(&hub, "flow_control").await;
    let created_at = Instant::now();
    wait_synced(&hub, &side).await;
    let took = created_at.elapsed();
    compare_all(&hub, &side, &[]).await;
    (waiting["mirror"].clone(), took)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_consumer_created_after_the_mirror_is_picked_up_like_nats_server() {
    let (ours, our_took) = missing_consumer_steps(Kind::Jetmirror).await;
    let (reference, ref_took) = missing_consumer_steps(Kind::NatsServer).await;
    assert!(reference.get("error").is_none(), "{reference}");
    assert_eq!(
        ours.get("error"),
        reference.get("error"),
        "{ours} vs {reference}"
    );
    eprintln!("picked up after the consumer was created: jetmirror {our_took:?}, nats-server {ref_took:?}");
    // Both well before their retry back-off would have asked again.
    assert!(
        ref_took < Duration::from_secs(5),
        "nats-server took {ref_took:?}"
    );
    assert!(
        our_took < Duration::from_secs(5),
        "jetmirror took {our_took:?}"
    );
}

/// A same-node mirror (no `external.api`) with a `consumer`: nats-server resets the
/// consumer through its own API and acknowledges it by flow control, which this node's
/// consumers do not offer, so the mirror copies nothing and `mirror.error` says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_node_mirror_consumer_is_refused_in_mirror_error() {
    let server = Server::start(ServerSpec {
        jetstream: true,
        ..ServerSpec::new(Kind::Jetmirror)
    })
    .expect("server");
    let c = connect(&server).await;
    let js = create_origin(&c).await;
    publish_mixed(&js, 0, 3, false).await;
    let v = api(
        &c,
        "$JS.API.STREAM.CREATE.MIR",
        json!({"name":"MIR","mirror":{"name":"ORIGIN","consumer":{"name":"MIRCON","deliver_subject":"dlv.mir"}}}),
    )
    .await;
    assert!(v.get("error").is_none(), "{v}");
    let deadline = Instant::now() + Duration::from_secs(5);
    let v = loop {
        let v = info(&c, "MIR").await;
        if v["mirror"].get("error").is_some() {
            break v;
        }
        assert!(Instant::now() < deadline, "no mirror.error: {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let e = &v["mirror"]["error"];
    assert_eq!(e["code"], 500, "{v}");
    assert_eq!(e["err_code"], 10029, "{v}");
    assert!(
        e["description"]
            .as_str()
            .is_some_and(|d| d.contains("MIRCON") && d.contains("flow control")),
        "{v}"
    );
    assert_eq!(state_of(&v).0, 0, "{v}");
}

/// The durable consumer moved past what the mirror holds while the side was down (here
/// by its owner's `CONSUMER.RESET {"seq":N}`; after a kill -9 it is acknowledged writes
/// that never reached the disk). Returns the side's mirror state and how many origin
/// messages it lacks.
async fn consumer_ahead_steps(kind: Kind) -> ((u64, u64, u64, u64), u64) {
    let (hub_server, mut side_server) = upstream_pair(kind).expect("servers");
    let hub = connect(&hub_server).await;
    let hub_js = create_origin(&hub).await;
    publish_mixed(&hub_js, 0, 10, false).await;
    create_durable(&hub, "flow_control").await;
    let side = connect(&side_server).await;
    let created = api(&side, "$JS.API.STREAM.CREATE.MIR", mirror_request()).await;
    assert!(created.get("error").is_none(), "{kind:?}: {created}");
    wait_synced(&hub, &side).await;
    drop(side);
    side_server.stop();
    publish_mixed(&hub_js, 10, 10, false).await;
    let v = api(
        &hub,
        "$JS.API.CONSUMER.RESET.ORIGIN.MIRCON",
        json!({"seq": 16}),
    )
    .await;
    assert_eq!(v["reset_seq"], 16, "{v}");
    side_server.start_again().expect("start side");
    let side = connect(&side_server).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let m = info(&side, "MIR").await;
        if state_of(&m).2 == 20 && m["mirror"]["lag"] == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{kind:?}: {m}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut missing = 0;
    for seq in 1..=20 {
        let o = get(&hub, "ORIGIN", seq).await.expect("origin message");
        match get(&side, "MIR", seq).await {
            Some(m) => {
                for k in ["seq", "subject", "hdrs", "data", "time"] {
                    assert_eq!(o.get(k), m.get(k), "{kind:?} seq {seq} field {k}");
                }
            }
            None => missing += 1,
        }
    }
    (state_of(&info(&side, "MIR").await), missing)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durable_consumer_ahead_of_the_mirror_is_reset_back_without_loss() {
    // nats-server skips 11..=15 (recorded as deleted); jetmirror resets the consumer
    // back to 11 and copies them.
    let (reference, ref_missing) = consumer_ahead_steps(Kind::NatsServer).await;
    assert_eq!((reference, ref_missing), ((15, 1, 20, 5), 5));
    let (ours, missing) = consumer_ahead_steps(Kind::Jetmirror).await;
    assert_eq!((ours, missing), ((20, 1, 20, 0), 0));
}

/// kill -9 of jetmirror while the origin is being published to, twice: acknowledgements
/// only follow stores, and a consumer found past the store is reset back, so the
/// mirror ends with exactly the origin's messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durable_consumer_mirror_survives_kill_9_mid_stream() {
    let (hub_server, mut side_server) = upstream_pair(Kind::Jetmirror).expect("servers");
    let hub = connect(&hub_server).await;
    let hub_js = create_origin(&hub).await;
    create_durable(&hub, "flow_control").await;
    let side = connect(&side_server).await;
    let created = api(&side, "$JS.API.STREAM.CREATE.MIR", mirror_request()).await;
    assert!(created.get("error").is_none(), "{created}");
    drop(side);
    let publisher = {
        let js = hub_js.clone();
        tokio::spawn(async move {
            for round in 0..6 {
                publish_mixed(&js, round * 100, 100, false).await;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        side_server.kill_and_restart().expect("kill -9 and restart");
    }
    publisher.await.expect("publisher");
    let side = connect(&side_server).await;
    wait_synced(&hub, &side).await;
    compare_all(&hub, &side, &[]).await;
    assert_eq!(state_of(&info(&side, "MIR").await), (600, 1, 600, 0));
}
