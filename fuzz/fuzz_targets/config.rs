//! Fuzz the config language: arbitrary text through `parse_str` and
//! `Options::from_map` must never panic, every error must point at a line
//! inside the input, and a parsed tree written back with `to_conf_string`
//! must parse to the same tree.
#![no_main]

use jetmirror_config::{parse_str, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Variables fall back to the environment and `include` reads files; keep
    // the input hermetic by refusing includes.
    if text.to_ascii_lowercase().contains("include") {
        return;
    }
    let lines = text.matches('\n').count() as u32 + 1;
    match parse_str(&text, "fuzz.conf") {
        Err(e) => {
            if let Some(line) = e.line() {
                assert!(line <= lines + 1, "error line {line} beyond input ({lines} lines): {e}");
            }
        }
        Ok(map) => {
            let written = map.to_conf_string();
            let keys_ok = map_keys_writable(&map);
            match parse_str(&written, "fuzz.conf") {
                Ok(again) => {
                    if keys_ok {
                        assert!(map.same_tree(&again), "round trip changed tree:\n{written}");
                    }
                }
                Err(e) => assert!(!keys_ok, "writer output does not parse: {e}\n{written}"),
            }
            if let Err(e) = Options::from_map(&map) {
                for err in e.errors() {
                    if let Some(line) = err.line() {
                        assert!(line <= lines + 1, "error line {line} beyond input: {err}");
                    }
                }
            }
        }
    }
});

fn map_keys_writable(m: &jetmirror_config::Map) -> bool {
    m.iter().all(|(k, v)| !(k.contains('"') && k.contains('\'')) && value_keys_writable(&v.value))
}

fn value_keys_writable(v: &jetmirror_config::Value) -> bool {
    match v {
        jetmirror_config::Value::Map(m) => map_keys_writable(m),
        jetmirror_config::Value::Array(a) => a.iter().all(|e| value_keys_writable(&e.value)),
        _ => true,
    }
}
