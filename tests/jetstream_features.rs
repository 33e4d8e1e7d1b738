//! Stream and consumer features beyond the basics, each scenario run against nats-server
//! 2.15.1 and jetmirror with the same steps and compared observation by observation:
//! subject transforms, republish, per-message TTL and subject delete markers, consumer
//! pause (`CONSUMER.PAUSE`, advisories) and priority groups (info block, pull request
//! checks, pinned client with `Nats-Pin-Id`, `CONSUMER.UNPIN`).
//!
//! Volatile values (times, ids, pin ids, remaining durations) are replaced by markers
//! before the comparison; everything else, key order included, must be equal.

use std::time::Duration;

use async_nats::{Client, HeaderMap, Message};
use base64::Engine;
use futures::StreamExt;
use jetmirror_testkit::{Kind, Server, ServerSpec};
use serde_json::Value;

fn start(kind: Kind) -> Server {
    let mut spec = ServerSpec::new(kind);
    spec.jetstream = true;
    match Server::start(spec) {
        Ok(s) => s,
        Err(e) => panic!("cannot start {kind:?}: {e:#}"),
    }
}

/// Runs `scenario` on both servers and asserts the same observations.
async fn both<F, Fut>(scenario: F) -> Vec<String>
where
    F: Fn(Server) -> Fut,
    Fut: std::future::Future<Output = Vec<String>>,
{
    let reference = scenario(start(Kind::NatsServer)).await;
    let ours = scenario(start(Kind::Jetmirror)).await;
    assert_eq!(ours, reference, "jetmirror differs from nats-server");
    ours
}

async fn connect(server: &Server) -> Client {
    async_nats::connect(server.client_url())
        .await
        .expect("connect")
}

/// Replaces what differs from run to run.
fn norm(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("cluster");
            for (k, val) in m.iter_mut() {
                match k.as_str() {
                    "ts" | "created" | "timestamp" | "last_active" | "id" | "time" => {
                        *val = Value::String("T".into())
                    }
                    "pause_until" | "pinned_ts" => {
                        if val.as_str() != Some("0001-01-01T00:00:00Z") {
                            *val = Value::String("T".into());
                        }
                    }
                    "pause_remaining" => *val = Value::String("REMAINING".into()),
                    "pinned_client_id" | "pinned_id" => *val = Value::String("PIN".into()),
                    _ => norm(val),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(norm),
        _ => {}
    }
}

/// A `$JS.API` request; the normalized JSON answer.
async fn api(client: &Client, subject: &str, body: &str) -> Value {
    let m = client
        .request(subject.to_string(), body.to_string().into())
        .await
        .unwrap_or_else(|e| panic!("{subject}: {e}"));
    let mut v: Value = serde_json::from_slice(&m.payload).expect("json answer");
    norm(&mut v);
    v
}

fn headers_text(h: Option<&HeaderMap>) -> String {
    let Some(h) = h else {
        return String::new();
    };
    let mut out = Vec::new();
    for (k, vs) in h.iter() {
        let k: &str = k.as_ref();
        for v in vs {
            let v = if k == "Nats-Time-Stamp" {
                "T".to_string()
            } else if k == "Nats-Pin-Id" {
                "PIN".to_string()
            } else {
                v.as_str().to_string()
            };
            out.push(format!("{k}={v}"));
        }
    }
    out.sort();
    out.join(",")
}

fn describe(m: &Message) -> String {
    format!(
        "{} status={:?} desc={:?} hdr=[{}] payload={:?}",
        m.subject,
        m.status.map(|s| s.as_u16()),
        m.description,
        headers_text(m.headers.as_ref()),
        String::from_utf8_lossy(&m.payload)
    )
}

async fn next(sub: &mut async_nats::Subscriber, wait: Duration) -> Option<Message> {
    tokio::time::timeout(wait, sub.next()).await.ok().flatten()
}

/// A message from `STREAM.MSG.GET`, with its headers decoded.
async fn stored(client: &Client, stream: &str, seq: u64) -> String {
    let v = api(
        client,
        &format!("$JS.API.STREAM.MSG.GET.{stream}"),
        &format!(r#"{{"seq":{seq}}}"#),
    )
    .await;
    let Some(m) = v.get("message") else {
        return format!("seq {seq}: {}", v["error"]);
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    let hdrs = m["hdrs"]
        .as_str()
        .map(|h| String::from_utf8_lossy(&b64.decode(h).unwrap_or_default()).to_string())
        .unwrap_or_default();
    let data = m["data"]
        .as_str()
        .map(|d| String::from_utf8_lossy(&b64.decode(d).unwrap_or_default()).to_string())
        .unwrap_or_default();
    format!("seq {seq}: {} hdrs={hdrs:?} data={data:?}", m["subject"])
}

async fn publish(
    client: &Client,
    subject: &str,
    headers: &[(&str, &str)],
    payload: &str,
) -> String {
    let mut h = HeaderMap::new();
    for (k, v) in headers {
        h.insert(*k, *v);
    }
    let m = client
        .request_with_headers(subject.to_string(), h, payload.to_string().into())
        .await
        .expect("puback");
    String::from_utf8_lossy(&m.payload).to_string()
}

#[tokio::test]
async fn subject_transform_and_republish() {
    let seen = both(|server| async move {
        let client = connect(&server).await;
        let mut out = Vec::new();
        let mut rp = client.subscribe("rp.>").await.expect("sub");
        client.flush().await.expect("flush");
        let created = api(
            &client,
            "$JS.API.STREAM.CREATE.T",
            r#"{"name":"T","subjects":["t.*"],"subject_transform":{"src":"t.*","dest":"tt.$1"},"republish":{"src":"tt.*","dest":"rp.$1"}}"#,
        )
        .await;
        out.push(format!("config {}", created["config"]));
        out.push(publish(&client, "t.x", &[], "one").await);
        out.push(publish(&client, "t.y", &[("A", "1")], "two").await);
        out.push(publish(&client, "t.x", &[], "three").await);
        for seq in 1..=3 {
            out.push(stored(&client, "T", seq).await);
        }
        for _ in 0..3 {
            match next(&mut rp, Duration::from_secs(2)).await {
                Some(m) => out.push(describe(&m)),
                None => out.push("no republish".into()),
            }
        }
        // A republished message is an ordinary publish: another stream can store it.
        api(&client, "$JS.API.STREAM.CREATE.RP", r#"{"name":"RP","subjects":["rp.>"]}"#).await;
        publish(&client, "t.z", &[], "zed").await;
        let mut stored_rp = String::new();
        for _ in 0..20 {
            let info = api(&client, "$JS.API.STREAM.INFO.RP", "").await;
            if info["state"]["messages"] == 1 {
                stored_rp = stored(&client, "RP", 1).await;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        out.push(stored_rp.split(" hdrs=").next().unwrap_or_default().to_string());
        // Expected-last-subject-sequence is checked on the transformed subject.
        out.push(
            publish(
                &client,
                "t.x",
                &[("Nats-Expected-Last-Subject-Sequence", "3")],
                "five",
            )
            .await,
        );
        out
    })
    .await;
    assert!(seen.iter().any(|s| s.contains("\"tt.x\"")), "{seen:?}");
    assert!(seen.iter().any(|s| s.starts_with("rp.x ")), "{seen:?}");
}

#[tokio::test]
async fn republish_headers_only() {
    let seen = both(|server| async move {
        let client = connect(&server).await;
        let mut out = Vec::new();
        let mut rp = client.subscribe("meta.>").await.expect("sub");
        client.flush().await.expect("flush");
        api(
            &client,
            "$JS.API.STREAM.CREATE.H",
            r#"{"name":"H","subjects":["h.>"],"republish":{"src":">","dest":"meta.>","headers_only":true}}"#,
        )
        .await;
        out.push(publish(&client, "h.a.b", &[("X", "y")], "12345").await);
        match next(&mut rp, Duration::from_secs(2)).await {
            Some(m) => out.push(describe(&m)),
            None => out.push("no republish".into()),
        }
        out
    })
    .await;
    assert!(
        seen.iter().any(|s| s.contains("Nats-Msg-Size=5")),
        "{seen:?}"
    );
}

#[tokio::test]
async fn transform_and_republish_config_errors() {
    let seen = both(|server| async move {
        let client = connect(&server).await;
        let mut out = Vec::new();
        for body in [
            r#"{"name":"E","subjects":["e.*"],"subject_transform":{"src":"e..","dest":"x"}}"#,
            r#"{"name":"E","subjects":["e.*"],"subject_transform":{"src":"e.*","dest":"x.{{wildcard(2)}}"}}"#,
            r#"{"name":"E","subjects":["e.*"],"subject_transform":{"src":"e.*","dest":"x.{{nope(1)}}"}}"#,
            r#"{"name":"E","subjects":["e.*"],"subject_transform":{"src":"e.*","dest":"x.*"}}"#,
            r#"{"name":"E","subjects":["e.*"],"republish":{"src":"e.*","dest":"e.>"}}"#,
            r#"{"name":"E","subjects":["e.*"],"republish":{"src":"e.*","dest":"r.*"}}"#,
            r#"{"name":"E","subjects":["e.*"],"republish":{"dest":"r.>"},"pedantic":true}"#,
            r#"{"name":"E","subjects":["e.*"],"subject_transform":{"src":"e.*","dest":"x.{{partition(3,1)}}"}}"#,
            r#"{"name":"E","subjects":["e.*"],"subject_transform":{"src":"e.*","dest":"x.$1"},"republish":{"src":">","dest":">"}}"#,
            r#"{"name":"E","subjects":["e.>"],"subject_transform":{"src":"e.>","dest":"x.>"},"republish":{"src":">","dest":">"}}"#,
        ] {
            let v = api(&client, "$JS.API.STREAM.CREATE.E", body).await;
            out.push(match v.get("error") {
                Some(e) => e.to_string(),
                None => format!(
                    "ok {} {}",
                    v["config"]["subject_transform"], v["config"]["republish"]
                ),
            });
            api(&client, "$JS.API.STREAM.DELETE.E", "").await;
        }
        out
    })
    .await;
    assert!(seen.iter().any(|s| s.contains("10156")), "{seen:?}");
}

#[tokio::test]
async fn message_ttl_headers_and_expiry() {
    let seen = both(|server| async move {
        let client = connect(&server).await;
        let mut out = Vec::new();
        api(
            &client,
            "$JS.API.STREAM.CREATE.P",
            r#"{"name":"P","subjects":["p"]}"#,
        )
        .await;
        out.push(publish(&client, "p", &[("Nats-TTL", "1s")], "x").await);
        out.push(publish(&client, "p", &[("Nats-TTL", "bad")], "x").await);
        let created = api(
            &client,
            "$JS.API.STREAM.CREATE.TTL",
            r#"{"name":"TTL","subjects":["ttl.*"],"allow_msg_ttl":true}"#,
        )
        .await;
        out.push(format!(
            "allow_msg_ttl {}",
            created["config"]["allow_msg_ttl"]
        ));
        for (subject, ttl) in [
            ("ttl.a", "1s"),
            ("ttl.b", "2"),
            ("ttl.c", "never"),
            ("ttl.d", "abc"),
            ("ttl.d", "500ms"),
            ("ttl.d", "0"),
            ("ttl.d", "-1"),
        ] {
            out.push(publish(&client, subject, &[("Nats-TTL", ttl)], "v").await);
        }
        out.push(publish(&client, "ttl.e", &[], "keep").await);
        tokio::time::sleep(Duration::from_millis(3500)).await;
        let info = api(&client, "$JS.API.STREAM.INFO.TTL", "").await;
        out.push(format!(
            "after expiry: messages={} first_seq={}",
            info["state"]["messages"], info["state"]["first_seq"]
        ));
        for seq in 1..=4 {
            out.push(stored(&client, "TTL", seq).await);
        }
        // TTLs can not be turned off again.
        let v = api(
            &client,
            "$JS.API.STREAM.UPDATE.TTL",
            r#"{"name":"TTL","subjects":["ttl.*"],"allow_msg_ttl":false}"#,
        )
        .await;
        out.push(format!("disable {}", v["error"]));
        out
    })
    .await;
    assert!(seen.iter().any(|s| s.contains("10166")), "{seen:?}");
    assert!(
        seen.contains(&"after expiry: messages=2 first_seq=3".to_string()),
        "{seen:?}"
    );
}

#[tokio::test]
async fn subject_delete_markers() {
    let seen = both(|server| async move {
        let client = connect(&server).await;
        let mut out = Vec::new();
        let created = api(
            &client,
            "$JS.API.STREAM.CREATE.M",
            r#"{"name":"M","subjects":["m.*"],"subject_delete_marker_ttl":1000000000}"#,
        )
        .await;
        let c = &created["config"];
        out.push(format!(
            "config ttl={} rollup={} deny_purge={} sdm={}",
            c["allow_msg_ttl"],
            c["allow_rollup_hdrs"],
            c["deny_purge"],
            c["subject_delete_marker_ttl"]
        ));
        out.push(publish(&client, "m.a", &[("Nats-TTL", "1s")], "a1").await);
        out.push(publish(&client, "m.b", &[], "b1").await);
        out.push(stored(&client, "M", 1).await);
        // Wait for the marker that replaces m.a.
        let mut marker = String::from("no marker");
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let info = api(&client, "$JS.API.STREAM.INFO.M", "").await;
            if info["state"]["last_seq"] == 3 {
                marker = stored(&client, "M", 3).await;
                break;
            }
        }
        out.push(marker);
        out.push(stored(&client, "M", 1).await);
        // The marker itself expires and leaves nothing behind.
        let mut state = String::new();
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let info = api(&client, "$JS.API.STREAM.INFO.M", "").await;
            state = format!(
                "messages={} last_seq={}",
                info["state"]["messages"], info["state"]["last_seq"]
            );
            if info["state"]["messages"] == 1 {
                break;
            }
        }
        out.push(state);
        out
    })
    .await;
    assert!(
        seen.iter()
            .any(|s| s.contains("Nats-Marker-Reason: MaxAge")),
        "{seen:?}"
    );
}

/// A pull request on `inbox`; what came back within `wait`.
async fn pull(
    client: &Client,
    sub: &mut async_nats::Subscriber,
    inbox: &str,
    stream: &str,
    consumer: &str,
    body: &str,
    wait: Duration,
) -> Vec<String> {
    client
        .publish_with_reply(
            format!("$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}"),
            inbox.to_string(),
            body.to_string().into(),
        )
        .await
        .expect("pull");
    let mut out = Vec::new();
    while let Some(m) = next(sub, wait).await {
        let line = describe(&m);
        let done = m.status.is_some() || out.len() >= 5;
        out.push(line.replace(inbox, "INBOX"));
        if done {
            break;
        }
    }
    out
}

#[tokio::test]
async fn consumer_pause_and_resume() {
    both(|server| async move {
        let client = connect(&server).await;
        let mut out = Vec::new();
        let mut adv = client
            .subscribe("$JS.EVENT.ADVISORY.CONSUMER.PAUSE.>")
            .await
            .expect("sub");
        let inbox = client.new_inbox();
        let mut replies = client.subscribe(inbox.clone()).await.expect("sub");
        client.flush().await.expect("flush");
        api(
            &client,
            "$JS.API.STREAM.CREATE.S",
            r#"{"name":"S","subjects":["s"]}"#,
        )
        .await;
        api(
            &client,
            "$JS.API.CONSUMER.CREATE.S.C",
            r#"{"stream_name":"S","config":{"name":"C","ack_policy":"explicit"}}"#,
        )
        .await;
        publish(&client, "s", &[], "m1").await;
        out.push(format!(
            "unknown stream {}",
            api(&client, "$JS.API.CONSUMER.PAUSE.NOPE.C", "").await
        ));
        out.push(format!(
            "unknown consumer {}",
            api(&client, "$JS.API.CONSUMER.PAUSE.S.NOPE", "").await
        ));
        out.push(format!(
            "bad json {}",
            api(&client, "$JS.API.CONSUMER.PAUSE.S.C", "{nope").await
        ));
        let until = format_time(std::time::SystemTime::now() + Duration::from_secs(2));
        let v = api(
            &client,
            "$JS.API.CONSUMER.PAUSE.S.C",
            &format!(r#"{{"pause_until":"{until}"}}"#),
        )
        .await;
        out.push(format!("pause {v}"));
        let info = api(&client, "$JS.API.CONSUMER.INFO.S.C", "").await;
        out.push(format!(
            "info paused={} remaining={} config.pause_until={} level={}",
            info["paused"],
            info["pause_remaining"],
            info["config"]["pause_until"],
            info["config"]["metadata"]["_nats.req.level"]
        ));
        // Paused: the pull request gets nothing before it expires.
        out.extend(
            pull(
                &client,
                &mut replies,
                &inbox,
                "S",
                "C",
                r#"{"batch":1,"expires":500000000}"#,
                Duration::from_secs(2),
            )
            .await,
        );
        // The pause ends by itself: advisory, and delivery resumes.
        tokio::time::sleep(Duration::from_millis(2000)).await;
        out.extend(
            pull(
                &client,
                &mut replies,
                &inbox,
                "S",
                "C",
                r#"{"batch":1,"expires":1000000000}"#,
                Duration::from_secs(2),
            )
            .await
            .into_iter()
            .map(|l| l.split(" status=").nth(1).unwrap_or_default().to_string()),
        );
        // Pause again, then resume at once with an empty body.
        let until = format_time(std::time::SystemTime::now() + Duration::from_secs(60));
        api(
            &client,
            "$JS.API.CONSUMER.PAUSE.S.C",
            &format!(r#"{{"pause_until":"{until}"}}"#),
        )
        .await;
        out.push(format!(
            "resume {}",
            api(&client, "$JS.API.CONSUMER.PAUSE.S.C", "").await
        ));
        let info = api(&client, "$JS.API.CONSUMER.INFO.S.C", "").await;
        out.push(format!(
            "info paused={:?} pause_until={:?}",
            info.get("paused"),
            info["config"].get("pause_until")
        ));
        // pause_until in the config at create, then removed by an update.
        let until = format_time(std::time::SystemTime::now() + Duration::from_secs(60));
        let v = api(
            &client,
            "$JS.API.CONSUMER.CREATE.S.D",
            &format!(r#"{{"stream_name":"S","config":{{"name":"D","pause_until":"{until}"}}}}"#),
        )
        .await;
        out.push(format!(
            "create paused={} remaining={} level={}",
            v["paused"], v["pause_remaining"], v["config"]["metadata"]["_nats.req.level"]
        ));
        let v = api(
            &client,
            "$JS.API.CONSUMER.CREATE.S.D",
            r#"{"stream_name":"S","config":{"name":"D"}}"#,
        )
        .await;
        out.push(format!(
            "update paused={:?} level={}",
            v.get("paused"),
            v["config"]["metadata"]["_nats.req.level"]
        ));
        while let Some(m) = next(&mut adv, Duration::from_millis(500)).await {
            let mut v: Value = serde_json::from_slice(&m.payload).expect("advisory");
            norm(&mut v);
            out.push(format!("advisory {} {v}", m.subject));
        }
        out
    })
    .await;
}

/// RFC 3339 UTC with nanoseconds.
fn format_time(t: std::time::SystemTime) -> String {
    let d = t
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after the epoch");
    let secs = d.as_secs() as i64;
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil from days (Howard Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:09}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60,
        d.subsec_nanos()
    )
}

#[tokio::test]
async fn priority_groups_pinned_client() {
    let seen = both(|server| async move {
        let client = connect(&server).await;
        let mut out = Vec::new();
        let inbox = client.new_inbox();
        let mut replies = client.subscribe(inbox.clone()).await.expect("sub");
        let mut adv = client
            .subscribe("$JS.EVENT.ADVISORY.CONSUMER.>")
            .await
            .expect("sub");
        client.flush().await.expect("flush");
        api(&client, "$JS.API.STREAM.CREATE.G", r#"{"name":"G","subjects":["g"]}"#).await;
        for body in [
            r#"{"stream_name":"G","config":{"name":"X","priority_policy":"pinned_client"}}"#,
            r#"{"stream_name":"G","config":{"name":"X","priority_groups":["A"]}}"#,
            r#"{"stream_name":"G","config":{"name":"X","priority_policy":"overflow","priority_groups":["this-name-is-far-too-long"]}}"#,
            r#"{"stream_name":"G","config":{"name":"X","deliver_subject":"d","priority_policy":"overflow","priority_groups":["A"]}}"#,
        ] {
            let v = api(&client, "$JS.API.CONSUMER.CREATE.G.X", body).await;
            out.push(format!("create {}", v["error"]));
        }
        let v = api(
            &client,
            "$JS.API.CONSUMER.CREATE.G.C",
            r#"{"stream_name":"G","config":{"name":"C","ack_policy":"explicit","priority_policy":"pinned_client","priority_groups":["A"]}}"#,
        )
        .await;
        out.push(format!(
            "created groups={} config={}",
            v["priority_groups"], v["config"]
        ));
        for i in 0..3 {
            publish(&client, "g", &[], &format!("m{i}")).await;
        }
        for body in [
            r#"{"batch":1}"#,
            r#"{"batch":1,"group":"B"}"#,
            r#"{"batch":1,"group":"A","min_pending":5}"#,
            r#"{"batch":1,"group":"A","priority":12}"#,
        ] {
            out.extend(
                pull(&client, &mut replies, &inbox, "G", "C", body, Duration::from_secs(1)).await,
            );
        }
        // The first request in the group is pinned: the message carries Nats-Pin-Id.
        client
            .publish_with_reply(
                "$JS.API.CONSUMER.MSG.NEXT.G.C",
                inbox.clone(),
                r#"{"batch":1,"group":"A","expires":1000000000}"#.into(),
            )
            .await
            .expect("pull");
        let first = next(&mut replies, Duration::from_secs(2)).await;
        let pin = first
            .as_ref()
            .and_then(|m| m.headers.as_ref())
            .and_then(|h| h.get("Nats-Pin-Id"))
            .map(|v| v.as_str().to_string())
            .unwrap_or_default();
        out.push(format!(
            "pinned delivery {} pin_len={}",
            first.as_ref().map(describe).unwrap_or_default().replace(&inbox, "INBOX"),
            pin.len()
        ));
        let info = api(&client, "$JS.API.CONSUMER.INFO.G.C", "").await;
        out.push(format!("info groups {}", info["priority_groups"]));
        // Another id: 423.
        out.extend(
            pull(
                &client,
                &mut replies,
                &inbox,
                "G",
                "C",
                r#"{"batch":1,"group":"A","id":"WRONG","expires":1000000000}"#,
                Duration::from_secs(2),
            )
            .await,
        );
        // The pin's own id gets the next message.
        let body = format!(r#"{{"batch":1,"group":"A","id":"{pin}","expires":1000000000}}"#);
        out.extend(
            pull(&client, &mut replies, &inbox, "G", "C", &body, Duration::from_secs(2)).await,
        );
        for body in ["", "{}", r#"{"group":"B"}"#, r#"{"group":"bad group!"}"#, r#"{"group":"A"}"#] {
            out.push(format!(
                "unpin {body:?} {}",
                api(&client, "$JS.API.CONSUMER.UNPIN.G.C", body).await
            ));
        }
        out.push(format!(
            "unpin unknown {}",
            api(&client, "$JS.API.CONSUMER.UNPIN.G.NOPE", r#"{"group":"A"}"#).await
        ));
        let info = api(&client, "$JS.API.CONSUMER.INFO.G.C", "").await;
        out.push(format!("info after unpin {}", info["priority_groups"]));
        while let Some(m) = next(&mut adv, Duration::from_millis(300)).await {
            if !m.subject.contains("PINNED") {
                continue;
            }
            let mut v: Value = serde_json::from_slice(&m.payload).expect("advisory");
            norm(&mut v);
            out.push(format!("advisory {} {v}", m.subject));
        }
        out
    })
    .await;
    assert!(
        seen.iter().any(|s| s.contains("consumer_group_pinned")),
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|s| s.contains(r#""reason":"admin""#)),
        "{seen:?}"
    );
}

#[tokio::test]
async fn priority_groups_overflow() {
    both(|server| async move {
        let client = connect(&server).await;
        let mut out = Vec::new();
        let inbox = client.new_inbox();
        let mut replies = client.subscribe(inbox.clone()).await.expect("sub");
        client.flush().await.expect("flush");
        api(&client, "$JS.API.STREAM.CREATE.O", r#"{"name":"O","subjects":["o"]}"#).await;
        let v = api(
            &client,
            "$JS.API.CONSUMER.CREATE.O.C",
            r#"{"stream_name":"O","config":{"name":"C","ack_policy":"explicit","priority_policy":"overflow","priority_groups":["A"]}}"#,
        )
        .await;
        out.push(format!("created {}", v["priority_groups"]));
        for i in 0..3 {
            publish(&client, "o", &[], &format!("m{i}")).await;
        }
        // min_pending above what is pending: nothing until it expires.
        out.extend(
            pull(
                &client,
                &mut replies,
                &inbox,
                "O",
                "C",
                r#"{"batch":1,"group":"A","min_pending":10,"expires":500000000}"#,
                Duration::from_secs(2),
            )
            .await,
        );
        out.extend(
            pull(
                &client,
                &mut replies,
                &inbox,
                "O",
                "C",
                r#"{"batch":1,"group":"A","min_pending":3,"expires":500000000}"#,
                Duration::from_secs(2),
            )
            .await,
        );
        out.extend(
            pull(
                &client,
                &mut replies,
                &inbox,
                "O",
                "C",
                r#"{"batch":1,"group":"A","id":"X"}"#,
                Duration::from_secs(1),
            )
            .await,
        );
        out
    })
    .await;
}

/// The messages of `stream` as `subject | Nats-Stream-Source | payload`, sorted (sources
/// are copied concurrently by nats-server, so the interleaving of two sources varies).
async fn sourced_messages(client: &Client, stream: &str) -> Vec<String> {
    let info = api(client, &format!("$JS.API.STREAM.INFO.{stream}"), "").await;
    let last = info["state"]["last_seq"].as_u64().unwrap_or(0);
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = Vec::new();
    for seq in 1..=last {
        let v = api(
            client,
            &format!("$JS.API.STREAM.MSG.GET.{stream}"),
            &format!(r#"{{"seq":{seq}}}"#),
        )
        .await;
        let Some(m) = v.get("message") else { continue };
        let hdrs = m["hdrs"]
            .as_str()
            .map(|h| String::from_utf8_lossy(&b64.decode(h).unwrap_or_default()).to_string())
            .unwrap_or_default();
        let data = m["data"]
            .as_str()
            .map(|d| String::from_utf8_lossy(&b64.decode(d).unwrap_or_default()).to_string())
            .unwrap_or_default();
        out.push(format!(
            "{} | {} | {data}",
            m["subject"],
            hdrs.replace("\r\n", "\\r\\n")
        ));
    }
    out.sort();
    out
}

/// nats-server's stream identity: `getHash` (SHA-256, 8 base62 characters) of the
/// stream's `created` time as its info shows it.
async fn identity_of(client: &Client, stream: &str) -> String {
    use sha2::Digest;
    let m = client
        .request(format!("$JS.API.STREAM.INFO.{stream}"), "".into())
        .await
        .expect("info");
    let v: Value = serde_json::from_slice(&m.payload).expect("json");
    let created = v["created"].as_str().unwrap_or_default().to_string();
    const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    sha2::Sha256::digest(created.as_bytes())
        .iter()
        .take(8)
        .map(|b| char::from(DIGITS[usize::from(b % 62)]))
        .collect()
}

#[tokio::test]
async fn sources_on_the_same_node() {
    let seen = both(|server| async move {
        let client = connect(&server).await;
        let mut out = Vec::new();
        api(&client, "$JS.API.STREAM.CREATE.A", r#"{"name":"A","subjects":["a.>"]}"#).await;
        api(&client, "$JS.API.STREAM.CREATE.B", r#"{"name":"B","subjects":["b.>"]}"#).await;
        api(&client, "$JS.API.STREAM.CREATE.C", r#"{"name":"C","subjects":["c.>"]}"#).await;
        publish(&client, "a.1", &[("H", "v")], "a-one").await;
        publish(&client, "a.2", &[], "a-two").await;
        publish(&client, "b.x", &[], "b-x").await;
        publish(&client, "b.y", &[], "b-y").await;
        publish(&client, "c.1", &[], "c-one").await;
        publish(&client, "c.2", &[], "c-two").await;
        let v = api(
            &client,
            "$JS.API.STREAM.CREATE.S",
            r#"{"name":"S","sources":[{"name":"A"},{"name":"B","filter_subject":"b.x"},{"name":"C","opt_start_seq":2,"subject_transforms":[{"src":"c.*","dest":"cc.$1"}]}]}"#,
        )
        .await;
        out.push(format!("config {}", v["config"]["sources"]));
        publish(&client, "a.3", &[("Nats-Expected-Stream", "A")], "a-three").await;
        publish(&client, "b.x", &[], "b-x2").await;
        publish(&client, "c.3", &[], "c-three").await;
        let mut count = 0;
        for _ in 0..60 {
            let info = api(&client, "$JS.API.STREAM.INFO.S", "").await;
            count = info["state"]["messages"].as_u64().unwrap_or(0);
            if count >= 7 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        out.push(format!("messages {count}"));
        // The header ends with the source stream's identity, which follows its creation time.
        let mut msgs = sourced_messages(&client, "S").await;
        for src in ["A", "B", "C"] {
            let id = identity_of(&client, src).await;
            for m in &mut msgs {
                *m = m.replace(&format!(" {id}\\r\\n"), &format!(" <identity of {src}>\\r\\n"));
            }
        }
        out.extend(msgs);
        let info = api(&client, "$JS.API.STREAM.INFO.S", "").await;
        let mut sources = info["sources"].clone();
        for s in sources.as_array_mut().into_iter().flatten() {
            if let Some(a) = s.get_mut("active") {
                *a = Value::String("ACTIVE".into());
            }
        }
        // nats-server lists sources in its map's (random) order: compare them by name.
        if let Some(list) = sources.as_array_mut() {
            list.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        }
        out.push(format!("info sources {sources}"));
        // Publishing a Nats-Stream-Source header directly is refused.
        out.push(publish(&client, "a.4", &[("Nats-Stream-Source", "X 1 > > x")], "no").await);
        out
    })
    .await;
    assert!(
        seen.iter()
            .any(|s| s.contains("Nats-Stream-Source: A 3 > > a.3 <identity of A>")),
        "{seen:?}"
    );
}

#[tokio::test]
async fn delete_markers_on_max_age() {
    let seen = both(|server| async move {
        let client = connect(&server).await;
        let mut out = Vec::new();
        api(
            &client,
            "$JS.API.STREAM.CREATE.MA",
            r#"{"name":"MA","subjects":["ma.*"],"max_age":1000000000,"subject_delete_marker_ttl":1000000000}"#,
        )
        .await;
        publish(&client, "ma.a", &[], "a").await;
        publish(&client, "ma.b", &[], "b1").await;
        publish(&client, "ma.b", &[], "b2").await;
        // Both subjects end with a marker once max_age has passed.
        let mut msgs = Vec::new();
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let info = api(&client, "$JS.API.STREAM.INFO.MA", "").await;
            if info["state"]["last_seq"] == 5 {
                msgs = sourced_messages(&client, "MA").await;
                break;
            }
        }
        out.extend(msgs);
        out
    })
    .await;
    assert_eq!(seen.len(), 2, "{seen:?}");
}

#[tokio::test]
async fn prioritized_requests_and_state_after_a_restart() {
    let seen = both(|mut server| async move {
        let mut out = Vec::new();
        {
            let client = connect(&server).await;
            let low = client.new_inbox();
            let high = client.new_inbox();
            let mut low_sub = client.subscribe(low.clone()).await.expect("sub");
            let mut high_sub = client.subscribe(high.clone()).await.expect("sub");
            client.flush().await.expect("flush");
            api(&client, "$JS.API.STREAM.CREATE.R", r#"{"name":"R","subjects":["r"],"allow_msg_ttl":true,"subject_transform":{"src":"r","dest":"rr"}}"#).await;
            api(
                &client,
                "$JS.API.CONSUMER.CREATE.R.P",
                r#"{"stream_name":"R","config":{"durable_name":"P","ack_policy":"explicit","priority_policy":"prioritized","priority_groups":["A"]}}"#,
            )
            .await;
            for (inbox, priority) in [(&low, 5), (&high, 1)] {
                client
                    .publish_with_reply(
                        "$JS.API.CONSUMER.MSG.NEXT.R.P",
                        inbox.clone(),
                        format!(r#"{{"batch":1,"group":"A","priority":{priority},"expires":3000000000}}"#)
                            .into(),
                    )
                    .await
                    .expect("pull");
            }
            client.flush().await.expect("flush");
            tokio::time::sleep(Duration::from_millis(200)).await;
            publish(&client, "r", &[("Nats-TTL", "1h")], "first").await;
            out.push(format!(
                "priority 1 got {:?}",
                next(&mut high_sub, Duration::from_secs(2)).await.map(|m| describe(&m))
            ));
            out.push(format!(
                "priority 5 got {:?}",
                next(&mut low_sub, Duration::from_millis(300))
                    .await
                    .map(|m| describe(&m).replace(&low, "INBOX"))
            ));
            let until = format_time(std::time::SystemTime::now() + Duration::from_secs(3600));
            api(
                &client,
                "$JS.API.CONSUMER.PAUSE.R.P",
                &format!(r#"{{"pause_until":"{until}"}}"#),
            )
            .await;
            client.flush().await.expect("flush");
        }
        server.restart().expect("restart");
        let client = connect(&server).await;
        let info = api(&client, "$JS.API.CONSUMER.INFO.R.P", "").await;
        out.push(format!(
            "after restart paused={} groups={} delivered={}",
            info["paused"], info["priority_groups"], info["delivered"]["stream_seq"]
        ));
        out.push(stored(&client, "R", 1).await);
        out
    })
    .await;
    assert!(seen[0].contains("first"), "{seen:?}");
}

#[tokio::test]
async fn source_cycles_are_refused() {
    let seen = both(|server| async move {
        let client = connect(&server).await;
        let mut out = Vec::new();
        for (name, body) in [
            ("SELF", r#"{"name":"SELF","subjects":["self"],"sources":[{"name":"SELF"}]}"#),
            ("X", r#"{"name":"X","subjects":["x.>"]}"#),
            ("Y", r#"{"name":"Y","subjects":["y.>"],"sources":[{"name":"X"}]}"#),
            ("X", r#"{"name":"X","subjects":["x.>"],"sources":[{"name":"Y"}]}"#),
            ("X", r#"{"name":"X","subjects":["x.>"],"sources":[{"name":"Y","filter_subject":"y.only"}]}"#),
        ] {
            let op = if out.iter().any(|o: &String| o.starts_with(&format!("{name} ok"))) {
                "UPDATE"
            } else {
                "CREATE"
            };
            let v = api(&client, &format!("$JS.API.STREAM.{op}.{name}"), body).await;
            out.push(match v.get("error") {
                Some(e) => format!("{name} {op} {e}"),
                None => format!("{name} ok {op}"),
            });
        }
        out
    })
    .await;
    assert!(
        seen.iter().any(|s| s.contains("detected cycle")),
        "{seen:?}"
    );
}

/// A push consumer follows its deliver subject's interest: `push_bound` after the client
/// subscribes, then the delivery, and unbound again after it unsubscribes (the same on
/// both servers, each polled until it settles: nats-server applies the change on the
/// consumer's own goroutine, so its first answer may still be the old state). jetmirror
/// applies a subscription before any message the client sends after it, so its first
/// answer is already the new state (nats-server follows with a sublist notification;
/// jetmirror used to poll every 100 ms).
#[tokio::test]
async fn push_consumer_follows_interest_at_once() {
    /// (observations compared with nats-server, the first answers after each change)
    async fn scenario(server: Server) -> (Vec<String>, Vec<String>) {
        let client = connect(&server).await;
        let mut seen = Vec::new();
        let mut first = Vec::new();
        let create = r#"{"name":"PI","subjects":["pi.>"]}"#;
        seen.push(
            api(&client, "$JS.API.STREAM.CREATE.PI", create)
                .await
                .to_string(),
        );
        let consumer = r#"{"stream_name":"PI","config":{"durable_name":"D","deliver_subject":"out.pi","ack_policy":"none"}}"#;
        let v = api(&client, "$JS.API.CONSUMER.CREATE.PI.D", consumer).await;
        seen.push(format!(
            "create push_bound={} {}",
            v["push_bound"], v["error"]
        ));
        seen.push(publish(&client, "pi.a", &[], "one").await);
        // The first INFO answer, then polled until `push_bound` is `want` (2 s at most).
        async fn bound(client: &Client, want: bool, first: &mut Vec<String>) -> String {
            let deadline = std::time::Instant::now() + Duration::from_secs(2);
            let mut v = api(client, "$JS.API.CONSUMER.INFO.PI.D", "").await;
            first.push(format!("push_bound={}", v["push_bound"]));
            while (v["push_bound"] == true) != want && std::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
                v = api(client, "$JS.API.CONSUMER.INFO.PI.D", "").await;
            }
            format!("push_bound={}", v["push_bound"])
        }
        let mut sub = client.subscribe("out.pi").await.expect("subscribe");
        client.flush().await.expect("flush");
        seen.push(format!(
            "subscribed {}",
            bound(&client, true, &mut first).await
        ));
        match next(&mut sub, Duration::from_secs(2)).await {
            Some(m) => seen.push(format!("delivered {}", describe(&m))),
            None => seen.push("nothing delivered".into()),
        }
        sub.unsubscribe().await.expect("unsubscribe");
        client.flush().await.expect("flush");
        seen.push(format!(
            "unsubscribed {}",
            bound(&client, false, &mut first).await
        ));
        (seen, first)
    }
    let (reference, _) = scenario(start(Kind::NatsServer)).await;
    let (ours, first) = scenario(start(Kind::Jetmirror)).await;
    assert_eq!(ours, reference, "jetmirror differs from nats-server");
    assert_eq!(
        first,
        ["push_bound=true", "push_bound=null"],
        "jetmirror's first answers"
    );
}

/// The server-wide `jetstream { limits { … } }` block: `/jsz` `limits` (key order,
/// `default_max_consumers` 1000 when unset), and what each limit does to streams and
/// consumers: the duplicate window's ceiling and default, the consumers' default and
/// largest `max_ack_pending` and `max_batch`, and the default per-stream consumer limit
/// (nats-server 2.15 caps a stream without its own `max_consumers` at 1000).
#[tokio::test]
async fn server_jetstream_limits() {
    async fn observe(kind: Kind, extra: &str) -> Vec<String> {
        let mut spec = ServerSpec::new(kind);
        spec.jetstream = true;
        spec.http = true;
        spec.jetstream_extra = extra.to_string();
        let server = Server::start(spec).unwrap_or_else(|e| panic!("cannot start {kind:?}: {e:#}"));
        let client = connect(&server).await;
        let mut seen = Vec::new();
        let port = server.http_port().expect("http port");
        let jsz = jetmirror_testkit::http_get(port, "/jsz").expect("/jsz");
        let jsz: serde_json::Map<String, Value> = serde_json::from_str(&jsz).expect("jsz json");
        seen.push(format!("jsz limits {}", jsz["limits"]));
        for (subject, body) in [
            (
                "$JS.API.STREAM.CREATE.L",
                r#"{"name":"L","subjects":["l"]}"#,
            ),
            (
                "$JS.API.STREAM.CREATE.L2",
                r#"{"name":"L2","subjects":["l2"],"duplicate_window":60000000000}"#,
            ),
        ] {
            let v = api(&client, subject, body).await;
            seen.push(format!(
                "{subject} duplicate_window {} {}",
                v["config"]["duplicate_window"], v["error"]
            ));
        }
        for (name, extra) in [
            ("P", ""),
            ("Q", r#","max_ack_pending":100"#),
            ("R", r#","max_batch":60"#),
        ] {
            let body = format!(
                r#"{{"stream_name":"L","config":{{"name":"{name}","ack_policy":"explicit"{extra}}}}}"#
            );
            let v = api(&client, &format!("$JS.API.CONSUMER.CREATE.L.{name}"), &body).await;
            seen.push(format!(
                "consumer {name}{extra}: max_ack_pending {} max_batch {} {}",
                v["config"]["max_ack_pending"], v["config"]["max_batch"], v["error"]
            ));
        }
        for i in 0..5 {
            let v = api(
                &client,
                &format!("$JS.API.CONSUMER.CREATE.L.C{i}"),
                &format!(r#"{{"stream_name":"L","config":{{"name":"C{i}","ack_policy":"none"}}}}"#),
            )
            .await;
            seen.push(format!("consumer C{i}: {}", v["error"]));
        }
        seen
    }
    for extra in [
        "",
        "  limits { default_max_consumers: 3, max_ack_pending: 77, max_request_batch: 50, duplicate_window: \"30s\", max_ha_assets: 2, batch { max_msgs: 10, timeout: \"5s\" } }",
        "  limits { default_max_consumers: -1 }",
    ] {
        let reference = observe(Kind::NatsServer, extra).await;
        let ours = observe(Kind::Jetmirror, extra).await;
        assert_eq!(ours, reference, "jetmirror differs from nats-server with {extra:?}");
    }
}

/// `CONSUMER.RESET`: back past the ack floor (empty body), to a chosen sequence, the
/// checks for deliver policies that do not allow it, invalid JSON, and no answer for an
/// unknown consumer; what is delivered afterwards. The same steps on both servers.
#[tokio::test]
async fn consumer_reset() {
    both(|server| async move {
        let client = connect(&server).await;
        let mut seen = Vec::new();
        api(&client, "$JS.API.STREAM.CREATE.RS", r#"{"name":"RS","subjects":["rs"]}"#).await;
        for i in 1..=5 {
            publish(&client, "rs", &[], &format!("m{i}")).await;
        }
        for (name, extra) in [
            ("ALL", ""),
            ("NEW", r#","deliver_policy":"new""#),
            ("FROM3", r#","deliver_policy":"by_start_sequence","opt_start_seq":3"#),
        ] {
            let body = format!(
                r#"{{"stream_name":"RS","config":{{"durable_name":"{name}","ack_policy":"explicit"{extra}}}}}"#
            );
            api(&client, &format!("$JS.API.CONSUMER.CREATE.RS.{name}"), &body).await;
        }
        let inbox = client.new_inbox();
        let mut sub = client.subscribe(inbox.clone()).await.expect("subscribe");
        // Fetches `n` messages of ALL, acking the first `ack` of them (synchronously).
        async fn fetch(
            client: &Client,
            sub: &mut async_nats::Subscriber,
            inbox: &str,
            n: usize,
            ack: usize,
        ) -> Vec<String> {
            client
                .publish_with_reply(
                    "$JS.API.CONSUMER.MSG.NEXT.RS.ALL",
                    inbox.to_string(),
                    format!(r#"{{"batch":{n},"no_wait":true}}"#).into(),
                )
                .await
                .expect("pull");
            let mut out = Vec::new();
            while let Some(m) = next(sub, Duration::from_secs(2)).await {
                if m.status.is_some() {
                    out.push(format!("status {:?}", m.status.map(|s| s.as_u16())));
                    break;
                }
                let reply = m.reply.clone().map(|r| r.to_string()).unwrap_or_default();
                // $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<ts>.<pending>
                let t: Vec<&str> = reply.split('.').collect();
                let fields = [t.get(4), t.get(5), t.get(6), t.get(8)].map(|x| x.copied().unwrap_or(""));
                out.push(format!(
                    "{} deliveries={} sseq={} cseq={} pending={}",
                    String::from_utf8_lossy(&m.payload),
                    fields[0],
                    fields[1],
                    fields[2],
                    fields[3]
                ));
                if out.len() <= ack {
                    client.request(reply, "+ACK".into()).await.expect("ack");
                }
                if out.len() >= n {
                    break;
                }
            }
            out
        }
        let state = |v: &Value| {
            format!(
                "delivered {} ack_floor {} num_pending {} num_ack_pending {} num_redelivered {} reset_seq {} error {}",
                v["delivered"], v["ack_floor"], v["num_pending"], v["num_ack_pending"],
                v["num_redelivered"], v["reset_seq"], v["error"]
            )
        };
        seen.extend(fetch(&client, &mut sub, &inbox, 4, 2).await);
        for body in ["", r#"{"seq":5}"#, r#"{"seq":0}"#, r#"{"seq":9}"#, "{"] {
            let v = api(&client, "$JS.API.CONSUMER.RESET.RS.ALL", body).await;
            seen.push(format!("reset {body:?}: type {} {}", v["type"], state(&v)));
            seen.extend(fetch(&client, &mut sub, &inbox, 2, 1).await);
        }
        let v = api(&client, "$JS.API.CONSUMER.INFO.RS.ALL", "").await;
        seen.push(format!("info {}", state(&v)));
        for (consumer, body) in [
            ("NEW", r#"{"seq":2}"#),
            ("NEW", ""),
            ("FROM3", r#"{"seq":2}"#),
            ("FROM3", r#"{"seq":4}"#),
        ] {
            let v = api(&client, &format!("$JS.API.CONSUMER.RESET.RS.{consumer}"), body).await;
            seen.push(format!("reset {consumer} {body:?}: {}", state(&v)));
        }
        let unknown = client
            .request("$JS.API.CONSUMER.RESET.RS.NOPE", "".into());
        let answer = tokio::time::timeout(Duration::from_millis(500), unknown).await;
        seen.push(format!(
            "unknown consumer answered: {}",
            matches!(answer, Ok(Ok(_)))
        ));
        seen
    })
    .await;
}

/// A pull request for a consumer (or stream) that does not exist meets no responders, as
/// on nats-server where each consumer subscribes its own `MSG.NEXT` subject (clients turn
/// this into "consumer not found" at once instead of waiting for a timeout).
#[tokio::test]
async fn pull_from_a_missing_consumer_meets_no_responders() {
    both(|server| async move {
        let client = connect(&server).await;
        api(
            &client,
            "$JS.API.STREAM.CREATE.NR",
            r#"{"name":"NR","subjects":["nr"]}"#,
        )
        .await;
        let mut seen = Vec::new();
        for subject in [
            "$JS.API.CONSUMER.MSG.NEXT.NR.NOPE",
            "$JS.API.CONSUMER.MSG.NEXT.NOSTREAM.NOPE",
        ] {
            let r = tokio::time::timeout(
                Duration::from_secs(3),
                client.request(subject, r#"{"batch":1}"#.into()),
            )
            .await;
            seen.push(match r {
                Err(_) => format!("{subject}: no answer"),
                Ok(Ok(m)) => format!("{subject}: {}", describe(&m)),
                Ok(Err(e)) => format!("{subject}: {:?}", e.kind()),
            });
        }
        seen
    })
    .await;
}

/// `STREAM.SNAPSHOT` / `STREAM.RESTORE` requests get nats-server's answers for what is
/// checked before an archive moves (empty body, unknown stream, bad JSON, invalid deliver
/// subject, name mismatch). jetmirror then refuses the archive itself (not compared).
#[tokio::test]
async fn snapshot_and_restore_request_checks() {
    both(|server| async move {
        let client = connect(&server).await;
        api(
            &client,
            "$JS.API.STREAM.CREATE.SN",
            r#"{"name":"SN","subjects":["sn"]}"#,
        )
        .await;
        let mut seen = Vec::new();
        for (subject, body) in [
            ("$JS.API.STREAM.SNAPSHOT.SN", ""),
            ("$JS.API.STREAM.SNAPSHOT.SN", "{}"),
            ("$JS.API.STREAM.SNAPSHOT.NOPE", r#"{"deliver_subject":"x"}"#),
            ("$JS.API.STREAM.SNAPSHOT.SN", r#"{"deliver_subject":"#),
            ("$JS.API.STREAM.SNAPSHOT.SN", r#"{"deliver_subject":"a.*"}"#),
            ("$JS.API.STREAM.SNAPSHOT.SN", r#"{"chunk_size":1024}"#),
            ("$JS.API.STREAM.RESTORE.R", ""),
            ("$JS.API.STREAM.RESTORE.R", "{}"),
            ("$JS.API.STREAM.RESTORE.R", r#"{"config":{"name":"OTHER"}}"#),
            ("$JS.API.STREAM.RESTORE.R", r#"{"config":"#),
        ] {
            let v = api(&client, subject, body).await;
            seen.push(format!("{subject} {body:?}: {v}"));
        }
        seen
    })
    .await;
}
