//! `UpstreamClient` against real nats-server processes (testkit): pub/sub/request,
//! no-responders, reconnect after a restart on the same port, and the liveness
//! switch away from a SIGSTOPped node.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use jetmirror_mirror::upstream::{
    ConnectionEvent, RequestError, Status, UpstreamClient, UpstreamConfig,
};
use jetmirror_testkit::{Server, ServerSpec};

fn fast_config(urls: Vec<String>) -> UpstreamConfig {
    UpstreamConfig {
        name: Some("jetmirror-test".into()),
        ping_interval: Duration::from_secs(1),
        max_pings_out: 2,
        connect_timeout: Duration::from_secs(1),
        ..UpstreamConfig::new(urls)
    }
}

async fn next_msg(sub: &mut jetmirror_mirror::Subscription) -> Result<jetmirror_mirror::Message> {
    tokio::time::timeout(Duration::from_secs(5), sub.next())
        .await
        .context("no message within 5 s")?
        .context("subscription ended")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_subscribe_request_and_no_responders() -> Result<()> {
    let server = Server::start(ServerSpec::default())?;
    let client = UpstreamClient::connect(fast_config(vec![server.client_url()]))?;
    let url = client
        .wait_connected(Duration::from_secs(5))
        .await
        .context("not connected")?;
    assert_eq!(url, server.client_url());

    let mut sub = client.subscribe("foo.>").await?;
    // A PING round trip makes sure the SUB is registered before we publish.
    client
        .request("nobody.home", Bytes::new(), Duration::from_secs(2))
        .await
        .ok();
    client
        .publish("foo.a", None, None, Bytes::from_static(b"plain"))
        .await?;
    let hdr = Bytes::from_static(b"NATS/1.0\r\nX-Key:  v1 \r\nX-Key: v2\r\n\r\n");
    client
        .publish(
            "foo.b",
            Some("reply.to"),
            Some(hdr.clone()),
            Bytes::from_static(b"with headers"),
        )
        .await?;
    let m1 = next_msg(&mut sub).await?;
    assert_eq!(
        (&m1.subject[..], &m1.payload[..], m1.headers.is_none()),
        (&b"foo.a"[..], &b"plain"[..], true)
    );
    let m2 = next_msg(&mut sub).await?;
    assert_eq!(&m2.subject[..], b"foo.b");
    assert_eq!(m2.reply.as_deref(), Some(&b"reply.to"[..]));
    assert_eq!(m2.headers.as_ref(), Some(&hdr), "headers byte for byte");
    assert_eq!(&m2.payload[..], b"with headers");

    // A responder on the same connection.
    let mut svc = client.subscribe("svc.echo").await?;
    let responder = client.clone();
    tokio::spawn(async move {
        while let Some(m) = svc.next().await {
            if let Some(r) = m.reply.as_deref().and_then(|r| std::str::from_utf8(r).ok()) {
                let _ = responder
                    .publish(r, None, m.headers.clone(), m.payload.clone())
                    .await;
            }
        }
    });
    client
        .request("nobody.home", Bytes::new(), Duration::from_secs(2))
        .await
        .ok();
    let answer = client
        .request_with_headers(
            "svc.echo",
            Some(Bytes::from_static(b"NATS/1.0\r\nA: b\r\n\r\n")),
            Bytes::from_static(b"ping"),
            Duration::from_secs(2),
        )
        .await?;
    assert_eq!(&answer.payload[..], b"ping");
    assert_eq!(
        answer.headers.as_deref(),
        Some(&b"NATS/1.0\r\nA: b\r\n\r\n"[..])
    );

    match client
        .request("nobody.home", Bytes::new(), Duration::from_secs(2))
        .await
    {
        Err(RequestError::NoResponders(s)) => assert_eq!(s, "nobody.home"),
        other => bail!("expected no responders, got {other:?}"),
    }
    assert!(matches!(
        client
            .publish("bad subject", None, None, Bytes::new())
            .await,
        Err(jetmirror_mirror::PublishError::InvalidSubject(_))
    ));

    client.close().await;
    assert_eq!(client.status(), Status::Closed);
    assert!(matches!(
        client.publish("foo.c", None, None, Bytes::new()).await,
        Err(jetmirror_mirror::PublishError::Closed)
    ));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_after_restart_and_resubscribes() -> Result<()> {
    let mut server = Server::start(ServerSpec::default())?;
    let client = UpstreamClient::connect(fast_config(vec![server.client_url()]))?;
    client
        .wait_connected(Duration::from_secs(5))
        .await
        .context("not connected")?;
    let (status, mut events) = client.events_with_status();
    assert!(matches!(status, Status::Connected { .. }));
    let mut sub = client.subscribe("after.restart").await?;

    let server = tokio::task::spawn_blocking(move || -> Result<Server> {
        server.restart()?;
        Ok(server)
    })
    .await??;

    let deadline = Instant::now() + Duration::from_secs(10);
    let mut saw_disconnect = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Ok(ConnectionEvent::Disconnected { .. })) => saw_disconnect = true,
            Ok(Ok(ConnectionEvent::Connected { url, .. })) => {
                assert_eq!(url, server.client_url());
                break;
            }
            Ok(Ok(ConnectionEvent::Closed)) => bail!("closed"),
            Ok(Err(e)) => bail!("events: {e}"),
            Err(_) => bail!("no reconnect within 10 s"),
        }
    }
    assert!(saw_disconnect);
    // While disconnected publishes were refused; now the replayed SUB works.
    client
        .request("sync.point", Bytes::new(), Duration::from_secs(2))
        .await
        .ok();
    client
        .publish("after.restart", None, None, Bytes::from_static(b"back"))
        .await?;
    let m = next_msg(&mut sub).await?;
    assert_eq!(&m.payload[..], b"back");
    client.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frozen_upstream_is_left_for_the_next_url_within_4s() -> Result<()> {
    let a = Server::start(ServerSpec::default())?;
    let b = Server::start(ServerSpec::default())?;
    let client = UpstreamClient::connect(fast_config(vec![a.client_url(), b.client_url()]))?;
    let url = client
        .wait_connected(Duration::from_secs(5))
        .await
        .context("not connected")?;
    assert_eq!(url, a.client_url());
    let mut sub = client.subscribe("live.>").await?;
    client
        .request("sync.point", Bytes::new(), Duration::from_secs(2))
        .await
        .ok();

    a.signal(libc::SIGSTOP);
    let frozen_at = Instant::now();
    let mut status = client.status_watch();
    let switched = tokio::time::timeout(Duration::from_secs(6), async {
        loop {
            if let Status::Connected { url, .. } = &*status.borrow_and_update() {
                if *url == b.client_url() {
                    return true;
                }
            }
            if status.changed().await.is_err() {
                return false;
            }
        }
    })
    .await
    .unwrap_or(false);
    let took = frozen_at.elapsed();
    eprintln!("liveness: switched from the frozen node to the next URL in {took:?}");
    let result = (|| -> Result<()> {
        if !switched {
            bail!("still not on the second server after {took:?}");
        }
        if took > Duration::from_secs(4) {
            bail!("switch took {took:?} (> 4 s)");
        }
        Ok(())
    })();
    if result.is_ok() {
        client
            .request("sync.point", Bytes::new(), Duration::from_secs(2))
            .await
            .ok();
        client
            .publish("live.on.b", None, None, Bytes::from_static(b"hello b"))
            .await?;
        let m = next_msg(&mut sub).await?;
        assert_eq!(&m.subject[..], b"live.on.b");
    }
    a.signal(libc::SIGCONT);
    client.close().await;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn learns_connect_urls_and_leaves_a_frozen_node_for_a_learned_one() -> Result<()> {
    let (ra, rb) = (
        jetmirror_testkit::free_port()?,
        jetmirror_testkit::free_port()?,
    );
    let cluster = |me: u16, other: u16, name: &str| {
        ServerSpec {
        config: format!(
            "server_name: {name}\ncluster {{\n  name: c1\n  listen: 127.0.0.1:{me}\n  routes: [\"nats-route://127.0.0.1:{other}\"]\n}}\n"
        ),
        ..ServerSpec::default()
    }
    };
    let a = Server::start(cluster(ra, rb, "a"))?;
    let b = Server::start(cluster(rb, ra, "b"))?;
    // Only A is configured; B must come from INFO connect_urls.
    let client = UpstreamClient::connect(fast_config(vec![a.client_url()]))?;
    client
        .wait_connected(Duration::from_secs(5))
        .await
        .context("not connected")?;
    let b_authority = format!("127.0.0.1:{}", b.port());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !client.servers().contains(&b_authority) {
        if Instant::now() > deadline {
            bail!("B never announced; servers {:?}", client.servers());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut sub = client.subscribe("learned.>").await?;
    client
        .request("sync.point", Bytes::new(), Duration::from_secs(2))
        .await
        .ok();

    a.signal(libc::SIGSTOP);
    let frozen_at = Instant::now();
    let mut status = client.status_watch();
    let switched = tokio::time::timeout(Duration::from_secs(6), async {
        loop {
            if let Status::Connected { url, .. } = &*status.borrow_and_update() {
                if *url == b.client_url() {
                    return true;
                }
            }
            if status.changed().await.is_err() {
                return false;
            }
        }
    })
    .await
    .unwrap_or(false);
    let took = frozen_at.elapsed();
    eprintln!("liveness (learned url): switched in {took:?}");
    let result = (|| -> Result<()> {
        if !switched || took > Duration::from_secs(4) {
            bail!("switched={switched} after {took:?}");
        }
        Ok(())
    })();
    if result.is_ok() {
        client
            .request("sync.point", Bytes::new(), Duration::from_secs(2))
            .await
            .ok();
        client
            .publish("learned.b", None, None, Bytes::from_static(b"x"))
            .await?;
        let m = next_msg(&mut sub).await?;
        assert_eq!(&m.subject[..], b"learned.b");
    }
    a.signal(libc::SIGCONT);
    client.close().await;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_credentials_from_config_and_url() -> Result<()> {
    let server = Server::start(ServerSpec {
        config: "authorization {\n  user: mirror\n  password: s3cret\n}\n".into(),
        ..ServerSpec::default()
    })?;
    let good = UpstreamClient::connect(UpstreamConfig {
        user: Some("mirror".into()),
        password: Some("s3cret".into()),
        ..fast_config(vec![server.client_url()])
    })?;
    good.wait_connected(Duration::from_secs(5))
        .await
        .context("config credentials")?;
    let in_url = format!("nats://mirror:s3cret@127.0.0.1:{}", server.port());
    let url_creds = UpstreamClient::connect(fast_config(vec![in_url]))?;
    url_creds
        .wait_connected(Duration::from_secs(5))
        .await
        .context("url credentials")?;
    let bad = UpstreamClient::connect(UpstreamConfig {
        user: Some("mirror".into()),
        password: Some("wrong".into()),
        ..fast_config(vec![server.client_url()])
    })?;
    assert_eq!(bad.wait_connected(Duration::from_millis(800)).await, None);
    assert_eq!(bad.status(), Status::Disconnected);
    for c in [good, url_creds, bad] {
        c.close().await;
    }
    Ok(())
}
