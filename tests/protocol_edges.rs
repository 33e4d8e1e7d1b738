//! Raw-socket protocol edge cases. Each case sends the same bytes (in the given fragments)
//! to nats-server 2.15.1 and to jetmirror, and asserts that both answer with the expected
//! bytes and close (or keep) the connection alike, and that the server goes on serving other
//! clients afterwards.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use jetmirror_testkit::{Kind, Server};
use jetmirror_tests::start;

struct Case {
    config: &'static str,
    writes: Vec<Vec<u8>>,
    expect: &'static str,
    closes: bool,
}

/// What one connection observed: the bytes after the first INFO (later INFO lines are shown
/// as `INFO …` since they carry ids), and whether the server closed the socket.
#[derive(Debug, PartialEq)]
struct Observed {
    text: String,
    closed: bool,
}

fn observe(server: &Server, writes: &[Vec<u8>]) -> Observed {
    let mut sock = TcpStream::connect(("127.0.0.1", server.port())).expect("connect");
    sock.set_nodelay(true).ok();
    sock.set_read_timeout(Some(Duration::from_millis(2))).ok();
    let mut got = Vec::new();
    let mut closed = false;
    let mut buf = [0u8; 65536];
    let mut read_for = |sock: &mut TcpStream, got: &mut Vec<u8>, closed: &mut bool, d: Duration| {
        let until = Instant::now() + d;
        while Instant::now() < until && !*closed {
            match sock.read(&mut buf) {
                Ok(0) => *closed = true,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => *closed = true,
            }
        }
    };
    // The INFO line first.
    read_for(&mut sock, &mut got, &mut closed, Duration::from_millis(200));
    for w in writes {
        if sock.write_all(w).is_err() {
            closed = true;
            break;
        }
        // Many small writes get a short pause each, so the whole case stays well within the
        // server's first keep-alive PING (about 2 s after connecting).
        let pause = if writes.len() > 20 { 2 } else { 20 };
        read_for(
            &mut sock,
            &mut got,
            &mut closed,
            Duration::from_millis(pause),
        );
    }
    read_for(&mut sock, &mut got, &mut closed, Duration::from_millis(600));
    let text = String::from_utf8_lossy(&got).into_owned();
    let mut lines: Vec<String> = Vec::new();
    let mut first_info = true;
    for line in text.split_inclusive("\r\n") {
        if line.starts_with("INFO ") {
            if first_info {
                first_info = false;
                continue;
            }
            lines.push("INFO …\r\n".to_string());
        } else {
            lines.push(line.to_string());
        }
    }
    Observed {
        text: lines.concat(),
        closed,
    }
}

fn still_serving(server: &Server, config: &str) {
    let login: &[u8] = if config.contains("authorization") {
        b"CONNECT {\"verbose\":false,\"user\":\"a\",\"pass\":\"b\"}\r\nPING\r\n"
    } else {
        b"CONNECT {\"verbose\":false}\r\nPING\r\n"
    };
    let obs = observe(server, &[login.to_vec()]);
    assert_eq!(obs.text, "PONG\r\n", "server keeps serving other clients");
}

fn check(name: &str, case: Case) {
    let reference = start(Kind::NatsServer, case.config);
    let candidate = start(Kind::Jetmirror, case.config);
    let want = Observed {
        text: case.expect.to_string(),
        closed: case.closes,
    };
    let ref_obs = observe(&reference, &case.writes);
    assert_eq!(
        ref_obs, want,
        "{name}: nats-server differs from the expectation"
    );
    let got = observe(&candidate, &case.writes);
    assert_eq!(got, ref_obs, "{name}: jetmirror differs from nats-server");
    still_serving(&candidate, case.config);
}

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

const QUIET_CONNECT: &str = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n";

#[test]
fn split_frames_parse_at_any_byte() {
    check(
        "split",
        Case {
            config: "",
            writes: vec![
                b(QUIET_CONNECT),
                b("SU"),
                b("B foo 1\r\nPUB fo"),
                b("o 5\r\nhel"),
                b("lo"),
                b("\r"),
                b("\nPI"),
                b("NG\r\n"),
            ],
            expect: "MSG foo 1 5\r\nhello\r\nPONG\r\n",
            closes: false,
        },
    );
}

#[test]
fn one_byte_at_a_time() {
    let text =
        format!("{QUIET_CONNECT}SUB a.b 7\r\nHPUB a.b r 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPING\r\n");
    let text = text.replace("CONNECT {", "CONNECT {\"headers\":true,");
    check(
        "bytewise",
        Case {
            config: "",
            writes: text.bytes().map(|c| vec![c]).collect(),
            expect: "HMSG a.b 7 r 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPONG\r\n",
            closes: false,
        },
    );
}

#[test]
fn pipelined_ops_in_one_write() {
    check(
        "pipelined",
        Case {
            config: "",
            writes: vec![b(&format!(
                "{QUIET_CONNECT}SUB a 1\r\nSUB b 2\r\nPUB a 1\r\nx\r\nPUB b 1\r\ny\r\nUNSUB 2\r\nPUB b 1\r\nz\r\nPING\r\n"
            ))],
            expect: "MSG a 1 1\r\nx\r\nMSG b 2 1\r\ny\r\nPONG\r\n",
            closes: false,
        },
    );
}

#[test]
fn unknown_op_closes_with_error() {
    check(
        "unknown op",
        Case {
            config: "",
            writes: vec![b(&format!("{QUIET_CONNECT}FOO bar\r\n"))],
            expect: "-ERR 'Unknown Protocol Operation'\r\n",
            closes: true,
        },
    );
}

#[test]
fn msg_from_a_client_is_unknown() {
    check(
        "client MSG",
        Case {
            config: "",
            writes: vec![b(&format!("{QUIET_CONNECT}MSG foo 1 0\r\n\r\n"))],
            expect: "-ERR 'Unknown Protocol Operation'\r\n",
            closes: true,
        },
    );
}

#[test]
fn oversize_control_line() {
    let long = "a".repeat(5000);
    check(
        "control line",
        Case {
            config: "",
            writes: vec![b(QUIET_CONNECT), b(&format!("SUB {long} 1\r\n"))],
            expect: "-ERR 'maximum control line exceeded'\r\n",
            closes: true,
        },
    );
}

#[test]
fn payload_longer_than_declared() {
    check(
        "payload length",
        Case {
            config: "",
            writes: vec![b(&format!("{QUIET_CONNECT}PUB foo 3\r\nabcd\r\n"))],
            expect: "-ERR 'Unknown Protocol Operation'\r\n",
            closes: true,
        },
    );
}

#[test]
fn negative_size_closes_silently() {
    check(
        "bad size",
        Case {
            config: "",
            writes: vec![b(&format!("{QUIET_CONNECT}PUB foo -1\r\n"))],
            expect: "",
            closes: true,
        },
    );
}

#[test]
fn max_payload_violation() {
    check(
        "max payload",
        Case {
            config: "max_payload: 16",
            writes: vec![b(&format!("{QUIET_CONNECT}PUB foo 100\r\n"))],
            expect: "-ERR 'Maximum Payload Violation'\r\n",
            closes: true,
        },
    );
}

#[test]
fn bad_subjects_keep_the_connection() {
    check(
        "bad subjects",
        Case {
            config: "",
            writes: vec![b(&format!(
                "{QUIET_CONNECT}SUB foo..bar 1\r\nSUB foo.>.bar 2\r\nSUB .foo 3\r\nPING\r\n"
            ))],
            expect: "-ERR 'Invalid Subject'\r\n-ERR 'Invalid Subject'\r\n-ERR 'Invalid Subject'\r\nPONG\r\n",
            closes: false,
        },
    );
}

#[test]
fn verbose_by_default_acknowledges_each_op() {
    check(
        "verbose",
        Case {
            config: "",
            writes: vec![b("CONNECT {}\r\nSUB foo 1\r\nPUB foo 0\r\n\r\nPING\r\n")],
            expect: "+OK\r\n+OK\r\n+OK\r\nMSG foo 1 0\r\n\r\nPONG\r\n",
            closes: false,
        },
    );
}

#[test]
fn no_responders_status_bytes() {
    check(
        "no responders",
        Case {
            config: "",
            writes: vec![b(
                "CONNECT {\"verbose\":false,\"headers\":true,\"no_responders\":true,\"protocol\":1}\r\nSUB _INBOX.x.* 1\r\nPUB svc.a _INBOX.x.1 0\r\n\r\nPING\r\n",
            )],
            expect: "HMSG _INBOX.x.1 1 37 37\r\nNATS/1.0 503\r\nNats-Subject: svc.a\r\n\r\n\r\nPONG\r\nINFO …\r\n",
            closes: false,
        },
    );
}

#[test]
fn lower_case_verbs_tabs_and_bare_newlines() {
    check(
        "lenient framing",
        Case {
            config: "",
            writes: vec![b(
                "connect {\"verbose\":false}\nsub\tfoo \t 1\npub foo 3\nabc\r\nPINGjunk\r\n",
            )],
            expect: "MSG foo 1 3\r\nabc\r\nPONG\r\n",
            closes: false,
        },
    );
}

#[test]
fn auth_required_refuses_ops_before_connect() {
    check(
        "auth first",
        Case {
            config: "authorization { user: a, password: b }",
            writes: vec![b("PING\r\n")],
            expect: "-ERR 'Authorization Violation'\r\n",
            closes: true,
        },
    );
}

#[test]
fn wrong_password_is_an_authorization_violation() {
    check(
        "bad password",
        Case {
            config: "authorization { user: a, password: b }",
            writes: vec![b(
                "CONNECT {\"verbose\":false,\"user\":\"a\",\"pass\":\"x\"}\r\nPING\r\n",
            )],
            expect: "-ERR 'Authorization Violation'\r\n",
            closes: true,
        },
    );
}

#[test]
fn invalid_client_protocol() {
    check(
        "protocol 2",
        Case {
            config: "",
            writes: vec![b("CONNECT {\"verbose\":false,\"protocol\":2}\r\n")],
            expect: "-ERR 'invalid client protocol'\r\n",
            closes: true,
        },
    );
}

#[test]
fn max_connections_exceeded() {
    let config = "max_connections: 1";
    let reference = start(Kind::NatsServer, config);
    let candidate = start(Kind::Jetmirror, config);
    for server in [&reference, &candidate] {
        let mut first = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
        first
            .write_all(b"CONNECT {\"verbose\":false}\r\nPING\r\n")
            .unwrap();
        first
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let mut buf = [0u8; 4096];
        let mut seen = Vec::new();
        while !String::from_utf8_lossy(&seen).contains("PONG") {
            let n = first.read(&mut buf).unwrap();
            assert!(n > 0);
            seen.extend_from_slice(&buf[..n]);
        }
        let obs = observe(server, &[]);
        assert_eq!(
            obs,
            Observed {
                text: "-ERR 'maximum connections exceeded'\r\n".into(),
                closed: true
            }
        );
    }
}
