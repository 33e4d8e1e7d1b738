//! What the higher-level client features (nats.js, nats-py, nats.go and async-nats pull
//! consumers, KV buckets, stream metadata) observe, run step by step against nats-server
//! 2.15.1 and jetmirror and compared: a pull request or an ack to a consumer that does not
//! exist gets no-responders, successful `STREAM.MSG.GET`s and failed removals in `STREAM.MSG.DELETE`
//! count in the account's `api` figures as nats-server counts them, pull requests of
//! requesters that went away are dropped, `_nats.req.level` follows the features a
//! stream or consumer uses, unknown API subjects get silence and `DIRECT.GET` without a
//! direct stream no-responders.

use std::time::Duration;

use async_nats::RequestErrorKind;
use futures::StreamExt;
use jetmirror_testkit::{Kind, Server, ServerSpec};
use jetmirror_tests::run_python;
use serde_json::{json, Value};

fn start(kind: Kind) -> Server {
    let mut spec = ServerSpec::new(kind);
    spec.jetstream = true;
    Server::start(spec).unwrap_or_else(|e| panic!("start {kind:?}: {e:#}"))
}

async fn connect(server: &Server) -> async_nats::Client {
    async_nats::connect(server.client_url())
        .await
        .expect("connect")
}

async fn api(client: &async_nats::Client, subject: &str, body: Value) -> Value {
    let msg = client
        .request(subject.to_string(), body.to_string().into())
        .await
        .unwrap_or_else(|e| panic!("{subject}: {e}"));
    serde_json::from_slice(&msg.payload).unwrap_or_else(|e| panic!("{subject}: {e}"))
}

/// How a request ended: the reply's status and description, or the request error.
async fn outcome(client: &async_nats::Client, subject: &str, body: &str) -> String {
    let req = async_nats::Request::new()
        .payload(body.to_string().into())
        .timeout(Some(Duration::from_millis(700)));
    match client.send_request(subject.to_string(), req).await {
        Ok(m) => format!(
            "reply {:?} {:?}",
            m.status.map(|s| s.as_u16()),
            m.description
        ),
        Err(e) => match e.kind() {
            RequestErrorKind::NoResponders => "no responders".into(),
            RequestErrorKind::TimedOut => "timed out".into(),
            other => format!("error {other:?}"),
        },
    }
}

async fn pull_outcomes(server: &Server) -> Vec<String> {
    let client = connect(server).await;
    api(
        &client,
        "$JS.API.STREAM.CREATE.S",
        json!({"name":"S","subjects":["s.>"]}),
    )
    .await;
    api(
        &client,
        "$JS.API.CONSUMER.CREATE.S.P",
        json!({"stream_name":"S","config":{"durable_name":"P","ack_policy":"explicit"}}),
    )
    .await;
    api(
        &client,
        "$JS.API.CONSUMER.CREATE.S.PUSH",
        json!({"stream_name":"S","config":{"durable_name":"PUSH","deliver_subject":"d.push"}}),
    )
    .await;
    let mut out = Vec::new();
    for (subject, body) in [
        (
            "$JS.API.CONSUMER.MSG.NEXT.S.P",
            r#"{"batch":1,"no_wait":true}"#,
        ),
        ("$JS.API.CONSUMER.MSG.NEXT.S.NOPE", r#"{"batch":1}"#),
        ("$JS.API.CONSUMER.MSG.NEXT.NOPE.P", r#"{"batch":1}"#),
        ("$JS.API.CONSUMER.MSG.NEXT.S", ""),
        (
            "$JS.API.CONSUMER.MSG.NEXT.S.PUSH",
            r#"{"batch":1,"no_wait":true}"#,
        ),
        // Acks: each consumer has its own ack subjects on nats-server.
        ("$JS.ACK.S.PUSH.1.1.1.1.0", "+ACK"),
        ("$JS.ACK.S.NOPE.1.1.1.1.0", "+ACK"),
        ("$JS.ACK.NOPE.P.1.1.1.1.0", "+ACK"),
        ("$JS.ACK.S.NOPE", "+ACK"),
        ("$JS.ACK.S.P.1.1.1.1.0", "+ACK"),
        ("$JS.ACK.S.P.1.1.1.1", "+ACK"),
        ("$JS.ACK.S.P.1.1.1.1.0", "+TERM"),
        ("$JS.ACK.S.P.1.0.0.1.0", "+ACK"),
    ] {
        out.push(format!(
            "{subject}: {}",
            outcome(&client, subject, body).await
        ));
    }
    // A consumer deleted under a client that keeps pulling.
    api(&client, "$JS.API.CONSUMER.DELETE.S.P", json!({})).await;
    out.push(format!(
        "after delete: {}",
        outcome(&client, "$JS.API.CONSUMER.MSG.NEXT.S.P", r#"{"batch":1}"#).await
    ));
    out
}

/// Runs `scenario` on a fresh nats-server and a fresh jetmirror, asserts the same
/// observations, and returns jetmirror's.
async fn on_both<T, F, Fut>(scenario: F) -> T
where
    T: PartialEq + std::fmt::Debug,
    F: Fn(Server) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let reference = scenario(start(Kind::NatsServer)).await;
    let ours = scenario(start(Kind::Jetmirror)).await;
    assert_eq!(ours, reference, "jetmirror differs from nats-server");
    ours
}

#[tokio::test]
async fn pull_requests_without_a_consumer_get_no_responders_like_nats_server() {
    let ours = on_both(|server| async move { pull_outcomes(&server).await }).await;
    assert!(
        ours.iter().any(|l| l == "after delete: no responders"),
        "{ours:?}"
    );
}

const PY_FETCH: &str = r#"
import asyncio, sys
import nats

async def main():
    nc = await nats.connect(sys.argv[1])
    js = nc.jetstream()
    await js.add_stream(name="S", subjects=["s.>"])
    await js.publish("s.1", b"x")
    ps = await js.pull_subscribe("s.>", durable="P")
    msgs = await ps.fetch(1, timeout=1)
    print("fetched", [m.metadata.sequence.stream for m in msgs])
    await js.delete_consumer("S", "P")
    try:
        msgs = await ps.fetch(1, timeout=1)
        print("fetch after delete:", len(msgs))
    except Exception as e:
        print("fetch after delete:", type(e).__name__)
    await nc.close()

asyncio.run(main())
"#;

#[tokio::test]
async fn nats_py_fetch_from_a_deleted_consumer_fails_fast_like_nats_server() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("fetch.py");
    std::fs::write(&script, PY_FETCH).expect("script");
    let mut runs = Vec::new();
    for kind in [Kind::NatsServer, Kind::Jetmirror] {
        let server = start(kind);
        let url = server.client_url();
        let out = run_python(
            &format!("{kind:?}"),
            &script,
            &[url.as_ref()],
            Duration::from_secs(30),
        )
        .await;
        runs.push(String::from_utf8_lossy(&out).into_owned());
    }
    assert_eq!(runs[1], runs[0], "jetmirror differs from nats-server");
    assert!(
        runs[1].contains("fetch after delete: ServiceUnavailableError"),
        "{}",
        runs[1]
    );
}

async fn api_counters(server: &Server) -> Vec<Value> {
    let client = connect(server).await;
    let mut out = Vec::new();
    api(
        &client,
        "$JS.API.STREAM.CREATE.S",
        json!({"name":"S","subjects":["s.>"]}),
    )
    .await;
    for i in 0..3 {
        client
            .request(format!("s.{i}"), "x".into())
            .await
            .expect("publish");
    }
    let counters = |v: Value| v["api"].clone();
    out.push(counters(api(&client, "$JS.API.INFO", json!({})).await));
    for body in [
        json!({"seq":1}),
        json!({"last_by_subj":"s.2"}),
        json!({"seq":2,"next_by_subj":"s.>"}),
        json!({"seq":99}),
        json!({"seq":1,"last_by_subj":"s.1"}),
    ] {
        let r = api(&client, "$JS.API.STREAM.MSG.GET.S", body).await;
        out.push(json!([r["message"]["seq"], r["error"]["err_code"]]));
        out.push(counters(api(&client, "$JS.API.INFO", json!({})).await));
    }
    api(
        &client,
        "$JS.API.STREAM.CREATE.KEEP",
        json!({"name":"KEEP","subjects":["keep"],"deny_delete":true}),
    )
    .await;
    client.request("keep", "x".into()).await.expect("publish");
    for (stream, body) in [
        ("S", json!({"seq":2})),
        ("S", json!({"seq":2})),
        ("S", json!({"seq":3,"no_erase":true})),
        ("S", json!({"seq":99})),
        ("KEEP", json!({"seq":1})),
        ("NOPE", json!({"seq":1})),
    ] {
        let r = api(
            &client,
            &format!("$JS.API.STREAM.MSG.DELETE.{stream}"),
            body,
        )
        .await;
        out.push(json!([stream, r["success"], r["error"]]));
        out.push(counters(api(&client, "$JS.API.INFO", json!({})).await));
    }
    out
}

#[tokio::test]
async fn msg_get_and_delete_count_in_account_api_like_nats_server() {
    on_both(|server| async move { api_counters(&server).await }).await;
}

async fn levels(server: &Server) -> Vec<Value> {
    let client = connect(server).await;
    let mut out = Vec::new();
    for (name, extra) in [
        ("PLAIN", json!({})),
        ("TTL", json!({"allow_msg_ttl": true})),
        (
            "MARKERS",
            json!({"allow_msg_ttl": true, "subject_delete_marker_ttl": 2_000_000_000u64}),
        ),
        (
            "CLAIMED",
            json!({"metadata": {"_nats.req.level": "3", "own": "x"}}),
        ),
    ] {
        let mut cfg = json!({"name": name, "subjects": [format!("{}.>", name.to_lowercase())]});
        if let (Some(c), Some(e)) = (cfg.as_object_mut(), extra.as_object()) {
            c.extend(e.clone());
        }
        let created = api(
            &client,
            &format!("$JS.API.STREAM.CREATE.{name}"),
            cfg.clone(),
        )
        .await;
        out.push(json!([
            name,
            "create",
            created["config"]["metadata"],
            created["error"]
        ]));
        let updated = api(&client, &format!("$JS.API.STREAM.UPDATE.{name}"), cfg).await;
        out.push(json!([
            name,
            "update",
            updated["config"]["metadata"],
            updated["error"]
        ]));
        let info = api(&client, &format!("$JS.API.STREAM.INFO.{name}"), json!({})).await;
        out.push(json!([name, "info", info["config"]["metadata"]]));
    }
    let list = api(&client, "$JS.API.STREAM.LIST", json!({})).await;
    if let Some(streams) = list["streams"].as_array() {
        let mut l: Vec<Value> = streams
            .iter()
            .map(|s| json!([s["config"]["name"], s["config"]["metadata"]]))
            .collect();
        l.sort_by_key(|v| v.to_string());
        out.push(json!(l));
    }
    let c = api(
        &client,
        "$JS.API.CONSUMER.CREATE.PLAIN.C",
        json!({"stream_name":"PLAIN","config":{"durable_name":"C","metadata":{"_nats.req.level":"7"}}}),
    )
    .await;
    out.push(json!(["consumer", c["config"]["metadata"], c["error"]]));
    out
}

#[tokio::test]
async fn required_api_level_follows_stream_features_like_nats_server() {
    let ours = on_both(|server| async move { levels(&server).await }).await;
    assert!(
        ours.iter()
            .any(|v| v[0] == "TTL" && v[2]["_nats.req.level"] == "1"),
        "{ours:?}"
    );
}

async fn abandoned_pulls(server: &Server) -> Vec<Value> {
    let client = connect(server).await;
    let other = connect(server).await;
    api(
        &client,
        "$JS.API.STREAM.CREATE.S",
        json!({"name":"S","subjects":["s.>"]}),
    )
    .await;
    api(
        &client,
        "$JS.API.CONSUMER.CREATE.S.P",
        json!({"stream_name":"S","config":{"durable_name":"P","ack_policy":"explicit","ack_wait":30_000_000_000u64}}),
    )
    .await;
    let mut out = Vec::new();
    let info = |v: Value| {
        json!([
            v["num_waiting"],
            v["num_ack_pending"],
            v["num_pending"],
            v["delivered"]["stream_seq"]
        ])
    };
    let pull = r#"{"batch":5,"expires":10000000000}"#;
    // One requester unsubscribes its inbox, another disconnects.
    let mut gone = client.subscribe("inbox.gone").await.expect("subscribe");
    client
        .publish_with_reply("$JS.API.CONSUMER.MSG.NEXT.S.P", "inbox.gone", pull.into())
        .await
        .expect("pull");
    let _closed = other.subscribe("inbox.closed").await.expect("subscribe");
    other
        .publish_with_reply("$JS.API.CONSUMER.MSG.NEXT.S.P", "inbox.closed", pull.into())
        .await
        .expect("pull");
    client.flush().await.expect("flush");
    other.flush().await.expect("flush");
    // Both requests are parked (the client library may still be writing the second one).
    let mut first = Value::Null;
    for _ in 0..30 {
        first = api(&client, "$JS.API.CONSUMER.INFO.S.P", json!({})).await;
        if first["num_waiting"] == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    out.push(info(first));
    gone.unsubscribe().await.expect("unsubscribe");
    other.drain().await.expect("drain");
    client.flush().await.expect("flush");
    tokio::time::sleep(Duration::from_millis(300)).await;
    out.push(info(
        api(&client, "$JS.API.CONSUMER.INFO.S.P", json!({})).await,
    ));
    // The next message waits for a live requester instead of vanishing into a gone one.
    client.request("s.1", "x".into()).await.expect("publish");
    tokio::time::sleep(Duration::from_millis(200)).await;
    out.push(info(
        api(&client, "$JS.API.CONSUMER.INFO.S.P", json!({})).await,
    ));
    let fresh = connect(server).await;
    let mut inbox = fresh.subscribe("inbox.fresh").await.expect("subscribe");
    fresh
        .publish_with_reply(
            "$JS.API.CONSUMER.MSG.NEXT.S.P",
            "inbox.fresh",
            r#"{"batch":1,"expires":1000000000}"#.into(),
        )
        .await
        .expect("pull");
    let got = match tokio::time::timeout(Duration::from_secs(3), inbox.next()).await {
        Ok(Some(m)) => json!([m.payload.to_vec(), m.status.map(|s| s.as_u16())]),
        other => json!(format!("nothing: {}", other.is_ok())),
    };
    out.push(got);
    out
}

#[tokio::test]
async fn pull_requests_of_gone_requesters_are_dropped_like_nats_server() {
    let ours = on_both(|server| async move { abandoned_pulls(&server).await }).await;
    assert_eq!(ours[3], json!([b"x".to_vec(), null]), "{ours:?}");
}

async fn unknown_api_outcomes(server: &Server) -> Vec<String> {
    let client = connect(server).await;
    api(
        &client,
        "$JS.API.STREAM.CREATE.D",
        json!({"name":"D","subjects":["d.>"],"allow_direct":true}),
    )
    .await;
    api(
        &client,
        "$JS.API.STREAM.CREATE.ND",
        json!({"name":"ND","subjects":["nd.>"]}),
    )
    .await;
    client.request("d.1", "x".into()).await.expect("publish");
    let mut out = Vec::new();
    for subject in [
        "$JS.API.FOO",
        "$JS.API.FOO.BAR",
        "$JS.API.META.LEADER.STEPDOWN",
        "$JS.API.ACCOUNT.PURGE.X",
        "$JS.API.DIRECT.FOO",
        "$JS.API.DIRECT.GET",
        "$JS.API.DIRECT.GET.ND",
        "$JS.API.DIRECT.GET.NOPE",
        "$JS.API.DIRECT.GET.D",
        "$JS.API",
    ] {
        out.push(format!(
            "{subject}: {}",
            outcome(&client, subject, r#"{"seq":1}"#).await
        ));
    }
    out
}

#[tokio::test]
async fn unknown_api_subjects_and_direct_gets_without_a_stream_answer_like_nats_server() {
    let ours = on_both(|server| async move { unknown_api_outcomes(&server).await }).await;
    assert!(
        ours.iter().any(|l| l == "$JS.API.FOO: timed out"),
        "{ours:?}"
    );
    assert!(
        ours.iter()
            .any(|l| l == "$JS.API.DIRECT.GET.ND: no responders"),
        "{ours:?}"
    );
}
