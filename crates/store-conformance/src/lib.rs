//! The storage conformance suite: the same scenarios, run against every backend, so SQLite and
//! PostgreSQL behave alike. Each backend's `tests/conformance.rs` provides a [`Harness`] (a fresh,
//! isolated database per scenario) and calls [`conformance_tests!`], which makes one test per
//! scenario.
//!
//! This crate is test code: it panics on failure and is never a dependency of the product.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_debug_implementations
)]

use async_trait::async_trait;
use jiff::civil::date;
use safeguard_domain::{
    Address, Agency, AgencyId, AgencyKind, Area, Birth, Child, ChildGroups, ChildId, ChildPerson,
    ChronologyEntry, ChronologyKind, EventId, Involvement, NhsNumber, Partner, Person, PersonId,
    PersonName, Postcode, Practitioner, PractitionerId, Relationship, Role, Sex, Team, TeamId,
};
use safeguard_domain::{
    Channel, Concern, ConcernCategory, ConcernId, ConsentStatus, LawfulBasis, NotificationId,
    Referral, ReferralId, ReferralSource, ReferredChild, ScreeningDecision, ScreeningOutcome,
    Urgency,
};
use safeguard_store::audit::verify_chain;
use safeguard_store::{
    Account, AuditEvent, ChildQuery, ChildRow, InvolvementRow, Notification, SessionRow,
    SessionStage, Store, StoreError,
};

/// What a backend's test file provides: a fresh store, and raw access for tamper scenarios.
#[async_trait]
pub trait Harness: Send + Sync {
    /// The store under test, over a database no other test uses.
    fn store(&self) -> &dyn Store;
    /// Runs `UPDATE audit SET reason = .. WHERE seq = ..` as plain SQL. Must be refused.
    async fn raw_update_audit(&self, seq: i64) -> Result<(), String>;
    /// Runs `DELETE FROM audit WHERE seq = ..` as plain SQL. Must be refused.
    async fn raw_delete_audit(&self, seq: i64) -> Result<(), String>;
    /// Changes a row's reason behind the database's back (dropping or disabling the guard
    /// first), as an attacker with direct access to the file or server would.
    async fn tamper_audit_reason(&self, seq: i64, reason: &str);
}

/// Makes one `#[tokio::test]` per scenario. `$make` is an async fn returning a `Harness`, or
/// `None` when the backend is not available (the test then returns early).
#[macro_export]
macro_rules! conformance_tests {
    ($make:path) => {
        $crate::conformance_tests!(@each $make,
            agencies_round_trip_and_are_found_by_code,
            agency_codes_are_unique,
            teams_round_trip,
            area_is_created_then_replaced,
            accounts_round_trip_and_emails_are_unique,
            sessions_are_stored_replaced_and_removed,
            children_round_trip_and_nhs_numbers_are_unique,
            children_are_found_by_each_term,
            allocations_people_involvements_and_chronology,
            a_dropped_transaction_leaves_nothing,
            holidays_are_replaced,
            audit_chain_appends_and_verifies,
            audit_batches_append_the_same_chain,
            audit_rows_cannot_be_updated_or_deleted,
            audit_verify_names_the_tampered_seq,
            concerns_referrals_and_notifications,
            referral_saves_from_an_old_version_are_refused,
            api_tokens_are_found_by_hash_and_revoked_once,
            cases_round_trip_with_optimistic_versions,
            linkage_decisions_and_the_duplicate_report,
            flags_are_keyed_on_their_source_and_found_by_nhs_number,
            flag_accesses_and_access_notifications,
            flags_load_in_bulk_and_are_counted,
            early_help_episodes_round_trip_one_open_a_child,
            looked_after_episodes_round_trip_one_open_a_child
        );
    };
    (@each $make:path, $($name:ident),+) => {
        $(
            #[tokio::test]
            async fn $name() {
                let Some(h) = $make().await else { return };
                $crate::$name(&h).await;
            }
        )+
    };
}

fn la() -> Agency {
    Agency {
        id: AgencyId::new(),
        kind: AgencyKind::LocalAuthority,
        name: "Northmoor Council".into(),
        ods_code: None,
        urn: None,
        la_code: Some("999".into()),
        phone: Some("01000 000000".into()),
        out_of_hours_phone: Some("01000 000001".into()),
    }
}

fn school(urn: &str) -> Agency {
    Agency {
        id: AgencyId::new(),
        kind: AgencyKind::School,
        name: format!("School {urn}"),
        ods_code: None,
        urn: Some(urn.into()),
        la_code: None,
        phone: None,
        out_of_hours_phone: None,
    }
}

fn account(agency: AgencyId, email: &str, roles: Vec<Role>) -> Account {
    Account {
        practitioner: Practitioner {
            id: PractitionerId::new(),
            email: email.into(),
            name: "Sam Worker".into(),
            agency,
            team: None,
            roles,
            active: true,
        },
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        totp_secret: None,
        demo_no_mfa: false,
        failed_attempts: 0,
        locked_until: None,
    }
}

fn child(given: &str, family: &str, nhs: Option<&str>, postcode: &str) -> Child {
    Child {
        id: ChildId::new(),
        name: PersonName {
            given: given.into(),
            family: family.into(),
        },
        aliases: vec![PersonName {
            given: "Bobbi".into(),
            family: family.into(),
        }],
        former_names: vec![],
        birth: Birth::Born(date(2015, 3, 14)),
        sex: Sex::Female,
        nhs_number: nhs.map(|n| NhsNumber::parse(n).unwrap()),
        upn: None,
        addresses: vec![Address {
            lines: vec!["1 High Street".into()],
            town: "Northmoor".into(),
            postcode: Postcode::parse(postcode).unwrap(),
            from: Some(date(2020, 1, 1)),
            to: None,
        }],
        responsible_la: None,
        school: None,
        ethnicity: None,
        first_language: Some("English".into()),
        groups: ChildGroups::default(),
    }
}

fn event(n: i64) -> AuditEvent {
    AuditEvent {
        at: jiff::Timestamp::from_second(1_800_000_000 + n).unwrap(),
        actor: "cli".into(),
        action: "test.event".into(),
        subject: format!("child:{}", n % 2),
        decision: "permit".into(),
        reason: format!("event {n}"),
        payload: serde_json::json!({"n": n, "a": "b"}),
    }
}

/// Agencies round-trip and are found by any of their codes.
pub async fn agencies_round_trip_and_are_found_by_code(h: &dyn Harness) {
    let s = h.store();
    let a = la();
    let b = school("100001");
    let mut tx = s.begin().await.unwrap();
    tx.insert_agency(&a).await.unwrap();
    tx.insert_agency(&b).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = s.begin().await.unwrap();
    assert_eq!(tx.get_agency(a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(
        tx.list_agencies().await.unwrap(),
        vec![a.clone(), b.clone()]
    );
    assert_eq!(tx.find_agency_by_code("999").await.unwrap(), Some(a));
    assert_eq!(tx.find_agency_by_code("100001").await.unwrap(), Some(b));
    assert_eq!(tx.find_agency_by_code("nope").await.unwrap(), None);
    assert_eq!(tx.get_agency(AgencyId::new()).await.unwrap(), None);
}

/// A code already held by another agency is a conflict naming the code.
pub async fn agency_codes_are_unique(h: &dyn Harness) {
    let s = h.store();
    let mut tx = s.begin().await.unwrap();
    tx.insert_agency(&school("100001")).await.unwrap();
    let err = tx.insert_agency(&school("100001")).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { what: "URN" }),
        "{err:?}"
    );
}

/// Teams round-trip.
pub async fn teams_round_trip(h: &dyn Harness) {
    let s = h.store();
    let a = la();
    let t = Team {
        id: TeamId::new(),
        agency: a.id,
        name: "Front door".into(),
    };
    let mut tx = s.begin().await.unwrap();
    tx.insert_agency(&a).await.unwrap();
    tx.insert_team(&t).await.unwrap();
    assert_eq!(tx.get_team(t.id).await.unwrap(), Some(t.clone()));
    assert_eq!(tx.list_teams().await.unwrap(), vec![t]);
    assert_eq!(tx.get_team(TeamId::new()).await.unwrap(), None);
}

/// The area is a single record, replaced by a second put.
pub async fn area_is_created_then_replaced(h: &dyn Harness) {
    let s = h.store();
    let a = la();
    let mut area = Area {
        id: safeguard_domain::AreaId::new(),
        name: "Northmoor Safeguarding Children Partnership".into(),
        partners: vec![Partner {
            agency: a.id,
            lead: "Chief executive".into(),
            delegate: "Director of children's services".into(),
        }],
        members: vec![],
    };
    let mut tx = s.begin().await.unwrap();
    assert_eq!(tx.get_area().await.unwrap(), None);
    tx.put_area(&area).await.unwrap();
    area.name = "Renamed".into();
    tx.put_area(&area).await.unwrap();
    assert_eq!(tx.get_area().await.unwrap(), Some(area));
}

/// Accounts round-trip; a second account with the same email is a conflict; admins are counted.
pub async fn accounts_round_trip_and_emails_are_unique(h: &dyn Harness) {
    let s = h.store();
    let a = la();
    let mut tx = s.begin().await.unwrap();
    tx.insert_agency(&a).await.unwrap();
    let mut sw = account(a.id, "sw@example.test", vec![Role::SocialWorker]);
    tx.insert_account(&sw).await.unwrap();
    let admin = account(a.id, "admin@example.test", vec![Role::SystemAdministrator]);
    tx.insert_account(&admin).await.unwrap();
    assert_eq!(tx.count_active_admins().await.unwrap(), 1);
    let err = tx
        .insert_account(&account(a.id, "sw@example.test", vec![]))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                what: "email address"
            }
        ),
        "{err:?}"
    );
    sw.failed_attempts = 3;
    sw.locked_until = Some(jiff::Timestamp::from_second(1_900_000_000).unwrap());
    sw.totp_secret = Some("JBSWY3DPEHPK3PXP".into());
    sw.practitioner.roles.push(Role::TeamManager);
    tx.update_account(&sw).await.unwrap();
    assert_eq!(
        tx.get_account(sw.practitioner.id).await.unwrap(),
        Some(sw.clone())
    );
    assert_eq!(
        tx.get_account_by_email("sw@example.test").await.unwrap(),
        Some(sw.clone())
    );
    assert_eq!(
        tx.get_account_by_email("x@example.test").await.unwrap(),
        None
    );
    assert_eq!(tx.list_practitioners().await.unwrap().len(), 2);
    let mut gone = admin.clone();
    gone.practitioner.active = false;
    tx.update_account(&gone).await.unwrap();
    assert_eq!(tx.count_active_admins().await.unwrap(), 0);
    let mut ghost = admin;
    ghost.practitioner.id = PractitionerId::new();
    assert!(matches!(
        tx.update_account(&ghost).await,
        Err(StoreError::NotFound(_))
    ));
}

/// Sessions are stored, replaced on a second put, removed singly, by practitioner and by expiry.
pub async fn sessions_are_stored_replaced_and_removed(h: &dyn Harness) {
    let s = h.store();
    let a = la();
    let acc = account(a.id, "sw@example.test", vec![Role::SocialWorker]);
    let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    let hour = jiff::SignedDuration::from_hours(1);
    let mut tx = s.begin().await.unwrap();
    tx.insert_agency(&a).await.unwrap();
    tx.insert_account(&acc).await.unwrap();
    let mut one = SessionRow {
        id_hash: "a".repeat(64),
        practitioner: None,
        stage: SessionStage::Anonymous,
        csrf_token: "t1".into(),
        pending_totp_secret: None,
        created_at: now,
        expires_at: now + hour,
    };
    tx.put_session(&one).await.unwrap();
    one.practitioner = Some(acc.practitioner.id);
    one.stage = SessionStage::SignedIn;
    one.pending_totp_secret = Some("S".into());
    tx.put_session(&one).await.unwrap();
    assert_eq!(
        tx.get_session(&one.id_hash).await.unwrap(),
        Some(one.clone())
    );
    let old = SessionRow {
        id_hash: "b".repeat(64),
        expires_at: now - hour,
        practitioner: None,
        ..one.clone()
    };
    tx.put_session(&old).await.unwrap();
    assert_eq!(tx.delete_expired_sessions(now).await.unwrap(), 1);
    assert_eq!(tx.get_session(&old.id_hash).await.unwrap(), None);
    tx.delete_sessions_of(acc.practitioner.id).await.unwrap();
    assert_eq!(tx.get_session(&one.id_hash).await.unwrap(), None);
    tx.put_session(&old).await.unwrap();
    tx.delete_session(&old.id_hash).await.unwrap();
    assert_eq!(tx.get_session(&old.id_hash).await.unwrap(), None);
}

/// Children round-trip; an NHS number held by another child is a conflict, on insert and update.
pub async fn children_round_trip_and_nhs_numbers_are_unique(h: &dyn Harness) {
    let s = h.store();
    let mut tx = s.begin().await.unwrap();
    let mut c = ChildRow {
        child: child("Roberta", "Applewood", Some("9434765919"), "NM1 2AB"),
        owning_team: None,
    };
    tx.insert_child(&c).await.unwrap();
    assert_eq!(tx.get_child(c.child.id).await.unwrap(), Some(c.clone()));
    let nhs = NhsNumber::parse("9434765919").unwrap();
    assert_eq!(tx.find_child_by_nhs(&nhs).await.unwrap(), Some(c.child.id));
    let twin = ChildRow {
        child: child("Other", "Child", Some("9434765919"), "NM1 2AB"),
        owning_team: None,
    };
    let err = tx.insert_child(&twin).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { what: "NHS number" }),
        "{err:?}"
    );
    let mut other = ChildRow {
        child: child("Other", "Child", None, "NM1 2AB"),
        owning_team: None,
    };
    tx.insert_child(&other).await.unwrap();
    other.child.nhs_number = Some(nhs);
    let err = tx.update_child(&other).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    c.child.name.given = "Bobbie".into();
    c.child.groups.young_carer = true;
    tx.update_child(&c).await.unwrap();
    assert_eq!(tx.get_child(c.child.id).await.unwrap(), Some(c));
    assert_eq!(tx.count_children().await.unwrap(), 2);
    let ghost = ChildRow {
        child: child("No", "One", None, "NM1 2AB"),
        owning_team: None,
    };
    assert!(matches!(
        tx.update_child(&ghost).await,
        Err(StoreError::NotFound(_))
    ));
}

/// Search finds children by part of any name, date of birth, NHS number and postcode; every
/// term must match; wildcards in the name are literal.
pub async fn children_are_found_by_each_term(h: &dyn Harness) {
    let s = h.store();
    let mut tx = s.begin().await.unwrap();
    let a = child("Roberta", "Applewood", Some("9434765919"), "NM1 2AB");
    let mut b = child("Tom", "Brightwater", None, "NM3 4CD");
    b.birth = Birth::Expected(date(2027, 1, 5));
    b.aliases.clear();
    for c in [&a, &b] {
        tx.insert_child(&ChildRow {
            child: c.clone(),
            owning_team: None,
        })
        .await
        .unwrap();
    }
    let find = |q: ChildQuery| q;
    let ids = |rows: Vec<ChildRow>| rows.into_iter().map(|r| r.child.id).collect::<Vec<_>>();
    let by_name = find(ChildQuery {
        name: Some("applew".into()),
        ..Default::default()
    });
    assert_eq!(
        ids(tx.search_children(&by_name, 50).await.unwrap()),
        vec![a.id]
    );
    let by_alias = find(ChildQuery {
        name: Some("BOBBI apple".into()),
        ..Default::default()
    });
    assert_eq!(
        ids(tx.search_children(&by_alias, 50).await.unwrap()),
        vec![a.id]
    );
    let by_dob = find(ChildQuery {
        birth_date: Some(date(2027, 1, 5)),
        ..Default::default()
    });
    assert_eq!(
        ids(tx.search_children(&by_dob, 50).await.unwrap()),
        vec![b.id]
    );
    let by_nhs = find(ChildQuery {
        nhs_number: a.nhs_number.clone(),
        ..Default::default()
    });
    assert_eq!(
        ids(tx.search_children(&by_nhs, 50).await.unwrap()),
        vec![a.id]
    );
    let by_pc = find(ChildQuery {
        postcode: Some(Postcode::parse("nm34cd").unwrap()),
        ..Default::default()
    });
    assert_eq!(
        ids(tx.search_children(&by_pc, 50).await.unwrap()),
        vec![b.id]
    );
    let both = find(ChildQuery {
        name: Some("tom".into()),
        postcode: Some(Postcode::parse("NM1 2AB").unwrap()),
        ..Default::default()
    });
    assert!(tx.search_children(&both, 50).await.unwrap().is_empty());
    let wildcard = find(ChildQuery {
        name: Some("%".into()),
        ..Default::default()
    });
    assert!(tx.search_children(&wildcard, 50).await.unwrap().is_empty());
    let all = ChildQuery::default();
    assert_eq!(
        ids(tx.search_children(&all, 50).await.unwrap()),
        vec![a.id, b.id]
    );
    assert_eq!(tx.search_children(&all, 1).await.unwrap().len(), 1);
}

/// Allocations, people, involvements and the chronology are linked to the child.
pub async fn allocations_people_involvements_and_chronology(h: &dyn Harness) {
    let s = h.store();
    let a = la();
    let sch = school("100002");
    let acc = account(a.id, "sw@example.test", vec![Role::SocialWorker]);
    let c = child("Roberta", "Applewood", None, "NM1 2AB");
    let mut tx = s.begin().await.unwrap();
    tx.insert_agency(&a).await.unwrap();
    tx.insert_agency(&sch).await.unwrap();
    tx.insert_account(&acc).await.unwrap();
    tx.insert_child(&ChildRow {
        child: c.clone(),
        owning_team: None,
    })
    .await
    .unwrap();
    let me = acc.practitioner.id;
    tx.allocate(c.id, me).await.unwrap();
    tx.allocate(c.id, me).await.unwrap();
    assert_eq!(tx.allocations(c.id).await.unwrap(), vec![me]);
    assert_eq!(
        tx.children_allocated_to(me)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.child.id)
            .collect::<Vec<_>>(),
        vec![c.id]
    );
    let mum = Person {
        id: PersonId::new(),
        name: PersonName {
            given: "Alex".into(),
            family: "Applewood".into(),
        },
        date_of_birth: Some(date(1990, 2, 2)),
        nhs_number: None,
    };
    tx.insert_person(&mum).await.unwrap();
    let mut link = ChildPerson {
        child: c.id,
        person: mum.id,
        relationship: Relationship::Mother,
        parental_responsibility: true,
        lives_with_child: true,
    };
    tx.link_person(&link).await.unwrap();
    link.lives_with_child = false;
    tx.link_person(&link).await.unwrap();
    assert_eq!(tx.people_of_child(c.id).await.unwrap(), vec![(mum, link)]);
    let inv = InvolvementRow {
        agency: sch.id,
        involvement: Involvement::Pupil,
        since: date(2021, 9, 1),
    };
    tx.add_involvement(c.id, &inv).await.unwrap();
    tx.add_involvement(c.id, &inv).await.unwrap();
    assert_eq!(tx.involvements(c.id).await.unwrap(), vec![inv]);
    let older = ChronologyEntry {
        id: EventId::new(),
        child: c.id,
        date: date(2024, 1, 1),
        summary: "Referral received".into(),
        kind: ChronologyKind::Referral,
        agency: Some(a.id),
        recorded_by: Some(me),
    };
    let newer = ChronologyEntry {
        id: EventId::new(),
        date: date(2025, 1, 1),
        summary: "Assessment completed".into(),
        kind: ChronologyKind::Assessment,
        recorded_by: None,
        ..older.clone()
    };
    tx.add_chronology(&older).await.unwrap();
    tx.add_chronology(&newer).await.unwrap();
    assert_eq!(tx.chronology(c.id).await.unwrap(), vec![newer, older]);
}

/// Work in a transaction that is dropped without commit is not kept.
pub async fn a_dropped_transaction_leaves_nothing(h: &dyn Harness) {
    let s = h.store();
    {
        let mut tx = s.begin().await.unwrap();
        tx.insert_agency(&la()).await.unwrap();
        tx.append_audit(&event(1)).await.unwrap();
    }
    let mut tx = s.begin().await.unwrap();
    assert!(tx.list_agencies().await.unwrap().is_empty());
    assert!(tx.audit_page(0, 10).await.unwrap().is_empty());
}

/// Imported holidays replace the earlier set.
pub async fn holidays_are_replaced(h: &dyn Harness) {
    let s = h.store();
    let mut tx = s.begin().await.unwrap();
    assert!(tx.holidays().await.unwrap().is_empty());
    tx.replace_holidays(&[date(2026, 12, 25), date(2026, 12, 28)])
        .await
        .unwrap();
    tx.replace_holidays(&[date(2027, 1, 1), date(2026, 12, 25)])
        .await
        .unwrap();
    assert_eq!(
        tx.holidays().await.unwrap(),
        vec![date(2026, 12, 25), date(2027, 1, 1)]
    );
}

/// Appends form a chain from the genesis hash; verify passes; pages and subject reads work.
pub async fn audit_chain_appends_and_verifies(h: &dyn Harness) {
    let s = h.store();
    for n in 1..=5 {
        let mut tx = s.begin().await.unwrap();
        let rec = tx.append_audit(&event(n)).await.unwrap();
        assert_eq!(rec.seq, n);
        tx.commit().await.unwrap();
    }
    let mut tx = s.begin().await.unwrap();
    let all = tx.audit_page(0, 100).await.unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all[0].prev_hash, safeguard_store::GENESIS_HASH);
    for w in all.windows(2) {
        assert_eq!(w[1].prev_hash, w[0].hash);
    }
    assert_eq!(all[2].event.payload, serde_json::json!({"a": "b", "n": 3}));
    assert_eq!(tx.audit_page(3, 100).await.unwrap().len(), 2);
    let odd = tx.audit_for_subject("child:1", 2).await.unwrap();
    assert_eq!(odd.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![5, 3]);
    let report = verify_chain(&mut *tx).await.unwrap();
    assert_eq!(report.checked, 5);
    assert_eq!(report.first_bad, None);
}

/// A batch appends the same records one append per event would: in order, each hashing the one
/// before, after whatever is already there; counted by action; read back through a read-only
/// transaction.
pub async fn audit_batches_append_the_same_chain(h: &dyn Harness) {
    let s = h.store();
    let mut tx = s.begin().await.unwrap();
    assert!(tx.append_audit_batch(&[]).await.unwrap().is_empty());
    tx.append_audit(&event(1)).await.unwrap();
    let batch: Vec<AuditEvent> = (2..=1203).map(event).collect();
    let records = tx.append_audit_batch(&batch).await.unwrap();
    assert_eq!(records.len(), batch.len());
    assert_eq!(records[0].seq, 2);
    assert_eq!(records.last().unwrap().seq, 1203);
    tx.commit().await.unwrap();
    let mut tx = s.begin().await.unwrap();
    tx.append_audit(&event(1204)).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = s.begin_read().await.unwrap();
    let stored = tx.audit_page(1, 2000).await.unwrap();
    assert_eq!(stored[..records.len()], records[..], "stored as returned");
    assert_eq!(stored.last().unwrap().seq, 1204);
    let report = verify_chain(&mut *tx).await.unwrap();
    assert_eq!(report.checked, 1204);
    assert_eq!(report.first_bad, None);
    assert_eq!(tx.count_audit("test.event").await.unwrap(), 1204);
    assert_eq!(tx.count_audit("flags.lookup").await.unwrap(), 0);
}

/// The database itself refuses UPDATE and DELETE on the audit table.
pub async fn audit_rows_cannot_be_updated_or_deleted(h: &dyn Harness) {
    let s = h.store();
    let mut tx = s.begin().await.unwrap();
    tx.append_audit(&event(1)).await.unwrap();
    tx.commit().await.unwrap();
    let upd = h.raw_update_audit(1).await;
    assert!(upd.is_err(), "an UPDATE of the audit table was allowed");
    assert!(upd.unwrap_err().contains("append-only"));
    let del = h.raw_delete_audit(1).await;
    assert!(del.is_err(), "a DELETE from the audit table was allowed");
    let mut tx = s.begin().await.unwrap();
    assert_eq!(
        tx.audit_page(0, 10).await.unwrap()[0].event.reason,
        "event 1"
    );
}

/// Tampering with a row behind the database's back is found, and verify names that row.
pub async fn audit_verify_names_the_tampered_seq(h: &dyn Harness) {
    let s = h.store();
    let mut tx = s.begin().await.unwrap();
    for n in 1..=6 {
        tx.append_audit(&event(n)).await.unwrap();
    }
    tx.commit().await.unwrap();
    h.tamper_audit_reason(4, "nothing to see here").await;
    let mut tx = s.begin().await.unwrap();
    let report = verify_chain(&mut *tx).await.unwrap();
    assert_eq!(report.checked, 3);
    let (seq, why) = report.first_bad.expect("tampering was not detected");
    assert_eq!(seq, 4);
    assert!(why.contains("hash"), "{why}");
}

fn referred() -> ReferredChild {
    ReferredChild {
        name: PersonName {
            given: "Roberta".into(),
            family: "Applewood".into(),
        },
        birth: Some(Birth::Born(date(2015, 3, 14))),
        sex: Sex::Female,
        nhs_number: None,
        address: "1 High Street".into(),
        postcode: Some(Postcode::parse("NM1 2AB").unwrap()),
    }
}

fn referral(
    la: AgencyId,
    referrer: PractitionerId,
    urgency: Urgency,
    due: jiff::civil::Date,
    n: i64,
) -> Referral {
    Referral {
        id: ReferralId::new(),
        version: 1,
        la,
        channel: Channel::Form,
        received_at: jiff::Timestamp::from_second(1_800_000_000 + n).unwrap(),
        received_on: date(2027, 1, 14),
        decision_due: due,
        referrer: Some(referrer),
        referrer_agency: None,
        referrer_name: "Sam Teacher".into(),
        referrer_contact: "01632 960000".into(),
        source: ReferralSource::parse("2A").unwrap(),
        concern: None,
        child: referred(),
        matched_child: None,
        reasons: "Bruises seen".into(),
        factors: vec![],
        consent: ConsentStatus::Given,
        lawful_basis: LawfulBasis::PublicTask,
        urgency,
        child_safe_now: true,
        household: vec![],
        communication_needs: String::new(),
        decision: None,
        early_help: None,
    }
}

/// Concerns are kept per setting and per recorder; referrals queue by urgency then due date,
/// and leave the queue once decided; notifications are per recipient and marked read.
pub async fn concerns_referrals_and_notifications(h: &dyn Harness) {
    let s = h.store();
    let a = la();
    let sch = school("100003");
    let acc = account(sch.id, "teacher@example.test", vec![Role::Referrer]);
    let me = acc.practitioner.id;
    let mut tx = s.begin().await.unwrap();
    tx.insert_agency(&a).await.unwrap();
    tx.insert_agency(&sch).await.unwrap();
    tx.insert_account(&acc).await.unwrap();
    let mut concern = Concern {
        id: ConcernId::new(),
        setting: sch.id,
        recorded_by: me,
        recorded_at: jiff::Timestamp::from_second(1_800_000_000).unwrap(),
        happened_on: date(2027, 1, 13),
        child: referred(),
        known_child: None,
        category: ConcernCategory::Physical,
        what: "A bruise on the arm".into(),
        who: "Class teacher".into(),
        action_taken: "Told the DSL".into(),
        referral: None,
    };
    tx.insert_concern(&concern).await.unwrap();
    let standard = referral(a.id, me, Urgency::Standard, date(2027, 1, 15), 1);
    let urgent_later = referral(a.id, me, Urgency::Urgent, date(2027, 1, 16), 2);
    let urgent_sooner = referral(a.id, me, Urgency::Urgent, date(2027, 1, 15), 3);
    for r in [&standard, &urgent_later, &urgent_sooner] {
        tx.insert_referral(r).await.unwrap();
    }
    concern.referral = Some(standard.id);
    tx.update_concern(&concern).await.unwrap();
    assert_eq!(
        tx.get_concern(concern.id).await.unwrap(),
        Some(concern.clone())
    );
    assert_eq!(
        tx.concerns_of_setting(sch.id).await.unwrap(),
        vec![concern.clone()]
    );
    assert_eq!(tx.concerns_recorded_by(me).await.unwrap(), vec![concern]);
    assert!(tx.concerns_of_setting(a.id).await.unwrap().is_empty());
    let queue: Vec<_> = tx
        .referral_queue(a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(queue, vec![urgent_sooner.id, urgent_later.id, standard.id]);
    let mut decided = urgent_sooner.clone();
    decided.version = 2;
    decided.decision = Some(ScreeningDecision {
        outcome: ScreeningOutcome::Assessment,
        protection: None,
        reasons: "Needs assessment".into(),
        advice: String::new(),
        decided_by: me,
        decided_at: jiff::Timestamp::from_second(1_800_000_100).unwrap(),
        decided_on: date(2027, 1, 14),
    });
    let child = child("Roberta", "Applewood", None, "NM1 2AB");
    tx.insert_child(&ChildRow {
        child: child.clone(),
        owning_team: None,
    })
    .await
    .unwrap();
    decided.matched_child = Some(child.id);
    tx.update_referral(&decided).await.unwrap();
    assert_eq!(
        tx.get_referral(decided.id).await.unwrap(),
        Some(decided.clone())
    );
    assert_eq!(tx.referral_queue(a.id).await.unwrap().len(), 2);
    assert_eq!(tx.referrals_by(me).await.unwrap().len(), 3);
    assert_eq!(
        tx.referrals_of_child(child.id).await.unwrap(),
        vec![decided]
    );
    let n1 = Notification {
        id: NotificationId::new(),
        recipient: me,
        created_at: jiff::Timestamp::from_second(1_800_000_000).unwrap(),
        text: "Referral received".into(),
        link: "/referrals/1".into(),
        read: false,
    };
    let n2 = Notification {
        id: NotificationId::new(),
        created_at: jiff::Timestamp::from_second(1_800_000_500).unwrap(),
        text: "Decision made".into(),
        ..n1.clone()
    };
    tx.insert_notification(&n1).await.unwrap();
    tx.insert_notification(&n2).await.unwrap();
    tx.mark_notification_read(n1.id, me).await.unwrap();
    let list = tx.notifications_for(me, 10).await.unwrap();
    assert_eq!(
        list.iter().map(|n| (n.id, n.read)).collect::<Vec<_>>(),
        vec![(n2.id, false), (n1.id, true)]
    );
    assert_eq!(list[0].created_at, n2.created_at);
    let stranger = PractitionerId::new();
    assert!(matches!(
        tx.mark_notification_read(n2.id, stranger).await,
        Err(StoreError::NotFound(_))
    ));
}

/// Optimistic versioning: the second writer from the same version is refused, not lost.
pub async fn referral_saves_from_an_old_version_are_refused(h: &dyn Harness) {
    let s = h.store();
    let a = la();
    let acc = account(a.id, "fd@example.test", vec![Role::FrontDoorWorker]);
    let mut tx = s.begin().await.unwrap();
    tx.insert_agency(&a).await.unwrap();
    tx.insert_account(&acc).await.unwrap();
    let r = referral(
        a.id,
        acc.practitioner.id,
        Urgency::Standard,
        date(2027, 1, 15),
        1,
    );
    tx.insert_referral(&r).await.unwrap();
    let mut first = r.clone();
    first.version = 2;
    first.reasons = "First writer".into();
    let mut second = r.clone();
    second.version = 2;
    second.reasons = "Second writer".into();
    tx.update_referral(&first).await.unwrap();
    let err = tx.update_referral(&second).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { what: "referral" }),
        "{err:?}"
    );
    assert_eq!(
        tx.get_referral(r.id).await.unwrap().unwrap().reasons,
        "First writer"
    );
    let mut ghost = r;
    ghost.id = ReferralId::new();
    ghost.version = 2;
    assert!(matches!(
        tx.update_referral(&ghost).await,
        Err(StoreError::NotFound(_))
    ));
}

/// Cases round-trip whole, list per child, and refuse a save from an old version.
pub async fn cases_round_trip_with_optimistic_versions(h: &dyn Harness) {
    let s = h.store();
    let c = child("Roberta", "Applewood", None, "NM1 2AB");
    let mut tx = s.begin().await.unwrap();
    tx.insert_child(&ChildRow {
        child: c.clone(),
        owning_team: None,
    })
    .await
    .unwrap();
    let mut case = safeguard_domain::Case::open(
        safeguard_domain::CaseId::new(),
        c.id,
        None,
        date(2026, 3, 2),
        ScreeningOutcome::Assessment,
        date(2026, 3, 2),
        PractitionerId::new(),
        jiff::Timestamp::from_second(1_800_000_000).unwrap(),
    )
    .unwrap();
    tx.insert_case(&case).await.unwrap();
    assert_eq!(tx.get_case(case.id).await.unwrap(), Some(case.clone()));
    let stale = case.clone();
    case.version = 2;
    case.steps[0].note = "Saved first".into();
    tx.update_case(&case).await.unwrap();
    let mut second = stale;
    second.version = 2;
    assert!(matches!(
        tx.update_case(&second).await,
        Err(StoreError::Conflict { what: "case" })
    ));
    assert_eq!(tx.cases_of_child(c.id).await.unwrap(), vec![case]);
    assert!(tx.cases_of_child(ChildId::new()).await.unwrap().is_empty());
    assert_eq!(tx.open_cases().await.unwrap().len(), 1);
    // A keyed notification is added once, whatever happens after.
    let a = la();
    let acc = account(a.id, "sw@example.test", vec![Role::SocialWorker]);
    tx.insert_agency(&a).await.unwrap();
    tx.insert_account(&acc).await.unwrap();
    let n = Notification {
        id: NotificationId::new(),
        recipient: acc.practitioner.id,
        created_at: jiff::Timestamp::from_second(1_800_000_000).unwrap(),
        text: "Overdue".into(),
        link: "/".into(),
        read: false,
    };
    assert!(tx.insert_notification_once(&n, "k1").await.unwrap());
    let again = Notification {
        id: NotificationId::new(),
        ..n.clone()
    };
    assert!(!tx.insert_notification_once(&again, "k1").await.unwrap());
    assert_eq!(
        tx.notifications_for(acc.practitioner.id, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// API tokens are found by the hash of their secret (never by the secret), listed newest first,
/// and revoked once only; a hash is unique.
pub async fn api_tokens_are_found_by_hash_and_revoked_once(h: &dyn Harness) {
    use safeguard_domain::{ApiScope, ApiToken, ApiTokenId};
    let s = h.store();
    let agency = la();
    let mut tx = s.begin().await.unwrap();
    tx.insert_agency(&agency).await.unwrap();
    let at = |s: i64| jiff::Timestamp::from_second(1_800_000_000 + s).unwrap();
    let older = ApiToken {
        id: ApiTokenId::new(),
        agency: agency.id,
        name: "Case management system".into(),
        scopes: vec![ApiScope::FlagsWrite, ApiScope::FlagsRead],
        created_at: at(1),
        revoked_at: None,
    };
    let newer = ApiToken {
        id: ApiTokenId::new(),
        name: "Referral portal".into(),
        scopes: vec![ApiScope::ReferralsWrite],
        created_at: at(2),
        ..older.clone()
    };
    tx.insert_api_token(&older, "aa11").await.unwrap();
    tx.insert_api_token(&newer, "bb22").await.unwrap();
    let clash = ApiToken {
        id: ApiTokenId::new(),
        ..newer.clone()
    };
    match tx.insert_api_token(&clash, "bb22").await {
        Err(StoreError::Conflict { what }) => assert_eq!(what, "API token"),
        other => panic!("expected a conflict on the hash, got {other:?}"),
    }
    tx.commit().await.unwrap();

    let mut tx = s.begin().await.unwrap();
    assert_eq!(
        tx.api_token_by_hash("aa11").await.unwrap(),
        Some(older.clone())
    );
    assert_eq!(tx.api_token_by_hash("cc33").await.unwrap(), None);
    let listed: Vec<_> = tx.list_api_tokens().await.unwrap();
    assert_eq!(listed, vec![newer.clone(), older.clone()]);
    tx.revoke_api_token(older.id, at(3)).await.unwrap();
    match tx.revoke_api_token(older.id, at(4)).await {
        Err(StoreError::Conflict { what }) => assert_eq!(what, "API token"),
        other => panic!("expected a conflict on a second revocation, got {other:?}"),
    }
    match tx.revoke_api_token(ApiTokenId::new(), at(4)).await {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("expected not found, got {other:?}"),
    }
    tx.commit().await.unwrap();
    let mut tx = s.begin().await.unwrap();
    let revoked = tx.api_token_by_hash("aa11").await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(at(3)));
    assert!(!revoked.allows(ApiScope::FlagsRead));
}

/// Children page by id; linkage decisions are kept with their evidence, found by subject,
/// reversed once only; the duplicate report is replaced whole.
pub async fn linkage_decisions_and_the_duplicate_report(h: &dyn Harness) {
    use safeguard_domain::{
        DuplicatePair, DuplicateReport, Evidence, LinkDecision, LinkDecisionId, LinkSubject,
        Reversal,
    };
    let s = h.store();
    let mut tx = s.begin().await.unwrap();
    let mut ids = Vec::new();
    for (i, family) in ["Ash", "Birch", "Cedar", "Damson", "Elm"]
        .iter()
        .enumerate()
    {
        let c = child("Robin", family, None, &format!("NM{} 2AB", i + 1));
        ids.push(c.id);
        tx.insert_child(&ChildRow {
            child: c,
            owning_team: None,
        })
        .await
        .unwrap();
    }
    ids.sort();
    let first = tx.children_page(None, 2).await.unwrap();
    assert_eq!(
        first.iter().map(|r| r.child.id).collect::<Vec<_>>(),
        ids[..2]
    );
    let rest = tx.children_page(Some(ids[1]), 10).await.unwrap();
    assert_eq!(
        rest.iter().map(|r| r.child.id).collect::<Vec<_>>(),
        ids[2..]
    );
    assert!(tx.children_page(Some(ids[4]), 10).await.unwrap().is_empty());

    let at = |s: i64| jiff::Timestamp::from_second(1_800_000_000 + s).unwrap();
    let referral = LinkSubject::Referral(ReferralId::new());
    let evidence = vec![Evidence {
        label: "Date of birth".into(),
        level: "exact".into(),
        weight: 11.5,
    }];
    let rejected = LinkDecision {
        id: LinkDecisionId::new(),
        subject: referral,
        child: ids[0],
        same: false,
        probability: 0.41,
        evidence: evidence.clone(),
        decided_by: PractitionerId::new(),
        decided_at: at(1),
        reversed: None,
    };
    let confirmed = LinkDecision {
        id: LinkDecisionId::new(),
        child: ids[1],
        same: true,
        probability: 0.998,
        decided_at: at(2),
        ..rejected.clone()
    };
    let pair = LinkDecision {
        id: LinkDecisionId::new(),
        subject: LinkSubject::Child(ids[2]),
        child: ids[3],
        decided_at: at(3),
        ..confirmed.clone()
    };
    for d in [&rejected, &confirmed, &pair] {
        tx.insert_link_decision(d).await.unwrap();
    }
    assert_eq!(
        tx.link_decisions_about(&referral).await.unwrap(),
        vec![rejected.clone(), confirmed.clone()]
    );
    assert_eq!(tx.child_link_decisions().await.unwrap(), vec![pair.clone()]);
    assert_eq!(
        tx.get_link_decision(confirmed.id).await.unwrap(),
        Some(confirmed.clone())
    );
    let reversal = Reversal {
        by: PractitionerId::new(),
        at: at(4),
        reason: "Twins: a different child".into(),
    };
    tx.reverse_link_decision(confirmed.id, &reversal)
        .await
        .unwrap();
    let back = tx.get_link_decision(confirmed.id).await.unwrap().unwrap();
    assert_eq!(back.reversed, Some(reversal.clone()));
    assert!(!back.in_force());
    assert!(matches!(
        tx.reverse_link_decision(confirmed.id, &reversal).await,
        Err(StoreError::Conflict {
            what: "linkage decision"
        })
    ));
    assert!(matches!(
        tx.reverse_link_decision(LinkDecisionId::new(), &reversal)
            .await,
        Err(StoreError::NotFound("linkage decision"))
    ));

    assert_eq!(tx.duplicate_report().await.unwrap(), None);
    let mut report = DuplicateReport {
        generated_at: at(5),
        threshold: 0.9,
        children_checked: 5,
        pairs: vec![DuplicatePair {
            left: ids[0],
            right: ids[4],
            probability: 0.97,
            evidence,
        }],
    };
    tx.put_duplicate_report(&report).await.unwrap();
    assert_eq!(tx.duplicate_report().await.unwrap(), Some(report.clone()));
    report.pairs.clear();
    report.generated_at = at(6);
    tx.put_duplicate_report(&report).await.unwrap();
    assert_eq!(tx.duplicate_report().await.unwrap(), Some(report));
    tx.commit().await.unwrap();
}

fn flag_for(
    la: &Agency,
    nhs: &str,
    kind: safeguard_domain::FlagType,
    source_ref: &str,
    child: Option<ChildId>,
) -> safeguard_domain::Flag {
    safeguard_domain::Flag {
        id: safeguard_domain::FlagId::new(),
        nhs_number: NhsNumber::parse(nhs).unwrap(),
        kind,
        start: date(2026, 1, 5),
        end: None,
        expected_delivery: None,
        section: None,
        contact: safeguard_domain::LaContact::from(la),
        team: Some("Team 1".into()),
        source: safeguard_domain::FlagSource::Derived,
        source_ref: source_ref.into(),
        child,
    }
}

/// Flags are upserted on `source_ref` (the stored id is kept, the same flag twice changes
/// nothing), found by NHS number, by child and by LA, and deleted by id.
pub async fn flags_are_keyed_on_their_source_and_found_by_nhs_number(h: &dyn Harness) {
    use safeguard_domain::FlagType;
    use safeguard_store::FlagWrite;
    let s = h.store();
    let a = la();
    let mut b = la();
    b.la_code = Some("998".into());
    let c = child("Roberta", "Applewood", Some("9434765919"), "NM1 2AB");
    let mut tx = s.begin().await.unwrap();
    tx.insert_agency(&a).await.unwrap();
    tx.insert_agency(&b).await.unwrap();
    tx.insert_child(&ChildRow {
        child: c.clone(),
        owning_team: None,
    })
    .await
    .unwrap();
    let plan = flag_for(
        &a,
        "9434765919",
        FlagType::ChildProtectionPlan,
        "case:1:step:4",
        Some(c.id),
    );
    assert_eq!(tx.put_flag(&plan).await.unwrap(), FlagWrite::Inserted);
    assert_eq!(tx.put_flag(&plan).await.unwrap(), FlagWrite::Unchanged);
    // The same source again under a fresh id: the stored id is kept.
    let again = safeguard_domain::Flag {
        id: safeguard_domain::FlagId::new(),
        ..plan.clone()
    };
    assert_eq!(tx.put_flag(&again).await.unwrap(), FlagWrite::Unchanged);
    let ended = safeguard_domain::Flag {
        id: safeguard_domain::FlagId::new(),
        end: Some(date(2026, 4, 1)),
        ..plan.clone()
    };
    assert_eq!(tx.put_flag(&ended).await.unwrap(), FlagWrite::Updated);
    let nhs = NhsNumber::parse("9434765919").unwrap();
    let found = tx.flags_by_nhs(&nhs).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, plan.id, "the stored id is kept");
    assert_eq!(found[0].end, Some(date(2026, 4, 1)));
    let other = flag_for(
        &b,
        "9990000018",
        FlagType::UnbornChildProtectionPlan,
        "import:x",
        None,
    );
    tx.put_flag(&other).await.unwrap();
    assert_eq!(tx.flags_of_child(c.id).await.unwrap().len(), 1);
    assert_eq!(tx.list_flags(None).await.unwrap().len(), 2);
    let of_b = tx.list_flags(Some(b.id)).await.unwrap();
    assert_eq!(of_b, vec![other.clone()]);
    assert!(
        tx.flags_by_nhs(&NhsNumber::parse("9990000026").unwrap())
            .await
            .unwrap()
            .is_empty()
    );
    tx.delete_flag(plan.id).await.unwrap();
    assert!(matches!(
        tx.delete_flag(plan.id).await,
        Err(StoreError::NotFound("flag"))
    ));
    assert!(tx.flags_by_nhs(&nhs).await.unwrap().is_empty());
    tx.commit().await.unwrap();
    // Committed: another transaction sees the register, and so does the lookup's read outside
    // any transaction.
    let mut tx = s.begin().await.unwrap();
    assert_eq!(tx.list_flags(None).await.unwrap(), vec![other.clone()]);
    drop(tx);
    assert_eq!(
        s.read_flags_by_nhs(&other.nhs_number).await.unwrap(),
        vec![other]
    );
    assert!(s.read_flags_by_nhs(&nhs).await.unwrap().is_empty());
}

/// Accesses come back newest first, limited; access notifications filter by state, time and
/// setting, and keep their state.
pub async fn flag_accesses_and_access_notifications(h: &dyn Harness) {
    use safeguard_domain::{
        AccessNotification, AccessNotificationId, CareSetting, FlagAccess, FlagAccessId, FlagType,
        NoticeState, OnBehalfOf,
    };
    use safeguard_store::NoticeQuery;
    let s = h.store();
    let a = la();
    let ed = Agency {
        id: AgencyId::new(),
        kind: AgencyKind::NhsTrust,
        name: "Northmoor ED".into(),
        ods_code: Some("RZZ01".into()),
        urn: None,
        la_code: None,
        phone: None,
        out_of_hours_phone: None,
    };
    let gp = school("777");
    let mut tx = s.begin().await.unwrap();
    for x in [&a, &ed, &gp] {
        tx.insert_agency(x).await.unwrap();
    }
    let flag = flag_for(
        &a,
        "9434765919",
        FlagType::LookedAfter,
        "case:2:step:1",
        None,
    );
    tx.put_flag(&flag).await.unwrap();
    let nhs = flag.nhs_number.clone();
    let t0 = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    let mut notices = Vec::new();
    for i in 0..30i64 {
        let setting = if i % 3 == 0 { &gp } else { &ed };
        let access = FlagAccess {
            id: FlagAccessId::new(),
            nhs_number: nhs.clone(),
            at: t0 + jiff::SignedDuration::from_hours(i),
            setting: setting.id,
            setting_name: setting.name.clone(),
            care: CareSetting::Unscheduled,
            practitioner: None,
            // A system's naming of its practitioner is kept with the access.
            on_behalf_of: (i == 29).then(|| OnBehalfOf::parse("SDS 555123456789").unwrap()),
            flags: vec![flag.id],
        };
        tx.insert_flag_access(&access).await.unwrap();
        let n = AccessNotification {
            id: AccessNotificationId::new(),
            la: a.id,
            access: access.id,
            at: access.at,
            setting: setting.id,
            setting_name: setting.name.clone(),
            nhs_number: nhs.clone(),
            flags: vec![(flag.id, flag.kind)],
            child: None,
            state: NoticeState::New,
            state_changed: None,
        };
        tx.insert_access_notification(&n).await.unwrap();
        notices.push(n);
    }
    let recent = tx.recent_flag_accesses(&nhs, 25).await.unwrap();
    assert_eq!(recent.len(), 25);
    assert_eq!(recent[0].at, t0 + jiff::SignedDuration::from_hours(29));
    assert_eq!(
        recent[0].on_behalf_of.as_ref().map(OnBehalfOf::as_str),
        Some("SDS 555123456789")
    );
    assert_eq!(recent[1].on_behalf_of, None);
    assert!(recent.windows(2).all(|w| w[0].at >= w[1].at));
    assert!(
        tx.recent_flag_accesses(&NhsNumber::parse("9990000018").unwrap(), 25)
            .await
            .unwrap()
            .is_empty()
    );
    let all = NoticeQuery {
        limit: 100,
        ..NoticeQuery::default()
    };
    assert_eq!(tx.access_notifications(a.id, &all).await.unwrap().len(), 30);
    assert!(
        tx.access_notifications(ed.id, &all)
            .await
            .unwrap()
            .is_empty()
    );
    let from_gp = NoticeQuery {
        setting: Some(gp.id),
        ..all.clone()
    };
    assert_eq!(
        tx.access_notifications(a.id, &from_gp).await.unwrap().len(),
        10
    );
    let window = NoticeQuery {
        from: Some(t0 + jiff::SignedDuration::from_hours(10)),
        until: Some(t0 + jiff::SignedDuration::from_hours(20)),
        ..all.clone()
    };
    let got = tx.access_notifications(a.id, &window).await.unwrap();
    assert_eq!(got.len(), 10);
    assert_eq!(got[0].at, t0 + jiff::SignedDuration::from_hours(19));
    let mut seen = notices[4].clone();
    seen.state = NoticeState::Seen;
    seen.state_changed = Some((PractitionerId::new(), t0));
    tx.update_access_notification(&seen).await.unwrap();
    assert_eq!(
        tx.get_access_notification(seen.id).await.unwrap(),
        Some(seen.clone())
    );
    let only_seen = NoticeQuery {
        state: Some(NoticeState::Seen),
        ..all.clone()
    };
    assert_eq!(
        tx.access_notifications(a.id, &only_seen).await.unwrap(),
        vec![seen]
    );
    let missing = AccessNotification {
        id: AccessNotificationId::new(),
        ..notices[0].clone()
    };
    assert!(matches!(
        tx.update_access_notification(&missing).await,
        Err(StoreError::NotFound(_))
    ));
    let limited = NoticeQuery { limit: 5, ..all };
    assert_eq!(
        tx.access_notifications(a.id, &limited).await.unwrap().len(),
        5
    );
}

/// Flags load in bulk (more than one statement's worth), are found by NHS number as if put one
/// at a time, and are counted with the accesses and notifications; a clash loads nothing.
pub async fn flags_load_in_bulk_and_are_counted(h: &dyn Harness) {
    use safeguard_domain::FlagType;
    let s = h.store();
    let a = la();
    let mut tx = s.begin().await.unwrap();
    tx.insert_agency(&a).await.unwrap();
    let flags: Vec<_> = (0..6_001u32)
        .filter_map(|i| NhsNumber::from_nine_digits(600_000_000 + i))
        .map(|nhs| {
            let mut f = flag_for(
                &a,
                nhs.as_str(),
                FlagType::ChildProtectionPlan,
                &format!("bench:{}", nhs.as_str()),
                None,
            );
            f.team = None;
            f
        })
        .collect();
    assert!(flags.len() > 5_000);
    tx.bulk_insert_flags(&flags).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = s.begin_read().await.unwrap();
    for f in [&flags[0], &flags[2_500], flags.last().unwrap()] {
        assert_eq!(
            tx.flags_by_nhs(&f.nhs_number).await.unwrap(),
            vec![f.clone()]
        );
    }
    let counts = tx.flag_register_counts().await.unwrap();
    assert_eq!(counts.flags, flags.len() as u64);
    assert_eq!((counts.accesses, counts.notifications), (0, 0));
    drop(tx);
    // Accesses and their notifications in bulk, as the group-commit writer writes them.
    use safeguard_domain::{
        AccessNotification, AccessNotificationId, CareSetting, FlagAccess, FlagAccessId,
        NoticeState,
    };
    let t0 = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    let accesses: Vec<FlagAccess> = flags[..3]
        .iter()
        .enumerate()
        .map(|(i, f)| FlagAccess {
            id: FlagAccessId::new(),
            nhs_number: f.nhs_number.clone(),
            at: t0 + jiff::SignedDuration::from_secs(i as i64),
            setting: a.id,
            setting_name: a.name.clone(),
            care: CareSetting::Unscheduled,
            practitioner: None,
            on_behalf_of: None,
            flags: vec![f.id],
        })
        .collect();
    let notices: Vec<AccessNotification> = accesses
        .iter()
        .zip(&flags)
        .map(|(x, f)| AccessNotification {
            id: AccessNotificationId::new(),
            la: a.id,
            access: x.id,
            at: x.at,
            setting: a.id,
            setting_name: a.name.clone(),
            nhs_number: x.nhs_number.clone(),
            flags: vec![(f.id, f.kind)],
            child: None,
            state: NoticeState::New,
            state_changed: None,
        })
        .collect();
    let mut tx = s.begin().await.unwrap();
    tx.insert_flag_accesses(
        &accesses.iter().collect::<Vec<_>>(),
        &notices.iter().collect::<Vec<_>>(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut tx = s.begin_read().await.unwrap();
    let counts = tx.flag_register_counts().await.unwrap();
    assert_eq!((counts.accesses, counts.notifications), (3, 3));
    assert_eq!(
        tx.recent_flag_accesses(&flags[2].nhs_number, 25)
            .await
            .unwrap(),
        vec![accesses[2].clone()]
    );
    assert_eq!(
        tx.get_access_notification(notices[1].id).await.unwrap(),
        Some(notices[1].clone())
    );
    drop(tx);
    let mut tx = s.begin().await.unwrap();
    let clash = vec![
        flag_for(&a, "9434765919", FlagType::LookedAfter, "bench:new", None),
        flags[7].clone(),
    ];
    assert!(matches!(
        tx.bulk_insert_flags(&clash).await,
        Err(StoreError::Conflict { .. })
    ));
    drop(tx);
    let mut tx = s.begin().await.unwrap();
    assert_eq!(
        tx.flag_register_counts().await.unwrap().flags,
        flags.len() as u64
    );
}

// --- early help and looked-after episodes ---

/// A child and a practitioner in a fresh transaction, for the episode scenarios.
async fn child_and_worker(tx: &mut Box<dyn safeguard_store::Tx>) -> (ChildId, Account) {
    let c = child("Edie", "Episode", None, "NM1 2AB");
    tx.insert_child(&ChildRow {
        child: c.clone(),
        owning_team: None,
    })
    .await
    .unwrap();
    let a = la();
    let acc = account(
        a.id,
        "lead@example.test",
        vec![Role::DesignatedSafeguardingLead],
    );
    tx.insert_agency(&a).await.unwrap();
    tx.insert_account(&acc).await.unwrap();
    (c.id, acc)
}

fn early_help(child: ChildId, lead: &Account) -> safeguard_domain::EarlyHelpEpisode {
    use safeguard_domain::early_help::{EarlyHelpOrigin, LeadPractitioner};
    safeguard_domain::EarlyHelpEpisode::start(
        safeguard_domain::EarlyHelpId::new(),
        child,
        LeadPractitioner {
            practitioner: lead.practitioner.id,
            name: lead.practitioner.name.clone(),
            agency: lead.practitioner.agency,
            agency_name: "Northmoor".into(),
        },
        EarlyHelpOrigin::Agency,
        date(2026, 3, 2),
        "Attendance",
        None,
        &[],
        date(2026, 11, 23),
    )
    .unwrap()
}

/// Early help episodes round-trip whole, are found by child and by lead, keep optimistic
/// versions, and a child has at most one open (a second is a Conflict the database enforces).
pub async fn early_help_episodes_round_trip_one_open_a_child(h: &dyn Harness) {
    use safeguard_domain::early_help::EarlyHelpClosure;
    let s = h.store();
    let mut tx = s.begin().await.unwrap();
    let (child_id, lead) = child_and_worker(&mut tx).await;
    let mut e = early_help(child_id, &lead);
    tx.insert_early_help(&e).await.unwrap();
    assert_eq!(tx.get_early_help(e.id).await.unwrap(), Some(e.clone()));
    assert_eq!(
        tx.early_help_led_by(lead.practitioner.id).await.unwrap(),
        vec![e.clone()]
    );
    assert!(
        tx.early_help_led_by(PractitionerId::new())
            .await
            .unwrap()
            .is_empty()
    );
    let second = early_help(child_id, &lead);
    assert!(matches!(
        tx.insert_early_help(&second).await,
        Err(StoreError::Conflict {
            what: "open early help episode"
        })
    ));
    let stale = e.clone();
    e.record_assessment(date(2026, 3, 10), "Routines", date(2026, 11, 23))
        .unwrap();
    e.version = 2;
    tx.update_early_help(&e).await.unwrap();
    let mut late = stale;
    late.version = 2;
    assert!(matches!(
        tx.update_early_help(&late).await,
        Err(StoreError::Conflict {
            what: "early help episode"
        })
    ));
    let mut missing = early_help(child_id, &lead);
    missing.version = 2;
    assert!(matches!(
        tx.update_early_help(&missing).await,
        Err(StoreError::NotFound("early help episode"))
    ));
    assert_eq!(tx.open_early_help().await.unwrap(), vec![e.clone()]);
    // Once closed, a new one may start.
    e.close(
        date(2026, 4, 1),
        EarlyHelpClosure::OutcomesAchieved,
        "",
        date(2026, 11, 23),
    )
    .unwrap();
    e.version = 3;
    tx.update_early_help(&e).await.unwrap();
    let mut next = early_help(child_id, &lead);
    next.started_on = date(2026, 5, 1);
    tx.insert_early_help(&next).await.unwrap();
    assert_eq!(
        tx.early_help_of_child(child_id).await.unwrap(),
        vec![next.clone(), e]
    );
    // Only the open one is open.
    assert_eq!(tx.open_early_help().await.unwrap(), vec![next]);
    tx.commit().await.unwrap();
}

fn looked_after(child: ChildId, on: jiff::civil::Date) -> safeguard_domain::LookedAfterEpisode {
    use safeguard_domain::looked_after::{
        LaCode, PeriodInput, Placement, PlacementProvider, PlacementType,
    };
    safeguard_domain::LookedAfterEpisode::start(
        safeguard_domain::LookedAfterId::new(),
        child,
        None,
        safeguard_domain::PrimaryNeed::AbuseOrNeglect,
        PeriodInput {
            on,
            legal_status: safeguard_domain::LegalStatus::InterimCareOrder,
            placement: Placement {
                kind: PlacementType::FosterOther,
                provider: Some(PlacementProvider::OwnLa),
                postcode: Postcode::parse("NM2 3CD").ok(),
                la: LaCode::parse("999").ok(),
            },
        },
        &[],
        date(2026, 11, 23),
        PractitionerId::new(),
        jiff::Timestamp::from_second(1_800_000_000).unwrap(),
    )
    .unwrap()
}

/// Looked-after episodes round-trip whole with their periods, keep optimistic versions, and a
/// child is in at most one open episode (the database refuses a second, even from a
/// concurrent transaction's point of view).
pub async fn looked_after_episodes_round_trip_one_open_a_child(h: &dyn Harness) {
    use safeguard_domain::looked_after::ReasonEpisodeCeased;
    let s = h.store();
    let mut tx = s.begin().await.unwrap();
    let (child_id, _) = child_and_worker(&mut tx).await;
    let mut e = looked_after(child_id, date(2026, 3, 2));
    tx.insert_looked_after(&e).await.unwrap();
    assert_eq!(tx.get_looked_after(e.id).await.unwrap(), Some(e.clone()));
    assert!(matches!(
        tx.insert_looked_after(&looked_after(child_id, date(2026, 4, 1)))
            .await,
        Err(StoreError::Conflict {
            what: "open looked-after episode"
        })
    ));
    let stale = e.clone();
    e.record_review(
        date(2026, 3, 20),
        "Plan confirmed".into(),
        date(2026, 11, 23),
        PractitionerId::new(),
        jiff::Timestamp::from_second(1_800_000_000).unwrap(),
    )
    .unwrap();
    e.version = 2;
    tx.update_looked_after(&e).await.unwrap();
    let mut late = stale;
    late.version = 2;
    assert!(matches!(
        tx.update_looked_after(&late).await,
        Err(StoreError::Conflict {
            what: "looked-after episode"
        })
    ));
    e.end(
        date(2026, 6, 1),
        ReasonEpisodeCeased::ReturnedHomePlanned,
        date(2026, 11, 23),
        PractitionerId::new(),
    )
    .unwrap();
    e.version = 3;
    tx.update_looked_after(&e).await.unwrap();
    let next = looked_after(child_id, date(2026, 7, 1));
    tx.insert_looked_after(&next).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = s.begin().await.unwrap();
    assert_eq!(
        tx.looked_after_of_child(child_id).await.unwrap(),
        vec![next, e]
    );
    assert!(
        tx.looked_after_of_child(ChildId::new())
            .await
            .unwrap()
            .is_empty()
    );
}
