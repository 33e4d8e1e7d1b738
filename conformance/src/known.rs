//! Known differences: `conformance/known-differences.yaml`, a map from a scenario name (or
//! an area prefix ending in `/`) to the reason jetmirror differs there. A difference is only
//! tolerated when listed with a non-empty reason; a listed scenario that now matches is
//! reported as fixed so the entry can be removed.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};

pub struct Known {
    entries: BTreeMap<String, String>,
}

impl Known {
    /// No entries.
    pub fn empty() -> Known {
        Known {
            entries: BTreeMap::new(),
        }
    }

    pub fn load(path: &Path) -> Result<Known> {
        let entries: BTreeMap<String, String> = if path.exists() {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            serde_yaml::from_str::<Option<BTreeMap<String, String>>>(&text)
                .with_context(|| format!("parsing {}", path.display()))?
                .unwrap_or_default()
        } else {
            BTreeMap::new()
        };
        for (name, reason) in &entries {
            if reason.trim().is_empty() {
                bail!("{}: entry {name:?} has no reason", path.display());
            }
        }
        Ok(Known { entries })
    }

    /// The reason a scenario may differ: its own entry, else its area's (`core/`).
    pub fn reason(&self, scenario: &str) -> Option<&str> {
        if let Some(reason) = self.entries.get(scenario) {
            return Some(reason);
        }
        self.entries
            .iter()
            .filter(|(key, _)| key.ends_with('/') && scenario.starts_with(key.as_str()))
            .max_by_key(|(key, _)| key.len())
            .map(|(_, reason)| reason.as_str())
    }
}
