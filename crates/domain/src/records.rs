//! The structured records kept on the steps of a case: strategy discussions, child protection
//! conferences, immediate protection (police protection or an emergency protection order) and
//! the conclusion of a child and family assessment.
//!
//! A record rides on the [`crate::case::CaseStep`] that says the meeting was held or the order
//! made, so the case keeps one ordered history; the rules that decide where the case goes next
//! stay in [`crate::journey`]. What each record holds comes from the guidance:
//!
//! - strategy discussion: attendees with agency and role, the information shared, decisions,
//!   actions with owners, and whether section 47 enquiries were initiated (WT 2023 ch 3; spec
//!   §1.5 "System: record attendees (agency, role), decisions, whether s47 initiated (this date
//!   drives T5), actions and owners");
//! - conference: the date, the chair, attendees and their agencies, the decision, the category
//!   of abuse and the core group (spec §1.7 and §1.8; CIN census rules 8905/8910);
//! - immediate protection: the kind and its start (Children Act 1989 s46 and s44; T11, T12);
//! - assessment: the outcome, the factors (CIN census `AssessmentFactors`) and, when it is later
//!   than 45 working days from the referral, the reason (WT statutory guidance, spec §1.2 T3:
//!   "if exceeded, social worker records reasons").

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::coded::coded_enum;
use crate::codes::{
    AbuseCategory, AssessmentFactor, AssessmentOutcome, ConferenceKind, ImmediateProtection,
};
use crate::ids::{AgencyId, PractitionerId};
use crate::model::AgencyKind;

/// Someone who took part in a strategy discussion or a conference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendee {
    /// Their agency.
    pub agency: AgencyId,
    /// The agency's name when the record was made.
    pub agency_name: String,
    /// What kind of agency it is: decides whether social care, police and health were there.
    pub agency_kind: AgencyKind,
    /// Their role, e.g. "Detective sergeant, child abuse investigation team".
    pub role: String,
    /// Their name.
    pub name: String,
    /// Their Safeguard account, when they have one: they may then read this record.
    pub practitioner: Option<PractitionerId>,
}

/// An action agreed at a meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionItem {
    /// What is to be done.
    pub action: String,
    /// Who owns it (a name and agency, as agreed at the meeting).
    pub owner: String,
    /// By when, if a date was agreed.
    pub due: Option<Date>,
}

coded_enum! {
    /// The agencies that must, as a minimum, take part in a strategy discussion: "a local
    /// authority social worker, health practitioner and a police representative should, as a
    /// minimum, be involved" (WT 2023 ch 3; spec §1.5 "Who (minimum)").
    CoreAgency, "core agency" {
        /// Local authority children's social care.
        SocialCare => "social_care", "local authority children's social care";
        /// The police.
        Police => "police", "police";
        /// Health.
        Health => "health", "health";
    }
}

impl CoreAgency {
    /// Which of the minimum agencies an agency of this kind counts as.
    pub const fn of(kind: AgencyKind) -> Option<CoreAgency> {
        match kind {
            AgencyKind::LocalAuthority => Some(CoreAgency::SocialCare),
            AgencyKind::PoliceForce => Some(CoreAgency::Police),
            AgencyKind::IntegratedCareBoard | AgencyKind::NhsTrust | AgencyKind::GpPractice => {
                Some(CoreAgency::Health)
            }
            AgencyKind::School
            | AgencyKind::College
            | AgencyKind::EarlyYears
            | AgencyKind::Probation
            | AgencyKind::YouthJustice
            | AgencyKind::VoluntarySector
            | AgencyKind::NationalReviewPanel
            | AgencyKind::Other => None,
        }
    }
}

/// The minimum agencies (social care, police, health) not among the attendees, in that order.
/// A warning, not a refusal: a discussion held without one is still recorded (WT 2023 ch 3 says
/// "should").
pub fn missing_core_agencies(attendees: &[Attendee]) -> Vec<CoreAgency> {
    CoreAgency::ALL
        .iter()
        .copied()
        .filter(|core| {
            !attendees
                .iter()
                .any(|a| CoreAgency::of(a.agency_kind) == Some(*core))
        })
        .collect()
}

/// The warning to show when minimum agencies are missing, or `None` when all were there.
pub fn core_agency_warning(attendees: &[Attendee]) -> Option<String> {
    let missing = missing_core_agencies(attendees);
    let names: Vec<&str> = missing.iter().map(|c| c.label()).collect();
    let list = match names.as_slice() {
        [] => return None,
        [one] => (*one).to_owned(),
        [first, second] => format!("{first} and {second}"),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    Some(format!(
        "No one from {list} took part. Working Together expects local authority children's \
         social care, police and health at every strategy discussion"
    ))
}

/// What a strategy discussion shared and decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrategyDiscussion {
    /// Who took part.
    pub attendees: Vec<Attendee>,
    /// The information shared.
    pub information_shared: String,
    /// What was decided.
    pub decisions: String,
    /// Actions agreed, each with an owner.
    pub actions: Vec<ActionItem>,
    /// Whether section 47 enquiries were initiated at this discussion (its date then drives
    /// T5, the last one if there are several).
    pub s47_initiated: bool,
}

coded_enum! {
    /// What a child protection conference decided (spec §1.4: `ICPC -> CP_PLAN | CIN_PLAN |
    /// CLOSED`, `RCPC -> CP_PLAN | CP_PLAN_ENDED`; WT18 flow chart 5).
    ConferenceDecision, "conference decision" {
        /// The child is at continuing risk of significant harm: a child protection plan,
        /// starting today (CIN rule 2885), with its category.
        CpPlan => "cp_plan", "Child protection plan";
        /// No plan: support under a child in need plan.
        CinPlan => "cin_plan", "No child protection plan: child in need plan";
        /// No plan and no further support from children's social care: close the case (RC7).
        Close => "close", "No child protection plan: close the case (RC7)";
        /// A review found the child still at continuing risk: the plan continues, with its
        /// latest category.
        PlanContinues => "continue", "The child protection plan continues";
        /// A review found the child no longer at continuing risk: the plan ends.
        PlanEnds => "end", "The child protection plan ends: no longer at continuing risk";
    }
}

impl ConferenceDecision {
    /// The decisions a conference of this kind can make.
    pub const fn for_kind(kind: ConferenceKind) -> &'static [ConferenceDecision] {
        match kind {
            ConferenceKind::Initial | ConferenceKind::TransferIn => &[
                ConferenceDecision::CpPlan,
                ConferenceDecision::CinPlan,
                ConferenceDecision::Close,
            ],
            ConferenceKind::Review => &[
                ConferenceDecision::PlanContinues,
                ConferenceDecision::PlanEnds,
            ],
        }
    }

    /// Whether the decision makes or keeps a plan, so needs a category and a core group.
    pub const fn keeps_a_plan(self) -> bool {
        matches!(
            self,
            ConferenceDecision::CpPlan | ConferenceDecision::PlanContinues
        )
    }
}

/// A child protection conference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conference {
    /// Initial, review or transfer-in.
    pub kind: ConferenceKind,
    /// Who chaired it.
    pub chair: String,
    /// Who attended, with their agencies.
    pub attendees: Vec<Attendee>,
    /// What it decided.
    pub decision: ConferenceDecision,
    /// The category of abuse it set (for a plan made or continued).
    pub category: Option<AbuseCategory>,
    /// The core group members it named (for a plan made or continued).
    pub core_group: Vec<String>,
}

/// Police protection or an emergency protection order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Protection {
    /// Which.
    pub kind: ImmediateProtection,
    /// When the child was removed into police protection, or the order was made.
    pub started_at: Timestamp,
}

/// The conclusion of a child and family assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentConclusion {
    /// How it concluded.
    pub outcome: AssessmentOutcome,
    /// The factors identified (CIN census `AssessmentFactors`).
    pub factors: Vec<AssessmentFactor>,
    /// Why it took longer than 45 working days from the referral (T3), when it did.
    pub late_reason: Option<String>,
}

/// A structured record on a step of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum StepRecord {
    /// A strategy discussion.
    StrategyDiscussion(StrategyDiscussion),
    /// A child protection conference.
    Conference(Conference),
    /// Police protection or an emergency protection order.
    Protection(Protection),
    /// The conclusion of a child and family assessment.
    Assessment(AssessmentConclusion),
}

impl StepRecord {
    /// The people who took part, for meetings; empty for the other records.
    pub fn attendees(&self) -> &[Attendee] {
        match self {
            StepRecord::StrategyDiscussion(s) => &s.attendees,
            StepRecord::Conference(c) => &c.attendees,
            StepRecord::Protection(_) | StepRecord::Assessment(_) => &[],
        }
    }

    /// Whether this is a meeting (a strategy discussion or a conference), which its attendees
    /// may read.
    pub fn is_meeting(&self) -> bool {
        matches!(
            self,
            StepRecord::StrategyDiscussion(_) | StepRecord::Conference(_)
        )
    }

    /// The practitioners with accounts who took part.
    pub fn attending_practitioners(&self) -> Vec<PractitionerId> {
        let mut out: Vec<PractitionerId> = self
            .attendees()
            .iter()
            .filter_map(|a| a.practitioner)
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// What the record is, in a few words, for headings and the chronology.
    pub fn title(&self) -> String {
        match self {
            StepRecord::StrategyDiscussion(s) => {
                if s.s47_initiated {
                    "Strategy discussion (section 47 enquiries initiated)".to_owned()
                } else {
                    "Strategy discussion".to_owned()
                }
            }
            StepRecord::Conference(c) => c.kind.label().to_owned(),
            StepRecord::Protection(p) => p.kind.label().to_owned(),
            StepRecord::Assessment(_) => "Child and family assessment concluded".to_owned(),
        }
    }

    /// The warning a record carries: for a strategy discussion, minimum agencies missing.
    pub fn warning(&self) -> Option<String> {
        match self {
            StepRecord::StrategyDiscussion(s) => core_agency_warning(&s.attendees),
            StepRecord::Conference(_) | StepRecord::Protection(_) | StepRecord::Assessment(_) => {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn attendee(kind: AgencyKind) -> Attendee {
        Attendee {
            agency: AgencyId::new(),
            agency_name: kind.label().to_owned(),
            agency_kind: kind,
            role: "Lead".into(),
            name: "A Person".into(),
            practitioner: None,
        }
    }

    #[rstest]
    #[case::all_three(&[AgencyKind::LocalAuthority, AgencyKind::PoliceForce, AgencyKind::NhsTrust], &[])]
    #[case::gp_counts_as_health(&[AgencyKind::LocalAuthority, AgencyKind::PoliceForce, AgencyKind::GpPractice], &[])]
    #[case::icb_counts_as_health(&[AgencyKind::IntegratedCareBoard, AgencyKind::PoliceForce, AgencyKind::LocalAuthority], &[])]
    #[case::no_police(&[AgencyKind::LocalAuthority, AgencyKind::NhsTrust, AgencyKind::School], &[CoreAgency::Police])]
    #[case::school_only(&[AgencyKind::School], &[CoreAgency::SocialCare, CoreAgency::Police, CoreAgency::Health])]
    #[case::nobody(&[], &[CoreAgency::SocialCare, CoreAgency::Police, CoreAgency::Health])]
    fn the_minimum_agencies_are_social_care_police_and_health(
        #[case] kinds: &[AgencyKind],
        #[case] missing: &[CoreAgency],
    ) {
        let attendees: Vec<Attendee> = kinds.iter().map(|k| attendee(*k)).collect();
        assert_eq!(missing_core_agencies(&attendees), missing);
        assert_eq!(
            core_agency_warning(&attendees).is_some(),
            !missing.is_empty()
        );
    }

    #[test]
    fn the_warning_names_what_is_missing() {
        let w = core_agency_warning(&[attendee(AgencyKind::LocalAuthority)]).unwrap();
        assert!(
            w.starts_with("No one from police and health took part"),
            "{w}"
        );
        let w = core_agency_warning(&[]).unwrap();
        assert!(
            w.starts_with(
                "No one from local authority children's social care, police and health took part"
            ),
            "{w}"
        );
        assert!(!w.ends_with('.'));
    }

    #[test]
    fn decisions_follow_the_kind_of_conference() {
        assert!(
            ConferenceDecision::for_kind(ConferenceKind::Initial)
                .contains(&ConferenceDecision::CpPlan)
        );
        assert!(
            !ConferenceDecision::for_kind(ConferenceKind::Initial)
                .contains(&ConferenceDecision::PlanContinues)
        );
        assert!(
            !ConferenceDecision::for_kind(ConferenceKind::Review)
                .contains(&ConferenceDecision::CpPlan)
        );
        assert_eq!(
            ConferenceDecision::for_kind(ConferenceKind::TransferIn),
            ConferenceDecision::for_kind(ConferenceKind::Initial)
        );
    }

    #[test]
    fn records_serialise_with_a_tag_and_read_back() {
        let r = StepRecord::StrategyDiscussion(StrategyDiscussion {
            attendees: vec![Attendee {
                practitioner: Some(PractitionerId::new()),
                ..attendee(AgencyKind::PoliceForce)
            }],
            information_shared: "Shared".into(),
            decisions: "Decided".into(),
            actions: vec![ActionItem {
                action: "Visit".into(),
                owner: "SW".into(),
                due: Some(jiff::civil::date(2026, 1, 5)),
            }],
            s47_initiated: true,
        });
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["record"], "strategy_discussion");
        let back: StepRecord = serde_json::from_value(json).unwrap();
        assert_eq!(back, r);
        assert_eq!(r.attending_practitioners().len(), 1);
        assert!(r.is_meeting());
    }
}
