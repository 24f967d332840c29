//! Early help and looked-after episodes: starting, recording on and ending them, stepping down
//! into early help and stepping up out of it, each one transaction, policy-checked, on the
//! child's chronology (type `episode`) and audited.
//!
//! The case state machine stays the one authority on the journey (spec §1.4): starting a
//! looked-after episode from a case records the case's `BecameLookedAfter` step in the same
//! transaction; closing an early help episode that the front door stepped down ends the case
//! (`EarlyHelpEnded`); a step up moves it back to `REFERRAL_RECEIVED`, and the front door's
//! decision on the step-up referral continues that case rather than opening another.
//!
//! Every save of a looked-after episode (start, change of placement or legal status, review,
//! end) goes through [`App::save_looked_after`], so whatever must follow a change of looked-after
//! status (the CP-IS flags) can hook into the same transaction there.

use jiff::civil::Date;
use safeguard_domain::early_help::{EarlyHelpClosure, EarlyHelpOrigin, LeadPractitioner};
use safeguard_domain::journey::{CaseEvent, CaseState};
use safeguard_domain::looked_after::{ChangeInput, PeriodInput, ReasonEpisodeCeased};
use safeguard_domain::records::ActionItem;
use safeguard_domain::{
    AgencyKind, Case, CaseClock, CaseId, CaseStep, ChildId, ChronologyEntry, ChronologyKind,
    ClosureReason, ConsentStatus, EarlyHelpEpisode, EarlyHelpId, EventId, Involvement, LawfulBasis,
    LookedAfterEpisode, LookedAfterId, PrimaryNeed, Referral, ReferralSource, ReferredChild, Role,
    Urgency,
};
use safeguard_policy::{Action, ChildFacts, Decision, EarlyHelpFacts, Resource};
use safeguard_store::{ChildRow, InvolvementRow, StoreError, Tx};

use crate::cases::{case_error, save_case};
use crate::{App, AppError, AppResult, CurrentUser, FieldError};

/// A domain check's refusal as the form's error.
fn invalid(e: safeguard_domain::validate::FieldError) -> AppError {
    AppError::Invalid(vec![FieldError::new(e.field, e.message)])
}

fn subject(child: ChildId) -> String {
    format!("child:{child}")
}

fn long(d: Date) -> String {
    d.strftime("%-d %B %Y").to_string()
}

async fn child_facts(tx: &mut Box<dyn Tx>, row: &ChildRow) -> AppResult<ChildFacts> {
    Ok(ChildFacts {
        allocated: tx.allocations(row.child.id).await?,
        owning_team: row.owning_team,
        school: row.child.school,
    })
}

async fn child_row(tx: &mut Box<dyn Tx>, id: ChildId) -> AppResult<ChildRow> {
    tx.get_child(id).await?.ok_or(AppError::NotFound("child"))
}

/// An early help episode as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlyHelpView {
    /// The episode.
    pub episode: EarlyHelpEpisode,
    /// The child's name (all the lead practitioner sees of the child's record).
    pub child_name: String,
    /// The local clocks (EH1, EH2) as of today.
    pub clocks: Vec<CaseClock>,
    /// Whether the viewer may record on it.
    pub can_edit: bool,
    /// Why the viewer may see it.
    pub access_reason: &'static str,
}

/// An episode as the child's page shows it, with its clocks as of today (T13 for a
/// looked-after episode, EH1 and EH2 for early help).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpisodeView<E> {
    /// The episode.
    pub episode: E,
    /// Its clocks.
    pub clocks: Vec<CaseClock>,
}

/// A looked-after episode with its review clocks.
pub type LookedAfterView = EpisodeView<LookedAfterEpisode>;
/// An early help episode with its local clocks.
pub type EarlyHelpSummary = EpisodeView<EarlyHelpEpisode>;

/// What is entered to start an early help episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartEarlyHelpInput {
    /// The case it steps down from (at `EARLY_HELP`, or closed with RC9), if any.
    pub case: Option<CaseId>,
    /// The lead practitioner's account.
    pub lead: safeguard_domain::PractitionerId,
    /// The day it starts.
    pub on: Date,
    /// Why early help.
    pub reason: String,
}

/// One thing recorded on an early help episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EarlyHelpUpdate {
    /// The assessment.
    Assessment {
        /// Completed on.
        on: Date,
        /// What it found.
        summary: String,
    },
    /// The plan.
    Plan {
        /// Agreed on.
        agreed_on: Date,
        /// Outcomes, one a line.
        outcomes: Vec<String>,
        /// Actions.
        actions: Vec<ActionItem>,
    },
    /// A review.
    Review {
        /// Held on.
        on: Date,
        /// What it found.
        note: String,
    },
    /// The closure.
    Close {
        /// Closed on.
        on: Date,
        /// Why.
        reason: EarlyHelpClosure,
        /// A note.
        note: String,
    },
}

/// What the lead practitioner adds when stepping up (the rest comes from the episode and the
/// child's record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepUpInput {
    /// The local authority referred to.
    pub la: safeguard_domain::AgencyId,
    /// What has changed and why a referral is needed; the form pre-fills the episode's
    /// history.
    pub reasons: String,
    /// Consent, or why it was not sought.
    pub consent: ConsentStatus,
    /// The lawful basis for sharing.
    pub lawful_basis: LawfulBasis,
    /// Urgency.
    pub urgency: Urgency,
    /// Whether the child is safe now.
    pub child_safe_now: bool,
    /// How to reach the lead practitioner.
    pub referrer_contact: String,
    /// The version of the episode the lead saw.
    pub version: u32,
}

/// What is entered to start a looked-after episode from a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartLookedAfterInput {
    /// The category of need (N1 to N8).
    pub need: PrimaryNeed,
    /// Start, legal status and placement.
    pub period: PeriodInput,
    /// The version of the case the worker saw.
    pub version: u32,
}

/// One thing recorded on a looked-after episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookedAfterUpdate {
    /// A change of placement or legal status.
    Change(ChangeInput),
    /// A review.
    Review {
        /// Held on.
        on: Date,
        /// What it decided.
        note: String,
    },
    /// The end.
    End {
        /// `DEC`.
        on: Date,
        /// `REC`.
        reason: ReasonEpisodeCeased,
    },
}

/// What happened to a looked-after episode, for [`App::save_looked_after`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookedAfterSave {
    /// It started.
    Started,
    /// Its placement or legal status changed.
    Changed,
    /// A review was held.
    Reviewed,
    /// It ended.
    Ended,
}

impl LookedAfterSave {
    fn code(self) -> &'static str {
        match self {
            LookedAfterSave::Started => "start",
            LookedAfterSave::Changed => "change",
            LookedAfterSave::Reviewed => "review",
            LookedAfterSave::Ended => "end",
        }
    }
}

/// The CIN census referral source of a step up, from the lead's agency (CIN census
/// `ReferralSource`; 5D "LA services – early help" for the authority's own early help service).
fn step_up_source(kind: AgencyKind) -> ReferralSource {
    match kind {
        AgencyKind::School | AgencyKind::College | AgencyKind::EarlyYears => {
            ReferralSource::Schools
        }
        AgencyKind::GpPractice => ReferralSource::HealthGp,
        AgencyKind::NhsTrust | AgencyKind::IntegratedCareBoard => ReferralSource::HealthOther,
        AgencyKind::PoliceForce => ReferralSource::Police,
        AgencyKind::Probation => ReferralSource::OtherLegalAgency,
        AgencyKind::YouthJustice => ReferralSource::LaOtherInternal,
        AgencyKind::LocalAuthority => ReferralSource::LaEarlyHelp,
        AgencyKind::VoluntarySector | AgencyKind::NationalReviewPanel | AgencyKind::Other => {
            ReferralSource::Other
        }
    }
}

/// A child's record as a referral describes it.
fn referred_child(c: &safeguard_domain::Child) -> ReferredChild {
    let address = c.addresses.first();
    ReferredChild {
        name: c.name.clone(),
        birth: Some(c.birth),
        sex: c.sex,
        nhs_number: c.nhs_number.clone(),
        address: address
            .map(|a| {
                let mut lines = a.lines.clone();
                lines.push(a.town.clone());
                lines.join(", ")
            })
            .unwrap_or_default(),
        postcode: address.map(|a| a.postcode.clone()),
    }
}

impl App {
    fn early_help_facts(facts: ChildFacts, e: &EarlyHelpEpisode) -> EarlyHelpFacts {
        EarlyHelpFacts {
            child: facts,
            lead: Some(e.lead.practitioner),
        }
    }

    async fn chronology_line(
        &self,
        tx: &mut Box<dyn Tx>,
        user: &CurrentUser,
        child: ChildId,
        date: Date,
        summary: String,
    ) -> AppResult<()> {
        tx.add_chronology(&ChronologyEntry {
            id: EventId::new(),
            child,
            date,
            summary,
            kind: ChronologyKind::Episode,
            agency: Some(user.agency.id),
            recorded_by: Some(user.practitioner.id),
        })
        .await?;
        Ok(())
    }

    /// The episodes' views for the child's page and the clocks of "Your work".
    pub(crate) async fn episodes_of(
        &self,
        tx: &mut Box<dyn Tx>,
        child: ChildId,
    ) -> AppResult<(Vec<EarlyHelpSummary>, Vec<LookedAfterView>)> {
        let today = self.today();
        let cal = self.calendar();
        let early = tx
            .early_help_of_child(child)
            .await?
            .into_iter()
            .map(|episode| EarlyHelpSummary {
                clocks: episode.clocks(today, &cal),
                episode,
            })
            .collect();
        let looked = tx
            .looked_after_of_child(child)
            .await?
            .into_iter()
            .map(|episode| LookedAfterView {
                clocks: episode.clocks(today, &cal),
                episode,
            })
            .collect();
        Ok((early, looked))
    }

    /// Every open clock of a child's episodes, with the page it is done on.
    pub(crate) async fn episode_clocks(
        &self,
        tx: &mut Box<dyn Tx>,
        child: ChildId,
    ) -> AppResult<Vec<(CaseClock, String)>> {
        let (early, looked) = self.episodes_of(tx, child).await?;
        let mut out = Vec::new();
        for e in early {
            for c in e.clocks {
                out.push((c, format!("/early-help/{}", e.episode.id)));
            }
        }
        for l in looked {
            for c in l.clocks {
                out.push((c, format!("/children/{child}#looked-after")));
            }
        }
        out.retain(|(c, _)| c.done_on.is_none());
        Ok(out)
    }

    /// Starts an early help episode: a step down from a case (the front door's "signpost to
    /// early help", or an assessment closed RC9), or an agency's own for a concern below the
    /// threshold.
    pub async fn start_early_help(
        &self,
        user: &CurrentUser,
        child: ChildId,
        input: StartEarlyHelpInput,
    ) -> AppResult<EarlyHelpId> {
        let mut tx = self.begin().await?;
        let row = child_row(&mut tx, child).await?;
        let facts = child_facts(&mut tx, &row).await?;
        let (mut tx, decision) = self
            .authorize(
                tx,
                user,
                Action::StartEarlyHelp,
                Resource::Child(&facts),
                "early_help.start",
                &subject(child),
            )
            .await?;
        let (origin, not_before) = match input.case {
            None => (EarlyHelpOrigin::Agency, None),
            Some(id) => {
                let case = tx.get_case(id).await?.ok_or(AppError::NotFound("case"))?;
                if case.child != child {
                    return Err(AppError::NotFound("case"));
                }
                let last = case.steps.last().map(|s| s.on);
                match (case.state, case.steps.last().map(|s| s.event)) {
                    (CaseState::EarlyHelp, _) => (
                        EarlyHelpOrigin::FrontDoor {
                            referral: case.referral,
                            case: id,
                        },
                        last,
                    ),
                    (
                        CaseState::Closed,
                        Some(CaseEvent::Closed(ClosureReason::AfterAssessmentEarlyHelp)),
                    ) => (EarlyHelpOrigin::AfterAssessment { case: id }, last),
                    _ => {
                        return Err(AppError::Invalid(vec![FieldError::new(
                            "lead",
                            "This case was not stepped down to early help: the front door signposts to early help, or an assessment closes with RC9",
                        )]));
                    }
                }
            }
        };
        let lead = self.lead_practitioner(&mut tx, input.lead).await?;
        let others = tx.early_help_of_child(child).await?;
        let episode = EarlyHelpEpisode::start(
            EarlyHelpId::new(),
            child,
            lead,
            origin,
            input.on,
            &input.reason,
            not_before,
            &others,
            self.today(),
        )
        .map_err(invalid)?;
        match tx.insert_early_help(&episode).await {
            Err(StoreError::Conflict { .. }) => {
                return Err(AppError::Invalid(vec![FieldError::new(
                    "start_date-day",
                    "The child already has an open early help episode: someone started one since you opened this page",
                )]));
            }
            other => other?,
        }
        tx.add_involvement(
            child,
            &InvolvementRow {
                agency: episode.lead.agency,
                involvement: Involvement::Working,
                since: input.on,
            },
        )
        .await?;
        self.chronology_line(
            &mut tx,
            user,
            child,
            input.on,
            format!(
                "Early help started ({}), led by {} of {}",
                origin.label().to_lowercase(),
                episode.lead.name,
                episode.lead.agency_name
            ),
        )
        .await?;
        if episode.lead.practitioner != user.practitioner.id {
            tx.insert_notification(&self.notification(
                episode.lead.practitioner,
                "You are the lead practitioner for a new early help episode".into(),
                format!("/early-help/{}", episode.id),
            ))
            .await?;
        }
        tx.append_audit(&self.event(
            &user.audit_name(),
            "early_help.start",
            &subject(child),
            Some(decision),
            serde_json::json!({"episode": episode.id, "lead": episode.lead.practitioner, "case": origin.case()}),
        ))
        .await?;
        tx.commit().await?;
        tracing::info!(early_help.id = %episode.id, "early help started");
        Ok(episode.id)
    }

    /// The practitioners who may lead early help, for the start form: active accounts with a
    /// role that works with children (not administrators or analysts only).
    pub async fn possible_leads(&self) -> AppResult<Vec<safeguard_domain::Practitioner>> {
        let mut tx = self.begin().await?;
        Ok(tx
            .list_practitioners()
            .await?
            .into_iter()
            .filter(|p| p.active && may_lead(&p.roles))
            .collect())
    }

    async fn lead_practitioner(
        &self,
        tx: &mut Box<dyn Tx>,
        id: safeguard_domain::PractitionerId,
    ) -> AppResult<LeadPractitioner> {
        let not_a_lead = || {
            AppError::Invalid(vec![FieldError::new(
                "lead",
                "Select the lead practitioner from the list",
            )])
        };
        let account = tx.get_account(id).await?.ok_or_else(not_a_lead)?;
        let p = account.practitioner;
        if !p.active || !may_lead(&p.roles) {
            return Err(not_a_lead());
        }
        let agency = tx.get_agency(p.agency).await?.ok_or_else(not_a_lead)?;
        Ok(LeadPractitioner {
            practitioner: p.id,
            name: p.name,
            agency: agency.id,
            agency_name: agency.name,
        })
    }

    /// Asks policy whether the user may record on the child (a looked-after episode is part of
    /// the case file); a refusal is audited.
    async fn may_edit_child(
        &self,
        mut tx: Box<dyn Tx>,
        user: &CurrentUser,
        child: ChildId,
        audit_action: &str,
    ) -> AppResult<(Box<dyn Tx>, Decision)> {
        let row = child_row(&mut tx, child).await?;
        let facts = child_facts(&mut tx, &row).await?;
        self.authorize(
            tx,
            user,
            Action::EditChild,
            Resource::Child(&facts),
            audit_action,
            &subject(child),
        )
        .await
    }

    /// Loads an early help episode and asks policy; a refusal is audited.
    async fn early_help_tx(
        &self,
        user: &CurrentUser,
        id: EarlyHelpId,
        action: Action,
        audit_action: &str,
    ) -> AppResult<(Box<dyn Tx>, EarlyHelpEpisode, ChildRow, Decision)> {
        let mut tx = self.begin().await?;
        let episode = tx
            .get_early_help(id)
            .await?
            .ok_or(AppError::NotFound("early help episode"))?;
        let row = child_row(&mut tx, episode.child).await?;
        let facts = Self::early_help_facts(child_facts(&mut tx, &row).await?, &episode);
        let (tx, decision) = self
            .authorize(
                tx,
                user,
                action,
                Resource::EarlyHelp(&facts),
                audit_action,
                &subject(episode.child),
            )
            .await?;
        Ok((tx, episode, row, decision))
    }

    /// Opens an early help episode: its lead practitioner sees it (with the child's name and
    /// nothing else of the case file), as do those who work on the case. Audited.
    pub async fn view_early_help(
        &self,
        user: &CurrentUser,
        id: EarlyHelpId,
    ) -> AppResult<EarlyHelpView> {
        let (mut tx, episode, row, decision) = self
            .early_help_tx(user, id, Action::ViewEarlyHelp, "early_help.view")
            .await?;
        let facts = Self::early_help_facts(child_facts(&mut tx, &row).await?, &episode);
        let can_edit = self.permitted(user, Action::EditEarlyHelp, Resource::EarlyHelp(&facts));
        tx.append_audit(&self.event(
            &user.audit_name(),
            "early_help.view",
            &subject(episode.child),
            Some(decision),
            serde_json::json!({"episode": id}),
        ))
        .await?;
        tx.commit().await?;
        Ok(EarlyHelpView {
            clocks: episode.clocks(self.today(), &self.calendar()),
            child_name: row.child.name.full(),
            episode,
            can_edit,
            access_reason: decision.reason(),
        })
    }

    /// Records the assessment, the plan, a review or the closure of an early help episode.
    /// Closing an episode the front door stepped down also ends its case (`EarlyHelpEnded`,
    /// spec §1.4 `EARLY_HELP -> CLOSED`).
    pub async fn record_early_help(
        &self,
        user: &CurrentUser,
        id: EarlyHelpId,
        version: u32,
        update: EarlyHelpUpdate,
    ) -> AppResult<()> {
        let (mut tx, mut episode, _, decision) = self
            .early_help_tx(user, id, Action::EditEarlyHelp, "early_help.record")
            .await?;
        if episode.version != version {
            return Err(stale_episode("early help episode"));
        }
        let today = self.today();
        let (what, on, line) = match update {
            EarlyHelpUpdate::Assessment { on, summary } => {
                episode
                    .record_assessment(on, &summary, today)
                    .map_err(invalid)?;
                (
                    "assessment",
                    on,
                    "Early help assessment completed".to_owned(),
                )
            }
            EarlyHelpUpdate::Plan {
                agreed_on,
                outcomes,
                actions,
            } => {
                episode
                    .record_plan(agreed_on, outcomes, actions, today)
                    .map_err(invalid)?;
                ("plan", agreed_on, "Early help plan agreed".to_owned())
            }
            EarlyHelpUpdate::Review { on, note } => {
                episode
                    .record_review(on, &note, today, user.practitioner.id)
                    .map_err(invalid)?;
                ("review", on, "Early help plan reviewed".to_owned())
            }
            EarlyHelpUpdate::Close { on, reason, note } => {
                episode.close(on, reason, &note, today).map_err(invalid)?;
                if let EarlyHelpOrigin::FrontDoor { case, .. } = episode.origin {
                    self.end_stepped_down_case(&mut tx, user, case, on).await?;
                }
                (
                    "close",
                    on,
                    format!("Early help closed: {}", reason.label().to_lowercase()),
                )
            }
        };
        episode.version += 1;
        save_early_help(&mut tx, &episode).await?;
        self.chronology_line(&mut tx, user, episode.child, on, line)
            .await?;
        tx.append_audit(&self.event(
            &user.audit_name(),
            "early_help.record",
            &subject(episode.child),
            Some(decision),
            serde_json::json!({"episode": id, "what": what}),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// `EARLY_HELP -> CLOSED` on the case the front door stepped down, if it is still there.
    async fn end_stepped_down_case(
        &self,
        tx: &mut Box<dyn Tx>,
        user: &CurrentUser,
        id: CaseId,
        on: Date,
    ) -> AppResult<()> {
        let Some(mut case) = tx.get_case(id).await? else {
            return Ok(());
        };
        if case.state != CaseState::EarlyHelp {
            return Ok(());
        }
        self.apply_case_step(
            tx,
            user,
            &mut case,
            CaseEvent::EarlyHelpEnded,
            on,
            String::new(),
            "end_date-day",
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn apply_case_step(
        &self,
        tx: &mut Box<dyn Tx>,
        user: &CurrentUser,
        case: &mut Case,
        event: CaseEvent,
        on: Date,
        note: String,
        field: &str,
    ) -> AppResult<()> {
        case.apply(
            CaseStep {
                on,
                event,
                note,
                category: None,
                recorded_by: user.practitioner.id,
                recorded_at: self.now(),
                record: None,
            },
            self.today(),
            &self.calendar(),
        )
        .map_err(|e| case_error(e, field))?;
        case.version += 1;
        save_case(tx, case).await
    }

    /// Steps up from an open early help episode: a referral to the local authority with the
    /// child as recorded, linked back to the episode so the front door sees its history. When
    /// the front door had stepped the child down, its case goes back to `REFERRAL_RECEIVED`
    /// (spec §1.4 `EARLY_HELP -> REFERRAL_RECEIVED`, "escalation"), and the decision continues
    /// it.
    pub async fn step_up_early_help(
        &self,
        user: &CurrentUser,
        id: EarlyHelpId,
        input: StepUpInput,
    ) -> AppResult<safeguard_domain::ReferralId> {
        let (mut tx, mut episode, row, decision) = self
            .early_help_tx(user, id, Action::EditEarlyHelp, "early_help.step_up")
            .await?;
        if episode.version != input.version {
            return Err(stale_episode("early help episode"));
        }
        let referral_input = crate::referrals::ReferralInput {
            la: input.la,
            child: referred_child(&row.child),
            source: step_up_source(user.agency.kind),
            reasons: input.reasons,
            factors: vec![],
            consent: input.consent,
            lawful_basis: input.lawful_basis,
            urgency: input.urgency,
            child_safe_now: input.child_safe_now,
            household: vec![],
            communication_needs: String::new(),
            referrer_contact: input.referrer_contact,
            referrer_name: None,
            concern: None,
        };
        self.check_referral(&referral_input, false)
            .map_err(AppError::Invalid)?;
        let mut referral: Referral = self
            .new_referral(
                &mut tx,
                referral_input,
                safeguard_domain::Channel::Form,
                crate::referrals::Referrer {
                    practitioner: Some(user.practitioner.id),
                    agency: Some(user.agency.id),
                    name: user.practitioner.name.clone(),
                },
            )
            .await?;
        // The child is the episode's: no matching needed, and the referral links back.
        referral.matched_child = Some(episode.child);
        referral.early_help = Some(episode.id);
        let today = self.today();
        episode.step_up(referral.id, today).map_err(invalid)?;
        episode.version += 1;
        if let EarlyHelpOrigin::FrontDoor { case, .. } = episode.origin
            && let Some(mut c) = tx.get_case(case).await?
            && c.state == CaseState::EarlyHelp
        {
            self.apply_case_step(
                &mut tx,
                user,
                &mut c,
                CaseEvent::ReferralReceived,
                today,
                "Stepped up from early help".into(),
                "reasons",
            )
            .await?;
        }
        tx.insert_referral(&referral).await?;
        save_early_help(&mut tx, &episode).await?;
        let la = tx
            .get_agency(referral.la)
            .await?
            .map(|a| a.name)
            .unwrap_or_default();
        self.chronology_line(
            &mut tx,
            user,
            episode.child,
            today,
            format!("Stepped up from early help: referral to {la}"),
        )
        .await?;
        tx.insert_notification(&self.notification(
            user.practitioner.id,
            format!(
                "{la} received your step-up referral. A decision is due by {}.",
                long(referral.decision_due)
            ),
            format!("/referrals/{}", referral.id),
        ))
        .await?;
        tx.append_audit(&self.event(
            &user.audit_name(),
            "early_help.step_up",
            &subject(episode.child),
            Some(decision),
            serde_json::json!({"episode": id, "referral": referral.id, "la": referral.la, "lawful_basis": referral.lawful_basis.code(), "consent": referral.consent.code()}),
        ))
        .await?;
        tx.commit().await?;
        tracing::info!(early_help.id = %id, referral.id = %referral.id, "stepped up");
        Ok(referral.id)
    }

    /// For the front door's decision on a step-up referral: the case it continues, when the
    /// front door had stepped the child down and the step up moved that case back to
    /// `REFERRAL_RECEIVED`.
    pub(crate) async fn stepped_up_case(
        &self,
        tx: &mut Box<dyn Tx>,
        referral: &Referral,
    ) -> AppResult<Option<Case>> {
        let Some(eh) = referral.early_help else {
            return Ok(None);
        };
        let Some(episode) = tx.get_early_help(eh).await? else {
            return Ok(None);
        };
        let Some(case_id) = episode.origin.case() else {
            return Ok(None);
        };
        Ok(tx
            .get_case(case_id)
            .await?
            .filter(|c| c.state == CaseState::ReferralReceived))
    }

    /// The early help history a step-up referral carries, for the front door's screening page.
    pub(crate) async fn step_up_history(
        &self,
        tx: &mut Box<dyn Tx>,
        referral: &Referral,
    ) -> AppResult<Option<String>> {
        let Some(eh) = referral.early_help else {
            return Ok(None);
        };
        Ok(tx.get_early_help(eh).await?.map(|e| e.history()))
    }

    /// The early help episodes the user leads, with their open clocks.
    pub async fn early_help_led(
        &self,
        user: &CurrentUser,
    ) -> AppResult<Vec<(EarlyHelpEpisode, String)>> {
        let mut tx = self.begin().await?;
        let mut out = Vec::new();
        for e in tx.early_help_led_by(user.practitioner.id).await? {
            let name = tx
                .get_child(e.child)
                .await?
                .map(|r| r.child.name.full())
                .unwrap_or_default();
            out.push((e, name));
        }
        Ok(out)
    }

    /// Starts a looked-after episode from a case: the case's `BecameLookedAfter` step (spec
    /// §1.4 "any state -> LOOKED_AFTER") and the episode, in one transaction.
    pub async fn start_looked_after(
        &self,
        user: &CurrentUser,
        case_id: CaseId,
        input: StartLookedAfterInput,
    ) -> AppResult<LookedAfterId> {
        let mut tx = self.begin().await?;
        let mut case = tx
            .get_case(case_id)
            .await?
            .ok_or(AppError::NotFound("case"))?;
        let (mut tx, decision) = self
            .may_edit_child(tx, user, case.child, "looked_after.start")
            .await?;
        if case.version != input.version {
            return Err(crate::cases::stale_case());
        }
        let others = tx.looked_after_of_child(case.child).await?;
        let status = input.period.legal_status;
        let on = input.period.on;
        let episode = LookedAfterEpisode::start(
            LookedAfterId::new(),
            case.child,
            Some(case_id),
            input.need,
            input.period,
            &others,
            self.today(),
            user.practitioner.id,
            self.now(),
        )
        .map_err(invalid)?;
        let note = episode
            .current()
            .map(|p| p.placement.summary())
            .unwrap_or_default();
        // The episode first, so that the case step's flag refresh already finds it and the
        // LAC flag is raised once, from the episode.
        self.save_looked_after(&mut tx, user, &episode, LookedAfterSave::Started, decision)
            .await?;
        self.apply_case_step(
            &mut tx,
            user,
            &mut case,
            CaseEvent::BecameLookedAfter(status),
            on,
            note,
            "legal_status",
        )
        .await?;
        tx.commit().await?;
        Ok(episode.id)
    }

    /// Records a change of placement or legal status, a review, or the end of a looked-after
    /// episode.
    pub async fn record_looked_after(
        &self,
        user: &CurrentUser,
        id: LookedAfterId,
        version: u32,
        update: LookedAfterUpdate,
    ) -> AppResult<()> {
        let mut tx = self.begin().await?;
        let mut episode = tx
            .get_looked_after(id)
            .await?
            .ok_or(AppError::NotFound("looked-after episode"))?;
        let (mut tx, decision) = self
            .may_edit_child(tx, user, episode.child, "looked_after.record")
            .await?;
        if episode.version != version {
            return Err(stale_episode("looked-after episode"));
        }
        let today = self.today();
        let by = user.practitioner.id;
        let what = match update {
            LookedAfterUpdate::Change(change) => {
                episode
                    .change(change, today, by, self.now())
                    .map_err(invalid)?;
                LookedAfterSave::Changed
            }
            LookedAfterUpdate::Review { on, note } => {
                episode
                    .record_review(on, note, today, by, self.now())
                    .map_err(invalid)?;
                LookedAfterSave::Reviewed
            }
            LookedAfterUpdate::End { on, reason } => {
                episode.end(on, reason, today, by).map_err(invalid)?;
                LookedAfterSave::Ended
            }
        };
        episode.version += 1;
        self.save_looked_after(&mut tx, user, &episode, what, decision)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The one way a looked-after episode is saved, inside the caller's transaction: the row
    /// (inserted on start, version-checked after), the chronology line and the audit event.
    /// Whatever depends on a child's looked-after status (the CP-IS flags, from
    /// [`safeguard_domain::looked_after_on`]) belongs here, so it changes in the same
    /// transaction as the episode.
    pub async fn save_looked_after(
        &self,
        tx: &mut Box<dyn Tx>,
        user: &CurrentUser,
        episode: &LookedAfterEpisode,
        what: LookedAfterSave,
        decision: Decision,
    ) -> AppResult<()> {
        let result = match what {
            LookedAfterSave::Started => tx.insert_looked_after(episode).await,
            _ => tx.update_looked_after(episode).await,
        };
        match result {
            Err(StoreError::Conflict {
                what: "open looked-after episode",
            }) => {
                return Err(AppError::Invalid(vec![FieldError::new(
                    "start_date-day",
                    "The child is already in an open looked-after episode: someone started one since you opened this page",
                )]));
            }
            Err(StoreError::Conflict { .. }) => return Err(stale_episode("looked-after episode")),
            other => other?,
        }
        let (on, line) = match what {
            LookedAfterSave::Started => {
                let p = episode.current();
                (
                    episode.started_on(),
                    format!(
                        "Became looked after: {}; placement {}",
                        p.map(|p| p.legal_status.label()).unwrap_or_default(),
                        p.map(|p| p.placement.summary()).unwrap_or_default()
                    ),
                )
            }
            LookedAfterSave::Changed => {
                let p = episode.current();
                (
                    p.map_or(episode.started_on(), |p| p.from),
                    format!(
                        "Looked-after episode: {} ({}; {})",
                        p.map(|p| p.reason.label()).unwrap_or_default(),
                        p.map(|p| p.legal_status.label()).unwrap_or_default(),
                        p.map(|p| p.placement.summary()).unwrap_or_default()
                    ),
                )
            }
            LookedAfterSave::Reviewed => (
                episode
                    .reviews
                    .last()
                    .map_or(episode.started_on(), |r| r.on),
                "Looked-after child review held".to_owned(),
            ),
            LookedAfterSave::Ended => (
                episode.end.as_ref().map_or(episode.started_on(), |e| e.on),
                format!(
                    "Ceased to be looked after: {}",
                    episode
                        .end
                        .as_ref()
                        .map(|e| e.reason.label())
                        .unwrap_or_default()
                ),
            ),
        };
        self.chronology_line(tx, user, episode.child, on, line)
            .await?;
        // Issue 4: LAC flags (s31, s38, s20) follow the episode in the same transaction.
        crate::flags::refresh_flags(tx, episode.child).await?;
        tx.append_audit(&self.event(
            &user.audit_name(),
            &format!("looked_after.{}", what.code()),
            &subject(episode.child),
            Some(decision),
            serde_json::json!({"episode": episode.id, "version": episode.version}),
        ))
        .await?;
        tracing::info!(looked_after.id = %episode.id, what = what.code(), "looked-after episode saved");
        Ok(())
    }
}

/// Roles that may lead early help: any that works with children.
fn may_lead(roles: &[Role]) -> bool {
    roles.iter().any(|r| {
        !matches!(
            r,
            Role::SystemAdministrator
                | Role::Analyst
                | Role::DataProtectionOfficer
                | Role::PartnershipManager
        )
    })
}

fn stale_episode(what: &str) -> AppError {
    AppError::Conflict {
        message: format!(
            "Someone else saved this {what} since you opened it. Nothing you entered was saved: reload the page to see their change, then try again"
        ),
        field: "version",
        existing: None,
    }
}

async fn save_early_help(tx: &mut Box<dyn Tx>, e: &EarlyHelpEpisode) -> AppResult<()> {
    match tx.update_early_help(e).await {
        Err(StoreError::Conflict { .. }) => Err(stale_episode("early help episode")),
        other => Ok(other?),
    }
}
