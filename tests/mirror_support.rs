//! Helpers of the mirror tests (hub + side topology): `$JS.API` requests, stream state,
//! waiting for a mirror to catch up, and the message-by-message comparison of a mirror
//! (`MIR`) with its origin (`ORIGIN`).

use std::time::{Duration, Instant};

use async_nats::jetstream;
use async_nats::HeaderMap;
use bytes::Bytes;
use jetmirror_testkit::Server;
use serde_json::{json, Value};

pub async fn connect(server: &Server) -> async_nats::Client {
    async_nats::connect(server.client_url())
        .await
        .expect("connect")
}

pub async fn api(client: &async_nats::Client, subject: &str, body: Value) -> Value {
    let m = client
        .request(subject.to_string(), Bytes::from(body.to_string()))
        .await
        .unwrap_or_else(|e| panic!("{subject}: {e}"));
    serde_json::from_slice(&m.payload).expect("json")
}

/// `STREAM.MSG.GET` of `seq`: the `message` object, or None when absent.
pub async fn get(client: &async_nats::Client, stream: &str, seq: u64) -> Option<Value> {
    let v = api(
        client,
        &format!("$JS.API.STREAM.MSG.GET.{stream}"),
        json!({ "seq": seq }),
    )
    .await;
    if let Some(e) = v.get("error") {
        assert_eq!(e["err_code"], 10037, "{stream} seq {seq}: {v}");
        return None;
    }
    Some(v["message"].clone())
}

pub async fn info(client: &async_nats::Client, stream: &str) -> Value {
    api(client, &format!("$JS.API.STREAM.INFO.{stream}"), json!({})).await
}

pub fn state_of(v: &Value) -> (u64, u64, u64, u64) {
    let s = &v["state"];
    let n = |k: &str| s[k].as_u64().unwrap_or(0);
    (
        n("messages"),
        n("first_seq"),
        n("last_seq"),
        n("num_deleted"),
    )
}

/// Waits until the mirror's state equals the origin's and its lag reads 0; returns the
/// mirror's info.
pub async fn wait_synced(hub: &async_nats::Client, side: &async_nats::Client) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let origin = info(hub, "ORIGIN").await;
        let mirror = info(side, "MIR").await;
        if mirror.get("state").is_some()
            && state_of(&origin) == state_of(&mirror)
            && mirror["mirror"]["lag"] == 0
        {
            return mirror;
        }
        assert!(
            Instant::now() < deadline,
            "mirror not in sync: origin {:?} mirror {mirror}",
            state_of(&origin)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every sequence up to the origin's last: equal message, or absent on both; the
/// mirror holds exactly the origin's messages (no duplicates, nothing extra).
pub async fn compare_all(hub: &async_nats::Client, side: &async_nats::Client, deleted: &[u64]) {
    let last = state_of(&info(hub, "ORIGIN").await).2;
    let mut present = 0;
    for seq in 1..=last {
        let o = get(hub, "ORIGIN", seq).await;
        let m = get(side, "MIR", seq).await;
        match (o, m) {
            (Some(o), Some(m)) => {
                for k in ["seq", "subject", "hdrs", "data", "time"] {
                    assert_eq!(o.get(k), m.get(k), "seq {seq} field {k}: {o} vs {m}");
                }
                present += 1;
            }
            (None, None) => assert!(deleted.contains(&seq), "seq {seq} missing"),
            (o, m) => panic!("seq {seq}: origin {o:?} mirror {m:?}"),
        }
    }
    assert_eq!(present, state_of(&info(side, "MIR").await).0);
    assert_eq!(state_of(&info(side, "MIR").await).2, last);
}

/// Publishes `n` messages from index `from`: three subjects, empty, binary and text
/// payloads, multi-value headers on every other one, and (with `msg_ids`) a `Nats-Msg-Id`
/// on every fifth of those.
pub async fn publish_mixed(js: &jetstream::Context, from: usize, n: usize, msg_ids: bool) {
    for i in from..from + n {
        let subject = format!("orig.{}", ["a", "b.c", "d"][i % 3]);
        let payload: Bytes = match i % 4 {
            0 => Bytes::new(),
            1 => Bytes::from((0..=255u8).cycle().take(300 + i).collect::<Vec<u8>>()),
            _ => Bytes::from(format!("payload-{i}")),
        };
        let ack = if i % 2 == 0 {
            let mut h = HeaderMap::new();
            h.insert("X-Index", i.to_string().as_str());
            h.append("X-Multi", "one");
            h.append("X-Multi", "two");
            if msg_ids && i % 5 == 0 {
                h.insert("Nats-Msg-Id", format!("id-{i}").as_str());
            }
            js.publish_with_headers(subject, h, payload).await
        } else {
            js.publish(subject, payload).await
        };
        ack.expect("publish").await.expect("ack");
    }
}
