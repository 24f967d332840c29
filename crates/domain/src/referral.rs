//! Concerns and referrals: what a practitioner saw or was told, recorded in their setting's own
//! log, and the request to the local authority's children's social care that may follow, with
//! the front door's decision on it.
//!
//! Working Together 2023 chapter 3 (WT18 chapter 1 paras 48–56, flow chart 1): anyone with a
//! concern about a child's welfare should refer to local authority children's social care; the
//! local authority acknowledges receipt and decides the type of response within one working day
//! (T1); the referrer is told the decision and its reasons (T2), and follows up if they are not.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::coded::coded_enum;
use crate::codes::{
    AssessmentFactor, ConsentStatus, ImmediateProtection, LawfulBasis, ReferralSource,
    ScreeningOutcome, Urgency,
};
use crate::ids::{AgencyId, ChildId, ConcernId, PractitionerId, ReferralId};
use crate::model::{Birth, PersonName, Relationship, Sex};
use crate::nhs::NhsNumber;
use crate::postcode::Postcode;

coded_enum! {
    /// What kind of concern a setting records (the categories schools use in their
    /// safeguarding logs, after *Keeping Children Safe in Education* part 1; the CIN census
    /// categories of abuse are decided later, by a conference).
    ConcernCategory, "concern category" {
        /// Physical harm or injury.
        Physical => "physical", "Physical abuse or injury";
        /// Emotional abuse.
        Emotional => "emotional", "Emotional abuse";
        /// Sexual abuse, including harmful sexual behaviour.
        Sexual => "sexual", "Sexual abuse";
        /// Neglect.
        Neglect => "neglect", "Neglect";
        /// Domestic abuse in the household.
        DomesticAbuse => "domestic_abuse", "Domestic abuse";
        /// Criminal or sexual exploitation, county lines.
        Exploitation => "exploitation", "Exploitation (criminal or sexual)";
        /// Harm online.
        Online => "online", "Online harm";
        /// Female genital mutilation.
        Fgm => "fgm", "Female genital mutilation";
        /// Radicalisation.
        Radicalisation => "radicalisation", "Radicalisation";
        /// Missing from home, care or education.
        Missing => "missing", "Missing from home, care or education";
        /// Mental health or self-harm.
        MentalHealth => "mental_health", "Mental health or self-harm";
        /// Anything else.
        Other => "other", "Other";
    }
}

coded_enum! {
    /// How a referral reached the front door.
    Channel, "channel" {
        /// The referral form in Safeguard.
        Form => "form", "Referral form";
        /// A contact by telephone, recorded by the front door.
        Phone => "phone", "Telephone contact";
        /// An agency system through the API.
        Api => "api", "Agency system";
    }
}

/// The child as the referrer describes them. The front door links it to a known child's record
/// (or creates one) before deciding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferredChild {
    /// Name as given.
    pub name: PersonName,
    /// Date of birth or expected date, if known.
    pub birth: Option<Birth>,
    /// Sex.
    pub sex: Sex,
    /// NHS number, if known.
    pub nhs_number: Option<NhsNumber>,
    /// Address lines as given.
    pub address: String,
    /// Postcode, if known.
    pub postcode: Option<Postcode>,
}

/// A concern recorded in a setting's own safeguarding log (a school's "safeguarding log").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Concern {
    /// Id.
    pub id: ConcernId,
    /// The setting whose log this is.
    pub setting: AgencyId,
    /// Who recorded it.
    pub recorded_by: PractitionerId,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// When it was seen or said.
    pub happened_on: Date,
    /// The child.
    pub child: ReferredChild,
    /// The known child, when the concern came from their record.
    pub known_child: Option<ChildId>,
    /// Kind of concern.
    pub category: ConcernCategory,
    /// What was seen or said, in the words used.
    pub what: String,
    /// Who was involved or present.
    pub who: String,
    /// What was done about it.
    pub action_taken: String,
    /// The referral made from it, if any.
    pub referral: Option<ReferralId>,
}

/// A member of the child's household, as the referrer knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdMember {
    /// Name.
    pub name: String,
    /// Relationship to the child.
    pub relationship: Relationship,
    /// Holds parental responsibility.
    pub parental_responsibility: bool,
}

/// The front door's decision (T1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreeningDecision {
    /// The outcome.
    pub outcome: ScreeningOutcome,
    /// For immediate protection: police protection (s46) or an EPO (s44).
    pub protection: Option<ImmediateProtection>,
    /// Why, in words the referrer will read.
    pub reasons: String,
    /// Advice to the referrer and family (required for no further action).
    pub advice: String,
    /// Who decided.
    pub decided_by: PractitionerId,
    /// When.
    pub decided_at: Timestamp,
    /// The civil date of the decision, for the T1 clock.
    pub decided_on: Date,
}

/// A referral (or contact) to a local authority's children's social care.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    /// Id.
    pub id: ReferralId,
    /// Optimistic version: each save increments it; a save from an older version is refused.
    pub version: u32,
    /// The local authority referred to.
    pub la: AgencyId,
    /// How it arrived.
    pub channel: Channel,
    /// When it was received (the CIN census `CINreferralDate` is its civil date).
    pub received_at: Timestamp,
    /// The civil date of receipt, in England.
    pub received_on: Date,
    /// When the decision is due: T1, one working day from receipt.
    pub decision_due: Date,
    /// The referrer's account, when they used Safeguard.
    pub referrer: Option<PractitionerId>,
    /// The referrer's agency, if any.
    pub referrer_agency: Option<AgencyId>,
    /// The referrer's name, as given.
    pub referrer_name: String,
    /// How to reach the referrer.
    pub referrer_contact: String,
    /// CIN census referral source.
    pub source: ReferralSource,
    /// The concern it was made from.
    pub concern: Option<ConcernId>,
    /// The child, as described.
    pub child: ReferredChild,
    /// The known child the front door linked it to.
    pub matched_child: Option<ChildId>,
    /// What the referrer is worried about and why.
    pub reasons: String,
    /// Assessment factor codes the referrer sees.
    pub factors: Vec<AssessmentFactor>,
    /// Whether the family knows and agrees, or why consent was not sought.
    pub consent: ConsentStatus,
    /// The lawful basis for sharing this information (spec §2: consent is not the basis).
    pub lawful_basis: LawfulBasis,
    /// Urgency, as the referrer judges it.
    pub urgency: Urgency,
    /// Whether the child is safe now.
    pub child_safe_now: bool,
    /// Household members and who holds parental responsibility.
    pub household: Vec<HouseholdMember>,
    /// Communication needs (interpreter, signing, disability).
    pub communication_needs: String,
    /// The decision, once made.
    pub decision: Option<ScreeningDecision>,
    /// The early help episode this referral steps up from: the front door sees its history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_help: Option<crate::early_help::EarlyHelpId>,
}

impl Referral {
    /// True once the front door has decided.
    pub fn is_decided(&self) -> bool {
        self.decision.is_some()
    }

    /// True when the decision came after its T1 due date.
    pub fn decided_late(&self) -> bool {
        self.decision
            .as_ref()
            .is_some_and(|d| d.decided_on > self.decision_due)
    }

    /// The status a referrer sees.
    pub fn status_text(&self) -> String {
        match &self.decision {
            None => "Received: awaiting the front door's decision".to_owned(),
            Some(d) => format!("Decided: {}", d.outcome.label()),
        }
    }
}
