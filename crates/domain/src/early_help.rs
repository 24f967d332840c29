//! An early help episode: support for a child and family below the threshold for children's
//! social care, led by a *lead practitioner* from any agency (WT 2018 renamed the "lead
//! professional"; spec §1.9), with an assessment, a plan of outcomes and actions, reviews and a
//! closure (spec §1.4 state `EARLY_HELP`: "early-help assessment agreed with family; lead
//! practitioner appointed"; recorded data "lead practitioner; early-help plan").
//!
//! An episode starts in one of three ways ([`EarlyHelpOrigin`]): the front door signposts a
//! referral to early help (step down, `REFERRAL_RECEIVED -> EARLY_HELP`), an assessment closes
//! with RC9 "referred to early help" (step down after assessment), or an agency starts it
//! directly for a concern below the threshold (`CONCERN -> EARLY_HELP`). From an open episode
//! the lead practitioner may step up: a referral to the local authority that carries the
//! episode's history ([`EarlyHelpEpisode::history`]).
//!
//! No national timescale governs early help (spec §1.4: "local"); the clocks come from the
//! local rules EH1 and EH2 of [`crate::timescales`].

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::case::{CaseClock, CaseId};
use crate::clocks::{clock_status, due};
use crate::coded::coded_enum;
use crate::ids::{AgencyId, ChildId, Id, PractitionerId, ReferralId};
use crate::records::ActionItem;
use crate::timescales::RuleId;
use crate::validate::{FieldError, check_not_in_future};

/// Marker for [`EarlyHelpId`].
#[derive(Debug)]
pub enum EarlyHelpKind {}

/// Identifies an early help episode.
pub type EarlyHelpId = Id<EarlyHelpKind>;

/// How the episode came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum EarlyHelpOrigin {
    /// The front door signposted this referral to early help (step down); the case it opened
    /// is at `EARLY_HELP`.
    FrontDoor {
        /// The referral.
        referral: Option<ReferralId>,
        /// The case at `EARLY_HELP`.
        case: CaseId,
    },
    /// A child and family assessment closed with RC9, "referred to early help".
    AfterAssessment {
        /// The closed case.
        case: CaseId,
    },
    /// An agency started it for a concern below the threshold for a referral.
    Agency,
}

impl EarlyHelpOrigin {
    /// The case it stepped down from, if any.
    pub fn case(self) -> Option<CaseId> {
        match self {
            EarlyHelpOrigin::FrontDoor { case, .. } | EarlyHelpOrigin::AfterAssessment { case } => {
                Some(case)
            }
            EarlyHelpOrigin::Agency => None,
        }
    }

    /// In a line, for pages.
    pub fn label(self) -> &'static str {
        match self {
            EarlyHelpOrigin::FrontDoor { .. } => "Stepped down by the front door",
            EarlyHelpOrigin::AfterAssessment { .. } => {
                "Stepped down after a child and family assessment (RC9)"
            }
            EarlyHelpOrigin::Agency => "Started by an agency",
        }
    }
}

/// The lead practitioner: an account, and the agency they lead from (a school, health, the
/// voluntary sector, the local authority's own early help service).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadPractitioner {
    /// Their account.
    pub practitioner: PractitionerId,
    /// Their name, as recorded when they became lead.
    pub name: String,
    /// Their agency.
    pub agency: AgencyId,
    /// The agency's name.
    pub agency_name: String,
}

/// The early help assessment, agreed with the family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlyHelpAssessment {
    /// The day it was completed.
    pub on: Date,
    /// What it found: strengths, needs, what the family wants to change.
    pub summary: String,
}

/// The plan agreed with the family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlyHelpPlan {
    /// The day it was agreed.
    pub agreed_on: Date,
    /// The outcomes it aims for, one a line.
    pub outcomes: Vec<String>,
    /// Who does what by when.
    pub actions: Vec<ActionItem>,
}

/// A review of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlyHelpReview {
    /// The day it was held.
    pub on: Date,
    /// What was found and agreed.
    pub note: String,
    /// Who recorded it.
    pub recorded_by: PractitionerId,
}

coded_enum! {
    /// Why an early help episode closed (safeguard's own codes: no return collects them).
    EarlyHelpClosure, "early help closure reason" {
        /// The plan's outcomes were achieved.
        OutcomesAchieved => "outcomes_achieved", "Outcomes achieved";
        /// Stepped up: children's social care took the child on.
        SteppedUp => "stepped_up", "Stepped up to children's social care";
        /// The family withdrew their agreement.
        ConsentWithdrawn => "consent_withdrawn", "The family withdrew their agreement";
        /// The family moved out of the area.
        MovedAway => "moved_away", "The family moved away";
        /// Any other reason, given in the note.
        Other => "other", "Other reason";
    }
}

/// The closure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlyHelpEnd {
    /// The day it closed.
    pub on: Date,
    /// Why.
    pub reason: EarlyHelpClosure,
    /// A note.
    pub note: String,
}

/// A step up from this episode: the referral made to the local authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepUp {
    /// The referral.
    pub referral: ReferralId,
    /// The day it was made.
    pub on: Date,
}

/// An early help episode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlyHelpEpisode {
    /// Id.
    pub id: EarlyHelpId,
    /// The child.
    pub child: ChildId,
    /// Optimistic version: each save increments it; a save from an older version is refused.
    pub version: u32,
    /// The lead practitioner.
    pub lead: LeadPractitioner,
    /// How it came about.
    pub origin: EarlyHelpOrigin,
    /// The day it started.
    pub started_on: Date,
    /// Why early help, in the words of whoever started it.
    pub reason: String,
    /// The assessment, once done.
    pub assessment: Option<EarlyHelpAssessment>,
    /// The plan, once agreed.
    pub plan: Option<EarlyHelpPlan>,
    /// Reviews, oldest first.
    pub reviews: Vec<EarlyHelpReview>,
    /// Step-up referrals made from it.
    pub step_ups: Vec<StepUp>,
    /// The closure, once closed.
    pub end: Option<EarlyHelpEnd>,
}

fn field(name: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: name,
        message: message.into(),
        cin_rule: None,
    }
}

fn long_date(d: Date) -> String {
    d.strftime("%-d %B %Y").to_string()
}

fn required(name: &'static str, value: &str, message: &str) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        Err(field(name, message))
    } else if value.chars().count() > 10_000 {
        Err(field(name, "Keep this to 10,000 characters or fewer"))
    } else {
        Ok(())
    }
}

impl EarlyHelpEpisode {
    /// Starts an episode on `on`. A child has one open early help episode at a time; a step
    /// down cannot start before the decision or case it came from (`not_before`).
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        id: EarlyHelpId,
        child: ChildId,
        lead: LeadPractitioner,
        origin: EarlyHelpOrigin,
        on: Date,
        reason: &str,
        not_before: Option<Date>,
        others: &[EarlyHelpEpisode],
        today: Date,
    ) -> Result<EarlyHelpEpisode, FieldError> {
        check_not_in_future("start_date-day", "The start date", on, today)?;
        if let Some(earliest) = not_before
            && on < earliest
        {
            return Err(field(
                "start_date-day",
                format!(
                    "Early help cannot start before the decision it follows, {}",
                    long_date(earliest)
                ),
            ));
        }
        if let Some(open) = others
            .iter()
            .find(|o| o.child == child && o.id != id && o.is_open())
        {
            return Err(field(
                "start_date-day",
                format!(
                    "The child already has an open early help episode, led by {} since {}",
                    open.lead.name,
                    long_date(open.started_on)
                ),
            ));
        }
        if others.iter().any(|o| {
            o.child == child && o.origin.case().is_some() && o.origin.case() == origin.case()
        }) {
            return Err(field(
                "start_date-day",
                "An early help episode has already been started from this case",
            ));
        }
        required(
            "reason",
            reason,
            "Enter why the child and family need early help",
        )?;
        Ok(EarlyHelpEpisode {
            id,
            child,
            version: 1,
            lead,
            origin,
            started_on: on,
            reason: reason.trim().to_owned(),
            assessment: None,
            plan: None,
            reviews: Vec::new(),
            step_ups: Vec::new(),
            end: None,
        })
    }

    /// Whether it has not closed.
    pub fn is_open(&self) -> bool {
        self.end.is_none()
    }

    fn open_or(&self, field_name: &'static str) -> Result<(), FieldError> {
        match &self.end {
            None => Ok(()),
            Some(end) => Err(field(
                field_name,
                format!(
                    "This early help episode closed on {}: nothing more can be recorded on it",
                    long_date(end.on)
                ),
            )),
        }
    }

    fn within(&self, field_name: &'static str, on: Date, what: &str) -> Result<(), FieldError> {
        if on < self.started_on {
            return Err(field(
                field_name,
                format!(
                    "{what} must be on or after the day the episode started, {}",
                    long_date(self.started_on)
                ),
            ));
        }
        Ok(())
    }

    /// Records the assessment (once; a second replaces nothing).
    pub fn record_assessment(
        &mut self,
        on: Date,
        summary: &str,
        today: Date,
    ) -> Result<(), FieldError> {
        self.open_or("assessment_date-day")?;
        if self.assessment.is_some() {
            return Err(field(
                "assessment_date-day",
                "The assessment is already recorded",
            ));
        }
        check_not_in_future("assessment_date-day", "The assessment date", on, today)?;
        self.within("assessment_date-day", on, "The assessment date")?;
        required(
            "assessment_summary",
            summary,
            "Enter what the assessment found",
        )?;
        self.assessment = Some(EarlyHelpAssessment {
            on,
            summary: summary.trim().to_owned(),
        });
        Ok(())
    }

    /// Records the plan, agreed on or after the assessment, with at least one outcome.
    pub fn record_plan(
        &mut self,
        agreed_on: Date,
        outcomes: Vec<String>,
        actions: Vec<ActionItem>,
        today: Date,
    ) -> Result<(), FieldError> {
        self.open_or("plan_date-day")?;
        let Some(assessment) = &self.assessment else {
            return Err(field(
                "plan_date-day",
                "Record the early help assessment first: the plan follows from it",
            ));
        };
        if self.plan.is_some() {
            return Err(field("plan_date-day", "The plan is already recorded"));
        }
        check_not_in_future(
            "plan_date-day",
            "The date the plan was agreed",
            agreed_on,
            today,
        )?;
        if agreed_on < assessment.on {
            return Err(field(
                "plan_date-day",
                format!(
                    "The plan must be agreed on or after the assessment, {}",
                    long_date(assessment.on)
                ),
            ));
        }
        let outcomes: Vec<String> = outcomes
            .into_iter()
            .map(|o| o.trim().to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        if outcomes.is_empty() {
            return Err(field(
                "outcomes",
                "Enter at least one outcome the plan aims for, one a line",
            ));
        }
        if actions.iter().any(|a| a.due.is_some_and(|d| d < agreed_on)) {
            return Err(field(
                "actions",
                "An action cannot be due before the plan was agreed",
            ));
        }
        self.plan = Some(EarlyHelpPlan {
            agreed_on,
            outcomes,
            actions,
        });
        Ok(())
    }

    /// Records a review of the plan: after the plan was agreed and after the last review.
    pub fn record_review(
        &mut self,
        on: Date,
        note: &str,
        today: Date,
        by: PractitionerId,
    ) -> Result<(), FieldError> {
        self.open_or("review_date-day")?;
        let Some(plan) = &self.plan else {
            return Err(field(
                "review_date-day",
                "Record the plan first: a review reviews the plan",
            ));
        };
        check_not_in_future("review_date-day", "The review date", on, today)?;
        let after = self.reviews.last().map_or(plan.agreed_on, |r| r.on);
        if on <= after {
            return Err(field(
                "review_date-day",
                format!(
                    "The review date must be after {} (the plan or its last review)",
                    long_date(after)
                ),
            ));
        }
        required(
            "review_note",
            note,
            "Enter what the review found and agreed",
        )?;
        self.reviews.push(EarlyHelpReview {
            on,
            note: note.trim().to_owned(),
            recorded_by: by,
        });
        Ok(())
    }

    /// Records a step up: a referral made on `on`.
    pub fn step_up(&mut self, referral: ReferralId, on: Date) -> Result<(), FieldError> {
        self.open_or("reasons")?;
        self.within("reasons", on, "A step up")?;
        self.step_ups.push(StepUp { referral, on });
        Ok(())
    }

    /// Closes the episode on `on`: not before it started, nor before its last record.
    pub fn close(
        &mut self,
        on: Date,
        reason: EarlyHelpClosure,
        note: &str,
        today: Date,
    ) -> Result<(), FieldError> {
        self.open_or("end_date-day")?;
        check_not_in_future("end_date-day", "The closure date", on, today)?;
        if on < self.started_on {
            return Err(field(
                "end_date-day",
                format!(
                    "The closure date must be the same as or after the day the episode started, {}",
                    long_date(self.started_on)
                ),
            ));
        }
        if let Some(last) = self.last_recorded_on()
            && on < last
        {
            return Err(field(
                "end_date-day",
                format!(
                    "The closure date must be on or after the last thing recorded on the episode, {}",
                    long_date(last)
                ),
            ));
        }
        if reason == EarlyHelpClosure::SteppedUp && self.step_ups.is_empty() {
            return Err(field(
                "end_reason",
                "Make the step-up referral first: this episode has not been stepped up",
            ));
        }
        if reason == EarlyHelpClosure::Other && note.trim().is_empty() {
            return Err(field("end_note", "Enter the reason in the note"));
        }
        self.end = Some(EarlyHelpEnd {
            on,
            reason,
            note: note.trim().to_owned(),
        });
        Ok(())
    }

    fn last_recorded_on(&self) -> Option<Date> {
        [
            self.assessment.as_ref().map(|a| a.on),
            self.plan.as_ref().map(|p| p.agreed_on),
            self.reviews.last().map(|r| r.on),
            self.step_ups.last().map(|s| s.on),
        ]
        .into_iter()
        .flatten()
        .max()
    }

    /// The local clocks: the assessment (EH1) from the start, and each review of the plan
    /// (EH2) from the plan or the last review; none once closed, except one missed before the
    /// closure.
    pub fn clocks(&self, today: Date, cal: &Calendar) -> Vec<CaseClock> {
        let as_of = |due: Date| match &self.end {
            None => Some(today),
            Some(end) if due < end.on => Some(end.on),
            Some(_) => None,
        };
        let mut out = Vec::new();
        let mut push = |rule, label, due_on: Date, done_on: Option<Date>| {
            let status = match done_on {
                Some(_) => Some(clock_status(due_on, today, done_on)),
                None => as_of(due_on).map(|d| clock_status(due_on, d, None)),
            };
            if let Some(status) = status {
                out.push(CaseClock {
                    rule,
                    label,
                    due: due_on,
                    done_on,
                    status,
                    due_at: None,
                });
            }
        };
        push(
            RuleId::EarlyHelpAssessment,
            "Early help assessment",
            due(RuleId::EarlyHelpAssessment, self.started_on, cal),
            self.assessment.as_ref().map(|a| a.on),
        );
        if let Some(plan) = &self.plan {
            let mut from = plan.agreed_on;
            for r in &self.reviews {
                push(
                    RuleId::EarlyHelpReview,
                    "Early help plan review",
                    due(RuleId::EarlyHelpReview, from, cal),
                    Some(r.on),
                );
                from = r.on;
            }
            push(
                RuleId::EarlyHelpReview,
                "Early help plan review",
                due(RuleId::EarlyHelpReview, from, cal),
                None,
            );
        }
        out
    }

    /// The episode's history as plain text, for a step-up referral: what the front door needs
    /// to see (why, the assessment, the plan, each review), without the lead's notes on anyone
    /// else.
    pub fn history(&self) -> String {
        let mut out = format!(
            "Early help since {}, led by {} ({}). {}\nWhy early help: {}\n",
            long_date(self.started_on),
            self.lead.name,
            self.lead.agency_name,
            self.origin.label(),
            self.reason
        );
        if let Some(a) = &self.assessment {
            out.push_str(&format!(
                "Assessment ({}): {}\n",
                long_date(a.on),
                a.summary
            ));
        }
        if let Some(p) = &self.plan {
            out.push_str(&format!(
                "Plan agreed {}. Outcomes: {}\n",
                long_date(p.agreed_on),
                p.outcomes.join("; ")
            ));
            for a in &p.actions {
                out.push_str(&format!("- {} ({})\n", a.action, a.owner));
            }
        }
        for r in &self.reviews {
            out.push_str(&format!("Review ({}): {}\n", long_date(r.on), r.note));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::clocks::ClockStatus;
    use jiff::civil::date;

    fn lead() -> LeadPractitioner {
        LeadPractitioner {
            practitioner: PractitionerId::new(),
            name: "Dee Lead".into(),
            agency: AgencyId::new(),
            agency_name: "Oakfield Primary".into(),
        }
    }

    const TODAY: Date = date(2026, 11, 23);

    fn started(on: Date) -> EarlyHelpEpisode {
        EarlyHelpEpisode::start(
            EarlyHelpId::new(),
            ChildId::new(),
            lead(),
            EarlyHelpOrigin::Agency,
            on,
            "Attendance falling; parent asked for help",
            None,
            &[],
            TODAY,
        )
        .unwrap()
    }

    #[test]
    fn an_episode_runs_from_assessment_to_plan_reviews_and_closure_with_its_clocks() {
        let cal = Calendar::england_and_wales();
        let mut e = started(date(2025, 12, 1));
        let c = e.clocks(date(2025, 12, 2), &cal);
        // EH1: 30 working days from 1 December 2025, skipping Christmas and New Year.
        assert_eq!(
            (c[0].rule, c[0].due, c[0].status),
            (
                RuleId::EarlyHelpAssessment,
                date(2026, 1, 15),
                ClockStatus::Upcoming
            )
        );
        e.record_assessment(date(2026, 1, 20), "Needs routines", TODAY)
            .unwrap();
        e.record_plan(
            date(2026, 1, 30),
            vec!["Attends every day".into(), " ".into()],
            vec![],
            TODAY,
        )
        .unwrap();
        assert_eq!(e.plan.as_ref().unwrap().outcomes.len(), 1);
        e.record_review(
            date(2026, 3, 10),
            "Going well",
            TODAY,
            PractitionerId::new(),
        )
        .unwrap();
        let c = e.clocks(date(2026, 5, 1), &cal);
        let got: Vec<_> = c.iter().map(|c| (c.rule, c.due, c.status)).collect();
        assert_eq!(
            got,
            vec![
                (
                    RuleId::EarlyHelpAssessment,
                    date(2026, 1, 15),
                    ClockStatus::MetLate
                ),
                (RuleId::EarlyHelpReview, date(2026, 3, 13), ClockStatus::Met),
                (
                    RuleId::EarlyHelpReview,
                    date(2026, 4, 21),
                    ClockStatus::Overdue
                ),
            ]
        );
        e.close(
            date(2026, 4, 1),
            EarlyHelpClosure::OutcomesAchieved,
            "",
            TODAY,
        )
        .unwrap();
        // Closed before the next review fell due: no clock left open.
        assert_eq!(e.clocks(date(2026, 5, 1), &cal).len(), 2);
        assert!(
            e.history()
                .contains("Assessment (20 January 2026): Needs routines")
        );
    }

    #[test]
    fn bad_dates_and_order_get_named_field_errors() {
        let mut e = started(date(2026, 3, 2));
        assert_eq!(
            e.record_plan(date(2026, 3, 3), vec!["x".into()], vec![], TODAY)
                .unwrap_err()
                .field,
            "plan_date-day"
        );
        assert_eq!(
            e.record_assessment(date(2026, 3, 1), "x", TODAY)
                .unwrap_err()
                .field,
            "assessment_date-day"
        );
        assert_eq!(
            e.record_assessment(date(2026, 3, 5), " ", TODAY)
                .unwrap_err()
                .field,
            "assessment_summary"
        );
        e.record_assessment(date(2026, 3, 5), "Found", TODAY)
            .unwrap();
        assert_eq!(
            e.record_plan(date(2026, 3, 6), vec![], vec![], TODAY)
                .unwrap_err()
                .field,
            "outcomes"
        );
        e.record_plan(date(2026, 3, 6), vec!["x".into()], vec![], TODAY)
            .unwrap();
        // A review on or before the plan.
        assert_eq!(
            e.record_review(date(2026, 3, 6), "x", TODAY, PractitionerId::new())
                .unwrap_err()
                .field,
            "review_date-day"
        );
        // Ending before it starts.
        assert_eq!(
            e.close(date(2026, 3, 1), EarlyHelpClosure::MovedAway, "", TODAY)
                .unwrap_err()
                .field,
            "end_date-day"
        );
        // Ending before the last record.
        assert_eq!(
            e.close(date(2026, 3, 5), EarlyHelpClosure::MovedAway, "", TODAY)
                .unwrap_err()
                .field,
            "end_date-day"
        );
        // Stepped up without a step-up referral.
        assert_eq!(
            e.close(date(2026, 4, 1), EarlyHelpClosure::SteppedUp, "", TODAY)
                .unwrap_err()
                .field,
            "end_reason"
        );
        e.step_up(ReferralId::new(), date(2026, 4, 1)).unwrap();
        e.close(date(2026, 4, 2), EarlyHelpClosure::SteppedUp, "", TODAY)
            .unwrap();
        assert_eq!(
            e.record_review(date(2026, 5, 1), "x", TODAY, PractitionerId::new())
                .unwrap_err()
                .field,
            "review_date-day"
        );
    }

    #[test]
    fn one_open_episode_a_child_and_one_per_case() {
        let first = started(date(2026, 3, 2));
        let err = EarlyHelpEpisode::start(
            EarlyHelpId::new(),
            first.child,
            lead(),
            EarlyHelpOrigin::Agency,
            date(2026, 4, 1),
            "Again",
            None,
            std::slice::from_ref(&first),
            TODAY,
        )
        .unwrap_err();
        assert_eq!(err.field, "start_date-day");
        assert!(
            err.message
                .contains("already has an open early help episode")
        );
        let case = CaseId::new();
        let mut stepped = EarlyHelpEpisode::start(
            EarlyHelpId::new(),
            first.child,
            lead(),
            EarlyHelpOrigin::AfterAssessment { case },
            date(2026, 4, 1),
            "RC9",
            Some(date(2026, 3, 30)),
            &[],
            TODAY,
        )
        .unwrap();
        stepped
            .close(date(2026, 4, 2), EarlyHelpClosure::MovedAway, "", TODAY)
            .unwrap();
        let again = EarlyHelpEpisode::start(
            EarlyHelpId::new(),
            first.child,
            lead(),
            EarlyHelpOrigin::AfterAssessment { case },
            date(2026, 4, 3),
            "RC9",
            None,
            std::slice::from_ref(&stepped),
            TODAY,
        );
        assert!(
            again
                .unwrap_err()
                .message
                .contains("already been started from this case")
        );
        // Not before the decision it follows.
        let early = EarlyHelpEpisode::start(
            EarlyHelpId::new(),
            ChildId::new(),
            lead(),
            EarlyHelpOrigin::AfterAssessment {
                case: CaseId::new(),
            },
            date(2026, 3, 1),
            "RC9",
            Some(date(2026, 3, 30)),
            &[],
            TODAY,
        );
        assert_eq!(early.unwrap_err().field, "start_date-day");
    }
}
