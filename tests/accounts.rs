//! Accounts: isolation of subject spaces, service and stream imports across accounts,
//! JetStream per account (streams, the not-enabled error, limits and their error codes),
//! nkey users, and `/accountz` / `/connz` account fields. Each scenario runs against
//! nats-server 2.15.1 and jetmirror with the same configuration, and the observations must
//! agree.

use std::time::Duration;

use async_nats::jetstream;
use futures::StreamExt;
use jetmirror_testkit::{http_get, Kind, Server, ServerSpec};
use serde_json::Value;

/// A exports a service and (to B only) a stream; B imports both and has tight JetStream
/// limits; C has no JetStream; `$G` keeps the anonymous-free top-level user `g`.
const ACCOUNTS: &str = r#"
accounts {
  A {
    users: [ { user: a, password: a } ]
    jetstream: enabled
    exports: [ { service: "svc.>" }, { stream: "ev.>", accounts: [B] } ]
  }
  B {
    users: [ { user: b, password: b } ]
    jetstream { max_streams: 2, max_consumers: 2, max_file: 1MB, max_mem: 1024 }
    imports: [
      { service: { account: A, subject: "svc.>" }, to: "a.svc.>" }
      { stream: { account: A, subject: "ev.>" }, prefix: "fromA" }
    ]
  }
  C { users: [ { user: c, password: c } ] }
}
"#;

fn start(kind: Kind, config: &str, js: bool) -> Server {
    let mut spec = ServerSpec::new(kind);
    spec.config = config.to_string();
    spec.jetstream = js;
    spec.http = true;
    match Server::start(spec) {
        Ok(s) => s,
        Err(e) => panic!("cannot start {kind:?}: {e:#}"),
    }
}

async fn user(server: &Server, name: &str) -> async_nats::Client {
    async_nats::ConnectOptions::with_user_and_password(name.into(), name.into())
        .connect(server.client_url())
        .await
        .unwrap_or_else(|e| panic!("connect as {name}: {e}"))
}

/// Waits until the server has processed everything `c` sent so far (async-nats' `flush`
/// only empties the client's buffer): a message to a private subject makes the round trip.
async fn settle(c: &async_nats::Client) {
    let subject = c.new_inbox();
    let mut sub = c.subscribe(subject.clone()).await.expect("sub");
    c.publish(subject, "".into()).await.expect("pub");
    let _ = tokio::time::timeout(Duration::from_secs(3), sub.next()).await;
}

/// Whether `sub` receives anything but `settle`'s inbox messages within a short while.
async fn hears_anything(sub: &mut async_nats::Subscriber) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(300);
    while let Ok(Some(m)) = tokio::time::timeout_at(deadline, sub.next()).await {
        if !m.subject.starts_with("_INBOX.") {
            return true;
        }
    }
    false
}

/// A request whose answer is shown as text (or the error kind).
async fn ask(c: &async_nats::Client, subject: &str, body: &str) -> String {
    let req = c.request(subject.to_string(), body.to_string().into());
    match tokio::time::timeout(Duration::from_secs(3), req).await {
        Ok(Ok(m)) => String::from_utf8_lossy(&m.payload).into_owned(),
        Ok(Err(e)) => format!("error: {:?}", e.kind()),
        Err(_) => "timeout".to_string(),
    }
}

/// Runs `scenario` on both servers and asserts the same observations; returns them.
async fn both<F, Fut>(config: &str, js: bool, scenario: F) -> Vec<String>
where
    F: Fn(Server) -> Fut,
    Fut: std::future::Future<Output = Vec<String>>,
{
    let reference = scenario(start(Kind::NatsServer, config, js)).await;
    let ours = scenario(start(Kind::Jetmirror, config, js)).await;
    assert_eq!(ours, reference, "jetmirror differs from nats-server");
    ours
}

#[tokio::test]
async fn accounts_do_not_see_each_other() {
    let seen = both(ACCOUNTS, false, |server| async move {
        let (a, b, c) = (
            user(&server, "a").await,
            user(&server, "b").await,
            user(&server, "c").await,
        );
        let mut sa = a.subscribe("x").await.expect("sub");
        let mut sb = b.subscribe("x").await.expect("sub");
        let mut sc = c.subscribe(">").await.expect("sub");
        for cl in [&a, &b, &c] {
            settle(cl).await;
        }
        a.publish("x", "from a".into()).await.expect("pub");
        a.flush().await.expect("flush");
        let mut out = Vec::new();
        let got = tokio::time::timeout(Duration::from_secs(2), sa.next()).await;
        out.push(format!("a got {:?}", got.ok().flatten().map(|m| m.payload)));
        out.push(format!("b got anything: {}", hears_anything(&mut sb).await));
        out.push(format!("c got anything: {}", hears_anything(&mut sc).await));
        out
    })
    .await;
    assert_eq!(seen[0], "a got Some(b\"from a\")");
    assert_eq!(
        &seen[1..],
        ["b got anything: false", "c got anything: false"]
    );
}

#[tokio::test]
async fn service_import_request_reply_across_accounts() {
    let seen = both(ACCOUNTS, false, |server| async move {
        let a = user(&server, "a").await;
        let b = user(&server, "b").await;
        let mut out = Vec::new();
        // No responder in A yet: the importer's request finds none.
        out.push(ask(&b, "a.svc.echo", "early").await);
        let mut svc = a.subscribe("svc.>").await.expect("sub");
        settle(&a).await;
        let responder = a.clone();
        let task = tokio::spawn(async move {
            let mut seen = Vec::new();
            while let Some(m) = svc.next().await {
                let reply = m.reply.clone().map(|r| r.to_string()).unwrap_or_default();
                seen.push(format!(
                    "responder saw {} reply _R_: {}",
                    m.subject,
                    reply.starts_with("_R_.")
                ));
                let body = format!("{}:{}", m.subject, String::from_utf8_lossy(&m.payload));
                if let Some(r) = m.reply {
                    responder.publish(r, body.into()).await.expect("reply");
                    responder.flush().await.expect("flush");
                }
                if seen.len() == 2 {
                    break;
                }
            }
            seen
        });
        out.push(ask(&b, "a.svc.echo", "hi").await);
        out.push(ask(&b, "a.svc.deep.path", "there").await);
        out.extend(task.await.expect("responder"));
        // The mapped subject does not exist inside A's own space for B's clients, and B's
        // local subject does not reach A.
        out.push(ask(&b, "svc.echo", "direct").await);
        out
    })
    .await;
    assert_eq!(seen[0], "error: NoResponders");
    assert_eq!(seen[1], "svc.echo:hi");
    assert_eq!(seen[2], "svc.deep.path:there");
    assert_eq!(seen[3], "responder saw svc.echo reply _R_: true");
    assert_eq!(seen[5], "error: NoResponders");
}

#[tokio::test]
async fn stream_import_with_prefix() {
    let seen = both(ACCOUNTS, false, |server| async move {
        let a = user(&server, "a").await;
        let b = user(&server, "b").await;
        let c = user(&server, "c").await;
        let mut sb = b.subscribe("fromA.>").await.expect("sub");
        let mut plain = b.subscribe("ev.>").await.expect("sub");
        let mut sc = c.subscribe(">").await.expect("sub");
        settle(&b).await;
        settle(&c).await;
        for i in 1..=2 {
            a.publish(format!("ev.{i}"), format!("e{i}").into())
                .await
                .expect("pub");
        }
        a.publish("other", "no".into()).await.expect("pub");
        a.flush().await.expect("flush");
        let mut out = Vec::new();
        for _ in 0..2 {
            match tokio::time::timeout(Duration::from_secs(2), sb.next()).await {
                Ok(Some(m)) => out.push(format!(
                    "{} {}",
                    m.subject,
                    String::from_utf8_lossy(&m.payload)
                )),
                _ => out.push("missing".into()),
            }
        }
        let more = tokio::time::timeout(Duration::from_millis(300), sb.next()).await;
        out.push(format!("more: {}", more.is_ok()));
        let unprefixed = tokio::time::timeout(Duration::from_millis(100), plain.next()).await;
        out.push(format!("unprefixed: {}", unprefixed.is_ok()));
        out.push(format!("c: {}", hears_anything(&mut sc).await));
        out
    })
    .await;
    assert_eq!(
        seen,
        [
            "fromA.ev.1 e1",
            "fromA.ev.2 e2",
            "more: false",
            "unprefixed: false",
            "c: false"
        ]
    );
}

#[tokio::test]
async fn streams_live_per_account() {
    let seen = both(ACCOUNTS, true, |server| async move {
        let a = user(&server, "a").await;
        let b = user(&server, "b").await;
        let mut out = Vec::new();
        for (client, n) in [(&a, 3), (&b, 1)] {
            let js = jetstream::new(client.clone());
            js.create_stream(jetstream::stream::Config {
                name: "S".into(),
                subjects: vec!["s.>".into()],
                ..Default::default()
            })
            .await
            .expect("create stream");
            for i in 0..n {
                js.publish("s.x", format!("m{i}").into())
                    .await
                    .expect("publish")
                    .await
                    .expect("ack");
            }
        }
        for client in [&a, &b] {
            let js = jetstream::new(client.clone());
            let mut s = js.get_stream("S").await.expect("stream");
            let info = s.info().await.expect("info");
            out.push(format!("messages {}", info.state.messages));
        }
        for acc in ["A", "B"] {
            let dir = server
                .store_dir()
                .join("jetstream")
                .join(acc)
                .join("streams")
                .join("S");
            out.push(format!("{acc} store dir exists: {}", dir.is_dir()));
        }
        out
    })
    .await;
    assert_eq!(
        seen,
        [
            "messages 3",
            "messages 1",
            "A store dir exists: true",
            "B store dir exists: true"
        ]
    );
}

#[tokio::test]
async fn account_without_jetstream_gets_10039() {
    let seen = both(ACCOUNTS, true, |server| async move {
        let c = user(&server, "c").await;
        let mut out = Vec::new();
        for (subject, body) in [
            ("$JS.API.INFO", ""),
            ("$JS.API.STREAM.NAMES", ""),
            ("$JS.API.STREAM.LIST", ""),
            ("$JS.API.STREAM.CREATE.X", r#"{"name":"X"}"#),
            ("$JS.API.STREAM.INFO.X", ""),
            ("$JS.API.STREAM.PURGE.X", ""),
            ("$JS.API.CONSUMER.NAMES.X", ""),
            ("$JS.API.DIRECT.GET.X", r#"{"seq":1}"#),
        ] {
            out.push(ask(&c, subject, body).await);
        }
        out
    })
    .await;
    assert!(seen[0].contains(r#""err_code":10039"#), "{}", seen[0]);
    assert!(seen[0].contains("JetStream not enabled for account"));
    assert_eq!(seen[7], "error: NoResponders");
}

#[tokio::test]
async fn account_limits_with_nats_server_errors() {
    let seen = both(ACCOUNTS, true, |server| async move {
        let b = user(&server, "b").await;
        let mut out = Vec::new();
        out.push(ask(&b, "$JS.API.INFO", "").await);
        let create = |name: &str, extra: &str| {
            format!(r#"{{"name":"{name}","subjects":["{}.>"]{extra}}}"#, name.to_lowercase())
        };
        // max_mem 1024: a memory stream reserving 2048 bytes does not fit.
        out.push(
            ask(
                &b,
                "$JS.API.STREAM.CREATE.M",
                &create("M", r#","storage":"memory","max_bytes":2048"#),
            )
            .await,
        );
        // max_file 1MB: a file stream reserving 2MB does not fit.
        out.push(
            ask(
                &b,
                "$JS.API.STREAM.CREATE.BIG",
                &create("BIG", r#","max_bytes":2097152"#),
            )
            .await,
        );
        // Stream-level max_consumers above the account's.
        out.push(
            ask(
                &b,
                "$JS.API.STREAM.CREATE.MC",
                &create("MC", r#","max_consumers":5"#),
            )
            .await,
        );
        for name in ["S0", "S1", "S2"] {
            let r = ask(&b, &format!("$JS.API.STREAM.CREATE.{name}"), &create(name, "")).await;
            out.push(if r.contains("\"error\"") {
                r
            } else {
                format!("{name} created")
            });
        }
        for i in 0..3 {
            let body = format!(
                r#"{{"stream_name":"S0","config":{{"durable_name":"C{i}","ack_policy":"explicit"}}}}"#
            );
            let r = ask(&b, &format!("$JS.API.CONSUMER.CREATE.S0.C{i}"), &body).await;
            out.push(if r.contains("\"error\"") {
                r
            } else {
                format!("C{i} created")
            });
        }
        // max_file 1MB: the eleventh 100 kB message does not fit.
        let payload = "x".repeat(100_000);
        for _ in 0..11 {
            out.push(ask(&b, "s0.x", &payload).await);
        }
        let info = ask(&b, "$JS.API.INFO", "").await;
        let mut v: Value = serde_json::from_str(&info).expect("INFO json");
        v["api"] = Value::Null;
        out.push(v.to_string());
        out
    })
    .await;
    assert!(
        seen[0].contains(
            r#""limits":{"max_memory":1024,"max_storage":1048576,"max_streams":2,"max_consumers":2"#
        ),
        "{}",
        seen[0]
    );
    assert!(seen[1].contains(r#""err_code":10028"#), "{}", seen[1]);
    assert!(seen[2].contains(r#""err_code":10047"#), "{}", seen[2]);
    assert!(seen[3].contains(r#""err_code":10026"#), "{}", seen[3]);
    assert!(seen[6].contains(r#""err_code":10027"#), "{}", seen[6]);
    assert!(seen[9].contains(r#""err_code":10026"#), "{}", seen[9]);
    assert!(seen[19].contains(r#""seq":10"#), "{}", seen[19]);
    assert!(seen[20].contains(r#""err_code":10002"#), "{}", seen[20]);
}

#[tokio::test]
async fn nkey_users_sign_the_nonce() {
    let user_key = nkeys::KeyPair::new_user();
    let global_key = nkeys::KeyPair::new_user();
    let config = format!(
        r#"
authorization {{ users: [ {{ nkey: "{}" }} ] }}
accounts {{ N {{ users: [ {{ nkey: "{}" }}, {{ user: n, password: n }} ] }} }}
"#,
        global_key.public_key(),
        user_key.public_key()
    );
    let seed = user_key.seed().expect("seed");
    let global_seed = global_key.seed().expect("seed");
    let seen = both(&config, false, |server| {
        let (seed, global_seed) = (seed.clone(), global_seed.clone());
        async move {
            let mut out = Vec::new();
            // INFO carries a nonce when nkey users exist.
            let info = raw_info(server.port()).await;
            let nonce = info["nonce"].as_str().unwrap_or_default().to_string();
            out.push(format!("nonce length {}", nonce.len()));
            let nk = async_nats::ConnectOptions::with_nkey(seed.clone())
                .connect(server.client_url())
                .await
                .expect("nkey user connects");
            let g = async_nats::ConnectOptions::with_nkey(global_seed.clone())
                .connect(server.client_url())
                .await
                .expect("top-level nkey user connects");
            let n = user(&server, "n").await;
            // The nkey user lives in N with `n`, not in $G with the top-level nkey user.
            let mut in_n = n.subscribe("t").await.expect("sub");
            let mut in_g = g.subscribe("t").await.expect("sub");
            settle(&n).await;
            settle(&g).await;
            nk.publish("t", "hello".into()).await.expect("pub");
            nk.flush().await.expect("flush");
            let got = tokio::time::timeout(Duration::from_secs(2), in_n.next()).await;
            out.push(format!("N got {:?}", got.ok().flatten().map(|m| m.payload)));
            let leak = tokio::time::timeout(Duration::from_millis(300), in_g.next()).await;
            out.push(format!("$G got anything: {}", leak.is_ok()));
            // A seed nobody configured is refused.
            let stranger = nkeys::KeyPair::new_user().seed().expect("seed");
            let refused = async_nats::ConnectOptions::with_nkey(stranger)
                .connect(server.client_url())
                .await;
            out.push(format!("stranger refused: {}", refused.is_err()));
            // A configured key with a bad signature gets nats-server's -ERR.
            out.push(bad_signature(server.port(), &user_key_public(&seed)).await);
            out
        }
    })
    .await;
    assert_eq!(
        seen,
        [
            "nonce length 15",
            "N got Some(b\"hello\")",
            "$G got anything: false",
            "stranger refused: true",
            "-ERR 'Authorization Violation'"
        ]
    );
}

fn user_key_public(seed: &str) -> String {
    nkeys::KeyPair::from_seed(seed)
        .map(|k| k.public_key())
        .unwrap_or_default()
}

/// The first INFO line of a raw connection, as JSON.
async fn raw_info(port: u16) -> Value {
    use tokio::io::AsyncBufReadExt;
    let sock = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let mut lines = tokio::io::BufReader::new(sock).lines();
    let line = lines.next_line().await.expect("read").unwrap_or_default();
    serde_json::from_str(line.trim_start_matches("INFO ")).expect("INFO json")
}

/// CONNECT as `nkey` with a signature of something other than the nonce; the first line
/// after INFO.
async fn bad_signature(port: u16, nkey: &str) -> String {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let sock = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let (r, mut w) = sock.into_split();
    let mut lines = tokio::io::BufReader::new(r).lines();
    let _info = lines.next_line().await.expect("read");
    let other = nkeys::KeyPair::new_user();
    let sig = other.sign(b"not the nonce").unwrap_or_default();
    let sig = sig.iter().fold(String::new(), |mut s, b| {
        s.push_str(&format!("{b:02x}"));
        s
    });
    let connect =
        format!("CONNECT {{\"verbose\":false,\"nkey\":\"{nkey}\",\"sig\":\"{sig}\"}}\r\nPING\r\n");
    w.write_all(connect.as_bytes()).await.expect("write");
    match tokio::time::timeout(Duration::from_secs(3), lines.next_line()).await {
        Ok(Ok(Some(l))) => l,
        other => format!("{other:?}"),
    }
}

fn get(server: &Server, path: &str) -> (String, Option<Value>) {
    let port = server.http_port().expect("http port");
    match http_get(port, path) {
        Ok(body) => {
            let v = serde_json::from_str(&body).ok();
            (body, v)
        }
        Err(e) => (format!("{e:#}"), None),
    }
}

/// The shape of a JSON value: object keys in order with their shapes, array element shapes,
/// JSON types of leaves.
fn shape(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(_) => "bool".into(),
        Value::Number(_) => "number".into(),
        Value::String(_) => "string".into(),
        Value::Array(a) => format!("[{}]", a.first().map(shape).unwrap_or_default()),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{k}:{}", shape(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

#[tokio::test]
async fn accountz_like_nats_server() {
    let reference = start(Kind::NatsServer, ACCOUNTS, true);
    let ours = start(Kind::Jetmirror, ACCOUNTS, true);
    // Open a connection in B on both so the counts have something to show.
    let _rb = user(&reference, "b").await;
    let _ob = user(&ours, "b").await;

    let (_, r) = get(&reference, "/accountz");
    let (_, o) = get(&ours, "/accountz");
    let (r, o) = (r.expect("reference json"), o.expect("our json"));
    assert_eq!(shape(&o), shape(&r));
    let names = |v: &Value| {
        let mut n: Vec<String> = v["accounts"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        n.sort();
        n
    };
    assert_eq!(names(&o), names(&r));
    assert_eq!(o["system_account"], r["system_account"]);
    let varz = |s: &Server| get(s, "/varz").1.expect("varz json")["system_account"].clone();
    assert_eq!(varz(&ours), varz(&reference));
    assert_eq!(varz(&ours), "$SYS");

    for acc in ["A", "B", "C", "$G"] {
        let (_, r) = get(&reference, &format!("/accountz?acc={acc}"));
        let (_, o) = get(&ours, &format!("/accountz?acc={acc}"));
        let (r, o) = (r.expect("reference json"), o.expect("our json"));
        let (rd, od) = (&r["account_detail"], &o["account_detail"]);
        let keys = |v: &Value| -> Vec<String> {
            v.as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        };
        assert_eq!(keys(od), keys(rd), "account_detail keys of {acc}");
        for k in [
            "account_name",
            "expired",
            "complete",
            "jetstream_enabled",
            "leafnode_connections",
            "client_connections",
            "exports",
            "name_tag",
        ] {
            assert_eq!(od[k], rd[k], "{acc}: {k}");
        }
        assert_eq!(shape(&od["sublist_stats"]), shape(&rd["sublist_stats"]));
        // nats-server adds its system imports; the configured ones must be equal.
        let configured = |v: &Value| -> Vec<Value> {
            let mut list: Vec<Value> = v["imports"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter(|i| i["account"] != "$SYS")
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            list.sort_by_key(|i| i.to_string());
            list
        };
        assert_eq!(configured(od), configured(rd), "{acc}: imports");
    }
    let r = raw_get(reference.http_port().expect("http"), "/accountz?acc=NOPE");
    let o = raw_get(ours.http_port().expect("http"), "/accountz?acc=NOPE");
    assert_eq!(o, r);
    assert_eq!(r.0, "400");
    assert!(r.1.contains("Account NOPE does not exist"), "{r:?}");
}

/// The status code and body of a GET on the monitoring port.
fn raw_get(port: u16, path: &str) -> (String, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
        .expect("write");
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    (status, body.trim().to_string())
}

#[tokio::test]
async fn connz_names_the_account() {
    let config = format!("{ACCOUNTS}\nauthorization {{ users: [ {{ user: g, password: g }} ] }}\n");
    let seen = both(&config, false, |server| async move {
        let _b = user(&server, "b").await;
        let _g = user(&server, "g").await;
        let mut out = Vec::new();
        for path in ["/connz?auth=true", "/connz?auth=true&acc=B"] {
            let (_, v) = get(&server, path);
            let v = v.expect("connz json");
            let mut rows = Vec::new();
            for c in v["connections"].as_array().cloned().unwrap_or_default() {
                rows.push(format!(
                    "{path}: {} account={} name_tag={}",
                    c["authorized_user"], c["account"], c["name_tag"]
                ));
            }
            rows.sort();
            out.extend(rows);
        }
        out
    })
    .await;
    assert_eq!(
        seen,
        [
            "/connz?auth=true: \"b\" account=\"B\" name_tag=\"B\"",
            "/connz?auth=true: \"g\" account=null name_tag=\"$G\"",
            "/connz?auth=true&acc=B: \"b\" account=\"B\" name_tag=\"B\""
        ]
    );
}

#[tokio::test]
async fn jsz_reports_each_jetstream_account() {
    let seen = both(ACCOUNTS, true, |server| async move {
        let b = user(&server, "b").await;
        let js = jetstream::new(b.clone());
        js.create_stream(jetstream::stream::Config {
            name: "S".into(),
            subjects: vec!["s.>".into()],
            ..Default::default()
        })
        .await
        .expect("create stream");
        js.publish("s.1", "x".into())
            .await
            .expect("publish")
            .await
            .expect("ack");
        let (_, v) = get(&server, "/jsz?accounts=true");
        let v = v.expect("jsz json");
        let mut out = vec![format!(
            "accounts {} total {} streams {} messages {}",
            v["accounts"], v["total"], v["streams"], v["messages"]
        )];
        for d in v["account_details"].as_array().cloned().unwrap_or_default() {
            out.push(format!(
                "{} storage {} reserved {} {} keys {:?}",
                d["name"],
                d["storage"],
                d["reserved_memory"],
                d["reserved_storage"],
                d.as_object()
                    .map(|m| m.keys().cloned().collect::<Vec<_>>())
                    .unwrap_or_default()
            ));
        }
        out
    })
    .await;
    assert_eq!(seen[0], "accounts 2 total 2 streams 1 messages 1");
    assert!(
        seen[2].starts_with("\"B\" storage 34 reserved 1024 1048576"),
        "{}",
        seen[2]
    );
}

#[tokio::test]
async fn no_auth_user_binds_to_its_account() {
    let config = format!("{ACCOUNTS}\nno_auth_user: a\n");
    let seen = both(&config, false, |server| async move {
        let anon = async_nats::connect(server.client_url())
            .await
            .expect("anonymous connect");
        let a = user(&server, "a").await;
        let b = user(&server, "b").await;
        let mut sub = anon.subscribe("x").await.expect("sub");
        settle(&anon).await;
        b.publish("x", "from b".into()).await.expect("pub");
        settle(&b).await;
        a.publish("x", "from a".into()).await.expect("pub");
        settle(&a).await;
        let got = tokio::time::timeout(Duration::from_secs(2), sub.next()).await;
        vec![format!("{:?}", got.ok().flatten().map(|m| m.payload))]
    })
    .await;
    assert_eq!(seen, ["Some(b\"from a\")"]);
}

#[tokio::test]
async fn reload_changes_account_users() {
    let config = r#"
accounts {
  A { users: [ { user: alice, password: one } ] }
  B { users: [ { user: b, password: b } ] }
}
"#;
    let seen = both(config, false, |server| async move {
        let connect = |user: &str, pass: &str| {
            async_nats::ConnectOptions::with_user_and_password(user.into(), pass.into())
                .connect(server.client_url())
        };
        let mut out = Vec::new();
        let old = connect("alice", "one").await.expect("alice connects");
        let mut events = Vec::new();
        let conf = server.dir().join("server.conf");
        let text = std::fs::read_to_string(&conf).expect("config");
        let text = text.replace("password: one", "password: two").replace(
            "B { users",
            "N { users: [ { user: nina, password: n } ] }\n  B { users",
        );
        std::fs::write(&conf, text).expect("write config");
        server.signal(libc::SIGHUP);
        // The old connection's credentials no longer pass: it is closed.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while tokio::time::Instant::now() < deadline {
            if old.connection_state() != async_nats::connection::State::Connected {
                events.push("old connection dropped");
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        out.extend(events.iter().map(|e| e.to_string()));
        out.push(format!(
            "old password: {}",
            connect("alice", "one").await.is_ok()
        ));
        let alice = connect("alice", "two").await.expect("new password");
        let nina = connect("nina", "n").await.expect("user of the new account");
        // alice is still in A, nina in the new account N.
        let mut sub = nina.subscribe("x").await.expect("sub");
        settle(&nina).await;
        alice.publish("x", "from A".into()).await.expect("pub");
        settle(&alice).await;
        out.push(format!("N hears A: {}", hears_anything(&mut sub).await));
        nina.publish("x", "from N".into()).await.expect("pub");
        let got = tokio::time::timeout(Duration::from_secs(2), sub.next()).await;
        out.push(format!("N hears N: {}", got.is_ok()));
        out
    })
    .await;
    assert_eq!(
        seen,
        [
            "old connection dropped",
            "old password: false",
            "N hears A: false",
            "N hears N: true"
        ]
    );
}

#[tokio::test]
async fn account_streams_survive_a_restart() {
    let seen = both(ACCOUNTS, true, |server| async move {
        let mut server = server;
        for (name, n) in [("a", 2u64), ("b", 5)] {
            let c = user(&server, name).await;
            let js = jetstream::new(c);
            js.create_stream(jetstream::stream::Config {
                name: "KEEP".into(),
                subjects: vec!["keep".into()],
                ..Default::default()
            })
            .await
            .expect("create stream");
            for i in 0..n {
                js.publish("keep", format!("{name}{i}").into())
                    .await
                    .expect("publish")
                    .await
                    .expect("ack");
            }
        }
        server.restart().expect("restart");
        let mut out = Vec::new();
        for name in ["a", "b", "c"] {
            let c = user(&server, name).await;
            let r = ask(&c, "$JS.API.STREAM.INFO.KEEP", "").await;
            let v: Value = serde_json::from_str(&r).unwrap_or(Value::Null);
            out.push(format!(
                "{name}: messages {} error {}",
                v["state"]["messages"], v["error"]["err_code"]
            ));
        }
        out
    })
    .await;
    assert_eq!(
        seen,
        [
            "a: messages 2 error null",
            "b: messages 5 error null",
            "c: messages null error 10039"
        ]
    );
}

#[test]
fn unauthorized_imports_stop_the_start_like_nats_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("bad.conf");
    std::fs::write(
        &conf,
        r#"listen: 127.0.0.1:-1
accounts {
  A { users: [ { user: a, password: a } ], exports: [ { service: "svc.>" }, { stream: "ev.>", accounts: [B] } ] }
  B { users: [ { user: b, password: b } ] }
  C { users: [ { user: c, password: c } ], imports: [ { service: { account: A, subject: "nope" } }, { stream: { account: A, subject: "ev.>" } }, { service: { account: Z, subject: "svc.x" } } ] }
}
"#,
    )
    .expect("write config");
    let run = |bin: std::path::PathBuf| {
        let out = std::process::Command::new(bin)
            .arg("-c")
            .arg("bad.conf")
            .current_dir(dir.path())
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        // Everything after the program name.
        let text = err
            .split_once(": ")
            .map(|(_, t)| t.to_string())
            .unwrap_or(err);
        (out.status.code(), text.trim().to_string())
    };
    let reference = run(jetmirror_testkit::nats_server_bin());
    let ours = run(jetmirror_testkit::jetmirror_bin());
    assert_eq!(ours, reference);
    assert_eq!(ours.0, Some(1));
    assert!(
        ours.1.contains("stream import not authorized"),
        "{}",
        ours.1
    );
}

#[tokio::test]
async fn subscription_details_name_the_account() {
    let seen = both(ACCOUNTS, false, |server| async move {
        let b = user(&server, "b").await;
        let _sub = b.subscribe("watch.me").await.expect("sub");
        let _q = b
            .queue_subscribe("watch.q", "workers".into())
            .await
            .expect("queue sub");
        settle(&b).await;
        let mut out = Vec::new();
        let (_, subsz) = get(&server, "/subsz?subs=true&test=watch.me");
        let subsz = subsz.expect("subsz json");
        for s in subsz["subscriptions_list"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let mut s = s;
            s["cid"] = Value::Null;
            out.push(format!("subsz {s}"));
        }
        let (_, connz) = get(&server, "/connz?subs=detail");
        let connz = connz.expect("connz json");
        for c in connz["connections"].as_array().cloned().unwrap_or_default() {
            for s in c["subscriptions_list_detail"]
                .as_array()
                .cloned()
                .unwrap_or_default()
            {
                if s["subject"]
                    .as_str()
                    .is_some_and(|x| x.starts_with("watch"))
                {
                    let mut s = s;
                    s["cid"] = Value::Null;
                    out.push(format!("connz {s}"));
                }
            }
        }
        out.sort();
        out
    })
    .await;
    assert!(
        seen.iter()
            .any(|s| s.contains(r#""account":"B","account_tag":"B","subject":"watch.me""#)),
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|s| s.contains(r#""qgroup":"workers""#)),
        "{seen:?}"
    );
}
