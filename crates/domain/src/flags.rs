//! The flag register shared with health, as England's CP-IS does (spec §6): which children are on
//! a child protection plan or looked after, held against an NHS number, with the responsible
//! local authority and whom to call — and nothing else. No narrative, no category of abuse and no
//! name leaves the local authority through a flag (spec §6.1 "Not held": non-clinical information
//! only; "not another ContactPoint").
//!
//! Flags are *derived*: [`case_spans`] reads the periods a case spent on a plan or looked after
//! from its steps, and [`derive_flags`] turns a child's spans into flags. Both are pure, so the
//! same derivation serves the case save path, the demo, and (later) looked-after episodes, whose
//! spans feed [`derive_flags`] the same way. Flags can also be *imported* from an LA whose case
//! management is elsewhere ([`parse_import_csv`]).
//!
//! The type codes ([`FlagType`]) are the register's code system (`docs/flags.md`): `CPP`, `LAC`
//! and `UNBORN_CPP`.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::case::{Case, CaseId};
use crate::coded::coded_enum;
use crate::codes::LookedAfterSection;
use crate::ids::{AgencyId, ChildId, PractitionerId};
use crate::journey::{CaseEvent, CaseState, transition};
use crate::looked_after::LookedAfterEpisode;
use crate::model::{Agency, Child};
use crate::nhs::NhsNumber;
use crate::timescales::{RuleId, due_date, rule};

/// Identifies a flag.
pub type FlagId = crate::ids::Id<crate::ids::kinds::Flag>;
/// Identifies one lookup that found a flag (an entry of "the last 25 accesses").
pub type FlagAccessId = crate::ids::Id<crate::ids::kinds::FlagAccess>;
/// Identifies an access notification to a local authority.
pub type AccessNotificationId = crate::ids::Id<crate::ids::kinds::AccessNotification>;

coded_enum! {
    /// What a flag says about the person whose NHS number it is held against (spec §6.1
    /// "Children covered"). The codes are the register's code system: see `docs/flags.md`.
    FlagType, "flag type" {
        /// `CPP`: the child is subject to a child protection plan.
        ChildProtectionPlan => "CPP", "Child protection plan";
        /// `LAC`: the child is looked after under a care order (s31), an interim care order
        /// (s38) or accommodation (s20).
        LookedAfter => "LAC", "Looked after";
        /// `UNBORN_CPP`: an unborn child is on a pre-birth child protection plan; the flag is
        /// held against the pregnant woman's NHS number, with the expected date of delivery.
        UnbornChildProtectionPlan => "UNBORN_CPP", "Unborn child protection plan";
    }
}

coded_enum! {
    /// Where a flag came from.
    FlagSource, "flag source" {
        /// Derived from a case recorded in safeguard.
        Derived => "derived", "Derived from the case record";
        /// Imported from the local authority's own case management system.
        Imported => "imported", "Imported by the local authority";
    }
}

coded_enum! {
    /// Whether the lookup is made for unscheduled care (which tells the local authority) or for
    /// scheduled care, a "silent read" (spec §6.3; CP-IS `IsUnscheduledAccessEvent`, HL7
    /// `accessEventType=false`).
    CareSetting, "care setting" {
        /// Emergency department, walk-in centre, minor injuries, out-of-hours, 111, ambulance,
        /// maternity (spec §6.2). The responsible local authority is told.
        Unscheduled => "unscheduled", "Unscheduled care";
        /// Planned care. Audited, but nobody is told.
        Scheduled => "scheduled", "Scheduled care";
    }
}

coded_enum! {
    /// Where a local authority's worker has got with an access notification.
    NoticeState, "notification state" {
        /// Not looked at yet.
        New => "new", "Not seen";
        /// Seen by a worker.
        Seen => "seen", "Seen";
        /// Acted on (the allocated worker told, a follow-up made).
        Actioned => "actioned", "Actioned";
    }
}

/// The local authority to call, with its numbers, as the flag carries them (spec §6.1: "responsible
/// LA name with office-hours and emergency-duty phone numbers").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaContact {
    /// The local authority.
    pub la: AgencyId,
    /// Its name.
    pub name: String,
    /// Office-hours number.
    pub office_phone: Option<String>,
    /// Out-of-hours (emergency duty team) number.
    pub emergency_phone: Option<String>,
}

impl From<&Agency> for LaContact {
    fn from(a: &Agency) -> Self {
        Self {
            la: a.id,
            name: a.name.clone(),
            office_phone: a.phone.clone(),
            emergency_phone: a.out_of_hours_phone.clone(),
        }
    }
}

/// One flag: a plan or looked-after status, held against an NHS number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    /// Id.
    pub id: FlagId,
    /// The NHS number it is held against: the child's, or the mother's for `UNBORN_CPP`.
    pub nhs_number: NhsNumber,
    /// What it says.
    pub kind: FlagType,
    /// When the plan or status started.
    pub start: Date,
    /// When it ended; `None` while it continues.
    pub end: Option<Date>,
    /// For `UNBORN_CPP`: the expected date of delivery.
    pub expected_delivery: Option<Date>,
    /// For `LAC`: the section of the Children Act 1989 (s31, s38 or s20), which tells a clinician
    /// who holds parental responsibility.
    pub section: Option<LookedAfterSection>,
    /// The responsible local authority and its numbers.
    pub contact: LaContact,
    /// The allocated team, when the LA shares it.
    pub team: Option<String>,
    /// Where the flag came from.
    pub source: FlagSource,
    /// What the flag was made from, unique in the register: `case:<id>:step:<n>` for a derived
    /// flag, `import:<la>:<nhs>:<type>:<start>` for an imported one. Deriving or importing the
    /// same thing again finds the same flag.
    pub source_ref: String,
    /// The child, when known here (derived flags; imported ones matched by NHS number).
    pub child: Option<ChildId>,
}

impl Flag {
    /// Whether health still sees the flag on `today`: while it continues, and for
    /// `visible_months` months after it ends (T14; spec §6.1 "Historic window").
    pub fn visible_on(&self, today: Date, visible_months: u32) -> bool {
        if self.start > today {
            return false;
        }
        match self.end {
            None => true,
            Some(end) => visible_until(end, visible_months) >= today,
        }
    }

    /// True while the plan or status continues on `today`.
    pub fn is_current(&self, today: Date) -> bool {
        self.start <= today && self.end.is_none_or(|e| e > today)
    }

    /// What a clinician should do, in plain words: the "and better" of the issue. Calls the LA on
    /// its numbers; never tells the clinician anything of the case.
    pub fn advice(&self, today: Date, care: CareSetting) -> String {
        let call = match (&self.contact.office_phone, &self.contact.emergency_phone) {
            (Some(o), Some(e)) => format!(
                "call {} on {o} in office hours, or the emergency duty team on {e} out of hours",
                self.contact.name
            ),
            (Some(o), None) => format!("call {} on {o}", self.contact.name),
            (None, Some(e)) => format!("call {} on {e}", self.contact.name),
            (None, None) => format!("contact {}", self.contact.name),
        };
        let what = match (self.kind, self.is_current(today)) {
            (FlagType::ChildProtectionPlan, true) => {
                "This child is on a child protection plan. Treat them as you would any patient. \
                 If anything about this attendance worries you (an injury, how it happened, who \
                 is with the child), follow your safeguarding procedure and"
                    .to_owned()
            }
            (FlagType::UnbornChildProtectionPlan, true) => {
                "This patient's unborn baby is on a pre-birth child protection plan. Tell the \
                 maternity safeguarding lead if she is in labour or admitted, and"
                    .to_owned()
            }
            (FlagType::LookedAfter, true) => {
                let who = match self.section {
                    Some(LookedAfterSection::S31CareOrder)
                    | Some(LookedAfterSection::S38InterimCareOrder) => {
                        "The local authority shares parental responsibility with the parents: \
                         ask it, not only the person with the child, about consent."
                    }
                    Some(LookedAfterSection::S20Accommodation) | None => {
                        "The parents keep parental responsibility; the carer with the child may \
                         not be able to consent to treatment."
                    }
                };
                format!(
                    "This child is looked after by the local authority. {who} To check, or if anything worries you,"
                )
            }
            (_, false) => {
                "This plan or status has ended but ended recently, so it is still shown. If \
                 anything about this attendance worries you,"
                    .to_owned()
            }
        };
        let told = match care {
            CareSetting::Unscheduled => {
                " The local authority has been told that the child attended here; you do not need to tell it separately."
            }
            CareSetting::Scheduled => {
                " This was a scheduled-care lookup, so the local authority has not been told."
            }
        };
        format!("{what} {call}.{told}")
    }
}

/// A period a case spent on a plan or looked after, before it is matched to an NHS number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagSpan {
    /// A plan, or looked after (with the CP-IS section).
    pub kind: SpanKind,
    /// Start.
    pub start: Date,
    /// End, if it ended.
    pub end: Option<Date>,
    /// What it came from, unique: `case:<id>:step:<n>`.
    pub source_ref: String,
}

/// What a span records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    /// A child protection plan (for an unborn child, a pre-birth plan).
    Plan,
    /// Looked after, under this section.
    LookedAfter(LookedAfterSection),
}

/// The periods a case spent on a child protection plan or looked after, read from its steps by
/// replaying the state machine (spec §1.4). A plan is in force in `CP_PLAN` and `RCPC` and ends
/// on the step that leaves them (a plan ended, or the child became looked after). Looked after
/// starts on `BecameLookedAfter` and ends on the step that leaves `LOOKED_AFTER`; only the legal
/// statuses CP-IS shares count (s31, s38, s20: spec §6.1, `LegalStatus::cp_is_section`), so an
/// EPO or remand gives no flag.
pub fn case_spans(case: &Case) -> Vec<FlagSpan> {
    let in_plan = |s: CaseState| matches!(s, CaseState::CpPlan | CaseState::Rcpc);
    let in_care = |s: CaseState| s == CaseState::LookedAfter;
    let mut spans = Vec::new();
    let mut state = CaseState::ReferralReceived;
    let (mut plan, mut care): (Option<FlagSpan>, Option<FlagSpan>) = (None, None);
    for (i, step) in case.steps.iter().enumerate() {
        let Ok(next) = transition(state, step.event) else {
            continue;
        };
        let opened = |kind| FlagSpan {
            kind,
            start: step.on,
            end: None,
            source_ref: format!("case:{}:step:{i}", case.id),
        };
        if in_plan(state) && !in_plan(next) {
            spans.extend(plan.take().map(|s| s.ended(step.on)));
        }
        if in_care(state) && !in_care(next) {
            spans.extend(care.take().map(|s| s.ended(step.on)));
        }
        if !in_plan(state) && in_plan(next) {
            plan = Some(opened(SpanKind::Plan));
        }
        if !in_care(state)
            && in_care(next)
            && let CaseEvent::BecameLookedAfter(status) = step.event
            && let Some(section) = status.cp_is_section()
        {
            care = Some(opened(SpanKind::LookedAfter(section)));
        }
        state = next;
    }
    spans.extend(plan);
    spans.extend(care);
    spans.sort_by(|a, b| (a.start, &a.source_ref).cmp(&(b.start, &b.source_ref)));
    spans
}

impl FlagSpan {
    fn ended(mut self, on: Date) -> FlagSpan {
        self.end = Some(on);
        self
    }
}

/// What derivation needs about a child besides its spans.
#[derive(Debug, Clone, Copy)]
pub struct ChildFlagFacts<'a> {
    /// The child.
    pub child: &'a Child,
    /// The mother's NHS number, for a pre-birth plan (spec §6.1: held against the pregnant
    /// woman).
    pub mother_nhs: Option<&'a NhsNumber>,
    /// The responsible local authority.
    pub la: Option<&'a Agency>,
    /// The allocated team's name, if the case has one.
    pub team: Option<&'a str>,
}

/// Why a span could not become a flag: CP-IS holds records only against an NHS number (spec
/// §6.1 "Identifier"), so these count against the 95% go-live coverage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unflagged {
    /// The child (or, for an unborn child, the mother) has no NHS number recorded.
    NoNhsNumber,
    /// No responsible local authority is recorded.
    NoLocalAuthority,
}

/// The flags a child's spans give, and the spans that could not be flagged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Derived {
    /// Flags, one per span.
    pub flags: Vec<Flag>,
    /// Spans with no NHS number or LA, and why.
    pub unflagged: Vec<(FlagSpan, Unflagged)>,
}

/// Turns a child's spans into flags (spec §6.1): a plan for a born child is `CPP` on the
/// child's NHS number; a plan for an unborn child is `UNBORN_CPP` on the mother's, with the
/// expected date of delivery; looked after is `LAC` with its section. New flags get fresh ids;
/// the caller keeps the ids of flags already stored with the same `source_ref`.
pub fn derive_flags(facts: ChildFlagFacts<'_>, spans: &[FlagSpan]) -> Derived {
    let mut out = Derived::default();
    for span in spans {
        let (kind, nhs, section, edd) = match span.kind {
            SpanKind::Plan if facts.child.birth.is_unborn() => (
                FlagType::UnbornChildProtectionPlan,
                facts.mother_nhs,
                None,
                Some(facts.child.birth.date()),
            ),
            SpanKind::Plan => (
                FlagType::ChildProtectionPlan,
                facts.child.nhs_number.as_ref(),
                None,
                None,
            ),
            SpanKind::LookedAfter(s) => (
                FlagType::LookedAfter,
                facts.child.nhs_number.as_ref(),
                Some(s),
                None,
            ),
        };
        let Some(nhs) = nhs else {
            out.unflagged.push((span.clone(), Unflagged::NoNhsNumber));
            continue;
        };
        let Some(la) = facts.la else {
            out.unflagged
                .push((span.clone(), Unflagged::NoLocalAuthority));
            continue;
        };
        out.flags.push(Flag {
            id: FlagId::new(),
            nhs_number: nhs.clone(),
            kind,
            start: span.start,
            end: span.end,
            expected_delivery: edd,
            section,
            contact: LaContact::from(la),
            team: facts.team.map(str::to_owned),
            source: FlagSource::Derived,
            source_ref: span.source_ref.clone(),
            child: Some(facts.child.id),
        });
    }
    out
}

/// The spans of all of a child's cases, oldest case first, then of their periods of care. Where a
/// looked-after episode records the period a case began (its `case`), the episode's rows are the
/// record of the legal status and its end, so that case's own looked-after span gives way to them.
pub fn child_spans(cases: &[Case], episodes: &[LookedAfterEpisode]) -> Vec<FlagSpan> {
    let mut cases: Vec<&Case> = cases.iter().collect();
    cases.sort_by_key(|c| (c.referral_on, c.id));
    let recorded = |case: CaseId| episodes.iter().any(|e| e.case == Some(case));
    let mut spans: Vec<FlagSpan> = cases
        .into_iter()
        .flat_map(|c| {
            let skip_care = recorded(c.id);
            case_spans(c)
                .into_iter()
                .filter(move |s| !(skip_care && matches!(s.kind, SpanKind::LookedAfter(_))))
        })
        .collect();
    spans.extend(episodes.iter().flat_map(episode_spans));
    spans
}

/// The periods of care an SSDA903 episode gives CP-IS: one span for each run of rows whose legal
/// status shares the same section (C2 s31, C1 s38, V2/V3/V4 s20; spec §6.1), from the run's
/// first `DECOM` to the next row that changes the section, or the episode's `DEC`. Rows under a
/// status CP-IS does not share (an EPO, remand, a placement order) give no span, so a child
/// moved from s20 onto an EPO loses the LAC flag that day and gets it back under s31.
pub fn episode_spans(episode: &LookedAfterEpisode) -> Vec<FlagSpan> {
    let mut spans = Vec::new();
    let mut open: Option<FlagSpan> = None;
    for (i, period) in episode.periods.iter().enumerate() {
        let section = period.legal_status.cp_is_section();
        let same = matches!(
            (&open, section),
            (Some(FlagSpan { kind: SpanKind::LookedAfter(s), .. }), Some(now)) if *s == now
        );
        if same {
            continue;
        }
        spans.extend(open.take().map(|s| s.ended(period.from)));
        open = section.map(|s| FlagSpan {
            kind: SpanKind::LookedAfter(s),
            start: period.from,
            end: None,
            source_ref: format!("episode:{}:period:{i}", episode.id),
        });
    }
    spans.extend(open.map(|s| match &episode.end {
        Some(end) => s.ended(end.on),
        None => s,
    }));
    spans
}

/// The last day a flag that ended on `end` is still shown: T14 from the table of timescales,
/// with the partnership's own number of months when it configured one.
pub fn visible_until(end: Date, visible_months: u32) -> Date {
    let window = crate::timescales::Rule {
        amount: visible_months,
        ..*rule(RuleId::T14FlagVisibleAfterEnd)
    };
    // A months rule does not use the working-day calendar.
    due_date(&window, end, &Calendar::from_holidays(Vec::new()))
}

/// A lookup that found one or more flags: one of "the last 25 accesses" (spec §6.1, §6.3). The
/// setting and time, never the clinician's name, are shown to later readers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagAccess {
    /// Id.
    pub id: FlagAccessId,
    /// The NHS number looked up.
    pub nhs_number: NhsNumber,
    /// When.
    pub at: Timestamp,
    /// The setting (organisation) that looked.
    pub setting: AgencyId,
    /// Its name, as it was at the time.
    pub setting_name: String,
    /// Unscheduled or scheduled care.
    pub care: CareSetting,
    /// The practitioner on whose behalf, when known (kept for the audit, never shown to health).
    pub practitioner: Option<PractitionerId>,
    /// For a lookup by an agency system: the practitioner it says it acts for, as it names them
    /// (a header of the FHIR request). Recorded for the audit trail, never used to decide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<OnBehalfOf>,
    /// The flags shown.
    pub flags: Vec<FlagId>,
}

/// The practitioner an agency system says it acts for, as that system names them (a user id,
/// a smartcard's UUID, a role and name): kept with the access and in the audit event so the
/// trail reaches a person, never trusted to decide anything (the token's agency decides).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OnBehalfOf(String);

/// Why a system's naming of its practitioner was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OnBehalfOfError {
    /// Blank.
    #[error("name the practitioner, e.g. their user id; or leave the header out")]
    Empty,
    /// Longer than [`OnBehalfOf::MAX_LEN`].
    #[error("the practitioner is named in at most 200 characters")]
    TooLong,
    /// A control character (a line break, a tab).
    #[error("the practitioner's name cannot contain control characters")]
    Control,
}

impl OnBehalfOf {
    /// The longest naming kept, in characters.
    pub const MAX_LEN: usize = 200;

    /// Trims and checks a system's naming of its practitioner.
    pub fn parse(text: &str) -> Result<Self, OnBehalfOfError> {
        let text = text.trim();
        if text.is_empty() {
            Err(OnBehalfOfError::Empty)
        } else if text.chars().count() > Self::MAX_LEN {
            Err(OnBehalfOfError::TooLong)
        } else if text.chars().any(char::is_control) {
            Err(OnBehalfOfError::Control)
        } else {
            Ok(Self(text.to_owned()))
        }
    }

    /// As given, trimmed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An access notification to a local authority: which setting, when, and which flag (spec §6.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessNotification {
    /// Id.
    pub id: AccessNotificationId,
    /// The local authority told.
    pub la: AgencyId,
    /// The access it reports.
    pub access: FlagAccessId,
    /// When the child attended (the lookup).
    pub at: Timestamp,
    /// The setting.
    pub setting: AgencyId,
    /// Its name at the time.
    pub setting_name: String,
    /// The NHS number looked up.
    pub nhs_number: NhsNumber,
    /// The flags found, with their types.
    pub flags: Vec<(FlagId, FlagType)>,
    /// The child, when known here.
    pub child: Option<ChildId>,
    /// Not seen, seen or actioned.
    pub state: NoticeState,
    /// Who last changed the state, and when.
    pub state_changed: Option<(PractitionerId, Timestamp)>,
}

/// One row of an import file, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// The line number in the file (the header is line 1).
    pub line: u64,
    /// NHS number.
    pub nhs_number: NhsNumber,
    /// Type.
    pub kind: FlagType,
    /// Start.
    pub start: Date,
    /// End.
    pub end: Option<Date>,
    /// The DfE LA code in the row.
    pub la_code: String,
}

/// A row the import refused, with its line number and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// The line number in the file (the header is line 1).
    pub line: u64,
    /// The column at fault.
    pub column: &'static str,
    /// What is wrong and how to fix it.
    pub reason: String,
}

/// The columns of an import file, in order (`docs/flags.md`).
pub const IMPORT_COLUMNS: [&str; 5] = ["nhs_number", "type", "start", "end", "la_code"];

/// A file the import cannot read at all (as opposed to bad rows, which are reported one by one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportFileError {
    /// The header row is not the documented one.
    #[error(
        "The first line must be the header nhs_number,type,start,end,la_code (found {found:?})"
    )]
    Header {
        /// What the first line held.
        found: String,
    },
    /// The file is not CSV text.
    #[error("The file could not be read as CSV: {0}")]
    Unreadable(String),
}

/// Parses an import file: header `nhs_number,type,start,end,la_code`, dates `YYYY-MM-DD`, `end`
/// empty while the plan or status continues, `type` one of `CPP`, `LAC`, `UNBORN_CPP`. Returns
/// the valid rows and a report of every invalid one; a bad row does not stop the rest.
pub fn parse_import_csv(bytes: &[u8]) -> Result<(Vec<ImportRow>, Vec<RowError>), ImportFileError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| ImportFileError::Unreadable(e.to_string()))?
        .clone();
    let names: Vec<String> = header.iter().map(|h| h.to_ascii_lowercase()).collect();
    if names != IMPORT_COLUMNS {
        return Err(ImportFileError::Header {
            found: header.iter().collect::<Vec<_>>().join(","),
        });
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError {
                    line,
                    column: "",
                    reason: format!("The line could not be read: {e}"),
                });
                continue;
            }
        };
        if record.len() != IMPORT_COLUMNS.len() {
            errors.push(RowError {
                line,
                column: "",
                reason: format!(
                    "The line has {} values; it needs 5: nhs_number,type,start,end,la_code",
                    record.len()
                ),
            });
            continue;
        }
        let cell = |n: usize| record.get(n).unwrap_or_default();
        let mut bad = |column: &'static str, reason: String| {
            errors.push(RowError {
                line,
                column,
                reason,
            })
        };
        let nhs = NhsNumber::parse(cell(0));
        let kind = FlagType::parse(cell(1));
        let start = parse_date(cell(2));
        let end = match cell(3) {
            "" => Ok(None),
            text => parse_date(text).map(Some),
        };
        let la_code = cell(4).to_owned();
        match (nhs, kind, start, end) {
            (Ok(nhs_number), Ok(kind), Ok(start), Ok(end)) => {
                if end.is_some_and(|e| e < start) {
                    bad(
                        "end",
                        "The end date must be on or after the start date".into(),
                    );
                } else if la_code.is_empty() {
                    bad(
                        "la_code",
                        "Enter the DfE code of the responsible local authority".into(),
                    );
                } else {
                    rows.push(ImportRow {
                        line,
                        nhs_number,
                        kind,
                        start,
                        end,
                        la_code,
                    });
                }
            }
            (nhs, kind, start, end) => {
                if let Err(e) = nhs {
                    bad("nhs_number", e.to_string());
                }
                if kind.is_err() {
                    bad(
                        "type",
                        format!(
                            "'{}' is not a flag type: use CPP, LAC or UNBORN_CPP",
                            cell(1)
                        ),
                    );
                }
                if let Err(e) = start {
                    bad("start", e);
                }
                if let Err(e) = end {
                    bad("end", e);
                }
            }
        }
    }
    Ok((rows, errors))
}

fn parse_date(text: &str) -> Result<Date, String> {
    if text.is_empty() {
        return Err("Enter a date as YYYY-MM-DD, like 2026-03-14".into());
    }
    text.parse::<Date>().map_err(|_| {
        format!("'{text}' is not a real date: write it as YYYY-MM-DD, like 2026-03-14")
    })
}

impl ImportRow {
    /// The flag this row gives for the LA `la`, unique on LA, NHS number, type and start, so the
    /// same file imported twice finds the same flags.
    pub fn to_flag(&self, la: &Agency, child: Option<ChildId>) -> Flag {
        Flag {
            id: FlagId::new(),
            nhs_number: self.nhs_number.clone(),
            kind: self.kind,
            start: self.start,
            end: self.end,
            expected_delivery: None,
            section: None,
            contact: LaContact::from(la),
            team: None,
            source: FlagSource::Imported,
            source_ref: format!(
                "import:{}:{}:{}:{}",
                la.id,
                self.nhs_number.as_str(),
                self.kind.code(),
                self.start
            ),
            child,
        }
    }
}

/// Writes flags as export CSV: `nhs_number,type,start,end,la_code,la_name`. Cells that a
/// spreadsheet would run as a formula are prefixed with `'` (architecture: guard CSV cells).
pub fn export_csv(flags: &[(Flag, Option<String>)]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["nhs_number", "type", "start", "end", "la_code", "la_name"])?;
    for (f, la_code) in flags {
        let end = f.end.map(|d| d.to_string()).unwrap_or_default();
        w.write_record([
            f.nhs_number.as_str().to_owned(),
            f.kind.code().to_owned(),
            f.start.to_string(),
            end,
            guard_cell(la_code.as_deref().unwrap_or_default()),
            guard_cell(&f.contact.name),
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

fn guard_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// The id of a case a derived flag came from, when it was derived from one.
pub fn source_case(source_ref: &str) -> Option<CaseId> {
    source_ref
        .strip_prefix("case:")
        .and_then(|rest| rest.split(':').next())
        .and_then(|id| id.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::CaseStep;
    use crate::codes::{ClosureReason, ConferenceKind, CpPlanEndReason, LegalStatus};
    use crate::model::{AgencyKind, Birth, ChildGroups, PersonName, Sex};
    use crate::{ScreeningOutcome, StrategyOutcome};
    use jiff::civil::date;
    use rstest::rstest;

    fn case_of(events: &[(Date, CaseEvent)]) -> Case {
        Case {
            id: CaseId::new(),
            version: 1,
            child: ChildId::new(),
            referral: None,
            referral_on: date(2025, 1, 6),
            state: CaseState::ReferralReceived,
            steps: events
                .iter()
                .map(|(on, event)| CaseStep {
                    on: *on,
                    event: *event,
                    note: String::new(),
                    category: None,
                    recorded_by: PractitionerId::new(),
                    recorded_at: Timestamp::UNIX_EPOCH,
                    record: None,
                })
                .collect(),
        }
    }

    fn to_plan() -> Vec<(Date, CaseEvent)> {
        vec![
            (
                date(2025, 1, 6),
                CaseEvent::Screened(ScreeningOutcome::StrategyDiscussion),
            ),
            (date(2025, 1, 7), StrategyOutcome::S47Enquiry.into()),
            (date(2025, 1, 15), CaseEvent::S47FoundContinuingRisk),
            (
                date(2025, 1, 27),
                CaseEvent::ConferenceHeld(ConferenceKind::Initial),
            ),
            (date(2025, 1, 27), CaseEvent::CpPlanStarted),
        ]
    }

    fn with(
        mut base: Vec<(Date, CaseEvent)>,
        more: &[(Date, CaseEvent)],
    ) -> Vec<(Date, CaseEvent)> {
        base.extend_from_slice(more);
        base
    }

    #[rstest]
    #[case::no_plan(vec![(date(2025, 1, 6), CaseEvent::Screened(ScreeningOutcome::Assessment))], vec![])]
    #[case::plan_continues(to_plan(), vec![(SpanKind::Plan, date(2025, 1, 27), None)])]
    #[case::plan_continues_through_a_review(
        with(to_plan(), &[
            (date(2025, 4, 25), CaseEvent::ConferenceHeld(ConferenceKind::Review)),
            (date(2025, 4, 25), CaseEvent::PlanContinued),
        ]),
        vec![(SpanKind::Plan, date(2025, 1, 27), None)]
    )]
    #[case::plan_ends_at_review(
        with(to_plan(), &[
            (date(2025, 4, 25), CaseEvent::ConferenceHeld(ConferenceKind::Review)),
            (date(2025, 4, 25), CaseEvent::CpPlanEnded(CpPlanEndReason::NoLongerAtRisk)),
        ]),
        vec![(SpanKind::Plan, date(2025, 1, 27), Some(date(2025, 4, 25)))]
    )]
    #[case::plan_then_care(
        with(to_plan(), &[
            (date(2025, 3, 3), CaseEvent::BecameLookedAfter(LegalStatus::InterimCareOrder)),
            (date(2025, 9, 1), CaseEvent::Closed(ClosureReason::ChildArrangementsOrder)),
        ]),
        vec![
            (SpanKind::Plan, date(2025, 1, 27), Some(date(2025, 3, 3))),
            (SpanKind::LookedAfter(LookedAfterSection::S38InterimCareOrder), date(2025, 3, 3), Some(date(2025, 9, 1))),
        ]
    )]
    #[case::s20_until_return_home(
        vec![
            (date(2025, 1, 6), CaseEvent::Screened(ScreeningOutcome::Assessment)),
            (date(2025, 2, 3), CaseEvent::BecameLookedAfter(LegalStatus::Section20Single)),
            (date(2025, 5, 1), CaseEvent::CinPlanStarted),
        ],
        vec![(SpanKind::LookedAfter(LookedAfterSection::S20Accommodation), date(2025, 2, 3), Some(date(2025, 5, 1)))]
    )]
    #[case::an_epo_is_not_shared(
        vec![
            (date(2025, 1, 6), CaseEvent::Screened(ScreeningOutcome::Assessment)),
            (date(2025, 2, 3), CaseEvent::BecameLookedAfter(LegalStatus::EmergencyProtectionOrder)),
        ],
        vec![]
    )]
    fn spans_follow_the_journey(
        #[case] events: Vec<(Date, CaseEvent)>,
        #[case] expected: Vec<(SpanKind, Date, Option<Date>)>,
    ) {
        let case = case_of(&events);
        let got: Vec<_> = case_spans(&case)
            .into_iter()
            .map(|s| (s.kind, s.start, s.end))
            .collect();
        assert_eq!(got, expected);
    }

    fn la() -> Agency {
        Agency {
            id: AgencyId::new(),
            kind: AgencyKind::LocalAuthority,
            name: "Northmoor Borough Council".into(),
            ods_code: None,
            urn: None,
            la_code: Some("999".into()),
            phone: Some("01632 960000".into()),
            out_of_hours_phone: Some("01632 960999".into()),
        }
    }

    fn child(birth: Birth, nhs: Option<&str>) -> Child {
        Child {
            id: ChildId::new(),
            name: PersonName {
                given: "Test".into(),
                family: "Child".into(),
            },
            aliases: vec![],
            former_names: vec![],
            birth,
            sex: Sex::Unknown,
            nhs_number: nhs.map(|n| NhsNumber::parse(n).unwrap()),
            upn: None,
            addresses: vec![],
            responsible_la: None,
            school: None,
            ethnicity: None,
            first_language: None,
            groups: ChildGroups::default(),
        }
    }

    #[test]
    fn a_plan_is_cpp_on_the_childs_number_and_unborn_cpp_on_the_mothers() {
        let la = la();
        let spans = case_spans(&case_of(&to_plan()));
        let born = child(Birth::Born(date(2020, 1, 1)), Some("9434765919"));
        let d = derive_flags(
            ChildFlagFacts {
                child: &born,
                mother_nhs: None,
                la: Some(&la),
                team: Some("Team 1"),
            },
            &spans,
        );
        assert_eq!(d.flags.len(), 1);
        let f = &d.flags[0];
        assert_eq!(
            (f.kind, f.nhs_number.as_str(), f.child),
            (FlagType::ChildProtectionPlan, "9434765919", Some(born.id))
        );
        assert_eq!(f.contact.emergency_phone.as_deref(), Some("01632 960999"));
        assert_eq!(f.team.as_deref(), Some("Team 1"));

        let mother = NhsNumber::parse("9990000018").unwrap();
        let unborn = child(Birth::Expected(date(2026, 3, 1)), None);
        let d = derive_flags(
            ChildFlagFacts {
                child: &unborn,
                mother_nhs: Some(&mother),
                la: Some(&la),
                team: None,
            },
            &spans,
        );
        let f = &d.flags[0];
        assert_eq!(f.kind, FlagType::UnbornChildProtectionPlan);
        assert_eq!(f.nhs_number, mother);
        assert_eq!(f.expected_delivery, Some(date(2026, 3, 1)));
    }

    #[test]
    fn a_child_without_an_nhs_number_or_la_is_counted_not_flagged() {
        let la = la();
        let spans = case_spans(&case_of(&to_plan()));
        let none = child(Birth::Born(date(2020, 1, 1)), None);
        let d = derive_flags(
            ChildFlagFacts {
                child: &none,
                mother_nhs: None,
                la: Some(&la),
                team: None,
            },
            &spans,
        );
        assert!(d.flags.is_empty());
        assert_eq!(d.unflagged[0].1, Unflagged::NoNhsNumber);
        let with = child(Birth::Born(date(2020, 1, 1)), Some("9434765919"));
        let d = derive_flags(
            ChildFlagFacts {
                child: &with,
                mother_nhs: None,
                la: None,
                team: None,
            },
            &spans,
        );
        assert_eq!(d.unflagged[0].1, Unflagged::NoLocalAuthority);
    }

    #[rstest]
    #[case::current(None, date(2026, 6, 1), true)]
    #[case::ended_yesterday(Some(date(2026, 5, 31)), date(2026, 6, 1), true)]
    #[case::last_day(Some(date(2025, 6, 1)), date(2026, 6, 1), true)]
    #[case::a_day_too_late(Some(date(2025, 5, 31)), date(2026, 6, 1), false)]
    fn an_ended_flag_is_visible_for_twelve_months(
        #[case] end: Option<Date>,
        #[case] today: Date,
        #[case] visible: bool,
    ) {
        let la = la();
        let mut f = ImportRow {
            line: 2,
            nhs_number: NhsNumber::parse("9434765919").unwrap(),
            kind: FlagType::ChildProtectionPlan,
            start: date(2024, 1, 1),
            end,
            la_code: "999".into(),
        }
        .to_flag(&la, None);
        let months = rule(RuleId::T14FlagVisibleAfterEnd).amount;
        assert_eq!(months, 12);
        assert_eq!(f.visible_on(today, months), visible);
        // A partnership that configures 3 months sees ended flags for less time.
        f.end = Some(date(2026, 2, 28));
        assert!(!f.visible_on(today, 3));
        assert!(f.visible_on(today, 4));
    }

    #[test]
    fn advice_says_whom_to_call_and_whether_the_la_was_told() {
        let la = la();
        let spans = case_spans(&case_of(&to_plan()));
        let c = child(Birth::Born(date(2020, 1, 1)), Some("9434765919"));
        let f = derive_flags(
            ChildFlagFacts {
                child: &c,
                mother_nhs: None,
                la: Some(&la),
                team: None,
            },
            &spans,
        )
        .flags
        .remove(0);
        let a = f.advice(date(2026, 1, 1), CareSetting::Unscheduled);
        assert!(
            a.contains("01632 960000") && a.contains("01632 960999"),
            "{a}"
        );
        assert!(a.contains("has been told"), "{a}");
        let a = f.advice(date(2026, 1, 1), CareSetting::Scheduled);
        assert!(a.contains("has not been told"), "{a}");
    }

    #[test]
    fn the_import_reports_each_bad_row_with_its_line_and_reason() {
        let file = "nhs_number,type,start,end,la_code\n\
                    943 476 5919,CPP,2025-01-27,,999\n\
                    9434765918,CPP,2025-01-27,,999\n\
                    9434765919,XYZ,2025-01-27,,999\n\
                    9434765919,LAC,2025-02-30,,999\n\
                    9434765919,LAC,2025-03-01,2025-02-01,999\n\
                    9434765919,LAC\n\
                    9990000018,UNBORN_CPP,2025-03-01,2025-06-01,999\n";
        let (rows, errors) = parse_import_csv(file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[1].kind, FlagType::UnbornChildProtectionPlan);
        let got: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.column)).collect();
        assert_eq!(
            got,
            vec![
                (3, "nhs_number"),
                (4, "type"),
                (5, "start"),
                (6, "end"),
                (7, "")
            ]
        );
        assert!(errors[1].reason.contains("use CPP, LAC or UNBORN_CPP"));
        assert!(errors[2].reason.contains("YYYY-MM-DD"));
    }

    #[test]
    fn a_file_without_the_header_is_refused_whole() {
        let err = parse_import_csv(b"nhs,kind\n1,2\n").unwrap_err();
        assert!(
            err.to_string()
                .contains("nhs_number,type,start,end,la_code")
        );
    }

    #[test]
    fn the_same_row_gives_the_same_source_ref_and_exports_guard_formulas() {
        let mut la = la();
        let row = ImportRow {
            line: 2,
            nhs_number: NhsNumber::parse("9434765919").unwrap(),
            kind: FlagType::LookedAfter,
            start: date(2025, 1, 1),
            end: None,
            la_code: "999".into(),
        };
        assert_eq!(
            row.to_flag(&la, None).source_ref,
            row.to_flag(&la, None).source_ref
        );
        la.name = "=HYPERLINK(\"x\")".into();
        let out = export_csv(&[(row.to_flag(&la, None), Some("999".into()))]).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("9434765919,LAC,2025-01-01,,999,\"'=HYPERLINK"),
            "{text}"
        );
    }
}
