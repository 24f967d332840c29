//! FHIR R4 for the flag register (CP-IS, spec §6.4): the resources safeguard sends to health
//! systems, and the mapping from the register's domain types to them. This room turns flags into
//! `Bundle`s of `Flag`s, errors into `OperationOutcome`s, and describes the server in a
//! `CapabilityStatement`. It must never carry a name, a narrative or a category of abuse: a flag
//! holds the NHS number, the type, the dates, the section or expected delivery, and whom to call
//! (spec §6.1 "Data held per patient" and "Not held").
//!
//! The resources are hand-written serde structs of the few R4 elements we emit ([`model`]),
//! checked against a third-party model (PyPI's `fhir.resources`) in the web crate's tests. No
//! Rust FHIR crate fits: `fhir-sdk` models STU3, R4B and R5 but not R4 (4.0.1); `fhirbolt` (0.4,
//! "experimental") and the `fhir` crate generate every resource of a release, tens of thousands
//! of lines to compile on each build for six resources we only ever write; neither validates
//! more than serde does. A few hundred lines of structs keep the output exact and reviewable.
//!
//! Our codes: the flag type is `Flag.code.coding` in [`FLAG_TYPE_SYSTEM`] (`CPP`, `LAC`,
//! `UNBORN_CPP`, `docs/flags.md`); the looked-after section, the expected date of delivery, the
//! allocated team and the advice are extensions of ours ([`ext`]); the LA's office-hours and
//! out-of-hours numbers are told apart by [`ext::CONTACT_POINT_HOURS`].

pub mod model;

use jiff::Timestamp;
use safeguard_domain::{Flag, FlagType, NhsNumber};

use model::{
    Bundle, BundleEntry, BundleLink, BundleSearch, CapabilityStatement, CodeableConcept, Coding,
    ContactPoint, Extension, Identifier, Implementation, Interaction, Issue, IssueType, Meta,
    OperationOutcome, Organization, Patient, Period, Reference, Resource, Rest, RestResource,
    SearchParam, Security, Software,
};

/// The NHS number's identifier system (NHS England's FHIR identifier namespace).
pub const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
/// Our CodeSystem of flag types: the register's codes (`docs/flags.md`).
pub const FLAG_TYPE_SYSTEM: &str = "https://safeguard.example/fhir/CodeSystem/flag-type";
/// HL7's flag categories; every register flag is `safety`.
pub const FLAG_CATEGORY_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/flag-category";
/// The FHIR release served.
pub const FHIR_VERSION: &str = "4.0.1";
/// The media type of every response.
pub const FHIR_JSON: &str = "application/fhir+json";
/// When the CapabilityStatement last changed (its `date`, required by R4).
pub const CAPABILITY_DATE: &str = "2026-12-03";

/// Our extensions (StructureDefinition URLs), each with one value.
pub mod ext {
    /// `valueCode` `s31`, `s38` or `s20` on a `LAC` flag: who holds parental responsibility.
    pub const LOOKED_AFTER_SECTION: &str =
        "https://safeguard.example/fhir/StructureDefinition/looked-after-section";
    /// `valueDate` on an `UNBORN_CPP` flag: the expected date of delivery.
    pub const EXPECTED_DELIVERY: &str =
        "https://safeguard.example/fhir/StructureDefinition/expected-delivery-date";
    /// `valueString`: the LA's allocated team, when it shares it.
    pub const ALLOCATED_TEAM: &str =
        "https://safeguard.example/fhir/StructureDefinition/allocated-team";
    /// `valueString`: what to do, in plain words (the "Check a child" page's advice).
    pub const ADVICE: &str = "https://safeguard.example/fhir/StructureDefinition/flag-advice";
    /// `valueCode` `office-hours` or `out-of-hours` on an `Organization.telecom`: R4's
    /// `ContactPoint.use` has no code for an emergency duty team's number.
    pub const CONTACT_POINT_HOURS: &str =
        "https://safeguard.example/fhir/StructureDefinition/contact-point-hours";
}

/// One flag as a lookup shows it.
#[derive(Debug, Clone, Copy)]
pub struct FlagEntry<'a> {
    /// The flag.
    pub flag: &'a Flag,
    /// True while the plan or status continues (`Flag.status` `active`), false for one ended
    /// within the visibility window (`inactive`).
    pub active: bool,
    /// What to do, in plain words.
    pub advice: Option<&'a str>,
}

/// The `searchset` Bundle answering a search for `nhs`: one `Flag` per entry, each with its
/// `Patient` and `Organization` contained; no entries and `total` 0 for a miss. `base_url` is
/// the FHIR base (`https://host/fhir`), for the `self` link; `at` is the bundle's
/// `meta.lastUpdated`.
pub fn flag_bundle<'a>(
    nhs: &NhsNumber,
    flags: impl IntoIterator<Item = FlagEntry<'a>>,
    base_url: &str,
    at: Timestamp,
) -> Resource {
    let entry: Vec<BundleEntry> = flags
        .into_iter()
        .map(|e| BundleEntry {
            full_url: format!("urn:uuid:{}", e.flag.id),
            resource: Resource::Flag(Box::new(flag_resource(e))),
            search: BundleSearch { mode: "match" },
        })
        .collect();
    Resource::Bundle(Bundle {
        meta: Meta {
            last_updated: Some(at.to_string()),
        },
        type_: "searchset",
        total: u32::try_from(entry.len()).unwrap_or(u32::MAX),
        link: vec![BundleLink {
            relation: "self",
            url: search_url(base_url, nhs),
        }],
        entry,
    })
}

/// The search URL for an NHS number, as the `self` link gives it.
pub fn search_url(base_url: &str, nhs: &NhsNumber) -> String {
    format!(
        "{}/Flag?patient.identifier={NHS_NUMBER_SYSTEM}%7C{}",
        base_url.trim_end_matches('/'),
        nhs.as_str()
    )
}

/// One register flag as an R4 `Flag`.
pub fn flag_resource(entry: FlagEntry<'_>) -> model::Flag {
    let f = entry.flag;
    let mut extension = Vec::new();
    let mut text = f.kind.label().to_owned();
    if let Some(section) = f.section {
        extension.push(Extension {
            url: ext::LOOKED_AFTER_SECTION,
            value_code: Some(section.code()),
            value_date: None,
            value_string: None,
        });
        text = format!("{text}: {}", section.label());
    }
    if let Some(edd) = f.expected_delivery {
        extension.push(Extension {
            url: ext::EXPECTED_DELIVERY,
            value_code: None,
            value_date: Some(edd.to_string()),
            value_string: None,
        });
        text = format!("{text}: expected delivery {edd}");
    }
    let strings = [
        (ext::ALLOCATED_TEAM, f.team.clone()),
        (ext::ADVICE, entry.advice.map(str::to_owned)),
    ];
    for (url, value) in strings {
        if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
            extension.push(Extension {
                url,
                value_code: None,
                value_date: None,
                value_string: Some(value),
            });
        }
    }
    model::Flag {
        id: f.id.to_string(),
        contained: vec![
            Resource::Patient(Patient {
                id: "patient",
                identifier: vec![Identifier {
                    system: NHS_NUMBER_SYSTEM,
                    value: f.nhs_number.as_str().to_owned(),
                }],
            }),
            Resource::Organization(Organization {
                id: "la",
                name: f.contact.name.clone(),
                telecom: telecom(f),
            }),
        ],
        extension,
        status: if entry.active { "active" } else { "inactive" },
        category: vec![CodeableConcept {
            coding: vec![Coding {
                system: FLAG_CATEGORY_SYSTEM,
                code: "safety",
                display: "Safety",
            }],
            text: None,
        }],
        code: CodeableConcept {
            coding: vec![flag_type_coding(f.kind)],
            text: Some(text),
        },
        subject: Reference {
            reference: "#patient".into(),
            display: None,
        },
        period: Period {
            start: Some(f.start.to_string()),
            end: f.end.map(|d| d.to_string()),
        },
        author: Reference {
            reference: "#la".into(),
            display: Some(f.contact.name.clone()),
        },
    }
}

/// The coding of a flag type in our CodeSystem.
pub fn flag_type_coding(kind: FlagType) -> Coding {
    Coding {
        system: FLAG_TYPE_SYSTEM,
        code: kind.code(),
        display: kind.label(),
    }
}

/// The LA's numbers: office hours first (rank 1), the emergency duty team second (spec §6.1:
/// "responsible LA name with office-hours and emergency-duty phone numbers").
fn telecom(f: &Flag) -> Vec<ContactPoint> {
    [
        (&f.contact.office_phone, "office-hours"),
        (&f.contact.emergency_phone, "out-of-hours"),
    ]
    .into_iter()
    .filter_map(|(phone, hours)| phone.as_ref().map(|p| (p, hours)))
    .enumerate()
    .map(|(i, (phone, hours))| ContactPoint {
        extension: vec![Extension {
            url: ext::CONTACT_POINT_HOURS,
            value_code: Some(hours),
            value_date: None,
            value_string: None,
        }],
        system: "phone",
        value: phone.clone(),
        use_: "work",
        rank: u32::try_from(i + 1).ok(),
    })
    .collect()
}

/// An `OperationOutcome` with one error.
pub fn operation_outcome(code: IssueType, diagnostics: impl Into<String>) -> Resource {
    Resource::OperationOutcome(OperationOutcome {
        issue: vec![Issue {
            severity: "error",
            code,
            diagnostics: diagnostics.into(),
        }],
    })
}

/// Why a `patient.identifier` search value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentifierError {
    /// Not `system|value`, or a system other than the NHS number's.
    WrongSystem,
    /// The NHS number is not valid (the reason, for a person).
    NhsNumber(String),
}

/// Parses a `patient.identifier` token, `https://fhir.nhs.uk/Id/nhs-number|9434765919`: the
/// system must be the NHS number's (a bare value is refused: an NHS number is the only
/// identifier CP-IS holds flags against, spec §6.1, and saying so avoids matching some other
/// number by accident).
pub fn parse_patient_identifier(token: &str) -> Result<NhsNumber, IdentifierError> {
    let (system, value) = token.split_once('|').ok_or(IdentifierError::WrongSystem)?;
    if system != NHS_NUMBER_SYSTEM {
        return Err(IdentifierError::WrongSystem);
    }
    NhsNumber::parse(value).map_err(|e| IdentifierError::NhsNumber(e.to_string()))
}

/// What this server does: search `Flag` by `patient.identifier`, over JSON, with a bearer token.
pub fn capability_statement(base_url: &str) -> Resource {
    let version = env!("CARGO_PKG_VERSION");
    Resource::CapabilityStatement(Box::new(CapabilityStatement {
        id: "safeguard",
        version,
        name: "SafeguardFlagRegister",
        title: "Safeguard flag register (CP-IS) FHIR R4 server",
        status: "active",
        date: CAPABILITY_DATE,
        publisher: "Safeguard",
        kind: "instance",
        software: Software {
            name: "safeguard",
            version,
        },
        implementation: Implementation {
            description: "The local authority's register of child protection plans and \
                          looked-after children, for health settings",
            url: base_url.trim_end_matches('/').to_owned(),
        },
        fhir_version: FHIR_VERSION,
        format: vec![FHIR_JSON],
        rest: vec![Rest {
            mode: "server",
            documentation: "Send `Authorization: Bearer <token>` (a token with the `flags:read` \
                scope, of a health setting). `X-Unscheduled-Access: true` (the default) tells the \
                responsible local authority of the access, as CP-IS's \
                `IsUnscheduledAccessEvent=true`; `false` is a silent read for scheduled care. \
                `X-Practitioner` names the practitioner the system acts for (audited). \
                Errors are OperationOutcomes; calls are rate limited per token (429 with \
                Retry-After).",
            security: Security {
                cors: false,
                service: vec![CodeableConcept {
                    coding: Vec::new(),
                    text: Some("Bearer token (RFC 6750)".into()),
                }],
                description: "API tokens from the local authority's operators \
                              (`safeguard token create --scope flags:read`), hashed at rest",
            },
            resource: vec![RestResource {
                type_: "Flag",
                documentation: "Child protection plans (CPP), looked-after status (LAC) and \
                    unborn child protection plans (UNBORN_CPP) held against an NHS number, with \
                    the responsible local authority's numbers",
                interaction: vec![Interaction {
                    code: "search-type",
                    documentation: "GET [base]/Flag?patient.identifier=\
                                    https://fhir.nhs.uk/Id/nhs-number|{nhs}",
                }],
                search_param: vec![SearchParam {
                    name: "patient.identifier",
                    type_: "token",
                    documentation: "The NHS number, with its system: \
                                    https://fhir.nhs.uk/Id/nhs-number|9434765919",
                }],
            }],
        }],
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use safeguard_domain::{AgencyId, FlagId, FlagSource, LaContact, LookedAfterSection};

    fn flag(kind: FlagType) -> Flag {
        Flag {
            id: "019ad7a0-0000-7000-8000-000000000001"
                .parse::<FlagId>()
                .unwrap(),
            nhs_number: NhsNumber::parse("943 476 5919").unwrap(),
            kind,
            start: "2026-01-05".parse().unwrap(),
            end: None,
            expected_delivery: None,
            section: None,
            contact: LaContact {
                la: AgencyId::new(),
                name: "Northmoor Borough Council".into(),
                office_phone: Some("01632 960000".into()),
                emergency_phone: Some("01632 960999".into()),
            },
            team: None,
            source: FlagSource::Derived,
            source_ref: "case:x:step:1".into(),
            child: None,
        }
    }

    fn at() -> Timestamp {
        "2026-11-23T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_hit_is_a_searchset_of_flags_with_patient_and_la_contained() {
        let cpp = flag(FlagType::ChildProtectionPlan);
        let lac = Flag {
            id: "019ad7a0-0000-7000-8000-000000000002".parse().unwrap(),
            section: Some(LookedAfterSection::S31CareOrder),
            end: Some("2026-06-30".parse().unwrap()),
            team: Some("Children in Care Team".into()),
            ..flag(FlagType::LookedAfter)
        };
        let entries = [
            FlagEntry {
                flag: &cpp,
                active: true,
                advice: Some("Call Northmoor Borough Council."),
            },
            FlagEntry {
                flag: &lac,
                active: false,
                advice: None,
            },
        ];
        let bundle = flag_bundle(&cpp.nhs_number, entries, "https://sg.example/fhir/", at());
        insta::assert_json_snapshot!("hit", bundle);
    }

    #[test]
    fn a_miss_is_an_empty_searchset() {
        let nhs = NhsNumber::parse("9434765919").unwrap();
        let json =
            serde_json::to_value(flag_bundle(&nhs, [], "https://sg.example/fhir", at())).unwrap();
        assert_eq!(json["resourceType"], "Bundle");
        assert_eq!(json["type"], "searchset");
        assert_eq!(json["total"], 0);
        assert!(json.get("entry").is_none(), "no empty list in FHIR JSON");
        assert_eq!(
            json["link"][0]["url"],
            "https://sg.example/fhir/Flag?patient.identifier=https://fhir.nhs.uk/Id/nhs-number%7C9434765919"
        );
    }

    #[test]
    fn an_unborn_plan_carries_the_expected_delivery_and_no_name() {
        let f = Flag {
            expected_delivery: Some("2027-02-01".parse().unwrap()),
            contact: LaContact {
                emergency_phone: None,
                ..flag(FlagType::UnbornChildProtectionPlan).contact
            },
            ..flag(FlagType::UnbornChildProtectionPlan)
        };
        let json = serde_json::to_value(flag_resource(FlagEntry {
            flag: &f,
            active: true,
            advice: None,
        }))
        .unwrap();
        assert_eq!(json["code"]["coding"][0]["code"], "UNBORN_CPP");
        assert_eq!(
            json["code"]["text"],
            "Unborn child protection plan: expected delivery 2027-02-01"
        );
        assert_eq!(json["extension"][0]["url"], ext::EXPECTED_DELIVERY);
        assert_eq!(json["extension"][0]["valueDate"], "2027-02-01");
        let telecom = json["contained"][1]["telecom"].as_array().unwrap();
        assert_eq!(telecom.len(), 1, "only the office number is known");
        assert_eq!(telecom[0]["rank"], 1);
        let patient = &json["contained"][0];
        assert_eq!(patient["resourceType"], "Patient");
        assert!(patient.get("name").is_none() && patient.get("birthDate").is_none());
    }

    #[test]
    fn the_identifier_must_be_an_nhs_number_with_its_system() {
        assert_eq!(
            parse_patient_identifier("https://fhir.nhs.uk/Id/nhs-number|943 476 5919"),
            Ok(NhsNumber::parse("9434765919").unwrap())
        );
        for bad in [
            "9434765919",
            "|9434765919",
            "http://fhir.nhs.uk/Id/nhs-number|9434765919",
            "https://fhir.nhs.uk/Id/local|9434765919",
        ] {
            assert_eq!(
                parse_patient_identifier(bad),
                Err(IdentifierError::WrongSystem),
                "{bad}"
            );
        }
        assert!(matches!(
            parse_patient_identifier("https://fhir.nhs.uk/Id/nhs-number|9434765918"),
            Err(IdentifierError::NhsNumber(_))
        ));
    }

    #[test]
    fn outcomes_and_the_capability_statement() {
        let oo = serde_json::to_value(operation_outcome(IssueType::NotSupported, "x")).unwrap();
        assert_eq!(oo["resourceType"], "OperationOutcome");
        assert_eq!(oo["issue"][0]["code"], "not-supported");
        insta::assert_json_snapshot!(
            "capability_statement",
            capability_statement("https://sg.example/fhir")
        );
    }
}
