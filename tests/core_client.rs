//! Core NATS through a real client (async-nats) against the `jetmirror` binary: pub/sub,
//! wildcards, queue groups, request/reply, no responders, headers, authentication, limits,
//! slow consumers and reconnecting after a restart.

use std::time::Duration;

use async_nats::{ConnectOptions, HeaderMap};
use bytes::Bytes;
use futures::StreamExt;
use jetmirror_tests::{jetmirror, QUIET};
use tokio::time::timeout;

async fn connect(url: &str) -> async_nats::Client {
    match async_nats::connect(url).await {
        Ok(c) => c,
        Err(e) => panic!("connect to {url}: {e}"),
    }
}

async fn next(sub: &mut async_nats::Subscriber) -> async_nats::Message {
    match timeout(Duration::from_secs(5), sub.next()).await {
        Ok(Some(m)) => m,
        Ok(None) => panic!("subscription ended"),
        Err(_) => panic!("no message within 5 s"),
    }
}

/// Returns once the server has processed everything `client` sent before: a message the
/// client publishes to its own fresh inbox comes back only after the server handled the
/// earlier ops of that connection (async-nats' `flush` only empties the client's buffer).
async fn barrier(client: &async_nats::Client) {
    let inbox = client.new_inbox();
    let mut sub = client.subscribe(inbox.clone()).await.unwrap();
    client.publish(inbox, Bytes::new()).await.unwrap();
    client.flush().await.unwrap();
    next(&mut sub).await;
}

async fn nothing_more(sub: &mut async_nats::Subscriber) {
    if let Ok(Some(m)) = timeout(QUIET, sub.next()).await {
        panic!("unexpected message on {}: {:?}", m.subject, m.payload);
    }
}

#[tokio::test]
async fn publish_reaches_exact_and_wildcard_subscribers() {
    let server = jetmirror("");
    let client = connect(&server.client_url()).await;
    let mut exact = client.subscribe("orders.new").await.unwrap();
    let mut star = client.subscribe("orders.*").await.unwrap();
    let mut tail = client.subscribe("orders.>").await.unwrap();
    let mut other = client.subscribe("payments.>").await.unwrap();
    client.flush().await.unwrap();

    client.publish("orders.new", "one".into()).await.unwrap();
    client.publish("orders.eu.new", "two".into()).await.unwrap();
    client.flush().await.unwrap();

    assert_eq!(next(&mut exact).await.payload, "one");
    assert_eq!(next(&mut star).await.payload, "one");
    let a = next(&mut tail).await;
    let b = next(&mut tail).await;
    assert_eq!(
        (a.subject.as_str(), b.subject.as_str()),
        ("orders.new", "orders.eu.new")
    );
    nothing_more(&mut exact).await;
    nothing_more(&mut star).await;
    nothing_more(&mut other).await;
}

#[tokio::test]
async fn queue_group_delivers_each_message_to_exactly_one_member() {
    let server = jetmirror("");
    let a = connect(&server.client_url()).await;
    let b = connect(&server.client_url()).await;
    let publisher = connect(&server.client_url()).await;
    let mut qa = a.queue_subscribe("work", "workers".into()).await.unwrap();
    let mut qb = b.queue_subscribe("work", "workers".into()).await.unwrap();
    let mut plain = b.subscribe("work").await.unwrap();
    barrier(&a).await;
    barrier(&b).await;

    for i in 0..200 {
        publisher
            .publish("work", format!("{i}").into())
            .await
            .unwrap();
    }
    publisher.flush().await.unwrap();

    let mut seen = Vec::new();
    for i in 0..200 {
        match timeout(Duration::from_secs(5), plain.next()).await {
            Ok(Some(m)) => seen.push(m.payload),
            _ => panic!("plain subscriber got {i} of 200: {seen:?}"),
        }
    }
    let mut got_a = Vec::new();
    while let Ok(Some(m)) = timeout(QUIET, qa.next()).await {
        got_a.push(m.payload);
    }
    let mut got_b = Vec::new();
    while let Ok(Some(m)) = timeout(QUIET, qb.next()).await {
        got_b.push(m.payload);
    }
    assert_eq!(
        got_a.len() + got_b.len(),
        200,
        "each message once to the group"
    );
    assert!(
        !got_a.is_empty() && !got_b.is_empty(),
        "both members get work"
    );
    let mut all: Vec<Bytes> = got_a.into_iter().chain(got_b).collect();
    all.sort();
    seen.sort();
    assert_eq!(all, seen);
}

#[tokio::test]
async fn request_reply_and_no_responders() {
    let server = jetmirror("");
    let service = connect(&server.client_url()).await;
    let mut requests = service.subscribe("svc.echo").await.unwrap();
    barrier(&service).await;
    tokio::spawn(async move {
        while let Some(req) = requests.next().await {
            if let Some(reply) = req.reply {
                let mut body = b"echo: ".to_vec();
                body.extend_from_slice(&req.payload);
                let _ = service.publish(reply, body.into()).await;
            }
        }
    });

    let client = connect(&server.client_url()).await;
    let answer = client
        .request("svc.echo", "hi".into())
        .await
        .expect("a reply from the service");
    assert_eq!(answer.payload, "echo: hi");

    let err = client
        .request("svc.nobody", "hi".into())
        .await
        .expect_err("nobody listens");
    assert_eq!(err.kind(), async_nats::RequestErrorKind::NoResponders);
}

#[tokio::test]
async fn headers_round_trip() {
    let server = jetmirror("");
    let client = connect(&server.client_url()).await;
    let mut sub = client.subscribe("h").await.unwrap();
    client.flush().await.unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("X-Trace", "abc");
    headers.append("X-Multi", "1");
    headers.append("X-Multi", "2");
    client
        .publish_with_headers("h", headers, "body".into())
        .await
        .unwrap();
    let msg = next(&mut sub).await;
    let got = msg.headers.expect("headers arrive");
    assert_eq!(got.get("X-Trace").map(|v| v.as_str()), Some("abc"));
    let multi: Vec<&str> = got.get_all("X-Multi").map(|v| v.as_str()).collect();
    assert_eq!(multi, vec!["1", "2"]);
    assert_eq!(msg.payload, "body");
}

#[tokio::test]
async fn user_password_accepted_and_refused() {
    let server = jetmirror("authorization { users: [ {user: alice, password: s3cret} ] }");
    let ok = ConnectOptions::with_user_and_password("alice".into(), "s3cret".into())
        .connect(server.client_url())
        .await
        .expect("right password connects");
    ok.flush().await.unwrap();

    let bad = ConnectOptions::with_user_and_password("alice".into(), "wrong".into())
        .connect(server.client_url());
    let bad = timeout(Duration::from_secs(5), bad).await;
    assert!(
        !matches!(bad, Ok(Ok(_))),
        "a wrong password must not connect"
    );
    let none = timeout(
        Duration::from_secs(5),
        async_nats::connect(server.client_url()),
    )
    .await;
    assert!(
        !matches!(none, Ok(Ok(_))),
        "no credentials must not connect"
    );
}

#[tokio::test]
async fn token_auth() {
    let server = jetmirror("authorization { token: \"t0ken\" }");
    let c = ConnectOptions::with_token("t0ken".into())
        .connect(server.client_url())
        .await
        .expect("right token connects");
    c.flush().await.unwrap();
    let bad = timeout(
        Duration::from_secs(5),
        ConnectOptions::with_token("nope".into()).connect(server.client_url()),
    )
    .await;
    assert!(!matches!(bad, Ok(Ok(_))));
}

#[tokio::test]
async fn max_payload_is_advertised_and_enforced() {
    let server = jetmirror("max_payload: 1024");
    let client = connect(&server.client_url()).await;
    assert_eq!(client.server_info().max_payload, 1024);
    let err = client
        .publish("big", vec![0u8; 2048].into())
        .await
        .expect_err("client refuses a payload over the server's max");
    assert!(err.to_string().to_lowercase().contains("payload"), "{err}");
}

#[tokio::test]
async fn slow_consumer_is_disconnected_and_counted() {
    let server = jetmirror("max_payload: 16384\nmax_pending: 65536\nwrite_deadline: \"1s\"");
    // A raw reader that subscribes and never reads.
    let mut raw = std::net::TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    use std::io::{Read, Write};
    raw.write_all(b"CONNECT {\"verbose\":false}\r\nSUB slow 1\r\nPING\r\n")
        .unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 4096];
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("PONG") {
        let n = raw.read(&mut buf).unwrap();
        assert!(n > 0);
        seen.extend_from_slice(&buf[..n]);
    }

    let publisher = connect(&server.client_url()).await;
    let payload = Bytes::from(vec![b'x'; 8192]);
    for _ in 0..20_000 {
        if publisher.publish("slow", payload.clone()).await.is_err() {
            break;
        }
    }
    publisher.flush().await.unwrap();

    // The server closed the reader: draining its socket ends in EOF or reset.
    raw.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let closed = loop {
        match raw.read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => continue,
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                break false
            }
            Err(_) => break true,
        }
    };
    assert!(closed, "the slow reader was disconnected");
    // The publisher is unaffected.
    let mut sub = publisher.subscribe("after").await.unwrap();
    publisher.publish("after", "ok".into()).await.unwrap();
    assert_eq!(next(&mut sub).await.payload, "ok");
}

#[tokio::test]
async fn client_reconnects_after_server_restart() {
    let mut server = jetmirror("");
    let client = async_nats::ConnectOptions::new()
        .retry_on_initial_connect()
        .connect(server.client_url())
        .await
        .unwrap();
    let mut sub = client.subscribe("after.restart").await.unwrap();
    client.flush().await.unwrap();
    server.restart().expect("restart on the same port");
    // The client resubscribes by itself once it is back.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let _ = client.publish("after.restart", "back".into()).await;
        let _ = client.flush().await;
        if let Ok(Some(m)) = timeout(Duration::from_millis(250), sub.next()).await {
            assert_eq!(m.payload, "back");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no delivery after the restart"
        );
    }
}
