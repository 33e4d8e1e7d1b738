//! Config errors. Display is `<file>:<line>:<col>: <msg>` like nats-server.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Syntax error from the lexer/parser.
    #[error("{file}:{line}:{col}: {msg}")]
    Parse { file: String, line: u32, col: u32, msg: String },
    /// A key has a bad value (type, range, syntax).
    #[error("{file}:{line}:{col}: {msg}")]
    Value { file: String, line: u32, col: u32, key: String, msg: String },
    /// A key nats-server does not know.
    #[error("{file}:{line}:{col}: unknown field \"{key}\"")]
    UnknownField { file: String, line: u32, col: u32, key: String },
    /// Reading a config file failed.
    #[error("open {}: {source}", path.display())]
    Io { path: PathBuf, #[source] source: std::io::Error },
    /// Several semantic errors, as nats-server collects them.
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Multiple(Vec<ConfigError>),
}
