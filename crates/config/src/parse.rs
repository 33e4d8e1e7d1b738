//! The config language parser (nats-server conf/lex.go + conf/parse.go).

use std::path::Path;

use crate::{ConfigError, Map};

/// Parse config text. `origin` names the file in errors; includes resolve
/// relative to its directory.
pub fn parse_str(text: &str, origin: &str) -> Result<Map, ConfigError> {
    todo!()
}

/// Read and parse a config file.
pub fn parse_file(path: &Path) -> Result<Map, ConfigError> {
    todo!()
}
