//! The demo area for `safeguard serve --demo`: one local authority and its partners, a
//! practitioner in every role, and about 200 synthetic children in families, the same every time
//! for the same seed.
//!
//! Every name is plainly fictional (surnames like "Thistledown"), NHS numbers are in the 999
//! range the NHS reserves for testing, postcodes use the non-existent `NM` area, and telephone
//! numbers are in Ofcom's 01632 960 drama range. Demo accounts have their second factor switched
//! off, which the pages say in a banner; nothing outside this module can set that flag.

use jiff::civil::{Date, date};
use safeguard_domain::{
    Address, Agency, AgencyId, AgencyKind, Area, AreaId, Birth, Child, ChildGroups, ChildId,
    ChildPerson, ChronologyEntry, EventId, Involvement, NhsNumber, Partner, Person, PersonId,
    PersonName, Postcode, Practitioner, PractitionerId, Relationship, Role, Sex, Team, TeamId,
};
use safeguard_store::{Account, ChildRow, InvolvementRow, Tx};

use crate::auth::hash_password;
use crate::{App, AppError, AppResult};

/// The documented password of every demo account. It is not a secret: demo data only.
pub const DEMO_PASSWORD: &str = "demo-password-not-secret";
/// The seed used by `serve --demo` unless told otherwise.
pub const DEFAULT_SEED: u64 = 2026;
/// Demo dates are relative to this fixed day, so the data is the same whenever it is made.
const BASE: Date = date(2026, 11, 2);

/// A demo account, for the start-up message and the README.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLogin {
    /// Role shown to the reader.
    pub role: Role,
    /// Sign-in email.
    pub email: String,
    /// Agency name.
    pub agency: String,
}

const SURNAMES: &[&str] = &[
    "Applewood",
    "Bramblecott",
    "Cobblestone",
    "Dandelion",
    "Elderberry",
    "Foxglove",
    "Gingerbread",
    "Hazelnut",
    "Inkwell",
    "Juniperhill",
    "Kettleworth",
    "Lavenderfield",
    "Marmalade",
    "Nettlebed",
    "Oakapple",
    "Puddleby",
    "Quillfeather",
    "Rosethorn",
    "Saffronwood",
    "Thistledown",
    "Umbermoor",
    "Velvetleaf",
    "Willowisp",
    "Yarrowby",
    "Zephyrine",
    "Buttercup",
    "Clovermead",
    "Dewberry",
    "Fernhollow",
    "Gooseberry",
];
const GIVEN_GIRLS: &[&str] = &[
    "Amelia", "Bella", "Chloe", "Daisy", "Ella", "Freya", "Grace", "Hannah", "Isla", "Jasmine",
    "Katie", "Lily", "Maya", "Nia", "Olivia", "Poppy", "Ruby", "Sofia", "Tia", "Zara",
];
const GIVEN_BOYS: &[&str] = &[
    "Adam", "Ben", "Charlie", "Daniel", "Ethan", "Finley", "George", "Harry", "Isaac", "Jack",
    "Kai", "Leo", "Mason", "Noah", "Oscar", "Reuben", "Sam", "Theo", "Yusuf", "Zain",
];
const ADULT_WOMEN: &[&str] = &[
    "Alex", "Beth", "Carla", "Dana", "Emma", "Fiona", "Gemma", "Holly",
];
const ADULT_MEN: &[&str] = &[
    "Aaron", "Brian", "Craig", "Dean", "Euan", "Frank", "Gary", "Hugo",
];
const STREETS: &[&str] = &[
    "Acorn Way",
    "Beacon Road",
    "Canal Street",
    "Dale View",
    "Elm Close",
    "Foundry Lane",
    "Garden Row",
    "Heath Terrace",
    "Ivy Court",
    "Jubilee Avenue",
];
const ETHNICITIES: &[&str] = &[
    "WBRI", "WOTH", "MWBC", "AIND", "APKN", "BAFR", "BCRB", "CHNE", "OOTH",
];
const LANGUAGES: &[&str] = &[
    "English", "English", "English", "English", "Urdu", "Polish", "Somali", "Punjabi",
];

/// A demo practitioner: name, email local part, agency, team, roles.
type Staff<'a> = (&'a str, &'a str, &'a Agency, Option<&'a Team>, Vec<Role>);

fn pick<'a>(rng: &mut fastrand::Rng, from: &[&'a str]) -> &'a str {
    from[rng.usize(..from.len())]
}

fn agency(
    kind: AgencyKind,
    name: &str,
    ods: Option<&str>,
    urn: Option<&str>,
    la: Option<&str>,
    phone: Option<(&str, &str)>,
) -> Agency {
    Agency {
        id: AgencyId::new(),
        kind,
        name: name.into(),
        ods_code: ods.map(Into::into),
        urn: urn.map(Into::into),
        la_code: la.map(Into::into),
        phone: phone.map(|p| p.0.into()),
        out_of_hours_phone: phone.map(|p| p.1.into()),
    }
}

fn postcode(rng: &mut fastrand::Rng) -> AppResult<Postcode> {
    const LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";
    let l = |rng: &mut fastrand::Rng| LETTERS[rng.usize(..LETTERS.len())] as char;
    let text = format!("NM{} {}{}{}", rng.u8(1..10), rng.u8(1..10), l(rng), l(rng));
    Postcode::parse(&text)
        .map_err(|e| AppError::Invalid(vec![crate::FieldError::new("postcode", e.to_string())]))
}

impl App {
    /// Creates the demo area in an empty database; does nothing if an area already exists.
    /// Returns the demo sign-ins either way.
    pub async fn seed_demo(&self, seed: u64) -> AppResult<Vec<DemoLogin>> {
        let mut tx = self.begin().await?;
        if tx.get_area().await?.is_some() {
            let logins = demo_logins(&mut tx).await?;
            return Ok(logins);
        }
        let mut rng = fastrand::Rng::with_seed(seed);
        let la = agency(
            AgencyKind::LocalAuthority,
            "Northmoor Borough Council",
            None,
            None,
            Some("999"),
            Some(("01632 960000", "01632 960999")),
        );
        let police = agency(
            AgencyKind::PoliceForce,
            "Northmoor Police",
            None,
            None,
            None,
            Some(("01632 960101", "999")),
        );
        let icb = agency(
            AgencyKind::IntegratedCareBoard,
            "NHS Northmoor Integrated Care Board",
            Some("QZZ"),
            None,
            None,
            Some(("01632 960200", "01632 960201")),
        );
        let trust = agency(
            AgencyKind::NhsTrust,
            "Northmoor Hospitals NHS Foundation Trust (Emergency Department)",
            Some("RZZ01"),
            None,
            None,
            Some(("01632 960300", "01632 960301")),
        );
        let gp = agency(
            AgencyKind::GpPractice,
            "Riverside Medical Practice",
            Some("Y99901"),
            None,
            None,
            Some(("01632 960400", "111")),
        );
        let oakfield = agency(
            AgencyKind::School,
            "Oakfield Primary School",
            None,
            Some("999001"),
            None,
            Some(("01632 960501", "01632 960501")),
        );
        let willow = agency(
            AgencyKind::School,
            "Willowbank Primary School",
            None,
            Some("999002"),
            None,
            Some(("01632 960502", "01632 960502")),
        );
        let academy = agency(
            AgencyKind::School,
            "Northmoor Academy (secondary)",
            None,
            Some("999003"),
            None,
            Some(("01632 960503", "01632 960503")),
        );
        for a in [
            &la, &police, &icb, &trust, &gp, &oakfield, &willow, &academy,
        ] {
            tx.insert_agency(a).await?;
        }
        let team = |agency: AgencyId, name: &str| Team {
            id: TeamId::new(),
            agency,
            name: name.into(),
        };
        let front_door = team(la.id, "Front Door (MASH)");
        let cin_team = team(la.id, "Children in Need and Protection Team 1");
        let reviewing = team(la.id, "Independent Reviewing Service");
        let partnership = team(la.id, "Safeguarding Partnership Business Unit");
        for t in [&front_door, &cin_team, &reviewing, &partnership] {
            tx.insert_team(t).await?;
        }
        tx.put_area(&Area {
            id: AreaId::new(),
            name: "Northmoor Safeguarding Children Partnership".into(),
            partners: vec![
                Partner {
                    agency: la.id,
                    lead: "Chief executive".into(),
                    delegate: "Director of children's services".into(),
                },
                Partner {
                    agency: police.id,
                    lead: "Chief constable".into(),
                    delegate: "Head of public protection".into(),
                },
                Partner {
                    agency: icb.id,
                    lead: "ICB chief executive".into(),
                    delegate: "Chief nursing officer".into(),
                },
            ],
            members: vec![trust.id, gp.id, oakfield.id, willow.id, academy.id],
        })
        .await?;

        // One hash for every demo account: the password is documented and the same for all.
        let hash = hash_password(DEMO_PASSWORD).await?;
        let people: Vec<Staff<'_>> = vec![
            (
                "Rita Referrer (teacher)",
                "teacher",
                &oakfield,
                None,
                vec![Role::Referrer],
            ),
            (
                "Dev Lead (DSL)",
                "dsl",
                &oakfield,
                None,
                vec![Role::DesignatedSafeguardingLead, Role::Referrer],
            ),
            (
                "Fran Door",
                "front.door",
                &la,
                Some(&front_door),
                vec![Role::FrontDoorWorker],
            ),
            (
                "Sam Social-Worker",
                "social.worker",
                &la,
                Some(&cin_team),
                vec![Role::SocialWorker],
            ),
            (
                "Terry Manager",
                "team.manager",
                &la,
                Some(&cin_team),
                vec![Role::TeamManager],
            ),
            (
                "Chris Chair",
                "conference.chair",
                &la,
                Some(&reviewing),
                vec![Role::ConferenceChair],
            ),
            (
                "Pat Police-Lead",
                "police.lead",
                &police,
                None,
                vec![Role::PoliceSafeguardingLead],
            ),
            (
                "Hana Health-Lead",
                "health.lead",
                &icb,
                None,
                vec![Role::HealthSafeguardingLead],
            ),
            (
                "Eddie Emergency (ED clinician)",
                "ed.clinician",
                &trust,
                None,
                vec![Role::UnscheduledCareClinician],
            ),
            ("Gina GP (referrer)", "gp", &gp, None, vec![Role::Referrer]),
            (
                "Paula Partnership",
                "partnership.manager",
                &la,
                Some(&partnership),
                vec![Role::PartnershipManager],
            ),
            ("Ana Analyst", "analyst", &la, None, vec![Role::Analyst]),
            (
                "Dee Protection-Officer",
                "dpo",
                &la,
                None,
                vec![Role::DataProtectionOfficer],
            ),
            (
                "Ada Administrator",
                "admin",
                &la,
                None,
                vec![Role::SystemAdministrator],
            ),
        ];
        let mut ids = std::collections::HashMap::new();
        for (name, local, agency, team, roles) in people {
            let id = PractitionerId::new();
            ids.insert(local, id);
            tx.insert_account(&Account {
                practitioner: Practitioner {
                    id,
                    email: format!("{local}@demo.safeguard.test"),
                    name: name.into(),
                    agency: agency.id,
                    team: team.map(|t| t.id),
                    roles,
                    active: true,
                },
                password_hash: Some(hash.clone()),
                totp_secret: None,
                demo_no_mfa: true,
                failed_attempts: 0,
                locked_until: None,
            })
            .await?;
        }
        let social_worker = ids.get("social.worker").copied();

        let mut children = 0usize;
        let mut nhs_seq: u32 = 0;
        let mut next_nhs = |rng: &mut fastrand::Rng| -> Option<NhsNumber> {
            loop {
                nhs_seq += 1 + rng.u32(0..3);
                if let Some(n) = NhsNumber::from_nine_digits(999_000_000 + nhs_seq) {
                    return Some(n);
                }
            }
        };
        let mut family_no = 0usize;
        while children < 200 {
            family_no += 1;
            let surname = SURNAMES[(family_no - 1) % SURNAMES.len()];
            let pc = postcode(&mut rng)?;
            let address = Address {
                lines: vec![format!("{} {}", rng.u16(1..200), pick(&mut rng, STREETS))],
                town: "Northmoor".into(),
                postcode: pc,
                from: Some(BASE.saturating_sub(jiff::Span::new().days(rng.i64(30..2000)))),
                to: None,
            };
            let mum = Person {
                id: PersonId::new(),
                name: PersonName {
                    given: pick(&mut rng, ADULT_WOMEN).into(),
                    family: surname.into(),
                },
                date_of_birth: Some(date(rng.i16(1978..2002), rng.i8(1..13), rng.i8(1..29))),
                nhs_number: next_nhs(&mut rng),
            };
            tx.insert_person(&mum).await?;
            let dad = if rng.bool() {
                let p = Person {
                    id: PersonId::new(),
                    name: PersonName {
                        given: pick(&mut rng, ADULT_MEN).into(),
                        family: surname.into(),
                    },
                    date_of_birth: Some(date(rng.i16(1975..2000), rng.i8(1..13), rng.i8(1..29))),
                    nhs_number: None,
                };
                tx.insert_person(&p).await?;
                Some((p, rng.bool()))
            } else {
                None
            };
            let ethnicity = pick(&mut rng, ETHNICITIES);
            let language = pick(&mut rng, LANGUAGES);
            let kids = 1 + rng.usize(..4);
            let allocate = social_worker.is_some() && family_no % 4 == 1;
            let owned = !family_no.is_multiple_of(3);
            for k in 0..kids {
                if children >= 200 {
                    break;
                }
                children += 1;
                let girl = rng.bool();
                let unborn = k == 0 && family_no.is_multiple_of(23);
                let birth = if unborn {
                    Birth::Expected(BASE.saturating_add(jiff::Span::new().days(rng.i64(20..150))))
                } else {
                    Birth::Born(date(rng.i16(2009..2026), rng.i8(1..13), rng.i8(1..29)))
                };
                let age = BASE.year() - birth.date().year();
                let school = if unborn || age < 4 {
                    None
                } else if age < 11 {
                    Some(if rng.bool() { &oakfield } else { &willow })
                } else if age < 17 {
                    Some(&academy)
                } else {
                    None
                };
                let given = if girl {
                    pick(&mut rng, GIVEN_GIRLS)
                } else {
                    pick(&mut rng, GIVEN_BOYS)
                };
                let child = Child {
                    id: ChildId::new(),
                    name: PersonName {
                        given: if unborn {
                            "Unborn".into()
                        } else {
                            given.into()
                        },
                        family: surname.into(),
                    },
                    aliases: if rng.u8(..10) == 0 {
                        vec![PersonName {
                            given: given.chars().take(3).collect(),
                            family: surname.into(),
                        }]
                    } else {
                        vec![]
                    },
                    former_names: vec![],
                    birth,
                    sex: if unborn {
                        Sex::Unknown
                    } else if girl {
                        Sex::Female
                    } else {
                        Sex::Male
                    },
                    nhs_number: if unborn || rng.u8(..20) == 0 {
                        None
                    } else {
                        next_nhs(&mut rng)
                    },
                    upn: None,
                    addresses: vec![address.clone()],
                    responsible_la: Some(la.id),
                    school: school.map(|s| s.id),
                    ethnicity: Some(ethnicity.into()),
                    first_language: Some(language.into()),
                    groups: ChildGroups {
                        disabled: rng.u8(..12) == 0,
                        young_carer: age >= 8 && rng.u8(..15) == 0,
                        secure_establishment: false,
                    },
                };
                let id = child.id;
                tx.insert_child(&ChildRow {
                    child,
                    owning_team: owned.then_some(cin_team.id),
                })
                .await?;
                tx.link_person(&ChildPerson {
                    child: id,
                    person: mum.id,
                    relationship: Relationship::Mother,
                    parental_responsibility: true,
                    lives_with_child: true,
                })
                .await?;
                if let Some((d, lives)) = &dad {
                    tx.link_person(&ChildPerson {
                        child: id,
                        person: d.id,
                        relationship: Relationship::Father,
                        parental_responsibility: true,
                        lives_with_child: *lives,
                    })
                    .await?;
                }
                let since = BASE.saturating_sub(jiff::Span::new().days(rng.i64(30..700)));
                tx.add_involvement(
                    id,
                    &InvolvementRow {
                        agency: gp.id,
                        involvement: Involvement::GpRegistered,
                        since,
                    },
                )
                .await?;
                if let Some(s) = school {
                    tx.add_involvement(
                        id,
                        &InvolvementRow {
                            agency: s.id,
                            involvement: Involvement::Pupil,
                            since,
                        },
                    )
                    .await?;
                }
                if owned {
                    tx.add_involvement(
                        id,
                        &InvolvementRow {
                            agency: la.id,
                            involvement: Involvement::Working,
                            since,
                        },
                    )
                    .await?;
                    let referrer = school.unwrap_or(&gp);
                    let mut day = since;
                    for summary in [
                        format!("Referral received from {}", referrer.name),
                        "Referral screened by the front door: child and family assessment"
                            .to_owned(),
                        "Child and family assessment started".to_owned(),
                    ] {
                        tx.add_chronology(&ChronologyEntry {
                            id: EventId::new(),
                            child: id,
                            date: day,
                            summary,
                            agency: Some(la.id),
                            recorded_by: None,
                        })
                        .await?;
                        day = self.calendar().add_working_days(day, 1 + rng.u32(0..3));
                    }
                }
                if allocate && let Some(sw) = social_worker {
                    tx.allocate(id, sw).await?;
                }
            }
        }
        tx.append_audit(&self.event(
            "system",
            "demo.seed",
            "",
            None,
            serde_json::json!({"seed": seed, "children": children, "families": family_no}),
        ))
        .await?;
        let logins = demo_logins(&mut tx).await?;
        tx.commit().await?;
        Ok(logins)
    }
}

async fn demo_logins(tx: &mut Box<dyn Tx>) -> AppResult<Vec<DemoLogin>> {
    let agencies = tx.list_agencies().await?;
    let mut out = Vec::new();
    for p in tx.list_practitioners().await? {
        if !p.email.ends_with("@demo.safeguard.test") {
            continue;
        }
        let agency = agencies
            .iter()
            .find(|a| a.id == p.agency)
            .map(|a| a.name.clone())
            .unwrap_or_default();
        if let Some(role) = p.roles.first() {
            out.push(DemoLogin {
                role: *role,
                email: p.email.clone(),
                agency,
            });
        }
    }
    out.sort_by_key(|l| l.role);
    Ok(out)
}
