//! A child's case: one episode of children's social care from the front door's decision to
//! closure, as a list of dated steps driven through the state machine of [`crate::journey`],
//! with the statutory clocks each step starts and stops.
//!
//! Every step is checked before it is kept: the transition must be one the guidance allows (the
//! error says what must happen first), steps cannot go back in time, a conference cannot fall on
//! a weekend or bank holiday (CIN census rule 8875), a plan's category is set by the conference
//! that makes it, and nothing is dated in the future.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::clocks::{self, ClockStatus};
use crate::codes::{
    AbuseCategory, ClosureReason, ConferenceKind, CpPlanEndReason, ImmediateProtection,
    ScreeningOutcome, StrategyOutcome,
};
use crate::ids::{ChildId, PractitionerId, ReferralId};
use crate::journey::{CaseEvent, CaseState, TransitionError, transition};
use crate::records::{
    AssessmentConclusion, Conference, ConferenceDecision, Protection, StepRecord,
    StrategyDiscussion,
};
use crate::timescales::RuleId;

/// Identifies a case (an episode).
pub type CaseId = crate::ids::Id<crate::ids::kinds::Case>;

/// One recorded step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseStep {
    /// The date it happened.
    pub on: Date,
    /// What happened.
    pub event: CaseEvent,
    /// A note: who attended, what was decided, actions and owners.
    pub note: String,
    /// For a plan: the category of abuse the conference set (initial or latest).
    pub category: Option<AbuseCategory>,
    /// Who recorded it.
    pub recorded_by: PractitionerId,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// The structured record of the step: the strategy discussion, conference, order or
    /// assessment conclusion it records ([`crate::records`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<StepRecord>,
}

impl CaseStep {
    /// The chronology type of this step: its record's, or its event's.
    pub fn chronology_kind(&self) -> crate::model::ChronologyKind {
        use crate::model::ChronologyKind as K;
        match &self.record {
            Some(StepRecord::StrategyDiscussion(_) | StepRecord::Conference(_)) => K::Meeting,
            Some(StepRecord::Protection(_)) => K::Protection,
            Some(StepRecord::Assessment(_)) => K::Assessment,
            None => match self.event {
                CaseEvent::ReferralReceived => K::Referral,
                CaseEvent::Screened(_)
                | CaseEvent::S47Initiated
                | CaseEvent::S47FoundContinuingRisk => K::Decision,
                CaseEvent::AssessmentStarted => K::Assessment,
                CaseEvent::StrategyDiscussionHeld
                | CaseEvent::FurtherStrategyDiscussion
                | CaseEvent::ConferenceHeld(_)
                | CaseEvent::CoreGroupMet => K::Meeting,
                CaseEvent::ProtectionTaken(_) => K::Protection,
                CaseEvent::CpPlanStarted
                | CaseEvent::PlanContinued
                | CaseEvent::CpPlanEnded(_)
                | CaseEvent::CinPlanStarted => K::Plan,
                CaseEvent::EarlyHelpAgreed
                | CaseEvent::EarlyHelpEnded
                | CaseEvent::BecameLookedAfter(_) => K::Episode,
                CaseEvent::Closed(_) => K::Closure,
            },
        }
    }
}

/// A case: the child, the referral that opened it and its steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// Id.
    pub id: CaseId,
    /// Optimistic version, as for referrals.
    pub version: u32,
    /// The child.
    pub child: ChildId,
    /// The referral that opened it.
    pub referral: Option<ReferralId>,
    /// The referral date (CIN census `CINreferralDate`), from which T3 runs.
    pub referral_on: Date,
    /// Where the case is now.
    pub state: CaseState,
    /// Steps, oldest first.
    pub steps: Vec<CaseStep>,
}

/// Why a step was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    /// The guidance does not allow this step now.
    #[error("{0}")]
    Transition(#[from] TransitionError),
    /// A date is wrong; names the field and how to fix it.
    #[error("{message}")]
    Date {
        /// The form field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A plan needs its category.
    #[error("Select the category of abuse the conference set")]
    MissingCategory,
    /// A field of a record is missing or wrong; names the field and how to fix it.
    #[error("{message}")]
    Field {
        /// The form field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// The form a step must be recorded on, when it needs a structured record rather than the
/// one-line step form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordForm {
    /// A strategy discussion (its outcome, or a further one).
    StrategyDiscussion,
    /// A conference of this kind, with its decision.
    Conference(ConferenceKind),
    /// Police protection or an emergency protection order.
    Protection,
    /// The conclusion of a child and family assessment.
    Assessment,
    /// A looked-after episode (its legal status and placement) started from the case.
    LookedAfter,
    /// The early help episode a step down leads to: its lead practitioner and plan, and its
    /// end or step up (`EARLY_HELP` exits are recorded on the episode, never as a bare step).
    EarlyHelp,
}

impl RecordForm {
    /// The form's address segment under a case: `strategy-discussion`, `conference/initial`.
    pub fn slug(self) -> String {
        match self {
            RecordForm::StrategyDiscussion => "strategy-discussion".to_owned(),
            RecordForm::Conference(k) => format!("conference/{}", k.code()),
            RecordForm::Protection => "protection".to_owned(),
            RecordForm::Assessment => "assessment".to_owned(),
            RecordForm::LookedAfter => "looked-after".to_owned(),
            RecordForm::EarlyHelp => "early-help".to_owned(),
        }
    }

    /// What the form records, for its link and heading.
    pub fn label(self) -> &'static str {
        match self {
            RecordForm::StrategyDiscussion => "Record a strategy discussion",
            RecordForm::Conference(ConferenceKind::Initial) => {
                "Record the initial child protection conference"
            }
            RecordForm::Conference(ConferenceKind::Review) => {
                "Record a review child protection conference"
            }
            RecordForm::Conference(ConferenceKind::TransferIn) => {
                "Record the transfer-in child protection conference"
            }
            RecordForm::Protection => "Record police protection or an emergency protection order",
            RecordForm::Assessment => "Record the assessment's outcome",
            RecordForm::LookedAfter => "Start a looked-after episode",
            RecordForm::EarlyHelp => "Start the early help episode",
        }
    }
}

/// A statutory clock on a case, with its status as of a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseClock {
    /// The rule, e.g. T3.
    pub rule: RuleId,
    /// What is due.
    pub label: &'static str,
    /// When.
    pub due: Date,
    /// When it was done, if it was.
    pub done_on: Option<Date>,
    /// Upcoming, due today, overdue, done in time or late.
    pub status: ClockStatus,
    /// For clocks counted in hours or from a time of day (T11, T12), the exact instant.
    pub due_at: Option<Timestamp>,
}

/// A stable text code for an event, for forms: `screened:assessment`, `closed:RC8`.
pub fn event_code(event: CaseEvent) -> String {
    match serde_json::to_value(event) {
        Ok(serde_json::Value::Object(map)) => {
            let name = map
                .get("event")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            match map.get("code").and_then(|v| v.as_str()) {
                Some(code) => format!("{name}:{code}"),
                None => name.to_owned(),
            }
        }
        _ => String::new(),
    }
}

/// Reads an [`event_code`] back.
pub fn parse_event_code(code: &str) -> Option<CaseEvent> {
    CaseEvent::all()
        .into_iter()
        .find(|e| event_code(*e) == code)
}

/// The last working day on or before `d`. A review conference due "within 3 months" of a date
/// that lands on a weekend or bank holiday must in practice be held on the working day before
/// (a conference is never on a non-working day, CIN census rule 8875).
fn working_day_on_or_before(mut d: Date, cal: &Calendar) -> Date {
    while !cal.is_working_day(d) {
        d = d.saturating_sub(jiff::Span::new().days(1));
    }
    d
}

fn is_conference(event: CaseEvent) -> bool {
    matches!(event, CaseEvent::ConferenceHeld(_))
}

impl Case {
    /// Opens a case from the front door's decision (states `REFERRAL_RECEIVED` then the
    /// screening outcome, spec §1.4).
    #[allow(clippy::too_many_arguments)]
    pub fn open(
        id: CaseId,
        child: ChildId,
        referral: Option<ReferralId>,
        referral_on: Date,
        outcome: ScreeningOutcome,
        decided_on: Date,
        by: PractitionerId,
        at: Timestamp,
    ) -> Result<Case, CaseError> {
        let received = transition(CaseState::Concern, CaseEvent::ReferralReceived)?;
        let state = transition(received, CaseEvent::Screened(outcome))?;
        Ok(Case {
            id,
            version: 1,
            child,
            referral,
            referral_on,
            state,
            steps: vec![CaseStep {
                on: decided_on,
                event: CaseEvent::Screened(outcome),
                note: String::new(),
                category: None,
                recorded_by: by,
                recorded_at: at,
                record: None,
            }],
        })
    }

    /// The events the guidance allows next, in the state machine's order.
    pub fn next_events(&self) -> Vec<CaseEvent> {
        crate::journey::allowed_events(self.state)
    }

    /// Checks a step and, if it is allowed, records it.
    pub fn apply(&mut self, step: CaseStep, today: Date, cal: &Calendar) -> Result<(), CaseError> {
        if step.on > today {
            return Err(CaseError::Date {
                field: "on-day",
                message: "The date must be today or in the past".into(),
            });
        }
        if let Some(last) = self.steps.last()
            && step.on < last.on
        {
            return Err(CaseError::Date {
                field: "on-day",
                message: format!(
                    "The date must be on or after the last step ({})",
                    last.on.strftime("%-d %B %Y")
                ),
            });
        }
        if is_conference(step.event) && !clocks::is_conference_date_valid(step.on, cal) {
            // CIN census rules 8870Q/8875: a conference is not held on a weekend or bank holiday.
            return Err(CaseError::Date {
                field: "on-day",
                message: "A conference must be on a working day, not a weekend or bank holiday"
                    .into(),
            });
        }
        if step.event == CaseEvent::CpPlanStarted {
            // CIN census rule 2885: the plan starts on the day of the initial conference.
            // A transfer-in conference makes the receiving authority's plan the same way.
            let icpc = self
                .steps
                .iter()
                .rev()
                .find(|s| {
                    matches!(
                        s.event,
                        CaseEvent::ConferenceHeld(
                            ConferenceKind::Initial | ConferenceKind::TransferIn
                        )
                    )
                })
                .map(|s| s.on);
            if icpc.is_some_and(|d| d != step.on) {
                return Err(CaseError::Date {
                    field: "on-day",
                    message: "A child protection plan starts on the day of the initial conference"
                        .into(),
                });
            }
            if step.category.is_none() {
                return Err(CaseError::MissingCategory);
            }
        }
        self.state = transition(self.state, step.event)?;
        self.steps.push(step);
        Ok(())
    }

    /// The structured form `event` must be recorded on in the case's current state, or `None`
    /// when the one-line step form will do. A meeting's outcome is never recorded without the
    /// meeting: who took part, what was decided and by whom (spec §1.5, §1.7).
    pub fn record_needed(&self, event: CaseEvent) -> Option<RecordForm> {
        use CaseEvent as E;
        use CaseState as S;
        match (self.state, event) {
            (_, E::ConferenceHeld(kind)) => Some(RecordForm::Conference(kind)),
            (S::StrategyDiscussion, E::S47Initiated | E::AssessmentStarted | E::CinPlanStarted)
            | (S::ImmediateProtection | S::CinPlan, E::StrategyDiscussionHeld)
            | (_, E::FurtherStrategyDiscussion) => Some(RecordForm::StrategyDiscussion),
            (_, E::ProtectionTaken(_)) => Some(RecordForm::Protection),
            (S::CfAssessment, E::CinPlanStarted | E::StrategyDiscussionHeld | E::Closed(_)) => {
                Some(RecordForm::Assessment)
            }
            // Spec §1.4 "any state -> LOOKED_AFTER": the episode's legal status, placement and
            // review clock (T13) are recorded with the step.
            (_, E::BecameLookedAfter(_)) => Some(RecordForm::LookedAfter),
            // `EARLY_HELP -> REFERRAL_RECEIVED | CLOSED`: a step up or the episode's closure.
            (S::EarlyHelp, E::ReferralReceived | E::EarlyHelpEnded) => Some(RecordForm::EarlyHelp),
            _ => None,
        }
    }

    /// The events the one-line step form offers: those the guidance allows next that need no
    /// structured record.
    pub fn step_form_events(&self) -> Vec<CaseEvent> {
        self.next_events()
            .into_iter()
            .filter(|e| self.record_needed(*e).is_none())
            .collect()
    }

    /// The structured forms that can be used now, in the state machine's order.
    pub fn record_forms(&self) -> Vec<RecordForm> {
        let mut out: Vec<RecordForm> = Vec::new();
        for e in self.next_events() {
            if let Some(f) = self.record_needed(e)
                && !out.contains(&f)
            {
                out.push(f);
            }
        }
        out
    }

    /// Applies `steps` to a copy and keeps the copy only if every one is allowed, so a record
    /// that makes two steps (a meeting and its decision) is all or nothing.
    fn apply_all(
        &mut self,
        steps: Vec<CaseStep>,
        today: Date,
        cal: &Calendar,
    ) -> Result<(), CaseError> {
        let mut draft = self.clone();
        for step in steps {
            draft.apply(step, today, cal)?;
        }
        *self = draft;
        Ok(())
    }

    /// Records a strategy discussion held on `on`.
    ///
    /// - At `STRATEGY_DISCUSSION` it records what the discussion decided: section 47 enquiries
    ///   (its date starts T5), or, if none, `next` (an assessment or a child in need plan).
    /// - After immediate protection or on a child in need plan, it records that the discussion
    ///   was held and, on the same day, what it decided (WT18 flow charts 2 and 4).
    /// - During section 47 enquiries, awaiting the conference or on a plan, it is a further
    ///   discussion: no state change; if it initiated section 47 enquiries, it is now the last
    ///   one and moves the conference target (T5; spec §1.2 "the last one if several").
    /// - During an assessment, the assessment's outcome is recorded first.
    #[allow(clippy::too_many_arguments)]
    pub fn record_strategy_discussion(
        &mut self,
        on: Date,
        discussion: StrategyDiscussion,
        next: Option<StrategyOutcome>,
        by: PractitionerId,
        at: Timestamp,
        today: Date,
        cal: &Calendar,
    ) -> Result<(), CaseError> {
        let step = |event, record| CaseStep {
            on,
            event,
            note: String::new(),
            category: None,
            recorded_by: by,
            recorded_at: at,
            record,
        };
        let outcome = || {
            if discussion.s47_initiated {
                Ok(StrategyOutcome::S47Enquiry)
            } else {
                next.ok_or_else(|| CaseError::Field {
                    field: "next_step",
                    message: "Select what happens next, as section 47 enquiries were not \
                              initiated"
                        .into(),
                })
            }
        };
        let record = Some(StepRecord::StrategyDiscussion(discussion.clone()));
        let steps = match self.state {
            CaseState::StrategyDiscussion => vec![step(CaseEvent::from(outcome()?), record)],
            CaseState::ImmediateProtection | CaseState::CinPlan => vec![
                step(CaseEvent::StrategyDiscussionHeld, record),
                step(CaseEvent::from(outcome()?), None),
            ],
            CaseState::CfAssessment => {
                return Err(CaseError::Field {
                    field: "s47",
                    message: "An assessment is under way: record its outcome (strategy \
                              discussion) first, then this discussion"
                        .into(),
                });
            }
            _ => vec![step(CaseEvent::FurtherStrategyDiscussion, record)],
        };
        self.apply_all(steps, today, cal)
    }

    /// Records a child protection conference held on `on` (a working day, CIN rule 8875) and
    /// its decision, the same day: a plan starts on the day of the conference (CIN rule 2885)
    /// with the category the conference set (rules 8905, 8910) and its core group (spec §1.7).
    pub fn record_conference(
        &mut self,
        on: Date,
        mut conference: Conference,
        by: PractitionerId,
        at: Timestamp,
        today: Date,
        cal: &Calendar,
    ) -> Result<(), CaseError> {
        let decision = conference.decision;
        if !ConferenceDecision::for_kind(conference.kind).contains(&decision) {
            return Err(CaseError::Field {
                field: "decision",
                message: format!(
                    "Select a decision a {} can make",
                    conference.kind.label().to_lowercase()
                ),
            });
        }
        if conference.chair.trim().is_empty() {
            return Err(CaseError::Field {
                field: "chair",
                message: "Enter the name of the conference chair".into(),
            });
        }
        if decision.keeps_a_plan() {
            if conference.category.is_none() {
                return Err(CaseError::MissingCategory);
            }
            if conference.core_group.is_empty() {
                return Err(CaseError::Field {
                    field: "core_group",
                    message: "Enter the core group members, one on each line".into(),
                });
            }
        } else {
            // Only a plan has a category and a core group.
            conference.category = None;
            conference.core_group.clear();
        }
        let category = conference.category;
        let (then, category) = match decision {
            ConferenceDecision::CpPlan => (CaseEvent::CpPlanStarted, category),
            ConferenceDecision::PlanContinues => (CaseEvent::PlanContinued, category),
            ConferenceDecision::CinPlan => (CaseEvent::CinPlanStarted, None),
            ConferenceDecision::Close => (CaseEvent::Closed(ClosureReason::ServicesCeased), None),
            ConferenceDecision::PlanEnds => (
                CaseEvent::CpPlanEnded(CpPlanEndReason::NoLongerAtRisk),
                None,
            ),
        };
        let held = CaseStep {
            on,
            event: CaseEvent::ConferenceHeld(conference.kind),
            note: String::new(),
            category: None,
            recorded_by: by,
            recorded_at: at,
            record: Some(StepRecord::Conference(conference)),
        };
        let decided = CaseStep {
            on,
            event: then,
            note: String::new(),
            category,
            recorded_by: by,
            recorded_at: at,
            record: None,
        };
        self.apply_all(vec![held, decided], today, cal)
    }

    /// Records police protection (s46) or an emergency protection order (s44) on a case at
    /// immediate protection, dated by the day in England it started (T11, T12).
    pub fn record_protection(
        &mut self,
        protection: Protection,
        by: PractitionerId,
        at: Timestamp,
        today: Date,
        cal: &Calendar,
    ) -> Result<(), CaseError> {
        if protection.started_at > at {
            return Err(CaseError::Field {
                field: "time",
                message: "The time must be now or in the past".into(),
            });
        }
        let step = CaseStep {
            on: crate::clock::london_date(protection.started_at),
            event: CaseEvent::ProtectionTaken(protection.kind),
            note: String::new(),
            category: None,
            recorded_by: by,
            recorded_at: at,
            record: Some(StepRecord::Protection(protection)),
        };
        self.apply_all(vec![step], today, cal)
    }

    /// Records how the child and family assessment concluded on `on`, with the factors found
    /// (CIN census `AssessmentFactors`, checked as the census does). Concluded after its due
    /// date (45 working days from the referral, T3), it needs the reason (WT statutory
    /// guidance; spec §1.2 T3: "if exceeded, social worker records reasons").
    #[allow(clippy::too_many_arguments)]
    pub fn conclude_assessment(
        &mut self,
        on: Date,
        mut conclusion: AssessmentConclusion,
        by: PractitionerId,
        at: Timestamp,
        today: Date,
        cal: &Calendar,
    ) -> Result<(), CaseError> {
        if self.state != CaseState::CfAssessment {
            return Err(CaseError::Field {
                field: "outcome",
                message: "There is no child and family assessment under way on this case".into(),
            });
        }
        crate::validate::check_assessment_factors(&conclusion.factors).map_err(|e| {
            CaseError::Field {
                field: "factors",
                message: e.message,
            }
        })?;
        let due = clocks::assessment_due(self.referral_on, cal);
        let reason = conclusion
            .late_reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned);
        if on > due {
            if reason.is_none() {
                return Err(CaseError::Field {
                    field: "late_reason",
                    message: format!(
                        "The assessment was due by {} ({} working days from the referral): enter \
                         why it took longer",
                        due.strftime("%-d %B %Y"),
                        crate::timescales::rule(RuleId::T3Assessment).amount
                    ),
                });
            }
            conclusion.late_reason = reason;
        } else {
            // In time: there is no lateness to explain.
            conclusion.late_reason = None;
        }
        let step = CaseStep {
            on,
            event: CaseEvent::from(conclusion.outcome),
            note: String::new(),
            category: None,
            recorded_by: by,
            recorded_at: at,
            record: Some(StepRecord::Assessment(conclusion)),
        };
        self.apply_all(vec![step], today, cal)
    }

    /// The step at `index` with a meeting record, and that record.
    pub fn meeting(&self, index: usize) -> Option<(&CaseStep, &StepRecord)> {
        let step = self.steps.get(index)?;
        let record = step.record.as_ref().filter(|r| r.is_meeting())?;
        Some((step, record))
    }

    fn first_on(&self, pred: impl Fn(CaseEvent) -> bool) -> Option<Date> {
        self.steps.iter().find(|s| pred(s.event)).map(|s| s.on)
    }

    fn first_after(&self, after: Date, pred: impl Fn(CaseEvent) -> bool) -> Option<Date> {
        self.steps
            .iter()
            .find(|s| s.on >= after && pred(s.event))
            .map(|s| s.on)
    }

    /// The plan's initial and latest categories of abuse.
    pub fn plan_categories(&self) -> (Option<AbuseCategory>, Option<AbuseCategory>) {
        let mut cats = self.steps.iter().filter_map(|s| s.category);
        let first = cats.next();
        (
            first,
            self.steps.iter().rev().find_map(|s| s.category).or(first),
        )
    }

    /// The statutory clocks this case has started, each with its status as of `today`.
    pub fn clocks(&self, today: Date, cal: &Calendar) -> Vec<CaseClock> {
        let mut out = Vec::new();
        let mut push_at = |rule, label, due, done_on: Option<Date>, due_at| {
            out.push(CaseClock {
                rule,
                label,
                due,
                done_on,
                status: clocks::clock_status(due, today, done_on),
                due_at,
            });
        };
        // T11, T12: police protection ends 72 hours after removal (CA 1989 s46(6)); an EPO
        // has effect for at most 8 days (s45(1)). These are limits, not tasks: once the time
        // has passed the protection has ended by law, and a later order supersedes an earlier
        // one (an EPO after police protection).
        for (i, s) in self.steps.iter().enumerate() {
            let Some(StepRecord::Protection(p)) = &s.record else {
                continue;
            };
            let (rule, label, due_at) = match p.kind {
                ImmediateProtection::PoliceProtection => (
                    RuleId::T11PoliceProtection,
                    "Police protection ends",
                    clocks::police_protection_ends(p.started_at),
                ),
                ImmediateProtection::EmergencyProtectionOrder => (
                    RuleId::T12Epo,
                    "Emergency protection order ends",
                    clocks::epo_ends_at(p.started_at),
                ),
            };
            let due = match p.kind {
                ImmediateProtection::PoliceProtection => crate::clock::london_date(due_at),
                ImmediateProtection::EmergencyProtectionOrder => {
                    clocks::epo_ends(crate::clock::london_date(p.started_at), cal)
                }
            };
            let superseded = self.steps[i + 1..]
                .iter()
                .find(|l| matches!(l.record, Some(StepRecord::Protection(_))))
                .map(|l| l.on.min(due));
            let ended = superseded.or((today > due).then_some(due));
            push_at(rule, label, due, ended, Some(due_at));
        }
        let mut push = |rule, label, due, done_on: Option<Date>| {
            push_at(rule, label, due, done_on, None);
        };
        // T4: a strategy discussion is held rapidly once there is reasonable cause to suspect
        // significant harm: at the front door's decision, after immediate protection, or when
        // an assessment finds it (WT 2023 ch 3; local default, spec §1.2 T4).
        for (i, s) in self.steps.iter().enumerate() {
            let starts = matches!(
                s.event,
                CaseEvent::Screened(
                    ScreeningOutcome::StrategyDiscussion | ScreeningOutcome::ImmediateProtection
                )
            ) || (s.event == CaseEvent::StrategyDiscussionHeld && s.record.is_none());
            if !starts {
                continue;
            }
            let done = self.steps[i + 1..]
                .iter()
                .find(|l| {
                    matches!(l.record, Some(StepRecord::StrategyDiscussion(_)))
                        || matches!(
                            l.event,
                            CaseEvent::StrategyDiscussionHeld
                                | CaseEvent::S47Initiated
                                | CaseEvent::AssessmentStarted
                                | CaseEvent::CinPlanStarted
                                | CaseEvent::BecameLookedAfter(_)
                                | CaseEvent::Closed(_)
                        )
                })
                .map(|l| l.on);
            push(
                RuleId::T4StrategyDiscussion,
                "Strategy discussion",
                clocks::strategy_discussion_due(s.on, cal),
                done,
            );
        }
        // T3: an assessment is concluded within 45 working days of the referral.
        let assessing = self.steps.iter().any(|s| {
            matches!(
                s.event,
                CaseEvent::Screened(ScreeningOutcome::Assessment) | CaseEvent::AssessmentStarted
            )
        });
        if assessing {
            let start = self
                .first_on(|e| {
                    matches!(
                        e,
                        CaseEvent::Screened(ScreeningOutcome::Assessment)
                            | CaseEvent::AssessmentStarted
                    )
                })
                .unwrap_or(self.referral_on);
            let done = self.first_after(start, |e| {
                matches!(
                    e,
                    CaseEvent::CinPlanStarted
                        | CaseEvent::Closed(_)
                        | CaseEvent::StrategyDiscussionHeld
                        | CaseEvent::BecameLookedAfter(_)
                )
            });
            push(
                RuleId::T3Assessment,
                "Assessment concluded",
                clocks::assessment_due(self.referral_on, cal),
                done,
            );
        }
        // T5: the initial conference within 15 working days of the last s47 discussion.
        // Every strategy discussion that initiated section 47 enquiries counts, a further one
        // during the enquiries too, up to the initial conference they lead to.
        let initiated: Vec<Date> = self
            .steps
            .iter()
            .filter(|s| {
                s.event == CaseEvent::S47Initiated
                    || matches!(
                        &s.record,
                        Some(StepRecord::StrategyDiscussion(d)) if d.s47_initiated
                    )
            })
            .map(|s| s.on)
            .collect();
        let icpc = initiated.first().and_then(|first| {
            self.first_after(*first, |e| {
                e == CaseEvent::ConferenceHeld(ConferenceKind::Initial)
            })
        });
        let s47: Vec<Date> = initiated
            .into_iter()
            .filter(|d| icpc.is_none_or(|c| *d <= c))
            .collect();
        if let Some(target) = clocks::icpc_target(s47.iter().copied(), cal) {
            let last = s47.iter().max().copied().unwrap_or(target);
            let done = self.first_after(last, |e| {
                e == CaseEvent::ConferenceHeld(ConferenceKind::Initial)
            });
            push(
                RuleId::T5Icpc,
                "Initial child protection conference",
                target,
                done,
            );
        }
        // T6, T7, T8 from the plan's start.
        if let Some(start) = self.first_on(|e| e == CaseEvent::CpPlanStarted) {
            let core = self.first_after(start, |e| e == CaseEvent::CoreGroupMet);
            push(
                RuleId::T6FirstCoreGroup,
                "First core group meeting",
                clocks::first_core_group_due(start, cal),
                core,
            );
            let ended = self.first_after(start, |e| matches!(e, CaseEvent::CpPlanEnded(_)));
            let reviews: Vec<Date> = self
                .steps
                .iter()
                .filter(|s| s.event == CaseEvent::ConferenceHeld(ConferenceKind::Review))
                .map(|s| s.on)
                .collect();
            let mut previous = start;
            let mut first = true;
            for r in &reviews {
                let due = if first {
                    clocks::first_review_due(start, cal)
                } else {
                    clocks::next_review_due(previous, cal)
                };
                push(
                    if first {
                        RuleId::T7FirstReview
                    } else {
                        RuleId::T8LaterReview
                    },
                    if first {
                        "First review conference"
                    } else {
                        "Review conference"
                    },
                    due,
                    Some(*r),
                );
                previous = *r;
                first = false;
            }
            if ended.is_none() {
                let due = working_day_on_or_before(
                    if first {
                        clocks::first_review_due(start, cal)
                    } else {
                        clocks::next_review_due(previous, cal)
                    },
                    cal,
                );
                push(
                    if first {
                        RuleId::T7FirstReview
                    } else {
                        RuleId::T8LaterReview
                    },
                    if first {
                        "First review conference"
                    } else {
                        "Next review conference"
                    },
                    due,
                    None,
                );
            }
        }
        // T9: a child with a plan who moved here permanently has a transfer-in conference
        // within 15 working days (WT18 "Discontinuing the child protection plan"; spec §1.2
        // T9). Shown while it is the next step, and once held.
        if let Some(i) = self
            .steps
            .iter()
            .rposition(|s| s.event == CaseEvent::CpPlanEnded(CpPlanEndReason::MovedToAnotherLa))
        {
            let moved = self.steps[i].on;
            let held = self.steps[i + 1..]
                .iter()
                .find(|s| s.event == CaseEvent::ConferenceHeld(ConferenceKind::TransferIn))
                .map(|s| s.on);
            if held.is_some() || self.state == CaseState::CpPlanEnded {
                push(
                    RuleId::T9TransferIn,
                    "Transfer-in child protection conference",
                    clocks::transfer_in_conference_due(moved, cal),
                    held,
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::{ClosureReason, LegalStatus};
    use jiff::civil::date;

    fn cal() -> Calendar {
        Calendar::england_and_wales()
    }

    fn step(on: Date, event: CaseEvent) -> CaseStep {
        CaseStep {
            on,
            event,
            note: String::new(),
            category: None,
            recorded_by: PractitionerId::new(),
            recorded_at: Timestamp::UNIX_EPOCH,
            record: None,
        }
    }

    fn opened(outcome: ScreeningOutcome, on: Date) -> Case {
        Case::open(
            CaseId::new(),
            ChildId::new(),
            None,
            on,
            outcome,
            on,
            PractitionerId::new(),
            Timestamp::UNIX_EPOCH,
        )
        .unwrap()
    }

    #[test]
    fn event_codes_round_trip_for_every_event() {
        for e in CaseEvent::all() {
            let code = event_code(e);
            assert!(!code.is_empty());
            assert_eq!(parse_event_code(&code), Some(e), "{code}");
        }
        assert_eq!(
            event_code(CaseEvent::Closed(ClosureReason::AfterAssessmentNfa)),
            "closed:RC8"
        );
        assert_eq!(parse_event_code("nonsense"), None);
    }

    #[test]
    fn the_journey_to_a_reviewed_plan_with_its_clocks() {
        let cal = cal();
        let today = date(2026, 6, 30);
        // Strategy discussion on Fri 19 Dec 2025 starts s47: ICPC target Wed 14 Jan 2026 (T5).
        let mut case = opened(ScreeningOutcome::StrategyDiscussion, date(2025, 12, 18));
        case.apply(
            step(date(2025, 12, 19), CaseEvent::S47Initiated),
            today,
            &cal,
        )
        .unwrap();
        let clocks = case.clocks(today, &cal);
        let t5 = clocks.iter().find(|c| c.rule == RuleId::T5Icpc).unwrap();
        assert_eq!(t5.due, date(2026, 1, 14));
        assert_eq!(t5.status, ClockStatus::Overdue);
        case.apply(
            step(date(2026, 1, 9), CaseEvent::S47FoundContinuingRisk),
            today,
            &cal,
        )
        .unwrap();
        // A conference on a Saturday is refused.
        let err = case
            .apply(
                step(
                    date(2026, 1, 10),
                    CaseEvent::ConferenceHeld(ConferenceKind::Initial),
                ),
                today,
                &cal,
            )
            .unwrap_err();
        assert!(matches!(err, CaseError::Date { .. }));
        case.apply(
            step(
                date(2026, 1, 13),
                CaseEvent::ConferenceHeld(ConferenceKind::Initial),
            ),
            today,
            &cal,
        )
        .unwrap();
        // The plan starts on the day of the conference, with a category.
        let err = case
            .apply(
                step(date(2026, 1, 14), CaseEvent::CpPlanStarted),
                today,
                &cal,
            )
            .unwrap_err();
        assert!(matches!(err, CaseError::Date { .. }));
        let err = case
            .apply(
                step(date(2026, 1, 13), CaseEvent::CpPlanStarted),
                today,
                &cal,
            )
            .unwrap_err();
        assert_eq!(err, CaseError::MissingCategory);
        let mut plan = step(date(2026, 1, 13), CaseEvent::CpPlanStarted);
        plan.category = Some(AbuseCategory::Neglect);
        case.apply(plan, today, &cal).unwrap();
        assert_eq!(case.state, CaseState::CpPlan);
        let clocks = case.clocks(today, &cal);
        let t5 = clocks.iter().find(|c| c.rule == RuleId::T5Icpc).unwrap();
        assert_eq!(t5.status, ClockStatus::Met);
        let t6 = clocks
            .iter()
            .find(|c| c.rule == RuleId::T6FirstCoreGroup)
            .unwrap();
        assert_eq!(t6.due, cal.add_working_days(date(2026, 1, 13), 10));
        let t7 = clocks
            .iter()
            .find(|c| c.rule == RuleId::T7FirstReview)
            .unwrap();
        assert_eq!(t7.due, date(2026, 4, 13));
        case.apply(
            step(date(2026, 1, 20), CaseEvent::CoreGroupMet),
            today,
            &cal,
        )
        .unwrap();
        case.apply(
            step(
                date(2026, 4, 9),
                CaseEvent::ConferenceHeld(ConferenceKind::Review),
            ),
            today,
            &cal,
        )
        .unwrap();
        let mut cont = step(date(2026, 4, 9), CaseEvent::PlanContinued);
        cont.category = Some(AbuseCategory::Emotional);
        case.apply(cont, today, &cal).unwrap();
        assert_eq!(
            case.plan_categories(),
            (Some(AbuseCategory::Neglect), Some(AbuseCategory::Emotional))
        );
        let clocks = case.clocks(today, &cal);
        let t8 = clocks
            .iter()
            .find(|c| c.rule == RuleId::T8LaterReview)
            .unwrap();
        assert_eq!(t8.due, date(2026, 10, 9));
        assert_eq!(t8.status, ClockStatus::Upcoming);
    }

    #[test]
    fn a_review_due_on_a_weekend_is_due_the_working_day_before() {
        let cal = cal();
        let today = date(2026, 12, 31);
        // A plan started Fri 31 July 2026: 3 months on is Sat 31 October, so Fri 30 October.
        let mut case = opened(ScreeningOutcome::StrategyDiscussion, date(2026, 7, 10));
        for (on, e) in [
            (date(2026, 7, 14), CaseEvent::S47Initiated),
            (date(2026, 7, 24), CaseEvent::S47FoundContinuingRisk),
            (
                date(2026, 7, 31),
                CaseEvent::ConferenceHeld(ConferenceKind::Initial),
            ),
        ] {
            case.apply(step(on, e), today, &cal).unwrap();
        }
        let mut plan = step(date(2026, 7, 31), CaseEvent::CpPlanStarted);
        plan.category = Some(AbuseCategory::Physical);
        case.apply(plan, today, &cal).unwrap();
        let t7 = case
            .clocks(today, &cal)
            .into_iter()
            .find(|c| c.rule == RuleId::T7FirstReview)
            .unwrap();
        assert_eq!(t7.due, date(2026, 10, 30));
    }

    #[test]
    fn refused_steps_say_what_must_happen_first_and_change_nothing() {
        let cal = cal();
        let mut case = opened(ScreeningOutcome::Assessment, date(2026, 3, 2));
        let before = case.clone();
        let err = case
            .apply(
                step(
                    date(2026, 3, 3),
                    CaseEvent::ConferenceHeld(ConferenceKind::Initial),
                ),
                date(2026, 6, 1),
                &cal,
            )
            .unwrap_err();
        assert!(matches!(err, CaseError::Transition(_)));
        assert!(!err.to_string().is_empty());
        assert_eq!(case, before);
        let err = case
            .apply(
                step(date(2026, 3, 1), CaseEvent::CinPlanStarted),
                date(2026, 6, 1),
                &cal,
            )
            .unwrap_err();
        assert!(
            matches!(err, CaseError::Date { .. }),
            "before the last step"
        );
        let err = case
            .apply(
                step(date(2026, 7, 1), CaseEvent::CinPlanStarted),
                date(2026, 6, 1),
                &cal,
            )
            .unwrap_err();
        assert!(matches!(err, CaseError::Date { .. }), "in the future");
    }

    #[test]
    fn the_assessment_clock_runs_from_the_referral_and_stops_at_its_outcome() {
        let cal = cal();
        let referral = date(2026, 3, 2);
        let mut case = opened(ScreeningOutcome::Assessment, referral);
        let t3 = &case.clocks(date(2026, 3, 3), &cal)[0];
        assert_eq!(t3.rule, RuleId::T3Assessment);
        assert_eq!(t3.due, cal.add_working_days(referral, 45));
        assert_eq!(t3.status, ClockStatus::Upcoming);
        case.apply(
            step(date(2026, 4, 1), CaseEvent::CinPlanStarted),
            date(2026, 6, 1),
            &cal,
        )
        .unwrap();
        let t3 = &case.clocks(date(2026, 6, 1), &cal)[0];
        assert_eq!(t3.status, ClockStatus::Met);
        assert_eq!(t3.done_on, Some(date(2026, 4, 1)));
    }

    // --- structured records -------------------------------------------------------------

    use crate::codes::{AssessmentFactor, AssessmentOutcome};
    use crate::ids::AgencyId;
    use crate::model::AgencyKind;
    use crate::records::{ActionItem, Attendee};
    use jiff::civil::Weekday;
    use std::collections::BTreeSet;

    /// The bank holidays in the shipped data, read here without [`Calendar`], so the tests
    /// below pick their dates from the data rather than typing them.
    fn holidays_from_data() -> Vec<Date> {
        include_str!("../data/bank-holidays-england-and-wales.csv")
            .lines()
            .skip(1)
            .filter_map(|line| line.split(',').next())
            .map(|d| d.parse().unwrap())
            .collect()
    }

    fn is_weekend(d: Date) -> bool {
        matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
    }

    /// The n-th working day after `start`, walking the data one day at a time.
    fn nth_working_day_after(start: Date, n: u32) -> Date {
        let holidays: BTreeSet<Date> = holidays_from_data().into_iter().collect();
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d = d.tomorrow().unwrap();
            if !is_weekend(d) && !holidays.contains(&d) {
                left -= 1;
            }
        }
        d
    }

    /// A bank holiday from the data with working days on either side, in 2025 or later.
    fn weekday_holiday() -> Date {
        let holidays = holidays_from_data();
        *holidays
            .iter()
            .find(|h| {
                h.year() >= 2025
                    && !is_weekend(**h)
                    && [h.yesterday().unwrap(), h.tomorrow().unwrap()]
                        .iter()
                        .all(|d| !is_weekend(*d) && !holidays.contains(d))
            })
            .unwrap()
    }

    fn attendee(kind: AgencyKind) -> Attendee {
        Attendee {
            agency: AgencyId::new(),
            agency_name: kind.label().into(),
            agency_kind: kind,
            role: "Safeguarding lead".into(),
            name: "Sam Person".into(),
            practitioner: None,
        }
    }

    fn discussion(s47: bool) -> StrategyDiscussion {
        StrategyDiscussion {
            attendees: vec![
                attendee(AgencyKind::LocalAuthority),
                attendee(AgencyKind::PoliceForce),
            ],
            information_shared: "Bruising seen at school".into(),
            decisions: "Joint visit".into(),
            actions: vec![ActionItem {
                action: "Visit the child at home".into(),
                owner: "Social worker".into(),
                due: None,
            }],
            s47_initiated: s47,
        }
    }

    fn conference(kind: ConferenceKind, decision: ConferenceDecision) -> Conference {
        Conference {
            kind,
            chair: "Pat Chair".into(),
            attendees: vec![attendee(AgencyKind::LocalAuthority)],
            decision,
            category: Some(AbuseCategory::Neglect),
            core_group: vec!["Mother".into(), "Social worker".into()],
        }
    }

    fn by() -> PractitionerId {
        PractitionerId::new()
    }

    fn at() -> Timestamp {
        Timestamp::UNIX_EPOCH
    }

    fn t5(case: &Case, today: Date) -> CaseClock {
        case.clocks(today, &cal())
            .into_iter()
            .find(|c| c.rule == RuleId::T5Icpc)
            .unwrap()
    }

    #[test]
    fn the_last_s47_discussion_sets_the_conference_target_across_a_bank_holiday() {
        let cal = cal();
        let holiday = weekday_holiday();
        let first = holiday.yesterday().unwrap().yesterday().unwrap();
        let first = if is_weekend(first) {
            holiday.yesterday().unwrap()
        } else {
            first
        };
        let today = holiday.saturating_add(jiff::Span::new().days(60));
        let mut case = opened(ScreeningOutcome::StrategyDiscussion, first);
        case.record_strategy_discussion(first, discussion(true), None, by(), at(), today, &cal)
            .unwrap();
        assert_eq!(case.state, CaseState::S47Enquiry);
        assert_eq!(t5(&case, today).due, nth_working_day_after(first, 15));
        // A further discussion that does not initiate s47 changes nothing.
        let later = holiday.tomorrow().unwrap();
        case.record_strategy_discussion(later, discussion(false), None, by(), at(), today, &cal)
            .unwrap();
        assert_eq!(case.state, CaseState::S47Enquiry);
        assert_eq!(t5(&case, today).due, nth_working_day_after(first, 15));
        // One that does is now the last one: the target moves to 15 working days after it,
        // skipping the bank holiday no longer (it is behind), and the state stays.
        let last = nth_working_day_after(later, 1);
        case.record_strategy_discussion(last, discussion(true), None, by(), at(), today, &cal)
            .unwrap();
        assert_eq!(case.state, CaseState::S47Enquiry);
        assert_eq!(t5(&case, today).due, nth_working_day_after(last, 15));
        assert_eq!(
            case.steps.last().unwrap().event,
            CaseEvent::FurtherStrategyDiscussion
        );
        // And the first target crossed the holiday: one day later than 15 weekdays.
        let weekdays_only = Calendar::weekends_only().add_working_days(first, 15);
        assert!(nth_working_day_after(first, 15) > weekdays_only);
    }

    #[test]
    fn a_discussion_without_s47_says_what_happens_next() {
        let cal = cal();
        let on = date(2026, 3, 4);
        let mut case = opened(ScreeningOutcome::StrategyDiscussion, on);
        let before = case.clone();
        let err = case
            .record_strategy_discussion(on, discussion(false), None, by(), at(), on, &cal)
            .unwrap_err();
        assert!(matches!(
            err,
            CaseError::Field {
                field: "next_step",
                ..
            }
        ));
        assert_eq!(case, before);
        case.record_strategy_discussion(
            on,
            discussion(false),
            Some(StrategyOutcome::Assessment),
            by(),
            at(),
            on,
            &cal,
        )
        .unwrap();
        assert_eq!(case.state, CaseState::CfAssessment);
        assert!(matches!(
            case.steps.last().unwrap().record,
            Some(StepRecord::StrategyDiscussion(_))
        ));
        // T4 is met: the discussion was held on the day of the decision.
        let t4 = case
            .clocks(on, &cal)
            .into_iter()
            .find(|c| c.rule == RuleId::T4StrategyDiscussion)
            .unwrap();
        assert_eq!(t4.status, ClockStatus::Met);
        // During the assessment, its outcome comes first.
        let err = case
            .record_strategy_discussion(on, discussion(true), None, by(), at(), on, &cal)
            .unwrap_err();
        assert!(matches!(err, CaseError::Field { field: "s47", .. }));
    }

    #[test]
    fn after_immediate_protection_the_discussion_is_held_and_decides() {
        let cal = cal();
        let on = date(2026, 3, 4);
        let mut case = opened(ScreeningOutcome::ImmediateProtection, on);
        let t4 = case
            .clocks(on, &cal)
            .into_iter()
            .find(|c| c.rule == RuleId::T4StrategyDiscussion)
            .unwrap();
        assert_eq!(t4.due, cal.add_working_days(on, 1));
        assert_eq!(t4.status, ClockStatus::Upcoming);
        case.record_strategy_discussion(on, discussion(true), None, by(), at(), on, &cal)
            .unwrap();
        assert_eq!(case.state, CaseState::S47Enquiry);
        let n = case.steps.len();
        assert_eq!(case.steps[n - 2].event, CaseEvent::StrategyDiscussionHeld);
        assert!(case.meeting(n - 2).is_some());
        assert_eq!(case.steps[n - 1].event, CaseEvent::S47Initiated);
        assert!(case.meeting(n - 1).is_none());
        assert_eq!(t5(&case, on).due, cal.add_working_days(on, 15));
    }

    #[test]
    fn a_conference_is_on_a_working_day_decides_and_names_its_core_group() {
        let cal = cal();
        let holiday = weekday_holiday();
        let start = nth_working_day_after(holiday.saturating_sub(jiff::Span::new().days(20)), 0);
        let start = cal.next_working_day_on_or_after(start);
        let today = holiday.saturating_add(jiff::Span::new().days(30));
        let mut case = opened(ScreeningOutcome::StrategyDiscussion, start);
        case.record_strategy_discussion(start, discussion(true), None, by(), at(), today, &cal)
            .unwrap();
        case.apply(step(start, CaseEvent::S47FoundContinuingRisk), today, &cal)
            .unwrap();
        let before = case.clone();
        // A review decision at an initial conference.
        let err = case
            .record_conference(
                holiday.tomorrow().unwrap(),
                conference(ConferenceKind::Initial, ConferenceDecision::PlanContinues),
                by(),
                at(),
                today,
                &cal,
            )
            .unwrap_err();
        assert!(matches!(
            err,
            CaseError::Field {
                field: "decision",
                ..
            }
        ));
        // On the bank holiday taken from the data.
        let err = case
            .record_conference(
                holiday,
                conference(ConferenceKind::Initial, ConferenceDecision::CpPlan),
                by(),
                at(),
                today,
                &cal,
            )
            .unwrap_err();
        assert!(matches!(
            err,
            CaseError::Date {
                field: "on-day",
                ..
            }
        ));
        // A plan without a category, or a core group.
        let mut no_category = conference(ConferenceKind::Initial, ConferenceDecision::CpPlan);
        no_category.category = None;
        let err = case
            .record_conference(start, no_category, by(), at(), today, &cal)
            .unwrap_err();
        assert_eq!(err, CaseError::MissingCategory);
        let mut no_group = conference(ConferenceKind::Initial, ConferenceDecision::CpPlan);
        no_group.core_group.clear();
        let err = case
            .record_conference(start, no_group, by(), at(), today, &cal)
            .unwrap_err();
        assert!(matches!(
            err,
            CaseError::Field {
                field: "core_group",
                ..
            }
        ));
        let mut no_chair = conference(ConferenceKind::Initial, ConferenceDecision::CpPlan);
        no_chair.chair = " ".into();
        let err = case
            .record_conference(start, no_chair, by(), at(), today, &cal)
            .unwrap_err();
        assert!(matches!(err, CaseError::Field { field: "chair", .. }));
        assert_eq!(case, before, "refused conferences change nothing");
        let held = holiday.tomorrow().unwrap();
        case.record_conference(
            held,
            conference(ConferenceKind::Initial, ConferenceDecision::CpPlan),
            by(),
            at(),
            today,
            &cal,
        )
        .unwrap();
        assert_eq!(case.state, CaseState::CpPlan);
        assert_eq!(case.plan_categories().0, Some(AbuseCategory::Neglect));
        assert_eq!(t5(&case, today).done_on, Some(held));
        // The review is on the conference form, not the one-line step form.
        assert!(
            !case
                .step_form_events()
                .contains(&CaseEvent::ConferenceHeld(ConferenceKind::Review))
        );
        assert!(case.step_form_events().contains(&CaseEvent::CoreGroupMet));
        assert!(
            case.record_forms()
                .contains(&RecordForm::Conference(ConferenceKind::Review))
        );
        // A review that ends the plan: no category or core group is kept.
        let review = nth_working_day_after(held, 5);
        case.record_conference(
            review,
            conference(ConferenceKind::Review, ConferenceDecision::PlanEnds),
            by(),
            at(),
            review,
            &cal,
        )
        .unwrap();
        assert_eq!(case.state, CaseState::CpPlanEnded);
        let Some(StepRecord::Conference(c)) = &case.steps[case.steps.len() - 2].record else {
            panic!("the review conference is recorded")
        };
        assert!(c.category.is_none() && c.core_group.is_empty());
    }

    #[test]
    fn a_transfer_in_conference_is_due_15_working_days_after_the_move() {
        let cal = cal();
        let holiday = weekday_holiday();
        let start =
            cal.next_working_day_on_or_after(holiday.saturating_sub(jiff::Span::new().days(40)));
        let today = holiday.saturating_add(jiff::Span::new().days(40));
        let mut case = opened(ScreeningOutcome::StrategyDiscussion, start);
        case.record_strategy_discussion(start, discussion(true), None, by(), at(), today, &cal)
            .unwrap();
        case.apply(step(start, CaseEvent::S47FoundContinuingRisk), today, &cal)
            .unwrap();
        case.record_conference(
            start,
            conference(ConferenceKind::Initial, ConferenceDecision::CpPlan),
            by(),
            at(),
            today,
            &cal,
        )
        .unwrap();
        // The family moves here just before the holiday.
        let moved = holiday.yesterday().unwrap();
        case.apply(
            step(
                moved,
                CaseEvent::CpPlanEnded(CpPlanEndReason::MovedToAnotherLa),
            ),
            today,
            &cal,
        )
        .unwrap();
        let t9 = case
            .clocks(moved, &cal)
            .into_iter()
            .find(|c| c.rule == RuleId::T9TransferIn)
            .unwrap();
        assert_eq!(t9.due, nth_working_day_after(moved, 15));
        assert_eq!(t9.status, ClockStatus::Upcoming);
        assert!(
            case.record_forms()
                .contains(&RecordForm::Conference(ConferenceKind::TransferIn))
        );
        let held = nth_working_day_after(moved, 3);
        case.record_conference(
            held,
            conference(ConferenceKind::TransferIn, ConferenceDecision::CpPlan),
            by(),
            at(),
            today,
            &cal,
        )
        .unwrap();
        assert_eq!(case.state, CaseState::CpPlan);
        let t9 = case
            .clocks(today, &cal)
            .into_iter()
            .find(|c| c.rule == RuleId::T9TransferIn)
            .unwrap();
        assert_eq!((t9.status, t9.done_on), (ClockStatus::Met, Some(held)));
    }

    #[test]
    fn police_protection_ends_72_hours_on_and_an_epo_after_8_days() {
        let cal = cal();
        // Removed at 14:00 on a Friday in winter (UTC = London time).
        let removed: Timestamp = "2026-01-09T14:00:00Z".parse().unwrap();
        let on = date(2026, 1, 9);
        let mut case = opened(ScreeningOutcome::ImmediateProtection, on);
        let err = case
            .record_protection(
                Protection {
                    kind: ImmediateProtection::PoliceProtection,
                    started_at: removed,
                },
                by(),
                "2026-01-09T13:00:00Z".parse().unwrap(),
                on,
                &cal,
            )
            .unwrap_err();
        assert!(matches!(err, CaseError::Field { field: "time", .. }));
        let now: Timestamp = "2026-01-09T15:00:00Z".parse().unwrap();
        case.record_protection(
            Protection {
                kind: ImmediateProtection::PoliceProtection,
                started_at: removed,
            },
            by(),
            now,
            on,
            &cal,
        )
        .unwrap();
        let t11 = case
            .clocks(on, &cal)
            .into_iter()
            .find(|c| c.rule == RuleId::T11PoliceProtection)
            .unwrap();
        assert_eq!(t11.due_at, Some("2026-01-12T14:00:00Z".parse().unwrap()));
        assert_eq!(t11.due, date(2026, 1, 12));
        assert_eq!(t11.status, ClockStatus::Upcoming);
        // After the 72 hours it has ended by law.
        let t11 = case
            .clocks(date(2026, 1, 13), &cal)
            .into_iter()
            .find(|c| c.rule == RuleId::T11PoliceProtection)
            .unwrap();
        assert_eq!(t11.done_on, Some(date(2026, 1, 12)));
        // An EPO made on Monday supersedes it and runs 8 days.
        let made: Timestamp = "2026-01-12T11:30:00Z".parse().unwrap();
        case.record_protection(
            Protection {
                kind: ImmediateProtection::EmergencyProtectionOrder,
                started_at: made,
            },
            by(),
            made,
            date(2026, 1, 12),
            &cal,
        )
        .unwrap();
        let clocks = case.clocks(date(2026, 1, 12), &cal);
        let t11 = clocks
            .iter()
            .find(|c| c.rule == RuleId::T11PoliceProtection)
            .unwrap();
        assert_eq!(t11.done_on, Some(date(2026, 1, 12)));
        let t12 = clocks.iter().find(|c| c.rule == RuleId::T12Epo).unwrap();
        assert_eq!(t12.due, date(2026, 1, 20));
        assert_eq!(t12.due_at, Some("2026-01-20T11:30:00Z".parse().unwrap()));
        assert_eq!(case.state, CaseState::ImmediateProtection);
        // Not on a case that is not at immediate protection.
        let mut other = opened(ScreeningOutcome::Assessment, on);
        let err = other
            .record_protection(
                Protection {
                    kind: ImmediateProtection::PoliceProtection,
                    started_at: removed,
                },
                by(),
                now,
                on,
                &cal,
            )
            .unwrap_err();
        assert!(matches!(err, CaseError::Transition(_)));
    }

    #[test]
    fn police_protection_counts_real_hours_across_the_clock_change() {
        // Removed at 12:00 London time (GMT) on Saturday 28 March 2026; clocks go forward on
        // the Sunday, so 72 hours later is 13:00 BST on Tuesday 31 March.
        let removed: Timestamp = "2026-03-28T12:00:00Z".parse().unwrap();
        let mut case = opened(ScreeningOutcome::ImmediateProtection, date(2026, 3, 27));
        case.record_protection(
            Protection {
                kind: ImmediateProtection::PoliceProtection,
                started_at: removed,
            },
            by(),
            removed,
            date(2026, 3, 28),
            &cal(),
        )
        .unwrap();
        let t11 = case
            .clocks(date(2026, 3, 28), &cal())
            .into_iter()
            .find(|c| c.rule == RuleId::T11PoliceProtection)
            .unwrap();
        let ends = t11.due_at.unwrap().to_zoned(crate::clock::london());
        assert_eq!((ends.date(), ends.hour()), (date(2026, 3, 31), 13));
    }

    fn conclusion(outcome: AssessmentOutcome, late: Option<&str>) -> AssessmentConclusion {
        AssessmentConclusion {
            outcome,
            factors: vec![AssessmentFactor::AlcoholParent],
            late_reason: late.map(str::to_owned),
        }
    }

    #[test]
    fn a_late_assessment_needs_its_reason_and_the_due_date_crosses_holidays() {
        let cal = cal();
        let holiday = weekday_holiday();
        // Referred 20 days before the holiday: the 45 working days cross it.
        let referral =
            cal.next_working_day_on_or_after(holiday.saturating_sub(jiff::Span::new().days(20)));
        let due = nth_working_day_after(referral, 45);
        let today = due.saturating_add(jiff::Span::new().days(30));
        let mut case = opened(ScreeningOutcome::Assessment, referral);
        let late = nth_working_day_after(due, 1);
        let err = case
            .conclude_assessment(
                late,
                conclusion(AssessmentOutcome::CinPlan, Some("  ")),
                by(),
                at(),
                today,
                &cal,
            )
            .unwrap_err();
        let CaseError::Field { field, message } = err else {
            panic!("a field error")
        };
        assert_eq!(field, "late_reason");
        assert!(
            message.contains(&due.strftime("%-d %B %Y").to_string()),
            "{message}"
        );
        // Factors are checked as the census does: 21 only on its own.
        let mut mixed = conclusion(AssessmentOutcome::CinPlan, Some("Family unwell"));
        mixed.factors.push(AssessmentFactor::NoFactors);
        let err = case
            .conclude_assessment(late, mixed, by(), at(), today, &cal)
            .unwrap_err();
        assert!(matches!(
            err,
            CaseError::Field {
                field: "factors",
                ..
            }
        ));
        case.conclude_assessment(
            late,
            conclusion(
                AssessmentOutcome::CinPlan,
                Some("Family unwell for three weeks"),
            ),
            by(),
            at(),
            today,
            &cal,
        )
        .unwrap();
        assert_eq!(case.state, CaseState::CinPlan);
        let Some(StepRecord::Assessment(a)) = &case.steps.last().unwrap().record else {
            panic!("the conclusion is recorded")
        };
        assert_eq!(
            a.late_reason.as_deref(),
            Some("Family unwell for three weeks")
        );
        let t3 = case
            .clocks(today, &cal)
            .into_iter()
            .find(|c| c.rule == RuleId::T3Assessment)
            .unwrap();
        assert_eq!((t3.due, t3.status), (due, ClockStatus::MetLate));
    }

    #[test]
    fn an_assessment_in_time_needs_no_reason_and_closes_with_rc8() {
        let cal = cal();
        let referral = date(2026, 3, 2);
        let mut case = opened(ScreeningOutcome::Assessment, referral);
        assert!(
            !case
                .step_form_events()
                .iter()
                .any(|e| matches!(e, CaseEvent::Closed(_) | CaseEvent::CinPlanStarted))
        );
        // Becoming looked after is open from any state, on its own form (spec §1.4).
        assert_eq!(
            case.record_forms(),
            vec![RecordForm::Assessment, RecordForm::LookedAfter]
        );
        case.conclude_assessment(
            date(2026, 3, 20),
            conclusion(AssessmentOutcome::CloseNoFurtherAction, Some("not needed")),
            by(),
            at(),
            date(2026, 3, 20),
            &cal,
        )
        .unwrap();
        assert_eq!(case.state, CaseState::Closed);
        assert_eq!(
            case.steps.last().unwrap().event,
            CaseEvent::Closed(ClosureReason::AfterAssessmentNfa)
        );
        let Some(StepRecord::Assessment(a)) = &case.steps.last().unwrap().record else {
            panic!("the conclusion is recorded")
        };
        assert_eq!(a.late_reason, None, "no lateness to explain");
        let err = case
            .conclude_assessment(
                date(2026, 3, 20),
                conclusion(AssessmentOutcome::CinPlan, None),
                by(),
                at(),
                date(2026, 3, 20),
                &cal,
            )
            .unwrap_err();
        assert!(matches!(
            err,
            CaseError::Field {
                field: "outcome",
                ..
            }
        ));
    }

    #[test]
    fn old_steps_without_records_still_read() {
        let json = r#"{"on":"2026-03-02","event":{"event":"core_group_met"},"note":"","category":null,"recorded_by":"0190d5a4-0000-7000-8000-000000000000","recorded_at":"2026-03-02T10:00:00Z"}"#;
        let step: CaseStep = serde_json::from_str(json).unwrap();
        assert_eq!(step.record, None);
    }

    #[test]
    fn early_help_exits_and_looked_after_are_recorded_on_their_episodes_only() {
        let case = opened(ScreeningOutcome::EarlyHelp, date(2026, 3, 2));
        assert_eq!(case.state, CaseState::EarlyHelp);
        // Spec §1.4 EARLY_HELP -> REFERRAL_RECEIVED | CLOSED, and any state -> LOOKED_AFTER:
        // allowed by the state machine, but never as a bare one-line step.
        let next = case.next_events();
        assert!(next.contains(&CaseEvent::ReferralReceived));
        assert!(next.contains(&CaseEvent::EarlyHelpEnded));
        assert!(
            case.step_form_events().is_empty(),
            "{:?}",
            case.step_form_events()
        );
        assert_eq!(
            case.record_forms(),
            vec![RecordForm::EarlyHelp, RecordForm::LookedAfter]
        );
        assert_eq!(
            case.record_needed(CaseEvent::BecameLookedAfter(LegalStatus::FullCareOrder)),
            Some(RecordForm::LookedAfter)
        );
    }
}
