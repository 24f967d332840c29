//! The front door: concerns in settings' logs, referrals to the local authority, screening
//! (matching to a known child and the decision within one working day), and the closed loop back
//! to the referrer.
//!
//! Working Together 2023 chapter 3 (WT18 chapter 1, flow chart 1): the LA acknowledges receipt
//! and decides within one working day (T1); the referrer is told the decision and its reasons.

use safeguard_domain::{
    Agency, AgencyKind, Child, ChildGroups, ChildId, ChronologyEntry, ChronologyKind, Concern,
    ConcernCategory, ConcernId, ConsentStatus, EventId, HouseholdMember, ImmediateProtection,
    Involvement, LawfulBasis, NotificationId, PractitionerId, Referral, ReferralId, ReferralSource,
    ReferredChild, ScreeningDecision, ScreeningOutcome, Urgency, clocks,
};
use safeguard_domain::{AssessmentFactor, Channel};
use safeguard_domain::{LinkDecision, LinkDecisionId, LinkSubject, Reversal};
use safeguard_policy::{Action, ConcernFacts, ReferralFacts, Resource};
use safeguard_store::{ChildRow, InvolvementRow, Notification, StoreError, Tx};

use crate::matching::Candidate;
use crate::{App, AppError, AppResult, CurrentUser, FieldError};

/// What a practitioner enters to record a concern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConcernInput {
    /// The child.
    pub child: ReferredChild,
    /// When it was seen or said.
    pub happened_on: jiff::civil::Date,
    /// Kind of concern.
    pub category: ConcernCategory,
    /// What was seen or said.
    pub what: String,
    /// Who was involved or present.
    pub who: String,
    /// What was done.
    pub action_taken: String,
}

/// What a referrer enters (or the front door types from a phone call).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralInput {
    /// The local authority referred to.
    pub la: safeguard_domain::AgencyId,
    /// The child.
    pub child: ReferredChild,
    /// CIN census referral source.
    pub source: ReferralSource,
    /// What the worry is and why.
    pub reasons: String,
    /// Assessment factors the referrer sees.
    pub factors: Vec<AssessmentFactor>,
    /// Consent, or why it was not sought.
    pub consent: ConsentStatus,
    /// Lawful basis for sharing.
    pub lawful_basis: LawfulBasis,
    /// Urgency.
    pub urgency: Urgency,
    /// Whether the child is safe now.
    pub child_safe_now: bool,
    /// Household and parental responsibility.
    pub household: Vec<HouseholdMember>,
    /// Communication needs.
    pub communication_needs: String,
    /// How to reach the referrer.
    pub referrer_contact: String,
    /// For a phone contact: the caller's name (the form uses the signed-in referrer's name).
    pub referrer_name: Option<String>,
    /// The concern it comes from.
    pub concern: Option<ConcernId>,
}

/// Who a referral comes from: a signed-in practitioner, a caller on the telephone, or an agency
/// system acting for a named practitioner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Referrer {
    /// The referrer's account, when they used Safeguard themselves.
    pub practitioner: Option<PractitionerId>,
    /// The referring agency, when known.
    pub agency: Option<safeguard_domain::AgencyId>,
    /// The referrer's name, as given.
    pub name: String,
}

/// The front door's decision, as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionInput {
    /// Outcome.
    pub outcome: ScreeningOutcome,
    /// Police protection or EPO, for immediate protection.
    pub protection: Option<ImmediateProtection>,
    /// Reasons, for the referrer.
    pub reasons: String,
    /// Advice (required with no further action).
    pub advice: String,
    /// The version of the referral the decider saw.
    pub version: u32,
}

/// A referral as a page shows it, with what the viewer may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralView {
    /// The referral.
    pub referral: Referral,
    /// The LA's name.
    pub la_name: String,
    /// The referring agency's name.
    pub referrer_agency_name: Option<String>,
    /// The linked child's name, for the front door.
    pub matched_child_name: Option<String>,
    /// Whether the viewer screens it (front door of its LA).
    pub can_screen: bool,
    /// Why the viewer may see it.
    pub access_reason: &'static str,
    /// Whether the decision is past its T1 due date.
    pub overdue: bool,
    /// For a step up from early help, the episode's history (shown to the front door).
    pub early_help_history: Option<String>,
    /// Where the referral stands against the local front-door targets, while it waits.
    pub rag: Option<safeguard_domain::rag::Rag>,
}

fn concern_facts(c: &Concern) -> ConcernFacts {
    ConcernFacts {
        setting: c.setting,
        recorded_by: c.recorded_by,
    }
}

pub(crate) fn referral_facts(r: &Referral) -> ReferralFacts {
    ReferralFacts {
        la: r.la,
        referrer: r.referrer,
        referrer_agency: r.referrer_agency,
    }
}

/// What the screening page shows about matching: the candidates, and the decisions already made
/// (confirmed, rejected, reversed) with who made them.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchView {
    /// Candidate known children, best first.
    pub candidates: Vec<Candidate>,
    /// Linkage decisions about this referral, oldest first.
    pub decisions: Vec<LinkDecision>,
}

impl MatchView {
    /// Rejections still in force: candidates ruled out for this referral.
    pub fn rejected(&self) -> Vec<&LinkDecision> {
        self.decisions
            .iter()
            .filter(|d| d.in_force() && !d.same)
            .collect()
    }
}

impl App {
    /// A linkage decision by `user` about `subject` and a scored candidate.
    pub(crate) fn link_decision(
        &self,
        user: &CurrentUser,
        subject: LinkSubject,
        candidate: &Candidate,
        same: bool,
    ) -> LinkDecision {
        LinkDecision {
            id: LinkDecisionId::new(),
            subject,
            child: candidate.child,
            same,
            probability: candidate.score,
            evidence: candidate.evidence.clone(),
            decided_by: user.practitioner.id,
            decided_at: self.now(),
            reversed: None,
        }
    }
}

pub(crate) fn referral_subject(id: ReferralId) -> String {
    format!("referral:{id}")
}

fn required(errors: &mut Vec<FieldError>, field: &str, value: &str, message: &str) {
    if value.trim().is_empty() {
        errors.push(FieldError::new(field, message));
    }
}

impl App {
    pub(crate) fn notification(
        &self,
        recipient: PractitionerId,
        text: String,
        link: String,
    ) -> Notification {
        Notification {
            id: NotificationId::new(),
            recipient,
            created_at: self.now(),
            text,
            link,
            read: false,
        }
    }

    /// Records a concern in the user's own setting's log.
    pub async fn record_concern(
        &self,
        user: &CurrentUser,
        input: ConcernInput,
    ) -> AppResult<ConcernId> {
        let mut errors = Vec::new();
        required(
            &mut errors,
            "what",
            &input.what,
            "Enter what was seen or said",
        );
        required(
            &mut errors,
            "action_taken",
            &input.action_taken,
            "Enter what you did about it",
        );
        if input.happened_on > self.today() {
            errors.push(FieldError::new(
                "happened-day",
                "The date must be today or in the past",
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let tx = self.begin().await?;
        let (mut tx, decision) = self
            .authorize(
                tx,
                user,
                Action::RecordConcern,
                Resource::System,
                "concern.record",
                "",
            )
            .await?;
        let concern = Concern {
            id: ConcernId::new(),
            setting: user.agency.id,
            recorded_by: user.practitioner.id,
            recorded_at: self.now(),
            happened_on: input.happened_on,
            child: input.child,
            known_child: None,
            category: input.category,
            what: input.what.trim().to_owned(),
            who: input.who.trim().to_owned(),
            action_taken: input.action_taken.trim().to_owned(),
            referral: None,
        };
        tx.insert_concern(&concern).await?;
        tx.append_audit(&self.event(
            &user.audit_name(),
            "concern.record",
            &format!("concern:{}", concern.id),
            Some(decision),
            serde_json::json!({"category": concern.category.code()}),
        ))
        .await?;
        tx.commit().await?;
        Ok(concern.id)
    }

    /// The concerns the user may see: their setting's whole log for a DSL, their own otherwise.
    pub async fn concerns(&self, user: &CurrentUser) -> AppResult<Vec<Concern>> {
        let mut tx = self.begin().await?;
        let list = if user
            .practitioner
            .has_role(safeguard_domain::Role::DesignatedSafeguardingLead)
        {
            tx.concerns_of_setting(user.agency.id).await?
        } else {
            tx.concerns_recorded_by(user.practitioner.id).await?
        };
        Ok(list
            .into_iter()
            .filter(|c| {
                self.permitted(
                    user,
                    Action::ViewConcern,
                    Resource::Concern(&concern_facts(c)),
                )
            })
            .collect())
    }

    /// One concern, audited. Also says whether the user may refer from it.
    pub async fn concern(&self, user: &CurrentUser, id: ConcernId) -> AppResult<(Concern, bool)> {
        let mut tx = self.begin().await?;
        let concern = tx
            .get_concern(id)
            .await?
            .ok_or(AppError::NotFound("concern"))?;
        let facts = concern_facts(&concern);
        let subject = format!("concern:{id}");
        let (mut tx, decision) = self
            .authorize(
                tx,
                user,
                Action::ViewConcern,
                Resource::Concern(&facts),
                "concern.view",
                &subject,
            )
            .await?;
        tx.append_audit(&self.event(
            &user.audit_name(),
            "concern.view",
            &subject,
            Some(decision),
            serde_json::json!({}),
        ))
        .await?;
        tx.commit().await?;
        let can_refer = concern.referral.is_none()
            && self.permitted(user, Action::MakeReferral, Resource::Concern(&facts));
        Ok((concern, can_refer))
    }

    /// Local authorities a referral can go to.
    pub async fn local_authorities(&self) -> AppResult<Vec<Agency>> {
        Ok(self
            .list_agencies()
            .await?
            .into_iter()
            .filter(|a| a.kind == AgencyKind::LocalAuthority)
            .collect())
    }

    pub(crate) fn check_referral(
        &self,
        input: &ReferralInput,
        phone: bool,
    ) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        required(
            &mut errors,
            "given_name",
            &input.child.name.given,
            "Enter the child's given name, or Unknown",
        );
        required(
            &mut errors,
            "family_name",
            &input.child.name.family,
            "Enter the child's family name, or Unknown",
        );
        required(
            &mut errors,
            "reasons",
            &input.reasons,
            "Enter what you are worried about and why",
        );
        if !phone {
            required(
                &mut errors,
                "referrer_contact",
                &input.referrer_contact,
                "Enter a telephone number the front door can call you on",
            );
        }
        if phone
            && input
                .referrer_name
                .as_deref()
                .is_none_or(|n| n.trim().is_empty())
        {
            errors.push(FieldError::new(
                "referrer_name",
                "Enter the caller's name, or Anonymous",
            ));
        }
        if input.consent == ConsentStatus::Given && input.lawful_basis == LawfulBasis::Consent {
            // Accepted, but the guidance says consent should not be the basis; nothing to refuse.
        }
        if input.reasons.chars().count() > 10_000 {
            errors.push(FieldError::new(
                "reasons",
                "Reasons must be 10,000 characters or fewer",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Submits a referral (from the form, or from a concern). Acknowledged to the referrer at
    /// once, with the T1 due date.
    pub async fn make_referral(
        &self,
        user: &CurrentUser,
        input: ReferralInput,
    ) -> AppResult<ReferralId> {
        self.check_referral(&input, false)
            .map_err(AppError::Invalid)?;
        let tx = self.begin().await?;
        let (mut tx, decision) = self
            .authorize(
                tx,
                user,
                Action::MakeReferral,
                Resource::System,
                "referral.submit",
                "",
            )
            .await?;
        let mut concern = None;
        if let Some(cid) = input.concern {
            let c = tx
                .get_concern(cid)
                .await?
                .ok_or(AppError::NotFound("concern"))?;
            let facts = concern_facts(&c);
            let (t, _) = self
                .authorize(
                    tx,
                    user,
                    Action::MakeReferral,
                    Resource::Concern(&facts),
                    "referral.submit",
                    &format!("concern:{cid}"),
                )
                .await?;
            tx = t;
            if c.referral.is_some() {
                return Err(AppError::Conflict {
                    message: "A referral has already been made from this concern".into(),
                    field: "reasons",
                    existing: c.referral.map(|r| format!("/referrals/{r}")),
                });
            }
            concern = Some(c);
        }
        let referral = self
            .new_referral(
                &mut tx,
                input,
                Channel::Form,
                Referrer {
                    practitioner: Some(user.practitioner.id),
                    agency: Some(user.agency.id),
                    name: user.practitioner.name.clone(),
                },
            )
            .await?;
        tx.insert_referral(&referral).await?;
        if let Some(mut c) = concern {
            c.referral = Some(referral.id);
            tx.update_concern(&c).await?;
        }
        let la = tx
            .get_agency(referral.la)
            .await?
            .map(|a| a.name)
            .unwrap_or_default();
        tx.insert_notification(&self.notification(
            user.practitioner.id,
            format!(
                "{la} received your referral. A decision is due by {}.",
                referral.decision_due.strftime("%-d %B %Y")
            ),
            format!("/referrals/{}", referral.id),
        ))
        .await?;
        tx.append_audit(&self.event(
            &user.audit_name(),
            "referral.submit",
            &referral_subject(referral.id),
            Some(decision),
            serde_json::json!({"la": referral.la, "urgency": referral.urgency.code(), "lawful_basis": referral.lawful_basis.code(), "consent": referral.consent.code()}),
        ))
        .await?;
        tx.commit().await?;
        Ok(referral.id)
    }

    /// Records a contact received by telephone at the front door.
    pub async fn record_contact(
        &self,
        user: &CurrentUser,
        input: ReferralInput,
    ) -> AppResult<ReferralId> {
        self.check_referral(&input, true)
            .map_err(AppError::Invalid)?;
        let tx = self.begin().await?;
        let (mut tx, decision) = self
            .authorize(
                tx,
                user,
                Action::ScreenReferrals,
                Resource::FrontDoor(input.la),
                "referral.contact",
                "",
            )
            .await?;
        let referrer = Referrer {
            practitioner: None,
            agency: None,
            name: input.referrer_name.clone().unwrap_or_default(),
        };
        let referral = self
            .new_referral(&mut tx, input, Channel::Phone, referrer)
            .await?;
        tx.insert_referral(&referral).await?;
        tx.append_audit(&self.event(
            &user.audit_name(),
            "referral.contact",
            &referral_subject(referral.id),
            Some(decision),
            serde_json::json!({"urgency": referral.urgency.code(), "lawful_basis": referral.lawful_basis.code()}),
        ))
        .await?;
        tx.commit().await?;
        Ok(referral.id)
    }

    pub(crate) async fn new_referral(
        &self,
        tx: &mut Box<dyn Tx>,
        input: ReferralInput,
        channel: Channel,
        referrer: Referrer,
    ) -> AppResult<Referral> {
        match tx.get_agency(input.la).await? {
            Some(a) if a.kind == AgencyKind::LocalAuthority => {}
            _ => {
                return Err(AppError::Invalid(vec![FieldError::new(
                    "la",
                    "Select the local authority to refer to",
                )]));
            }
        }
        let today = self.today();
        Ok(Referral {
            id: ReferralId::new(),
            version: 1,
            la: input.la,
            channel,
            received_at: self.now(),
            received_on: today,
            // T1: WT 2023 ch 3 — acknowledge and decide within one working day of receipt.
            decision_due: clocks::referral_decision_due(today, &self.calendar()),
            referrer: referrer.practitioner,
            referrer_agency: referrer.agency,
            referrer_name: referrer.name.trim().to_owned(),
            referrer_contact: input.referrer_contact.trim().to_owned(),
            source: input.source,
            concern: input.concern,
            child: input.child,
            matched_child: None,
            reasons: input.reasons.trim().to_owned(),
            factors: input.factors,
            consent: input.consent,
            lawful_basis: input.lawful_basis,
            urgency: input.urgency,
            child_safe_now: input.child_safe_now,
            household: input.household,
            communication_needs: input.communication_needs.trim().to_owned(),
            decision: None,
            early_help: None,
        })
    }

    /// "My referrals": the user's referrals with their status and decision.
    pub async fn my_referrals(&self, user: &CurrentUser) -> AppResult<Vec<Referral>> {
        let mut tx = self.begin().await?;
        Ok(tx.referrals_by(user.practitioner.id).await?)
    }

    /// One referral, audited. The referrer sees the referral and the decision, never the case.
    pub async fn referral(&self, user: &CurrentUser, id: ReferralId) -> AppResult<ReferralView> {
        let mut tx = self.begin().await?;
        let referral = tx
            .get_referral(id)
            .await?
            .ok_or(AppError::NotFound("referral"))?;
        let facts = referral_facts(&referral);
        let subject = referral_subject(id);
        let (mut tx, decision) = self
            .authorize(
                tx,
                user,
                Action::ViewReferral,
                Resource::Referral(&facts),
                "referral.view",
                &subject,
            )
            .await?;
        let can_screen = self.permitted(user, Action::ScreenReferrals, Resource::Referral(&facts));
        let la_name = tx
            .get_agency(referral.la)
            .await?
            .map(|a| a.name)
            .unwrap_or_default();
        let referrer_agency_name = match referral.referrer_agency {
            Some(a) => tx.get_agency(a).await?.map(|a| a.name),
            None => None,
        };
        let matched_child_name = match (can_screen, referral.matched_child) {
            (true, Some(c)) => tx.get_child(c).await?.map(|r| r.child.name.full()),
            _ => None,
        };
        let early_help_history = if can_screen {
            self.step_up_history(&mut tx, &referral).await?
        } else {
            None
        };
        tx.append_audit(&self.event(
            &user.audit_name(),
            "referral.view",
            &subject,
            Some(decision),
            serde_json::json!({}),
        ))
        .await?;
        tx.commit().await?;
        let overdue = referral.decision.is_none() && self.today() > referral.decision_due;
        let rag = referral
            .decision
            .is_none()
            .then(|| self.front_door_rag(&referral));
        Ok(ReferralView {
            referral,
            la_name,
            referrer_agency_name,
            matched_child_name,
            can_screen,
            access_reason: decision.reason(),
            overdue,
            early_help_history,
            rag,
        })
    }

    /// Where a waiting referral stands against the local front-door targets (`safeguard.toml`,
    /// or the documented defaults).
    pub fn front_door_rag(&self, r: &Referral) -> safeguard_domain::rag::Rag {
        self.config()
            .rag
            .status(r.urgency, r.received_at, self.now())
    }

    /// The front door's queue for the user's local authority: undecided referrals, most urgent
    /// first, then by due date.
    pub async fn front_door_queue(&self, user: &CurrentUser) -> AppResult<Vec<Referral>> {
        let tx = self.begin().await?;
        let la = user.agency.id;
        let (mut tx, decision) = self
            .authorize(
                tx,
                user,
                Action::ScreenReferrals,
                Resource::FrontDoor(la),
                "referral.queue",
                "",
            )
            .await?;
        let queue = tx.referral_queue(la).await?;
        tx.append_audit(&self.event(
            &user.audit_name(),
            "referral.queue",
            "",
            Some(decision),
            serde_json::json!({"shown": queue.len()}),
        ))
        .await?;
        tx.commit().await?;
        Ok(queue)
    }

    async fn screening_tx(
        &self,
        user: &CurrentUser,
        id: ReferralId,
        action: &str,
    ) -> AppResult<(Box<dyn Tx>, Referral, safeguard_policy::Decision)> {
        let mut tx = self.begin().await?;
        let referral = tx
            .get_referral(id)
            .await?
            .ok_or(AppError::NotFound("referral"))?;
        let facts = referral_facts(&referral);
        let (tx, decision) = self
            .authorize(
                tx,
                user,
                Action::ScreenReferrals,
                Resource::Referral(&facts),
                action,
                &referral_subject(id),
            )
            .await?;
        Ok((tx, referral, decision))
    }

    /// Candidate known children for a referral, from the record-linkage engine, best first,
    /// each with its probability and evidence. Children the front door has already said are
    /// not this child (a rejection still in force) are left out. The search is audited.
    pub async fn match_candidates(
        &self,
        user: &CurrentUser,
        id: ReferralId,
    ) -> AppResult<MatchView> {
        let (mut tx, referral, decision) = self.screening_tx(user, id, "referral.match").await?;
        let decisions = tx.link_decisions_about(&LinkSubject::Referral(id)).await?;
        let rejected: Vec<ChildId> = decisions
            .iter()
            .filter(|d| d.in_force() && !d.same)
            .map(|d| d.child)
            .collect();
        let candidates: Vec<Candidate> = self
            .matcher()
            .candidates(&referral.child, 10 + rejected.len())
            .into_iter()
            .filter(|c| !rejected.contains(&c.child))
            .take(10)
            .collect();
        tx.append_audit(&self.event(
            &user.audit_name(),
            "referral.match",
            &referral_subject(id),
            Some(decision),
            serde_json::json!({
                "candidates": candidates.iter().map(|c| c.child).collect::<Vec<_>>(),
                "rejected": rejected.len(),
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok(MatchView {
            candidates,
            decisions,
        })
    }

    /// Records that a candidate is not the referred child, so it is not offered again for this
    /// referral. Reversible. Audited with the evidence the worker saw.
    pub async fn reject_candidate(
        &self,
        user: &CurrentUser,
        id: ReferralId,
        child: ChildId,
    ) -> AppResult<()> {
        let (mut tx, referral, decision) =
            self.screening_tx(user, id, "referral.match.reject").await?;
        if referral.is_decided() {
            return Err(AppError::Invalid(vec![FieldError::new(
                "outcome",
                "This referral has been decided; its child cannot be changed",
            )]));
        }
        let known = tx
            .get_child(child)
            .await?
            .ok_or(AppError::NotFound("child"))?;
        let candidate = self.matcher().explain(&referral.child, &known.child);
        let d = self.link_decision(user, LinkSubject::Referral(id), &candidate, false);
        tx.insert_link_decision(&d).await?;
        tx.append_audit(&self.event(
            &user.audit_name(),
            "referral.match.reject",
            &referral_subject(id),
            Some(decision),
            serde_json::json!({"child": child, "decision": d.id, "probability": d.probability}),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes back the link between a referral and a known child before the front door has
    /// decided: the referral is unmatched again and the confirmation is marked reversed, with
    /// the reason. After the decision the case is open against the child, so this is refused.
    pub async fn undo_referral_link(
        &self,
        user: &CurrentUser,
        id: ReferralId,
        reason: &str,
        version: u32,
    ) -> AppResult<()> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::Invalid(vec![FieldError::new(
                "reason",
                "Enter why this is not the child",
            )]));
        }
        let (mut tx, mut referral, decision) =
            self.screening_tx(user, id, "referral.unlink").await?;
        if referral.version != version {
            return Err(stale());
        }
        if referral.is_decided() {
            return Err(AppError::Invalid(vec![FieldError::new(
                "reason",
                "This referral has been decided and its case opened against the child; ask the data officer to correct the record",
            )]));
        }
        let Some(child) = referral.matched_child.take() else {
            return Err(AppError::Invalid(vec![FieldError::new(
                "reason",
                "This referral is not linked to a child",
            )]));
        };
        let reversal = Reversal {
            by: user.practitioner.id,
            at: self.now(),
            reason: reason.to_owned(),
        };
        for d in tx.link_decisions_about(&LinkSubject::Referral(id)).await? {
            if d.in_force() && d.same && d.child == child {
                tx.reverse_link_decision(d.id, &reversal).await?;
            }
        }
        referral.version += 1;
        save_referral(&mut tx, &referral).await?;
        tx.append_audit(&self.event(
            &user.audit_name(),
            "referral.unlink",
            &referral_subject(id),
            Some(decision),
            serde_json::json!({"child": child, "reason": reason}),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Brings back a candidate the front door rejected for a referral.
    pub async fn undo_candidate_rejection(
        &self,
        user: &CurrentUser,
        id: ReferralId,
        decision_id: LinkDecisionId,
    ) -> AppResult<()> {
        let (mut tx, _referral, decision) = self
            .screening_tx(user, id, "referral.match.unreject")
            .await?;
        let d = tx
            .get_link_decision(decision_id)
            .await?
            .filter(|d| d.subject == LinkSubject::Referral(id) && !d.same)
            .ok_or(AppError::NotFound("linkage decision"))?;
        let reversal = Reversal {
            by: user.practitioner.id,
            at: self.now(),
            reason: "Offered again as a possible match".into(),
        };
        match tx.reverse_link_decision(d.id, &reversal).await {
            Err(StoreError::Conflict { .. }) => return Ok(()),
            other => other?,
        }
        tx.append_audit(&self.event(
            &user.audit_name(),
            "referral.match.unreject",
            &referral_subject(id),
            Some(decision),
            serde_json::json!({"child": d.child, "decision": d.id}),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Links the referral to a known child (confirmed by the worker), or to a new child record
    /// made from the referral's details when `child` is `None`.
    pub async fn link_referral(
        &self,
        user: &CurrentUser,
        id: ReferralId,
        child: Option<ChildId>,
        version: u32,
    ) -> AppResult<ChildId> {
        let (mut tx, mut referral, decision) = self.screening_tx(user, id, "referral.link").await?;
        if referral.version != version {
            return Err(stale());
        }
        if referral.is_decided() {
            return Err(AppError::Invalid(vec![FieldError::new(
                "outcome",
                "This referral has been decided; its child cannot be changed",
            )]));
        }
        let mut created = None;
        let child_id = match child {
            Some(c) => {
                let known = tx.get_child(c).await?.ok_or(AppError::NotFound("child"))?;
                let candidate = self.matcher().explain(&referral.child, &known.child);
                let d = self.link_decision(user, LinkSubject::Referral(id), &candidate, true);
                tx.insert_link_decision(&d).await?;
                c
            }
            None => {
                let Some(birth) = referral.child.birth else {
                    return Err(AppError::Invalid(vec![FieldError::new(
                        "create",
                        "The referral gives no date of birth. Ask the referrer for it, or find the child's record, before creating one",
                    )]));
                };
                let c = Child {
                    id: ChildId::new(),
                    name: referral.child.name.clone(),
                    aliases: vec![],
                    former_names: vec![],
                    birth,
                    sex: referral.child.sex,
                    nhs_number: referral.child.nhs_number.clone(),
                    upn: None,
                    addresses: referral
                        .child
                        .postcode
                        .clone()
                        .map(|pc| safeguard_domain::Address {
                            lines: referral
                                .child
                                .address
                                .lines()
                                .map(str::to_owned)
                                .filter(|l| !l.trim().is_empty())
                                .collect(),
                            town: String::new(),
                            postcode: pc,
                            from: None,
                            to: None,
                        })
                        .into_iter()
                        .collect(),
                    responsible_la: Some(referral.la),
                    school: None,
                    ethnicity: None,
                    first_language: None,
                    groups: ChildGroups::default(),
                };
                let row = ChildRow {
                    child: c,
                    owning_team: user.team.as_ref().map(|t| t.id),
                };
                match tx.insert_child(&row).await {
                    Err(StoreError::Conflict { .. }) => {
                        return Err(AppError::Conflict {
                            message: "A child with this NHS number is already recorded: confirm that match instead".into(),
                            field: "create",
                            existing: None,
                        });
                    }
                    other => other?,
                }
                created = Some(row.child.clone());
                row.child.id
            }
        };
        referral.matched_child = Some(child_id);
        referral.version += 1;
        save_referral(&mut tx, &referral).await?;
        tx.append_audit(&self.event(
            &user.audit_name(),
            "referral.link",
            &referral_subject(id),
            Some(decision),
            serde_json::json!({"child": child_id, "new_record": child.is_none()}),
        ))
        .await?;
        tx.commit().await?;
        if let Some(c) = created {
            self.matcher().upsert(&c);
        }
        Ok(child_id)
    }

    /// Records the front door's decision, puts it on the child's chronology, and tells the
    /// referrer, with the reasons (the closed loop).
    pub async fn decide_referral(
        &self,
        user: &CurrentUser,
        id: ReferralId,
        input: DecisionInput,
    ) -> AppResult<()> {
        let mut errors = Vec::new();
        required(
            &mut errors,
            "reasons",
            &input.reasons,
            "Enter the reasons for the decision; the referrer will read them",
        );
        if input.outcome == ScreeningOutcome::NoFurtherAction {
            required(
                &mut errors,
                "advice",
                &input.advice,
                "Enter the advice given with no further action",
            );
        }
        match (input.outcome, input.protection) {
            (ScreeningOutcome::ImmediateProtection, None) => errors.push(FieldError::new(
                "protection",
                "Select police protection (s46) or an emergency protection order (s44)",
            )),
            (ScreeningOutcome::ImmediateProtection, Some(_)) | (_, None) => {}
            (_, Some(_)) => errors.push(FieldError::new(
                "protection",
                "Police protection or an EPO is only recorded with the outcome immediate protection",
            )),
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let (mut tx, mut referral, decision) =
            self.screening_tx(user, id, "referral.decide").await?;
        if referral.version != input.version {
            return Err(stale());
        }
        if referral.is_decided() {
            return Err(AppError::Invalid(vec![FieldError::new(
                "outcome",
                "This referral has already been decided",
            )]));
        }
        let Some(child_id) = referral.matched_child else {
            return Err(AppError::Invalid(vec![FieldError::new(
                "outcome",
                "Link the referral to a child's record first: confirm a match or create a new record",
            )]));
        };
        let today = self.today();
        referral.decision = Some(ScreeningDecision {
            outcome: input.outcome,
            protection: input.protection,
            reasons: input.reasons.trim().to_owned(),
            advice: input.advice.trim().to_owned(),
            decided_by: user.practitioner.id,
            decided_at: self.now(),
            decided_on: today,
        });
        referral.version += 1;
        save_referral(&mut tx, &referral).await?;
        let screened = safeguard_domain::journey::CaseEvent::Screened(input.outcome);
        if let Some(mut case) = self.stepped_up_case(&mut tx, &referral).await? {
            // A step up from early help the front door had stepped down: the decision
            // continues that case (spec §1.4 EARLY_HELP -> REFERRAL_RECEIVED -> decision).
            case.apply(
                safeguard_domain::CaseStep {
                    on: today,
                    event: screened,
                    note: String::new(),
                    category: None,
                    recorded_by: user.practitioner.id,
                    recorded_at: self.now(),
                    record: None,
                },
                today,
                &self.calendar(),
            )
            .map_err(|e| crate::cases::case_error(e, "outcome"))?;
            case.version += 1;
            crate::cases::save_case(&mut tx, &case).await?;
        } else if crate::cases::opens_case(screened) {
            let case = safeguard_domain::Case::open(
                safeguard_domain::CaseId::new(),
                child_id,
                Some(id),
                referral.received_on,
                input.outcome,
                today,
                user.practitioner.id,
                self.now(),
            )
            .map_err(|e| AppError::Invalid(vec![FieldError::new("outcome", e.to_string())]))?;
            tx.insert_case(&case).await?;
        }
        let from = match referral.referrer_agency {
            Some(a) => tx.get_agency(a).await?.map(|a| a.name),
            None => None,
        }
        .unwrap_or_else(|| referral.referrer_name.clone());
        if let Some(agency) = referral.referrer_agency {
            tx.add_involvement(
                child_id,
                &InvolvementRow {
                    agency,
                    involvement: Involvement::Referrer,
                    since: referral.received_on,
                },
            )
            .await?;
        }
        tx.add_involvement(
            child_id,
            &InvolvementRow {
                agency: referral.la,
                involvement: Involvement::Working,
                since: today,
            },
        )
        .await?;
        if let Some(mut row) = tx.get_child(child_id).await?
            && row.owning_team.is_none()
            && input.outcome != ScreeningOutcome::NoFurtherAction
        {
            row.owning_team = user.team.as_ref().map(|t| t.id);
            tx.update_child(&row).await?;
        }
        // A new case, or a new owning team, in the same transaction as the register.
        crate::flags::refresh_flags(&mut tx, child_id).await?;
        for (date, kind, summary) in [
            (
                referral.received_on,
                ChronologyKind::Referral,
                format!(
                    "Referral received from {from} ({})",
                    referral.source.label()
                ),
            ),
            (
                today,
                ChronologyKind::Decision,
                format!("Front door decision: {}", input.outcome.label()),
            ),
        ] {
            tx.add_chronology(&ChronologyEntry {
                id: EventId::new(),
                child: child_id,
                date,
                summary,
                kind,
                agency: Some(referral.la),
                recorded_by: Some(user.practitioner.id),
            })
            .await?;
        }
        if let Some(referrer) = referral.referrer {
            tx.insert_notification(&self.notification(
                referrer,
                format!(
                    "Decision on your referral of {}: {}",
                    referral.received_on.strftime("%-d %B %Y"),
                    input.outcome.label()
                ),
                format!("/referrals/{id}"),
            ))
            .await?;
        }
        tx.append_audit(&self.event(
            &user.audit_name(),
            "referral.decide",
            &referral_subject(id),
            Some(decision),
            serde_json::json!({"outcome": input.outcome.code(), "child": child_id, "late": referral.decided_late()}),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The user's notifications, newest first.
    pub async fn notifications(&self, user: &CurrentUser) -> AppResult<Vec<Notification>> {
        let mut tx = self.begin().await?;
        Ok(tx.notifications_for(user.practitioner.id, 100).await?)
    }

    /// Marks one of the user's notifications read.
    pub async fn mark_notification_read(
        &self,
        user: &CurrentUser,
        id: NotificationId,
    ) -> AppResult<()> {
        let mut tx = self.begin().await?;
        tx.mark_notification_read(id, user.practitioner.id).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn stale() -> AppError {
    AppError::Conflict {
        message: "Someone else changed this referral since you opened it. Nothing you entered was saved: reload the page to see their change, then try again".into(),
        field: "outcome",
        existing: None,
    }
}

async fn save_referral(tx: &mut Box<dyn Tx>, r: &Referral) -> AppResult<()> {
    match tx.update_referral(r).await {
        Err(StoreError::Conflict { .. }) => Err(stale()),
        other => Ok(other?),
    }
}
