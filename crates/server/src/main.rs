//! The `jetmirror` binary: nats-server's command line, the embedded default configuration,
//! logging, pid and ports files, and signal handling around a [`jetmirror::Server`].

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use jetmirror::Server;
use jetmirror_config::{parse_args, CliError, Command, Options};
use tracing::{error, info, warn};

/// Used when the binary is started with no arguments at all.
const DEFAULT_CONFIG: &str = include_str!("default.conf");

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let args_for_reload = args.clone();
    let command = if args.is_empty() {
        default_options().map(|o| Command::Run(Box::new(o)))
    } else {
        parse_args(args)
    };
    let command = match command {
        Ok(c) => c,
        // As nats-server 2.15.1: a bad flag prints the error on stderr, then a blank line
        // and the usage on stdout, and exits 0.
        Err(e @ (CliError::UnknownFlag(_) | CliError::InvalidValue { .. })) => {
            eprintln!("{e}");
            println!();
            println!("{}", jetmirror_config::cli::usage());
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("jetmirror: {e}");
            return ExitCode::from(1);
        }
    };
    match command {
        Command::Version => {
            println!(
                "jetmirror: v{} (nats-server v{} compatible)",
                env!("CARGO_PKG_VERSION"),
                jetmirror::info::COMPAT_VERSION
            );
            ExitCode::SUCCESS
        }
        Command::Help | Command::HelpTls => {
            println!("{}", jetmirror_config::cli::usage());
            ExitCode::SUCCESS
        }
        Command::Signal { signal, pid } => send_signal(&signal, pid.as_deref()),
        Command::TestConfig(opts) => {
            for w in &opts.warnings {
                eprintln!("{w}");
            }
            let file = opts
                .config_file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            if opts.warnings.is_empty() {
                println!("jetmirror: configuration file {file} is valid");
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Command::Run(opts) => run(*opts, args_for_reload),
    }
}

fn default_options() -> Result<Options, CliError> {
    let map = jetmirror_config::parse_str(DEFAULT_CONFIG, "<embedded default>")?;
    Ok(Options::from_map(&map)?)
}

fn run(opts: Options, args: Vec<OsString>) -> ExitCode {
    if let Err(e) = opts.validate() {
        eprintln!("jetmirror: {e}");
        return ExitCode::from(1);
    }
    if let Err(e) = jetmirror::logging::init(opts.debug, opts.trace, opts.logfile.as_deref()) {
        eprintln!("jetmirror: cannot set up logging: {e}");
        return ExitCode::from(1);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            error!("cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async move {
        info!(
            "Starting jetmirror {} (nats-server {} compatible)",
            env!("CARGO_PKG_VERSION"),
            jetmirror::info::COMPAT_VERSION
        );
        info!("  Version:  {}", jetmirror::info::COMPAT_VERSION);
        if let Some(file) = &opts.config_file {
            info!("Using configuration file: {}", file.display());
        }
        for w in opts.warnings.iter().chain(&opts.unsupported) {
            warn!("{w}");
        }
        if let Some(js) = &opts.jetstream {
            if let Some(dir) = &js.store_dir {
                if let Err(e) = std::fs::create_dir_all(dir) {
                    error!(
                        "cannot create the JetStream store directory {}: {e}",
                        dir.display()
                    );
                    return ExitCode::from(1);
                }
            }
        }
        let pid_file = opts.pid_file.clone();
        let ports_dir = opts.ports_file_dir.clone();
        // As nats-server: the pid file exists before the listeners (harnesses read it once
        // the listening line is logged).
        if let Some(p) = &pid_file {
            if let Err(e) = std::fs::write(p, std::process::id().to_string()) {
                error!("cannot write the pid file {}: {e}", p.display());
            }
        }
        let handle = match Server::start(opts).await {
            Ok(h) => h,
            Err(e) => {
                error!("{e:#}");
                if let Some(p) = &pid_file {
                    let _ = std::fs::remove_file(p);
                }
                return ExitCode::from(1);
            }
        };
        if let Some(dir) = &ports_dir {
            write_ports_file(dir, &handle);
        }
        match wait_for_signal(&handle, &args).await {
            Stop::Shutdown => {
                info!("Initiating Shutdown...");
                handle.shutdown().await;
            }
            Stop::LameDuck => handle.lame_duck().await,
        }
        if let Some(p) = &pid_file {
            let _ = std::fs::remove_file(p);
        }
        info!("Server Exiting..");
        ExitCode::SUCCESS
    })
}

/// Writes `<dir>/jetmirror_<pid>.ports` as nats-server does (`--ports_file_dir`).
fn write_ports_file(dir: &Path, handle: &jetmirror::ServerHandle) {
    let client = handle.client_addr();
    let mut doc = serde_json::json!({
        "nats": [format!("nats://{}:{}", client.ip(), client.port())],
    });
    let monitoring = match (handle.http_addr(), handle.state.https_addr()) {
        (Some(http), _) => Some(format!("http://{}:{}", http.ip(), http.port())),
        (None, Some(https)) => Some(format!("https://{}:{}", https.ip(), https.port())),
        (None, None) => None,
    };
    if let (Some(url), serde_json::Value::Object(m)) = (monitoring, &mut doc) {
        m.insert("monitoring".into(), serde_json::json!([url]));
    }
    let path = dir.join(format!("jetmirror_{}.ports", std::process::id()));
    if let Err(e) = std::fs::write(&path, doc.to_string()) {
        error!("cannot write the ports file {}: {e}", path.display());
    }
}

enum Stop {
    Shutdown,
    LameDuck,
}

/// Serves signals until one stops the node: SIGINT/SIGTERM stop it, SIGUSR2 enters lame
/// duck mode, SIGHUP reloads the configuration (same command line, files read again; the
/// log level follows), SIGUSR1 opens the log file again.
async fn wait_for_signal(handle: &jetmirror::ServerHandle, args: &[OsString]) -> Stop {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int), Ok(mut usr1), Ok(mut usr2), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::user_defined1()),
        signal(SignalKind::user_defined2()),
        signal(SignalKind::hangup()),
    ) else {
        let _ = tokio::signal::ctrl_c().await;
        return Stop::Shutdown;
    };
    loop {
        tokio::select! {
            _ = term.recv() => {
                info!("Trapped \"terminated\" signal");
                return Stop::Shutdown;
            }
            _ = int.recv() => {
                info!("Trapped \"interrupt\" signal");
                return Stop::Shutdown;
            }
            _ = usr1.recv() => jetmirror::logging::reopen(),
            _ = usr2.recv() => return Stop::LameDuck,
            _ = hup.recv() => {
                let reloaded = if args.is_empty() {
                    default_options()
                } else {
                    parse_args(args.to_vec()).and_then(|c| match c {
                        Command::Run(o) => Ok(*o),
                        _ => Err(CliError::Invalid("unexpected command on reload".into())),
                    })
                };
                match reloaded {
                    Ok(opts) if opts.validate().is_err() => {
                        error!("config reload failed: {}", opts.validate().err().unwrap_or_default());
                    }
                    Ok(opts) => {
                        jetmirror::logging::set_level(opts.debug, opts.trace);
                        handle.reload(opts);
                    }
                    Err(e) => error!("config reload failed: {e}"),
                }
            }
        }
    }
}

/// `--signal CMD[=PID]`: sends the matching Unix signal to a running jetmirror, as
/// nats-server's binary does for nats-server processes.
fn send_signal(command: &str, pid: Option<&str>) -> ExitCode {
    let sig = match command {
        "stop" => libc::SIGKILL,
        "quit" => libc::SIGINT,
        "term" => libc::SIGTERM,
        "reopen" => libc::SIGUSR1,
        "reload" => libc::SIGHUP,
        "ldm" => libc::SIGUSR2,
        other => {
            eprintln!("unknown signal \"{other}\"");
            return ExitCode::from(1);
        }
    };
    let pids: Vec<i32> = match pid {
        Some(p) => match p.trim().parse::<i32>() {
            Ok(n) => vec![n],
            Err(_) => match std::fs::read_to_string(p)
                .ok()
                .and_then(|s| s.trim().parse::<i32>().ok())
            {
                Some(n) => vec![n],
                None => {
                    eprintln!("invalid pid or pid file: {p}");
                    return ExitCode::from(1);
                }
            },
        },
        None => find_jetmirror_processes(),
    };
    match pids.as_slice() {
        [] => {
            eprintln!("no jetmirror processes running");
            ExitCode::from(1)
        }
        [one] => {
            // SAFETY: kill(2) with a pid and a signal number has no memory-safety preconditions.
            let rc = unsafe { libc::kill(*one, sig) };
            if rc == 0 {
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "cannot signal process {one}: {}",
                    std::io::Error::last_os_error()
                );
                ExitCode::from(1)
            }
        }
        many => {
            let list: Vec<String> = many.iter().map(|p| p.to_string()).collect();
            eprintln!("multiple jetmirror processes running:\n{}", list.join("\n"));
            ExitCode::from(1)
        }
    }
}

fn find_jetmirror_processes() -> Vec<i32> {
    let me = std::process::id() as i32;
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()))
        .filter(|pid| *pid != me)
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .map(|c| c.trim() == "jetmirror")
                .unwrap_or(false)
        })
        .collect()
}
