//! jetmirror-conformance: runs every scenario in `conformance/scenarios/` against a
//! reference nats-server and a candidate (jetmirror, or another nats-server to prove the
//! suite deterministic), diffs what the clients observed, and writes a Markdown report.
//!
//! Parts: `scenario` (file format), `exec` (running one scenario on one target),
//! `normalize` (volatile values), `known` (listed differences), `report` (Markdown).
//!
//! Usage: `jetmirror-conformance [--reference PATH] [--candidate PATH]
//! [--candidate-kind jetmirror|nats-server] [--filter SUBSTR] [--report PATH]
//! [--scenarios DIR] [--known FILE] [--jobs N]`. Every recording is also written, one
//! observation a line, to `<report dir>/recordings/<scenario>.{reference,candidate}.jsonl`.
//! Exit code 1 on an unlisted difference or a
//! broken scenario; the last line is `N passed, M failed[, K skipped]`.

mod exec;
mod known;
mod normalize;
mod report;
mod scenario;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use jetmirror_testkit::{try_nats_server_bin, workspace_root, Kind};
use tokio::sync::Semaphore;

use crate::exec::Target;
use crate::report::{Outcome, Verdict};

struct Options {
    reference: PathBuf,
    candidate: PathBuf,
    candidate_kind: Kind,
    filter: Option<String>,
    report: PathBuf,
    scenarios: PathBuf,
    known: PathBuf,
    jobs: usize,
}

fn parse_args() -> Result<Options> {
    let root = workspace_root();
    let mut options = Options {
        reference: try_nats_server_bin().unwrap_or_else(|| root.join(".venv/bin/nats-server")),
        candidate: root.join("target/debug/jetmirror"),
        candidate_kind: Kind::Jetmirror,
        filter: None,
        report: root.join("target/conformance/report.md"),
        scenarios: root.join("conformance/scenarios"),
        known: root.join("conformance/known-differences.yaml"),
        jobs: 3,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| anyhow!("{arg} needs a value"));
        match arg.as_str() {
            "--reference" => options.reference = value()?.into(),
            "--candidate" => options.candidate = value()?.into(),
            "--candidate-kind" => {
                options.candidate_kind = match value()?.as_str() {
                    "jetmirror" => Kind::Jetmirror,
                    "nats-server" => Kind::NatsServer,
                    other => bail!("--candidate-kind: jetmirror or nats-server, not {other:?}"),
                }
            }
            "--filter" => options.filter = Some(value()?),
            "--report" => options.report = value()?.into(),
            "--scenarios" => options.scenarios = value()?.into(),
            "--known" => options.known = value()?.into(),
            "--jobs" => options.jobs = value()?.parse().context("--jobs")?,
            "-h" | "--help" => {
                println!(
                    "jetmirror-conformance [--reference PATH] [--candidate PATH] \
                     [--candidate-kind jetmirror|nats-server] [--filter SUBSTR] \
                     [--report PATH] [--scenarios DIR] [--known FILE] [--jobs N]"
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?} (see --help)"),
        }
    }
    options.jobs = options.jobs.max(1);
    Ok(options)
}

#[tokio::main]
async fn main() {
    // On Ctrl-C or SIGTERM no destructor runs: kill the servers we started, then exit.
    tokio::spawn(async {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return,
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        jetmirror_testkit::kill_all_servers();
        eprintln!("jetmirror-conformance: interrupted; servers killed");
        std::process::exit(130);
    });
    match run().await {
        Ok(clean) => std::process::exit(if clean { 0 } else { 1 }),
        Err(err) => {
            eprintln!("jetmirror-conformance: {err:#}");
            std::process::exit(2);
        }
    }
}

async fn run() -> Result<bool> {
    let options = parse_args()?;
    if !options.reference.is_file() {
        bail!(
            "reference nats-server {} not found (run scripts/setup-nats-server or pass --reference)",
            options.reference.display()
        );
    }
    let known = if options.candidate_kind == Kind::NatsServer {
        // Self-check (nats-server against nats-server): known differences of jetmirror do not
        // apply; every scenario must match.
        println!("candidate is nats-server: known differences not applied (self-check)");
        known::Known::empty()
    } else {
        known::Known::load(&options.known)?
    };
    let mut scenarios = scenario::load_all(&options.scenarios)?;
    if let Some(filter) = &options.filter {
        scenarios.retain(|s| s.name.contains(filter.as_str()));
    }
    let reference = Target {
        kind: Kind::NatsServer,
        bin: options.reference.clone(),
        hub_bin: options.reference.clone(),
    };
    let candidate = Target {
        kind: options.candidate_kind,
        bin: options.candidate.clone(),
        hub_bin: options.reference.clone(),
    };
    println!(
        "conformance: {} scenarios; reference {} ; candidate {} ({:?})",
        scenarios.len(),
        options.reference.display(),
        options.candidate.display(),
        options.candidate_kind
    );

    let started = std::time::Instant::now();
    let semaphore = Arc::new(Semaphore::new(options.jobs));
    let mut tasks = Vec::new();
    for scenario in scenarios {
        let scenario = Arc::new(scenario);
        let reason = known.reason(&scenario.name).map(str::to_string);
        let (reference, candidate, semaphore) =
            (reference.clone(), candidate.clone(), semaphore.clone());
        let recordings = options.report.parent().map(|dir| dir.join("recordings"));
        tasks.push(tokio::spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            let outcome = run_one(scenario, reference, candidate, reason, recordings).await;
            println!("{}", outcome.line());
            outcome
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.map_err(|err| anyhow!("scenario task: {err}"))?);
    }
    outcomes.sort_by(|a, b| a.name.cmp(&b.name));

    let markdown = report::markdown(&outcomes, &options, started.elapsed());
    if let Some(dir) = options.report.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&options.report, markdown)
        .with_context(|| format!("writing {}", options.report.display()))?;

    let count = |verdicts: &[Verdict]| {
        outcomes
            .iter()
            .filter(|o| verdicts.contains(&o.verdict))
            .count()
    };
    let passed = count(&[Verdict::Pass, Verdict::Fixed]);
    let failed = count(&[Verdict::Fail, Verdict::Broken]);
    let known_count = count(&[Verdict::Known]);
    let skipped = count(&[Verdict::Skip]) + known_count;
    let fixed = count(&[Verdict::Fixed]);
    println!(
        "report: {} ({:.1} s)",
        options.report.display(),
        started.elapsed().as_secs_f64()
    );
    if known_count > 0 {
        println!(
            "{known_count} known differences (counted as skipped; see {})",
            options.known.display()
        );
    }
    if fixed > 0 {
        println!("{fixed} listed differences now match: remove them from the list");
    }
    if skipped > 0 {
        println!("{passed} passed, {failed} failed, {skipped} skipped");
    } else {
        println!("{passed} passed, {failed} failed");
    }
    Ok(failed == 0)
}

async fn run_one(
    scenario: Arc<scenario::Scenario>,
    reference: Target,
    candidate: Target,
    known_reason: Option<String>,
    recordings: Option<PathBuf>,
) -> Outcome {
    if let Some(reason) = &scenario.skip {
        return Outcome::skipped(&scenario, reason);
    }
    if scenario.topology == scenario::Topology::Cluster {
        return Outcome::skipped(&scenario, "cluster topology not built yet");
    }
    let ref_recording = exec::run(scenario.clone(), reference).await;
    let cand_recording = exec::run(scenario.clone(), candidate).await;
    if let Some(dir) = &recordings {
        for (label, recording) in [
            ("reference", &ref_recording),
            ("candidate", &cand_recording),
        ] {
            let path = dir.join(format!("{}.{label}.jsonl", scenario.name));
            let text: String = recording
                .observations
                .iter()
                .map(|o| format!("{o}\n"))
                .collect();
            let written = path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(&path, text));
            if let Err(err) = written {
                eprintln!("cannot write {}: {err}", path.display());
            }
        }
    }
    Outcome::judge(&scenario, ref_recording, cand_recording, known_reason)
}

impl Options {
    pub fn describe(&self) -> String {
        format!(
            "reference `{}`, candidate `{}` ({:?})",
            self.reference.display(),
            self.candidate.display(),
            self.candidate_kind
        )
    }
}
