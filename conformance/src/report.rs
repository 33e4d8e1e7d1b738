//! Verdicts and the Markdown report (`target/conformance/report.md`): a table of scenario,
//! reference, jetmirror, verdict and a short diff, then every full diff.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::Value;

use crate::exec::Recording;
use crate::scenario::Scenario;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Same observations.
    Pass,
    /// Differs, not listed: fails the suite.
    Fail,
    /// Differs, listed in known-differences with a reason.
    Known,
    /// Listed as a known difference but now the same: remove the entry.
    Fixed,
    /// The reference itself did not do what the scenario expects (or did not start): the
    /// scenario is wrong or the reference is not nats-server 2.15.1. Fails the suite.
    Broken,
    /// Not run, with a reason.
    Skip,
}

pub struct Outcome {
    pub name: String,
    pub description: String,
    pub verdict: Verdict,
    pub reason: String,
    pub reference: String,
    pub candidate: String,
    /// Line diff of the rendered observations (`-` reference, `+` candidate).
    pub diff: Vec<String>,
    pub notes: Vec<String>,
}

fn render(recording: &Recording) -> Vec<String> {
    recording
        .observations
        .iter()
        .map(Value::to_string)
        .collect()
}

fn summary(recording: &Recording) -> String {
    if recording
        .observations
        .first()
        .is_some_and(|o| o.get("setup").is_some())
    {
        return "failed to start".into();
    }
    format!("{} observations", recording.observations.len())
}

/// Pairwise diff of two observation lists (steps line up one to one).
fn diff(reference: &[String], candidate: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for index in 0..reference.len().max(candidate.len()) {
        let (a, b) = (reference.get(index), candidate.get(index));
        if a == b {
            continue;
        }
        if let Some(a) = a {
            out.push(format!("-{a}"));
        }
        if let Some(b) = b {
            out.push(format!("+{b}"));
        }
    }
    out
}

impl Outcome {
    pub fn skipped(scenario: &Scenario, reason: &str) -> Outcome {
        Outcome {
            name: scenario.name.clone(),
            description: scenario.description.clone(),
            verdict: Verdict::Skip,
            reason: reason.to_string(),
            reference: "-".into(),
            candidate: "-".into(),
            diff: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn judge(
        scenario: &Scenario,
        reference: Recording,
        candidate: Recording,
        known_reason: Option<String>,
    ) -> Outcome {
        let (ref_lines, cand_lines) = (render(&reference), render(&candidate));
        let diff = diff(&ref_lines, &cand_lines);
        let ref_failed = reference
            .observations
            .first()
            .is_some_and(|o| o.get("setup").is_some());
        let mut notes: Vec<String> = reference
            .notes
            .iter()
            .map(|n| format!("reference: {n}"))
            .chain(
                reference
                    .unmet
                    .iter()
                    .map(|n| format!("reference unmet: {n}")),
            )
            .chain(candidate.notes.iter().map(|n| format!("candidate: {n}")))
            .collect();
        let (verdict, reason) = if ref_failed || !reference.unmet.is_empty() {
            (
                Verdict::Broken,
                "the reference does not meet the scenario's expectations".to_string(),
            )
        } else if diff.is_empty() {
            match known_reason {
                Some(reason) => (
                    Verdict::Fixed,
                    format!("listed as known ({reason}) but matches"),
                ),
                None => (Verdict::Pass, String::new()),
            }
        } else {
            match known_reason {
                Some(reason) => (Verdict::Known, reason),
                None => (Verdict::Fail, String::new()),
            }
        };
        if verdict == Verdict::Pass {
            notes.clear();
        }
        Outcome {
            name: scenario.name.clone(),
            description: scenario.description.clone(),
            verdict,
            reason,
            reference: summary(&reference),
            candidate: summary(&candidate),
            diff,
            notes,
        }
    }

    pub fn verdict_text(&self) -> &'static str {
        match self.verdict {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::Known => "known",
            Verdict::Fixed => "fixed",
            Verdict::Broken => "BROKEN",
            Verdict::Skip => "skip",
        }
    }

    /// One console line.
    pub fn line(&self) -> String {
        let mut line = format!("{:<6} {}", self.verdict_text(), self.name);
        if !self.reason.is_empty() {
            line.push_str(&format!(" ({})", self.reason));
        }
        if self.verdict == Verdict::Fail {
            if let Some(first) = self.diff.first() {
                line.push_str(&format!("\n         {}", truncate(first, 160)));
            }
        }
        line
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}…")
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub fn markdown(outcomes: &[Outcome], options: &crate::Options, elapsed: Duration) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Conformance report\n");
    let _ = writeln!(
        out,
        "{}; {:.1} s.\n",
        options.describe(),
        elapsed.as_secs_f64()
    );
    let mut counts = std::collections::BTreeMap::new();
    for outcome in outcomes {
        *counts.entry(outcome.verdict_text()).or_insert(0usize) += 1;
    }
    let totals: Vec<String> = counts.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    let _ = writeln!(out, "{}\n", totals.join(", "));
    let _ = writeln!(
        out,
        "| scenario | reference | jetmirror | verdict | diff (short) |"
    );
    let _ = writeln!(out, "| --- | --- | --- | --- | --- |");
    for outcome in outcomes {
        let short = match outcome.verdict {
            Verdict::Skip | Verdict::Known | Verdict::Fixed => outcome.reason.clone(),
            _ => outcome
                .diff
                .first()
                .map(|line| truncate(line, 100))
                .unwrap_or_default(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            cell(&outcome.name),
            cell(&outcome.reference),
            cell(&outcome.candidate),
            outcome.verdict_text(),
            cell(&format!("`{}`", short.replace('`', "'")))
        );
    }
    let _ = writeln!(out, "\n## Diffs\n");
    for outcome in outcomes {
        if outcome.diff.is_empty() && outcome.notes.is_empty() {
            continue;
        }
        let _ = writeln!(out, "### {} ({})\n", outcome.name, outcome.verdict_text());
        if !outcome.description.is_empty() {
            let _ = writeln!(out, "{}\n", outcome.description.trim());
        }
        if !outcome.diff.is_empty() {
            let _ = writeln!(out, "```diff");
            for line in &outcome.diff {
                let _ = writeln!(out, "{line}");
            }
            let _ = writeln!(out, "```\n");
        }
        for note in &outcome.notes {
            let _ = writeln!(out, "- {}", note.replace('\n', "\n  "));
        }
        let _ = writeln!(out);
    }
    out
}
