//! Command-line flags (spec Part C): each spelling, Go flag forms, the
//! file-then-flags override order, and nats-server's errors.

use std::ffi::OsString;
use std::path::PathBuf;

use jetmirror_config::{parse_args, CliError, Command, Options};

fn args(a: &[&str]) -> Vec<OsString> {
    a.iter().map(OsString::from).collect()
}

fn run(a: &[&str]) -> Options {
    match parse_args(args(a)) {
        Ok(Command::Run(o)) => *o,
        other => panic!("{a:?}: expected Run, got {other:?}"),
    }
}

fn fail(a: &[&str]) -> String {
    match parse_args(args(a)) {
        Err(e) => e.to_string(),
        Ok(c) => panic!("{a:?}: expected an error, got {c:?}"),
    }
}

#[test]
fn value_forms() {
    for a in [
        &["-p", "4333"][..],
        &["-p=4333"],
        &["--port", "4333"],
        &["--port=4333"],
        &["-port", "4333"],
    ] {
        assert_eq!(run(a).port, 4333, "{a:?}");
    }
    assert_eq!(run(&["-p", "-1"]).port, -1);
    assert_eq!(run(&["-p", "0x10"]).port, 16);
    assert_eq!(run(&["-p", "0"]).port, 4222, "0 means the default");
}

#[test]
fn all_spellings() {
    let o = run(&[
        "-a",
        "127.0.0.1",
        "-n",
        "srv",
        "-m",
        "8222",
        "-ms",
        "8443",
        "-l",
        "/tmp/l.log",
        "-P",
        "/tmp/p.pid",
        "--ports_file_dir",
        "/tmp",
        "--user",
        "u",
        "--pass",
        "p",
        "--client_advertise",
        "h:1",
        "--max_traced_msg_len",
        "10",
        "--log_size_limit",
        "100",
        "-r",
        "udp://h:514",
        "--profile",
        "6060",
    ]);
    assert_eq!(o.host, "127.0.0.1");
    assert_eq!(o.server_name.as_deref(), Some("srv"));
    assert_eq!((o.http_port, o.https_port), (Some(8222), Some(8443)));
    assert_eq!(o.logfile, Some(PathBuf::from("/tmp/l.log")));
    assert_eq!(o.pid_file, Some(PathBuf::from("/tmp/p.pid")));
    assert_eq!(o.ports_file_dir, Some(PathBuf::from("/tmp")));
    assert_eq!(
        (o.auth.user.as_deref(), o.auth.password.as_deref()),
        (Some("u"), Some("p"))
    );
    assert_eq!(o.client_advertise.as_deref(), Some("h:1"));
    assert_eq!((o.max_traced_msg_len, o.log_size_limit), (10, 100));
    assert_eq!(o.remote_syslog.as_deref(), Some("udp://h:514"));
    assert_eq!(o.prof_port, Some(6060));
    assert_eq!(run(&["--addr", "h1"]).host, "h1");
    assert_eq!(run(&["--net", "h2"]).host, "h2");
    assert_eq!(run(&["--name", "x"]).server_name.as_deref(), Some("x"));
    assert_eq!(
        run(&["--server_name", "y"]).server_name.as_deref(),
        Some("y")
    );
    assert_eq!(run(&["--http_port", "1"]).http_port, Some(1));
    assert_eq!(run(&["--https_port", "2"]).https_port, Some(2));
    assert_eq!(run(&["--auth", "tok"]).auth.token.as_deref(), Some("tok"));
    assert_eq!(run(&["--log", "a"]).logfile, Some(PathBuf::from("a")));
    assert_eq!(run(&["--pid", "b"]).pid_file, Some(PathBuf::from("b")));
}

#[test]
fn booleans() {
    let o = run(&["-D", "-V"]);
    assert!(o.debug && o.trace && !o.trace_verbose);
    let o = run(&["-DV"]);
    assert!(o.debug && o.trace);
    let o = run(&["-DVV"]);
    assert!(o.debug && o.trace && o.trace_verbose);
    let o = run(&["-VV"]);
    assert!(!o.debug && o.trace && o.trace_verbose);
    assert!(run(&["--debug", "--trace"]).debug);
    assert!(!run(&["-T=false"]).logtime);
    assert!(run(&["-js"]).jetstream.is_some());
    assert!(run(&["--jetstream=true"]).jetstream.is_some());
    assert!(run(&["-js=false"]).jetstream.is_none());
    assert_eq!(
        fail(&["-js=maybe"]),
        "invalid boolean value \"maybe\" for -js: parse error"
    );
}

#[test]
fn store_dir_does_not_enable_jetstream_alone() {
    let o = run(&["-sd", "/data"]);
    assert!(o.jetstream.is_none());
    assert_eq!(o.store_dir, Some(PathBuf::from("/data")));
    let o = run(&["-sd", "/data", "-js"]);
    assert_eq!(
        o.jetstream.and_then(|j| j.store_dir),
        Some(PathBuf::from("/data"))
    );
    let o = run(&["--jetstream", "--store_dir=/d2"]);
    assert_eq!(
        o.jetstream.and_then(|j| j.store_dir),
        Some(PathBuf::from("/d2"))
    );
}

#[test]
fn flags_override_the_config_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("n.conf");
    std::fs::write(
        &f,
        "port: 5000\nserver_name: file\ndebug: false\njetstream { store_dir: /file }\nupstream { url: nats://file:4222, user: u }\n",
    )
    .expect("write");
    let fs = f.to_string_lossy().to_string();
    let o = run(&["-c", &fs]);
    assert_eq!((o.port, o.server_name.as_deref()), (5000, Some("file")));
    assert_eq!(o.config_file, Some(f.clone()));
    // Flags before or after -c win over the file.
    let o = run(&[
        "-p",
        "6000",
        "-c",
        &fs,
        "-D",
        "-sd",
        "/flag",
        "--upstream",
        "nats://a:1,nats://b:2",
        "--upstream",
        "nats://c:3",
    ]);
    assert_eq!(o.port, 6000);
    assert_eq!(o.server_name.as_deref(), Some("file"));
    assert!(o.debug);
    assert_eq!(
        o.jetstream.and_then(|j| j.store_dir),
        Some(PathBuf::from("/flag"))
    );
    let up = o.upstream.expect("upstream");
    assert_eq!(up.urls, vec!["nats://a:1", "nats://b:2", "nats://c:3"]);
    assert_eq!(
        up.user.as_deref(),
        Some("u"),
        "other upstream keys stay from the file"
    );
    // The last of repeated flags wins.
    assert_eq!(run(&["-p", "1", "--port", "2"]).port, 2);
}

#[test]
fn test_config_flag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("g.conf");
    std::fs::write(&good, "port: 5000\n").expect("write");
    let warn = dir.path().join("w.conf");
    std::fs::write(&warn, "ping_interval: 60\n").expect("write");
    let bad = dir.path().join("b.conf");
    std::fs::write(&bad, "bogus: 1\n").expect("write");
    match parse_args(args(&["-t", "-c", &good.to_string_lossy(), "-p", "1"])) {
        Ok(Command::TestConfig(o)) => assert_eq!(o.port, 5000, "flags are not applied with -t"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        parse_args(args(&["-t", "-c", &warn.to_string_lossy()])),
        Err(CliError::Warnings(_))
    ));
    let e = fail(&["-t", "-c", &bad.to_string_lossy()]);
    assert!(e.ends_with("b.conf:1:0: unknown field \"bogus\""), "{e}");
    assert_eq!(
        fail(&["-t"]),
        "must specify [-c, --config] option to check configuration file syntax"
    );
    assert!(
        fail(&["-c", "/nonexist.conf"]).contains("open /nonexist.conf: no such file or directory")
    );
}

#[test]
fn commands() {
    assert!(matches!(parse_args(args(&["-v"])), Ok(Command::Version)));
    assert!(matches!(
        parse_args(args(&["--version"])),
        Ok(Command::Version)
    ));
    assert!(matches!(parse_args(args(&["-h"])), Ok(Command::Help)));
    assert!(matches!(parse_args(args(&["--help"])), Ok(Command::Help)));
    assert!(matches!(
        parse_args(args(&["--help_tls"])),
        Ok(Command::HelpTls)
    ));
    assert!(matches!(
        parse_args(args(&["version"])),
        Ok(Command::Version)
    ));
    assert_eq!(fail(&["bogus"]), "unrecognized command: \"bogus\"");
    match parse_args(args(&["--signal", "reload=/run/n.pid"])) {
        Ok(Command::Signal { signal, pid }) => {
            assert_eq!(
                (signal.as_str(), pid.as_deref()),
                ("reload", Some("/run/n.pid"))
            )
        }
        other => panic!("{other:?}"),
    }
    match parse_args(args(&["-sl", "ldm"])) {
        Ok(Command::Signal { signal, pid }) => assert_eq!((signal.as_str(), pid), ("ldm", None)),
        other => panic!("{other:?}"),
    }
    assert!(fail(&["--signal", "nope"]).contains("unknown signal"));
}

#[test]
fn errors_like_go_flag() {
    assert_eq!(fail(&["-bogus"]), "flag provided but not defined: -bogus");
    assert_eq!(
        fail(&["--bogus=1"]),
        "flag provided but not defined: -bogus"
    );
    assert!(matches!(parse_args(args(&["-x"])), Err(CliError::UnknownFlag(n)) if n == "x"));
    assert_eq!(
        fail(&["-p", "abc"]),
        "invalid value \"abc\" for flag -p: parse error"
    );
    assert_eq!(
        fail(&["-p", "99999999999"]),
        "invalid value \"99999999999\" for flag -p: value out of range"
    );
    assert_eq!(fail(&["-p"]), "flag needs an argument: -p");
    assert_eq!(fail(&["---p"]), "bad flag syntax: ---p");
    // `--` ends the flags.
    assert_eq!(run(&["-p", "1", "--"]).port, 1);
}

#[test]
fn cluster_and_routes_flags() {
    let o = run(&[
        "--cluster",
        "nats://u:pw@127.0.0.1:6222",
        "--routes",
        "nats://a:1, nats://b:2",
        "--cluster_name",
        "c9",
        "--no_advertise",
        "--connect_retries",
        "3",
        "--cluster_advertise",
        "x:1",
    ]);
    let c = o.cluster.expect("cluster");
    assert_eq!((c.host.as_str(), c.port), ("127.0.0.1", 6222));
    assert_eq!(
        (c.user.as_deref(), c.password.as_deref()),
        (Some("u"), Some("pw"))
    );
    assert_eq!(c.routes, vec!["nats://a:1", "nats://b:2"]);
    assert_eq!(c.name.as_deref(), Some("c9"));
    assert!(c.no_advertise);
    assert_eq!(
        (c.connect_retries, c.advertise.as_deref()),
        (3, Some("x:1"))
    );
    assert_eq!(
        run(&["--cluster_listen", "nats://0.0.0.0:-1"])
            .cluster
            .map(|c| c.port),
        Some(-1)
    );
    assert_eq!(
        fail(&["--routes", "nats://a:1"]),
        "solicited routes require cluster capabilities, e.g. --cluster"
    );
}

#[test]
fn tls_flags() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = dir.path().join("c.pem");
    let k = dir.path().join("k.pem");
    std::fs::write(&c, "").expect("write");
    std::fs::write(&k, "").expect("write");
    let (cs, ks) = (
        c.to_string_lossy().to_string(),
        k.to_string_lossy().to_string(),
    );
    let o = run(&[
        "--tls",
        "--tlscert",
        &cs,
        "--tlskey",
        &ks,
        "--tlscacert",
        "ca.pem",
        "--tlsverify",
    ]);
    let t = o.tls.expect("tls");
    assert_eq!(t.cert_file, Some(c.clone()));
    assert_eq!(
        fail(&["--tlscert", "/nonexist/c.pem", "--tlskey", &ks]),
        "error parsing X509 certificate/key pair: open /nonexist/c.pem: no such file or directory"
    );
    assert_eq!(t.ca_file, Some(PathBuf::from("ca.pem")));
    assert!(t.verify);
    assert_eq!(
        fail(&["--tls"]),
        "TLS Server certificate must be present and valid"
    );
    assert_eq!(
        fail(&["--tlscert", "c"]),
        "TLS Server private key must be present and valid"
    );
    assert!(run(&["--tls=false", "--tlscert", "c"]).tls.is_none());
}

#[test]
fn monitoring_host_follows_client_host() {
    let o = run(&["-a", "127.0.0.1", "-m", "8222"]);
    assert_eq!(
        (o.http_host.as_str(), o.http_port),
        ("127.0.0.1", Some(8222))
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("h.conf");
    std::fs::write(&f, "host: 10.0.0.1\nhttp_port: 8222\n").expect("write");
    let fs = f.to_string_lossy().to_string();
    assert_eq!(run(&["-c", &fs]).http_host, "10.0.0.1");
    assert_eq!(run(&["-c", &fs, "-a", "127.0.0.9"]).http_host, "127.0.0.9");
    std::fs::write(&f, "host: 10.0.0.1\nhttp: \"127.0.0.2:8222\"\n").expect("write");
    assert_eq!(run(&["-c", &fs, "-a", "127.0.0.9"]).http_host, "127.0.0.2");
    assert_eq!(run(&[]).http_host, "0.0.0.0");
    assert_eq!(
        run(&[]).auth.timeout,
        Some(std::time::Duration::from_secs(2))
    );
}

#[test]
fn cluster_flag_errors_like_nats_server() {
    assert_eq!(
        fail(&["--cluster", "localhost:6222"]),
        "missing port in address"
    );
    assert_eq!(
        fail(&["--cluster", "0.0.0.0:6222"]),
        "parse \"0.0.0.0:6222\": first path segment in URL cannot contain colon"
    );
    assert_eq!(fail(&["-sl", "a=b=c"]), "invalid signal parameters: [c]");
    assert_eq!(fail(&["--signal", "nope"]), "unknown signal \"nope\"");
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn arg() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "-p",
                "--port",
                "-p=1",
                "-js",
                "-js=false",
                "-sd",
                "-DV",
                "-DVV",
                "-VV",
                "-D",
                "--cluster",
                "--routes",
                "--tls",
                "--tlscert",
                "--tlskey",
                "--tlsverify=t",
                "-sl",
                "--signal",
                "-c",
                "-t",
                "-v",
                "-h",
                "--upstream",
                "-m",
                "-a",
                "--",
                "-",
                "---x",
                "-=",
                "--=1",
                "nats://a:1",
                "nats://u:p@h:-1",
                "x:1",
                "0x1f",
                "-1",
                "",
                "=",
                "reload=1=2",
                "ldm",
            ])
            .prop_map(str::to_string),
            any::<String>(),
        ]
    }

    proptest! {
        #[test]
        fn parse_args_never_panics(a in prop::collection::vec(arg(), 0..8)) {
            // -c with an arbitrary name may hit the file system; only reads.
            let _ = parse_args(a.into_iter().map(OsString::from));
        }
    }
}
