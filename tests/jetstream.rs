//! JetStream on one node through async-nats' jetstream module: streams, publishing with
//! acks and expectations, direct and API gets, purge and delete, pull, push and ordered
//! consumers, acks and redelivery, persistence across a restart, and error codes. Each
//! scenario runs against nats-server 2.15.1 and jetmirror and the observations must agree.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use futures::StreamExt;
use jetmirror_testkit::{Kind, Server, ServerSpec};

fn start(kind: Kind) -> Server {
    let mut spec = ServerSpec::new(kind);
    spec.jetstream = true;
    match Server::start(spec) {
        Ok(s) => s,
        Err(e) => panic!("cannot start {kind:?}: {e:#}"),
    }
}

async fn context(server: &Server) -> (async_nats::Client, jetstream::Context) {
    let client = async_nats::connect(server.client_url())
        .await
        .expect("connect");
    let js = jetstream::new(client.clone());
    (client, js)
}

/// Runs `scenario` on both servers and asserts the same observations; returns them.
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

#[tokio::test]
async fn publish_ack_get_delete_purge() {
    let seen = both(|server| async move {
        let (client, js) = context(&server).await;
        let mut out = Vec::new();
        let mut s = js
            .create_stream(stream::Config {
                name: "ORDERS".into(),
                subjects: vec!["orders.>".into()],
                allow_direct: true,
                ..Default::default()
            })
            .await
            .expect("create stream");
        for (i, subject) in ["orders.a", "orders.b", "orders.a"].iter().enumerate() {
            let ack = js
                .publish(*subject, format!("m{i}").into())
                .await
                .expect("publish")
                .await
                .expect("ack");
            out.push(format!(
                "ack {} {} {}",
                ack.stream, ack.sequence, ack.duplicate
            ));
        }
        let info = s.info().await.expect("info");
        out.push(format!(
            "state {} {} {} {}",
            info.state.messages,
            info.state.bytes,
            info.state.first_sequence,
            info.state.last_sequence
        ));
        let m = s.get_raw_message(2).await.expect("get 2");
        out.push(format!(
            "get {} {}",
            m.subject,
            String::from_utf8_lossy(&m.payload)
        ));
        let last = s
            .direct_get_last_for_subject("orders.a")
            .await
            .expect("direct last");
        out.push(format!(
            "direct {} {}",
            last.subject,
            String::from_utf8_lossy(&last.payload)
        ));
        assert!(s.delete_message(1).await.expect("delete"));
        let err = s.get_raw_message(1).await.expect_err("deleted");
        out.push(format!("get deleted: {}", err.kind()));
        let purged = s.purge().filter("orders.b").await.expect("purge");
        out.push(format!("purged {}", purged.purged));
        let info = s.info().await.expect("info");
        out.push(format!(
            "state {} {} {}",
            info.state.messages, info.state.first_sequence, info.state.last_sequence
        ));
        drop(client);
        out
    })
    .await;
    assert_eq!(seen[0], "ack ORDERS 1 false");
    assert_eq!(seen[2], "ack ORDERS 3 false");
    assert_eq!(seen[4], "get orders.b m1");
    assert_eq!(seen[5], "direct orders.a m2");
    assert_eq!(seen[7], "purged 1");
}

#[tokio::test]
async fn dedupe_and_expectations() {
    let seen = both(|server| async move {
        let (_client, js) = context(&server).await;
        let mut out = Vec::new();
        js.create_stream(stream::Config {
            name: "EV".into(),
            subjects: vec!["ev.>".into()],
            ..Default::default()
        })
        .await
        .expect("create");
        for _ in 0..2 {
            let ack = js
                .send_publish(
                    "ev.x",
                    jetstream::message::PublishMessage::build()
                        .message_id("id-1")
                        .payload("one".into()),
                )
                .await
                .expect("publish")
                .await
                .expect("ack");
            out.push(format!("ack {} {}", ack.sequence, ack.duplicate));
        }
        let err = js
            .send_publish(
                "ev.x",
                jetstream::message::PublishMessage::build()
                    .expected_last_sequence(7)
                    .payload("two".into()),
            )
            .await
            .expect("publish")
            .await
            .expect_err("wrong last sequence");
        out.push(format!("expect: {err}"));
        let err = js
            .create_stream(stream::Config {
                name: "EV".into(),
                subjects: vec!["other.>".into()],
                ..Default::default()
            })
            .await
            .expect_err("name in use");
        out.push(format!("create: {err}"));
        out
    })
    .await;
    assert_eq!(seen[0], "ack 1 false");
    assert_eq!(seen[1], "ack 1 true");
    assert!(seen[2].contains("10071"), "{}", seen[2]);
    assert!(seen[3].contains("10058"), "{}", seen[3]);
}

#[tokio::test]
async fn pull_consumer_acks_and_redelivery() {
    let seen = both(|server| async move {
        let (_client, js) = context(&server).await;
        let mut out = Vec::new();
        let s = js
            .create_stream(stream::Config {
                name: "WORK".into(),
                subjects: vec!["work.>".into()],
                ..Default::default()
            })
            .await
            .expect("create");
        for i in 0..5 {
            js.publish(format!("work.{i}"), format!("job{i}").into())
                .await
                .expect("publish")
                .await
                .expect("ack");
        }
        let c = s
            .create_consumer(consumer::pull::Config {
                durable_name: Some("W".into()),
                ack_wait: Duration::from_secs(1),
                ..Default::default()
            })
            .await
            .expect("consumer");
        let mut batch = c.fetch().max_messages(3).messages().await.expect("fetch");
        let mut n = 0;
        while let Some(m) = batch.next().await {
            let m = m.expect("message");
            out.push(format!("got {}", String::from_utf8_lossy(&m.payload)));
            if n != 1 {
                // Acks confirmed by the server, so the consumer info below is deterministic.
                m.double_ack().await.expect("ack");
            }
            n += 1;
        }
        // The unacknowledged one comes back after ack_wait.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let mut batch = c.fetch().max_messages(1).messages().await.expect("fetch");
        if let Some(m) = batch.next().await {
            let m = m.expect("message");
            let info = m.info().expect("ack info");
            out.push(format!(
                "redelivered {} delivered={}",
                String::from_utf8_lossy(&m.payload),
                info.delivered
            ));
            m.double_ack().await.expect("ack");
        }
        let mut c = c;
        let info = c.info().await.expect("consumer info");
        out.push(format!(
            "info pending={} ack_pending={} floor={} redelivered={}",
            info.num_pending,
            info.num_ack_pending,
            info.ack_floor.stream_sequence,
            info.num_redelivered
        ));
        out
    })
    .await;
    assert_eq!(seen[0..3], ["got job0", "got job1", "got job2"]);
    assert_eq!(seen[3], "redelivered job1 delivered=2");
}

#[tokio::test]
async fn push_and_ordered_consumers() {
    let seen = both(|server| async move {
        let (client, js) = context(&server).await;
        let mut out = Vec::new();
        let s = js
            .create_stream(stream::Config {
                name: "FEED".into(),
                subjects: vec!["feed.>".into()],
                ..Default::default()
            })
            .await
            .expect("create");
        for i in 0..4 {
            js.publish(format!("feed.{i}"), format!("f{i}").into())
                .await
                .expect("publish")
                .await
                .expect("ack");
        }
        let push = s
            .create_consumer(consumer::push::Config {
                durable_name: Some("P".into()),
                deliver_subject: client.new_inbox(),
                ack_policy: consumer::AckPolicy::Explicit,
                ..Default::default()
            })
            .await
            .expect("push consumer");
        let mut msgs = push.messages().await.expect("push messages");
        for _ in 0..4 {
            let m = tokio::time::timeout(Duration::from_secs(5), msgs.next())
                .await
                .expect("push delivery in time")
                .expect("stream open")
                .expect("message");
            out.push(format!("push {}", m.subject));
            m.ack().await.expect("ack");
        }
        let ordered = s
            .create_consumer(consumer::pull::OrderedConfig {
                filter_subject: "feed.>".into(),
                ..Default::default()
            })
            .await
            .expect("ordered consumer");
        let mut msgs = ordered.messages().await.expect("ordered messages");
        for _ in 0..4 {
            let m = tokio::time::timeout(Duration::from_secs(5), msgs.next())
                .await
                .expect("ordered delivery in time")
                .expect("stream open")
                .expect("message");
            out.push(format!("ordered {}", String::from_utf8_lossy(&m.payload)));
        }
        out
    })
    .await;
    assert_eq!(seen.len(), 8);
    assert_eq!(seen[7], "ordered f3");
}

#[tokio::test]
async fn streams_and_consumers_survive_a_restart() {
    let mut server = start(Kind::Jetmirror);
    {
        let (_client, js) = context(&server).await;
        let s = js
            .create_stream(stream::Config {
                name: "KEEP".into(),
                subjects: vec!["keep.>".into()],
                ..Default::default()
            })
            .await
            .expect("create");
        for i in 0..10 {
            js.publish("keep.x", format!("{i}").into())
                .await
                .expect("publish")
                .await
                .expect("ack");
        }
        let c = s
            .create_consumer(consumer::pull::Config {
                durable_name: Some("K".into()),
                ..Default::default()
            })
            .await
            .expect("consumer");
        let mut batch = c.fetch().max_messages(4).messages().await.expect("fetch");
        while let Some(m) = batch.next().await {
            m.expect("message").double_ack().await.expect("ack");
        }
        // Let the acks land before the process is killed.
        let mut c = c;
        let info = c.info().await.expect("info");
        assert_eq!(info.ack_floor.stream_sequence, 4);
        // Consumer state is saved at most once a second (acks of the last second may be
        // redelivered after a crash, as with nats-server); let it be saved.
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    server.kill();
    server.restart().expect("restart");
    let (_client, js) = context(&server).await;
    let mut s = js.get_stream("KEEP").await.expect("stream recovered");
    let info = s.info().await.expect("info");
    assert_eq!(info.state.messages, 10);
    assert_eq!(info.state.last_sequence, 10);
    let mut c: consumer::PullConsumer = s.get_consumer("K").await.expect("consumer recovered");
    let info = c.info().await.expect("consumer info");
    assert_eq!(info.ack_floor.stream_sequence, 4);
    assert_eq!(info.num_pending, 6);
    let mut batch = c.fetch().max_messages(1).messages().await.expect("fetch");
    let m = batch.next().await.expect("one").expect("message");
    assert_eq!(m.payload, "4");
}

/// Every reply to one raw request (until a status reply or a quiet 300 ms), as text with
/// timestamps blanked.
async fn raw_replies(
    client: &async_nats::Client,
    subject: &str,
    body: &'static [u8],
) -> Vec<String> {
    let inbox = client.new_inbox();
    let mut sub = client.subscribe(inbox.clone()).await.expect("subscribe");
    client
        .publish_with_reply(subject.to_string(), inbox, body.into())
        .await
        .expect("request");
    let mut out = Vec::new();
    while let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(300), sub.next()).await {
        let mut line = String::new();
        if let Some(st) = m.status {
            line.push_str(&format!("status {} {:?} ", u16::from(st), m.description));
        }
        if let Some(h) = &m.headers {
            let mut keys: Vec<_> = h.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
            keys.sort_by(|a, b| a.0.cmp(&b.0));
            for (k, vals) in keys {
                let v: Vec<String> = vals.iter().map(|v| v.to_string()).collect();
                let v = if k == "Nats-Time-Stamp" {
                    "T".to_string()
                } else {
                    v.join(",")
                };
                line.push_str(&format!("{k}={v} "));
            }
        }
        line.push_str(&String::from_utf8_lossy(&m.payload));
        let end = m.status.is_some();
        out.push(line);
        if end {
            break;
        }
    }
    out
}

#[tokio::test]
async fn direct_get_batches_and_multi_last() {
    let seen = both(|server| async move {
        let (client, js) = context(&server).await;
        js.create_stream(stream::Config {
            name: "DG".into(),
            subjects: vec!["dg.>".into()],
            allow_direct: true,
            ..Default::default()
        })
        .await
        .expect("create stream");
        for i in 0..9u32 {
            let mut h = async_nats::HeaderMap::new();
            h.insert("Idx", i.to_string().as_str());
            js.publish_with_headers(format!("dg.{}", i % 3), h, format!("m{i}").into())
                .await
                .expect("publish")
                .await
                .expect("ack");
        }
        js.get_stream("DG")
            .await
            .expect("stream")
            .delete_message(5)
            .await
            .expect("delete 5");
        let mut out = Vec::new();
        let bodies: [&'static [u8]; 14] = [
            br#"{"seq":5,"next_by_subj":null}"#,
            br#"{"batch":3,"seq":2}"#,
            br#"{"batch":4,"seq":4,"next_by_subj":"dg.1"}"#,
            br#"{"batch":100,"seq":1,"max_bytes":20}"#,
            br#"{"batch":2,"seq":50}"#,
            br#"{"multi_last":["dg.*"]}"#,
            br#"{"multi_last":["dg.0","dg.2"],"up_to_seq":5}"#,
            br#"{"multi_last":["dg.*"],"batch":2}"#,
            br#"{"multi_last":["dg.*"],"seq":7}"#,
            br#"{"multi_last":["nope.*"]}"#,
            br#"{"multi_last":["dg.*"],"last_by_subj":"dg.1"}"#,
            br#"{"seq":3,"no_hdr":true}"#,
            br#"{"last_by_subj":"dg.1","batch":2}"#,
            br#"{"up_to_seq":3,"up_to_time":"2020-01-01T00:00:00Z","multi_last":["dg.*"]}"#,
        ];
        for body in bodies {
            out.push(format!("> {}", String::from_utf8_lossy(body)));
            out.extend(raw_replies(&client, "$JS.API.DIRECT.GET.DG", body).await);
        }
        out.push("> subject form with a body".into());
        out.extend(raw_replies(&client, "$JS.API.DIRECT.GET.DG.dg.1", br#"{"seq":1}"#).await);
        out.extend(raw_replies(&client, "$JS.API.DIRECT.GET.DG.dg.1", br#"{"no_hdr":true}"#).await);
        out
    })
    .await;
    for line in &seen {
        println!("{line}");
    }
    assert!(
        seen.iter().any(|l| l.contains("status 204")),
        "batches end with EOB"
    );
}
