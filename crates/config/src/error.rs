//! Config errors. Display is `<file>:<line>:<col>: <msg>` like nats-server's
//! `configErr` (server/errors.go); columns are nats-server's (see
//! [`crate::Spanned`]).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Syntax error from the lexer/parser (message text as conf/lex.go).
    #[error("{file}:{line}:{col}: {msg}")]
    Parse {
        file: String,
        line: u32,
        col: u32,
        msg: String,
    },
    /// A key has a bad value (type, range, syntax).
    #[error("{file}:{line}:{col}: {msg}")]
    Value {
        file: String,
        line: u32,
        col: u32,
        key: String,
        msg: String,
    },
    /// A key nats-server does not know.
    #[error("{file}:{line}:{col}: unknown field \"{key}\"")]
    UnknownField {
        file: String,
        line: u32,
        col: u32,
        key: String,
    },
    /// Reading a config file failed; Display like Go's `open <path>: <reason>`.
    #[error("open {}: {}", path.display(), go_io_reason(source))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Several semantic errors, as nats-server collects them, one per line.
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Multiple(Vec<ConfigError>),
}

impl ConfigError {
    /// The message without its position.
    pub fn message(&self) -> String {
        match self {
            ConfigError::Parse { msg, .. } | ConfigError::Value { msg, .. } => msg.clone(),
            ConfigError::UnknownField { key, .. } => format!("unknown field \"{key}\""),
            other => other.to_string(),
        }
    }

    /// The line of the (first) error, if it has one.
    pub fn line(&self) -> Option<u32> {
        match self {
            ConfigError::Parse { line, .. }
            | ConfigError::Value { line, .. }
            | ConfigError::UnknownField { line, .. } => Some(*line),
            ConfigError::Multiple(v) => v.first().and_then(ConfigError::line),
            ConfigError::Io { .. } => None,
        }
    }

    /// Every error, flattening [`ConfigError::Multiple`].
    pub fn errors(&self) -> Vec<&ConfigError> {
        match self {
            ConfigError::Multiple(v) => v.iter().flat_map(|e| e.errors()).collect(),
            e => vec![e],
        }
    }
}

/// Go's wording for common IO errors (`no such file or directory`).
pub(crate) fn go_io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "no such file or directory".into(),
        PermissionDenied => "permission denied".into(),
        IsADirectory => "is a directory".into(),
        _ => e.to_string(),
    }
}
