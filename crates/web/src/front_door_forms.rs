//! Forms of the front door: concerns, referrals and phone contacts, screening decisions.

use jiff::civil::Date;
use safeguard_app::FieldError;
use safeguard_app::referrals::{ConcernInput, DecisionInput, ReferralInput};
use safeguard_domain::{
    AgencyId, AssessmentFactor, Birth, ConcernCategory, ConcernId, ConsentStatus, HouseholdMember,
    ImmediateProtection, LawfulBasis, NhsNumber, PersonName, Postcode, ReferralSource,
    ReferredChild, Relationship, ScreeningOutcome, Sex, Urgency,
};
use serde::Deserialize;

use crate::forms::parse_date_parts;

fn optional(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

/// The child's details, as a referrer gives them (shared by concerns, referrals and contacts).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChildFields {
    #[serde(default)]
    pub given_name: String,
    #[serde(default)]
    pub family_name: String,
    #[serde(default, rename = "dob-day")]
    pub dob_day: String,
    #[serde(default, rename = "dob-month")]
    pub dob_month: String,
    #[serde(default, rename = "dob-year")]
    pub dob_year: String,
    #[serde(default)]
    pub sex: String,
    #[serde(default)]
    pub nhs_number: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub postcode: String,
}

impl ChildFields {
    pub fn from_child(c: &ReferredChild) -> Self {
        let d = c.birth.map(|b| b.date());
        Self {
            given_name: c.name.given.clone(),
            family_name: c.name.family.clone(),
            dob_day: d.map(|d| d.day().to_string()).unwrap_or_default(),
            dob_month: d.map(|d| d.month().to_string()).unwrap_or_default(),
            dob_year: d.map(|d| d.year().to_string()).unwrap_or_default(),
            sex: c.sex.code().into(),
            nhs_number: c
                .nhs_number
                .as_ref()
                .map(|n| n.to_string())
                .unwrap_or_default(),
            address: c.address.clone(),
            postcode: c
                .postcode
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default(),
        }
    }

    fn parse(&self, today: Date, errors: &mut Vec<FieldError>) -> Option<ReferredChild> {
        let birth = match parse_date_parts(
            "dob",
            "Date of birth",
            &self.dob_day,
            &self.dob_month,
            &self.dob_year,
        ) {
            Ok(Some(d)) if d > today => Some(Birth::Expected(d)),
            Ok(d) => d.map(Birth::Born),
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let sex = Sex::parse(&self.sex).unwrap_or(Sex::Unknown);
        let nhs_number = match optional(&self.nhs_number).map(NhsNumber::parse).transpose() {
            Ok(n) => n,
            Err(e) => {
                errors.push(FieldError::new("nhs_number", e.to_string()));
                None
            }
        };
        let postcode = match optional(&self.postcode).map(Postcode::parse).transpose() {
            Ok(p) => p,
            Err(e) => {
                errors.push(FieldError::new("postcode", e.to_string()));
                None
            }
        };
        Some(ReferredChild {
            name: PersonName {
                given: self.given_name.trim().to_owned(),
                family: self.family_name.trim().to_owned(),
            },
            birth,
            sex,
            nhs_number,
            address: self.address.trim().to_owned(),
            postcode,
        })
    }
}

/// Record a concern.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConcernForm {
    #[serde(flatten)]
    pub child: ChildFields,
    #[serde(default, rename = "happened-day")]
    pub happened_day: String,
    #[serde(default, rename = "happened-month")]
    pub happened_month: String,
    #[serde(default, rename = "happened-year")]
    pub happened_year: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub what: String,
    #[serde(default)]
    pub who: String,
    #[serde(default)]
    pub action_taken: String,
}

impl ConcernForm {
    pub fn parse(&self, today: Date) -> Result<ConcernInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let child = self.child.parse(today, &mut errors);
        let happened = match parse_date_parts(
            "happened",
            "The date",
            &self.happened_day,
            &self.happened_month,
            &self.happened_year,
        ) {
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                errors.push(FieldError::new(
                    "happened-day",
                    "Enter the date it was seen or said",
                ));
                None
            }
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let category = ConcernCategory::parse(&self.category)
            .map_err(|_| errors.push(FieldError::new("category", "Select the kind of concern")))
            .ok();
        if self.child.given_name.trim().is_empty() && self.child.family_name.trim().is_empty() {
            errors.push(FieldError::new("given_name", "Enter the child's name"));
        }
        // The use-case checks these too; checking here shows every problem at once.
        if self.what.trim().is_empty() {
            errors.push(FieldError::new("what", "Enter what was seen or said"));
        }
        if self.action_taken.trim().is_empty() {
            errors.push(FieldError::new(
                "action_taken",
                "Enter what you did about it",
            ));
        }
        match (child, happened, category) {
            (Some(child), Some(happened_on), Some(category)) if errors.is_empty() => {
                Ok(ConcernInput {
                    child,
                    happened_on,
                    category,
                    what: self.what.clone(),
                    who: self.who.clone(),
                    action_taken: self.action_taken.clone(),
                })
            }
            _ => Err(errors),
        }
    }
}

/// Refer a child, or (at the front door) record a phone contact.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReferralForm {
    #[serde(flatten)]
    pub child: ChildFields,
    #[serde(default)]
    pub la: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub reasons: String,
    #[serde(default)]
    pub factors: Vec<String>,
    #[serde(default)]
    pub consent: String,
    #[serde(default)]
    pub lawful_basis: String,
    #[serde(default)]
    pub urgency: String,
    #[serde(default)]
    pub child_safe_now: String,
    #[serde(default)]
    pub household_name_1: String,
    #[serde(default)]
    pub household_relationship_1: String,
    #[serde(default)]
    pub household_pr_1: Option<String>,
    #[serde(default)]
    pub household_name_2: String,
    #[serde(default)]
    pub household_relationship_2: String,
    #[serde(default)]
    pub household_pr_2: Option<String>,
    #[serde(default)]
    pub communication_needs: String,
    #[serde(default)]
    pub referrer_contact: String,
    #[serde(default)]
    pub referrer_name: String,
    #[serde(default)]
    pub concern: String,
}

impl ReferralForm {
    /// Household row `i` (1 or 2): name.
    pub fn household_name(&self, i: &i32) -> &str {
        if *i == 1 {
            &self.household_name_1
        } else {
            &self.household_name_2
        }
    }

    /// Household row `i`: relationship code.
    pub fn household_relationship(&self, i: &i32) -> &str {
        if *i == 1 {
            &self.household_relationship_1
        } else {
            &self.household_relationship_2
        }
    }

    /// Household row `i`: parental responsibility ticked.
    pub fn household_pr(&self, i: &i32) -> bool {
        if *i == 1 {
            self.household_pr_1.is_some()
        } else {
            self.household_pr_2.is_some()
        }
    }

    pub fn has_factor(&self, code: &str) -> bool {
        self.factors.iter().any(|f| f == code)
    }

    pub fn parse(&self, today: Date) -> Result<ReferralInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let child = self.child.parse(today, &mut errors);
        let la = self
            .la
            .parse::<AgencyId>()
            .map_err(|_| {
                errors.push(FieldError::new(
                    "la",
                    "Select the local authority to refer to",
                ))
            })
            .ok();
        let source = ReferralSource::parse(&self.source)
            .map_err(|_| errors.push(FieldError::new("source", "Select who is referring")))
            .ok();
        let consent = ConsentStatus::parse(&self.consent)
            .map_err(|_| {
                errors.push(FieldError::new(
                    "consent",
                    "Select whether the family knows and agrees, or why you did not ask",
                ))
            })
            .ok();
        let lawful_basis = LawfulBasis::parse(&self.lawful_basis)
            .map_err(|_| {
                errors.push(FieldError::new(
                    "lawful_basis",
                    "Select the lawful basis for sharing this information",
                ))
            })
            .ok();
        let urgency = Urgency::parse(&self.urgency)
            .map_err(|_| errors.push(FieldError::new("urgency", "Select how urgent this is")))
            .ok();
        let safe = match self.child_safe_now.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => {
                errors.push(FieldError::new(
                    "child_safe_now",
                    "Select whether the child is safe now",
                ));
                None
            }
        };
        let mut factors = Vec::new();
        for f in &self.factors {
            match AssessmentFactor::parse(f) {
                Ok(a) => factors.push(a),
                Err(_) => errors.push(FieldError::new("factors", "Select factors from the list")),
            }
        }
        let mut household = Vec::new();
        for (i, (name, rel, pr)) in [
            (
                &self.household_name_1,
                &self.household_relationship_1,
                &self.household_pr_1,
            ),
            (
                &self.household_name_2,
                &self.household_relationship_2,
                &self.household_pr_2,
            ),
        ]
        .into_iter()
        .enumerate()
        {
            if name.trim().is_empty() {
                continue;
            }
            match Relationship::parse(rel) {
                Ok(relationship) => household.push(HouseholdMember {
                    name: name.trim().to_owned(),
                    relationship,
                    parental_responsibility: pr.is_some(),
                }),
                Err(_) => errors.push(FieldError::new(
                    format!("household_relationship_{}", i + 1),
                    "Select how this person is related to the child",
                )),
            }
        }
        let concern = optional(&self.concern)
            .map(|c| c.parse::<ConcernId>())
            .transpose()
            .map_err(|_| {
                errors.push(FieldError::new(
                    "reasons",
                    "The concern this referral comes from no longer exists",
                ))
            })
            .ok()
            .flatten();
        match (child, la, source, consent, lawful_basis, urgency, safe) {
            (
                Some(child),
                Some(la),
                Some(source),
                Some(consent),
                Some(lawful_basis),
                Some(urgency),
                Some(child_safe_now),
            ) if errors.is_empty() => Ok(ReferralInput {
                la,
                child,
                source,
                reasons: self.reasons.clone(),
                factors,
                consent,
                lawful_basis,
                urgency,
                child_safe_now,
                household,
                communication_needs: self.communication_needs.clone(),
                referrer_contact: self.referrer_contact.clone(),
                referrer_name: optional(&self.referrer_name).map(str::to_owned),
                concern,
            }),
            _ => Err(errors),
        }
    }
}

/// Link a referral to a known child, or to a new record (no `child`).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LinkForm {
    #[serde(default)]
    pub child: String,
    #[serde(default)]
    pub version: u32,
}

/// The screening decision.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DecisionForm {
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub protection: String,
    #[serde(default)]
    pub reasons: String,
    #[serde(default)]
    pub advice: String,
    #[serde(default)]
    pub version: u32,
}

impl DecisionForm {
    pub fn parse(&self) -> Result<DecisionInput, Vec<FieldError>> {
        let outcome = ScreeningOutcome::parse(&self.outcome)
            .map_err(|_| vec![FieldError::new("outcome", "Select the decision")])?;
        let protection = optional(&self.protection)
            .map(ImmediateProtection::parse)
            .transpose()
            .map_err(|_| {
                vec![FieldError::new(
                    "protection",
                    "Select police protection or an emergency protection order",
                )]
            })?;
        Ok(DecisionInput {
            outcome,
            protection,
            reasons: self.reasons.clone(),
            advice: self.advice.clone(),
            version: self.version,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn referral() -> ReferralForm {
        ReferralForm {
            child: ChildFields {
                given_name: "Amy".into(),
                family_name: "Thistledown".into(),
                ..Default::default()
            },
            la: AgencyId::new().to_string(),
            source: "2A".into(),
            reasons: "Bruising".into(),
            consent: "given".into(),
            lawful_basis: "art6_1_e".into(),
            urgency: "standard".into(),
            child_safe_now: "yes".into(),
            referrer_contact: "01632 960000".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_referral_with_the_minimum_parses() {
        let r = referral().parse(date(2026, 11, 23)).unwrap();
        assert_eq!(r.child.birth, None);
        assert!(r.child_safe_now);
    }

    #[test]
    fn every_missing_choice_is_named() {
        let f = ReferralForm {
            child: referral().child,
            ..Default::default()
        };
        let fields: Vec<_> = f
            .parse(date(2026, 11, 23))
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            vec![
                "la",
                "source",
                "consent",
                "lawful_basis",
                "urgency",
                "child_safe_now"
            ]
        );
    }

    #[test]
    fn household_rows_need_a_relationship_and_bad_ids_are_refused() {
        let mut f = referral();
        f.household_name_1 = "Alex Thistledown".into();
        f.factors = vec!["99Z".into()];
        f.child.nhs_number = "123".into();
        let fields: Vec<_> = f
            .parse(date(2026, 11, 23))
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            vec!["nhs_number", "factors", "household_relationship_1"]
        );
    }

    #[test]
    fn a_future_date_of_birth_is_an_unborn_child() {
        let mut f = referral();
        f.child.dob_day = "1".into();
        f.child.dob_month = "3".into();
        f.child.dob_year = "2027".into();
        let r = f.parse(date(2026, 11, 23)).unwrap();
        assert!(r.child.birth.unwrap().is_unborn());
    }

    #[test]
    fn a_decision_needs_an_outcome() {
        assert!(DecisionForm::default().parse().is_err());
        let d = DecisionForm {
            outcome: "assessment".into(),
            reasons: "x".into(),
            version: 3,
            ..Default::default()
        }
        .parse()
        .unwrap();
        assert_eq!(d.version, 3);
    }
}

/// Record the next step of a case.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CaseStepForm {
    #[serde(default)]
    pub event: String,
    #[serde(default, rename = "on-day")]
    pub on_day: String,
    #[serde(default, rename = "on-month")]
    pub on_month: String,
    #[serde(default, rename = "on-year")]
    pub on_year: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub version: u32,
}

impl CaseStepForm {
    pub fn parse(&self) -> Result<safeguard_app::cases::CaseStepInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.event.trim().is_empty() {
            errors.push(FieldError::new("event", "Select what happened"));
        }
        let on = match parse_date_parts(
            "on",
            "The date",
            &self.on_day,
            &self.on_month,
            &self.on_year,
        ) {
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                errors.push(FieldError::new("on-day", "Enter the date it happened"));
                None
            }
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let category = match optional(&self.category)
            .map(safeguard_domain::AbuseCategory::parse)
            .transpose()
        {
            Ok(c) => c,
            Err(_) => {
                errors.push(FieldError::new(
                    "category",
                    "Select a category from the list",
                ));
                None
            }
        };
        match on {
            Some(on) if errors.is_empty() => Ok(safeguard_app::cases::CaseStepInput {
                event: self.event.clone(),
                on,
                note: self.note.clone(),
                category,
                version: self.version,
            }),
            _ => Err(errors),
        }
    }
}
