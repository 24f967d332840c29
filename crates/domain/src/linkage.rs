//! Decisions people make about record linkage: that a referred child is (or is not) a child the
//! local authority already knows, or that two of its child records are (or are not) the same
//! child. The engine only ranks and explains; these records are what a person confirmed. Each
//! is kept with the evidence the person saw, and can be reversed with a reason, never deleted.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ids::{ChildId, PractitionerId, ReferralId};

/// Identifies a [`LinkDecision`].
pub type LinkDecisionId = crate::ids::Id<crate::ids::kinds::LinkDecision>;

/// What was compared with a known child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum LinkSubject {
    /// The child named in a referral, at screening.
    Referral(ReferralId),
    /// Another child record (the duplicate report).
    Child(ChildId),
}

impl LinkSubject {
    /// A stable key for storage and audit: `referral:<id>` or `child:<id>`.
    pub fn key(&self) -> String {
        match self {
            LinkSubject::Referral(id) => format!("referral:{id}"),
            LinkSubject::Child(id) => format!("child:{id}"),
        }
    }
}

/// One comparison's part in a match, as the person saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// What was compared, e.g. "Date of birth".
    pub label: String,
    /// How it compared, e.g. "day and month swapped".
    pub level: String,
    /// Its match weight in bits: positive for, negative against, 0 when missing.
    pub weight: f64,
}

/// A decision being taken back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reversal {
    /// Who reversed it.
    pub by: PractitionerId,
    /// When.
    pub at: Timestamp,
    /// Why, in their words.
    pub reason: String,
}

/// A person's decision that `subject` is, or is not, the known child `child`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkDecision {
    /// Id.
    pub id: LinkDecisionId,
    /// What was compared.
    pub subject: LinkSubject,
    /// The known child it was compared with.
    pub child: ChildId,
    /// True: confirmed the same child. False: rejected as a different child.
    pub same: bool,
    /// The engine's match probability when the decision was made.
    pub probability: f64,
    /// The evidence shown, strongest first.
    pub evidence: Vec<Evidence>,
    /// Who decided.
    pub decided_by: PractitionerId,
    /// When.
    pub decided_at: Timestamp,
    /// Set when the decision was taken back; a reversed decision no longer counts.
    pub reversed: Option<Reversal>,
}

impl LinkDecision {
    /// Whether the decision still stands.
    pub fn in_force(&self) -> bool {
        self.reversed.is_none()
    }
}

/// Two child records that are probably the same child, for a person to review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicatePair {
    /// One record (the lower id).
    pub left: ChildId,
    /// The other record.
    pub right: ChildId,
    /// The engine's match probability.
    pub probability: f64,
    /// Why.
    pub evidence: Vec<Evidence>,
}

/// The periodic report of possible duplicate child records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateReport {
    /// When it was made.
    pub generated_at: Timestamp,
    /// The match probability at or above which pairs are listed.
    pub threshold: f64,
    /// How many child records were checked.
    pub children_checked: u64,
    /// The pairs, most likely first.
    pub pairs: Vec<DuplicatePair>,
}
