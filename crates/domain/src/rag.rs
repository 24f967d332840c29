//! Local red, amber and green targets at the front door: how long a referral of each urgency may
//! wait for its decision before it turns amber, then red.
//!
//! The statutory limit is T1, one working day (spec §1.2); partnerships add their own tighter
//! targets by urgency, in hours. These are local rules, set by configuration (the `[front_door]`
//! table of `safeguard.toml`, see `docs/operating.md`), never by code: [`RagTargets::default`]
//! is only what applies when none is configured.

use jiff::Timestamp;

use crate::coded::coded_enum;
use crate::codes::Urgency;

coded_enum! {
    /// Where a waiting referral stands against the local targets.
    Rag, "RAG status" {
        /// Within the green target.
        Green => "green", "Green";
        /// Past green, within amber.
        Amber => "amber", "Amber";
        /// Past amber.
        Red => "red", "Red";
    }
}

/// The targets for one urgency, in whole hours since the referral was received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RagTarget {
    /// Green while waiting at most this many hours.
    pub green_hours: u32,
    /// Amber while waiting at most this many hours; red after.
    pub amber_hours: u32,
}

/// A target that cannot work, with the key it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct RagTargetError {
    /// The configuration key, e.g. `front_door.urgent.amber_hours`.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl RagTarget {
    /// Checks a target: both above zero, green before amber, amber within a week.
    pub fn new(
        urgency: Urgency,
        green_hours: u32,
        amber_hours: u32,
    ) -> Result<Self, RagTargetError> {
        let key = |k: &str| format!("front_door.{}.{k}", urgency.code());
        if green_hours == 0 {
            return Err(RagTargetError {
                key: key("green_hours"),
                message: "must be at least 1 hour".into(),
            });
        }
        if amber_hours <= green_hours {
            return Err(RagTargetError {
                key: key("amber_hours"),
                message: format!(
                    "must be more than green_hours ({green_hours}), got {amber_hours}"
                ),
            });
        }
        if amber_hours > 168 {
            return Err(RagTargetError {
                key: key("amber_hours"),
                message: format!("must be at most 168 hours (a week), got {amber_hours}"),
            });
        }
        Ok(Self {
            green_hours,
            amber_hours,
        })
    }
}

/// The targets for every urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RagTargets {
    /// Immediate danger.
    pub immediate: RagTarget,
    /// Urgent: a decision today.
    pub urgent: RagTarget,
    /// Standard: within T1.
    pub standard: RagTarget,
}

impl Default for RagTargets {
    /// The default when nothing is configured: immediate green within 1 hour, amber within 2;
    /// urgent 4 and 8; standard 8 and 24 (T1 is one working day).
    fn default() -> Self {
        Self {
            immediate: RagTarget {
                green_hours: 1,
                amber_hours: 2,
            },
            urgent: RagTarget {
                green_hours: 4,
                amber_hours: 8,
            },
            standard: RagTarget {
                green_hours: 8,
                amber_hours: 24,
            },
        }
    }
}

impl RagTargets {
    /// The target for an urgency.
    pub fn for_urgency(&self, u: Urgency) -> RagTarget {
        match u {
            Urgency::Immediate => self.immediate,
            Urgency::Urgent => self.urgent,
            Urgency::Standard => self.standard,
        }
    }

    /// Where a referral of urgency `u` received at `received` stands at `now`. A referral
    /// exactly on a target's hour is still within it.
    pub fn status(&self, u: Urgency, received: Timestamp, now: Timestamp) -> Rag {
        let t = self.for_urgency(u);
        let waited = now.duration_since(received).as_secs().max(0);
        let hours = |h: u32| i64::from(h) * 3600;
        if waited <= hours(t.green_hours) {
            Rag::Green
        } else if waited <= hours(t.amber_hours) {
            Rag::Amber
        } else {
            Rag::Red
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::fresh(Urgency::Standard, 0, Rag::Green)]
    #[case::on_green(Urgency::Standard, 8 * 60, Rag::Green)]
    #[case::past_green(Urgency::Standard, 8 * 60 + 1, Rag::Amber)]
    #[case::on_amber(Urgency::Standard, 24 * 60, Rag::Amber)]
    #[case::past_amber(Urgency::Standard, 24 * 60 + 1, Rag::Red)]
    #[case::immediate_90_min(Urgency::Immediate, 90, Rag::Amber)]
    #[case::urgent_9_hours(Urgency::Urgent, 9 * 60, Rag::Red)]
    fn the_default_targets(#[case] u: Urgency, #[case] minutes: i64, #[case] rag: Rag) {
        let received: Timestamp = "2026-11-23T09:00:00Z".parse().unwrap();
        let now = received + jiff::SignedDuration::from_mins(minutes);
        assert_eq!(RagTargets::default().status(u, received, now), rag);
    }

    #[test]
    fn targets_that_cannot_work_name_their_key() {
        let e = RagTarget::new(Urgency::Urgent, 4, 4).unwrap_err();
        assert_eq!(e.key, "front_door.urgent.amber_hours");
        assert_eq!(
            RagTarget::new(Urgency::Immediate, 0, 2).unwrap_err().key,
            "front_door.immediate.green_hours"
        );
        assert!(RagTarget::new(Urgency::Standard, 8, 200).is_err());
        assert!(RagTarget::new(Urgency::Standard, 8, 24).is_ok());
    }
}
