//! Date and code checks on the records of the journey, against the guidance and against each
//! other. Each failure is a [`FieldError`]: the form field it belongs to and a message, in the
//! GOV.UK error-summary style, that says how to put it right.
//!
//! The rules are the DfE Children in Need census validation rules (codes as in
//! `shared/data/dfe-returns/rules/cin_rules_cin2026_27.tsv`, spec §7.1), so what safeguard
//! accepts also passes the census, plus the guidance behind them (spec §1.4, §1.7, §1.8).
//!
//! Field names are the snake_case names forms use: `start_date`, `end_date`, `review_date`,
//! `date`, `factors`, or the one the caller passes.

use jiff::civil::{Date, Weekday};
use serde::Serialize;

use crate::calendar::Calendar;
use crate::clocks::is_conference_date_valid;
use crate::codes::{AssessmentFactor, ConferenceKind};

/// One problem with one field, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct FieldError {
    /// The form field the message belongs to, e.g. `end_date`.
    pub field: &'static str,
    /// What is wrong and how to fix it, for the person filling in the form.
    pub message: String,
    /// The CIN census validation rule this check mirrors, if any (e.g. "8841").
    pub cin_rule: Option<&'static str>,
}

impl FieldError {
    fn new(field: &'static str, cin_rule: Option<&'static str>, message: String) -> FieldError {
        FieldError {
            field,
            message,
            cin_rule,
        }
    }
}

/// A span of days a plan or episode is open: from `start`, up to but not including `end`; open
/// while `end` is `None`. A plan may start on the day another ends (CIN rules 4016 and 4017
/// allow it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    /// The first day.
    pub start: Date,
    /// The day it ended, if it has.
    pub end: Option<Date>,
}

impl Period {
    /// A period from `start` that has not ended.
    pub const fn open(start: Date) -> Period {
        Period { start, end: None }
    }

    /// A period from `start` that ended on `end`.
    pub const fn closed(start: Date, end: Date) -> Period {
        Period {
            start,
            end: Some(end),
        }
    }

    /// Whether `d` falls in the period: on or after the start and before the end.
    pub fn covers(&self, d: Date) -> bool {
        d >= self.start && self.end.is_none_or(|end| d < end)
    }
}

/// The kind of plan or episode whose dates are checked, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlanKind {
    /// A child in need plan.
    CinPlan,
    /// A child protection plan.
    CpPlan,
    /// An early help episode.
    EarlyHelp,
    /// A looked-after episode.
    LookedAfter,
}

impl PlanKind {
    const fn noun(self) -> &'static str {
        match self {
            PlanKind::CinPlan => "child in need plan",
            PlanKind::CpPlan => "child protection plan",
            PlanKind::EarlyHelp => "early help episode",
            PlanKind::LookedAfter => "looked-after episode",
        }
    }
}

/// A plan ends on or after it starts; a child protection plan cannot start and end on the same
/// day (CIN rule 8840).
pub fn check_plan_dates(kind: PlanKind, period: Period) -> Result<(), FieldError> {
    let Some(end) = period.end else {
        return Ok(());
    };
    if end < period.start {
        return Err(FieldError::new(
            "end_date",
            None,
            format!(
                "The end date of the {} must be the same as or after its start date, {}",
                kind.noun(),
                long_date(period.start)
            ),
        ));
    }
    if kind == PlanKind::CpPlan && end == period.start {
        return Err(FieldError::new(
            "end_date",
            Some("8840"),
            format!(
                "A child protection plan cannot start and end on the same day. The end date \
                 must be after {}",
                long_date(period.start)
            ),
        ));
    }
    Ok(())
}

/// A review of a child protection plan is after the day the plan started (CIN rule 8841).
pub fn check_review_after_plan_start(plan_start: Date, review_on: Date) -> Result<(), FieldError> {
    if review_on <= plan_start {
        return Err(FieldError::new(
            "review_date",
            Some("8841"),
            format!(
                "The review date must be after the day the plan started, {}",
                long_date(plan_start)
            ),
        ));
    }
    Ok(())
}

/// A child protection plan starts on the day of the initial conference that made it (CIN rule
/// 2885; spec §1.4 `CP_PLAN`).
pub fn check_cp_plan_starts_at_icpc(plan_start: Date, icpc_on: Date) -> Result<(), FieldError> {
    if plan_start != icpc_on {
        return Err(FieldError::new(
            "start_date",
            Some("2885"),
            format!(
                "A child protection plan starts on the day of the initial conference. Change the \
                 start date to {}",
                long_date(icpc_on)
            ),
        ));
    }
    Ok(())
}

/// How a child in need plan and a child protection plan collide, if they do (CIN rules 4001,
/// 4016, 4017 as the DfE validator applies them).
enum Overlap {
    /// 4001: both are open.
    BothOpen,
    /// 4016: the CIN plan starts while the CP plan is open.
    CinStartsDuringCp,
    /// 4017: the CP plan starts while the CIN plan is open.
    CpStartsDuringCin,
}

fn overlap(cin: Period, cp: Period) -> Option<Overlap> {
    if cin.end.is_none() && cp.end.is_none() {
        Some(Overlap::BothOpen)
    } else if cp.covers(cin.start) {
        Some(Overlap::CinStartsDuringCp)
    } else if cin.covers(cp.start) {
        Some(Overlap::CpStartsDuringCin)
    } else {
        None
    }
}

/// A child in need plan, being saved, cannot run at the same time as any of the child's child
/// protection plans (CIN rules 4001, 4016, 4017; spec §1.4 `CIN_PLAN`). It may start on the day
/// a child protection plan ends, and end on the day one starts.
pub fn check_cin_plan_against_cp_plans(cin: Period, cp_plans: &[Period]) -> Result<(), FieldError> {
    for cp in cp_plans {
        match overlap(cin, *cp) {
            None => {}
            Some(Overlap::BothOpen) => {
                return Err(FieldError::new(
                    "end_date",
                    Some("4001"),
                    format!(
                        "The child has an open child protection plan, which started on {}. A \
                         child in need plan cannot run at the same time: end it on or before {}",
                        long_date(cp.start),
                        long_date(cp.start)
                    ),
                ));
            }
            Some(Overlap::CinStartsDuringCp) => {
                let fix = match cp.end {
                    Some(end) => format!(
                        "Start it on or after {}, when that plan ended",
                        long_date(end)
                    ),
                    None => "End the child protection plan first".to_owned(),
                };
                return Err(FieldError::new(
                    "start_date",
                    Some("4016"),
                    format!(
                        "The child in need plan cannot start while the child protection plan that \
                         started on {} is open. {fix}",
                        long_date(cp.start)
                    ),
                ));
            }
            Some(Overlap::CpStartsDuringCin) => {
                return Err(FieldError::new(
                    "end_date",
                    Some("4017"),
                    format!(
                        "A child protection plan started on {}. The child in need plan must end \
                         on or before that day",
                        long_date(cp.start)
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A child protection plan, being saved, cannot run at the same time as any of the child's
/// child in need plans (CIN rules 4001, 4016, 4017). End the child in need plan on or before
/// the day the child protection plan starts.
pub fn check_cp_plan_against_cin_plans(cp: Period, cin_plans: &[Period]) -> Result<(), FieldError> {
    for cin in cin_plans {
        let rule = match overlap(*cin, cp) {
            None => continue,
            Some(Overlap::BothOpen) => "4001",
            Some(Overlap::CpStartsDuringCin) => "4017",
            Some(Overlap::CinStartsDuringCp) => {
                return Err(FieldError::new(
                    "end_date",
                    Some("4016"),
                    format!(
                        "A child in need plan started on {}, while this child protection plan was \
                         open. End this plan on or before that day, or change the child in need \
                         plan",
                        long_date(cin.start)
                    ),
                ));
            }
        };
        return Err(FieldError::new(
            "start_date",
            Some(rule),
            format!(
                "The child in need plan that started on {} is still open on this date. End the \
                 child in need plan on or before {} first",
                long_date(cin.start),
                long_date(cp.start)
            ),
        ));
    }
    Ok(())
}

/// A date that cannot be in the future: something that has already happened (a referral
/// received, a conference held, a plan ended). `label` names it for the message, e.g. "The date
/// of the conference".
pub fn check_not_in_future(
    field: &'static str,
    label: &str,
    date: Date,
    today: Date,
) -> Result<(), FieldError> {
    if date > today {
        return Err(FieldError::new(
            field,
            None,
            format!("{label} must be today or in the past"),
        ));
    }
    Ok(())
}

/// A step of a CIN episode that cannot come before the referral that started it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AfterReferral {
    /// Child and family assessment start (CIN rule 1103).
    AssessmentStart,
    /// Section 47 enquiry start (CIN rule 2889).
    S47Start,
    /// Initial child protection conference (CIN rule 1104).
    InitialConference,
    /// Child protection plan start (CIN rule 1105).
    CpPlanStart,
    /// Child in need plan start (CIN rule 4015).
    CinPlanStart,
}

impl AfterReferral {
    const fn field(self) -> &'static str {
        match self {
            AfterReferral::InitialConference => "date",
            AfterReferral::AssessmentStart
            | AfterReferral::S47Start
            | AfterReferral::CpPlanStart
            | AfterReferral::CinPlanStart => "start_date",
        }
    }

    const fn label(self) -> &'static str {
        match self {
            AfterReferral::AssessmentStart => "The assessment",
            AfterReferral::S47Start => "The section 47 enquiry",
            AfterReferral::InitialConference => "The initial child protection conference",
            AfterReferral::CpPlanStart => "The child protection plan",
            AfterReferral::CinPlanStart => "The child in need plan",
        }
    }

    const fn rule(self) -> &'static str {
        match self {
            AfterReferral::AssessmentStart => "1103",
            AfterReferral::S47Start => "2889",
            AfterReferral::InitialConference => "1104",
            AfterReferral::CpPlanStart => "1105",
            AfterReferral::CinPlanStart => "4015",
        }
    }
}

/// A step of the episode is on or after the referral date (CIN rules 1103, 1104, 1105, 2889,
/// 4015).
pub fn check_on_or_after_referral(
    step: AfterReferral,
    date: Date,
    referral_on: Date,
) -> Result<(), FieldError> {
    if date < referral_on {
        return Err(FieldError::new(
            step.field(),
            Some(step.rule()),
            format!(
                "{} cannot be before the referral, which was received on {}",
                step.label(),
                long_date(referral_on)
            ),
        ));
    }
    Ok(())
}

/// A child protection conference is held on a working day: not a weekend (CIN rule 8875) and not
/// a bank holiday.
pub fn check_conference_date(
    kind: ConferenceKind,
    date: Date,
    cal: &Calendar,
) -> Result<(), FieldError> {
    if is_conference_date_valid(date, cal) {
        return Ok(());
    }
    let what = match date.weekday() {
        Weekday::Saturday => "a Saturday",
        Weekday::Sunday => "a Sunday",
        _ => "a bank holiday",
    };
    let noun = match kind {
        ConferenceKind::Initial => "An initial child protection conference",
        ConferenceKind::Review => "A review child protection conference",
        ConferenceKind::TransferIn => "A transfer-in child protection conference",
    };
    Err(FieldError::new(
        "date",
        Some("8875"),
        format!(
            "{noun} cannot be held on a weekend or bank holiday, and {} is {what}. Choose a \
             working day, such as {}",
            long_date(date),
            long_date(cal.next_working_day_on_or_after(date))
        ),
    ))
}

/// The factors recorded at a completed assessment: at least one (CIN query 8897Q; 21 when there
/// are none), 21 only on its own (8869), each code once (8898), and not the retired 18A or 19A
/// (queries 8945Q, 8950Q).
pub fn check_assessment_factors(factors: &[AssessmentFactor]) -> Result<(), FieldError> {
    if factors.is_empty() {
        return Err(FieldError::new(
            "factors",
            Some("8897Q"),
            "Select the factors identified at the assessment, or 21 \"No factors identified\""
                .to_owned(),
        ));
    }
    if factors.contains(&AssessmentFactor::NoFactors) && factors.len() > 1 {
        return Err(FieldError::new(
            "factors",
            Some("8869"),
            "21 \"No factors identified\" cannot be selected with other factors. Select either \
             21 or the factors found"
                .to_owned(),
        ));
    }
    for (i, f) in factors.iter().enumerate() {
        if factors[..i].contains(f) {
            return Err(FieldError::new(
                "factors",
                Some("8898"),
                format!(
                    "Factor {} is selected more than once. Select it once",
                    f.code()
                ),
            ));
        }
        if let [a, b] = f.replaced_by() {
            return Err(FieldError::new(
                "factors",
                Some(if *f == AssessmentFactor::PhysicalAbuse {
                    "8945Q"
                } else {
                    "8950Q"
                }),
                format!(
                    "Factor {} is no longer used. Select {} or {} instead",
                    f.code(),
                    a.code(),
                    b.code()
                ),
            ));
        }
    }
    Ok(())
}

/// "14 January 2026", as GOV.UK writes dates.
fn long_date(d: Date) -> String {
    d.strftime("%-d %B %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::ToSpan;
    use jiff::civil::date;
    use proptest::prelude::*;
    use rstest::rstest;

    #[test]
    fn dates_read_as_gov_uk_writes_them() {
        assert_eq!(long_date(date(2026, 1, 4)), "4 January 2026");
        assert_eq!(long_date(date(2025, 12, 24)), "24 December 2025");
    }

    #[rstest]
    #[case::open(PlanKind::CinPlan, Period::open(date(2026, 1, 1)), None)]
    #[case::one_day_cin(
        PlanKind::CinPlan,
        Period::closed(date(2026, 1, 1), date(2026, 1, 1)),
        None
    )]
    #[case::normal(
        PlanKind::CpPlan,
        Period::closed(date(2026, 1, 1), date(2026, 6, 1)),
        None
    )]
    #[case::ends_before(PlanKind::CinPlan, Period::closed(date(2026, 1, 2), date(2026, 1, 1)), Some(("end_date", None)))]
    #[case::cp_ends_before(PlanKind::CpPlan, Period::closed(date(2026, 1, 2), date(2026, 1, 1)), Some(("end_date", None)))]
    #[case::cp_same_day(PlanKind::CpPlan, Period::closed(date(2026, 1, 1), date(2026, 1, 1)), Some(("end_date", Some("8840"))))]
    #[case::early_help_ends_before(PlanKind::EarlyHelp, Period::closed(date(2026, 1, 2), date(2026, 1, 1)), Some(("end_date", None)))]
    fn plan_dates(
        #[case] kind: PlanKind,
        #[case] period: Period,
        #[case] expected: Option<(&str, Option<&str>)>,
    ) {
        let got = check_plan_dates(kind, period).err();
        assert_eq!(got.as_ref().map(|e| (e.field, e.cin_rule)), expected);
        if let Some(e) = got {
            assert!(
                e.message.contains(kind.noun()) || e.cin_rule.is_some(),
                "{e}"
            );
            assert!(e.message.contains("must be"), "says how to fix it: {e}");
        }
    }

    #[test]
    fn an_end_before_the_start_says_the_start_date() {
        let e = check_plan_dates(
            PlanKind::CinPlan,
            Period::closed(date(2026, 3, 3), date(2026, 3, 2)),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "The end date of the child in need plan must be the same as or after its start date, \
             3 March 2026"
        );
    }

    #[rstest]
    #[case::before(date(2026, 1, 13), false)]
    #[case::same_day(date(2026, 1, 14), false)]
    #[case::day_after(date(2026, 1, 15), true)]
    fn a_review_is_after_the_plan_starts(#[case] review: Date, #[case] ok: bool) {
        let r = check_review_after_plan_start(date(2026, 1, 14), review);
        assert_eq!(r.is_ok(), ok);
        if let Err(e) = r {
            assert_eq!(e.field, "review_date");
            assert_eq!(e.cin_rule, Some("8841"));
            assert!(e.message.contains("14 January 2026"), "{e}");
        }
    }

    #[test]
    fn a_plan_starts_on_the_day_of_the_conference() {
        assert!(check_cp_plan_starts_at_icpc(date(2026, 1, 14), date(2026, 1, 14)).is_ok());
        let e = check_cp_plan_starts_at_icpc(date(2026, 1, 15), date(2026, 1, 14)).unwrap_err();
        assert_eq!((e.field, e.cin_rule), ("start_date", Some("2885")));
        assert!(
            e.message
                .ends_with("Change the start date to 14 January 2026"),
            "{e}"
        );
    }

    fn d(day: i8) -> Date {
        date(2026, 3, day)
    }

    /// The DfE validator's own cases for 4016 and 4017, as (CIN plan, CP plan, rule).
    #[rstest]
    #[case::cin_before_cp(Period::closed(d(1), d(5)), Period::closed(d(10), d(20)), None)]
    #[case::cin_starts_as_cp_ends(Period::open(d(20)), Period::closed(d(10), d(20)), None)]
    #[case::cp_starts_as_cin_ends(Period::closed(d(1), d(10)), Period::open(d(10)), None)]
    #[case::cin_after_cp(Period::open(d(21)), Period::closed(d(10), d(20)), None)]
    #[case::both_open(Period::open(d(1)), Period::open(d(10)), Some(("end_date", "4001")))]
    #[case::cin_starts_inside_cp(Period::closed(d(12), d(25)), Period::closed(d(10), d(20)), Some(("start_date", "4016")))]
    #[case::cin_starts_same_day_as_cp(Period::closed(d(10), d(25)), Period::closed(d(10), d(20)), Some(("start_date", "4016")))]
    #[case::cin_starts_during_open_cp(Period::closed(d(12), d(25)), Period::open(d(10)), Some(("start_date", "4016")))]
    #[case::cp_starts_inside_cin(Period::closed(d(1), d(15)), Period::closed(d(10), d(20)), Some(("end_date", "4017")))]
    #[case::cp_starts_during_open_cin(Period::open(d(1)), Period::closed(d(10), d(20)), Some(("end_date", "4017")))]
    fn cin_and_cp_plans_do_not_overlap(
        #[case] cin: Period,
        #[case] cp: Period,
        #[case] expected: Option<(&str, &str)>,
    ) {
        let got = check_cin_plan_against_cp_plans(cin, &[cp]).err();
        assert_eq!(
            got.as_ref().map(|e| (e.field, e.cin_rule.unwrap_or("-"))),
            expected,
            "{got:?}"
        );
        // The same pair, saved from the child protection plan's side, is refused too.
        assert_eq!(
            check_cp_plan_against_cin_plans(cp, &[cin]).is_err(),
            expected.is_some()
        );
    }

    #[test]
    fn an_overlap_message_says_which_plan_and_how_to_fix_it() {
        let e = check_cin_plan_against_cp_plans(
            Period::closed(d(12), d(25)),
            &[Period::closed(d(10), d(20))],
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "The child in need plan cannot start while the child protection plan that started \
             on 10 March 2026 is open. Start it on or after 20 March 2026, when that plan ended"
        );
        let e = check_cp_plan_against_cin_plans(Period::open(d(10)), &[Period::open(d(1))])
            .unwrap_err();
        assert_eq!((e.field, e.cin_rule), ("start_date", Some("4001")));
        assert!(e.message.contains("on or before 10 March 2026"), "{e}");
    }

    #[test]
    fn only_overlapping_plans_among_many_are_refused() {
        let cps = [Period::closed(d(1), d(5)), Period::closed(d(20), d(25))];
        assert!(check_cin_plan_against_cp_plans(Period::closed(d(5), d(20)), &cps).is_ok());
        assert!(check_cin_plan_against_cp_plans(Period::closed(d(5), d(21)), &cps).is_err());
        assert!(check_cin_plan_against_cp_plans(Period::open(d(6)), &[]).is_ok());
    }

    #[rstest]
    #[case::yesterday(date(2026, 1, 13), true)]
    #[case::today(date(2026, 1, 14), true)]
    #[case::tomorrow(date(2026, 1, 15), false)]
    fn dates_in_the_future(#[case] when: Date, #[case] ok: bool) {
        let r = check_not_in_future(
            "received_on",
            "The date the referral was received",
            when,
            date(2026, 1, 14),
        );
        assert_eq!(r.is_ok(), ok);
        if let Err(e) = r {
            assert_eq!(e.field, "received_on");
            assert_eq!(
                e.message,
                "The date the referral was received must be today or in the past"
            );
        }
    }

    #[rstest]
    #[case(AfterReferral::AssessmentStart, "start_date", "1103")]
    #[case(AfterReferral::S47Start, "start_date", "2889")]
    #[case(AfterReferral::InitialConference, "date", "1104")]
    #[case(AfterReferral::CpPlanStart, "start_date", "1105")]
    #[case(AfterReferral::CinPlanStart, "start_date", "4015")]
    fn steps_are_not_before_the_referral(
        #[case] step: AfterReferral,
        #[case] field: &str,
        #[case] rule: &str,
    ) {
        let referral = date(2026, 1, 5);
        assert!(check_on_or_after_referral(step, referral, referral).is_ok());
        let e = check_on_or_after_referral(step, date(2026, 1, 4), referral).unwrap_err();
        assert_eq!((e.field, e.cin_rule), (field, Some(rule)));
        assert!(e.message.ends_with("received on 5 January 2026"), "{e}");
    }

    #[rstest]
    #[case::saturday(date(2026, 1, 17), Some("a Saturday"), date(2026, 1, 19))]
    #[case::sunday(date(2026, 1, 18), Some("a Sunday"), date(2026, 1, 19))]
    #[case::new_years_day(date(2026, 1, 1), Some("a bank holiday"), date(2026, 1, 2))]
    #[case::good_friday(date(2026, 4, 3), Some("a bank holiday"), date(2026, 4, 7))]
    #[case::wednesday(date(2026, 1, 14), None, date(2026, 1, 14))]
    fn conference_dates(#[case] when: Date, #[case] is: Option<&str>, #[case] suggest: Date) {
        let cal = Calendar::england_and_wales();
        let r = check_conference_date(ConferenceKind::Initial, when, &cal);
        match is {
            None => assert!(r.is_ok()),
            Some(what) => {
                let e = r.unwrap_err();
                assert_eq!((e.field, e.cin_rule), ("date", Some("8875")));
                assert!(e.message.contains(what), "{e}");
                assert!(e.message.ends_with(&long_date(suggest)), "{e}");
            }
        }
    }

    #[rstest]
    #[case::none_found(&[AssessmentFactor::NoFactors], None)]
    #[case::several(&[AssessmentFactor::Neglect, AssessmentFactor::DomesticViolenceParent], None)]
    #[case::empty(&[], Some("8897Q"))]
    #[case::none_with_others(&[AssessmentFactor::Neglect, AssessmentFactor::NoFactors], Some("8869"))]
    #[case::twice(&[AssessmentFactor::Neglect, AssessmentFactor::Gangs, AssessmentFactor::Neglect], Some("8898"))]
    #[case::retired_18a(&[AssessmentFactor::PhysicalAbuse], Some("8945Q"))]
    #[case::retired_19a(&[AssessmentFactor::SexualAbuse], Some("8950Q"))]
    fn assessment_factors(#[case] factors: &[AssessmentFactor], #[case] rule: Option<&str>) {
        let r = check_assessment_factors(factors);
        assert_eq!(r.as_ref().err().and_then(|e| e.cin_rule), rule);
        if let Err(e) = r {
            assert_eq!(e.field, "factors");
            assert!(e.message.contains("Select"), "says how to fix it: {e}");
        }
    }

    #[test]
    fn field_errors_serialise_for_the_api() {
        let e = check_review_after_plan_start(date(2026, 1, 14), date(2026, 1, 14)).unwrap_err();
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["field"], "review_date");
        assert_eq!(json["cin_rule"], "8841");
    }

    fn any_period() -> impl Strategy<Value = Period> {
        (0i64..400, proptest::option::of(0i64..200)).prop_map(|(s, len)| {
            let start = date(2025, 1, 1).saturating_add(s.days());
            Period {
                start,
                end: len.map(|l| start.saturating_add(l.days())),
            }
        })
    }

    /// Whether two periods share a day, worked out day by day.
    fn share_a_day(a: Period, b: Period) -> bool {
        let horizon = date(2027, 12, 31);
        let mut day = a.start.min(b.start);
        while day <= horizon {
            if a.covers(day) && b.covers(day) {
                return true;
            }
            day = day.tomorrow().unwrap();
        }
        false
    }

    proptest! {
        /// Plans that share a day are refused from either side; plans that only touch (one
        /// starts the day the other ends) are allowed. One-day-or-less CIN plans starting
        /// inside a CP plan are refused too, as the DfE validator does.
        #[test]
        fn overlap_is_symmetric_and_matches_a_day_by_day_walk(cin in any_period(), cp in any_period()) {
            let from_cin = check_cin_plan_against_cp_plans(cin, &[cp]).is_err();
            let from_cp = check_cp_plan_against_cin_plans(cp, &[cin]).is_err();
            prop_assert_eq!(from_cin, from_cp);
            let empty = |p: Period| p.end == Some(p.start);
            if !empty(cin) && !empty(cp) {
                prop_assert_eq!(from_cin, share_a_day(cin, cp));
            }
        }
    }
}
