//! jetmirror-config: nats-server's configuration language, typed options and
//! command-line flags.
//!
//! Parts:
//! - [`value`]: the value tree ([`Value`], [`Spanned`], [`Map`]) and its writer.
//! - [`parse`]: the lexer/parser for the config language (`conf/lex.go`,
//!   `conf/parse.go` in nats-server): [`parse_str`], [`parse_file`].
//! - [`error`]: [`ConfigError`], `file:line:col: msg` like nats-server.
//! - [`options`]: typed [`Options`] with nats-server's defaults, built by
//!   [`Options::from_map`].
//! - [`duration`]: Go's `time.ParseDuration`.
//! - [`digest`]: SHA-256 config digest (`-t` output, `/varz` `config_digest`).
//! - [`cli`]: nats-server's command-line flags, [`parse_args`].
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod cli;
pub mod digest;
pub mod duration;
pub mod error;
mod lex;
pub mod options;
pub mod parse;
mod scalar;
pub mod value;

pub use cli::{parse_args, CliError, Command};
pub use error::ConfigError;
pub use options::*;
pub use parse::{parse_file, parse_str};
pub use value::{Map, Spanned, Value};
