//! The parsed config language: a tree of values, each tagged with the file,
//! line and column it came from, and a writer back to config text.

use std::sync::Arc;

/// A value with its source position (1-based line, column as nats-server
/// reports it). Values stored in a [`Map`] carry the position of their *key*,
/// like nats-server's pedantic parser, because that is where errors point.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub file: Arc<str>,
    pub line: u32,
    pub col: u32,
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

/// A map, in source order. Lookups are case-insensitive like opts.go.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Map(pub Vec<(String, Spanned<Value>)>);

impl Map {
    /// The last entry whose key equals `key` ignoring ASCII case.
    pub fn get(&self, key: &str) -> Option<&Spanned<Value>> {
        todo!()
    }
    /// Serialise back to config text that parses to the same tree.
    pub fn to_conf_string(&self) -> String {
        todo!()
    }
}
