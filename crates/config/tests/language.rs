//! The config language (spec Part A): separators, blocks, arrays, comments,
//! strings, numbers with units, booleans, datetimes, variables, includes,
//! block strings, and the error positions and texts.

use jetmirror_config::{parse_str, ConfigError, Map, Value};

fn parse(text: &str) -> Map {
    match parse_str(text, "t.conf") {
        Ok(m) => m,
        Err(e) => panic!("parse failed: {e}\n{text}"),
    }
}

fn val(text: &str, key: &str) -> Value {
    match parse(text).get(key) {
        Some(v) => v.value.clone(),
        None => panic!("no key {key} in {text}"),
    }
}

fn err(text: &str) -> String {
    match parse_str(text, "t.conf") {
        Ok(m) => panic!("expected an error, got {m:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn key_separators() {
    for text in [
        "port: 4222",
        "port = 4222",
        "port 4222",
        "port:4222",
        "port=4222",
        "  port\t4222",
    ] {
        assert_eq!(val(text, "port"), Value::Int(4222), "{text}");
    }
}

#[test]
fn entry_separators_and_outer_braces() {
    let m = parse("debug = true; trace = false, port: 1\n");
    assert_eq!(m.get("debug").map(|v| &v.value), Some(&Value::Bool(true)));
    assert_eq!(m.get("trace").map(|v| &v.value), Some(&Value::Bool(false)));
    assert_eq!(m.get("port").map(|v| &v.value), Some(&Value::Int(1)));
    let m = parse("{ port: 14320 }");
    assert_eq!(m.get("port").map(|v| &v.value), Some(&Value::Int(14320)));
}

#[test]
fn maps_in_every_form() {
    for text in [
        "cluster { name: c1 }",
        "cluster = { name: c1 }",
        "cluster: { name: c1 }",
        "cluster {\n  name: c1\n}\n",
        "cluster {name c1; }",
    ] {
        let Value::Map(m) = val(text, "cluster") else {
            panic!("not a map: {text}")
        };
        assert_eq!(
            m.get("name").map(|v| &v.value),
            Some(&Value::String("c1".into())),
            "{text}"
        );
    }
}

#[test]
fn arrays_with_commas_or_newlines() {
    let want = Value::Array(vec![]);
    assert_eq!(val("a: []", "a"), want);
    for text in [
        "a: [x, y, z]",
        "a: [\n  x\n  y\n  z\n]",
        "a [ x, y\n z ]",
        "a: [x,y,z,]",
    ] {
        let Value::Array(a) = val(text, "a") else {
            panic!("{text}")
        };
        let items: Vec<_> = a.iter().map(|e| e.value.clone()).collect();
        assert_eq!(
            items,
            vec![
                Value::String("x".into()),
                Value::String("y".into()),
                Value::String("z".into())
            ],
            "{text}"
        );
    }
    assert!(err("a: [, x]").contains("Unexpected array value terminator ','."));
}

#[test]
fn integer_followed_by_bracket_is_a_string_like_nats_server() {
    // nats-server's lexer reads `2]` as an unquoted string, then fails on the
    // next line; observed on 2.15.1.
    let e = err("server_tags: [1, 2]\nport: 14222\n");
    assert!(e.contains("but got '1' instead"), "{e}");
}

#[test]
fn comments() {
    let m = parse("# top\n// also\nport: 1 # trailing\nhost: h // trailing\n");
    assert_eq!(m.get("port").map(|v| &v.value), Some(&Value::Int(1)));
    assert_eq!(
        m.get("host").map(|v| &v.value),
        Some(&Value::String("h".into()))
    );
    let m = parse("a { # c\n b: 1 // c\n}\nl: [ # c\n 1\n]\n");
    assert!(m.get("a").is_some() && m.get("l").is_some());
}

#[test]
fn strings() {
    assert_eq!(
        val(r#"s: "a\tb\n\"c\"\\ \x41""#, "s"),
        Value::String("a\tb\n\"c\"\\ A".into())
    );
    assert_eq!(
        val(r"s: 'raw \t $X'", "s"),
        Value::String(r"raw \t $X".into())
    );
    assert_eq!(val(r#"s: "$X""#, "s"), Value::String("$X".into()));
    assert_eq!(
        val("u: nats://h:4222/x", "u"),
        Value::String("nats://h:4222/x".into())
    );
    assert_eq!(
        val("ip: 127.0.0.1", "ip"),
        Value::String("127.0.0.1".into())
    );
    assert_eq!(
        val("hp: 10.0.0.1:4222", "hp"),
        Value::String("10.0.0.1:4222".into())
    );
    assert_eq!(val("s: 12abc", "s"), Value::String("12abc".into()));
    assert_eq!(val("s: 2k5", "s"), Value::String("2k5".into()));
    assert_eq!(val("b: \"true\"", "b"), Value::String("true".into()));
    let e = err(r#"s: "a\qb""#);
    assert!(e.starts_with("t.conf:1:"), "{e}");
    assert!(e.contains("Invalid escape character 'q'"), "{e}");
}

#[test]
fn block_strings() {
    let text = "pem: (\n-----BEGIN-----\nabc)def\n-----END-----\n)\nport: 1\n";
    let m = parse(text);
    assert_eq!(
        m.get("pem").map(|v| &v.value),
        Some(&Value::String(
            "\n-----BEGIN-----\nabc)def\n-----END-----\n".into()
        ))
    );
    assert_eq!(m.get("port").map(|v| &v.value), Some(&Value::Int(1)));
    assert!(err("pem: (\nabc\n").contains("Unexpected EOF processing block."));
}

#[test]
fn numbers_and_units() {
    let cases: &[(&str, i64)] = &[
        ("1k", 1000),
        ("1K", 1000),
        ("1kb", 1024),
        ("1KiB", 1024),
        ("1ki", 1024),
        ("2MB", 2 * 1024 * 1024),
        ("1m", 1_000_000),
        ("1mi", 1 << 20),
        ("1G", 1_000_000_000),
        ("1gb", 1 << 30),
        ("1t", 1_000_000_000_000),
        ("1TiB", 1 << 40),
        ("1p", 1_000_000_000_000_000),
        ("1pb", 1 << 50),
        ("1e", 1_000_000_000_000_000_000),
        ("1eib", 1 << 60),
        ("-5", -5),
        ("-2k", -2000),
    ];
    for (text, want) in cases {
        assert_eq!(val(&format!("n: {text}"), "n"), Value::Int(*want), "{text}");
    }
    assert_eq!(val("f: 1.5", "f"), Value::Float(1.5));
    assert_eq!(val("f: -0.25", "f"), Value::Float(-0.25));
    assert!(err("f: .5").contains("Floats must start with a digit"));
    assert!(err("n: 99999999999999999999")
        .contains("integer '99999999999999999999' is out of the range"));
    // A duration unquoted: `2m` is 2,000,000; `30s` a string.
    assert_eq!(val("d: 2m", "d"), Value::Int(2_000_000));
    assert_eq!(val("d: 30s", "d"), Value::String("30s".into()));
}

#[test]
fn booleans_any_case() {
    for (t, b) in [
        ("true", true),
        ("YES", true),
        ("On", true),
        ("false", false),
        ("no", false),
        ("OFF", false),
    ] {
        assert_eq!(val(&format!("b: {t}"), "b"), Value::Bool(b), "{t}");
    }
}

#[test]
fn datetimes() {
    assert_eq!(
        val("d: 2024-01-02T03:04:05Z", "d"),
        Value::DateTime("2024-01-02T03:04:05Z".into())
    );
    assert!(err("d: 2024-01-02").contains("Expected 'T' in ISO8601 datetime"));
    assert!(err("d: 2024-13-02T03:04:05Z").contains("expected Zulu formatted DateTime"));
}

#[test]
fn keys_are_case_insensitive_for_lookup_and_last_wins() {
    let m = parse("Max_Payload: 1MB\nmax_payload: 2MB\n");
    assert_eq!(
        m.get("MAX_PAYLOAD").map(|v| &v.value),
        Some(&Value::Int(2 << 20))
    );
    let m = parse("\"quoted key\": 1\n'single': 2\n");
    assert_eq!(m.get("quoted key").map(|v| &v.value), Some(&Value::Int(1)));
    assert_eq!(m.get("single").map(|v| &v.value), Some(&Value::Int(2)));
}

#[test]
fn variables_from_scope_and_environment() {
    let m = parse("PORTVAR = 14310\nport: $PORTVAR\n");
    assert_eq!(m.get("port").map(|v| &v.value), Some(&Value::Int(14310)));
    assert!(m.get("PORTVAR").is_some_and(|v| v.used_variable));
    // Innermost map first, then outward.
    let m = parse("x = 1\nb { x = 2\n y: $x }\nz: $x\n");
    let Some(Value::Map(b)) = m.get("b").map(|v| v.value.clone()) else {
        panic!()
    };
    assert_eq!(b.get("y").map(|v| &v.value), Some(&Value::Int(2)));
    assert_eq!(m.get("z").map(|v| &v.value), Some(&Value::Int(1)));
    // Environment values are parsed as config values.
    std::env::set_var("JM_TEST_PORT", "4333");
    std::env::set_var("JM_TEST_BOOL", "true");
    std::env::set_var("JM_TEST_STR", "hello world");
    let m = parse("p: $JM_TEST_PORT\nb: $JM_TEST_BOOL\n");
    assert_eq!(m.get("p").map(|v| &v.value), Some(&Value::Int(4333)));
    assert_eq!(m.get("b").map(|v| &v.value), Some(&Value::Bool(true)));
    let e = err("s: $JM_TEST_STR");
    assert!(
        e.contains("variable reference for 'JM_TEST_STR' on line 1 could not be parsed"),
        "{e}"
    );
    // Cycles through the environment.
    std::env::set_var("JM_TEST_CYCLE", "$JM_TEST_CYCLE");
    assert!(err("c: $JM_TEST_CYCLE").contains("variable reference cycle for 'JM_TEST_CYCLE'"));
    // Unknown.
    assert_eq!(
        err("port: $NOPE_JM_NOT_SET"),
        "t.conf:1:7: variable reference for 'NOPE_JM_NOT_SET' on line 1 can not be found"
    );
    // bcrypt hashes are not variables.
    assert_eq!(
        val("p: $2a$11$abc", "p"),
        Value::String("$2a$11$abc".into())
    );
}

#[test]
fn includes_relative_to_the_including_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).expect("mkdir");
    std::fs::write(sub.join("auth.conf"), "user: a\npassword: b\n").expect("write");
    std::fs::write(dir.path().join("js.conf"), "max_file_store: 1G\n").expect("write");
    std::fs::write(
        dir.path().join("main.conf"),
        "port: 1\ninclude ./js.conf\nauthorization {\n  include \"sub/auth.conf\"\n}\n",
    )
    .expect("write");
    let m = jetmirror_config::parse_file(&dir.path().join("main.conf")).expect("parse");
    assert_eq!(
        m.get("max_file_store").map(|v| &v.value),
        Some(&Value::Int(1_000_000_000))
    );
    let Some(Value::Map(a)) = m.get("authorization").map(|v| v.value.clone()) else {
        panic!()
    };
    assert_eq!(
        a.get("user").map(|v| &v.value),
        Some(&Value::String("a".into()))
    );
    // Positions of included values name the included file.
    let inc = m.get("max_file_store").expect("key");
    assert!(inc.file.ends_with("js.conf"), "{}", inc.file);
    assert_eq!(inc.line, 1);

    // Missing include: nats-server's wording.
    std::fs::write(dir.path().join("bad.conf"), "include ./nope.conf\n").expect("write");
    let e = jetmirror_config::parse_file(&dir.path().join("bad.conf")).expect_err("must fail");
    assert!(
        e.to_string()
            .contains("error parsing include file './nope.conf', open "),
        "{e}"
    );
    assert!(
        e.to_string()
            .ends_with("nope.conf: no such file or directory"),
        "{e}"
    );

    // A cycle is cut off instead of recursing forever.
    std::fs::write(dir.path().join("loop.conf"), "include loop.conf\n").expect("write");
    let e = jetmirror_config::parse_file(&dir.path().join("loop.conf")).expect_err("must fail");
    assert!(e.to_string().contains("include cycle?"), "{e}");
}

#[test]
fn error_positions_and_texts() {
    assert_eq!(
        err("a {\n b: 1\n"),
        "t.conf:3:1: Unexpected EOF processing map."
    );
    assert_eq!(
        err("port: 1 x\n"),
        "t.conf:1:9: Expected a top-level value to end with a new line, comment or EOF, but got 'x' instead."
    );
    assert!(err("port\n").contains("config is invalid"));
    assert!(err("= 1").contains("Unexpected key separator '='"));
    assert!(err("a: \n").contains("Expected value but found new line"));
    assert!(err("a { b: 1 c: 2 }")
        .contains("Expected a map value terminator \",\" or a map terminator \"}\""));
    let e = parse_str("a {\n  b: [1\n", "x.conf").expect_err("must fail");
    assert!(matches!(e, ConfigError::Parse { line: 3, .. }), "{e:?}");
}

#[test]
fn positions_follow_nats_server() {
    // Map values carry their key's position; line 1 is 0-based, later lines 1-based.
    let m = parse("port: 1\n  host: h\n");
    let p = m.get("port").expect("port");
    assert_eq!((p.line, p.col), (1, 0));
    let h = m.get("host").expect("host");
    assert_eq!((h.line, h.col), (2, 3));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let text = format!("a: {}", "[".repeat(10_000));
    assert!(err(&text).contains("maximum nesting depth"));
}

#[test]
fn writer_round_trips() {
    let text = r#"
a: 1
b: -2.5
c: "str \" with \\ escapes\n"
d: [1
 2.5
 "x", true, { k: v }, []]
e { f { g: 2024-01-02T03:04:05Z } }
"we'ird": yes
"#;
    let m = parse(text);
    let out = m.to_conf_string();
    let again = parse_str(&out, "t2.conf").expect("re-parse");
    assert!(m.same_tree(&again), "{out}");
}
