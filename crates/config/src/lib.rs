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
//!
//! The server's `main`:
//!
//! ```
//! use jetmirror_config::{parse_args, CliError, Command};
//!
//! # fn main() {
//! # let args = vec!["-p".into(), "4333".into(), "-js".into()];
//! // let args = std::env::args_os().skip(1);
//! match parse_args(args) {
//!     Ok(Command::Run(opts)) => {
//!         opts.log_warnings(); // nats-server's warnings and ignored keys
//!         assert_eq!(opts.port, 4333);
//!         assert!(opts.jetstream.is_some());
//!     }
//!     Ok(Command::TestConfig(opts)) => {
//!         let file = opts.config_file.as_ref().map(|p| p.display().to_string());
//!         eprintln!("nats-server: configuration file {} is valid ({})",
//!             file.unwrap_or_default(), opts.config_digest);
//!     }
//!     Ok(Command::Version | Command::Help | Command::HelpTls) => {}
//!     Ok(Command::Signal { .. }) => {}
//!     // Unknown flag / bad value: nats-server prints the error, then usage, exit 0.
//!     Err(e @ (CliError::UnknownFlag(_) | CliError::InvalidValue { .. })) => eprintln!("{e}"),
//!     // Everything else: "nats-server: <error>" on stderr, exit 1.
//!     Err(e) => eprintln!("nats-server: {e}"),
//! }
//! # }
//! ```
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
