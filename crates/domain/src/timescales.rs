//! The one table of statutory timescales: how long each step of the child protection process may
//! take, counted from which event, in which unit, and where the rule comes from.
//!
//! Every deadline in safeguard comes from [`RULES`] through [`due_date`]; nothing else hard-codes
//! "15 working days". The table follows the master timescale table in the domain spec
//! (`shared/domain/working-together.md` §1.2), which is compiled from Working Together to
//! Safeguard Children 2018 (WT18) and 2023 (WT23). Sources the spec marks as unverified are
//! labelled so here too. WT 2026 has since replaced WT23 (spec §0.1): re-check every row against
//! it before release.
//!
//! Each rule says how binding it is ([`Force`], spec §9.3): statute or regulations, statutory
//! guidance ("comply unless exceptional circumstances; record reasons for departure"), or a local
//! default. The spec gives no national figure for T2 (feedback to the referrer), T4 (strategy
//! discussion, "rapid") or T10 (first review for an unborn child); they are in the table as
//! local defaults taken from the spec's local examples, so every step still carries a due date,
//! and a partnership's own figures replace them by configuration.

use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::coded::coded_enum;

coded_enum! {
    /// How binding a timescale is (spec §9.3, "Legal force of timescales").
    Force, "legal force" {
        /// An Act or regulations: the limit is the law.
        Law => "law", "Statute or regulations";
        /// Statutory guidance (Working Together): follow it unless there are exceptional
        /// circumstances, and record the reasons for any departure.
        StatutoryGuidance => "statutory_guidance", "Statutory guidance";
        /// No national limit: a local default a partnership may change.
        LocalDefault => "local_default", "Local default (no national limit)";
    }
}

/// The unit a timescale is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Unit {
    /// Monday to Friday, not England and Wales bank holidays ([`Calendar`]).
    WorkingDays,
    /// Every day counts.
    CalendarDays,
    /// Calendar months, clamped to the end of a shorter month (31 January + 1 month = 28 or 29
    /// February).
    Months,
    /// Hours. Deadlines are dates, so [`due_date`] rounds up to whole days.
    Hours,
}

/// Names one statutory timescale. Codes follow the spec's table (T1 to T13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RuleId {
    /// T1: decide what to do about a referral (and acknowledge it) within 1 working day.
    T1ReferralDecision,
    /// T2: tell the referrer the decision and its reasons. No national limit; safeguard's local
    /// default is the day of the decision (the closed loop of issue 3).
    T2ReferrerFeedback,
    /// T3: complete the child and family assessment within 45 working days of the referral.
    T3Assessment,
    /// T4: hold a strategy discussion once there is reasonable cause to suspect significant
    /// harm. No national limit ("rapid"); local default the next working day.
    T4StrategyDiscussion,
    /// T5: hold the initial child protection conference within 15 working days of the strategy
    /// discussion that started section 47 enquiries.
    T5Icpc,
    /// T6: hold the first core group meeting within 10 working days of the initial conference.
    T6FirstCoreGroup,
    /// T7: hold the first review conference within 3 months of the initial conference.
    T7FirstReview,
    /// T8: hold each later review conference within 6 months of the previous one.
    T8LaterReview,
    /// T9: hold a transfer-in conference within 15 working days of hearing that a child with a
    /// child protection plan has moved here permanently.
    T9TransferIn,
    /// T10: first review conference for an unborn child. No national rule; local default 3
    /// months from the pre-birth initial conference (see [`crate::clocks::unborn_first_review_due`]
    /// for the "or soon after birth" variants).
    T10UnbornFirstReview,
    /// T11: police protection lasts at most 72 hours.
    T11PoliceProtection,
    /// T12: an emergency protection order lasts at most 8 days.
    T12Epo,
    /// T13: first review of a looked-after child within 20 working days.
    T13LacFirstReview,
    /// T13: second review of a looked-after child within 3 months of the first.
    T13LacSecondReview,
    /// T13: each later review of a looked-after child within 6 months of the previous one.
    T13LacLaterReview,
    /// T14: a CP-IS flag stays visible to health for 12 months after the plan or looked-after
    /// status ends (London procedures; a local default, configurable).
    T14FlagVisibleAfterEnd,
    /// EH1: complete the early help assessment. No national rule (spec §1.4 `EARLY_HELP`:
    /// timer "local"); local default 30 working days from the start of the episode.
    EarlyHelpAssessment,
    /// EH2: review the early help plan. No national rule; local default every 6 weeks.
    EarlyHelpReview,
}

impl RuleId {
    /// Every rule id, in table order.
    pub const ALL: [RuleId; 18] = [
        RuleId::T1ReferralDecision,
        RuleId::T2ReferrerFeedback,
        RuleId::T3Assessment,
        RuleId::T4StrategyDiscussion,
        RuleId::T5Icpc,
        RuleId::T6FirstCoreGroup,
        RuleId::T7FirstReview,
        RuleId::T8LaterReview,
        RuleId::T9TransferIn,
        RuleId::T10UnbornFirstReview,
        RuleId::T11PoliceProtection,
        RuleId::T12Epo,
        RuleId::T13LacFirstReview,
        RuleId::T13LacSecondReview,
        RuleId::T13LacLaterReview,
        RuleId::T14FlagVisibleAfterEnd,
        RuleId::EarlyHelpAssessment,
        RuleId::EarlyHelpReview,
    ];
}

/// One statutory timescale: from `start_event`, within `amount` `unit`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Which rule this is.
    pub id: RuleId,
    /// The spec's short code, e.g. "T1"; the three looked-after review rules are "T13a" to
    /// "T13c".
    pub code: &'static str,
    /// What must happen, in a practitioner's words.
    pub name: &'static str,
    /// The event the clock starts from.
    pub start_event: &'static str,
    /// How many units are allowed.
    pub amount: u32,
    /// The unit of `amount`.
    pub unit: Unit,
    /// How binding the rule is.
    pub force: Force,
    /// Where the rule comes from: guidance or statute, as the spec cites it.
    pub source: &'static str,
}

const T1: Rule = Rule {
    id: RuleId::T1ReferralDecision,
    code: "T1",
    name: "Acknowledge the referral and decide on next steps and the type of response",
    start_event: "Referral received by children's social care",
    amount: 1,
    unit: Unit::WorkingDays,
    force: Force::StatutoryGuidance,
    source: "Working Together to Safeguard Children, statutory guidance (as reproduced in \
             Keeping Children Safe in Education and local procedures; secondary sources only), \
             spec §1.2 T1",
};

const T2: Rule = Rule {
    id: RuleId::T2ReferrerFeedback,
    code: "T2",
    name: "Tell the referrer the decision and the reasons for it",
    start_event: "Decision on the referral",
    amount: 0,
    unit: Unit::WorkingDays,
    force: Force::LocalDefault,
    source: "Working Together to Safeguard Children: feedback on the decision, no fixed limit \
             (the referrer follows up if it does not come); local default: the same day, with \
             the decision — spec §1.2 T2",
};

const T3: Rule = Rule {
    id: RuleId::T3Assessment,
    code: "T3",
    name: "Complete the child and family assessment (record reasons if it takes longer)",
    start_event: "Referral received (the point of referral)",
    amount: 45,
    unit: Unit::WorkingDays,
    force: Force::StatutoryGuidance,
    source: "Working Together to Safeguard Children, statutory guidance, spec §1.2 T3 \
             (verified)",
};

const T4: Rule = Rule {
    id: RuleId::T4StrategyDiscussion,
    code: "T4",
    name: "Hold a strategy discussion",
    start_event: "Reasonable cause to suspect significant harm identified (at referral, during \
                  assessment or on an open case)",
    amount: 1,
    unit: Unit::WorkingDays,
    force: Force::LocalDefault,
    source: "Working Together to Safeguard Children 2023 chapter 3: \"rapid\", no national \
             limit; local default: the same or next working day, as many partnerships use — \
             spec §1.2 T4",
};

const T5: Rule = Rule {
    id: RuleId::T5Icpc,
    code: "T5",
    name: "Hold the initial child protection conference",
    start_event: "Strategy discussion at which section 47 enquiries were initiated (the last \
                  one, if there were several)",
    amount: 15,
    unit: Unit::WorkingDays,
    force: Force::StatutoryGuidance,
    source: "Working Together to Safeguard Children, statutory guidance, spec §1.2 T5 \
             (verified)",
};

const T6: Rule = Rule {
    id: RuleId::T6FirstCoreGroup,
    code: "T6",
    name: "Hold the first core group meeting",
    start_event: "Initial child protection conference",
    amount: 10,
    unit: Unit::WorkingDays,
    force: Force::StatutoryGuidance,
    source: "Working Together to Safeguard Children 2018, flow chart 5 (via local procedures; \
             secondary source), spec §1.2 T6",
};

const T7: Rule = Rule {
    id: RuleId::T7FirstReview,
    code: "T7",
    name: "Hold the first review child protection conference",
    start_event: "Initial child protection conference",
    amount: 3,
    unit: Unit::Months,
    force: Force::StatutoryGuidance,
    source: "Working Together to Safeguard Children, statutory guidance, spec §1.2 T7 \
             (verified)",
};

const T8: Rule = Rule {
    id: RuleId::T8LaterReview,
    code: "T8",
    name: "Hold the next review child protection conference, for as long as the plan continues",
    start_event: "Previous review child protection conference",
    amount: 6,
    unit: Unit::Months,
    force: Force::StatutoryGuidance,
    source: "Working Together to Safeguard Children, statutory guidance, spec §1.2 T8 \
             (verified)",
};

const T9: Rule = Rule {
    id: RuleId::T9TransferIn,
    code: "T9",
    name: "Hold a transfer-in conference for a child with a child protection plan who has moved \
           here permanently",
    start_event: "Notification that the child has moved into this local authority",
    amount: 15,
    unit: Unit::WorkingDays,
    force: Force::StatutoryGuidance,
    source: "Working Together to Safeguard Children 2018, \"Discontinuing the child protection \
             plan\" — unverified, see spec §1.2 T9",
};

const T10: Rule = Rule {
    id: RuleId::T10UnbornFirstReview,
    code: "T10",
    name: "Hold the first review child protection conference for an unborn child",
    start_event: "Pre-birth initial child protection conference",
    amount: 3,
    unit: Unit::Months,
    force: Force::LocalDefault,
    source: "No national rule; local practice: within 3 months, or within 10 (Tees) or 20 \
             (Liverpool) working days of the birth if sooner — spec §1.2 T10 and §9.5",
};

const T11: Rule = Rule {
    id: RuleId::T11PoliceProtection,
    code: "T11",
    name: "Police protection ends",
    start_event: "Child removed into police protection",
    amount: 72,
    unit: Unit::Hours,
    force: Force::Law,
    source: "Children Act 1989 s46(6) — unverified, see spec §1.2 T11",
};

const T12: Rule = Rule {
    id: RuleId::T12Epo,
    code: "T12",
    name: "Emergency protection order expires (one extension of up to 7 days is possible)",
    start_event: "Emergency protection order made",
    amount: 8,
    unit: Unit::CalendarDays,
    force: Force::Law,
    source: "Children Act 1989 s45 — unverified, see spec §1.2 T12",
};

const T13A: Rule = Rule {
    id: RuleId::T13LacFirstReview,
    code: "T13a",
    name: "Hold the first looked-after child review",
    start_event: "Child became looked after",
    amount: 20,
    unit: Unit::WorkingDays,
    force: Force::Law,
    source: "Care Planning, Placement and Case Review (England) Regulations 2010 reg 33 — \
             unverified, see spec §1.2 T13",
};

const T13B: Rule = Rule {
    id: RuleId::T13LacSecondReview,
    code: "T13b",
    name: "Hold the second looked-after child review",
    start_event: "First looked-after child review",
    amount: 3,
    unit: Unit::Months,
    force: Force::Law,
    source: "Care Planning, Placement and Case Review (England) Regulations 2010 reg 33 — \
             unverified, see spec §1.2 T13",
};

const T13C: Rule = Rule {
    id: RuleId::T13LacLaterReview,
    code: "T13c",
    name: "Hold the next looked-after child review",
    start_event: "Previous looked-after child review",
    amount: 6,
    unit: Unit::Months,
    force: Force::Law,
    source: "Care Planning, Placement and Case Review (England) Regulations 2010 reg 33 — \
             unverified, see spec §1.2 T13",
};

const T14: Rule = Rule {
    id: RuleId::T14FlagVisibleAfterEnd,
    code: "T14",
    name: "Keep a child protection or looked-after flag visible to unscheduled care after it ends",
    start_event: "Child protection plan or looked-after status ended",
    amount: 12,
    unit: Unit::Months,
    force: Force::LocalDefault,
    source: "No national rule found; local practice (London procedures): looked after or on a \
             plan \"now or within the previous 12 months\" — spec §6.1 \"Historic window\" and \
             §9.7 (not in the spec §1.2 table)",
};

const EH1: Rule = Rule {
    id: RuleId::EarlyHelpAssessment,
    code: "EH1",
    name: "Complete the early help assessment",
    start_event: "Early help episode started (lead practitioner appointed)",
    amount: 30,
    unit: Unit::WorkingDays,
    force: Force::LocalDefault,
    source: "Working Together to Safeguard Children 2023 chapter 2 (early help): no national \
             timescale; spec §1.2 has no row and §1.4 gives EARLY_HELP a local timer; local \
             default: 30 working days (six weeks), as many partnerships set",
};

const EH2: Rule = Rule {
    id: RuleId::EarlyHelpReview,
    code: "EH2",
    name: "Review the early help plan with the family",
    start_event: "Early help plan agreed, or its last review",
    amount: 42,
    unit: Unit::CalendarDays,
    force: Force::LocalDefault,
    source: "Working Together to Safeguard Children 2023 chapter 2 (early help): no national \
             timescale; spec §1.2 has no row and §1.4 gives EARLY_HELP a local timer; local \
             default: every 6 weeks, as many partnerships' team-around-the-family reviews run",
};

/// Every statutory timescale, in the order of the spec's table (T1 to T13), then the CP-IS
/// window (T14, spec §6.1), then the local early help rules (EH1, EH2), which the spec leaves
/// to each partnership.
pub const RULES: &[Rule] = &[
    T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13A, T13B, T13C, T14, EH1, EH2,
];

/// The rule with this id.
pub fn rule(id: RuleId) -> &'static Rule {
    match id {
        RuleId::T1ReferralDecision => &T1,
        RuleId::T2ReferrerFeedback => &T2,
        RuleId::T3Assessment => &T3,
        RuleId::T4StrategyDiscussion => &T4,
        RuleId::T5Icpc => &T5,
        RuleId::T6FirstCoreGroup => &T6,
        RuleId::T7FirstReview => &T7,
        RuleId::T8LaterReview => &T8,
        RuleId::T9TransferIn => &T9,
        RuleId::T10UnbornFirstReview => &T10,
        RuleId::T11PoliceProtection => &T11,
        RuleId::T12Epo => &T12,
        RuleId::T13LacFirstReview => &T13A,
        RuleId::T13LacSecondReview => &T13B,
        RuleId::T13LacLaterReview => &T13C,
        RuleId::T14FlagVisibleAfterEnd => &T14,
        RuleId::EarlyHelpAssessment => &EH1,
        RuleId::EarlyHelpReview => &EH2,
    }
}

/// The last date on which the step is still within the timescale, counting from the date of
/// the start event (day 0).
///
/// - Working days: [`Calendar::add_working_days`], so a start on a weekend or bank holiday counts
///   from that day and the result is always a working day.
/// - Calendar days: the start date plus that many days.
/// - Months: calendar-month arithmetic, clamped to the end of a shorter month (a review 3 months
///   after 30 November is due by 28 February, or 29 in a leap year).
/// - Hours: deadlines here are dates, not instants, so `ceil(hours / 24)` calendar days are added
///   (72 hours from any time on 1 June gives 4 June). A precise expiry instant, such as the end
///   of police protection, must be worked out from the start time, not from this date.
///
/// Dates past 9999-12-31 saturate there.
///
/// ```
/// use jiff::civil::date;
/// use safeguard_domain::calendar::Calendar;
/// use safeguard_domain::timescales::{RuleId, due_date, rule};
///
/// let cal = Calendar::england_and_wales();
/// // An initial conference 3 months ago is reviewed by the same day 3 months on.
/// assert_eq!(due_date(rule(RuleId::T7FirstReview), date(2025, 1, 15), &cal), date(2025, 4, 15));
/// ```
pub fn due_date(rule: &Rule, start: Date, cal: &Calendar) -> Date {
    match rule.unit {
        Unit::WorkingDays => cal.add_working_days(start, rule.amount),
        Unit::CalendarDays => start.saturating_add(i64::from(rule.amount).days()),
        Unit::Months => start.saturating_add(i64::from(rule.amount).months()),
        Unit::Hours => start.saturating_add(i64::from(rule.amount.div_ceil(24)).days()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use rstest::rstest;
    use std::collections::HashSet;

    #[rstest]
    // 2025-12-01 (Mon) + 45 WD, skipping 25 and 26 December and 1 January.
    #[case::t3_over_christmas(RuleId::T3Assessment, date(2025, 12, 1), date(2026, 2, 5))]
    #[case::t1_friday(RuleId::T1ReferralDecision, date(2025, 6, 6), date(2025, 6, 9))]
    #[case::t1_saturday(RuleId::T1ReferralDecision, date(2025, 6, 7), date(2025, 6, 9))]
    #[case::t2_same_day(RuleId::T2ReferrerFeedback, date(2025, 6, 6), date(2025, 6, 6))]
    #[case::t4_next_working_day(
        RuleId::T4StrategyDiscussion,
        date(2025, 12, 24),
        date(2025, 12, 29)
    )]
    #[case::t10(RuleId::T10UnbornFirstReview, date(2025, 11, 30), date(2026, 2, 28))]
    // 2023-04-28 (Fri) + 15 WD, skipping 1 May and the Coronation (8 May).
    #[case::t5_may_2023(RuleId::T5Icpc, date(2023, 4, 28), date(2023, 5, 23))]
    #[case::t6(RuleId::T6FirstCoreGroup, date(2025, 6, 9), date(2025, 6, 23))]
    #[case::t7(RuleId::T7FirstReview, date(2025, 1, 15), date(2025, 4, 15))]
    #[case::t7_clamped(RuleId::T7FirstReview, date(2025, 11, 30), date(2026, 2, 28))]
    #[case::t7_leap_year(RuleId::T7FirstReview, date(2023, 11, 30), date(2024, 2, 29))]
    #[case::t8(RuleId::T8LaterReview, date(2025, 8, 31), date(2026, 2, 28))]
    #[case::t9(RuleId::T9TransferIn, date(2025, 6, 9), date(2025, 6, 30))]
    #[case::t11_hours(RuleId::T11PoliceProtection, date(2025, 6, 1), date(2025, 6, 4))]
    #[case::t12_days(RuleId::T12Epo, date(2025, 12, 24), date(2026, 1, 1))]
    #[case::t13a(RuleId::T13LacFirstReview, date(2025, 6, 9), date(2025, 7, 7))]
    #[case::t13b(RuleId::T13LacSecondReview, date(2025, 5, 31), date(2025, 8, 31))]
    #[case::t13c(RuleId::T13LacLaterReview, date(2025, 5, 31), date(2025, 11, 30))]
    #[case::t14(RuleId::T14FlagVisibleAfterEnd, date(2025, 2, 28), date(2026, 2, 28))]
    // 2025-12-01 + 30 WD skipping 25, 26 December and 1 January.
    #[case::eh1(RuleId::EarlyHelpAssessment, date(2025, 12, 1), date(2026, 1, 15))]
    #[case::eh2(RuleId::EarlyHelpReview, date(2026, 1, 30), date(2026, 3, 13))]
    fn due_dates(#[case] id: RuleId, #[case] start: Date, #[case] expected: Date) {
        let cal = Calendar::england_and_wales();
        assert_eq!(due_date(rule(id), start, &cal), expected);
    }

    #[test]
    fn t3_is_45_working_days_and_t7_is_3_months() {
        assert_eq!(
            (
                rule(RuleId::T3Assessment).amount,
                rule(RuleId::T3Assessment).unit
            ),
            (45, Unit::WorkingDays)
        );
        assert_eq!(
            (
                rule(RuleId::T7FirstReview).amount,
                rule(RuleId::T7FirstReview).unit
            ),
            (3, Unit::Months)
        );
    }

    #[test]
    fn every_id_has_its_own_rule_in_the_table() {
        for id in RuleId::ALL {
            assert_eq!(rule(id).id, id);
            assert!(RULES.contains(rule(id)), "{id:?} is missing from RULES");
        }
        assert_eq!(RULES.len(), RuleId::ALL.len());
        let ids: HashSet<RuleId> = RULES.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), RULES.len(), "an id appears twice in RULES");
    }

    #[test]
    fn the_table_runs_t1_to_t14_in_order() {
        let numbers: Vec<u32> = RULES
            .iter()
            .filter(|r| r.code.starts_with('T'))
            .map(|r| {
                r.code
                    .trim_start_matches('T')
                    .trim_end_matches(char::is_alphabetic)
                    .parse()
                    .unwrap()
            })
            .collect();
        let mut distinct = numbers.clone();
        distinct.dedup();
        assert_eq!(distinct, (1..=14).collect::<Vec<u32>>());
        assert!(numbers.is_sorted());
        // The local early help rules follow the statutory table.
        let local: Vec<&str> = RULES
            .iter()
            .skip_while(|r| r.code.starts_with('T'))
            .map(|r| r.code)
            .collect();
        assert_eq!(local, ["EH1", "EH2"]);
    }

    #[rstest]
    #[case::statute(RuleId::T11PoliceProtection, Force::Law)]
    #[case::regulations(RuleId::T13LacFirstReview, Force::Law)]
    #[case::guidance(RuleId::T5Icpc, Force::StatutoryGuidance)]
    #[case::feedback_is_local(RuleId::T2ReferrerFeedback, Force::LocalDefault)]
    #[case::strategy_is_local(RuleId::T4StrategyDiscussion, Force::LocalDefault)]
    #[case::unborn_is_local(RuleId::T10UnbornFirstReview, Force::LocalDefault)]
    #[case::early_help_is_local(RuleId::EarlyHelpReview, Force::LocalDefault)]
    fn each_rule_says_how_binding_it_is(#[case] id: RuleId, #[case] force: Force) {
        assert_eq!(rule(id).force, force);
        if force == Force::LocalDefault {
            assert!(
                rule(id).source.contains("local"),
                "{}: {}",
                rule(id).code,
                rule(id).source
            );
        }
    }

    #[test]
    fn codes_are_unique() {
        let codes: HashSet<&str> = RULES.iter().map(|r| r.code).collect();
        assert_eq!(codes.len(), RULES.len());
    }

    #[test]
    fn every_rule_cites_the_spec_and_flags_unverified_sources() {
        for r in RULES {
            // T1 to T13 come from the spec's master table; T14 from its CP-IS section.
            assert!(
                r.source.contains("spec §1.2") || r.source.contains("spec §6.1"),
                "{}: {}",
                r.code,
                r.source
            );
            assert!(
                r.amount > 0 || r.force == Force::LocalDefault,
                "{}: only a local default may be zero",
                r.code
            );
            assert!(
                !r.name.is_empty() && !r.start_event.is_empty(),
                "{}",
                r.code
            );
        }
        for id in [
            RuleId::T9TransferIn,
            RuleId::T11PoliceProtection,
            RuleId::T12Epo,
            RuleId::T13LacFirstReview,
        ] {
            assert!(rule(id).source.contains("unverified"), "{id:?}");
        }
    }

    #[test]
    fn rule_ids_serialise_by_name() {
        assert_eq!(
            serde_json::to_string(&RuleId::T5Icpc).unwrap(),
            "\"T5Icpc\""
        );
        let back: RuleId = serde_json::from_str("\"T13LacLaterReview\"").unwrap();
        assert_eq!(back, RuleId::T13LacLaterReview);
    }
}
