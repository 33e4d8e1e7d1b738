//! nats-server's command line (server/opts.go `ConfigureOptions`, main.go),
//! with Go `flag` package conventions, plus jetmirror's `--upstream`.

use std::ffi::OsString;

use crate::{ConfigError, Options};

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    Run(Box<Options>),
    /// `-v`, `--version`
    Version,
    /// `-h`, `--help`
    Help,
    /// `--help_tls`
    HelpTls,
    /// `-sl`/`--signal ldm|stop|quit|term|reopen|reload[=PID]`
    Signal {
        signal: String,
        pid: Option<String>,
    },
    /// `-t`: the options parsed from `-c` (and flags); the binary prints
    /// `configuration file <file> is valid` (and fails if there are warnings).
    TestConfig(Box<Options>),
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Go's flag package text; nats-server then prints usage.
    #[error("flag provided but not defined: -{0}")]
    UnknownFlag(String),
    #[error("invalid value \"{value}\" for flag -{flag}: {reason}")]
    InvalidValue {
        flag: String,
        value: String,
        reason: String,
    },
    #[error("flag needs an argument: -{0}")]
    MissingValue(String),
    /// An argument that is not valid UTF-8.
    #[error("invalid argument {0:?}")]
    NotUtf8(OsString),
    /// `-t` without `-c`.
    #[error("must specify [-c, --config] option to check configuration file syntax")]
    TestWithoutConfig,
    /// Other semantic problems (`solicited routes require cluster capabilities, e.g. --cluster`).
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// Parse nats-server's command line (without the program name).
pub fn parse_args<I: IntoIterator<Item = OsString>>(args: I) -> Result<Command, CliError> {
    todo!()
}

/// The usage text (main.go `usageStr`, adapted).
pub fn usage() -> &'static str {
    todo!()
}
