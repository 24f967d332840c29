//! The records the partnership keeps: children, the people around them, agencies, teams,
//! practitioners with their roles, and the safeguarding area itself.
//!
//! Every enum here is closed and carries a stable `code` (what storage and forms use) and a
//! human `label` (what pages show), so a new variant makes the compiler find every place that
//! must handle it.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

pub use crate::coded::UnknownCode;
use crate::coded::coded_enum;
use crate::ids::{AgencyId, AreaId, ChildId, EventId, PersonId, PractitionerId, TeamId};
use crate::nhs::NhsNumber;
use crate::postcode::Postcode;
use crate::upn::Upn;

coded_enum! {
    /// What a practitioner does in the partnership. A practitioner may hold several roles.
    Role, "role" {
        /// Any practitioner who records concerns and refers children.
        Referrer => "referrer", "Referrer";
        /// Designated safeguarding lead of a school, college or early years setting.
        DesignatedSafeguardingLead => "dsl", "Designated safeguarding lead";
        /// Front door / MASH worker in the local authority.
        FrontDoorWorker => "front_door", "Front door worker";
        /// Local authority social worker.
        SocialWorker => "social_worker", "Social worker";
        /// Local authority team manager.
        TeamManager => "team_manager", "Team manager";
        /// Independent child protection conference chair.
        ConferenceChair => "conference_chair", "Conference chair";
        /// Police safeguarding lead.
        PoliceSafeguardingLead => "police_lead", "Police safeguarding lead";
        /// Health safeguarding lead (named or designated professional).
        HealthSafeguardingLead => "health_lead", "Health safeguarding lead";
        /// Clinician in an emergency department or other unscheduled-care setting.
        UnscheduledCareClinician => "unscheduled_care", "Unscheduled-care clinician";
        /// Safeguarding partnership manager.
        PartnershipManager => "partnership_manager", "Partnership manager";
        /// Analyst: aggregates only, never identities.
        Analyst => "analyst", "Analyst";
        /// Data protection officer.
        DataProtectionOfficer => "dpo", "Data protection officer";
        /// System administrator: manages accounts and reads no case data.
        SystemAdministrator => "admin", "System administrator";
    }
}

coded_enum! {
    /// The kind of organisation an agency is.
    AgencyKind, "agency kind" {
        /// A local authority (children's social care).
        LocalAuthority => "local_authority", "Local authority";
        /// A police force.
        PoliceForce => "police", "Police force";
        /// An integrated care board.
        IntegratedCareBoard => "icb", "Integrated care board";
        /// An NHS trust, including its emergency department.
        NhsTrust => "nhs_trust", "NHS trust / emergency department";
        /// A GP practice.
        GpPractice => "gp_practice", "GP practice";
        /// A school.
        School => "school", "School";
        /// A further education college.
        College => "college", "College";
        /// An early years setting.
        EarlyYears => "early_years", "Early years setting";
        /// The probation service.
        Probation => "probation", "Probation service";
        /// A youth justice service.
        YouthJustice => "youth_justice", "Youth justice service";
        /// A voluntary or community sector organisation.
        VoluntarySector => "voluntary", "Voluntary sector";
        /// The national Child Safeguarding Practice Review Panel.
        NationalReviewPanel => "national_panel", "National review Panel";
        /// Any other relevant agency.
        Other => "other", "Other";
    }
}

coded_enum! {
    /// Sex as recorded for the CIN census (2025 onwards: M, F, U).
    Sex, "sex" {
        /// Male.
        Male => "M", "Male";
        /// Female.
        Female => "F", "Female";
        /// Not known or not recorded.
        Unknown => "U", "Not known";
    }
}

coded_enum! {
    /// How a person is related to a child.
    Relationship, "relationship" {
        /// Mother.
        Mother => "mother", "Mother";
        /// Father.
        Father => "father", "Father";
        /// Step-parent.
        StepParent => "step_parent", "Step-parent";
        /// Grandparent.
        Grandparent => "grandparent", "Grandparent";
        /// Brother or sister.
        Sibling => "sibling", "Brother or sister";
        /// Other relative or kinship carer.
        OtherRelative => "relative", "Other relative";
        /// Foster carer.
        FosterCarer => "foster_carer", "Foster carer";
        /// Partner of a parent living in the household.
        ParentsPartner => "parents_partner", "Parent's partner";
        /// Another member of the household.
        HouseholdMember => "household", "Household member";
        /// Someone else.
        Other => "other", "Other";
    }
}

coded_enum! {
    /// Why an agency is involved with a child.
    Involvement, "involvement" {
        /// The child attends this school, college or early years setting.
        Pupil => "pupil", "Attends the setting";
        /// The child is registered with this GP practice.
        GpRegistered => "gp", "Registered GP";
        /// The agency is working with the child or family.
        Working => "working", "Working with the family";
        /// The agency referred the child.
        Referrer => "referrer", "Referred the child";
    }
}

/// A name, with its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName {
    /// Given name or names.
    pub given: String,
    /// Family name.
    pub family: String,
}

impl PersonName {
    /// "Given Family", as shown on pages.
    pub fn full(&self) -> String {
        format!("{} {}", self.given.trim(), self.family.trim())
    }
}

/// An address the child lived at, with dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Street lines, first line first.
    pub lines: Vec<String>,
    /// Town or city.
    pub town: String,
    /// Postcode.
    pub postcode: Postcode,
    /// From this date.
    pub from: Option<Date>,
    /// Until this date; `None` while current.
    pub to: Option<Date>,
}

/// Born on a date, or expected on a date for an unborn child (WT 2023 applies to unborn children).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "date", rename_all = "snake_case")]
pub enum Birth {
    /// Date of birth.
    Born(Date),
    /// Expected date of birth of an unborn child.
    Expected(Date),
}

impl Birth {
    /// The date, whichever kind.
    pub fn date(self) -> Date {
        match self {
            Birth::Born(d) | Birth::Expected(d) => d,
        }
    }
    /// True for an unborn child.
    pub fn is_unborn(self) -> bool {
        matches!(self, Birth::Expected(_))
    }
}

/// A child, including an unborn child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Child {
    /// Id.
    pub id: ChildId,
    /// Current name.
    pub name: PersonName,
    /// Other names the child is known by.
    pub aliases: Vec<PersonName>,
    /// Names the child was known by before.
    pub former_names: Vec<PersonName>,
    /// Date of birth or expected date of birth.
    pub birth: Birth,
    /// Sex.
    pub sex: Sex,
    /// NHS number, when known.
    pub nhs_number: Option<NhsNumber>,
    /// Unique pupil number, when known.
    pub upn: Option<Upn>,
    /// Addresses, most recent first.
    pub addresses: Vec<Address>,
    /// The local authority responsible for the child.
    pub responsible_la: Option<AgencyId>,
    /// The school, college or early years setting the child attends.
    pub school: Option<AgencyId>,
    /// Ethnicity (CIN census code or free text).
    pub ethnicity: Option<String>,
    /// First language.
    pub first_language: Option<String>,
    /// Groups named in chapter 1 of Working Together 2023 whose needs call for particular care.
    pub groups: ChildGroups,
}

impl Child {
    /// The current postcode: the first address without an end date, else the most recent.
    pub fn current_postcode(&self) -> Option<&Postcode> {
        self.addresses
            .iter()
            .find(|a| a.to.is_none())
            .or_else(|| self.addresses.first())
            .map(|a| &a.postcode)
    }

    /// Every name the child has been known by, current first.
    pub fn all_names(&self) -> impl Iterator<Item = &PersonName> {
        std::iter::once(&self.name)
            .chain(self.aliases.iter())
            .chain(self.former_names.iter())
    }
}

/// Working Together 2023, chapter 1 (para 10 onwards): disabled children, young carers and children
/// in secure establishments are named as groups whose needs practitioners must consider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildGroups {
    /// The child is disabled.
    pub disabled: bool,
    /// The child is a young carer.
    pub young_carer: bool,
    /// The child is in a secure establishment.
    pub secure_establishment: bool,
}

/// A parent, carer or household member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Id.
    pub id: PersonId,
    /// Name.
    pub name: PersonName,
    /// Date of birth, when known.
    pub date_of_birth: Option<Date>,
    /// NHS number, when known (for a mother of an unborn child, this carries the flag).
    pub nhs_number: Option<NhsNumber>,
}

/// How a person stands to a child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildPerson {
    /// The child.
    pub child: ChildId,
    /// The person.
    pub person: PersonId,
    /// Relationship to the child.
    pub relationship: Relationship,
    /// Holds parental responsibility (Children Act 1989 s3).
    pub parental_responsibility: bool,
    /// Lives in the child's household.
    pub lives_with_child: bool,
}

/// An organisation in the partnership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agency {
    /// Id.
    pub id: AgencyId,
    /// Kind.
    pub kind: AgencyKind,
    /// Name.
    pub name: String,
    /// NHS Organisation Data Service code (trusts, ICBs, GP practices).
    pub ods_code: Option<String>,
    /// Ofsted / DfE unique reference number (schools, colleges, early years).
    pub urn: Option<String>,
    /// DfE local authority code (three digits).
    pub la_code: Option<String>,
    /// Office-hours telephone number.
    pub phone: Option<String>,
    /// Out-of-hours (emergency duty) telephone number.
    pub out_of_hours_phone: Option<String>,
}

impl Agency {
    /// Every code the agency can be named by on the command line.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        [&self.ods_code, &self.urn, &self.la_code]
            .into_iter()
            .filter_map(|c| c.as_deref())
    }
}

/// A team within an agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    /// Id.
    pub id: TeamId,
    /// The agency the team belongs to.
    pub agency: AgencyId,
    /// Name.
    pub name: String,
}

/// A practitioner: a person with an account, in an agency, with roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Practitioner {
    /// Id.
    pub id: PractitionerId,
    /// Sign-in email address, lower case.
    pub email: String,
    /// Display name.
    pub name: String,
    /// The agency the practitioner works for.
    pub agency: AgencyId,
    /// The practitioner's team, if any.
    pub team: Option<TeamId>,
    /// Roles held.
    pub roles: Vec<Role>,
    /// False once an administrator disables the account.
    pub active: bool,
}

impl Practitioner {
    /// True when the practitioner holds the role.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// A partner's place in the partnership (CA 2004 s16E, WT 2023 chapter 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partner {
    /// The local authority, police force or ICB.
    pub agency: AgencyId,
    /// The lead safeguarding partner's title (chief executive, chief constable, ICB chief executive).
    pub lead: String,
    /// The delegated safeguarding partner named in the arrangements.
    pub delegate: String,
}

/// A safeguarding partnership area: its statutory partners and member (relevant) agencies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Area {
    /// Id.
    pub id: AreaId,
    /// Name, e.g. "Northmoor Safeguarding Children Partnership".
    pub name: String,
    /// The safeguarding partners: one or more LAs, police forces and ICBs.
    pub partners: Vec<Partner>,
    /// Relevant agencies named by the partners.
    pub members: Vec<AgencyId>,
}

coded_enum! {
    /// What kind of event a chronology entry records, to filter the multi-agency chronology by
    /// ("every significant event from every agency: concerns, referrals, decisions, meetings,
    /// plans, flags later, and ends", issue 3).
    ChronologyKind, "chronology entry type" {
        /// A concern recorded in a setting's log.
        Concern => "concern", "Concern";
        /// A referral or contact received by the front door.
        Referral => "referral", "Referral";
        /// A decision: the front door's, or a finding of section 47 enquiries.
        Decision => "decision", "Decision";
        /// A child and family assessment started or concluded.
        Assessment => "assessment", "Assessment";
        /// A strategy discussion, conference or core group meeting.
        Meeting => "meeting", "Meeting";
        /// Police protection or an emergency protection order.
        Protection => "protection", "Immediate protection";
        /// A child protection or child in need plan started, continued or ended.
        Plan => "plan", "Plan";
        /// An early help or looked-after episode started, changed or ended.
        Episode => "episode", "Episode";
        /// A flag shared with health (CP-IS) or a lookup of it.
        Flag => "flag", "Flag";
        /// A case closed.
        Closure => "closure", "Closure";
        /// Anything else, such as the record being created.
        Other => "other", "Other";
    }
}

/// Who did what in the chronology: entries are written by use-cases, never edited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChronologyEntry {
    /// Id.
    pub id: EventId,
    /// The child.
    pub child: ChildId,
    /// When it happened (civil date).
    pub date: Date,
    /// What happened, in one line.
    pub summary: String,
    /// What kind of event it was, for filtering.
    pub kind: ChronologyKind,
    /// The agency that recorded it.
    pub agency: Option<AgencyId>,
    /// Who recorded it.
    pub recorded_by: Option<PractitionerId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Ok(*r));
        }
        for k in AgencyKind::ALL {
            assert_eq!(AgencyKind::parse(k.code()), Ok(*k));
        }
        for s in Sex::ALL {
            assert_eq!(Sex::parse(s.code()), Ok(*s));
        }
        for r in Relationship::ALL {
            assert_eq!(Relationship::parse(r.code()), Ok(*r));
        }
    }

    #[test]
    fn an_unknown_code_says_what_was_expected() {
        let err = Role::parse("wizard").unwrap_err();
        assert_eq!(err.to_string(), "'wizard' is not a known role");
    }

    #[test]
    fn roles_serialise_as_codes() {
        assert_eq!(
            serde_json::to_string(&Role::SocialWorker).unwrap(),
            "\"social_worker\""
        );
        let r: Role = serde_json::from_str("\"admin\"").unwrap();
        assert_eq!(r, Role::SystemAdministrator);
    }
}
