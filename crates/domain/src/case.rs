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
use crate::codes::{AbuseCategory, ConferenceKind, ScreeningOutcome};
use crate::ids::{ChildId, PractitionerId, ReferralId};
use crate::journey::{CaseEvent, CaseState, TransitionError, transition};
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
            let icpc = self
                .steps
                .iter()
                .rev()
                .find(|s| s.event == CaseEvent::ConferenceHeld(ConferenceKind::Initial))
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
        let mut push = |rule, label, due, done_on: Option<Date>| {
            out.push(CaseClock {
                rule,
                label,
                due,
                done_on,
                status: clocks::clock_status(due, today, done_on),
            });
        };
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
        let s47: Vec<Date> = self
            .steps
            .iter()
            .filter(|s| s.event == CaseEvent::S47Initiated)
            .map(|s| s.on)
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
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::ClosureReason;
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
        let t5 = case.clocks(today, &cal);
        assert_eq!(t5[0].rule, RuleId::T5Icpc);
        assert_eq!(t5[0].due, date(2026, 1, 14));
        assert_eq!(t5[0].status, ClockStatus::Overdue);
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
}
