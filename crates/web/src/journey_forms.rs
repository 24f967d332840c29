//! Forms of the journey's structured records: strategy discussion, conference, immediate
//! protection and the assessment's outcome.
//!
//! Attendees and actions are repeatable rows named `attendee-N-agency`, `action-N-owner`. The
//! forms work with JavaScript off: each shows a few blank rows, and "Add another" resubmits the
//! form to show one more, keeping everything typed.

use jiff::Timestamp;
use jiff::civil::Date;
use safeguard_app::FieldError;
use safeguard_app::records::{
    AssessmentInput, AttendeeInput, ConferenceInput, ProtectionInput, StrategyDiscussionInput,
};
use safeguard_domain::codes::{
    AbuseCategory, AssessmentFactor, AssessmentOutcome, ConferenceKind, ImmediateProtection,
    StrategyOutcome,
};
use safeguard_domain::records::{ActionItem, ConferenceDecision};
use safeguard_domain::{AgencyId, ChildId};

use crate::forms::parse_date_parts;
use crate::views::WebError;

/// Most rows of one kind a form shows.
pub(crate) const MAX_ROWS: usize = 30;
/// Blank attendee rows on a new form: social care, police, health and one more.
const ATTENDEE_ROWS: usize = 4;
/// Blank action rows on a new form.
const ACTION_ROWS: usize = 3;

/// A submitted form's fields, in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pairs(Vec<(String, String)>);

impl Pairs {
    /// Checks every field is one this form accepts: one of `fixed`, or `{row}-{n}-{part}` for
    /// a row kind and part listed in `rows`, with `n` below [`MAX_ROWS`].
    pub fn new(
        pairs: Vec<(String, String)>,
        fixed: &[&str],
        rows: &[(&str, &[&str])],
    ) -> Result<Pairs, WebError> {
        for (k, _) in &pairs {
            let known = fixed.contains(&k.as_str())
                || rows.iter().any(|(row, parts)| {
                    k.strip_prefix(row)
                        .and_then(|rest| rest.strip_prefix('-'))
                        .and_then(|rest| rest.split_once('-'))
                        .is_some_and(|(n, part)| {
                            n.parse::<usize>().is_ok_and(|n| n < MAX_ROWS) && parts.contains(&part)
                        })
                });
            if !known {
                tracing::info!(field = %k, "form refused");
                return Err(WebError::BadRequest(
                    "The form contained a field this page does not accept",
                ));
            }
        }
        Ok(Pairs(pairs))
    }

    /// The last value of a field, or "".
    fn get(&self, key: &str) -> String {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every value of a field (checkboxes).
    fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// How many rows of a kind to show: what the form said it had, or as many as were sent,
    /// plus one when "Add another" asked for it; never more than [`MAX_ROWS`].
    fn rows(&self, row: &str, add: bool, minimum: usize) -> usize {
        let said: usize = self.get(&format!("{row}_rows")).parse().unwrap_or(0);
        let sent = self
            .0
            .iter()
            .filter_map(|(k, _)| {
                k.strip_prefix(row)?
                    .strip_prefix('-')?
                    .split_once('-')?
                    .0
                    .parse::<usize>()
                    .ok()
            })
            .map(|n| n + 1)
            .max()
            .unwrap_or(0);
        (said.max(sent).max(minimum) + usize::from(add)).min(MAX_ROWS)
    }

    fn version(&self) -> u32 {
        self.get("version").trim().parse().unwrap_or(0)
    }
}

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

fn optional(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The date the record happened on, from the `on` date fields.
fn required_date(
    day: &str,
    month: &str,
    year: &str,
    label: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Date> {
    match parse_date_parts("on", label, day, month, year) {
        Ok(Some(d)) => Some(d),
        Ok(None) => {
            errors.push(FieldError::new(
                "on-day",
                format!("Enter the date {}", label.to_lowercase()),
            ));
            None
        }
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

/// One attendee row as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AttendeeRow {
    pub agency: String,
    pub role: String,
    pub name: String,
    pub email: String,
}

impl AttendeeRow {
    fn is_blank(&self) -> bool {
        blank(&self.agency) && blank(&self.role) && blank(&self.name) && blank(&self.email)
    }
}

fn attendee_rows(p: &Pairs, add: bool) -> Vec<AttendeeRow> {
    (0..p.rows("attendee", add, ATTENDEE_ROWS))
        .map(|i| AttendeeRow {
            agency: p.get(&format!("attendee-{i}-agency")),
            role: p.get(&format!("attendee-{i}-role")),
            name: p.get(&format!("attendee-{i}-name")),
            email: p.get(&format!("attendee-{i}-email")),
        })
        .collect()
}

const ATTENDEE_PARTS: &[&str] = &["agency", "role", "name", "email"];
const ACTION_PARTS: &[&str] = &["action", "owner", "due-day", "due-month", "due-year"];

/// Parses the attendee rows: blank rows are skipped; a row begun must have its agency, role
/// and name; at least one attendee.
fn parse_attendees(rows: &[AttendeeRow], errors: &mut Vec<FieldError>) -> Vec<AttendeeInput> {
    let mut out = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        if r.is_blank() {
            continue;
        }
        let n = i + 1;
        let agency = match r.agency.trim().parse::<AgencyId>() {
            Ok(a) => Some(a),
            Err(_) => {
                errors.push(FieldError::new(
                    format!("attendee-{i}-agency"),
                    format!("Select attendee {n}'s agency"),
                ));
                None
            }
        };
        if blank(&r.role) {
            errors.push(FieldError::new(
                format!("attendee-{i}-role"),
                format!("Enter attendee {n}'s role"),
            ));
        }
        if blank(&r.name) {
            errors.push(FieldError::new(
                format!("attendee-{i}-name"),
                format!("Enter attendee {n}'s name"),
            ));
        }
        let email = optional(&r.email);
        if email
            .as_deref()
            .is_some_and(|e| !e.contains('@') || e.contains(char::is_whitespace))
        {
            errors.push(FieldError::new(
                format!("attendee-{i}-email"),
                format!(
                    "Enter attendee {n}'s email address in the correct format, like \
                     name@example.com, or leave it blank"
                ),
            ));
        }
        if let Some(agency) = agency {
            out.push(AttendeeInput {
                row: i,
                agency,
                role: r.role.trim().to_owned(),
                name: r.name.trim().to_owned(),
                email,
            });
        }
    }
    if rows.iter().all(AttendeeRow::is_blank) {
        errors.push(FieldError::new(
            "attendee-0-agency",
            "Add at least one attendee, with their agency, role and name",
        ));
    }
    out
}

/// One action row as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ActionRow {
    pub action: String,
    pub owner: String,
    pub due_day: String,
    pub due_month: String,
    pub due_year: String,
}

fn action_rows(p: &Pairs, add: bool) -> Vec<ActionRow> {
    (0..p.rows("action", add, ACTION_ROWS))
        .map(|i| ActionRow {
            action: p.get(&format!("action-{i}-action")),
            owner: p.get(&format!("action-{i}-owner")),
            due_day: p.get(&format!("action-{i}-due-day")),
            due_month: p.get(&format!("action-{i}-due-month")),
            due_year: p.get(&format!("action-{i}-due-year")),
        })
        .collect()
}

fn parse_actions(rows: &[ActionRow], errors: &mut Vec<FieldError>) -> Vec<ActionItem> {
    let mut out = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let dates_blank = blank(&r.due_day) && blank(&r.due_month) && blank(&r.due_year);
        if blank(&r.action) && blank(&r.owner) && dates_blank {
            continue;
        }
        let n = i + 1;
        if blank(&r.action) {
            errors.push(FieldError::new(
                format!("action-{i}-action"),
                format!("Describe action {n}"),
            ));
        }
        if blank(&r.owner) {
            errors.push(FieldError::new(
                format!("action-{i}-owner"),
                format!("Enter who owns action {n}"),
            ));
        }
        let due = match parse_date_parts(
            &format!("action-{i}-due"),
            &format!("Action {n}'s due date"),
            &r.due_day,
            &r.due_month,
            &r.due_year,
        ) {
            Ok(d) => d,
            Err(e) => {
                errors.push(e);
                None
            }
        };
        out.push(ActionItem {
            action: r.action.trim().to_owned(),
            owner: r.owner.trim().to_owned(),
            due,
        });
    }
    out
}

/// The strategy discussion form.
#[derive(Debug, Clone, Default)]
pub(crate) struct StrategyForm {
    pub on_day: String,
    pub on_month: String,
    pub on_year: String,
    pub attendees: Vec<AttendeeRow>,
    pub information_shared: String,
    pub decisions: String,
    pub actions: Vec<ActionRow>,
    pub s47: String,
    pub next_step: String,
    pub version: u32,
    /// "attendee" or "action" when "Add another" was pressed.
    pub add: String,
}

impl StrategyForm {
    pub fn blank(version: u32) -> Self {
        Self {
            attendees: vec![AttendeeRow::default(); ATTENDEE_ROWS],
            actions: vec![ActionRow::default(); ACTION_ROWS],
            version,
            ..Self::default()
        }
    }

    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, WebError> {
        let p = Pairs::new(
            pairs,
            &[
                "on-day",
                "on-month",
                "on-year",
                "information_shared",
                "decisions",
                "s47",
                "next_step",
                "version",
                "add",
                "attendee_rows",
                "action_rows",
            ],
            &[("attendee", ATTENDEE_PARTS), ("action", ACTION_PARTS)],
        )?;
        let add = p.get("add");
        Ok(Self {
            on_day: p.get("on-day"),
            on_month: p.get("on-month"),
            on_year: p.get("on-year"),
            attendees: attendee_rows(&p, add == "attendee"),
            information_shared: p.get("information_shared"),
            decisions: p.get("decisions"),
            actions: action_rows(&p, add == "action"),
            s47: p.get("s47"),
            next_step: p.get("next_step"),
            version: p.version(),
            add,
        })
    }

    /// Checks every field, naming each problem; `decides_next` says whether the discussion
    /// decides what happens without section 47 enquiries (at `STRATEGY_DISCUSSION`, after
    /// immediate protection, on a child in need plan).
    pub fn parse(&self, decides_next: bool) -> Result<StrategyDiscussionInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let on = required_date(
            &self.on_day,
            &self.on_month,
            &self.on_year,
            "The discussion was held",
            &mut errors,
        );
        let attendees = parse_attendees(&self.attendees, &mut errors);
        if blank(&self.information_shared) {
            errors.push(FieldError::new(
                "information_shared",
                "Enter the information shared",
            ));
        }
        if blank(&self.decisions) {
            errors.push(FieldError::new("decisions", "Enter what was decided"));
        }
        let actions = parse_actions(&self.actions, &mut errors);
        let s47 = match self.s47.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => {
                errors.push(FieldError::new(
                    "s47",
                    "Select whether section 47 enquiries were initiated",
                ));
                None
            }
        };
        let next = if decides_next && s47 == Some(false) {
            match StrategyOutcome::parse(&self.next_step) {
                Ok(StrategyOutcome::S47Enquiry) | Err(_) => {
                    errors.push(FieldError::new(
                        "next_step",
                        "Select what happens next, as section 47 enquiries were not initiated",
                    ));
                    None
                }
                Ok(o) => Some(o),
            }
        } else {
            None
        };
        match (on, s47) {
            (Some(on), Some(s47_initiated)) if errors.is_empty() => Ok(StrategyDiscussionInput {
                on,
                attendees,
                information_shared: self.information_shared.clone(),
                decisions: self.decisions.clone(),
                actions,
                s47_initiated,
                next,
                version: self.version,
            }),
            _ => Err(errors),
        }
    }
}

/// The conference form.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConferenceForm {
    pub on_day: String,
    pub on_month: String,
    pub on_year: String,
    pub chair: String,
    pub attendees: Vec<AttendeeRow>,
    pub decision: String,
    pub category: String,
    pub core_group: String,
    pub version: u32,
    pub add: String,
}

impl ConferenceForm {
    pub fn blank(version: u32) -> Self {
        Self {
            attendees: vec![AttendeeRow::default(); ATTENDEE_ROWS],
            version,
            ..Self::default()
        }
    }

    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, WebError> {
        let p = Pairs::new(
            pairs,
            &[
                "on-day",
                "on-month",
                "on-year",
                "chair",
                "decision",
                "category",
                "core_group",
                "version",
                "add",
                "attendee_rows",
            ],
            &[("attendee", ATTENDEE_PARTS)],
        )?;
        let add = p.get("add");
        Ok(Self {
            on_day: p.get("on-day"),
            on_month: p.get("on-month"),
            on_year: p.get("on-year"),
            chair: p.get("chair"),
            attendees: attendee_rows(&p, add == "attendee"),
            decision: p.get("decision"),
            category: p.get("category"),
            core_group: p.get("core_group"),
            version: p.version(),
            add,
        })
    }

    pub fn parse(&self, kind: ConferenceKind) -> Result<ConferenceInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let on = required_date(
            &self.on_day,
            &self.on_month,
            &self.on_year,
            "The conference was held",
            &mut errors,
        );
        if blank(&self.chair) {
            errors.push(FieldError::new(
                "chair",
                "Enter the name of the conference chair",
            ));
        }
        let attendees = parse_attendees(&self.attendees, &mut errors);
        let decision = match ConferenceDecision::parse(&self.decision) {
            Ok(d) if ConferenceDecision::for_kind(kind).contains(&d) => Some(d),
            _ => {
                errors.push(FieldError::new(
                    "decision",
                    "Select what the conference decided",
                ));
                None
            }
        };
        let category = match optional(&self.category).map(|c| AbuseCategory::parse(&c)) {
            None => None,
            Some(Ok(c)) => Some(c),
            Some(Err(_)) => {
                errors.push(FieldError::new(
                    "category",
                    "Select a category from the list",
                ));
                None
            }
        };
        let core_group: Vec<String> = self
            .core_group
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        if let Some(d) = decision
            && d.keeps_a_plan()
        {
            if category.is_none() && !errors.iter().any(|e| e.field == "category") {
                errors.push(FieldError::new(
                    "category",
                    "Select the category of abuse the conference set",
                ));
            }
            if core_group.is_empty() {
                errors.push(FieldError::new(
                    "core_group",
                    "Enter the core group members, one on each line",
                ));
            }
        }
        match (on, decision) {
            (Some(on), Some(decision)) if errors.is_empty() => Ok(ConferenceInput {
                on,
                kind,
                chair: self.chair.clone(),
                attendees,
                decision,
                category,
                core_group,
                version: self.version,
            }),
            _ => Err(errors),
        }
    }
}

/// The immediate protection form.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProtectionForm {
    pub kind: String,
    pub on_day: String,
    pub on_month: String,
    pub on_year: String,
    pub time: String,
    pub version: u32,
}

impl ProtectionForm {
    pub fn blank(version: u32) -> Self {
        Self {
            version,
            ..Self::default()
        }
    }

    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, WebError> {
        let p = Pairs::new(
            pairs,
            &["kind", "on-day", "on-month", "on-year", "time", "version"],
            &[],
        )?;
        Ok(Self {
            kind: p.get("kind"),
            on_day: p.get("on-day"),
            on_month: p.get("on-month"),
            on_year: p.get("on-year"),
            time: p.get("time"),
            version: p.version(),
        })
    }

    pub fn parse(&self) -> Result<ProtectionInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = match ImmediateProtection::parse(&self.kind) {
            Ok(k) => Some(k),
            Err(_) => {
                errors.push(FieldError::new(
                    "kind",
                    "Select police protection or an emergency protection order",
                ));
                None
            }
        };
        let on = required_date(
            &self.on_day,
            &self.on_month,
            &self.on_year,
            "It started",
            &mut errors,
        );
        let time = parse_time(&self.time).map_err(|m| errors.push(FieldError::new("time", m)));
        match (kind, on, time) {
            (Some(kind), Some(on), Ok((h, m))) if errors.is_empty() => {
                match london_instant(on, h, m) {
                    Some(started_at) => Ok(ProtectionInput {
                        kind,
                        started_at,
                        version: self.version,
                    }),
                    None => Err(vec![FieldError::new("time", "Enter a real time")]),
                }
            }
            _ => Err(errors),
        }
    }
}

/// "14:30" or "9:05" as hours and minutes on the 24-hour clock.
fn parse_time(s: &str) -> Result<(i8, i8), &'static str> {
    let s = s.trim();
    if s.is_empty() {
        return Err("Enter the time it started, like 14:30");
    }
    let (h, m) = s
        .split_once(':')
        .or_else(|| s.split_once('.'))
        .ok_or("Enter the time on the 24-hour clock, like 14:30")?;
    let h: i8 = h
        .trim()
        .parse()
        .map_err(|_| "Enter the time on the 24-hour clock, like 14:30")?;
    let m: i8 = m
        .trim()
        .parse()
        .map_err(|_| "Enter the time on the 24-hour clock, like 14:30")?;
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return Err("Enter a real time, from 00:00 to 23:59");
    }
    Ok((h, m))
}

/// A date and time in England as an instant.
fn london_instant(on: Date, h: i8, m: i8) -> Option<Timestamp> {
    on.at(h, m, 0, 0)
        .to_zoned(safeguard_domain::clock::london())
        .ok()
        .map(|z| z.timestamp())
}

/// The assessment outcome form.
#[derive(Debug, Clone, Default)]
pub(crate) struct AssessmentForm {
    pub outcome: String,
    pub on_day: String,
    pub on_month: String,
    pub on_year: String,
    pub factors: Vec<String>,
    pub late_reason: String,
    pub version: u32,
}

impl AssessmentForm {
    pub fn blank(version: u32) -> Self {
        Self {
            version,
            ..Self::default()
        }
    }

    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, WebError> {
        let p = Pairs::new(
            pairs,
            &[
                "outcome",
                "on-day",
                "on-month",
                "on-year",
                "factors",
                "late_reason",
                "version",
            ],
            &[],
        )?;
        Ok(Self {
            outcome: p.get("outcome"),
            on_day: p.get("on-day"),
            on_month: p.get("on-month"),
            on_year: p.get("on-year"),
            factors: p.all("factors"),
            late_reason: p.get("late_reason"),
            version: p.version(),
        })
    }

    pub fn has_factor(&self, code: &str) -> bool {
        self.factors.iter().any(|f| f == code)
    }

    /// Checks the fields; whether the reason for lateness is needed is the domain's rule (it
    /// knows the due date), so it is checked there.
    pub fn parse(&self) -> Result<AssessmentInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let outcome = match AssessmentOutcome::parse(&self.outcome) {
            Ok(o) => Some(o),
            Err(_) => {
                errors.push(FieldError::new(
                    "outcome",
                    "Select how the assessment concluded",
                ));
                None
            }
        };
        let on = required_date(
            &self.on_day,
            &self.on_month,
            &self.on_year,
            "The assessment concluded",
            &mut errors,
        );
        let mut factors = Vec::new();
        for f in &self.factors {
            match AssessmentFactor::parse(f) {
                Ok(a) => factors.push(a),
                Err(_) => {
                    errors.push(FieldError::new("factors", "Select factors from the list"));
                    break;
                }
            }
        }
        match (outcome, on) {
            (Some(outcome), Some(on)) if errors.is_empty() => Ok(AssessmentInput {
                on,
                outcome,
                factors,
                late_reason: optional(&self.late_reason),
                version: self.version,
            }),
            _ => Err(errors),
        }
    }
}

/// The kind of conference named in an address (`initial`, `review`, `transfer_in`).
pub(crate) fn conference_kind(s: &str) -> Result<ConferenceKind, WebError> {
    ConferenceKind::parse(s).map_err(|_| WebError::NotFound)
}

/// A child id from an address.
pub(crate) fn child_id(s: &str) -> Result<ChildId, WebError> {
    s.parse().map_err(|_| WebError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn unknown_fields_and_rows_past_the_limit_are_refused() {
        assert!(StrategyForm::from_pairs(pairs(&[("attendee-0-agency", "x")])).is_ok());
        assert!(StrategyForm::from_pairs(pairs(&[("attendee-0-shoe", "x")])).is_err());
        assert!(StrategyForm::from_pairs(pairs(&[("attendee-99-name", "x")])).is_err());
        assert!(StrategyForm::from_pairs(pairs(&[("colour", "x")])).is_err());
    }

    #[test]
    fn add_another_keeps_what_was_typed_and_adds_a_row() {
        let f = StrategyForm::from_pairs(pairs(&[
            ("attendee_rows", "4"),
            ("attendee-3-name", "Pat"),
            ("add", "attendee"),
        ]))
        .unwrap();
        assert_eq!(f.attendees.len(), 5);
        assert_eq!(f.attendees[3].name, "Pat");
        assert_eq!(f.actions.len(), 3);
    }

    #[test]
    fn every_problem_is_named() {
        let f = StrategyForm::from_pairs(pairs(&[
            ("attendee-1-name", "Pat"),
            ("action-0-action", "Visit"),
            ("action-0-due-day", "31"),
            ("action-0-due-month", "2"),
            ("action-0-due-year", "2026"),
            ("s47", "no"),
        ]))
        .unwrap();
        let errors = f.parse(true).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "on-day",
                "attendee-1-agency",
                "attendee-1-role",
                "information_shared",
                "decisions",
                "action-0-owner",
                "action-0-due-day",
                "next_step"
            ]
        );
    }

    #[test]
    fn times_are_on_the_24_hour_clock() {
        assert_eq!(parse_time("14:30"), Ok((14, 30)));
        assert_eq!(parse_time("9.05"), Ok((9, 5)));
        assert!(parse_time("24:00").is_err());
        assert!(parse_time("2pm").is_err());
        assert!(parse_time("").is_err());
        // 14:30 in summer is 13:30 UTC.
        let t = london_instant(jiff::civil::date(2026, 7, 1), 14, 30).unwrap();
        assert_eq!(t, "2026-07-01T13:30:00Z".parse().unwrap());
    }
}
