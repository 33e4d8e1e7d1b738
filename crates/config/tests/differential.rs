//! Differential test: for small config files, `nats-server -c f -t` and
//! jetmirror's parser + options must agree on accept vs reject (a config
//! with warnings is a reject under `-t`). Skipped, with the reason printed,
//! when no nats-server binary is found (`NATS_SERVER_BIN`, the workspace's
//! `.venv/bin/nats-server` from `scripts/setup-nats-server`, or
//! `/work/main/.venv/bin/nats-server`). `-t` only reads the file; nothing
//! listens.

use std::path::{Path, PathBuf};
use std::process::Command;

use jetmirror_config::Options;

fn nats_server() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(p) = std::env::var_os("NATS_SERVER_BIN") {
        candidates.push(PathBuf::from(p));
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    candidates.push(manifest.join("../../.venv/bin/nats-server"));
    candidates.push(PathBuf::from("/work/main/.venv/bin/nats-server"));
    candidates.into_iter().find(|p| p.is_file())
}

const CASES: &[&str] = &[
    "port: 14222",
    "port = 14222; debug = true",
    "port 14222\nhttp_port 18222",
    "{ port: 14320 }",
    "listen: 127.0.0.1:14222",
    "listen: \"nope\"",
    "server_name: \"a b\"",
    "server_name: mirror-1",
    "max_payload: 2MB",
    "max_payload: 1MB\nmax_payload: 2MB",
    "max_payload: 4GB",
    "max_connections: 1k",
    "max_connections: 0",
    "ping_interval: \"2m\"",
    "ping_interval: 2m",
    "ping_interval: 120",
    "ping_interval: \"2x\"",
    "write_deadline: \"10s\"",
    "lame_duck_duration: \"10s\"",
    "lame_duck_duration: \"45s\"",
    "port: \"x\"",
    "debug: 1",
    "foo: 1",
    "UNUSED = 1",
    "PORTVAR = 14310\nport: $PORTVAR",
    "port: $JM_DIFF_NOT_SET",
    "a {\n b: 1\n",
    "port: 1 x",
    "port",
    "s: \"a\\qb\"",
    "f: .5",
    "server_tags: [1, 2]\nport: 14222",
    "server_tags: [\"a\", \"b\"]",
    "server_tags: [1, 2 ]",
    "port: 2k5",
    "port: 1kbb",
    "jetstream: enabled",
    "jetstream: maybe",
    "jetstream { max_memory_store: 1G, max_file_store: \"2G\", domain: hub, sync_interval: \"1m\" }",
    "jetstream { max_file_store: \"2g\" }",
    "jetstream { bogus: 1 }",
    "jetstream { sync: always }",
    "store_dir: \"/tmp/x\"\njetstream { store_dir: \"/tmp/y\" }",
    "authorization { user: a, password: b }",
    "authorization { user: a, password: b, token: c }",
    "authorization { token: a, users: [ {user: b, password: c} ] }",
    "authorization { users: [ {user: b, password: c}, {user: b, password: d} ] }",
    "authorization { users: [ {user: a, password: b, permissions: { publish: \"foo..bar\" }} ] }",
    "authorization { users: [ {user: a, password: b, permissions: { publish: [\"a.>\"], subscribe: { allow: [\"b.*\"], deny: [\"b.x\"] } }} ] }",
    "authorization { users: [ {user: a, password: b, permissions: { bogus: 1 }} ] }",
    "authorization { timeout: \"2s\", user: a, password: \"$2a$11$W2zko751KUvVy59mUTWmpOdWjpEm5qhcCZRd05GjI/sSOT.xtiHyG\" }",
    "cluster { name: c1, listen: \"127.0.0.1:16222\", routes: [ nats://127.0.0.1:16223 ] }",
    "cluster { name: \"a b\", listen: \"127.0.0.1:16222\" }",
    "cluster { bogus: 1 }",
    "tls { bogus: 1 }",
    "accounts { A: { users: [ {user: a, password: b} ], jetstream: enabled } }",
    "a: 2024-01-02T03:04:05Z",
    "include ./nope.conf",
    "x = 1\ny { z: $x }",
    "# only a comment\n",
    "pem: (\nabc\n)\n",
    "d: [\n 1\n 2\n]\n",
];

#[test]
fn accepts_and_rejects_like_nats_server() {
    let Some(bin) = nats_server() else {
        println!(
            "skipped: no nats-server binary (set NATS_SERVER_BIN or run scripts/setup-nats-server)"
        );
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut disagreements = Vec::new();
    for (i, text) in CASES.iter().enumerate() {
        let path = dir.path().join(format!("case{i}.conf"));
        std::fs::write(&path, text).expect("write");
        let out = Command::new(&bin)
            .arg("-c")
            .arg(&path)
            .arg("-t")
            .env_remove("JM_DIFF_NOT_SET")
            .output()
            .expect("run nats-server");
        let theirs = out.status.success();
        let ours = match Options::from_file(&path) {
            Ok(o) => o.warnings.is_empty(),
            Err(_) => false,
        };
        if theirs && ours {
            check_digest(
                &path,
                &String::from_utf8_lossy(&out.stderr),
                &mut disagreements,
            );
        }
        if theirs != ours {
            disagreements.push(format!(
                "{text:?}: nats-server {} ({}), jetmirror {}",
                if theirs { "accepts" } else { "rejects" },
                String::from_utf8_lossy(&out.stderr).trim(),
                if ours { "accepts" } else { "rejects" },
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "disagreements:\n{}",
        disagreements.join("\n")
    );
}

/// nats-server prints `configuration file <f> is valid (sha256:<hex>)`; the
/// hex is SHA-256 of `Map::to_go_json`. Checked with the `sha256sum` tool.
fn check_digest(path: &Path, stderr: &str, disagreements: &mut Vec<String>) {
    let Some(theirs) = stderr
        .split("(sha256:")
        .nth(1)
        .and_then(|r| r.split(')').next())
    else {
        return;
    };
    let Ok(map) = jetmirror_config::parse_file(path) else {
        return;
    };
    let json = map.to_go_json();
    let Ok(mut child) = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
    else {
        return;
    };
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        let _ = stdin.write_all(json.as_bytes());
    }
    let Ok(out) = child.wait_with_output() else {
        return;
    };
    let ours = String::from_utf8_lossy(&out.stdout);
    let ours = ours.split_whitespace().next().unwrap_or_default();
    if ours != theirs {
        disagreements.push(format!(
            "{}: digest {theirs} vs ours {ours} of {json}",
            path.display()
        ));
    }
}

#[test]
fn config_digest_matches_nats_server() {
    let Some(bin) = nats_server() else {
        println!("skipped: no nats-server binary");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("d.conf");
    std::fs::write(
        &path,
        "port: 14222\nserver_tags: [\"<a&b>\", \"z\"]\njetstream { max_file_store: \"2G\", max_memory_store: 1G, sync: \"1m\" }\nauthorization { users: [ { user: a, password: \"p\\tq\" } ] }\n",
    )
    .expect("write");
    let out = Command::new(&bin)
        .arg("-c")
        .arg(&path)
        .arg("-t")
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("(sha256:"), "{stderr}");
    let mut problems = Vec::new();
    check_digest(&path, &stderr, &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
}
