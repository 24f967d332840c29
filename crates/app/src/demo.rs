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
    ChildPerson, ChronologyEntry, ChronologyKind, EventId, Involvement, NhsNumber, Partner, Person,
    PersonId, PersonName, Postcode, Practitioner, PractitionerId, Relationship, Role, Sex, Team,
    TeamId,
};
use safeguard_domain::{
    Channel, ConsentStatus, LawfulBasis, NotificationId, Referral, ReferralId, ReferralSource,
    ReferredChild, ScreeningDecision, ScreeningOutcome, Urgency,
};
use safeguard_store::{Account, ChildRow, InvolvementRow, Notification, Tx};

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
        let mut seeded: Vec<Child> = Vec::new();
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
                seeded.push(child.clone());
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
                    for (kind, summary) in [
                        (
                            ChronologyKind::Referral,
                            format!("Referral received from {}", referrer.name),
                        ),
                        (
                            ChronologyKind::Decision,
                            "Referral screened by the front door: child and family assessment"
                                .to_owned(),
                        ),
                        (
                            ChronologyKind::Assessment,
                            "Child and family assessment started".to_owned(),
                        ),
                    ] {
                        tx.add_chronology(&ChronologyEntry {
                            id: EventId::new(),
                            child: id,
                            date: day,
                            summary,
                            kind,
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
        let people = DemoReferrers {
            la: &la,
            oakfield: &oakfield,
            gp: &gp,
            teacher: ids.get("teacher").copied(),
            gp_user: ids.get("gp").copied(),
            front_door: ids.get("front.door").copied(),
        };
        self.seed_referrals(&mut tx, &people, &seeded).await?;
        // A child recorded twice: the school added a record under a short form of the name,
        // without the NHS number, before anyone found the first. The duplicate report finds it.
        if let Some(first) = seeded
            .iter()
            .find(|c| c.nhs_number.is_some() && !c.birth.is_unborn() && c.name.given.len() > 4)
        {
            let mut second = first.clone();
            second.id = ChildId::new();
            second.nhs_number = None;
            second.aliases.clear();
            second.former_names.clear();
            second.name.given = first.name.given.chars().take(4).collect();
            second.school = Some(oakfield.id);
            tx.insert_child(&ChildRow {
                child: second,
                owning_team: None,
            })
            .await?;
        }
        if let Some(sw) = social_worker {
            self.seed_cases(&mut tx, la.id, cin_team.id, sw).await?;
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
        self.make_duplicate_report("system", crate::linkage::DEFAULT_DUPLICATE_THRESHOLD)
            .await?;
        self.seed_flag_accesses().await?;
        Ok(logins)
    }

    /// The ED clinician has checked some flagged children (so the LA's inbox has accesses, one
    /// already actioned and one seen), a child with no flag, and one child in scheduled care:
    /// through the same use-case as the page, so each is audited and notified as it would be.
    async fn seed_flag_accesses(&self) -> AppResult<()> {
        use safeguard_domain::{CareSetting, NoticeState};
        let mut tx = self.begin().await?;
        let (Some(ed), Some(fd)) = (
            tx.get_account_by_email("ed.clinician@demo.safeguard.test")
                .await?,
            tx.get_account_by_email("front.door@demo.safeguard.test")
                .await?,
        ) else {
            return Ok(());
        };
        let ed = self.load_user(&mut tx, &ed).await?;
        let fd = self.load_user(&mut tx, &fd).await?;
        let flagged: Vec<NhsNumber> = tx
            .list_flags(None)
            .await?
            .into_iter()
            .filter(|f| f.end.is_none())
            .map(|f| f.nhs_number)
            .collect();
        drop(tx);
        let caller = crate::flags::FlagCaller::practitioner(&ed);
        for nhs in flagged.iter().take(3) {
            self.look_up_flags(&caller, nhs, CareSetting::Unscheduled)
                .await?;
        }
        if let Some(nhs) = flagged.first() {
            self.look_up_flags(&caller, nhs, CareSetting::Scheduled)
                .await?;
        }
        let inbox = self
            .flag_inbox(&fd, &crate::flags::NoticeFilter::default())
            .await?;
        let mut oldest_first = inbox.notices.iter().rev();
        if let Some(n) = oldest_first.next() {
            self.set_notice_state(&fd, n.id, NoticeState::Actioned)
                .await?;
        }
        if let Some(n) = oldest_first.next() {
            self.set_notice_state(&fd, n.id, NoticeState::Seen).await?;
        }
        Ok(())
    }
}

/// Who refers and screens in the demo's referrals.
struct DemoReferrers<'a> {
    la: &'a Agency,
    oakfield: &'a Agency,
    gp: &'a Agency,
    teacher: Option<PractitionerId>,
    gp_user: Option<PractitionerId>,
    front_door: Option<PractitionerId>,
}

impl App {
    /// Referrals at every front-door stage: waiting (one received today, one overdue, a phone
    /// contact) and decided (an assessment, a no-further-action with advice). Dates are relative
    /// to today, so the queue always shows something due and something late.
    async fn seed_referrals(
        &self,
        tx: &mut Box<dyn Tx>,
        p: &DemoReferrers<'_>,
        known: &[Child],
    ) -> AppResult<()> {
        let (Some(teacher), Some(gp_user), Some(front_door)) = (p.teacher, p.gp_user, p.front_door)
        else {
            return Ok(());
        };
        let cal = self.calendar();
        let today = self.today();
        let back = |n: u32| {
            // n working days before today.
            let mut d = today;
            for _ in 0..n {
                d = d.saturating_sub(jiff::Span::new().days(1));
                while !cal.is_working_day(d) {
                    d = d.saturating_sub(jiff::Span::new().days(1));
                }
            }
            d
        };
        let with_nhs: Vec<&Child> = known
            .iter()
            .filter(|c| c.nhs_number.is_some() && !c.birth.is_unborn())
            .collect();
        let as_referred = |c: &Child| ReferredChild {
            name: c.name.clone(),
            birth: Some(c.birth),
            sex: c.sex,
            nhs_number: c.nhs_number.clone(),
            address: c
                .addresses
                .first()
                .map(|a| a.lines.join("\n"))
                .unwrap_or_default(),
            postcode: c.current_postcode().cloned(),
        };
        let new_child = ReferredChild {
            name: PersonName {
                given: "Poppy".into(),
                family: "Marigoldsworth".into(),
            },
            birth: Some(Birth::Born(date(2018, 6, 9))),
            sex: Sex::Female,
            nhs_number: None,
            address: "7 Garden Row".into(),
            postcode: Postcode::parse("NM2 4RT").ok(),
        };
        struct Plan {
            received: Date,
            referrer: Option<PractitionerId>,
            agency: Option<AgencyId>,
            name: &'static str,
            source: &'static str,
            child: ReferredChild,
            urgency: Urgency,
            channel: Channel,
            reasons: &'static str,
            decision: Option<(ScreeningOutcome, &'static str, &'static str)>,
        }
        let mut plans = vec![Plan {
            received: today,
            referrer: Some(teacher),
            agency: Some(p.oakfield.id),
            name: "Rita Referrer (teacher)",
            source: "2A",
            child: new_child,
            urgency: Urgency::Urgent,
            channel: Channel::Form,
            reasons: "Poppy arrived with a burn on her hand and said she was not allowed to tell. This is the second injury this half term.",
            decision: None,
        }];
        if let [a, b, c, ..] = with_nhs.as_slice() {
            plans.push(Plan {
                received: back(3),
                referrer: Some(gp_user),
                agency: Some(p.gp.id),
                name: "Gina GP (referrer)",
                source: "3A",
                child: as_referred(a),
                urgency: Urgency::Standard,
                channel: Channel::Form,
                reasons: "Missed immunisations and three missed appointments; mother seemed frightened of her partner at the last visit.",
                decision: None,
            });
            plans.push(Plan {
                received: back(10),
                referrer: Some(teacher),
                agency: Some(p.oakfield.id),
                name: "Rita Referrer (teacher)",
                source: "2A",
                child: as_referred(b),
                urgency: Urgency::Standard,
                channel: Channel::Form,
                reasons: "Often hungry and tired, wearing the same clothes all week; attendance 82%.",
                decision: Some((ScreeningOutcome::Assessment, "Concerns about neglect meet the threshold for a child and family assessment.", "")),
            });
            plans.push(Plan {
                received: back(6),
                referrer: Some(gp_user),
                agency: Some(p.gp.id),
                name: "Gina GP (referrer)",
                source: "3A",
                child: as_referred(c),
                urgency: Urgency::Standard,
                channel: Channel::Form,
                reasons: "Low mood reported by the child's mother after a house move.",
                decision: Some((
                    ScreeningOutcome::NoFurtherAction,
                    "The family already has support from the school nurse and the health visitor.",
                    "Talk to the family about the local family hub; refer again if things change.",
                )),
            });
        }
        plans.push(Plan {
            received: today,
            referrer: None,
            agency: None,
            name: "Anonymous caller (neighbour)",
            source: "1B",
            child: ReferredChild {
                name: PersonName { given: "Unknown".into(), family: "Nettlebed".into() },
                birth: None,
                sex: Sex::Unknown,
                nhs_number: None,
                address: "Flat 2, 40 Canal Street".into(),
                postcode: Postcode::parse("NM9 9GL").ok(),
            },
            urgency: Urgency::Immediate,
            channel: Channel::Phone,
            reasons: "Caller heard shouting and a young child screaming late last night; the child has not been seen since.",
            decision: None,
        });
        for (n, plan) in plans.into_iter().enumerate() {
            let matched = plan
                .child
                .nhs_number
                .as_ref()
                .and_then(|nhs| known.iter().find(|c| c.nhs_number.as_ref() == Some(nhs)))
                .map(|c| c.id);
            let received_at = plan
                .received
                .to_zoned(jiff::tz::TimeZone::UTC)
                .map(|z| z.timestamp())
                .unwrap_or_else(|_| self.now())
                + jiff::SignedDuration::from_mins(9 * 60 + 15 * i64::try_from(n).unwrap_or(0));
            let decision_due = safeguard_domain::clocks::referral_decision_due(plan.received, &cal);
            let decision = plan.decision.map(|(outcome, reasons, advice)| {
                let decided_on = cal.add_working_days(plan.received, 1);
                ScreeningDecision {
                    outcome,
                    protection: None,
                    reasons: reasons.into(),
                    advice: advice.into(),
                    decided_by: front_door,
                    decided_at: received_at + jiff::SignedDuration::from_hours(24),
                    decided_on,
                }
            });
            let referral = Referral {
                id: ReferralId::new(),
                version: 1,
                la: p.la.id,
                channel: plan.channel,
                received_at,
                received_on: plan.received,
                decision_due,
                referrer: plan.referrer,
                referrer_agency: plan.agency,
                referrer_name: plan.name.into(),
                referrer_contact: "01632 960777".into(),
                source: ReferralSource::parse(plan.source).map_err(|e| {
                    AppError::Invalid(vec![crate::FieldError::new("source", e.to_string())])
                })?,
                concern: None,
                child: plan.child,
                matched_child: if decision.is_some() { matched } else { None },
                reasons: plan.reasons.into(),
                factors: vec![],
                consent: if plan.channel == Channel::Phone {
                    ConsentStatus::NotReasonable
                } else {
                    ConsentStatus::Given
                },
                lawful_basis: LawfulBasis::PublicTask,
                urgency: plan.urgency,
                child_safe_now: plan.urgency != Urgency::Immediate,
                household: vec![],
                communication_needs: String::new(),
                decision,
                early_help: None,
            };
            tx.insert_referral(&referral).await?;
            if let (Some(d), Some(child)) = (&referral.decision, referral.matched_child) {
                tx.add_chronology(&ChronologyEntry {
                    id: EventId::new(),
                    child,
                    date: d.decided_on,
                    summary: format!("Front door decision: {}", d.outcome.label()),
                    kind: ChronologyKind::Decision,
                    agency: Some(p.la.id),
                    recorded_by: Some(front_door),
                })
                .await?;
                if let Some(r) = referral.referrer {
                    tx.insert_notification(&Notification {
                        id: NotificationId::new(),
                        recipient: r,
                        created_at: d.decided_at,
                        text: format!(
                            "Decision on your referral of {}: {}",
                            referral.received_on.strftime("%-d %B %Y"),
                            d.outcome.label()
                        ),
                        link: format!("/referrals/{}", referral.id),
                        read: false,
                    })
                    .await?;
                }
            }
        }
        Ok(())
    }
}

impl App {
    /// One child at each stage of the statutory journey, allocated to the demo social worker,
    /// with dates relative to today so some clocks are overdue: an assessment past its 45
    /// working days, a strategy discussion to hold, an s47 enquiry past its conference target,
    /// a plan whose first review is overdue, a child in need plan, a closed case and a child in
    /// police protection. The strategy discussions and conferences carry their attendees and
    /// actions; the demo police and health leads took part in some, and are told, so they can
    /// open those records (and only those).
    async fn seed_cases(
        &self,
        tx: &mut Box<dyn Tx>,
        la: AgencyId,
        team: TeamId,
        worker: PractitionerId,
    ) -> AppResult<()> {
        use safeguard_domain::journey::CaseEvent;
        use safeguard_domain::records::{
            ActionItem, Attendee, Conference, ConferenceDecision, Protection, StrategyDiscussion,
        };
        use safeguard_domain::{
            AbuseCategory, Case, CaseId, CaseStep, ClosureReason, ConferenceKind, CpPlanEndReason,
            ImmediateProtection, LegalStatus,
        };
        /// What happens on a demo case, working days ago.
        enum Demo {
            Step(u32, CaseEvent, Option<AbuseCategory>),
            /// A strategy discussion that initiated s47 enquiries, with the police lead, and
            /// with the health lead if `health`.
            Strategy(u32, bool),
            /// The initial conference making a plan, the health lead attending.
            Icpc(u32, AbuseCategory),
            /// Police protection, this many hours ago.
            PoliceProtection(i64),
        }
        // The attendees the demo's meetings name: the worker and the two partner leads.
        let mut people = Vec::new();
        for (email, role) in [
            (
                "social.worker@demo.safeguard.test",
                "Allocated social worker",
            ),
            (
                "police.lead@demo.safeguard.test",
                "Detective sergeant, child abuse investigation team",
            ),
            ("health.lead@demo.safeguard.test", "Designated nurse"),
        ] {
            let Some(acc) = tx.get_account_by_email(email).await? else {
                return Err(AppError::NotFound("demo account"));
            };
            let Some(agency) = tx.get_agency(acc.practitioner.agency).await? else {
                return Err(AppError::NotFound("demo agency"));
            };
            people.push(Attendee {
                agency: agency.id,
                agency_name: agency.name,
                agency_kind: agency.kind,
                role: role.into(),
                name: acc.practitioner.name,
                practitioner: Some(acc.practitioner.id),
            });
        }
        let (social, police, health) = (people[0].clone(), people[1].clone(), people[2].clone());
        let cal = self.calendar();
        let today = self.today();
        let back = |n: u32| {
            let mut d = today;
            let mut left = n;
            while left > 0 {
                d = d.saturating_sub(jiff::Span::new().days(1));
                if cal.is_working_day(d) {
                    left -= 1;
                }
            }
            d
        };
        let invalid = |e: safeguard_domain::CaseError| {
            AppError::Invalid(vec![crate::FieldError::new("demo", e.to_string())])
        };
        type Plan = (&'static str, ScreeningOutcome, u32, Vec<Demo>);
        let plans: Vec<Plan> = vec![
            ("Aisha", ScreeningOutcome::Assessment, 50, vec![]),
            ("Bobby", ScreeningOutcome::StrategyDiscussion, 3, vec![]),
            (
                "Cara",
                ScreeningOutcome::StrategyDiscussion,
                20,
                vec![Demo::Strategy(18, false)],
            ),
            (
                "Dylan",
                ScreeningOutcome::StrategyDiscussion,
                95,
                vec![
                    Demo::Strategy(93, true),
                    Demo::Step(85, CaseEvent::S47FoundContinuingRisk, None),
                    Demo::Icpc(80, AbuseCategory::Neglect),
                    Demo::Step(72, CaseEvent::CoreGroupMet, None),
                ],
            ),
            (
                "Esme",
                ScreeningOutcome::Assessment,
                40,
                vec![Demo::Step(12, CaseEvent::CinPlanStarted, None)],
            ),
            (
                "Felix",
                ScreeningOutcome::Assessment,
                60,
                vec![Demo::Step(
                    20,
                    CaseEvent::Closed(ClosureReason::AfterAssessmentEarlyHelp),
                    None,
                )],
            ),
            (
                "Gus",
                ScreeningOutcome::ImmediateProtection,
                1,
                vec![Demo::PoliceProtection(20)],
            ),
            // Looked after under a care order (s31): a LAC flag.
            (
                "Hattie",
                ScreeningOutcome::Assessment,
                200,
                vec![Demo::Step(
                    150,
                    CaseEvent::BecameLookedAfter(LegalStatus::FullCareOrder),
                    None,
                )],
            ),
            // A plan that ended at review about three months ago: still shown to health (T14).
            (
                "Ivy",
                ScreeningOutcome::StrategyDiscussion,
                260,
                vec![
                    Demo::Strategy(258, true),
                    Demo::Step(250, CaseEvent::S47FoundContinuingRisk, None),
                    Demo::Icpc(245, AbuseCategory::Emotional),
                    Demo::Step(65, CaseEvent::ConferenceHeld(ConferenceKind::Review), None),
                    Demo::Step(
                        65,
                        CaseEvent::CpPlanEnded(CpPlanEndReason::NoLongerAtRisk),
                        None,
                    ),
                ],
            ),
            // An unborn baby on a pre-birth plan: the flag is held against the mother.
            (
                "Unborn",
                ScreeningOutcome::StrategyDiscussion,
                30,
                vec![
                    Demo::Strategy(28, true),
                    Demo::Step(22, CaseEvent::S47FoundContinuingRisk, None),
                    Demo::Icpc(15, AbuseCategory::Neglect),
                ],
            ),
        ];
        for (i, (given, outcome, opened, steps)) in plans.into_iter().enumerate() {
            let opened_on = back(opened);
            let unborn = given == "Unborn";
            let child = Child {
                id: ChildId::new(),
                name: PersonName {
                    given: given.into(),
                    family: "Casebrook".into(),
                },
                aliases: vec![],
                former_names: vec![],
                birth: if unborn {
                    Birth::Expected(today.saturating_add(jiff::Span::new().days(70)))
                } else {
                    Birth::Born(date(2012 + i16::try_from(i).unwrap_or(0), 2, 10))
                },
                sex: Sex::Unknown,
                // Nine digits whose check digit would be 10 make no NHS number: take the next
                // that does, so every demo child on a case has one.
                nhs_number: if unborn {
                    None
                } else {
                    let base = 998_000_010 + u32::try_from(i).unwrap_or(0) * 7;
                    (base..base + 7).find_map(NhsNumber::from_nine_digits)
                },
                upn: None,
                addresses: vec![Address {
                    lines: vec![format!("{} Beacon Road", 10 + i)],
                    town: "Northmoor".into(),
                    postcode: Postcode::parse("NM4 7QT").map_err(|e| {
                        AppError::Invalid(vec![crate::FieldError::new("postcode", e.to_string())])
                    })?,
                    from: None,
                    to: None,
                }],
                responsible_la: Some(la),
                school: None,
                ethnicity: Some("WBRI".into()),
                first_language: Some("English".into()),
                groups: ChildGroups::default(),
            };
            let id = child.id;
            tx.insert_child(&ChildRow {
                child,
                owning_team: Some(team),
            })
            .await?;
            tx.allocate(id, worker).await?;
            tx.add_involvement(
                id,
                &InvolvementRow {
                    agency: la,
                    involvement: Involvement::Working,
                    since: opened_on,
                },
            )
            .await?;
            let at = self.now();
            let mut case = Case::open(
                CaseId::new(),
                id,
                None,
                opened_on,
                outcome,
                opened_on,
                worker,
                at,
            )
            .map_err(invalid)?;
            for demo in steps {
                match demo {
                    Demo::Step(ago, event, category) => case.apply(
                        CaseStep {
                            on: back(ago),
                            event,
                            note: String::new(),
                            category,
                            recorded_by: worker,
                            recorded_at: at,
                            record: None,
                        },
                        today,
                        &cal,
                    ),
                    Demo::Strategy(ago, with_health) => {
                        let mut attendees = vec![social.clone(), police.clone()];
                        if with_health {
                            attendees.push(health.clone());
                        }
                        case.record_strategy_discussion(
                            back(ago),
                            StrategyDiscussion {
                                attendees,
                                information_shared: "School reported bruising to the child's \
                                                     arms; police hold two call-outs to the \
                                                     address this year."
                                    .into(),
                                decisions: "Section 47 enquiries, joint with police. The \
                                            parents are told today, after the joint visit."
                                    .into(),
                                actions: vec![
                                    ActionItem {
                                        action: "Joint visit to the child at home".into(),
                                        owner: format!("{} and {}", social.name, police.name),
                                        due: Some(back(ago.saturating_sub(1))),
                                    },
                                    ActionItem {
                                        action: "Health check of the injuries".into(),
                                        owner: format!("{}, {}", health.name, health.agency_name),
                                        due: None,
                                    },
                                ],
                                s47_initiated: true,
                            },
                            None,
                            worker,
                            at,
                            today,
                            &cal,
                        )
                    }
                    Demo::Icpc(ago, category) => case.record_conference(
                        back(ago),
                        Conference {
                            kind: ConferenceKind::Initial,
                            chair: "Chris Chair".into(),
                            attendees: vec![social.clone(), health.clone()],
                            decision: ConferenceDecision::CpPlan,
                            category: Some(category),
                            core_group: vec![
                                "Mother".into(),
                                format!("{}, social worker", social.name),
                                format!("{}, {}", health.name, health.agency_name),
                                "Class teacher, Oakfield Primary School".into(),
                            ],
                        },
                        worker,
                        at,
                        today,
                        &cal,
                    ),
                    Demo::PoliceProtection(hours) => case.record_protection(
                        Protection {
                            kind: ImmediateProtection::PoliceProtection,
                            started_at: at
                                .checked_sub(jiff::SignedDuration::from_hours(hours))
                                .unwrap_or(at),
                        },
                        worker,
                        at,
                        today,
                        &cal,
                    ),
                }
                .map_err(invalid)?;
            }
            if unborn {
                // A pre-birth plan's flag is held against the mother's NHS number (spec §6.1).
                let mother = Person {
                    id: PersonId::new(),
                    name: PersonName {
                        given: "Carla".into(),
                        family: "Casebrook".into(),
                    },
                    date_of_birth: Some(date(1998, 6, 1)),
                    nhs_number: NhsNumber::from_nine_digits(998_000_201),
                };
                tx.insert_person(&mother).await?;
                tx.link_person(&ChildPerson {
                    child: id,
                    person: mother.id,
                    relationship: Relationship::Mother,
                    parental_responsibility: true,
                    lives_with_child: true,
                })
                .await?;
            }
            tx.insert_case(&case).await?;
            crate::flags::refresh_flags(tx, id).await?;
            for (i, step) in case.steps.iter().enumerate() {
                if let Some(record) = step.record.as_ref().filter(|r| r.is_meeting()) {
                    for p in record.attending_practitioners() {
                        if p == worker {
                            continue;
                        }
                        tx.insert_notification(&Notification {
                            id: NotificationId::new(),
                            recipient: p,
                            created_at: at,
                            text: format!(
                                "You are recorded as taking part in a meeting: {}, {}",
                                record.title().to_lowercase(),
                                step.on.strftime("%-d %B %Y")
                            ),
                            link: crate::records::meeting_path(case.id, i),
                            read: false,
                        })
                        .await?;
                    }
                }
                tx.add_chronology(&ChronologyEntry {
                    id: EventId::new(),
                    child: id,
                    date: step.on,
                    summary: crate::records::step_summary(step),
                    kind: step.chronology_kind(),
                    agency: Some(la),
                    recorded_by: Some(worker),
                })
                .await?;
            }
        }
        self.seed_episodes(tx, la, team, worker, &back).await
    }

    /// Early help and looked-after episodes: a step down from the front door led by health,
    /// an agency's own led by the school's DSL, one stepped up and waiting at the front door;
    /// children looked after under C1, C2 (its first review overdue) and V2 (ended).
    async fn seed_episodes(
        &self,
        tx: &mut Box<dyn Tx>,
        la: AgencyId,
        team: TeamId,
        worker: PractitionerId,
        back: &dyn Fn(u32) -> Date,
    ) -> AppResult<()> {
        use safeguard_domain::early_help::{EarlyHelpOrigin, LeadPractitioner};
        use safeguard_domain::journey::CaseEvent;
        use safeguard_domain::looked_after::{
            ChangeInput, LaCode, PeriodInput, Placement, PlacementProvider, PlacementType,
            ReasonEpisodeCeased, ReasonPlaceChange,
        };
        use safeguard_domain::{
            Case, CaseId, CaseStep, EarlyHelpEpisode, EarlyHelpId, LegalStatus, LookedAfterEpisode,
            LookedAfterId, PrimaryNeed,
        };
        let bad = |e: safeguard_domain::validate::FieldError| {
            AppError::Invalid(vec![crate::FieldError::new(e.field, e.message)])
        };
        let case_bad = |e: safeguard_domain::CaseError| {
            AppError::Invalid(vec![crate::FieldError::new("demo", e.to_string())])
        };
        let today = self.today();
        let cal = self.calendar();
        let at = self.now();
        let mut lead_of = Vec::new();
        for email in ["dsl@demo.safeguard.test", "health.lead@demo.safeguard.test"] {
            let acc = tx
                .get_account_by_email(email)
                .await?
                .ok_or(AppError::NotFound("demo account"))?;
            let agency = tx
                .get_agency(acc.practitioner.agency)
                .await?
                .ok_or(AppError::NotFound("demo agency"))?;
            lead_of.push(LeadPractitioner {
                practitioner: acc.practitioner.id,
                name: acc.practitioner.name,
                agency: agency.id,
                agency_name: agency.name,
            });
        }
        let (dsl, health) = (lead_of[0].clone(), lead_of[1].clone());
        let postcode = Postcode::parse("NM5 2LP").map_err(|e| {
            AppError::Invalid(vec![crate::FieldError::new("postcode", e.to_string())])
        })?;
        let line = |child: ChildId, d: Date, summary: String| ChronologyEntry {
            id: EventId::new(),
            child,
            date: d,
            summary,
            kind: ChronologyKind::Episode,
            agency: Some(la),
            recorded_by: Some(worker),
        };
        let names = ["Hana", "Isla", "Jack", "Kai", "Lola", "Milo"];
        let mut ids = Vec::new();
        for (i, given) in names.iter().enumerate() {
            let n = u32::try_from(i).unwrap_or(0);
            let in_school = matches!(*given, "Isla" | "Jack");
            let child = Child {
                id: ChildId::new(),
                name: PersonName {
                    given: (*given).into(),
                    family: "Hollybank".into(),
                },
                aliases: vec![],
                former_names: vec![],
                birth: Birth::Born(date(2013 + i16::try_from(i).unwrap_or(0), 5, 21)),
                sex: Sex::Unknown,
                nhs_number: NhsNumber::from_nine_digits(998_000_300 + n * 11),
                upn: None,
                addresses: vec![Address {
                    lines: vec![format!("{} Orchard Row", 3 + i)],
                    town: "Northmoor".into(),
                    postcode: postcode.clone(),
                    from: None,
                    to: None,
                }],
                responsible_la: Some(la),
                school: if in_school { Some(dsl.agency) } else { None },
                ethnicity: Some("WBRI".into()),
                first_language: Some("English".into()),
                groups: ChildGroups::default(),
            };
            ids.push(child.id);
            tx.insert_child(&ChildRow {
                child,
                owning_team: (!in_school).then_some(team),
            })
            .await?;
            if !in_school {
                tx.allocate(ids[i], worker).await?;
            }
        }
        let step = |on: Date, event: CaseEvent, note: &str| CaseStep {
            on,
            event,
            note: note.into(),
            category: None,
            recorded_by: worker,
            recorded_at: at,
            record: None,
        };
        // Hana: the front door signposted her to early help 30 working days ago; health leads.
        let case = Case::open(
            CaseId::new(),
            ids[0],
            None,
            back(30),
            ScreeningOutcome::EarlyHelp,
            back(30),
            worker,
            at,
        )
        .map_err(case_bad)?;
        tx.insert_case(&case).await?;
        let mut hana = EarlyHelpEpisode::start(
            EarlyHelpId::new(),
            ids[0],
            health.clone(),
            EarlyHelpOrigin::FrontDoor {
                referral: None,
                case: case.id,
            },
            back(29),
            "Mother asked for help with sleep and routines after the baby was born",
            Some(back(30)),
            &[],
            today,
        )
        .map_err(bad)?;
        hana.record_assessment(
            back(20),
            "Tired family, warm relationships; wants help with bedtimes and school mornings",
            today,
        )
        .map_err(bad)?;
        hana.record_plan(
            back(18),
            vec![
                "Hana is at school on time every day".into(),
                "Bedtime routine most nights".into(),
            ],
            vec![safeguard_domain::records::ActionItem {
                action: "Sleep clinic referral".into(),
                owner: health.name.clone(),
                due: None,
            }],
            today,
        )
        .map_err(bad)?;
        tx.insert_early_help(&hana).await?;
        tx.add_chronology(&line(
            ids[0],
            back(29),
            format!(
                "Early help started (stepped down by the front door), led by {} of {}",
                health.name, health.agency_name
            ),
        ))
        .await?;
        // Isla: Oakfield's DSL leads early help for a concern below the threshold; the
        // assessment is due.
        let isla = EarlyHelpEpisode::start(
            EarlyHelpId::new(),
            ids[1],
            dsl.clone(),
            EarlyHelpOrigin::Agency,
            back(27),
            "Attendance has fallen to 84%; father asked the school for help",
            None,
            &[],
            today,
        )
        .map_err(bad)?;
        tx.insert_early_help(&isla).await?;
        tx.add_chronology(&line(
            ids[1],
            back(27),
            format!(
                "Early help started (started by an agency), led by {} of {}",
                dsl.name, dsl.agency_name
            ),
        ))
        .await?;
        // Jack: led by the DSL, stepped up this morning; the referral waits at the front door
        // with the episode's history.
        let mut jack = EarlyHelpEpisode::start(
            EarlyHelpId::new(),
            ids[2],
            dsl.clone(),
            EarlyHelpOrigin::Agency,
            back(40),
            "Low mood and missed homework; mother struggling after a separation",
            None,
            &[],
            today,
        )
        .map_err(bad)?;
        jack.record_assessment(
            back(35),
            "Mother's new partner is often at home; Jack is anxious about going home",
            today,
        )
        .map_err(bad)?;
        jack.record_plan(
            back(34),
            vec!["Jack tells an adult at school when he is worried".into()],
            vec![],
            today,
        )
        .map_err(bad)?;
        jack.record_review(
            back(5),
            "Jack said the partner shouts and hit his mother; early help is no longer enough",
            today,
            dsl.practitioner,
        )
        .map_err(bad)?;
        let referral_id = ReferralId::new();
        jack.step_up(referral_id, today).map_err(bad)?;
        let received_at = at;
        let referral = Referral {
            id: referral_id,
            version: 1,
            la,
            channel: Channel::Form,
            received_at,
            received_on: today,
            decision_due: safeguard_domain::clocks::referral_decision_due(today, &cal),
            referrer: Some(dsl.practitioner),
            referrer_agency: Some(dsl.agency),
            referrer_name: dsl.name.clone(),
            referrer_contact: "01632 960123".into(),
            source: ReferralSource::Schools,
            concern: None,
            child: ReferredChild {
                name: PersonName {
                    given: "Jack".into(),
                    family: "Hollybank".into(),
                },
                birth: Some(Birth::Born(date(2015, 5, 21))),
                sex: Sex::Unknown,
                nhs_number: NhsNumber::from_nine_digits(998_000_300 + 2 * 11),
                address: "5 Orchard Row, Northmoor".into(),
                postcode: Some(postcode.clone()),
            },
            matched_child: Some(ids[2]),
            reasons: format!(
                "{}\nWhat has changed: Jack disclosed domestic abuse at home.",
                jack.history()
            ),
            factors: vec![],
            consent: ConsentStatus::WouldPrejudice,
            lawful_basis: LawfulBasis::PublicTask,
            urgency: Urgency::Urgent,
            child_safe_now: true,
            household: vec![],
            communication_needs: String::new(),
            decision: None,
            early_help: Some(jack.id),
        };
        tx.insert_referral(&referral).await?;
        tx.insert_early_help(&jack).await?;
        tx.add_chronology(&line(
            ids[2],
            today,
            "Stepped up from early help: referral to the local authority".into(),
        ))
        .await?;
        // Looked after: Kai on an interim care order (C1) since 8 working days ago; Lola on a
        // care order (C2) since 60 working days ago, her first review overdue; Milo
        // accommodated under s20 (V2), home again.
        let placement = |kind: PlacementType, provider: PlacementProvider| Placement {
            kind,
            provider: Some(provider),
            postcode: Postcode::parse("NM3 8HW").ok(),
            la: LaCode::parse("999").ok(),
        };
        let plans: [(usize, LegalStatus, u32, PrimaryNeed); 3] = [
            (
                3,
                LegalStatus::InterimCareOrder,
                8,
                PrimaryNeed::AbuseOrNeglect,
            ),
            (
                4,
                LegalStatus::FullCareOrder,
                60,
                PrimaryNeed::AbuseOrNeglect,
            ),
            (
                5,
                LegalStatus::Section20Single,
                70,
                PrimaryNeed::FamilyInAcuteStress,
            ),
        ];
        for (i, status, ago, need) in plans {
            let start = back(ago);
            let mut case = Case::open(
                CaseId::new(),
                ids[i],
                None,
                back(ago + 10),
                ScreeningOutcome::Assessment,
                back(ago + 10),
                worker,
                at,
            )
            .map_err(case_bad)?;
            let mut episode = LookedAfterEpisode::start(
                LookedAfterId::new(),
                ids[i],
                Some(case.id),
                need,
                PeriodInput {
                    on: start,
                    legal_status: status,
                    placement: placement(PlacementType::FosterOther, PlacementProvider::OwnLa),
                },
                &[],
                today,
                worker,
                at,
            )
            .map_err(bad)?;
            case.apply(
                step(
                    start,
                    CaseEvent::BecameLookedAfter(status),
                    "Foster placement",
                ),
                today,
                &cal,
            )
            .map_err(case_bad)?;
            tx.add_chronology(&line(
                ids[i],
                start,
                format!("Became looked after: {}", status.label()),
            ))
            .await?;
            if status == LegalStatus::Section20Single {
                episode
                    .record_review(
                        back(ago - 18),
                        "Plan for return home agreed".into(),
                        today,
                        worker,
                        at,
                    )
                    .map_err(bad)?;
                episode
                    .change(
                        ChangeInput {
                            period: PeriodInput {
                                on: back(ago - 20),
                                legal_status: status,
                                placement: placement(
                                    PlacementType::FosterRelativeOther,
                                    PlacementProvider::OwnLa,
                                ),
                            },
                            carer_changed: true,
                            reason: Some(ReasonPlaceChange::CarePlan),
                        },
                        today,
                        worker,
                        at,
                    )
                    .map_err(bad)?;
                episode
                    .end(
                        back(ago - 40),
                        ReasonEpisodeCeased::ReturnedHomePlanned,
                        today,
                        worker,
                    )
                    .map_err(bad)?;
                case.apply(
                    step(
                        back(ago - 40),
                        CaseEvent::CinPlanStarted,
                        "Home with a child in need plan",
                    ),
                    today,
                    &cal,
                )
                .map_err(case_bad)?;
                tx.add_chronology(&line(
                    ids[i],
                    back(ago - 40),
                    "Ceased to be looked after: returned home as part of the care plan".into(),
                ))
                .await?;
            }
            tx.insert_case(&case).await?;
            tx.insert_looked_after(&episode).await?;
            crate::flags::refresh_flags(tx, ids[i]).await?;
        }
        Ok(())
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
