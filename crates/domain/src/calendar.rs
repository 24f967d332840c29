//! The working-day calendar for England and Wales: which dates are working days, and how to count
//! them, for the statutory timescales that are set in working days.
//!
//! A working day is Monday to Friday and not an England and Wales bank holiday, the same calendar
//! the DfE Children in Need census validator counts with (spec §1.2, "Working-day rule"). The
//! holidays ship embedded from `data/bank-holidays-england-and-wales.csv` (see
//! `data/README.md`) and can be replaced by importing the GOV.UK feed.
//!
//! Counting convention: the day an event happens is day 0, and "within n working days" means on
//! or before the n-th working day after it. So a referral received on Friday has its one-working-
//! day decision due on Monday, and a referral received on Saturday also has it due on Monday.

use std::collections::BTreeSet;
use std::ops::Bound;

use jiff::civil::{Date, Weekday};
use serde::Deserialize;

/// The embedded England and Wales bank holidays, 2012 to 2030.
const EMBEDDED: &str = include_str!("../data/bank-holidays-england-and-wales.csv");

/// A set of bank holidays, plus the rule that Saturdays and Sundays are never working days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    holidays: BTreeSet<Date>,
}

/// Why a bank-holiday file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The CSV header has no `date` column.
    #[error(
        "The bank holiday file has no \"date\" column. Its first line must name the columns, \
         for example: date,title"
    )]
    MissingDateColumn,
    /// A CSV line could not be read at all.
    #[error(
        "Line {line} of the bank holiday file could not be read ({reason}). Check the file is \
         comma-separated text"
    )]
    BadCsv {
        /// The line number in the file, counting from 1.
        line: u64,
        /// What the CSV reader reported.
        reason: String,
    },
    /// A value in the `date` column is not a YYYY-MM-DD date.
    #[error(
        "Line {line} of the bank holiday file has \"{value}\" in the date column, which is not a \
         date. Write dates as YYYY-MM-DD, like 2025-12-25"
    )]
    BadDate {
        /// The line number in the file, counting from 1.
        line: u64,
        /// The value found (cut short if long).
        value: String,
    },
    /// The text is not JSON in the GOV.UK shape.
    #[error(
        "The bank holiday file is not in the GOV.UK format ({reason}). Download it again from \
         https://www.gov.uk/bank-holidays.json"
    )]
    BadJson {
        /// What the JSON reader reported.
        reason: String,
    },
    /// The GOV.UK JSON has no England and Wales section.
    #[error(
        "The bank holiday file has no \"england-and-wales\" section. Download the full file \
         from https://www.gov.uk/bank-holidays.json"
    )]
    MissingDivision,
    /// An event in the GOV.UK JSON has a date that is not YYYY-MM-DD.
    #[error(
        "Bank holiday number {number} in the \"england-and-wales\" section has the date \
         \"{value}\", which is not a YYYY-MM-DD date. Download the file again from \
         https://www.gov.uk/bank-holidays.json"
    )]
    BadJsonDate {
        /// The event's position in the list, counting from 1.
        number: usize,
        /// The value found (cut short if long).
        value: String,
    },
    /// The file parsed but listed no holidays.
    #[error(
        "No bank holidays found in the file. Use the GOV.UK file from \
         https://www.gov.uk/bank-holidays.json, or a CSV with a \"date\" column"
    )]
    NoHolidays,
}

/// The parts of the GOV.UK feed we read; other fields are ignored.
#[derive(Deserialize)]
struct GovUkFeed {
    #[serde(rename = "england-and-wales")]
    england_and_wales: Option<GovUkDivision>,
}

#[derive(Deserialize)]
struct GovUkDivision {
    events: Vec<GovUkEvent>,
}

#[derive(Deserialize)]
struct GovUkEvent {
    date: String,
}

impl Calendar {
    /// England and Wales, from the holidays embedded in the binary (2012 to 2030).
    ///
    /// The embedded file is checked by a test, so the fallback to [`Calendar::weekends_only`]
    /// cannot happen in a released build; it exists only so this function never panics.
    pub fn england_and_wales() -> Calendar {
        Calendar::from_csv(EMBEDDED).unwrap_or_else(|_| Calendar::weekends_only())
    }

    /// A calendar with exactly these holidays.
    pub fn from_holidays(holidays: impl IntoIterator<Item = Date>) -> Calendar {
        Calendar {
            holidays: holidays.into_iter().collect(),
        }
    }

    /// A calendar with no bank holidays: every weekday is a working day.
    pub fn weekends_only() -> Calendar {
        Calendar {
            holidays: BTreeSet::new(),
        }
    }

    /// Reads holidays from CSV text whose header has a `date` column (any case; other columns
    /// are ignored) holding YYYY-MM-DD dates, like the embedded file.
    pub fn from_csv(text: &str) -> Result<Calendar, CalendarError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers = reader.headers().map_err(|e| csv_error(&e))?;
        let column = headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case("date"))
            .ok_or(CalendarError::MissingDateColumn)?;
        let mut holidays = BTreeSet::new();
        for record in reader.records() {
            let record = record.map_err(|e| csv_error(&e))?;
            let line = record.position().map_or(0, csv::Position::line);
            let value = record.get(column).unwrap_or("");
            let date = parse_iso_date(value).ok_or_else(|| CalendarError::BadDate {
                line,
                value: shorten(value),
            })?;
            holidays.insert(date);
        }
        non_empty(holidays)
    }

    /// Reads the GOV.UK bank holidays feed (<https://www.gov.uk/bank-holidays.json>), using only
    /// its `england-and-wales` division.
    pub fn from_govuk_json(text: &str) -> Result<Calendar, CalendarError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let feed: GovUkFeed = serde_json::from_str(text).map_err(|e| CalendarError::BadJson {
            reason: e.to_string(),
        })?;
        let division = feed
            .england_and_wales
            .ok_or(CalendarError::MissingDivision)?;
        let mut holidays = BTreeSet::new();
        for (i, event) in division.events.iter().enumerate() {
            let date = parse_iso_date(&event.date).ok_or_else(|| CalendarError::BadJsonDate {
                number: i + 1,
                value: shorten(&event.date),
            })?;
            holidays.insert(date);
        }
        non_empty(holidays)
    }

    /// Reads either format: the GOV.UK JSON if the first non-space character is `{`, otherwise
    /// CSV. This is what `safeguard calendar import FILE` uses.
    pub fn parse_any(text: &str) -> Result<Calendar, CalendarError> {
        let body = text.strip_prefix('\u{feff}').unwrap_or(text);
        if body.trim_start().starts_with('{') {
            Calendar::from_govuk_json(body)
        } else {
            Calendar::from_csv(body)
        }
    }

    /// The bank holidays, earliest first.
    pub fn holidays(&self) -> impl Iterator<Item = Date> + '_ {
        self.holidays.iter().copied()
    }

    /// Whether `d` is a bank holiday in this calendar.
    pub fn is_holiday(&self, d: Date) -> bool {
        self.holidays.contains(&d)
    }

    /// Whether `d` is a working day: Monday to Friday and not a bank holiday.
    pub fn is_working_day(&self, d: Date) -> bool {
        is_weekday(d) && !self.is_holiday(d)
    }

    /// The date `n` working days after `start`: `n` times, move to the next working day strictly
    /// after the current date. `n = 0` returns `start` unchanged, even if it is not a working
    /// day; a `start` on a weekend or holiday counts from that day, so Saturday + 1 is the
    /// following Monday when that Monday is a working day.
    ///
    /// Saturates at the last date jiff supports (9999-12-31) instead of overflowing.
    ///
    /// ```
    /// use jiff::civil::date;
    /// use safeguard_domain::calendar::Calendar;
    ///
    /// let cal = Calendar::england_and_wales();
    /// // Christmas Day and Boxing Day 2025 are Thursday and Friday.
    /// assert_eq!(cal.add_working_days(date(2025, 12, 24), 1), date(2025, 12, 29));
    /// assert_eq!(cal.working_days_between(date(2025, 12, 24), date(2025, 12, 29)), 1);
    /// ```
    pub fn add_working_days(&self, start: Date, n: u32) -> Date {
        let mut d = start;
        for _ in 0..n {
            match self.next_working_day_after(d) {
                Some(next) => d = next,
                None => return Date::MAX,
            }
        }
        d
    }

    /// `d` itself if it is a working day, otherwise the first working day after it. Saturates at
    /// 9999-12-31.
    pub fn next_working_day_on_or_after(&self, d: Date) -> Date {
        if self.is_working_day(d) {
            d
        } else {
            self.next_working_day_after(d).unwrap_or(Date::MAX)
        }
    }

    /// The number of working days `d` with `start < d <= end`; negative (with the same size)
    /// when `end` is before `start`. It inverts [`Calendar::add_working_days`]:
    /// `working_days_between(s, add_working_days(s, n)) == n`.
    ///
    /// Use it for "how many working days did this take": a referral on Monday decided on
    /// Tuesday took 1.
    pub fn working_days_between(&self, start: Date, end: Date) -> i64 {
        if end < start {
            -self.working_days_in(end, start)
        } else {
            self.working_days_in(start, end)
        }
    }

    /// Working days in `(from, to]`, for `from <= to`, without walking every day: five per whole
    /// week, the odd days checked one by one, less the holidays that fall on weekdays.
    fn working_days_in(&self, from: Date, to: Date) -> i64 {
        let days = to.duration_since(from).as_hours() / 24;
        let mut count = days / 7 * 5;
        let mut d = to;
        for _ in 0..days % 7 {
            if is_weekday(d) {
                count += 1;
            }
            match d.yesterday() {
                Ok(prev) => d = prev,
                Err(_) => break,
            }
        }
        let holidays = self
            .holidays
            .range((Bound::Excluded(from), Bound::Included(to)))
            .filter(|h| is_weekday(**h))
            .count();
        count - i64::try_from(holidays).unwrap_or(i64::MAX)
    }

    /// The first working day strictly after `d`, or `None` past 9999-12-31.
    fn next_working_day_after(&self, d: Date) -> Option<Date> {
        let mut next = d.tomorrow().ok()?;
        while !self.is_working_day(next) {
            next = next.tomorrow().ok()?;
        }
        Some(next)
    }
}

/// Monday to Friday.
fn is_weekday(d: Date) -> bool {
    !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// A strict YYYY-MM-DD date (jiff alone would also accept forms like 20251225).
fn parse_iso_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if shaped { s.parse().ok() } else { None }
}

/// A value for an error message, cut to at most 40 characters.
fn shorten(value: &str) -> String {
    const MAX: usize = 40;
    if value.chars().count() <= MAX {
        value.to_owned()
    } else {
        let mut s: String = value.chars().take(MAX).collect();
        s.push('…');
        s
    }
}

fn csv_error(e: &csv::Error) -> CalendarError {
    let line = e.position().map_or(0, csv::Position::line);
    let reason = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "it is not UTF-8 text".to_owned(),
        _ => e.to_string(),
    };
    CalendarError::BadCsv { line, reason }
}

fn non_empty(holidays: BTreeSet<Date>) -> Result<Calendar, CalendarError> {
    if holidays.is_empty() {
        Err(CalendarError::NoHolidays)
    } else {
        Ok(Calendar { holidays })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::ToSpan;
    use jiff::civil::date;
    use proptest::prelude::*;
    use rstest::rstest;

    fn ew() -> Calendar {
        Calendar::from_csv(EMBEDDED).unwrap()
    }

    #[test]
    fn the_embedded_file_parses_completely() {
        let cal = Calendar::from_csv(EMBEDDED).unwrap();
        assert_eq!(cal.holidays().count(), 156);
        assert_eq!(Calendar::england_and_wales(), cal);
        assert_eq!(cal.holidays().next(), Some(date(2012, 1, 2)));
        assert_eq!(cal.holidays().last(), Some(date(2030, 12, 26)));
        // GOV.UK moves holidays that fall at a weekend to a substitute weekday.
        assert!(cal.holidays().all(is_weekday));
    }

    #[rstest]
    #[case::christmas_eve_2025(date(2025, 12, 24), 1, date(2025, 12, 29))]
    #[case::christmas_to_new_year_2025(date(2025, 12, 24), 4, date(2026, 1, 2))]
    #[case::boxing_day_start(date(2025, 12, 26), 1, date(2025, 12, 29))]
    #[case::substitute_days_2022(date(2022, 12, 23), 1, date(2022, 12, 28))]
    #[case::before_good_friday_2025(date(2025, 4, 17), 1, date(2025, 4, 22))]
    #[case::good_friday_start_2026(date(2026, 4, 3), 1, date(2026, 4, 7))]
    #[case::state_funeral(date(2022, 9, 16), 1, date(2022, 9, 20))]
    #[case::coronation(date(2023, 5, 5), 1, date(2023, 5, 9))]
    #[case::coronation_fortnight(date(2023, 4, 28), 6, date(2023, 5, 10))]
    #[case::saturday_start(date(2025, 6, 7), 1, date(2025, 6, 9))]
    #[case::sunday_start(date(2025, 6, 8), 1, date(2025, 6, 9))]
    #[case::friday_start(date(2025, 6, 6), 1, date(2025, 6, 9))]
    #[case::zero_on_a_saturday(date(2025, 6, 7), 0, date(2025, 6, 7))]
    #[case::plain_week(date(2025, 6, 9), 5, date(2025, 6, 16))]
    fn add_working_days_in_england(#[case] start: Date, #[case] n: u32, #[case] expected: Date) {
        let cal = ew();
        assert_eq!(cal.add_working_days(start, n), expected);
        assert_eq!(
            cal.working_days_between(start, expected),
            i64::from(n),
            "the count inverts the addition"
        );
    }

    #[rstest]
    #[case::state_funeral(date(2022, 9, 19), false)]
    #[case::coronation(date(2023, 5, 8), false)]
    #[case::christmas(date(2025, 12, 25), false)]
    #[case::good_friday(date(2026, 4, 3), false)]
    #[case::easter_monday(date(2026, 4, 6), false)]
    #[case::saturday(date(2025, 6, 7), false)]
    #[case::ordinary_tuesday(date(2025, 6, 10), true)]
    fn is_working_day_in_england(#[case] d: Date, #[case] expected: bool) {
        assert_eq!(ew().is_working_day(d), expected);
    }

    #[test]
    fn next_working_day_on_or_after_skips_weekends_and_holidays() {
        let cal = ew();
        assert_eq!(
            cal.next_working_day_on_or_after(date(2025, 12, 25)),
            date(2025, 12, 29)
        );
        assert_eq!(
            cal.next_working_day_on_or_after(date(2025, 12, 24)),
            date(2025, 12, 24)
        );
        assert_eq!(
            cal.next_working_day_on_or_after(date(2026, 4, 3)),
            date(2026, 4, 7)
        );
    }

    #[test]
    fn working_days_between_is_antisymmetric() {
        let cal = ew();
        let a = date(2025, 12, 1);
        let b = date(2026, 2, 5);
        assert_eq!(cal.working_days_between(a, b), 45);
        assert_eq!(cal.working_days_between(b, a), -45);
        assert_eq!(cal.working_days_between(a, a), 0);
    }

    #[test]
    fn adding_saturates_at_the_end_of_time() {
        let cal = Calendar::weekends_only();
        assert_eq!(cal.add_working_days(date(9999, 12, 30), 5), Date::MAX);
        assert_eq!(
            cal.next_working_day_on_or_after(Date::MAX),
            Date::MAX,
            "9999-12-31 is a Friday"
        );
    }

    #[test]
    fn from_holidays_and_weekends_only() {
        let cal = Calendar::from_holidays([date(2025, 6, 10)]);
        assert!(cal.is_holiday(date(2025, 6, 10)));
        assert_eq!(cal.add_working_days(date(2025, 6, 9), 1), date(2025, 6, 11));
        assert_eq!(
            Calendar::weekends_only().add_working_days(date(2025, 6, 9), 1),
            date(2025, 6, 10)
        );
        assert_eq!(Calendar::weekends_only().holidays().count(), 0);
    }

    #[rstest]
    #[case::no_date_column("day,title\n2025-12-25,Christmas\n", CalendarError::MissingDateColumn)]
    #[case::empty_file("", CalendarError::MissingDateColumn)]
    #[case::header_only("date,title\n", CalendarError::NoHolidays)]
    #[case::bad_date_line_3(
        "date,title\n2025-12-25,Christmas\n25/12/2025,Boxing Day\n",
        CalendarError::BadDate { line: 3, value: "25/12/2025".to_owned() }
    )]
    #[case::impossible_date(
        "title,Date\nx,2025-02-30\n",
        CalendarError::BadDate { line: 2, value: "2025-02-30".to_owned() }
    )]
    #[case::compact_date_refused(
        "date\n20251225\n",
        CalendarError::BadDate { line: 2, value: "20251225".to_owned() }
    )]
    #[case::missing_value(
        "title,date\nChristmas\n",
        CalendarError::BadDate { line: 2, value: String::new() }
    )]
    fn from_csv_errors_name_the_line(#[case] text: &str, #[case] expected: CalendarError) {
        assert_eq!(Calendar::from_csv(text), Err(expected));
    }

    #[test]
    fn from_csv_message_names_line_and_value() {
        let err = Calendar::from_csv("date\n2025-12-25\nnot a date\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("Line 3"), "{msg}");
        assert!(msg.contains("not a date"), "{msg}");
        assert!(msg.contains("YYYY-MM-DD"), "{msg}");
    }

    #[test]
    fn from_csv_ignores_other_columns_case_and_blank_lines() {
        let cal = Calendar::from_csv(
            "\u{feff}Title, DATE ,notes\nXmas, 2025-12-25 ,\n\nBoxing,2025-12-26,\n",
        )
        .unwrap();
        assert_eq!(
            cal.holidays().collect::<Vec<_>>(),
            [date(2025, 12, 25), date(2025, 12, 26)]
        );
    }

    const GOVUK_SAMPLE: &str = r#"{
        "england-and-wales": {"division": "england-and-wales", "events": [
            {"title": "Christmas Day", "date": "2025-12-25", "notes": "", "bunting": true},
            {"title": "Boxing Day", "date": "2025-12-26", "notes": "", "bunting": true}
        ]},
        "scotland": {"division": "scotland", "events": [
            {"title": "2nd January", "date": "2026-01-02", "notes": "", "bunting": true}
        ]},
        "northern-ireland": {"division": "northern-ireland", "events": []}
    }"#;

    #[test]
    fn from_govuk_json_reads_only_england_and_wales() {
        let cal = Calendar::from_govuk_json(GOVUK_SAMPLE).unwrap();
        assert_eq!(
            cal.holidays().collect::<Vec<_>>(),
            [date(2025, 12, 25), date(2025, 12, 26)]
        );
        assert!(
            !cal.is_holiday(date(2026, 1, 2)),
            "Scotland's holiday is ignored"
        );
    }

    #[rstest]
    #[case::missing_division(
        r#"{"scotland": {"division": "scotland", "events": []}}"#,
        CalendarError::MissingDivision
    )]
    #[case::no_events(
        r#"{"england-and-wales": {"division": "england-and-wales", "events": []}}"#,
        CalendarError::NoHolidays
    )]
    #[case::bad_date(
        r#"{"england-and-wales": {"events": [{"date": "2025-12-25"}, {"date": "Christmas"}]}}"#,
        CalendarError::BadJsonDate { number: 2, value: "Christmas".to_owned() }
    )]
    fn from_govuk_json_errors(#[case] text: &str, #[case] expected: CalendarError) {
        assert_eq!(Calendar::from_govuk_json(text), Err(expected));
    }

    #[test]
    fn from_govuk_json_rejects_other_json() {
        assert!(matches!(
            Calendar::from_govuk_json("[1, 2]"),
            Err(CalendarError::BadJson { .. })
        ));
    }

    #[test]
    fn parse_any_detects_the_format() {
        let from_json = Calendar::parse_any(&format!("  \n{GOVUK_SAMPLE}")).unwrap();
        let from_csv = Calendar::parse_any("date\n2025-12-25\n2025-12-26\n").unwrap();
        assert_eq!(from_json, from_csv);
        assert_eq!(Calendar::parse_any(EMBEDDED).unwrap(), ew());
        assert_eq!(
            Calendar::parse_any("date\n"),
            Err(CalendarError::NoHolidays)
        );
    }

    fn any_date() -> impl Strategy<Value = Date> {
        // 2012-01-01 ..= 2030-12-31 is 6,940 days.
        (0i64..6940).prop_map(|offset| date(2012, 1, 1).saturating_add(offset.days()))
    }

    proptest! {
        #[test]
        fn a_deadline_is_never_a_weekend_or_bank_holiday(start in any_date(), n in 1u32..400) {
            let cal = ew();
            let due = cal.add_working_days(start, n);
            prop_assert!(cal.is_working_day(due), "{start} + {n} = {due}");
            prop_assert!(due > start);
        }

        #[test]
        fn adding_is_monotone_in_n(start in any_date(), n in 0u32..400) {
            let cal = ew();
            let a = cal.add_working_days(start, n);
            let b = cal.add_working_days(start, n + 1);
            prop_assert!(b > a, "{start}: +{n} = {a}, +{} = {b}", n + 1);
        }

        #[test]
        fn counting_inverts_adding(start in any_date(), n in 0u32..400) {
            let cal = ew();
            let due = cal.add_working_days(start, n);
            prop_assert_eq!(cal.working_days_between(start, due), i64::from(n));
            prop_assert_eq!(cal.working_days_between(due, start), -i64::from(n));
        }

        #[test]
        fn counting_matches_a_day_by_day_walk(a in any_date(), len in 0i64..60) {
            let cal = ew();
            let b = a.saturating_add(len.days());
            let mut walked = 0;
            let mut d = a;
            while d < b {
                d = d.tomorrow().unwrap();
                if cal.is_working_day(d) {
                    walked += 1;
                }
            }
            prop_assert_eq!(cal.working_days_between(a, b), walked);
        }

        #[test]
        fn next_working_day_on_or_after_is_the_first(d in any_date()) {
            let cal = ew();
            let next = cal.next_working_day_on_or_after(d);
            prop_assert!(cal.is_working_day(next));
            prop_assert!(next >= d);
            prop_assert_eq!(cal.working_days_between(d, next), i64::from(next != d));
        }
    }
}
