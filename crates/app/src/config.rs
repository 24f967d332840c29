//! Local rules set by configuration, not by code: the `safeguard.toml` file (`--config` or
//! `SAFEGUARD_CONFIG`), parsed into typed, validated settings. A bad file is refused with the
//! key and value at fault; no file means the documented defaults (`docs/operating.md`).
//!
//! ```toml
//! # Red, amber and green targets at the front door, in hours since the referral arrived.
//! [front_door.immediate]
//! green_hours = 1
//! amber_hours = 2
//! [front_door.urgent]
//! green_hours = 4
//! amber_hours = 8
//! [front_door.standard]
//! green_hours = 8
//! amber_hours = 24
//! ```

use safeguard_domain::Urgency;
use safeguard_domain::rag::{RagTarget, RagTargetError, RagTargets};
use serde::Deserialize;

/// Why a configuration file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not TOML, or a key that is not known, or a value of the wrong kind. The message names
    /// the line, the key and what was expected.
    #[error("{0}")]
    Syntax(String),
    /// A value that parses but cannot work (amber before green, say).
    #[error("{0}")]
    Invalid(#[from] RagTargetError),
}

/// The local rules in force.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LocalRules {
    /// Front-door RAG targets by urgency.
    pub rag: RagTargets,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    front_door: FrontDoor,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontDoor {
    immediate: Option<Target>,
    urgent: Option<Target>,
    standard: Option<Target>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Target {
    green_hours: u32,
    amber_hours: u32,
}

fn target(u: Urgency, given: Option<Target>, default: RagTarget) -> Result<RagTarget, ConfigError> {
    match given {
        None => Ok(default),
        Some(t) => Ok(RagTarget::new(u, t.green_hours, t.amber_hours)?),
    }
}

impl LocalRules {
    /// Parses and checks a `safeguard.toml`. An urgency left out keeps its default.
    pub fn from_toml(text: &str) -> Result<LocalRules, ConfigError> {
        let file: File = toml::from_str(text).map_err(|e| ConfigError::Syntax(e.to_string()))?;
        let d = RagTargets::default();
        let f = file.front_door;
        Ok(LocalRules {
            rag: RagTargets {
                immediate: target(Urgency::Immediate, f.immediate, d.immediate)?,
                urgent: target(Urgency::Urgent, f.urgent, d.urgent)?,
                standard: target(Urgency::Standard, f.standard, d.standard)?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_file_sets_targets_and_leaves_the_rest_at_their_defaults() {
        let rules =
            LocalRules::from_toml("[front_door.urgent]\ngreen_hours = 2\namber_hours = 6\n")
                .unwrap();
        assert_eq!(
            rules.rag.urgent,
            RagTarget {
                green_hours: 2,
                amber_hours: 6
            }
        );
        assert_eq!(rules.rag.standard, RagTargets::default().standard);
        assert_eq!(LocalRules::from_toml("").unwrap(), LocalRules::default());
    }

    #[test]
    fn bad_files_name_the_key() {
        let e = LocalRules::from_toml("[front_door.urgent]\ngren_hours = 2\namber_hours = 6\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("gren_hours"), "{e}");
        let e = LocalRules::from_toml("[front_door.standard]\ngreen_hours = 8\namber_hours = 4\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("front_door.standard.amber_hours"), "{e}");
        let e = LocalRules::from_toml(
            "[front_door.immediate]\ngreen_hours = \"soon\"\namber_hours = 2\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("green_hours"), "{e}");
        let e = LocalRules::from_toml("[front_dor]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("front_dor"), "{e}");
    }
}
