//! A looked-after episode: the period a child is in the care of, or accommodated by, the local
//! authority, as the SSDA903 return records it (spec §1.9 and §7.2, table "Episodes": `DECOM`,
//! `RNE`, `LS`, `CIN`, `PLACE`, `PLACE_PROVIDER`, `PL_POST`, `DEC`, `REC`), with its placement
//! changes as dated sub-periods, its reviews and the review clock T13.
//!
//! One [`LookedAfterEpisode`] here is one *period of care*: from the day the child started to be
//! looked after (`DECOM` of its first 903 row, `RNE` = S) to the day it ceased (`DEC`, with
//! `REC`). Each change of legal status or placement inside it is an [`EpisodePeriod`], one 903
//! episode row, whose `RNE` (L, P, T, B or U) says what changed ([`reason_for_change`]).
//!
//! The code sets are the SSDA903 schema's (`data/ssda903/`, copied from
//! `shared/data/dfe-returns/ssda903-schema/`: the 2017 schema with the 2019 and 2026 changes);
//! a test checks them against it. The schema carries codes only: labels follow the DfE's
//! "Children looked after return: guide" code tables. Labels marked "(label to check)" in a doc
//! comment are newer codes whose published wording was not to hand.
//!
//! [`looked_after_on`] is the pure question the CP-IS flags ask: on a given day, is the child
//! looked after, under which legal status, and under which section CP-IS shares (s31 = C2,
//! s38 = C1, s20 = V2/V3/V4; spec §6.1).

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::case::{CaseClock, CaseId};
use crate::clocks::{self, clock_status};
use crate::coded::coded_enum;
use crate::codes::{LegalStatus, LookedAfterSection, PrimaryNeed};
use crate::ids::{ChildId, Id, PractitionerId};
use crate::postcode::Postcode;
use crate::timescales::RuleId;
use crate::validate::{FieldError, Period, PlanKind, check_not_in_future, check_plan_dates};

/// Marker for [`LookedAfterId`].
#[derive(Debug)]
pub enum LookedAfterKind {}

/// Identifies a looked-after episode (period of care).
pub type LookedAfterId = Id<LookedAfterKind>;

coded_enum! {
    /// Why a new SSDA903 episode row started: `RNE` (SSDA903 schema, episodes `RNE`).
    ReasonNewEpisode, "reason for new episode" {
        /// S: the first row of a period of care.
        Started => "S", "Started to be looked after";
        /// L.
        LegalStatusOnly => "L", "Change of legal status only";
        /// P.
        PlacementAndCarer => "P", "Change of placement and carer(s) only";
        /// T.
        PlacementSameCarer => "T", "Change of placement (but same carer(s)) only";
        /// B.
        LegalStatusPlacementAndCarer => "B", "Change of legal status and placement and carer(s) at the same time";
        /// U.
        LegalStatusAndPlacementSameCarer => "U", "Change of legal status and change of placement (but same carer(s)) at the same time";
    }
}

coded_enum! {
    /// The type of placement: `PLACE` (SSDA903 schema 2026-27; H5 and P2 left the list in
    /// 2025-26, K3 joined it, Z11 to Z14 joined in 2026-27).
    PlacementType, "placement type" {
        /// A3.
        AdoptionConsentCurrentCarer => "A3", "Placed for adoption with parental consent, with current foster carer(s)";
        /// A4.
        AdoptionConsentOtherCarer => "A4", "Placed for adoption with parental consent, not with current foster carer(s)";
        /// A5.
        AdoptionOrderCurrentCarer => "A5", "Placed for adoption with a placement order, with current foster carer(s)";
        /// A6.
        AdoptionOrderOtherCarer => "A6", "Placed for adoption with a placement order, not with current foster carer(s)";
        /// K1.
        SecureChildrensHome => "K1", "Secure children's home";
        /// K2.
        ChildrensHome => "K2", "Children's home subject to the Children's Homes Regulations";
        /// K3 (label to check).
        ChildrensHomeOther => "K3", "Children's home (K3)";
        /// P1.
        WithParents => "P1", "Placed with own parent(s) or other person(s) with parental responsibility";
        /// P3.
        ResidentialEmployment => "P3", "Residential employment";
        /// R1.
        ResidentialCareHome => "R1", "Residential care home";
        /// R2.
        NhsEstablishment => "R2", "NHS or health trust establishment providing medical or nursing care";
        /// R3.
        FamilyCentre => "R3", "Family centre or mother and baby unit";
        /// R5.
        YoungOffenderInstitution => "R5", "Young offender institution";
        /// S1.
        ResidentialSchool => "S1", "Residential school (not dual-registered as a children's home)";
        /// T0.
        TemporaryMove => "T0", "Temporary move of any type";
        /// T1.
        TemporaryHospital => "T1", "Temporary period in hospital";
        /// T2.
        TemporaryHoliday => "T2", "Temporary absence on holiday";
        /// T3.
        TemporaryCarerHoliday => "T3", "Temporary accommodation while the usual foster carer(s) are on holiday";
        /// T4.
        TemporaryShortStay => "T4", "Temporary accommodation of seven days or less not covered by T1 to T3";
        /// U1.
        FosterRelativeLongTerm => "U1", "Foster placement with relative(s) or friend(s): long-term fostering";
        /// U2.
        FosterRelativeFfa => "U2", "Foster placement with relative(s) or friend(s) who are also approved adopters (fostering for adoption)";
        /// U3.
        FosterRelativeOther => "U3", "Foster placement with relative(s) or friend(s): not long-term or fostering for adoption";
        /// U4.
        FosterOtherLongTerm => "U4", "Foster placement with other foster carer(s): long-term fostering";
        /// U5.
        FosterOtherFfa => "U5", "Foster placement with other foster carer(s) who are also approved adopters (fostering for adoption)";
        /// U6.
        FosterOther => "U6", "Foster placement with other foster carer(s): not long-term or fostering for adoption";
        /// Z1.
        Other => "Z1", "Other placement";
        /// Z11 (label to check).
        OtherZ11 => "Z11", "Other placement (Z11)";
        /// Z12 (label to check).
        OtherZ12 => "Z12", "Other placement (Z12)";
        /// Z13 (label to check).
        OtherZ13 => "Z13", "Other placement (Z13)";
        /// Z14 (label to check).
        OtherZ14 => "Z14", "Other placement (Z14)";
    }
}

coded_enum! {
    /// Who provides the placement: `PLACE_PROVIDER` (SSDA903 schema).
    PlacementProvider, "placement provider" {
        /// PR0.
        Parents => "PR0", "Parent(s) or other person(s) with parental responsibility";
        /// PR1.
        OwnLa => "PR1", "Own local authority provision";
        /// PR2.
        OtherLa => "PR2", "Other local authority provision";
        /// PR3.
        OtherPublic => "PR3", "Other public provision";
        /// PR4.
        Private => "PR4", "Private provision";
        /// PR5.
        Voluntary => "PR5", "Voluntary or third sector provision";
    }
}

coded_enum! {
    /// Why a placement changed: `REASON_PLACE_CHANGE` (SSDA903 schema 2019 onwards).
    ReasonPlaceChange, "reason for placement change" {
        /// CARPL.
        CarePlan => "CARPL", "Change to or implementation of the care plan";
        /// CLOSE.
        ProviderClosed => "CLOSE", "Resignation or closure of the provision";
        /// ALLEG.
        Allegation => "ALLEG", "Allegation (section 47)";
        /// STAND.
        StandardsOfCare => "STAND", "Standards of care concern";
        /// APPRR.
        ApprovalRemoved => "APPRR", "Approval removed";
        /// CREQB.
        CarerRequestBehaviour => "CREQB", "Carer(s) asked for the placement to end because of the child's behaviour";
        /// CREQO.
        CarerRequestOther => "CREQO", "Carer(s) asked for the placement to end for another reason";
        /// CHILD.
        ChildRequest => "CHILD", "Child asked for the placement to end";
        /// LAREQ.
        LaRequest => "LAREQ", "Responsible or area authority asked for the placement to end";
        /// PLACE.
        StatusOfPlacementOnly => "PLACE", "Change in the status of the placement only";
        /// CUSTOD.
        Custody => "CUSTOD", "Custody arrangement";
        /// OTHER.
        Other => "OTHER", "Other";
    }
}

coded_enum! {
    /// Why the period of care ended: `REC` (SSDA903 schema 2019 onwards).
    ReasonEpisodeCeased, "reason episode ceased" {
        /// X1: only for a change inside a period of care, never for its end (see
        /// [`LookedAfterEpisode::end`]).
        NewEpisodeSameDay => "X1", "Episode ceases and a new episode begins on the same day";
        /// E11.
        AdoptedUnopposed => "E11", "Adopted: application for an adoption order unopposed";
        /// E12.
        AdoptedConsentDispensed => "E12", "Adopted: consent dispensed with by the court";
        /// E2.
        Died => "E2", "Died";
        /// E3.
        CareTakenOverByAnotherLa => "E3", "Care taken over by another local authority in the UK";
        /// E4A.
        ReturnedHomePlanned => "E4A", "Returned home to parent(s) or others with parental responsibility, as part of the care plan";
        /// E4B.
        ReturnedHomeUnplanned => "E4B", "Returned home to parent(s) or others with parental responsibility, not as part of the care plan";
        /// E13.
        LeftToLiveWithoutPr => "E13", "Left care to live with parent(s), relative(s) or others with no parental responsibility";
        /// E41.
        ChildArrangementsOrder => "E41", "Child arrangements order (residence) granted";
        /// E45.
        SgoFormerFosterRelative => "E45", "Special guardianship order to former foster carer(s) who are relatives or friends";
        /// E46.
        SgoFormerFosterOther => "E46", "Special guardianship order to former foster carer(s) other than relatives or friends";
        /// E47.
        SgoCarerRelative => "E47", "Special guardianship order to carer(s), not former foster carers, who are relatives or friends";
        /// E48.
        SgoCarerOther => "E48", "Special guardianship order to carer(s), not former foster carers, other than relatives or friends";
        /// E5.
        IndependentLivingSupported => "E5", "Moved into independent living with formal advice or support";
        /// E6.
        IndependentLivingUnsupported => "E6", "Moved into independent living without formal advice or support";
        /// E7.
        AdultResidentialCare => "E7", "Transferred to residential care funded by adult social care";
        /// E9.
        SentencedToCustody => "E9", "Sentenced to custody";
        /// E14.
        RemandEnded => "E14", "Accommodation on remand ended";
        /// E15.
        AgeAssessedAdult => "E15", "Age assessment found the child to be 18 or over";
        /// E16.
        MovedAbroad => "E16", "Child moved abroad";
        /// E17.
        StayingPut => "E17", "Aged 18 or over and stayed with current carers (including staying put)";
        /// E8.
        Other => "E8", "Ceased to be looked after for any other reason";
    }
}

/// A DfE local authority code (three digits, e.g. `999`), as the 903 `PL_LA` column takes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LaCode(String);

impl LaCode {
    /// Reads a three-digit DfE LA code.
    pub fn parse(s: &str) -> Result<LaCode, FieldError> {
        let s = s.trim();
        if s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(LaCode(s.to_owned()))
        } else {
            Err(field(
                "placement_la",
                "Enter the local authority's three-digit DfE code, for example 999",
            ))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for LaCode {
    type Error = FieldError;
    fn try_from(s: String) -> Result<LaCode, FieldError> {
        LaCode::parse(&s)
    }
}

impl From<LaCode> for String {
    fn from(c: LaCode) -> String {
        c.0
    }
}

impl std::fmt::Display for LaCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where and with whom the child is placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    /// `PLACE`.
    pub kind: PlacementType,
    /// `PLACE_PROVIDER` (may be blank in the 903, e.g. for some temporary moves).
    pub provider: Option<PlacementProvider>,
    /// `PL_POST`: the placement's postcode, if it may be recorded.
    pub postcode: Option<Postcode>,
    /// `PL_LA`: the local authority the placement is in.
    pub la: Option<LaCode>,
}

impl Placement {
    /// One line for pages and the chronology (no address: only the type and the provider).
    pub fn summary(&self) -> String {
        match self.provider {
            Some(p) => format!("{} ({})", self.kind.label(), p.label()),
            None => self.kind.label().to_owned(),
        }
    }
}

/// One 903 episode row inside the period of care: from `from`, this legal status and this
/// placement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpisodePeriod {
    /// `DECOM` of this row.
    pub from: Date,
    /// `RNE`: S for the first, then what changed.
    pub reason: ReasonNewEpisode,
    /// `LS`.
    pub legal_status: LegalStatus,
    /// `PLACE`, `PLACE_PROVIDER`, `PL_POST`, `PL_LA`.
    pub placement: Placement,
    /// `REASON_PLACE_CHANGE`, when the placement changed.
    pub change_reason: Option<ReasonPlaceChange>,
    /// Who recorded it.
    pub recorded_by: PractitionerId,
    /// When.
    pub recorded_at: Timestamp,
}

/// A looked-after child review (Care Planning, Placement and Case Review (England)
/// Regulations 2010 reg 33).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LacReview {
    /// The day it was held.
    pub on: Date,
    /// What it decided, in a line or two.
    pub note: String,
    /// Who recorded it.
    pub recorded_by: PractitionerId,
    /// When.
    pub recorded_at: Timestamp,
}

/// How the period of care ended: `DEC` and `REC`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpisodeEnd {
    /// `DEC`: the day the child ceased to be looked after.
    pub on: Date,
    /// `REC`.
    pub reason: ReasonEpisodeCeased,
    /// Who recorded it.
    pub recorded_by: PractitionerId,
}

/// A period of care.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookedAfterEpisode {
    /// Id.
    pub id: LookedAfterId,
    /// The child.
    pub child: ChildId,
    /// The case the child became looked after on (its `BecameLookedAfter` step).
    pub case: Option<CaseId>,
    /// Optimistic version: each save increments it; a save from an older version is refused.
    pub version: u32,
    /// `CIN`: the category of need, N1 to N8.
    pub need: PrimaryNeed,
    /// The rows of the period, oldest first; never empty, the first starts the period.
    pub periods: Vec<EpisodePeriod>,
    /// Reviews held, oldest first.
    pub reviews: Vec<LacReview>,
    /// The end, once it has ended.
    pub end: Option<EpisodeEnd>,
}

/// What is entered to start a period of care or change its placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodInput {
    /// The day it starts (or the change takes effect).
    pub on: Date,
    /// The legal status from that day.
    pub legal_status: LegalStatus,
    /// The placement from that day.
    pub placement: Placement,
}

/// What is entered to change the placement or legal status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeInput {
    /// The new row.
    pub period: PeriodInput,
    /// Whether the carer(s) changed too.
    pub carer_changed: bool,
    /// Why the placement changed (required when it did).
    pub reason: Option<ReasonPlaceChange>,
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

/// The `RNE` of a change inside a period of care, from what changed; `None` when nothing did.
///
/// | legal status | placement | carer | RNE |
/// |---|---|---|---|
/// | changed | same | same | L |
/// | same | changed or same | changed | P |
/// | same | changed | same | T |
/// | changed | changed or same | changed | B |
/// | changed | changed | same | U |
pub fn reason_for_change(
    status_changed: bool,
    placement_changed: bool,
    carer_changed: bool,
) -> Option<ReasonNewEpisode> {
    use ReasonNewEpisode as R;
    match (status_changed, placement_changed, carer_changed) {
        (false, false, false) => None,
        (true, false, false) => Some(R::LegalStatusOnly),
        (false, _, true) => Some(R::PlacementAndCarer),
        (false, true, false) => Some(R::PlacementSameCarer),
        (true, _, true) => Some(R::LegalStatusPlacementAndCarer),
        (true, true, false) => Some(R::LegalStatusAndPlacementSameCarer),
    }
}

impl LookedAfterEpisode {
    /// Starts a period of care on `input.on`, checked against the child's other periods: a
    /// child is in at most one period of care at a time (SSDA903: episodes of one child never
    /// overlap), and the category of need is one the 903 collects (N1 to N8).
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        id: LookedAfterId,
        child: ChildId,
        case: Option<CaseId>,
        need: PrimaryNeed,
        input: PeriodInput,
        others: &[LookedAfterEpisode],
        today: Date,
        by: PractitionerId,
        at: Timestamp,
    ) -> Result<LookedAfterEpisode, FieldError> {
        // SSDA903 `CIN` takes N1 to N8 only (schema episodes `CIN`).
        if matches!(need, PrimaryNeed::OtherThanInNeed | PrimaryNeed::NotStated) {
            return Err(field(
                "need",
                "Select the category of need, N1 to N8: the looked-after return does not take N9 or N0",
            ));
        }
        check_not_in_future(
            "start_date-day",
            "The date the child started to be looked after",
            input.on,
            today,
        )?;
        for other in others.iter().filter(|o| o.child == child && o.id != id) {
            match other.end.as_ref() {
                None => {
                    return Err(field(
                        "start_date-day",
                        format!(
                            "The child is already looked after, since {}. End that episode before starting another, or record a change of placement on it",
                            long_date(other.started_on())
                        ),
                    ));
                }
                Some(end) if other.period().covers(input.on) => {
                    return Err(field(
                        "start_date-day",
                        format!(
                            "The child was looked after from {} to {}: a new episode must start on or after {}",
                            long_date(other.started_on()),
                            long_date(end.on),
                            long_date(end.on)
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(LookedAfterEpisode {
            id,
            child,
            case,
            version: 1,
            need,
            periods: vec![EpisodePeriod {
                from: input.on,
                reason: ReasonNewEpisode::Started,
                legal_status: input.legal_status,
                placement: input.placement,
                change_reason: None,
                recorded_by: by,
                recorded_at: at,
            }],
            reviews: Vec::new(),
            end: None,
        })
    }

    /// `DECOM` of the period: the day the child started to be looked after.
    pub fn started_on(&self) -> Date {
        self.periods.first().map_or(Date::MIN, |p| p.from)
    }

    /// The span of the period of care (the end day is the first day no longer looked after).
    pub fn period(&self) -> Period {
        Period {
            start: self.started_on(),
            end: self.end.as_ref().map(|e| e.on),
        }
    }

    /// The current (last) row.
    pub fn current(&self) -> Option<&EpisodePeriod> {
        self.periods.last()
    }

    /// Whether the period of care has not ended.
    pub fn is_open(&self) -> bool {
        self.end.is_none()
    }

    /// The row in force on `d`, if the child was looked after that day.
    pub fn period_on(&self, d: Date) -> Option<&EpisodePeriod> {
        if !self.period().covers(d) {
            return None;
        }
        self.periods.iter().rev().find(|p| p.from <= d)
    }

    fn open_or(&self, field_name: &'static str, what: &str) -> Result<(), FieldError> {
        match &self.end {
            None => Ok(()),
            Some(end) => Err(field(
                field_name,
                format!(
                    "This episode ended on {}: {what} must be within the episode",
                    long_date(end.on)
                ),
            )),
        }
    }

    /// Records a change of placement or legal status from `input.period.on`: inside the open
    /// episode, after the last change, with the reason the 903 asks for when the placement
    /// changed.
    pub fn change(
        &mut self,
        input: ChangeInput,
        today: Date,
        by: PractitionerId,
        at: Timestamp,
    ) -> Result<ReasonNewEpisode, FieldError> {
        self.open_or("change_date-day", "a placement change")?;
        check_not_in_future(
            "change_date-day",
            "The date of the change",
            input.period.on,
            today,
        )?;
        let Some(current) = self.current().cloned() else {
            return Err(field(
                "change_date-day",
                "This episode has no placement yet",
            ));
        };
        if input.period.on <= current.from {
            return Err(field(
                "change_date-day",
                format!(
                    "A change must be after the episode's start or its last change, {}: the change must fall inside the episode",
                    long_date(current.from)
                ),
            ));
        }
        let placement_changed = input.period.placement != current.placement;
        let Some(rne) = reason_for_change(
            input.period.legal_status != current.legal_status,
            placement_changed,
            input.carer_changed,
        ) else {
            return Err(field(
                "legal_status",
                "Nothing has changed: change the legal status or the placement, or say the carer changed",
            ));
        };
        let moves = placement_changed || input.carer_changed;
        match (moves, input.reason) {
            (true, None) => {
                return Err(field("change_reason", "Select why the placement changed"));
            }
            (false, Some(_)) => {
                return Err(field(
                    "change_reason",
                    "Only a change of placement has a reason for the change: leave it blank when only the legal status changed",
                ));
            }
            _ => {}
        }
        self.periods.push(EpisodePeriod {
            from: input.period.on,
            reason: rne,
            legal_status: input.period.legal_status,
            placement: input.period.placement,
            change_reason: input.reason,
            recorded_by: by,
            recorded_at: at,
        });
        Ok(rne)
    }

    /// Records a review held on `on`: after the day the child became looked after (the 903
    /// `REVIEW` date, like CIN rule 8841 for plans), inside the episode, once a day.
    pub fn record_review(
        &mut self,
        on: Date,
        note: String,
        today: Date,
        by: PractitionerId,
        at: Timestamp,
    ) -> Result<(), FieldError> {
        check_not_in_future("review_date-day", "The date of the review", on, today)?;
        if on <= self.started_on() {
            return Err(field(
                "review_date-day",
                format!(
                    "The review date must be after the day the child became looked after, {}",
                    long_date(self.started_on())
                ),
            ));
        }
        if let Some(end) = &self.end
            && on > end.on
        {
            return Err(field(
                "review_date-day",
                format!(
                    "This episode ended on {}: the review must be on or before that day",
                    long_date(end.on)
                ),
            ));
        }
        if self.reviews.iter().any(|r| r.on == on) {
            return Err(field(
                "review_date-day",
                format!("A review on {} is already recorded", long_date(on)),
            ));
        }
        self.reviews.push(LacReview {
            on,
            note: note.trim().to_owned(),
            recorded_by: by,
            recorded_at: at,
        });
        self.reviews.sort_by_key(|r| r.on);
        Ok(())
    }

    /// Ends the period of care on `on` (`DEC`) for `reason` (`REC`): on or after its last
    /// change, not in the future, never with X1 (a change inside a period is a placement change
    /// here).
    pub fn end(
        &mut self,
        on: Date,
        reason: ReasonEpisodeCeased,
        today: Date,
        by: PractitionerId,
    ) -> Result<(), FieldError> {
        self.open_or("end_date-day", "its end")?;
        if reason == ReasonEpisodeCeased::NewEpisodeSameDay {
            return Err(field(
                "end_reason",
                "X1 is for a change inside the period of care: record a change of placement or legal status instead",
            ));
        }
        check_plan_dates(PlanKind::LookedAfter, Period::closed(self.started_on(), on)).map_err(
            |e| FieldError {
                field: "end_date-day",
                ..e
            },
        )?;
        check_not_in_future("end_date-day", "The end date", on, today)?;
        if let Some(last) = self.current()
            && on < last.from
        {
            return Err(field(
                "end_date-day",
                format!(
                    "The end date must be on or after the last change of placement, {}",
                    long_date(last.from)
                ),
            ));
        }
        if let Some(review) = self.reviews.last()
            && on < review.on
        {
            return Err(field(
                "end_date-day",
                format!(
                    "The end date must be on or after the last review, {}",
                    long_date(review.on)
                ),
            ));
        }
        self.end = Some(EpisodeEnd {
            on,
            reason,
            recorded_by: by,
        });
        Ok(())
    }

    /// The review clocks (T13): the first review within 20 working days of becoming looked
    /// after, the second within 3 months of the first, then every 6 months, each with its
    /// status as of `today`. Once the episode has ended no further review is due.
    pub fn clocks(&self, today: Date, cal: &Calendar) -> Vec<CaseClock> {
        let mut out = Vec::new();
        let start = self.started_on();
        let mut previous: Option<Date> = None;
        for (i, review) in self.reviews.iter().enumerate() {
            let (rule, label, due) = review_rule(i, start, previous, cal);
            out.push(CaseClock {
                rule,
                label,
                due,
                done_on: Some(review.on),
                status: clock_status(due, today, Some(review.on)),
                due_at: None,
            });
            previous = Some(review.on);
        }
        let (rule, label, due) = review_rule(self.reviews.len(), start, previous, cal);
        // Once the episode has ended no further review is due, unless it fell due before the
        // end and was missed: that one is kept, overdue as of the end.
        let as_of = match &self.end {
            None => Some(today),
            Some(end) if due < end.on => Some(end.on),
            Some(_) => None,
        };
        if let Some(as_of) = as_of {
            out.push(CaseClock {
                rule,
                label,
                due,
                done_on: None,
                status: clock_status(due, as_of, None),
                due_at: None,
            });
        }
        out
    }
}

/// The rule, label and due date of review number `index` (0 = the first).
fn review_rule(
    index: usize,
    start: Date,
    previous: Option<Date>,
    cal: &Calendar,
) -> (RuleId, &'static str, Date) {
    match (index, previous) {
        (0, _) | (_, None) => (
            RuleId::T13LacFirstReview,
            "First looked-after child review",
            clocks::lac_first_review_due(start, cal),
        ),
        (1, Some(first)) => (
            RuleId::T13LacSecondReview,
            "Second looked-after child review",
            clocks::lac_second_review_due(first, cal),
        ),
        (_, Some(last)) => (
            RuleId::T13LacLaterReview,
            "Looked-after child review",
            clocks::lac_later_review_due(last, cal),
        ),
    }
}

/// Whether a child was looked after on a day, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LookedAfterStatus {
    /// The period of care.
    pub episode: LookedAfterId,
    /// The legal status that day.
    pub legal_status: LegalStatus,
    /// The section CP-IS shares it under (s31, s38 or s20), if it is one CP-IS shares.
    pub section: Option<LookedAfterSection>,
}

/// Whether any of a child's periods of care was open on `d`, under which legal status and for
/// CP-IS under which section (C2 = s31, C1 = s38, V2/V3/V4 = s20; spec §1.9 and §6.1). The
/// day a period ends (`DEC`) the child is no longer looked after.
pub fn looked_after_on(episodes: &[LookedAfterEpisode], d: Date) -> Option<LookedAfterStatus> {
    episodes.iter().find_map(|e| {
        e.period_on(d).map(|p| LookedAfterStatus {
            episode: e.id,
            legal_status: p.legal_status,
            section: p.legal_status.cp_is_section(),
        })
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::clocks::ClockStatus;
    use jiff::civil::date;
    use rstest::rstest;

    fn placement(kind: PlacementType) -> Placement {
        Placement {
            kind,
            provider: Some(PlacementProvider::OwnLa),
            postcode: Postcode::parse("NM1 2AB").ok(),
            la: LaCode::parse("999").ok(),
        }
    }

    fn start_on(on: Date, status: LegalStatus) -> LookedAfterEpisode {
        LookedAfterEpisode::start(
            LookedAfterId::new(),
            ChildId::new(),
            None,
            PrimaryNeed::AbuseOrNeglect,
            PeriodInput {
                on,
                legal_status: status,
                placement: placement(PlacementType::FosterOther),
            },
            &[],
            date(2026, 12, 31),
            PractitionerId::new(),
            Timestamp::UNIX_EPOCH,
        )
        .unwrap()
    }

    fn change(on: Date, status: LegalStatus, kind: PlacementType, carer: bool) -> ChangeInput {
        ChangeInput {
            period: PeriodInput {
                on,
                legal_status: status,
                placement: placement(kind),
            },
            carer_changed: carer,
            reason: (carer || kind != PlacementType::FosterOther)
                .then_some(ReasonPlaceChange::CarePlan),
        }
    }

    /// The codes listed under `header` (e.g. `      RNE:` or a diff key), in order.
    fn schema_codes(text: &str, header: &str) -> Vec<String> {
        let start = text
            .find(header)
            .unwrap_or_else(|| panic!("{header} missing"));
        let body = &text[start + header.len()..];
        let mut out = Vec::new();
        for line in body.lines().skip(1) {
            let t = line.trim();
            if let Some(code) = t.strip_prefix("- code: \"") {
                out.push(code.trim_end_matches('"').to_owned());
            } else if t.starts_with("canbeblank") || !line.starts_with(' ') {
                break;
            }
        }
        out
    }

    const Y2017: &str = include_str!("../data/ssda903/SSDA903_schema_2017.yml");
    const Y2019: &str = include_str!("../data/ssda903/SSDA903_schema_2019.diff.yml");
    const Y2026: &str = include_str!("../data/ssda903/SSDA903_schema_2026.diff.yml");

    fn ours<T: Copy>(all: &[T], code: fn(T) -> &'static str) -> Vec<String> {
        all.iter().map(|c| code(*c).to_owned()).collect()
    }

    #[rstest]
    #[case::rne(
        Y2017,
        "      RNE:",
        ours(ReasonNewEpisode::ALL, ReasonNewEpisode::code)
    )]
    #[case::provider(
        Y2017,
        "      PLACE_PROVIDER:",
        ours(PlacementProvider::ALL, PlacementProvider::code)
    )]
    #[case::place(
        Y2026,
        "column_map.episodes.PLACE.category:",
        ours(PlacementType::ALL, PlacementType::code)
    )]
    #[case::rec(
        Y2019,
        "column_map.episodes.REC.category:",
        ours(ReasonEpisodeCeased::ALL, ReasonEpisodeCeased::code)
    )]
    #[case::place_change(
        Y2019,
        "column_map.episodes.REASON_PLACE_CHANGE.category:",
        ours(ReasonPlaceChange::ALL, ReasonPlaceChange::code)
    )]
    fn ssda903_codes_are_exactly_the_schema_in_order(
        #[case] text: &str,
        #[case] header: &str,
        #[case] ours: Vec<String>,
    ) {
        assert_eq!(ours, schema_codes(text, header));
    }

    #[test]
    fn legal_status_and_need_match_the_schema() {
        let mut ls = schema_codes(Y2017, "      LS:");
        ls.sort();
        let mut mine = ours(LegalStatus::ALL, LegalStatus::code);
        mine.sort();
        assert_eq!(mine, ls);
        let cin = schema_codes(Y2017, "      CIN:");
        assert_eq!(cin.len(), 8);
        for c in cin {
            assert!(PrimaryNeed::parse(&c).is_ok(), "{c}");
        }
    }

    #[rstest]
    #[case::status_only(true, false, false, Some(ReasonNewEpisode::LegalStatusOnly))]
    #[case::carer(false, true, true, Some(ReasonNewEpisode::PlacementAndCarer))]
    #[case::carer_same_place(false, false, true, Some(ReasonNewEpisode::PlacementAndCarer))]
    #[case::same_carer(false, true, false, Some(ReasonNewEpisode::PlacementSameCarer))]
    #[case::both(true, true, true, Some(ReasonNewEpisode::LegalStatusPlacementAndCarer))]
    #[case::both_same_carer(
        true,
        true,
        false,
        Some(ReasonNewEpisode::LegalStatusAndPlacementSameCarer)
    )]
    #[case::nothing(false, false, false, None)]
    fn what_changed_gives_the_rne(
        #[case] status: bool,
        #[case] place: bool,
        #[case] carer: bool,
        #[case] rne: Option<ReasonNewEpisode>,
    ) {
        assert_eq!(reason_for_change(status, place, carer), rne);
    }

    #[rstest]
    // Thursday 18 December 2025 + 20 WD skips 25, 26 December and 1 January: 20 January 2026.
    #[case::over_christmas(date(2025, 12, 18), date(2026, 1, 20))]
    // Friday 28 March 2024 + 20 WD skips Good Friday and Easter Monday: 29 April 2024.
    #[case::over_easter(date(2024, 3, 28), date(2024, 4, 29))]
    // Monday 1 June 2026, no holiday: 29 June.
    #[case::plain(date(2026, 6, 1), date(2026, 6, 29))]
    fn the_first_review_is_20_working_days_on_the_calendar(#[case] start: Date, #[case] due: Date) {
        let cal = Calendar::england_and_wales();
        let e = start_on(start, LegalStatus::FullCareOrder);
        let clocks = e.clocks(start, &cal);
        assert_eq!(clocks.len(), 1);
        assert_eq!(clocks[0].rule, RuleId::T13LacFirstReview);
        assert_eq!(clocks[0].due, due);
        assert!(cal.is_working_day(clocks[0].due));
    }

    #[test]
    fn reviews_run_20_working_days_then_3_months_then_6_months() {
        let cal = Calendar::england_and_wales();
        let mut e = start_on(date(2025, 12, 18), LegalStatus::InterimCareOrder);
        let by = PractitionerId::new();
        e.record_review(
            date(2026, 1, 22),
            String::new(),
            date(2026, 12, 31),
            by,
            Timestamp::UNIX_EPOCH,
        )
        .unwrap();
        e.record_review(
            date(2026, 4, 1),
            String::new(),
            date(2026, 12, 31),
            by,
            Timestamp::UNIX_EPOCH,
        )
        .unwrap();
        let clocks = e.clocks(date(2026, 11, 1), &cal);
        let got: Vec<(RuleId, Date, ClockStatus)> =
            clocks.iter().map(|c| (c.rule, c.due, c.status)).collect();
        assert_eq!(
            got,
            vec![
                // First due 20 January; held 22 January: late.
                (
                    RuleId::T13LacFirstReview,
                    date(2026, 1, 20),
                    ClockStatus::MetLate
                ),
                // Second within 3 months of the first: by 22 April; held 1 April.
                (
                    RuleId::T13LacSecondReview,
                    date(2026, 4, 22),
                    ClockStatus::Met
                ),
                // Then 6 months from the second: 1 October, and now overdue.
                (
                    RuleId::T13LacLaterReview,
                    date(2026, 10, 1),
                    ClockStatus::Overdue
                ),
            ]
        );
    }

    #[test]
    fn an_ended_episode_has_no_further_review_due() {
        let cal = Calendar::england_and_wales();
        let mut e = start_on(date(2026, 6, 1), LegalStatus::Section20Single);
        e.end(
            date(2026, 6, 10),
            ReasonEpisodeCeased::ReturnedHomePlanned,
            date(2026, 12, 31),
            PractitionerId::new(),
        )
        .unwrap();
        assert!(e.clocks(date(2026, 12, 1), &cal).is_empty());
        // Ended after the first review fell due without one: kept, overdue.
        let mut late = start_on(date(2026, 6, 1), LegalStatus::Section20Single);
        late.end(
            date(2026, 8, 1),
            ReasonEpisodeCeased::ReturnedHomePlanned,
            date(2026, 12, 31),
            PractitionerId::new(),
        )
        .unwrap();
        let c = late.clocks(date(2026, 12, 1), &cal);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].status, ClockStatus::Overdue);
    }

    #[test]
    fn bad_dates_get_named_field_errors() {
        let today = date(2026, 12, 31);
        let by = PractitionerId::new();
        let at = Timestamp::UNIX_EPOCH;
        let mut e = start_on(date(2026, 6, 1), LegalStatus::FullCareOrder);
        // A review on the start day.
        let err = e
            .record_review(date(2026, 6, 1), String::new(), today, by, at)
            .unwrap_err();
        assert_eq!(err.field, "review_date-day");
        // A change on or before the start.
        let err = e
            .change(
                change(
                    date(2026, 5, 1),
                    LegalStatus::FullCareOrder,
                    PlacementType::ChildrensHome,
                    true,
                ),
                today,
                by,
                at,
            )
            .unwrap_err();
        assert_eq!(err.field, "change_date-day");
        // Nothing changed.
        let err = e
            .change(
                change(
                    date(2026, 7, 1),
                    LegalStatus::FullCareOrder,
                    PlacementType::FosterOther,
                    false,
                ),
                today,
                by,
                at,
            )
            .unwrap_err();
        assert_eq!(err.field, "legal_status");
        // A placement change with no reason.
        let mut no_reason = change(
            date(2026, 7, 1),
            LegalStatus::FullCareOrder,
            PlacementType::ChildrensHome,
            true,
        );
        no_reason.reason = None;
        assert_eq!(
            e.change(no_reason, today, by, at).unwrap_err().field,
            "change_reason"
        );
        // Ending before it starts.
        let err = e
            .end(date(2026, 5, 1), ReasonEpisodeCeased::Other, today, by)
            .unwrap_err();
        assert_eq!(err.field, "end_date-day");
        // X1 is not an end.
        let err = e
            .end(
                date(2026, 8, 1),
                ReasonEpisodeCeased::NewEpisodeSameDay,
                today,
                by,
            )
            .unwrap_err();
        assert_eq!(err.field, "end_reason");
        // A real change, then an end before it is refused, then a change after the end.
        let rne = e
            .change(
                change(
                    date(2026, 7, 1),
                    LegalStatus::FullCareOrder,
                    PlacementType::ChildrensHome,
                    true,
                ),
                today,
                by,
                at,
            )
            .unwrap();
        assert_eq!(rne, ReasonNewEpisode::PlacementAndCarer);
        assert_eq!(
            e.end(date(2026, 6, 20), ReasonEpisodeCeased::Other, today, by)
                .unwrap_err()
                .field,
            "end_date-day"
        );
        e.end(date(2026, 9, 1), ReasonEpisodeCeased::Other, today, by)
            .unwrap();
        let err = e
            .change(
                change(
                    date(2026, 9, 5),
                    LegalStatus::FullCareOrder,
                    PlacementType::FosterOther,
                    true,
                ),
                today,
                by,
                at,
            )
            .unwrap_err();
        assert_eq!(err.field, "change_date-day");
        assert!(err.message.contains("ended on 1 September 2026"));
        // A review after the end.
        let err = e
            .record_review(date(2026, 9, 2), String::new(), today, by, at)
            .unwrap_err();
        assert_eq!(err.field, "review_date-day");
    }

    #[test]
    fn a_second_open_episode_and_an_overlap_are_refused() {
        let first = start_on(date(2026, 1, 5), LegalStatus::Section20Single);
        let child = first.child;
        let attempt = |on: Date, others: &[LookedAfterEpisode]| {
            LookedAfterEpisode::start(
                LookedAfterId::new(),
                child,
                None,
                PrimaryNeed::FamilyInAcuteStress,
                PeriodInput {
                    on,
                    legal_status: LegalStatus::FullCareOrder,
                    placement: placement(PlacementType::FosterOther),
                },
                others,
                date(2026, 12, 31),
                PractitionerId::new(),
                Timestamp::UNIX_EPOCH,
            )
        };
        let err = attempt(date(2026, 3, 1), std::slice::from_ref(&first)).unwrap_err();
        assert_eq!(err.field, "start_date-day");
        assert!(err.message.contains("already looked after"));
        let mut ended = first.clone();
        ended
            .end(
                date(2026, 2, 1),
                ReasonEpisodeCeased::ReturnedHomePlanned,
                date(2026, 12, 31),
                PractitionerId::new(),
            )
            .unwrap();
        let err = attempt(date(2026, 1, 20), std::slice::from_ref(&ended)).unwrap_err();
        assert!(
            err.message.contains("on or after 1 February 2026"),
            "{}",
            err.message
        );
        // On the day it ended is fine (the 903 lets DECOM equal the previous DEC).
        assert!(attempt(date(2026, 2, 1), std::slice::from_ref(&ended)).is_ok());
        // N9 is not a 903 category of need.
        let err = LookedAfterEpisode::start(
            LookedAfterId::new(),
            child,
            None,
            PrimaryNeed::OtherThanInNeed,
            PeriodInput {
                on: date(2026, 3, 1),
                legal_status: LegalStatus::FullCareOrder,
                placement: placement(PlacementType::FosterOther),
            },
            &[],
            date(2026, 12, 31),
            PractitionerId::new(),
            Timestamp::UNIX_EPOCH,
        )
        .unwrap_err();
        assert_eq!(err.field, "need");
    }

    #[rstest]
    #[case::care_order(LegalStatus::FullCareOrder, Some(LookedAfterSection::S31CareOrder))]
    #[case::interim(
        LegalStatus::InterimCareOrder,
        Some(LookedAfterSection::S38InterimCareOrder)
    )]
    #[case::s20(
        LegalStatus::Section20Single,
        Some(LookedAfterSection::S20Accommodation)
    )]
    #[case::short_breaks(
        LegalStatus::Section20ShortBreaksAgreements,
        Some(LookedAfterSection::S20Accommodation)
    )]
    #[case::placement_order(LegalStatus::PlacementOrder, None)]
    fn looked_after_on_a_day_says_the_status_and_section(
        #[case] status: LegalStatus,
        #[case] section: Option<LookedAfterSection>,
    ) {
        let e = start_on(date(2026, 3, 2), status);
        let s = looked_after_on(std::slice::from_ref(&e), date(2026, 3, 10)).unwrap();
        assert_eq!(s.legal_status, status);
        assert_eq!(s.section, section);
        assert_eq!(
            looked_after_on(std::slice::from_ref(&e), date(2026, 3, 1)),
            None
        );
    }

    #[test]
    fn the_status_follows_changes_and_ends_on_the_end_day() {
        let today = date(2026, 12, 31);
        let by = PractitionerId::new();
        let mut e = start_on(date(2026, 3, 2), LegalStatus::InterimCareOrder);
        e.change(
            change(
                date(2026, 6, 1),
                LegalStatus::FullCareOrder,
                PlacementType::FosterOther,
                false,
            ),
            today,
            by,
            Timestamp::UNIX_EPOCH,
        )
        .unwrap();
        e.end(
            date(2026, 9, 1),
            ReasonEpisodeCeased::SgoCarerRelative,
            today,
            by,
        )
        .unwrap();
        let all = std::slice::from_ref(&e);
        let on = |d| looked_after_on(all, d).map(|s| s.section);
        assert_eq!(
            on(date(2026, 5, 31)),
            Some(Some(LookedAfterSection::S38InterimCareOrder))
        );
        assert_eq!(
            on(date(2026, 6, 1)),
            Some(Some(LookedAfterSection::S31CareOrder))
        );
        assert_eq!(
            on(date(2026, 8, 31)),
            Some(Some(LookedAfterSection::S31CareOrder))
        );
        assert_eq!(on(date(2026, 9, 1)), None);
        assert_eq!(e.periods[1].reason, ReasonNewEpisode::LegalStatusOnly);
    }

    #[test]
    fn la_codes_are_three_digits() {
        assert!(LaCode::parse("999").is_ok());
        assert_eq!(LaCode::parse("99").unwrap_err().field, "placement_la");
        assert!(LaCode::parse("E08").is_err());
    }
}
