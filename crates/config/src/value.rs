//! The parsed config language: a tree of values, each tagged with the file,
//! line and column it came from, and a writer back to config text
//! ([`Map::to_conf_string`]) that parses to the same tree.

use std::fmt::Write as _;
use std::sync::Arc;

/// A value with its source position: `line` is 1-based, `col` is what
/// nats-server prints (byte offset from the previous newline: 0-based on line
/// 1, 1-based after). Values stored in a [`Map`] carry the position of their
/// *key*, like nats-server's pedantic parser, because that is where errors
/// point; array elements carry their own.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub file: Arc<str>,
    pub line: u32,
    pub col: u32,
    /// This entry was referenced as `$NAME` later on; nats-server does not
    /// report such keys as unknown fields.
    pub used_variable: bool,
}

impl<T> Spanned<T> {
    pub fn new(value: T, file: Arc<str>, line: u32, col: u32) -> Self {
        Spanned {
            value,
            file,
            line,
            col,
            used_variable: false,
        }
    }
}

/// One config value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Map(Map),
    Array(Vec<Spanned<Value>>),
    String(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// `2024-01-02T03:04:05Z`, kept as written.
    DateTime(String),
}

/// A map in source order. Keys are unique as written (a repeated key replaces
/// the earlier entry: last wins, as in nats-server's Go map); [`Map::get`] is
/// case-insensitive like opts.go's `strings.ToLower`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Map(pub Vec<(String, Spanned<Value>)>);

impl Value {
    /// Short type name for error messages (Go's names, as nats-server prints them).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Map(_) => "map[string]interface {}",
            Value::Array(_) => "[]interface {}",
            Value::String(_) => "string",
            Value::Int(_) => "int64",
            Value::Float(_) => "float64",
            Value::Bool(_) => "bool",
            Value::DateTime(_) => "time.Time",
        }
    }

    /// Structural equality that ignores source positions.
    pub fn same_tree(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Map(a), Value::Map(b)) => a.same_tree(b),
            (Value::Array(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.value.same_tree(&y.value))
            }
            (a, b) => a == b,
        }
    }
}

impl Map {
    /// The last entry whose key equals `key` ignoring ASCII case.
    pub fn get(&self, key: &str) -> Option<&Spanned<Value>> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }

    /// Set `key` (exact spelling), replacing an entry with the same key.
    pub fn insert(&mut self, key: String, value: Spanned<Value>) {
        self.0.retain(|(k, _)| *k != key);
        self.0.push((key, value));
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Spanned<Value>)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Structural equality that ignores source positions.
    pub fn same_tree(&self, other: &Map) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(&other.0)
                .all(|((ka, va), (kb, vb))| ka == kb && va.value.same_tree(&vb.value))
    }

    /// Serialise back to config text that parses to the same tree. Keys are
    /// always quoted; a key containing both `"` and `'` cannot be written
    /// (the language has no key escapes) and comes out double-quoted with the
    /// `"` dropped. Non-finite floats are written as strings.
    pub fn to_conf_string(&self) -> String {
        let mut out = String::new();
        write_map_body(&mut out, self, 0);
        out
    }
}

impl Map {
    /// The JSON nats-server hashes for its config digest (`-t` output
    /// `sha256:<hex>` and `/varz` `config_digest`): Go's `encoding/json` of the
    /// parsed map — keys sorted, HTML characters escaped, a trailing newline.
    /// The caller computes SHA-256 over these bytes.
    pub fn to_go_json(&self) -> String {
        let mut out = String::new();
        go_json_map(&mut out, self);
        out.push('\n');
        out
    }
}

fn go_json_map(out: &mut String, m: &Map) {
    let mut entries: Vec<&(String, Spanned<Value>)> = m.0.iter().collect();
    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    out.push('{');
    for (i, (k, v)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        go_json_string(out, k);
        out.push(':');
        go_json_value(out, &v.value);
    }
    out.push('}');
}

fn go_json_value(out: &mut String, v: &Value) {
    match v {
        Value::Map(m) => go_json_map(out, m),
        Value::Array(a) => {
            out.push('[');
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json_value(out, &e.value);
            }
            out.push(']');
        }
        Value::String(s) | Value::DateTime(s) => go_json_string(out, s),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => {
            let abs = f.abs();
            if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
                let e = format!("{f:e}");
                match e.split_once('e') {
                    Some((mant, exp)) if !exp.starts_with('-') => {
                        let _ = write!(out, "{mant}e+{exp}");
                    }
                    _ => out.push_str(&e),
                }
            } else {
                let _ = write!(out, "{f}");
            }
        }
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
    }
}

fn go_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn write_key(out: &mut String, key: &str) {
    if !key.contains('"') {
        let _ = write!(out, "\"{key}\"");
    } else if !key.contains('\'') {
        let _ = write!(out, "'{key}'");
    } else {
        let _ = write!(out, "\"{}\"", key.replace('"', ""));
    }
}

fn write_map_body(out: &mut String, map: &Map, depth: usize) {
    for (k, v) in &map.0 {
        indent(out, depth);
        write_key(out, k);
        out.push_str(": ");
        write_value(out, &v.value, depth);
        out.push('\n');
    }
}

/// A double-quoted string: only `\\`, `"` and NUL (which the lexer reads as
/// end of input) need escaping; newlines are escaped for readability.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\x00"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn write_value(out: &mut String, v: &Value, depth: usize) {
    match v {
        Value::Map(m) => {
            out.push_str("{\n");
            write_map_body(out, m, depth + 1);
            indent(out, depth);
            out.push('}');
        }
        Value::Array(a) => {
            // One element per line: the lexer reads `2]` as the string "2]".
            out.push_str("[\n");
            for e in a {
                indent(out, depth + 1);
                write_value(out, &e.value, depth + 1);
                out.push('\n');
            }
            indent(out, depth);
            out.push(']');
        }
        Value::String(s) => out.push_str(&quote(s)),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) if f.is_finite() => {
            // Display never uses an exponent, which the lexer does not know.
            let s = format!("{f}");
            out.push_str(&s);
            if !s.contains('.') {
                out.push_str(".0");
            }
        }
        Value::Float(f) => out.push_str(&quote(&f.to_string())),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::DateTime(d) => out.push_str(d),
    }
}
