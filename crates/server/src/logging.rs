//! Log output in nats-server's line format, `[PID] 2026/11/23 15:00:00.000000 [INF] message`,
//! so scripts and client test harnesses that read nats-server's log (for example the line
//! `Listening for client connections on HOST:PORT`) work unchanged. Structured fields follow
//! the message as `key=value`.

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

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

/// Installs the global subscriber. `RUST_LOG` overrides the level that `-D`/`-V` select.
pub fn init(debug: bool, trace: bool, logfile: Option<&Path>) -> anyhow::Result<()> {
    let level = if trace {
        "trace"
    } else if debug {
        "debug"
    } else {
        "info"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let format = NatsFormat {
        pid: std::process::id(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .event_format(format);
    match logfile {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?;
            let file = Arc::new(parking_lot::Mutex::new(file));
            builder
                .with_writer(move || LockedFile(file.clone()))
                .try_init()
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        None => builder
            .with_writer(std::io::stderr)
            .try_init()
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    }
    Ok(())
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
