//! The duplicate report: child records that are probably the same child, found by the
//! record-linkage engine over every child the local authority holds, for a person at the front
//! door to review. A person decides "same child" or "different children"; the decision is
//! recorded with the evidence, audited, put on both children's chronologies when they are the
//! same, and can be reversed with a reason. Nothing is merged automatically.
//!
//! The report is made periodically by the server's job (and on demand by
//! `safeguard linkage duplicates`), not on every page view: over a large area it takes a
//! while, and the page should show the same list to everyone until the next run.

use std::collections::{HashMap, HashSet};

use safeguard_domain::{
    ChildId, ChronologyEntry, DuplicatePair, DuplicateReport, EventId, LinkDecision,
    LinkDecisionId, LinkSubject, Reversal,
};
use safeguard_policy::{Action, Resource};
use safeguard_store::StoreError;

use crate::{App, AppError, AppResult, CurrentUser, FieldError};

/// The default match probability at or above which a pair goes on the report.
pub const DEFAULT_DUPLICATE_THRESHOLD: f64 = 0.9;

/// A child as the report names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildLabel {
    /// The child.
    pub id: ChildId,
    /// Name, date of birth and postcode, in one line.
    pub text: String,
}

/// The duplicate report as the page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicatesView {
    /// The latest report, if one has been made.
    pub report: Option<DuplicateReport>,
    /// Pairs on the report nobody has decided yet.
    pub open: Vec<DuplicatePair>,
    /// Decisions made about pairs of child records, newest first.
    pub decisions: Vec<LinkDecision>,
    /// Names for every child mentioned.
    pub labels: HashMap<ChildId, ChildLabel>,
}

fn pair_key(a: ChildId, b: ChildId) -> (ChildId, ChildId) {
    if a <= b { (a, b) } else { (b, a) }
}

/// The pairs of child records with a decision in force, either way.
fn decided_pairs(decisions: &[LinkDecision]) -> HashSet<(ChildId, ChildId)> {
    decisions
        .iter()
        .filter(|d| d.in_force())
        .filter_map(|d| match d.subject {
            LinkSubject::Child(c) => Some(pair_key(c, d.child)),
            LinkSubject::Referral(_) => None,
        })
        .collect()
}

impl App {
    /// Makes the duplicate report: rebuilds the matching index from the store (so it is
    /// current), asks it for each child's likeliest other records, and keeps the pairs at or
    /// above `threshold` that nobody has decided on. Replaces the previous report; audited.
    pub async fn make_duplicate_report(
        &self,
        actor: &str,
        threshold: f64,
    ) -> AppResult<DuplicateReport> {
        if !(0.5..1.0).contains(&threshold) {
            return Err(AppError::Invalid(vec![FieldError::new(
                "threshold",
                "The threshold must be a match probability from 0.5 up to (not including) 1",
            )]));
        }
        let children = self.all_children().await?;
        self.matcher().rebuild(&children);
        let mut tx = self.begin().await?;
        let decided = decided_pairs(&tx.child_link_decisions().await?);
        drop(tx);
        let mut pairs: HashMap<(ChildId, ChildId), DuplicatePair> = HashMap::new();
        for child in &children {
            for c in self.matcher().duplicates_of(child, 5) {
                if c.score < threshold {
                    continue;
                }
                let key = pair_key(child.id, c.child);
                if decided.contains(&key) || pairs.contains_key(&key) {
                    continue;
                }
                pairs.insert(
                    key,
                    DuplicatePair {
                        left: key.0,
                        right: key.1,
                        probability: c.score,
                        evidence: c.evidence,
                    },
                );
            }
        }
        let checked = children.len() as u64;
        let mut pairs: Vec<DuplicatePair> = pairs.into_values().collect();
        pairs.sort_by(|a, b| {
            b.probability
                .total_cmp(&a.probability)
                .then((a.left, a.right).cmp(&(b.left, b.right)))
        });
        let report = DuplicateReport {
            generated_at: self.now(),
            threshold,
            children_checked: checked,
            pairs,
        };
        let mut tx = self.begin().await?;
        tx.put_duplicate_report(&report).await?;
        tx.append_audit(&self.event(
            actor,
            "linkage.duplicates.report",
            "",
            None,
            serde_json::json!({
                "children_checked": checked,
                "pairs": report.pairs.len(),
                "threshold": threshold,
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok(report)
    }

    /// The duplicate report for the front door of the user's local authority. Audited.
    pub async fn duplicates_view(&self, user: &CurrentUser) -> AppResult<DuplicatesView> {
        let tx = self.begin().await?;
        let (mut tx, decision) = self
            .authorize(
                tx,
                user,
                Action::ScreenReferrals,
                Resource::FrontDoor(user.agency.id),
                "linkage.duplicates.view",
                "",
            )
            .await?;
        let report = tx.duplicate_report().await?;
        let decisions = tx.child_link_decisions().await?;
        let decided = decided_pairs(&decisions);
        let open: Vec<DuplicatePair> = report
            .iter()
            .flat_map(|r| r.pairs.iter())
            .filter(|p| !decided.contains(&pair_key(p.left, p.right)))
            .cloned()
            .collect();
        let mut ids: Vec<ChildId> = open.iter().flat_map(|p| [p.left, p.right]).collect();
        for d in &decisions {
            if let LinkSubject::Child(c) = d.subject {
                ids.push(c);
            }
            ids.push(d.child);
        }
        let mut labels = HashMap::new();
        for id in ids {
            if labels.contains_key(&id) {
                continue;
            }
            if let Some(row) = tx.get_child(id).await? {
                let c = row.child;
                let mut text = format!(
                    "{} {}, {} {}",
                    c.name.given,
                    c.name.family,
                    if c.birth.is_unborn() { "due" } else { "born" },
                    c.birth.date().strftime("%-d %B %Y")
                );
                if let Some(pc) = c.current_postcode() {
                    text.push_str(&format!(", {}", pc.as_str()));
                }
                labels.insert(id, ChildLabel { id, text });
            }
        }
        tx.append_audit(&self.event(
            &user.audit_name(),
            "linkage.duplicates.view",
            "",
            Some(decision),
            serde_json::json!({"pairs": open.len(), "children": labels.len()}),
        ))
        .await?;
        tx.commit().await?;
        Ok(DuplicatesView {
            report,
            open,
            decisions,
            labels,
        })
    }

    /// Records the front door's decision that two child records are (or are not) the same
    /// child. "Same" puts a line on both chronologies; neither record is changed or merged.
    pub async fn decide_duplicate(
        &self,
        user: &CurrentUser,
        left: ChildId,
        right: ChildId,
        same: bool,
    ) -> AppResult<LinkDecisionId> {
        if left == right {
            return Err(AppError::Invalid(vec![FieldError::new(
                "decision",
                "A record cannot be a duplicate of itself",
            )]));
        }
        let tx = self.begin().await?;
        let (mut tx, decision) = self
            .authorize(
                tx,
                user,
                Action::ScreenReferrals,
                Resource::FrontDoor(user.agency.id),
                "linkage.duplicates.decide",
                &format!("child:{left}"),
            )
            .await?;
        let (a, b) = pair_key(left, right);
        if decided_pairs(&tx.child_link_decisions().await?).contains(&(a, b)) {
            return Err(AppError::Conflict {
                message: "Someone has already decided about these two records. Reload the page to see their decision".into(),
                field: "decision",
                existing: None,
            });
        }
        let ra = tx.get_child(a).await?.ok_or(AppError::NotFound("child"))?;
        let rb = tx.get_child(b).await?.ok_or(AppError::NotFound("child"))?;
        let referred = safeguard_domain::ReferredChild {
            name: ra.child.name.clone(),
            birth: Some(ra.child.birth),
            sex: ra.child.sex,
            nhs_number: ra.child.nhs_number.clone(),
            address: ra
                .child
                .addresses
                .iter()
                .find(|x| x.to.is_none())
                .map(|x| x.lines.join("\n"))
                .unwrap_or_default(),
            postcode: ra.child.current_postcode().cloned(),
        };
        let candidate = self.matcher().explain(&referred, &rb.child);
        let d = self.link_decision(user, LinkSubject::Child(a), &candidate, same);
        tx.insert_link_decision(&d).await?;
        if same {
            for (this, other) in [(&ra, &rb), (&rb, &ra)] {
                tx.add_chronology(&ChronologyEntry {
                    id: EventId::new(),
                    child: this.child.id,
                    date: self.today(),
                    agency: Some(user.agency.id),
                    summary: format!(
                        "Recorded as the same child as another record ({} {}); the records are linked, not merged",
                        other.child.name.given, other.child.name.family
                    ),
                    recorded_by: Some(user.practitioner.id),
                    kind: safeguard_domain::ChronologyKind::Other,
                })
                .await?;
            }
        }
        tx.append_audit(&self.event(
            &user.audit_name(),
            "linkage.duplicates.decide",
            &format!("child:{a}"),
            Some(decision),
            serde_json::json!({"other": b, "same": same, "decision": d.id, "probability": d.probability}),
        ))
        .await?;
        tx.commit().await?;
        Ok(d.id)
    }

    /// Reverses a decision about two child records, with a reason: the pair goes back on the
    /// report at its next run.
    pub async fn reverse_duplicate_decision(
        &self,
        user: &CurrentUser,
        id: LinkDecisionId,
        reason: &str,
    ) -> AppResult<()> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::Invalid(vec![FieldError::new(
                "reason",
                "Enter why the decision was wrong",
            )]));
        }
        let tx = self.begin().await?;
        let (mut tx, decision) = self
            .authorize(
                tx,
                user,
                Action::ScreenReferrals,
                Resource::FrontDoor(user.agency.id),
                "linkage.duplicates.reverse",
                "",
            )
            .await?;
        let d = tx
            .get_link_decision(id)
            .await?
            .filter(|d| matches!(d.subject, LinkSubject::Child(_)))
            .ok_or(AppError::NotFound("linkage decision"))?;
        let reversal = Reversal {
            by: user.practitioner.id,
            at: self.now(),
            reason: reason.to_owned(),
        };
        match tx.reverse_link_decision(id, &reversal).await {
            Err(StoreError::Conflict { .. }) => {
                return Err(AppError::Conflict {
                    message: "This decision has already been reversed".into(),
                    field: "reason",
                    existing: None,
                });
            }
            other => other?,
        }
        if d.same
            && let LinkSubject::Child(c) = d.subject
        {
            for child in [c, d.child] {
                tx.add_chronology(&ChronologyEntry {
                    id: EventId::new(),
                    child,
                    date: self.today(),
                    agency: Some(user.agency.id),
                    summary: "A link to another record as the same child was reversed".into(),
                    recorded_by: Some(user.practitioner.id),
                    kind: safeguard_domain::ChronologyKind::Other,
                })
                .await?;
            }
        }
        tx.append_audit(&self.event(
            &user.audit_name(),
            "linkage.duplicates.reverse",
            &format!("child:{}", d.child),
            Some(decision),
            serde_json::json!({"decision": id, "reason": reason}),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
