//! The clocks of the statutory journey: when each step is due, as pure functions of civil dates
//! (and, for police protection, of the instant the child was removed).
//!
//! Every figure comes from the one table, [`crate::timescales::RULES`], through
//! [`crate::timescales::due_date`]; nothing here writes "15 working days" twice. Working days
//! are counted on the England and Wales [`Calendar`], the same calendar the DfE CIN census
//! validator counts with (spec §1.2, "Working-day rule"): the day of the start event is day 0,
//! and a step is in time when it happens on or before the due date.
//!
//! Due dates in months (T7, T8, T10, T13) are the statutory calendar date and may fall on a
//! weekend; a conference then has to be held by the working day before.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan};

use crate::calendar::Calendar;
use crate::coded::coded_enum;
use crate::timescales::{RuleId, due_date, rule};

/// When a step that starts on `start` is due under rule `id`.
pub fn due(id: RuleId, start: Date, cal: &Calendar) -> Date {
    due_date(rule(id), start, cal)
}

/// T1: the front door decides, and acknowledges the referral, within 1 working day of receipt
/// (WT, statutory guidance; spec §1.2 T1). A referral received on a weekend or bank holiday is
/// due on the second working day after it (it counts from the day received).
pub fn referral_decision_due(received_on: Date, cal: &Calendar) -> Date {
    due(RuleId::T1ReferralDecision, received_on, cal)
}

/// T2: the referrer is told the decision and its reasons. No national limit (spec §1.2 T2);
/// the local default is the day of the decision.
pub fn referrer_feedback_due(decided_on: Date, cal: &Calendar) -> Date {
    due(RuleId::T2ReferrerFeedback, decided_on, cal)
}

/// T3: the child and family assessment is completed within 45 working days of the point of
/// referral — the referral date, not the day the assessment started (WT, statutory guidance;
/// spec §1.2 T3; CIN query 8670Q). Late completion needs a recorded reason.
pub fn assessment_due(referral_on: Date, cal: &Calendar) -> Date {
    due(RuleId::T3Assessment, referral_on, cal)
}

/// T4: a strategy discussion is held "rapidly" once there is reasonable cause to suspect
/// significant harm; no national limit, local default the next working day (spec §1.2 T4).
pub fn strategy_discussion_due(cause_identified_on: Date, cal: &Calendar) -> Date {
    due(RuleId::T4StrategyDiscussion, cause_identified_on, cal)
}

/// T5: the initial child protection conference is held within 15 working days of the strategy
/// discussion at which section 47 enquiries were initiated — the last one, if there were
/// several (WT, statutory guidance; spec §1.2 T5; the CIN census `InitialCPCtarget`).
///
/// `s47_discussions` are the dates of every strategy discussion that initiated section 47
/// enquiries, in any order; `None` when there are none.
pub fn icpc_target(
    s47_discussions: impl IntoIterator<Item = Date>,
    cal: &Calendar,
) -> Option<Date> {
    s47_discussions
        .into_iter()
        .max()
        .map(|last| due(RuleId::T5Icpc, last, cal))
}

/// T6: the first core group meets within 10 working days of the initial conference (WT18 flow
/// chart 5; spec §1.2 T6).
pub fn first_core_group_due(icpc_on: Date, cal: &Calendar) -> Date {
    due(RuleId::T6FirstCoreGroup, icpc_on, cal)
}

/// T7: the first review conference is held within 3 months of the initial conference (WT,
/// statutory guidance; spec §1.2 T7).
pub fn first_review_due(icpc_on: Date, cal: &Calendar) -> Date {
    due(RuleId::T7FirstReview, icpc_on, cal)
}

/// T8: each later review conference is held within 6 months of the previous one, for as long as
/// the plan continues (WT, statutory guidance; spec §1.2 T8).
pub fn next_review_due(previous_review_on: Date, cal: &Calendar) -> Date {
    due(RuleId::T8LaterReview, previous_review_on, cal)
}

/// The next review conference of a child protection plan: T7 from the initial conference while
/// there has been no review, otherwise T8 from the latest review (`reviews` in any order).
pub fn review_conference_due(
    icpc_on: Date,
    reviews: impl IntoIterator<Item = Date>,
    cal: &Calendar,
) -> Date {
    match reviews.into_iter().max() {
        None => first_review_due(icpc_on, cal),
        Some(last) => next_review_due(last, cal),
    }
}

/// T10: the first review conference for a child whose plan was made before birth. The table's
/// local default is 3 months from the pre-birth conference; some partnerships also require it
/// within a number of working days of the birth, whichever is sooner (Tees 10, Liverpool 20;
/// spec §1.2 T10 and §9.5). Pass that number from local configuration, or `None`.
pub fn unborn_first_review_due(
    icpc_on: Date,
    born_on: Option<Date>,
    after_birth_working_days: Option<u32>,
    cal: &Calendar,
) -> Date {
    let from_conference = due(RuleId::T10UnbornFirstReview, icpc_on, cal);
    match (born_on, after_birth_working_days) {
        (Some(born), Some(n)) => from_conference.min(cal.add_working_days(born, n)),
        _ => from_conference,
    }
}

/// T9: a transfer-in conference is held within 15 working days of the notification that a child
/// with a child protection plan has moved here permanently (WT18 "Discontinuing the child
/// protection plan"; spec §1.2 T9, unverified).
pub fn transfer_in_conference_due(notified_on: Date, cal: &Calendar) -> Date {
    due(RuleId::T9TransferIn, notified_on, cal)
}

/// T11: the exact instant police protection ends, 72 hours after the child was removed
/// (Children Act 1989 s46(6); spec §1.2 T11). An instant, not a date: 72 hours from 14:00 on
/// Friday is 14:00 on Monday, and crossing a clock change does not move it.
pub fn police_protection_ends(removed_at: Timestamp) -> Timestamp {
    let hours = i64::from(rule(RuleId::T11PoliceProtection).amount);
    removed_at
        .checked_add(SignedDuration::from_hours(hours))
        .unwrap_or(Timestamp::MAX)
}

/// T11 as a date, for lists of work: the day police protection has ended by at the latest.
pub fn police_protection_end_date(removed_on: Date, cal: &Calendar) -> Date {
    due(RuleId::T11PoliceProtection, removed_on, cal)
}

/// T12: the last day an emergency protection order has effect, 8 days from the day it was made
/// (Children Act 1989 s45(1); spec §1.2 T12).
pub fn epo_ends(made_on: Date, cal: &Calendar) -> Date {
    due(RuleId::T12Epo, made_on, cal)
}

/// T12 as an instant: an emergency protection order made at `made_at` has effect for at most 8
/// days (Children Act 1989 s45(1); spec §1.2 T12), so it ends at the same time of day 8 days on,
/// in England's local time.
pub fn epo_ends_at(made_at: Timestamp) -> Timestamp {
    let days = i64::from(rule(RuleId::T12Epo).amount);
    made_at
        .to_zoned(crate::clock::london())
        .checked_add(days.days())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::MAX)
}

/// The court may extend an emergency protection order once, by up to this many days (Children
/// Act 1989 s45(4)–(6); spec §1.2 T12).
pub const EPO_EXTENSION_DAYS: i64 = 7;

/// T12 with its one extension: the latest day an extended emergency protection order can last.
pub fn epo_extended_ends(made_on: Date, cal: &Calendar) -> Date {
    epo_ends(made_on, cal).saturating_add(EPO_EXTENSION_DAYS.days())
}

/// T13: the first review of a looked-after child within 20 working days of becoming looked after
/// (Care Planning, Placement and Case Review (England) Regulations 2010 reg 33; spec §1.2 T13).
pub fn lac_first_review_due(looked_after_on: Date, cal: &Calendar) -> Date {
    due(RuleId::T13LacFirstReview, looked_after_on, cal)
}

/// T13: the second review within 3 months of the first.
pub fn lac_second_review_due(first_review_on: Date, cal: &Calendar) -> Date {
    due(RuleId::T13LacSecondReview, first_review_on, cal)
}

/// T13: each later review within 6 months of the previous one.
pub fn lac_later_review_due(previous_review_on: Date, cal: &Calendar) -> Date {
    due(RuleId::T13LacLaterReview, previous_review_on, cal)
}

/// The next review of a looked-after child, from the reviews held so far (any order): 20
/// working days from becoming looked after, then 3 months, then every 6 months (T13).
pub fn lac_review_due(
    looked_after_on: Date,
    reviews: impl IntoIterator<Item = Date>,
    cal: &Calendar,
) -> Date {
    let mut reviews: Vec<Date> = reviews.into_iter().collect();
    reviews.sort_unstable();
    match reviews.as_slice() {
        [] => lac_first_review_due(looked_after_on, cal),
        [first] => lac_second_review_due(*first, cal),
        [.., last] => lac_later_review_due(*last, cal),
    }
}

/// Whether a child protection conference may be held on `date`: a working day, never a weekend
/// (CIN census rule 8875, and query 8870Q for the target date) nor a bank holiday (the T5 clock
/// counts working days on the same calendar, spec §1.2 "Working-day rule").
pub fn is_conference_date_valid(date: Date, cal: &Calendar) -> bool {
    cal.is_working_day(date)
}

coded_enum! {
    /// Where a clock stands on a given day, for lists of work ("Your work": due today,
    /// overdue).
    ClockStatus, "clock status" {
        /// Not yet due.
        Upcoming => "upcoming", "Upcoming";
        /// Due today.
        DueToday => "due_today", "Due today";
        /// Past its due date and not done.
        Overdue => "overdue", "Overdue";
        /// Done on or before its due date.
        Met => "met", "Done in time";
        /// Done after its due date (the reason must be recorded).
        MetLate => "met_late", "Done late";
    }
}

/// The status of a step due on `due` as of `today`, done on `done_on` if it has been.
pub fn clock_status(due: Date, today: Date, done_on: Option<Date>) -> ClockStatus {
    match done_on {
        Some(done) if done <= due => ClockStatus::Met,
        Some(_) => ClockStatus::MetLate,
        None if today < due => ClockStatus::Upcoming,
        None if today == due => ClockStatus::DueToday,
        None => ClockStatus::Overdue,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{Weekday, date};
    use proptest::prelude::*;
    use rstest::rstest;
    use std::collections::BTreeSet;

    fn cal() -> Calendar {
        Calendar::england_and_wales()
    }

    /// The embedded bank holidays, read from the CSV here with no help from [`Calendar`], so
    /// the working-day counts below check the calendar rather than repeat it.
    fn holidays_from_data() -> BTreeSet<Date> {
        include_str!("../data/bank-holidays-england-and-wales.csv")
            .lines()
            .skip(1)
            .filter_map(|line| line.split(',').next())
            .filter(|d| !d.is_empty())
            .map(|d| d.parse().unwrap())
            .collect()
    }

    /// The n-th working day after `start`, walking one day at a time.
    fn nth_working_day_after(start: Date, n: u32) -> Date {
        let holidays = holidays_from_data();
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d = d.tomorrow().unwrap();
            let weekend = matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday);
            if !weekend && !holidays.contains(&d) {
                left -= 1;
            }
        }
        d
    }

    #[test]
    fn a_referral_on_christmas_eve_2025_is_decided_by_monday_29_december() {
        let received = date(2025, 12, 24);
        let due = referral_decision_due(received, &cal());
        assert_eq!(due, nth_working_day_after(received, 1));
        assert_eq!(due, date(2025, 12, 29));
        assert_eq!(due.weekday(), Weekday::Monday);
        // Christmas Day and Boxing Day are in the data, so they are what pushes it to Monday.
        let holidays = holidays_from_data();
        assert!(holidays.contains(&date(2025, 12, 25)) && holidays.contains(&date(2025, 12, 26)));
    }

    #[test]
    fn an_s47_strategy_discussion_on_19_december_2025_sets_an_icpc_target_of_14_january_2026() {
        let discussion = date(2025, 12, 19);
        let target = icpc_target([discussion], &cal()).unwrap();
        assert_eq!(target, nth_working_day_after(discussion, 15));
        assert_eq!(target, date(2026, 1, 14));
        assert_eq!(target.weekday(), Weekday::Wednesday);
        assert!(holidays_from_data().contains(&date(2026, 1, 1)));
        assert!(is_conference_date_valid(target, &cal()));
    }

    #[test]
    fn the_icpc_target_runs_from_the_last_s47_discussion() {
        let first = date(2025, 12, 1);
        let last = date(2025, 12, 19);
        assert_eq!(
            icpc_target([last, first], &cal()),
            Some(nth_working_day_after(last, 15))
        );
        assert_eq!(icpc_target([], &cal()), None);
    }

    /// Each working-day clock against the independent day-by-day count, across bank holidays.
    #[rstest]
    #[case::t1_good_friday_eve(RuleId::T1ReferralDecision, date(2026, 4, 2), 1)]
    #[case::t1_saturday(RuleId::T1ReferralDecision, date(2026, 5, 2), 1)]
    #[case::t3_over_christmas(RuleId::T3Assessment, date(2025, 11, 20), 45)]
    #[case::t3_over_easter(RuleId::T3Assessment, date(2026, 3, 16), 45)]
    #[case::t4_before_may_day(RuleId::T4StrategyDiscussion, date(2026, 5, 1), 1)]
    #[case::t5_over_easter(RuleId::T5Icpc, date(2026, 3, 27), 15)]
    #[case::t6_over_new_year(RuleId::T6FirstCoreGroup, date(2025, 12, 22), 10)]
    #[case::t9_over_spring_bank_holiday(RuleId::T9TransferIn, date(2026, 5, 20), 15)]
    #[case::t13a_over_august_bank_holiday(RuleId::T13LacFirstReview, date(2026, 8, 17), 20)]
    fn working_day_clocks_match_a_count_of_the_data(
        #[case] id: RuleId,
        #[case] start: Date,
        #[case] n: u32,
    ) {
        assert_eq!(rule(id).amount, n, "{id:?}");
        let expected = nth_working_day_after(start, n);
        let got = match id {
            RuleId::T1ReferralDecision => referral_decision_due(start, &cal()),
            RuleId::T3Assessment => assessment_due(start, &cal()),
            RuleId::T4StrategyDiscussion => strategy_discussion_due(start, &cal()),
            RuleId::T5Icpc => icpc_target([start], &cal()).unwrap(),
            RuleId::T6FirstCoreGroup => first_core_group_due(start, &cal()),
            RuleId::T9TransferIn => transfer_in_conference_due(start, &cal()),
            RuleId::T13LacFirstReview => lac_first_review_due(start, &cal()),
            other => panic!("{other:?} is not a working-day clock"),
        };
        assert_eq!(got, expected, "{id:?} from {start}");
        // A bank holiday lies in each window, so weekends alone would give an earlier date.
        assert!(Calendar::weekends_only().add_working_days(start, n) < got);
    }

    #[rstest]
    #[case::t7(date(2026, 1, 14), date(2026, 4, 14))]
    #[case::t7_end_of_month(date(2025, 11, 30), date(2026, 2, 28))]
    #[case::t7_leap_year(date(2027, 11, 30), date(2028, 2, 29))]
    fn first_review_is_three_calendar_months_on(#[case] icpc: Date, #[case] expected: Date) {
        assert_eq!(first_review_due(icpc, &cal()), expected);
        assert_eq!(icpc.saturating_add(3.months()), expected);
    }

    #[test]
    fn reviews_run_t7_then_t8_from_the_latest() {
        let icpc = date(2026, 1, 14);
        assert_eq!(review_conference_due(icpc, [], &cal()), date(2026, 4, 14));
        assert_eq!(
            review_conference_due(icpc, [date(2026, 4, 10)], &cal()),
            date(2026, 10, 10)
        );
        assert_eq!(
            review_conference_due(icpc, [date(2026, 10, 9), date(2026, 4, 10)], &cal()),
            date(2027, 4, 9)
        );
        assert_eq!(
            next_review_due(date(2026, 8, 31), &cal()),
            date(2027, 2, 28)
        );
    }

    #[test]
    fn looked_after_reviews_run_20_working_days_then_3_months_then_6_months() {
        let start = date(2025, 12, 15);
        let first = lac_review_due(start, [], &cal());
        assert_eq!(first, nth_working_day_after(start, 20));
        assert_eq!(
            lac_review_due(start, [date(2026, 1, 12)], &cal()),
            date(2026, 4, 12)
        );
        assert_eq!(
            lac_review_due(start, [date(2026, 4, 8), date(2026, 1, 12)], &cal()),
            date(2026, 10, 8)
        );
        assert_eq!(
            lac_second_review_due(date(2026, 1, 12), &cal()),
            date(2026, 4, 12)
        );
        assert_eq!(
            lac_later_review_due(date(2026, 4, 8), &cal()),
            date(2026, 10, 8)
        );
    }

    #[test]
    fn unborn_review_is_three_months_or_sooner_after_birth_locally() {
        let icpc = date(2026, 1, 14);
        assert_eq!(
            unborn_first_review_due(icpc, None, Some(10), &cal()),
            date(2026, 4, 14)
        );
        // Born on 2 February: 10 working days after the birth comes before 14 April.
        let born = date(2026, 2, 2);
        assert_eq!(
            unborn_first_review_due(icpc, Some(born), Some(10), &cal()),
            nth_working_day_after(born, 10)
        );
        assert_eq!(
            unborn_first_review_due(icpc, Some(born), None, &cal()),
            date(2026, 4, 14)
        );
        // Born late: the 3 months from the conference come first.
        assert_eq!(
            unborn_first_review_due(icpc, Some(date(2026, 4, 10)), Some(20), &cal()),
            date(2026, 4, 14)
        );
    }

    #[test]
    fn police_protection_ends_72_hours_later_to_the_minute() {
        let removed: Timestamp = "2026-03-27T14:30:00Z".parse().unwrap();
        // Across the clock change of Sunday 29 March 2026: still 72 elapsed hours.
        let ends = police_protection_ends(removed);
        assert_eq!(ends, "2026-03-30T14:30:00Z".parse::<Timestamp>().unwrap());
        assert_eq!(ends.duration_since(removed), SignedDuration::from_hours(72));
        assert_eq!(
            police_protection_end_date(date(2026, 3, 27), &cal()),
            date(2026, 3, 30)
        );
        assert_eq!(police_protection_ends(Timestamp::MAX), Timestamp::MAX);
    }

    #[test]
    fn an_epo_lasts_8_days_and_can_be_extended_once_by_7() {
        let made = date(2025, 12, 24);
        assert_eq!(epo_ends(made, &cal()), date(2026, 1, 1));
        assert_eq!(epo_extended_ends(made, &cal()), date(2026, 1, 8));
    }

    #[rstest]
    #[case::ordinary_wednesday(date(2026, 1, 14), true)]
    #[case::saturday(date(2026, 1, 17), false)]
    #[case::sunday(date(2026, 1, 18), false)]
    #[case::new_years_day(date(2026, 1, 1), false)]
    #[case::good_friday(date(2026, 4, 3), false)]
    #[case::christmas_eve_is_a_working_day(date(2025, 12, 24), true)]
    fn conferences_are_on_working_days(#[case] d: Date, #[case] valid: bool) {
        assert_eq!(is_conference_date_valid(d, &cal()), valid);
    }

    #[rstest]
    #[case::upcoming(date(2026, 1, 13), None, ClockStatus::Upcoming)]
    #[case::due_today(date(2026, 1, 14), None, ClockStatus::DueToday)]
    #[case::overdue(date(2026, 1, 15), None, ClockStatus::Overdue)]
    #[case::met_early(date(2026, 1, 20), Some(date(2026, 1, 10)), ClockStatus::Met)]
    #[case::met_on_the_day(date(2026, 1, 20), Some(date(2026, 1, 14)), ClockStatus::Met)]
    #[case::met_late(date(2026, 1, 20), Some(date(2026, 1, 15)), ClockStatus::MetLate)]
    fn clock_status_on_a_day(
        #[case] today: Date,
        #[case] done: Option<Date>,
        #[case] expected: ClockStatus,
    ) {
        assert_eq!(clock_status(date(2026, 1, 14), today, done), expected);
    }

    #[test]
    fn the_referrer_hears_on_the_day_of_the_decision() {
        let decided = date(2026, 2, 2);
        assert_eq!(referrer_feedback_due(decided, &cal()), decided);
    }

    fn any_date() -> impl Strategy<Value = Date> {
        // 2012-01-01 ..= 2030-11-30, so 15 working days stay inside the embedded data.
        (0i64..6908).prop_map(|offset| date(2012, 1, 1).saturating_add(offset.days()))
    }

    proptest! {
        /// Working-day deadlines never fall on a weekend or bank holiday, and T5's target is
        /// always a valid conference date.
        #[test]
        fn working_day_deadlines_are_working_days(start in any_date()) {
            let cal = cal();
            for d in [
                referral_decision_due(start, &cal),
                assessment_due(start, &cal),
                strategy_discussion_due(start, &cal),
                first_core_group_due(start, &cal),
                transfer_in_conference_due(start, &cal),
                lac_first_review_due(start, &cal),
            ] {
                prop_assert!(cal.is_working_day(d), "{start} -> {d}");
                prop_assert!(d > start);
            }
            let target = icpc_target([start], &cal).unwrap();
            prop_assert!(is_conference_date_valid(target, &cal));
            prop_assert_eq!(cal.working_days_between(start, target), 15);
        }

        /// The ICPC target depends only on the latest s47 discussion.
        #[test]
        fn icpc_target_uses_the_latest(a in any_date(), b in any_date()) {
            let cal = cal();
            prop_assert_eq!(icpc_target([a, b], &cal), icpc_target([a.max(b)], &cal));
        }

        /// A plan's reviews are never later than 3 months, then 6 months, apart.
        #[test]
        fn reviews_are_at_most_six_months_apart(icpc in any_date(), gap in 1i64..180) {
            let cal = cal();
            let first = first_review_due(icpc, &cal);
            prop_assert!(first <= icpc.saturating_add(3.months()));
            let held = first.saturating_sub(gap.days()).max(icpc);
            let next = review_conference_due(icpc, [held], &cal);
            prop_assert_eq!(next, held.saturating_add(6.months()));
        }
    }
}
