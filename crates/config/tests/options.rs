//! Typed options (spec Part B): defaults, each option's good and bad values
//! with the `file:line:col` of the error, and a realistic full config.

use std::path::PathBuf;
use std::time::Duration;

use jetmirror_config::{parse_str, ConfigError, ExportKind, HandshakeFirst, Options, SyncInterval};

fn opts(text: &str) -> Options {
    let map = parse_str(text, "o.conf").unwrap_or_else(|e| panic!("parse: {e}"));
    Options::from_map(&map).unwrap_or_else(|e| panic!("options: {e}\n{text}"))
}

fn opts_err(text: &str) -> String {
    let map = parse_str(text, "o.conf").unwrap_or_else(|e| panic!("parse: {e}"));
    match Options::from_map(&map) {
        Ok(o) => panic!("expected an error for {text:?}, got {o:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn defaults_match_nats_server() {
    let o = Options::default();
    assert_eq!(o.host, "0.0.0.0");
    assert_eq!(o.port, 4222);
    assert_eq!(o.http_port, None);
    assert_eq!(o.max_payload, 1_048_576);
    assert_eq!(o.max_pending, 67_108_864);
    assert_eq!(o.max_control_line, 4096);
    assert_eq!(o.max_connections, 65_536);
    assert_eq!(o.max_subscriptions, 0);
    assert_eq!(o.ping_interval, Duration::from_secs(120));
    assert_eq!(o.ping_max, 2);
    assert_eq!(o.write_deadline, Duration::from_secs(10));
    assert_eq!(o.lame_duck_duration, Duration::from_secs(120));
    assert_eq!(o.lame_duck_grace_period, Duration::from_secs(10));
    assert!(o.jetstream.is_none());
    assert!(o.logtime);
}

#[test]
fn listeners() {
    let o = opts("listen: 127.0.0.1:4333\nhttp: 127.0.0.1:8222\nserver_name: n1\n");
    assert_eq!((o.host.as_str(), o.port), ("127.0.0.1", 4333));
    assert_eq!(
        (o.http_host.as_str(), o.http_port),
        ("127.0.0.1", Some(8222))
    );
    assert_eq!(o.server_name.as_deref(), Some("n1"));
    let o = opts("listen: 4444\nhttp_port 8223\n");
    assert_eq!(
        (o.host.as_str(), o.port, o.http_port),
        ("0.0.0.0", 4444, Some(8223))
    );
    let o = opts("net: 10.0.0.1\nport: -1\nmonitor_port: -1\n");
    assert_eq!(
        (o.host.as_str(), o.port, o.http_port),
        ("10.0.0.1", -1, Some(-1))
    );
    assert_eq!(
        opts_err("listen: \"nope\""),
        "o.conf:1:0: could not parse address string \"nope\""
    );
    assert_eq!(
        opts_err("server_name: \"a b\""),
        "o.conf:1:0: server name cannot contain spaces"
    );
    assert_eq!(
        opts_err("port: 1\nport2: 3\n"),
        "o.conf:2:1: unknown field \"port2\""
    );
    assert_eq!(
        opts_err("\nport: \"x\"\n"),
        "o.conf:2:1: interface conversion: interface {} is string, not int64"
    );
}

#[test]
fn limits() {
    let o = opts("max_payload: 2MB\nmax_pending: 100MB\nmax_control_line: 8KB\nmax_connections: 1k\nmax_subs: 10\n");
    assert_eq!(o.max_payload, 2 * 1024 * 1024);
    assert_eq!(o.max_pending, 100 * 1024 * 1024);
    assert_eq!(o.max_control_line, 8192);
    assert_eq!(o.max_connections, 1000);
    assert_eq!(o.max_subscriptions, 10);
    assert_eq!(opts("max_connections: 0").max_connections, -1);
    assert_eq!(opts("max_conn: 5").max_connections, 5);
    assert_eq!(
        opts_err("max_payload: 4GB"),
        "o.conf:1:0: max_payload value is too big"
    );
    assert_eq!(
        opts_err("\n\n  max_payload: true"),
        "o.conf:3:3: interface conversion: interface {} is bool, not int64"
    );
}

#[test]
fn durations() {
    let o = opts("ping_interval: \"30s\"\nwrite_deadline: \"1m30s\"\nping_max: 5\nlame_duck_duration: \"45s\"\nlame_duck_grace_period: \"1s\"\n");
    assert_eq!(o.ping_interval, Duration::from_secs(30));
    assert_eq!(o.write_deadline, Duration::from_secs(90));
    assert_eq!(o.ping_max, 5);
    assert_eq!(o.lame_duck_duration, Duration::from_secs(45));
    assert_eq!(o.lame_duck_grace_period, Duration::from_secs(1));
    assert!(o.warnings.is_empty());
    // Unquoted 2m is the integer 2,000,000: seconds, with nats-server's warning.
    let o = opts("\nping_interval: 2m\n");
    assert_eq!(o.ping_interval, Duration::from_secs(2_000_000));
    assert_eq!(
        o.warnings,
        vec!["o.conf:2:1: invalid use of field \"ping_interval\": ping_interval should be converted to a duration".to_string()]
    );
    assert_eq!(
        opts_err("ping_interval: \"2x\""),
        "o.conf:1:0: error parsing ping_interval: time: unknown unit \"x\" in duration \"2x\""
    );
    assert_eq!(
        opts_err("lame_duck_duration: \"10s\""),
        "o.conf:1:0: invalid lame_duck_duration of 10s, minimum is 30 seconds"
    );
}

#[test]
fn logging() {
    let o = opts("debug: true\ntrace: true\nlogfile: /var/log/n.log\npid_file: /run/n.pid\nports_file_dir: /tmp\nlogtime: false\n");
    assert!(o.debug && o.trace && !o.logtime);
    assert_eq!(o.logfile, Some(PathBuf::from("/var/log/n.log")));
    assert_eq!(o.pid_file, Some(PathBuf::from("/run/n.pid")));
    assert_eq!(o.ports_file_dir, Some(PathBuf::from("/tmp")));
    assert!(opts("trace_verbose: true").trace);
    assert_eq!(
        opts_err("debug: 1"),
        "o.conf:1:0: interface conversion: interface {} is int64, not bool"
    );
}

#[test]
fn jetstream_forms() {
    assert!(opts("jetstream: true").jetstream.is_some());
    assert!(opts("jetstream: enabled").jetstream.is_some());
    assert!(opts("jetstream: disabled").jetstream.is_none());
    assert!(opts("jetstream: { enabled: false }").jetstream.is_none());
    let o = opts("jetstream {\n store_dir: \"/data/js\"\n max_memory_store: 1G\n max_file_store: \"2G\"\n domain: hub\n sync_interval: \"1m\"\n}\n");
    let js = o.jetstream.expect("enabled");
    assert_eq!(js.store_dir, Some(PathBuf::from("/data/js")));
    assert_eq!(js.max_memory_store, Some(1_000_000_000));
    assert_eq!(js.max_file_store, Some(2_147_483_648));
    assert_eq!(js.domain.as_deref(), Some("hub"));
    assert_eq!(
        js.sync_interval,
        Some(SyncInterval::Every(Duration::from_secs(60)))
    );
    let js = opts("jetstream { sync: always, max_mem: 512M }")
        .jetstream
        .expect("on");
    assert_eq!(js.sync_interval, Some(SyncInterval::Always));
    assert_eq!(js.max_memory_store, Some(512_000_000));
    // A top-level store_dir is used, and alone does not enable JetStream.
    assert!(opts("store_dir: /x").jetstream.is_none());
    let js = opts("store_dir: /x\njetstream: enabled\n")
        .jetstream
        .expect("on");
    assert_eq!(js.store_dir, Some(PathBuf::from("/x")));
    assert!(opts_err("store_dir: /x\njetstream { store_dir: /y }")
        .contains("Duplicate 'store_dir' configuration"));
    assert_eq!(
        opts_err("jetstream {\n  max_file_store: \"2g\"\n}"),
        "o.conf:2:3: max_file_store sizes defined as strings must end in K, M, G, T"
    );
    assert_eq!(
        opts_err("jetstream {\n  bogus: 1\n}\n"),
        "o.conf:2:3: unknown field \"bogus\""
    );
    assert!(opts_err("jetstream: maybe")
        .contains("Expected 'enabled' or 'disabled' for string value, got 'maybe'"));
}

#[test]
fn authorization_forms() {
    let o = opts("authorization { user: admin, password: s3cret, timeout: 2 }");
    assert_eq!(o.auth.user.as_deref(), Some("admin"));
    assert_eq!(o.auth.password.as_deref(), Some("s3cret"));
    assert_eq!(o.auth.timeout, Some(Duration::from_secs(2)));
    let o = opts("authorization { token: \"t0k3n\", timeout: \"1.5s\" }");
    assert_eq!(o.auth.token.as_deref(), Some("t0k3n"));
    assert_eq!(o.auth.timeout, Some(Duration::from_millis(1500)));
    let o = opts(
        r#"authorization {
  users = [
    { user: alice, password: pw }
    { user: bob, password: pw,
      permissions: {
        publish: ["orders.>", "_INBOX.>"]
        subscribe: { allow: ["orders.*"], deny: ["orders.secret"] }
        allow_responses: { max: 3, expires: "1m" }
      } }
    { nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4 }
  ]
}
no_auth_user: alice
"#,
    );
    assert_eq!(o.auth.users.len(), 2);
    assert_eq!(o.auth.nkeys.len(), 1);
    assert_eq!(o.no_auth_user.as_deref(), Some("alice"));
    let p = o.auth.users[1].permissions.clone().expect("perms");
    assert_eq!(p.publish.expect("pub").allow, vec!["orders.>", "_INBOX.>"]);
    let sub = p.subscribe.expect("sub");
    assert_eq!(
        (sub.allow, sub.deny),
        (
            vec!["orders.*".to_string()],
            vec!["orders.secret".to_string()]
        )
    );
    let r = p.allow_responses.expect("responses");
    assert_eq!((r.max, r.expires), (3, Duration::from_secs(60)));

    assert!(opts_err("authorization { user: a, password: b, token: c }")
        .contains("Cannot have a user/pass and token"));
    assert!(opts_err("authorization { user: a, users: [ {user: b} ] }")
        .contains("Can not have a single user/pass and a users array"));
    assert!(opts_err("authorization { token: a, users: [ {user: b} ] }")
        .contains("Can not have a token and a users array"));
    assert!(
        opts_err("authorization { users: [ {user: b}, {user: b} ] }")
            .contains("Duplicate user \"b\" detected")
    );
    assert!(opts_err("authorization { users: [ {password: b} ] }")
        .contains("User entry requires a user"));
    assert!(opts_err(
        "authorization { users: [ {nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4, user: x} ] }"
    )
    .contains("Nkey users do not take usernames or passwords"));
    // nats-server checks the key first: a short key, a bad checksum, an account key.
    for bad in [
        "UA",
        "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF5",
        "ADXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4",
    ] {
        assert!(
            opts_err(&format!(
                "authorization {{ users: [ {{nkey: {bad}, user: x}} ] }}"
            ))
            .contains("Not a valid public nkey for a user"),
            "{bad}"
        );
    }
    assert!(opts_err(
        "authorization { users: [ {user: a, permissions: { publish: \"foo..bar\" }} ] }"
    )
    .contains("subject \"foo..bar\" is not a valid subject"));
    assert!(
        opts_err("authorization { users: [ {user: a, permissions: { bogus: x }} ] }")
            .contains("Unknown field \"bogus\" parsing permissions")
    );
}

/// A directory with empty `c.pem` and `k.pem`, which the TLS checks open.
fn pem_dir() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = dir.path().join("c.pem");
    let k = dir.path().join("k.pem");
    std::fs::write(&c, "").expect("write");
    std::fs::write(&k, "").expect("write");
    let (c, k) = (
        c.to_string_lossy().to_string(),
        k.to_string_lossy().to_string(),
    );
    (dir, c, k)
}

#[test]
fn tls_block() {
    let (_dir, c, k) = pem_dir();
    let o = opts(&format!("tls {{\n cert_file: \"{c}\"\n key_file: \"{k}\"\n ca_file: \"./ca.pem\"\n verify: true\n timeout: 3\n handshake_first: auto\n min_version: \"1.3\"\n}}\nallow_non_tls: true\n"));
    let t = o.tls.expect("tls");
    assert_eq!(t.cert_file, Some(PathBuf::from(&c)));
    assert_eq!(t.key_file, Some(PathBuf::from(&k)));
    assert_eq!(t.ca_file, Some(PathBuf::from("./ca.pem")));
    assert!(t.verify);
    assert_eq!(t.timeout, Duration::from_secs(3));
    assert_eq!(
        t.handshake_first,
        HandshakeFirst::Fallback(Duration::from_millis(50))
    );
    assert_eq!(t.min_version.as_deref(), Some("1.3"));
    assert!(o.allow_non_tls);
    assert_eq!(
        opts("tls { timeout: 0.5 }").tls.expect("tls").timeout,
        Duration::from_millis(500)
    );
    assert_eq!(
        opts("tls { first: true }")
            .tls
            .expect("tls")
            .handshake_first,
        HandshakeFirst::On
    );
    assert_eq!(
        opts_err("tls {\n  bogus: 1\n}"),
        "o.conf:2:3: error parsing tls config, unknown field \"bogus\""
    );
}

#[test]
fn cluster_block() {
    let o = opts(
        r#"cluster {
  name: "c1"
  listen: "0.0.0.0:6222"
  routes = [
    nats://10.0.0.2:6222
    "nats-route://user:pw@10.0.0.3:6222"
  ]
  no_advertise: true
  advertise: "10.0.0.1:6222"
  authorization { user: r, password: p, timeout: 2 }
  pool_size: 3
  compression: accept
}"#,
    );
    let c = o.cluster.expect("cluster");
    assert_eq!(c.name.as_deref(), Some("c1"));
    assert_eq!((c.host.as_str(), c.port), ("0.0.0.0", 6222));
    assert_eq!(
        c.routes,
        vec!["nats://10.0.0.2:6222", "nats-route://user:pw@10.0.0.3:6222"]
    );
    assert!(c.no_advertise);
    assert_eq!(c.advertise.as_deref(), Some("10.0.0.1:6222"));
    assert_eq!(
        (c.user.as_deref(), c.password.as_deref()),
        (Some("r"), Some("p"))
    );
    assert_eq!(c.pool_size, Some(3));
    assert!(
        !o.unsupported.is_empty(),
        "compression is noted as unsupported"
    );
    assert!(opts_err("cluster { name: \"a b\" }").contains("cluster name cannot contain spaces"));
    assert_eq!(
        opts_err("cluster {\n  bogus: 1\n}"),
        "o.conf:2:3: unknown field \"bogus\""
    );
    assert!(opts_err("cluster: 5").contains("Expected map to define cluster"));
}

#[test]
fn accounts_block() {
    let o = opts(
        r#"accounts {
  ORDERS: {
    users: [ { user: o, password: p } ]
    jetstream: enabled
    exports: [ { stream: "orders.>" }, { service: "$JS.API.>" } ]
    imports: [ { stream: { account: OTHER, subject: "x.>" }, prefix: imp } ]
  }
  OTHER: { exports: [ { stream: "x.>" } ] }
  SYS: { users: [ { user: sys, password: p } ], jetstream: { max_mem: 1G, max_file: "2G", max_streams: 10 } }
}
system_account: SYS
"#,
    );
    assert_eq!(o.accounts.len(), 3);
    let orders = &o.accounts[0];
    assert_eq!(orders.name, "ORDERS");
    assert_eq!(orders.users[0].account.as_deref(), Some("ORDERS"));
    assert!(orders.jetstream.is_some());
    assert_eq!(orders.exports.len(), 2);
    assert_eq!(orders.exports[1].kind, ExportKind::Service);
    assert_eq!(orders.imports[0].account, "OTHER");
    assert_eq!(orders.imports[0].prefix.as_deref(), Some("imp"));
    assert_eq!(orders.imports[0].to, None);
    let sys_js = o.accounts[2].jetstream.clone().expect("js");
    assert_eq!(
        (sys_js.max_memory, sys_js.max_file, sys_js.max_streams),
        (1_000_000_000, 2 << 30, 10)
    );
    assert_eq!(o.system_account.as_deref(), Some("SYS"));
    assert!(opts_err("accounts { $G: {} }").contains("\"$G\" is a Reserved Account"));
}

#[test]
fn imports_are_checked_against_exports() {
    // The texts of nats-server's parseAccounts.
    let e = opts_err(
        r#"accounts {
  A: { exports: [ { service: "svc.>" }, { stream: "ev.>", accounts: [B] } ] }
  B: {}
  C: { imports: [ { service: { account: A, subject: "nope" } }, { stream: { account: A, subject: "ev.>" } } ] }
}"#,
    );
    assert!(
        e.contains("Error adding stream import \"ev.>\": stream import not authorized"),
        "{e}"
    );
    assert!(
        e.contains("Error adding service import \"nope\": service import not authorized"),
        "{e}"
    );
    let e =
        opts_err(r#"accounts { C: { imports: [ { service: { account: Z, subject: "x" } } ] } }"#);
    assert!(
        e.contains("\"Z\" account not defined for service import"),
        "{e}"
    );
    let e = opts_err(r#"accounts { A: { exports: [ { stream: "x", accounts: [Q] } ] } }"#);
    assert!(
        e.contains("\"Q\" account not defined for stream export"),
        "{e}"
    );
    let ok = opts(
        r#"accounts {
  A: { exports: [ { service: "svc.>" }, { stream: "ev.>", accounts: [B] } ] }
  B: { imports: [ { service: { account: A, subject: "svc.x" }, to: "x" }, { stream: { account: A, subject: "ev.one" } } ] }
}"#,
    );
    assert_eq!(ok.accounts[1].imports.len(), 2);
}

#[test]
fn upstream_block() {
    let u = opts("upstream { url: \"nats://hub:4222\", user: u, password: p, name: m1 }")
        .upstream
        .expect("up");
    assert_eq!(u.urls, vec!["nats://hub:4222"]);
    assert_eq!(
        (u.user.as_deref(), u.password.as_deref(), u.name.as_deref()),
        (Some("u"), Some("p"), Some("m1"))
    );
    let u = opts("upstream { urls: [nats://a:4222, nats://b:4222], token: t }")
        .upstream
        .expect("up");
    assert_eq!(u.urls, vec!["nats://a:4222", "nats://b:4222"]);
    assert_eq!(u.token.as_deref(), Some("t"));
    assert_eq!(
        opts_err("upstream {\n  url: x\n  bogus: 1\n}"),
        "o.conf:3:3: unknown field \"bogus\""
    );
    assert!(opts_err("upstream { name: x }").contains("upstream requires a url or urls"));
}

#[test]
fn upstream_tls_and_key_auth() {
    let u = opts(
        "upstream {\n  url: \"tls://hub:4222\"\n  nkey: SUAEXAMPLE\n  credentials: \"/etc/u.creds\"\n  tls { ca_file: \"./ca.pem\", insecure: true, handshake_first: true }\n}",
    )
    .upstream
    .expect("up");
    assert_eq!(u.urls, vec!["tls://hub:4222"]);
    assert_eq!(u.nkey.as_deref(), Some("SUAEXAMPLE"));
    assert_eq!(u.credentials, Some(PathBuf::from("/etc/u.creds")));
    let t = u.tls.expect("tls");
    assert_eq!(t.ca_file, Some(PathBuf::from("./ca.pem")));
    assert!(t.insecure);
    assert_eq!(t.handshake_first, HandshakeFirst::On);
    // A client certificate needs its key.
    assert!(
        opts_err("upstream { url: x, tls { cert_file: \"./c.pem\" } }")
            .contains("missing 'key_file' in TLS configuration")
    );
}

#[test]
fn variables_and_unknown_fields() {
    // A top-level key used as a variable is not an unknown field...
    let o = opts("PORTVAR = 14310\nport: $PORTVAR\n");
    assert_eq!(o.port, 14310);
    // ...but an unused one is.
    assert_eq!(
        opts_err("UNUSED = 1\n"),
        "o.conf:1:0: unknown field \"UNUSED\""
    );
    // Known nats-server keys jetmirror ignores are noted, not errors.
    let o = opts("websocket { port: 8080 }\nmqtt { port: 1883 }\n");
    assert_eq!(o.unsupported.len(), 2);
    // Several errors are all reported.
    let map = parse_str("foo: 1\nbar: 2\nport: \"x\"\n", "b.conf").expect("parse");
    let e = Options::from_map(&map).expect_err("errors");
    assert_eq!(e.errors().len(), 3);
    assert!(matches!(e, ConfigError::Multiple(_)));
    assert_eq!(
        e.to_string(),
        "b.conf:1:0: unknown field \"foo\"\nb.conf:2:1: unknown field \"bar\"\nb.conf:3:1: interface conversion: interface {} is string, not int64"
    );
}

#[test]
fn empty_config_warns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("e.conf");
    std::fs::write(&p, "# nothing\n").expect("write");
    let o = Options::from_file(&p).expect("ok");
    assert_eq!(o.warnings.len(), 1);
    assert!(o.warnings[0].ends_with("e.conf: config has no values or is empty"));
    let e = Options::from_file(&dir.path().join("missing.conf")).expect_err("missing");
    assert!(
        e.to_string().starts_with("open ")
            && e.to_string()
                .ends_with("missing.conf: no such file or directory")
    );
}

/// The spec's examples together, as a user's full nats-server config.
#[test]
fn realistic_full_config() {
    std::env::set_var("JM_ALICE_PW", "alicepw");
    let (_dir, c, k) = pem_dir();
    std::env::set_var("JM_CERT", &c);
    std::env::set_var("JM_KEY", &k);
    let text = r#"
# jetmirror node
server_name: mirror-1
listen: 127.0.0.1:4222
http: 127.0.0.1:8222
max_payload: 2MB
max_connections: 10k
ping_interval: "1m"
write_deadline: "5s"
lame_duck_duration: "30s"
debug: false
trace: false
logtime: true
pidfile: "/var/run/jetmirror.pid"
server_tags: ["az:1", "region:eu"]

authorization {
  users = [
    { user: alice, password: $JM_ALICE_PW }
    { user: bob, password: pw,
      permissions: {
        publish:   ["orders.>", "_INBOX.>"]
        subscribe: { allow: ["orders.*"], deny: ["orders.secret"] }
        allow_responses: true
      } }
  ]
  timeout: 2
}

jetstream {
  store_dir: "./data"
  max_memory_store: 1G
  max_file_store: "2G"
  domain: hub
  sync_interval: "1m"
}

upstream { url: "nats://hub.example:4222" }

cluster {
  name: "c1"
  listen: "0.0.0.0:6222"
  routes = [
    nats://10.0.0.2:6222
  ]
}

leafnodes {
  listen: "0.0.0.0:7422"
  remotes = [
    { url: "nats-leaf://hub.example:7422", account: "ORDERS", credentials: "/etc/nats/leaf.creds" }
  ]
  reconnect: "1s"
}

tls {
  cert_file: $JM_CERT
  key_file: $JM_KEY
  timeout: 2
}
"#;
    let o = opts(text);
    assert_eq!(o.server_name.as_deref(), Some("mirror-1"));
    assert_eq!(
        (o.host.as_str(), o.port, o.http_port),
        ("127.0.0.1", 4222, Some(8222))
    );
    assert_eq!(o.max_payload, 2 << 20);
    assert_eq!(o.max_connections, 10_000);
    assert_eq!(o.ping_interval, Duration::from_secs(60));
    assert_eq!(o.auth.users[0].password.as_deref(), Some("alicepw"));
    assert_eq!(o.server_tags, vec!["az:1", "region:eu"]);
    assert_eq!(
        o.jetstream.as_ref().and_then(|j| j.domain.as_deref()),
        Some("hub")
    );
    assert_eq!(
        o.upstream.as_ref().map(|u| u.urls.clone()),
        Some(vec!["nats://hub.example:4222".to_string()])
    );
    assert_eq!(o.cluster.as_ref().map(|c| c.port), Some(6222));
    assert!(o.tls.is_some());
    assert!(o.warnings.is_empty(), "{:?}", o.warnings);
    assert!(o.validate().is_ok());
    let l = o.leafnodes.expect("leafnodes");
    assert_eq!((l.port, l.remotes.len()), (7422, 1));
    assert_eq!(l.remotes[0].account.as_deref(), Some("ORDERS"));
    assert_eq!(l.reconnect, Some(Duration::from_secs(1)));
    assert!(Options {
        max_payload: 100 << 20,
        ..Options::default()
    }
    .validate()
    .is_err());
}

#[test]
fn plaintext_password_detection() {
    assert!(opts("authorization { user: a, password: pw }").has_plaintext_passwords());
    assert!(!opts(
        "authorization { user: a, password: \"$2a$11$W2zko751KUvVy59mUTWmpOdWjpEm5qhcCZRd05GjI/sSOT.xtiHyG\" }"
    )
    .has_plaintext_passwords());
    assert!(
        opts("accounts { A: { users: [ {user: a, password: b} ] } }").has_plaintext_passwords()
    );
    assert!(!opts("authorization { token: t }").has_plaintext_passwords());
}

#[test]
fn startup_validation() {
    assert!(
        opts("authorization { users: [ {user: a, password: b} ] }\nno_auth_user: a")
            .validate()
            .is_ok()
    );
    assert_eq!(
        opts("authorization { users: [ {user: a, password: b} ] }\nno_auth_user: z").validate(),
        Err("no_auth_user: \"z\" not present as user or nkey in authorization block or account configuration".to_string())
    );
    assert_eq!(
        opts("no_auth_user: z").validate(),
        Err("no_auth_user: \"z\" present, but users/nkeys are not defined".to_string())
    );
    assert_eq!(
        opts("max_payload: 2MB\nmax_pending: 1MB").validate(),
        Err("max_payload (2097152) cannot be higher than max_pending (1048576)".to_string())
    );
}

/// Spec Part Z: the smallest mirror node, verbatim.
#[test]
fn smallest_mirror_node() {
    let o = opts(
        "server_name: mirror-1\nlisten: 127.0.0.1:4222\nhttp: 127.0.0.1:8222\njetstream { store_dir: \"./data\" }\nupstream { url: \"nats://hub.example:4222\" }\n",
    );
    assert_eq!(o.server_name.as_deref(), Some("mirror-1"));
    assert_eq!((o.host.as_str(), o.port), ("127.0.0.1", 4222));
    assert_eq!(
        (o.http_host.as_str(), o.http_port),
        ("127.0.0.1", Some(8222))
    );
    assert_eq!(
        o.jetstream.and_then(|j| j.store_dir),
        Some(PathBuf::from("./data"))
    );
    assert_eq!(
        o.upstream.map(|u| u.urls),
        Some(vec!["nats://hub.example:4222".to_string()])
    );
}

#[test]
fn lame_duck_grace_period_must_be_positive() {
    assert_eq!(
        opts_err("lame_duck_grace_period: \"-1s\""),
        "o.conf:1:0: invalid lame_duck_grace_period, needs to be positive"
    );
    assert_eq!(
        opts_err("lame_duck_grace_period: \"-x\""),
        "o.conf:1:0: error parsing lame_duck_grace_period: time: invalid duration \"-x\""
    );
}

#[test]
fn jetstream_server_limits() {
    let o = opts(
        "jetstream {\n limits {\n  max_ack_pending: 77\n  max_request_batch: 50\n  max_ha_assets: 3\n  duplicate_window: \"30s\"\n  default_max_consumers: 7\n  batch { max_inflight_per_stream: 2, max_inflight_total: 4, max_msgs: 10, timeout: \"5s\" }\n }\n}\n",
    );
    let l = o.jetstream.expect("enabled").limits;
    assert_eq!(
        l,
        jetmirror_config::JetStreamLimits {
            max_request_batch: 50,
            max_ack_pending: 77,
            max_ha_assets: 3,
            max_duplicate_window: 30_000_000_000,
            max_batch_inflight_per_stream: 2,
            max_batch_inflight_total: 4,
            max_batch_size: 10,
            max_batch_timeout: 5_000_000_000,
            default_max_consumers: 7,
        }
    );
    assert_eq!(l.default_max_consumers(), Some(7));
    let unset = opts("jetstream {}").jetstream.expect("enabled").limits;
    assert_eq!(unset.default_max_consumers(), Some(1000));
    let none = opts("jetstream { limits { default_max_consumers: -1 } }");
    assert_eq!(
        none.jetstream
            .expect("enabled")
            .limits
            .default_max_consumers(),
        None
    );
    assert!(opts_err("jetstream { limits { bogus: 1 } }").contains("unknown field \"bogus\""));
}
