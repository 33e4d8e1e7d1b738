//! Log output in nats-server's line format, `[PID] 2026/11/23 15:00:00.000000 [INF] message`,
//! so scripts and client test harnesses that read nats-server's log (for example the line
//! `Listening for client connections on HOST:PORT`) work unchanged. Structured fields follow
//! the message as `key=value`.
//!
//! The level (`-D`/`-V`, `debug`/`trace`) follows a configuration reload, and the log file
//! is opened again on SIGUSR1 (`--signal reopen`), as nats-server does for log rotation.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

struct NatsFormat {
    pid: u32,
}

impl<S, N> FormatEvent<S, N> for NatsFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let level = match *event.metadata().level() {
            Level::ERROR => "ERR",
            Level::WARN => "WRN",
            Level::INFO => "INF",
            Level::DEBUG => "DBG",
            Level::TRACE => "TRC",
        };
        let now = chrono::Local::now().format("%Y/%m/%d %H:%M:%S%.6f");
        write!(writer, "[{}] {} [{}] ", self.pid, now, level)?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Sets the level filter by name (`info`, `debug`, `trace`).
type SetLevel = Box<dyn Fn(&str) -> anyhow::Result<()> + Send + Sync>;

/// What can change in the installed logger after the start.
struct LogControl {
    /// Swaps the level filter (absent when `RUST_LOG` decides the level).
    level: Option<SetLevel>,
    /// The log file and the handle every write goes through.
    file: Option<(PathBuf, Arc<parking_lot::Mutex<std::fs::File>>)>,
}

static CONTROL: OnceLock<LogControl> = OnceLock::new();

fn level_name(debug: bool, trace: bool) -> &'static str {
    if trace {
        "trace"
    } else if debug {
        "debug"
    } else {
        "info"
    }
}

fn open_log(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
}

/// Installs the global subscriber. `RUST_LOG` overrides the level that `-D`/`-V` select.
pub fn init(debug: bool, trace: bool, logfile: Option<&Path>) -> anyhow::Result<()> {
    let from_env = EnvFilter::try_from_default_env().ok();
    let fixed = from_env.is_some();
    let filter = from_env.unwrap_or_else(|| EnvFilter::new(level_name(debug, trace)));
    let format = NatsFormat {
        pid: std::process::id(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .event_format(format);
    // The writer is chosen before the filter becomes reloadable: the reload handle's type
    // names the finished subscriber.
    macro_rules! install {
        ($builder:expr) => {{
            let builder = $builder.with_filter_reloading();
            let handle = builder.reload_handle();
            builder.try_init().map_err(|e| anyhow::anyhow!("{e}"))?;
            let level: Option<Box<dyn Fn(&str) -> anyhow::Result<()> + Send + Sync>> = if fixed {
                None
            } else {
                Some(Box::new(move |lvl: &str| {
                    handle
                        .reload(EnvFilter::new(lvl))
                        .map_err(|e| anyhow::anyhow!("{e}"))
                }))
            };
            level
        }};
    }
    let (level, file) = match logfile {
        Some(path) => {
            let file = Arc::new(parking_lot::Mutex::new(open_log(path)?));
            let writer = file.clone();
            let level = install!(builder.with_writer(move || LockedFile(writer.clone())));
            (level, Some((path.to_path_buf(), file)))
        }
        None => (install!(builder.with_writer(std::io::stderr)), None),
    };
    let _ = CONTROL.set(LogControl { level, file });
    Ok(())
}

/// Applies the `debug`/`trace` options of a reloaded configuration (kept when `RUST_LOG`
/// sets the level).
pub fn set_level(debug: bool, trace: bool) {
    let Some(set) = CONTROL.get().and_then(|c| c.level.as_ref()) else {
        return;
    };
    if let Err(e) = set(level_name(debug, trace)) {
        tracing::error!("log level reload failed: {e}");
    }
}

/// SIGUSR1: opens the log file again (after a rotation moved it away), with nats-server's
/// notices.
pub fn reopen() {
    match CONTROL.get().and_then(|c| c.file.as_ref()) {
        None => tracing::info!("File log re-open ignored, not a file logger"),
        Some((path, file)) => match open_log(path) {
            Ok(f) => {
                *file.lock() = f;
                tracing::info!("File log re-opened");
            }
            Err(e) => tracing::error!("File log re-open failed for {}: {e}", path.display()),
        },
    }
}

struct LockedFile(Arc<parking_lot::Mutex<std::fs::File>>);

impl Write for LockedFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.lock().flush()
    }
}
