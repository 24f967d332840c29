//! Forms as posted, and their parsing into domain types with GOV.UK-style field errors.
//!
//! Every form refuses fields it does not know (`deny_unknown_fields`), and every message names
//! the field and says how to fix it.

use jiff::civil::Date;
use safeguard_app::FieldError;
use safeguard_app::children::ChildInput;
use safeguard_domain::{
    Address, Agency, AgencyId, AgencyKind, Birth, Child, ChildGroups, NhsNumber, PersonName,
    Postcode, Role, Sex, TeamId, Upn,
};
use safeguard_store::ChildQuery;
use serde::{Deserialize, Serialize};

/// Sign-in: email and password.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignInForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
}

/// A TOTP code.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodeForm {
    #[serde(default)]
    pub code: String,
}

/// An empty form (sign-out): only the CSRF token, checked by the extractor.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EmptyForm {}

/// First-run set-up: the LA and its first administrator.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetupForm {
    #[serde(default)]
    pub la_name: String,
    #[serde(default)]
    pub la_code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub password_confirm: String,
}

/// Find a child: GET query.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub nhs_number: String,
    #[serde(default)]
    pub postcode: String,
    #[serde(default, rename = "dob-day")]
    pub dob_day: String,
    #[serde(default, rename = "dob-month")]
    pub dob_month: String,
    #[serde(default, rename = "dob-year")]
    pub dob_year: String,
}

impl SearchForm {
    /// True when nothing was entered (the first visit to the page).
    pub fn is_blank(&self) -> bool {
        [
            &self.name,
            &self.nhs_number,
            &self.postcode,
            &self.dob_day,
            &self.dob_month,
            &self.dob_year,
        ]
        .iter()
        .all(|s| s.trim().is_empty())
    }

    /// Parses into a query, or the field errors.
    pub fn parse(&self) -> Result<ChildQuery, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = Some(self.name.trim().to_owned()).filter(|s| !s.is_empty());
        if name.as_ref().is_some_and(|n| n.chars().count() < 2) {
            errors.push(FieldError::new(
                "name",
                "Enter at least 2 letters of the name",
            ));
        }
        let nhs_number = optional(&self.nhs_number)
            .map(NhsNumber::parse)
            .transpose()
            .map_err(|e| errors.push(FieldError::new("nhs_number", e.to_string())))
            .ok()
            .flatten();
        let postcode = optional(&self.postcode)
            .map(Postcode::parse)
            .transpose()
            .map_err(|e| errors.push(FieldError::new("postcode", e.to_string())))
            .ok()
            .flatten();
        let birth_date = parse_date_parts(
            "dob",
            "Date of birth",
            &self.dob_day,
            &self.dob_month,
            &self.dob_year,
        )
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ChildQuery {
            name,
            birth_date,
            nhs_number,
            postcode,
        })
    }
}

fn optional(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

/// Parses a GOV.UK date input (three fields). All empty is `None`.
pub(crate) fn parse_date_parts(
    field: &str,
    label: &str,
    day: &str,
    month: &str,
    year: &str,
) -> Result<Option<Date>, FieldError> {
    let parts = [day.trim(), month.trim(), year.trim()];
    if parts.iter().all(|p| p.is_empty()) {
        return Ok(None);
    }
    let missing: Vec<&str> = ["day", "month", "year"]
        .iter()
        .zip(parts.iter())
        .filter(|(_, v)| v.is_empty())
        .map(|(n, _)| *n)
        .collect();
    if !missing.is_empty() {
        return Err(FieldError::new(
            format!("{field}-day"),
            format!("{label} must include a {}", missing.join(" and ")),
        ));
    }
    let real = || {
        FieldError::new(
            format!("{field}-day"),
            format!("{label} must be a real date"),
        )
    };
    let d: i8 = parts[0].parse().map_err(|_| real())?;
    let m: i8 = parts[1].parse().map_err(|_| real())?;
    if parts[2].len() != 4 {
        return Err(FieldError::new(
            format!("{field}-year"),
            "Year must include 4 numbers, like 2015",
        ));
    }
    let y: i16 = parts[2].parse().map_err(|_| real())?;
    Date::new(y, m, d).map(Some).map_err(|_| real())
}

/// Add or edit a child.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChildForm {
    #[serde(default)]
    pub given_name: String,
    #[serde(default)]
    pub family_name: String,
    #[serde(default)]
    pub aliases: String,
    #[serde(default)]
    pub former_names: String,
    #[serde(default)]
    pub unborn: Option<String>,
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
    pub upn: String,
    #[serde(default)]
    pub address_line_1: String,
    #[serde(default)]
    pub address_line_2: String,
    #[serde(default)]
    pub town: String,
    #[serde(default)]
    pub postcode: String,
    #[serde(default)]
    pub school: String,
    #[serde(default)]
    pub ethnicity: String,
    #[serde(default)]
    pub first_language: String,
    #[serde(default)]
    pub disabled: Option<String>,
    #[serde(default)]
    pub young_carer: Option<String>,
    #[serde(default)]
    pub secure_establishment: Option<String>,
}

fn names_text(names: &[PersonName]) -> String {
    names
        .iter()
        .map(|n| n.full())
        .collect::<Vec<_>>()
        .join("\n")
}

/// One name per line, "Given Family" (the last word is the family name).
fn parse_names(field: &str, text: &str) -> Result<Vec<PersonName>, FieldError> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match line.rsplit_once(char::is_whitespace) {
            Some((given, family)) => out.push(PersonName {
                given: given.trim().to_owned(),
                family: family.trim().to_owned(),
            }),
            None => {
                return Err(FieldError::new(
                    field,
                    "Enter each name on its own line as given name then family name, like Amy Smith",
                ));
            }
        }
    }
    Ok(out)
}

impl ChildForm {
    /// Pre-fills the edit form from the record.
    pub fn from_child(c: &Child) -> Self {
        let d = c.birth.date();
        let addr = c.addresses.iter().find(|a| a.to.is_none());
        Self {
            given_name: c.name.given.clone(),
            family_name: c.name.family.clone(),
            aliases: names_text(&c.aliases),
            former_names: names_text(&c.former_names),
            unborn: c.birth.is_unborn().then(|| "yes".into()),
            dob_day: d.day().to_string(),
            dob_month: d.month().to_string(),
            dob_year: d.year().to_string(),
            sex: c.sex.code().into(),
            nhs_number: c
                .nhs_number
                .as_ref()
                .map(|n| n.to_string())
                .unwrap_or_default(),
            upn: c.upn.as_ref().map(|u| u.to_string()).unwrap_or_default(),
            address_line_1: addr
                .and_then(|a| a.lines.first().cloned())
                .unwrap_or_default(),
            address_line_2: addr
                .and_then(|a| a.lines.get(1).cloned())
                .unwrap_or_default(),
            town: addr.map(|a| a.town.clone()).unwrap_or_default(),
            postcode: addr.map(|a| a.postcode.to_string()).unwrap_or_default(),
            school: c.school.map(|s| s.to_string()).unwrap_or_default(),
            ethnicity: c.ethnicity.clone().unwrap_or_default(),
            first_language: c.first_language.clone().unwrap_or_default(),
            disabled: c.groups.disabled.then(|| "yes".into()),
            young_carer: c.groups.young_carer.then(|| "yes".into()),
            secure_establishment: c.groups.secure_establishment.then(|| "yes".into()),
        }
    }

    /// Parses into the use-case input, or every field error at once.
    pub fn parse(&self, today: Date) -> Result<ChildInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let given = self.given_name.trim();
        let family = self.family_name.trim();
        if given.is_empty() {
            errors.push(FieldError::new(
                "given_name",
                "Enter the child's given name (for an unborn child, enter Unborn)",
            ));
        }
        if family.is_empty() {
            errors.push(FieldError::new(
                "family_name",
                "Enter the child's family name",
            ));
        }
        let aliases = parse_names("aliases", &self.aliases)
            .map_err(|e| errors.push(e))
            .unwrap_or_default();
        let former_names = parse_names("former_names", &self.former_names)
            .map_err(|e| errors.push(e))
            .unwrap_or_default();
        let unborn = self.unborn.is_some();
        let label = if unborn {
            "Expected date of birth"
        } else {
            "Date of birth"
        };
        let birth = match parse_date_parts(
            "dob",
            label,
            &self.dob_day,
            &self.dob_month,
            &self.dob_year,
        ) {
            Ok(Some(d)) if !unborn && d > today => {
                errors.push(FieldError::new("dob-day", "Date of birth must be today or in the past. For an unborn child, tick 'The child is not born yet'"));
                None
            }
            Ok(Some(d)) if unborn && d < today => {
                errors.push(FieldError::new("dob-day", "Expected date of birth must be in the future. If the child is born, untick 'The child is not born yet'"));
                None
            }
            Ok(Some(d)) if d.year() < 1990 => {
                errors.push(FieldError::new(
                    "dob-year",
                    format!("{label} must be after 1990"),
                ));
                None
            }
            Ok(Some(d)) => Some(if unborn {
                Birth::Expected(d)
            } else {
                Birth::Born(d)
            }),
            Ok(None) => {
                errors.push(FieldError::new(
                    "dob-day",
                    format!("Enter the {}", label.to_lowercase()),
                ));
                None
            }
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let sex = match Sex::parse(&self.sex) {
            Ok(s) => Some(s),
            Err(_) => {
                errors.push(FieldError::new(
                    "sex",
                    "Select the child's sex, or 'Not known'",
                ));
                None
            }
        };
        let nhs_number = optional(&self.nhs_number)
            .map(NhsNumber::parse)
            .transpose()
            .map_err(|e| errors.push(FieldError::new("nhs_number", e.to_string())))
            .ok()
            .flatten();
        let upn = optional(&self.upn)
            .map(Upn::parse)
            .transpose()
            .map_err(|e| errors.push(FieldError::new("upn", e.to_string())))
            .ok()
            .flatten();
        let any_address = [
            &self.address_line_1,
            &self.address_line_2,
            &self.town,
            &self.postcode,
        ]
        .iter()
        .any(|s| !s.trim().is_empty());
        let mut address = None;
        if any_address {
            if self.address_line_1.trim().is_empty() {
                errors.push(FieldError::new(
                    "address_line_1",
                    "Enter the first line of the address",
                ));
            }
            if self.town.trim().is_empty() {
                errors.push(FieldError::new("town", "Enter the town or city"));
            }
            match Postcode::parse(&self.postcode) {
                Ok(pc) => {
                    address = Some(Address {
                        lines: [&self.address_line_1, &self.address_line_2]
                            .iter()
                            .map(|s| s.trim().to_owned())
                            .filter(|s| !s.is_empty())
                            .collect(),
                        town: self.town.trim().to_owned(),
                        postcode: pc,
                        from: None,
                        to: None,
                    });
                }
                Err(e) => errors.push(FieldError::new("postcode", e.to_string())),
            }
        }
        let school = optional(&self.school)
            .map(|s| s.parse::<AgencyId>())
            .transpose()
            .map_err(|_| {
                errors.push(FieldError::new(
                    "school",
                    "Select a school, college or early years setting from the list",
                ))
            })
            .ok()
            .flatten();
        for (field, value, label) in [
            ("ethnicity", &self.ethnicity, "Ethnicity"),
            ("first_language", &self.first_language, "First language"),
        ] {
            if value.chars().count() > 100 {
                errors.push(FieldError::new(
                    field,
                    format!("{label} must be 100 characters or fewer"),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        match (birth, sex) {
            (Some(birth), Some(sex)) => Ok(ChildInput {
                name: PersonName {
                    given: given.to_owned(),
                    family: family.to_owned(),
                },
                aliases,
                former_names,
                birth,
                sex,
                nhs_number,
                upn,
                address,
                school,
                ethnicity: optional(&self.ethnicity).map(str::to_owned),
                first_language: optional(&self.first_language).map(str::to_owned),
                groups: ChildGroups {
                    disabled: self.disabled.is_some(),
                    young_carer: self.young_carer.is_some(),
                    secure_establishment: self.secure_establishment.is_some(),
                },
            }),
            _ => Err(vec![FieldError::new("dob-day", "Enter the date of birth")]),
        }
    }
}

/// Add an agency.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AgencyForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub ods_code: String,
    #[serde(default)]
    pub urn: String,
    #[serde(default)]
    pub la_code: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub out_of_hours_phone: String,
}

impl AgencyForm {
    pub fn parse(&self) -> Result<Agency, Vec<FieldError>> {
        let kind = AgencyKind::parse(&self.kind)
            .map_err(|_| vec![FieldError::new("kind", "Select the kind of agency")])?;
        let opt = |s: &str| optional(s).map(|s| s.to_uppercase());
        let agency = Agency {
            id: AgencyId::new(),
            kind,
            name: self.name.trim().to_owned(),
            ods_code: opt(&self.ods_code),
            urn: opt(&self.urn),
            la_code: opt(&self.la_code),
            phone: optional(&self.phone).map(str::to_owned),
            out_of_hours_phone: optional(&self.out_of_hours_phone).map(str::to_owned),
        };
        safeguard_app::admin::validate_agency(&agency)?;
        Ok(agency)
    }
}

/// Add a team.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TeamForm {
    #[serde(default)]
    pub team_agency: String,
    #[serde(default)]
    pub team_name: String,
}

/// Add a practitioner.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PractitionerForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub agency: String,
    #[serde(default)]
    pub team: String,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub password: String,
}

impl PractitionerForm {
    /// Whether a role box is ticked.
    pub fn has_role(&self, code: &str) -> bool {
        self.roles.iter().any(|r| r == code)
    }
}

/// Parses role codes from checkboxes.
pub(crate) fn parse_roles(codes: &[String]) -> Result<Vec<Role>, FieldError> {
    codes
        .iter()
        .map(|c| Role::parse(c).map_err(|_| FieldError::new("roles", "Select roles from the list")))
        .collect()
}

/// Parses an optional team id.
pub(crate) fn parse_team(s: &str) -> Result<Option<TeamId>, FieldError> {
    optional(s)
        .map(|t| t.parse::<TeamId>())
        .transpose()
        .map_err(|_| FieldError::new("team", "Select a team from the list"))
}

/// Change a practitioner's roles and status.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PractitionerUpdateForm {
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub active: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn form() -> ChildForm {
        ChildForm {
            given_name: "Amy".into(),
            family_name: "Thistledown".into(),
            dob_day: "14".into(),
            dob_month: "3".into(),
            dob_year: "2015".into(),
            sex: "F".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_minimal_child_parses() {
        let input = form().parse(date(2026, 11, 23)).unwrap();
        assert_eq!(input.birth, Birth::Born(date(2015, 3, 14)));
        assert_eq!(input.address, None);
    }

    #[test]
    fn bad_fields_are_all_named() {
        let mut f = form();
        f.nhs_number = "943 476 5918".into();
        f.upn = "X".into();
        f.postcode = "NOT A POSTCODE".into();
        f.dob_month = "13".into();
        f.sex = String::new();
        let fields: Vec<_> = f
            .parse(date(2026, 11, 23))
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            vec![
                "dob-day",
                "sex",
                "nhs_number",
                "upn",
                "address_line_1",
                "town",
                "postcode"
            ]
        );
    }

    #[test]
    fn born_children_cannot_be_born_in_the_future_and_unborn_ones_in_the_past() {
        let mut f = form();
        f.dob_year = "2030".into();
        assert!(f.parse(date(2026, 11, 23)).is_err());
        f.unborn = Some("yes".into());
        assert!(matches!(
            f.parse(date(2026, 11, 23)).unwrap().birth,
            Birth::Expected(_)
        ));
        f.dob_year = "2020".into();
        assert!(f.parse(date(2026, 11, 23)).is_err());
    }

    #[test]
    fn date_inputs_say_what_is_missing() {
        let e = parse_date_parts("dob", "Date of birth", "1", "", "").unwrap_err();
        assert_eq!(e.message, "Date of birth must include a month and year");
        assert_eq!(
            parse_date_parts("dob", "Date of birth", "", "", "").unwrap(),
            None
        );
        let e = parse_date_parts("dob", "Date of birth", "31", "2", "2020").unwrap_err();
        assert_eq!(e.message, "Date of birth must be a real date");
    }

    #[test]
    fn search_needs_valid_terms() {
        let q = SearchForm {
            nhs_number: "123".into(),
            ..Default::default()
        };
        assert_eq!(q.parse().unwrap_err()[0].field, "nhs_number");
        let q = SearchForm {
            name: "thistle".into(),
            ..Default::default()
        };
        assert_eq!(q.parse().unwrap().name.as_deref(), Some("thistle"));
    }

    #[test]
    fn names_are_one_per_line() {
        let n = parse_names("aliases", "Amy Jo Smith\n\nBea Jones").unwrap();
        assert_eq!(n[0].given, "Amy Jo");
        assert_eq!(n[1].family, "Jones");
        assert!(parse_names("aliases", "Cher").is_err());
    }
}
