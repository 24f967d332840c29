//! Use-cases end to end on both backends: SQLite always, PostgreSQL when it answers (and, with
//! `CI=true`, it must). Each PostgreSQL run gets a schema of its own.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use safeguard_app::{App, AppConfig, AppError, CurrentUser};
use safeguard_domain::{FixedClock, Role};
use safeguard_store::{ChildQuery, Store};
use safeguard_store_postgres::PostgresStore;
use safeguard_store_sqlite::SqliteStore;

struct Backend {
    name: &'static str,
    store: Arc<dyn Store>,
    sqlite: Option<SqliteStore>,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(PostgresStore, String)>,
}

impl Backend {
    /// Drops the PostgreSQL schema of a passed test.
    async fn finish(self) {
        if let Some((pg, schema)) = self.pg_schema {
            drop(self.store);
            let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(pg.pool())
                .await
                .unwrap();
        }
    }
}

async fn backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .await
        .unwrap();
    let mut out = vec![Backend {
        name: "sqlite",
        store: Arc::new(sqlite.clone()),
        sqlite: Some(sqlite),
        _dir: Some(dir),
        pg_schema: None,
    }];
    let url = std::env::var("SAFEGUARD_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = format!("app_{}", uuid::Uuid::now_v7().simple());
    match PostgresStore::open_in_schema(&url, &schema).await {
        Ok(pg) => out.push(Backend {
            name: "postgres",
            store: Arc::new(pg.clone()),
            sqlite: None,
            _dir: None,
            pg_schema: Some((pg, schema)),
        }),
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but PostgreSQL does not answer: {e}")
        }
        Err(e) => eprintln!("PostgreSQL skipped: {e}"),
    }
    out
}

async fn demo_app(store: Arc<dyn Store>) -> (App, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new("2026-11-23T10:00:00Z".parse().unwrap()));
    let app = App::new(store, clock.clone(), AppConfig::default())
        .await
        .unwrap();
    app.seed_demo(11).await.unwrap();
    (app, clock)
}

async fn signed_in(app: &App, email: &str) -> CurrentUser {
    let s = app.start_session().await.unwrap();
    let (s, _) = app
        .sign_in(&s.token, email, safeguard_app::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    app.session(&s.token).await.unwrap().unwrap().user.unwrap()
}

#[tokio::test]
async fn views_and_refusals_are_audited_and_the_chain_verifies() {
    for b in backends().await {
        let (app, _) = demo_app(b.store.clone()).await;
        let sw = signed_in(&app, "social.worker@demo.safeguard.test").await;
        let mine = app.your_work(&sw).await.unwrap().allocated;
        assert!(!mine.is_empty(), "{}: the demo allocates children", b.name);
        let record = app.view_child(&sw, mine[0].id).await.unwrap();
        assert_eq!(record.access_reason, "allocated worker");
        // A child of no relationship: refused, and the refusal is kept.
        let mut tx = b.store.begin().await.unwrap();
        let all = tx
            .search_children(&ChildQuery::default(), 500)
            .await
            .unwrap();
        let mut other = None;
        for r in &all {
            if r.owning_team.is_none()
                && !tx
                    .allocations(r.child.id)
                    .await
                    .unwrap()
                    .contains(&sw.practitioner.id)
            {
                other = Some(r.child.id);
                break;
            }
        }
        drop(tx);
        let other = other.unwrap();
        assert!(matches!(
            app.view_child(&sw, other).await,
            Err(AppError::Denied(_))
        ));
        let admin = signed_in(&app, "admin@demo.safeguard.test").await;
        assert!(matches!(
            app.view_child(&admin, mine[0].id).await,
            Err(AppError::Denied("administrators cannot read case data"))
        ));
        let mut tx = b.store.begin().await.unwrap();
        let views = tx
            .audit_for_subject(&format!("child:{other}"), 10)
            .await
            .unwrap();
        assert_eq!(views.len(), 1, "{}", b.name);
        assert_eq!(views[0].event.decision, "deny");
        assert_eq!(views[0].event.actor, sw.audit_name());
        drop(tx);
        let report = app.verify_audit().await.unwrap();
        assert_eq!(report.first_bad, None, "{}", b.name);
        assert!(report.checked > 5);
        b.finish().await;
    }
}

#[tokio::test]
async fn concurrent_failed_sign_ins_all_count_and_lock_the_account() {
    for b in backends().await {
        let (app, clock) = demo_app(b.store.clone()).await;
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let app = app.clone();
            tasks.push(tokio::spawn(async move {
                let s = app.start_session().await.unwrap();
                app.sign_in(
                    &s.token,
                    "team.manager@demo.safeguard.test",
                    "not the password",
                )
                .await
            }));
        }
        for t in tasks {
            assert!(matches!(t.await.unwrap(), Err(AppError::SignInFailed)));
        }
        // Locked: the right password is refused too, until the lock lifts.
        let s = app.start_session().await.unwrap();
        let r = app
            .sign_in(
                &s.token,
                "team.manager@demo.safeguard.test",
                safeguard_app::demo::DEMO_PASSWORD,
            )
            .await;
        assert!(
            matches!(r, Err(AppError::SignInFailed)),
            "{}: not locked",
            b.name
        );
        clock.advance(jiff::SignedDuration::from_mins(16));
        let user = signed_in(&app, "team.manager@demo.safeguard.test").await;
        assert!(user.practitioner.has_role(Role::TeamManager));
        let mut tx = b.store.begin().await.unwrap();
        let fails = tx
            .audit_page(0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.event.action == "account.sign_in" && r.event.decision == "deny")
            .count();
        assert_eq!(
            fails, 9,
            "{}: 8 failures and 1 refusal while locked",
            b.name
        );
        drop(tx);
        b.finish().await;
    }
}

fn referred_child(family: &str) -> safeguard_domain::ReferredChild {
    safeguard_domain::ReferredChild {
        name: safeguard_domain::PersonName {
            given: "Testy".into(),
            family: family.into(),
        },
        birth: Some(safeguard_domain::Birth::Born(jiff::civil::date(
            2016, 3, 14,
        ))),
        sex: safeguard_domain::Sex::Female,
        nhs_number: None,
        address: "1 Canal Street".into(),
        postcode: safeguard_domain::Postcode::parse("NM1 2AB").ok(),
    }
}

#[tokio::test]
async fn an_agency_system_refers_with_a_token_and_reads_back_only_its_own_decision() {
    use safeguard_app::referrals::{DecisionInput, ReferralInput};
    use safeguard_app::tokens::ApiReferralInput;
    use safeguard_domain::{
        ApiScope, Channel, ConsentStatus, LawfulBasis, ReferralSource, ScreeningOutcome, Urgency,
    };
    for b in backends().await {
        let (app, _) = demo_app(b.store.clone()).await;
        let front = signed_in(&app, "front.door@demo.safeguard.test").await;
        let la = app.find_agency("999").await.unwrap();
        // Issuing: a name, a scope and a known agency are all needed, and all named at once.
        match app.cli_create_token("no-such-code", &[], " ").await {
            Err(AppError::Invalid(errors)) => {
                let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, ["name", "scope", "agency"], "{}", b.name);
            }
            other => panic!("{}: expected invalid, got {other:?}", b.name),
        }
        let school = app
            .cli_create_token("999001", &[ApiScope::ReferralsWrite], "Oakfield MIS")
            .await
            .unwrap();
        assert!(school.secret.starts_with("sgt_"));
        let gp = app
            .cli_create_token("Y99901", &[ApiScope::ReferralsWrite], "GP system")
            .await
            .unwrap();
        let flags_only = app
            .cli_create_token("RZZ01", &[ApiScope::FlagsRead], "ED system")
            .await
            .unwrap();
        let caller = app.authenticate_token(&school.secret).await.unwrap();
        assert_eq!(caller.agency.urn.as_deref(), Some("999001"));
        assert!(matches!(
            app.authenticate_token("sgt_not-a-token").await,
            Err(AppError::Unauthenticated)
        ));

        let input = |reasons: &str| ApiReferralInput {
            referral: ReferralInput {
                la: la.id,
                child: referred_child("Tokenfield"),
                source: ReferralSource::parse("2A").unwrap(),
                reasons: reasons.into(),
                factors: vec![],
                consent: ConsentStatus::Given,
                lawful_basis: LawfulBasis::PublicTask,
                urgency: Urgency::Standard,
                child_safe_now: true,
                household: vec![],
                communication_needs: String::new(),
                referrer_contact: "01632 960501".into(),
                referrer_name: None,
                concern: None,
            },
            referrer_name: "Ms Teacher".into(),
        };
        // Invalid input saves nothing.
        assert!(matches!(
            app.api_submit_referral(&caller, input("  ")).await,
            Err(AppError::Invalid(_))
        ));
        let referral = app
            .api_submit_referral(&caller, input("Bruises on the arms"))
            .await
            .unwrap();
        assert_eq!(referral.channel, Channel::Api);
        assert_eq!(referral.referrer, None);
        assert_eq!(referral.referrer_agency, Some(caller.agency.id));
        assert_eq!(referral.referrer_name, "Ms Teacher");
        // A token without the scope cannot refer; the refusal is audited.
        let ed = app.authenticate_token(&flags_only.secret).await.unwrap();
        assert!(matches!(
            app.api_submit_referral(&ed, input("Bruises")).await,
            Err(AppError::Denied(_))
        ));
        // The front door sees it in the queue and decides.
        assert!(
            app.front_door_queue(&front)
                .await
                .unwrap()
                .iter()
                .any(|q| q.id == referral.id)
        );
        let version = app
            .referral(&front, referral.id)
            .await
            .unwrap()
            .referral
            .version;
        let version = {
            app.link_referral(&front, referral.id, None, version)
                .await
                .unwrap();
            app.referral(&front, referral.id)
                .await
                .unwrap()
                .referral
                .version
        };
        app.decide_referral(
            &front,
            referral.id,
            DecisionInput {
                outcome: ScreeningOutcome::EarlyHelp,
                protection: None,
                reasons: "Needs are below the threshold for social care".into(),
                advice: "The school's family support worker will offer early help".into(),
                version,
            },
        )
        .await
        .unwrap();
        // The referring agency reads the decision; another agency is refused.
        let back = app.api_referral(&caller, referral.id).await.unwrap();
        let decision = back.decision.unwrap();
        assert_eq!(decision.outcome, ScreeningOutcome::EarlyHelp);
        let other = app.authenticate_token(&gp.secret).await.unwrap();
        assert!(matches!(
            app.api_referral(&other, referral.id).await,
            Err(AppError::Denied(
                "a referral is visible to the referring agency only"
            ))
        ));
        // A revoked token is refused from then on.
        app.cli_revoke_token(&school.token.id.to_string())
            .await
            .unwrap();
        assert!(matches!(
            app.cli_revoke_token(&school.token.id.to_string()).await,
            Err(AppError::Conflict { .. })
        ));
        assert!(matches!(
            app.authenticate_token(&school.secret).await,
            Err(AppError::Unauthenticated)
        ));
        // Every step is in the audit log under the token's id, and the chain verifies.
        let mut tx = b.store.begin().await.unwrap();
        let subject = format!("referral:{}", referral.id);
        let trail = tx.audit_for_subject(&subject, 50).await.unwrap();
        let by = |actor: &str, action: &str, decision: &str| {
            trail.iter().any(|r| {
                r.event.actor == actor && r.event.action == action && r.event.decision == decision
            })
        };
        let school_actor = format!("token:{}", school.token.id);
        let gp_actor = format!("token:{}", gp.token.id);
        assert!(by(&school_actor, "referral.submit", "permit"), "{}", b.name);
        assert!(by(&school_actor, "referral.view", "permit"), "{}", b.name);
        assert!(by(&gp_actor, "referral.view", "deny"), "{}", b.name);
        let all = tx.audit_page(0, 100_000).await.unwrap();
        assert!(all.iter().any(|r| r.event.action == "token.create"));
        assert!(all.iter().any(|r| r.event.action == "token.revoke"));
        assert!(all.iter().any(|r| r.event.actor == "token:unknown"
            && r.event.action == "api.authenticate"
            && r.event.decision == "deny"));
        assert!(all.iter().any(
            |r| r.event.actor == format!("token:{}", flags_only.token.id)
                && r.event.action == "referral.submit"
                && r.event.decision == "deny"
        ));
        drop(tx);
        assert_eq!(
            app.verify_audit().await.unwrap().first_bad,
            None,
            "{}",
            b.name
        );
        b.finish().await;
    }
}

#[tokio::test]
async fn a_teachers_concern_becomes_a_referral_and_the_decision_comes_back() {
    use safeguard_app::referrals::{ConcernInput, DecisionInput, ReferralInput};
    use safeguard_domain::{
        ConcernCategory, ConsentStatus, LawfulBasis, ReferralSource, ScreeningOutcome, Urgency,
    };
    for b in backends().await {
        let (app, clock) = demo_app(b.store.clone()).await;
        let teacher = signed_in(&app, "teacher@demo.safeguard.test").await;
        let front = signed_in(&app, "front.door@demo.safeguard.test").await;
        let sw = signed_in(&app, "social.worker@demo.safeguard.test").await;
        let la = app.find_agency("999").await.unwrap();
        // Monday 23 November 2026, 10:00: T1 makes the decision due on Tuesday.
        let concern = app
            .record_concern(
                &teacher,
                ConcernInput {
                    child: referred_child("Loopwright"),
                    happened_on: jiff::civil::date(2026, 11, 23),
                    category: ConcernCategory::Physical,
                    what: "A burn on the hand".into(),
                    who: "Class teacher".into(),
                    action_taken: "Told the DSL".into(),
                },
            )
            .await
            .unwrap();
        let input = ReferralInput {
            la: la.id,
            child: referred_child("Loopwright"),
            source: ReferralSource::parse("2A").unwrap(),
            reasons: "A burn on the hand".into(),
            factors: vec![],
            consent: ConsentStatus::Given,
            lawful_basis: LawfulBasis::PublicTask,
            urgency: Urgency::Urgent,
            child_safe_now: true,
            household: vec![],
            communication_needs: String::new(),
            referrer_contact: "01632 960000".into(),
            referrer_name: None,
            concern: Some(concern),
        };
        let id = app.make_referral(&teacher, input.clone()).await.unwrap();
        // Once referred, the concern cannot be referred twice.
        assert!(matches!(
            app.make_referral(&teacher, input).await,
            Err(AppError::Conflict { .. })
        ));
        let mine = app.my_referrals(&teacher).await.unwrap();
        let r = mine.iter().find(|r| r.id == id).unwrap();
        assert_eq!(
            r.decision_due,
            jiff::civil::date(2026, 11, 24),
            "{}",
            b.name
        );
        assert!(
            app.notifications(&teacher).await.unwrap()[0]
                .text
                .contains("received your referral")
        );
        // The front door sees it first (urgent, due soonest among the waiting).
        let queue = app.front_door_queue(&front).await.unwrap();
        assert!(queue.iter().any(|q| q.id == id));
        // Others cannot screen, and the social worker with no part in it cannot read it.
        assert!(matches!(
            app.front_door_queue(&teacher).await,
            Err(AppError::Denied(_))
        ));
        assert!(matches!(
            app.referral(&sw, id).await,
            Err(AppError::Denied(_))
        ));
        // No known child: create one from the referral; a decision before that is refused.
        let version = app.referral(&front, id).await.unwrap().referral.version;
        let decide = |v: u32, reasons: &str| DecisionInput {
            outcome: ScreeningOutcome::Assessment,
            protection: None,
            reasons: reasons.into(),
            advice: String::new(),
            version: v,
        };
        assert!(matches!(
            app.decide_referral(&front, id, decide(version, "Needs assessment"))
                .await,
            Err(AppError::Invalid(_))
        ));
        let m = app.match_candidates(&front, id).await.unwrap();
        assert!(
            m.candidates.iter().all(|c| c.score < 0.5),
            "no known child is called Loopwright"
        );
        let child = app.link_referral(&front, id, None, version).await.unwrap();
        // A decision made from the old version is refused, and nothing is lost.
        assert!(matches!(
            app.decide_referral(&front, id, decide(version, "Stale"))
                .await,
            Err(AppError::Conflict { .. })
        ));
        assert!(matches!(
            app.decide_referral(&front, id, decide(version + 1, " "))
                .await,
            Err(AppError::Invalid(_))
        ));
        clock.advance(jiff::SignedDuration::from_hours(2));
        app.decide_referral(&front, id, decide(version + 1, "Needs assessment"))
            .await
            .unwrap();
        assert!(
            !app.front_door_queue(&front)
                .await
                .unwrap()
                .iter()
                .any(|q| q.id == id)
        );
        // The closed loop: the referrer sees the decision and is told; never the case file.
        let seen = app.referral(&teacher, id).await.unwrap();
        let d = seen.referral.decision.clone().unwrap();
        assert_eq!(d.outcome, ScreeningOutcome::Assessment);
        assert_eq!(d.reasons, "Needs assessment");
        assert!(!seen.referral.decided_late());
        assert!(
            app.notifications(&teacher).await.unwrap()[0]
                .text
                .contains("Decision on your referral")
        );
        assert!(matches!(
            app.view_child(&teacher, child).await,
            Err(AppError::Denied(_))
        ));
        // The child's record carries the referral and the decision on its chronology.
        let record = app.view_child(&front, child).await;
        let mut tx = b.store.begin().await.unwrap();
        let chronology = tx.chronology(child).await.unwrap();
        drop(tx);
        assert!(
            chronology
                .iter()
                .any(|e| e.summary.starts_with("Front door decision"))
        );
        assert!(
            chronology
                .iter()
                .any(|e| e.summary.starts_with("Referral received from Oakfield"))
        );
        // The front door worker's team now owns the case, so they may open it.
        assert!(record.is_ok(), "{}: {:?}", b.name, record.err());
        assert_eq!(app.verify_audit().await.unwrap().first_bad, None);
        b.finish().await;
    }
}

#[tokio::test]
async fn the_demo_queue_has_waiting_overdue_and_decided_referrals() {
    for b in backends().await {
        let (app, _) = demo_app(b.store.clone()).await;
        let front = signed_in(&app, "front.door@demo.safeguard.test").await;
        let queue = app.front_door_queue(&front).await.unwrap();
        // Three from the demo's referrers and one step up from early help.
        assert_eq!(queue.len(), 4, "{}", b.name);
        assert_eq!(queue.iter().filter(|r| r.early_help.is_some()).count(), 1);
        assert_eq!(queue[0].urgency, safeguard_domain::Urgency::Immediate);
        assert!(
            queue.iter().any(|r| r.decision_due < app.today()),
            "one is overdue"
        );
        let teacher = signed_in(&app, "teacher@demo.safeguard.test").await;
        let mine = app.my_referrals(&teacher).await.unwrap();
        assert!(mine.iter().any(|r| r.is_decided()) && mine.iter().any(|r| !r.is_decided()));
        // Children at every stage of the journey, some of them overdue.
        let sw = signed_in(&app, "social.worker@demo.safeguard.test").await;
        let mut states = std::collections::BTreeSet::new();
        let mut overdue = 0;
        for c in app.your_work(&sw).await.unwrap().allocated {
            for cv in app.view_child(&sw, c.id).await.unwrap().cases {
                states.insert(cv.case.state.code());
                overdue += cv
                    .clocks
                    .iter()
                    .filter(|k| k.status == safeguard_domain::clocks::ClockStatus::Overdue)
                    .count();
            }
        }
        for s in [
            "cf_assessment",
            "strategy_discussion",
            "s47_enquiry",
            "cp_plan",
            "cin_plan",
            "closed",
            "early_help",
            "looked_after",
        ] {
            assert!(
                states.contains(s),
                "{}: no demo case in {s}: {states:?}",
                b.name
            );
        }
        assert!(overdue >= 3, "{}: {overdue} overdue clocks", b.name);
        // The overdue job tells the allocated worker once per item, however often it runs.
        let raised = app.raise_overdue_notifications().await.unwrap();
        assert!(raised >= 3, "{}: raised {raised}", b.name);
        assert_eq!(app.raise_overdue_notifications().await.unwrap(), 0);
        let notes = app.notifications(&sw).await.unwrap();
        assert_eq!(
            notes
                .iter()
                .filter(|n| n.text.starts_with("Overdue"))
                .count(),
            raised
        );
        b.finish().await;
    }
}

/// A referral from the demo teacher, decided by the demo front door with `outcome`, about a new
/// child; returns the child.
async fn decided_referral(
    app: &App,
    outcome: safeguard_domain::ScreeningOutcome,
    family: &str,
) -> safeguard_domain::ChildId {
    use safeguard_app::referrals::{DecisionInput, ReferralInput};
    use safeguard_domain::{ConsentStatus, LawfulBasis, ReferralSource, Urgency};
    let teacher = signed_in(app, "teacher@demo.safeguard.test").await;
    let front = signed_in(app, "front.door@demo.safeguard.test").await;
    let la = app.find_agency("999").await.unwrap();
    let id = app
        .make_referral(
            &teacher,
            ReferralInput {
                la: la.id,
                child: referred_child(family),
                source: ReferralSource::parse("2A").unwrap(),
                reasons: "Worried".into(),
                factors: vec![],
                consent: ConsentStatus::WouldPrejudice,
                lawful_basis: LawfulBasis::PublicTask,
                urgency: Urgency::Immediate,
                child_safe_now: false,
                household: vec![],
                communication_needs: String::new(),
                referrer_contact: "01632 960000".into(),
                referrer_name: None,
                concern: None,
            },
        )
        .await
        .unwrap();
    let child = app.link_referral(&front, id, None, 1).await.unwrap();
    app.decide_referral(
        &front,
        id,
        DecisionInput {
            outcome,
            protection: (outcome == safeguard_domain::ScreeningOutcome::ImmediateProtection)
                .then_some(safeguard_domain::ImmediateProtection::PoliceProtection),
            reasons: "Reasonable cause to suspect significant harm".into(),
            advice: String::new(),
            version: 2,
        },
    )
    .await
    .unwrap();
    child
}

/// An attendee row for a demo account.
async fn attendee_of(
    app: &App,
    email: &str,
    role: &str,
    row: usize,
) -> safeguard_app::records::AttendeeInput {
    let u = signed_in(app, email).await;
    safeguard_app::records::AttendeeInput {
        row,
        agency: u.agency.id,
        role: role.into(),
        name: u.practitioner.name.clone(),
        email: Some(email.to_uppercase()),
    }
}

#[tokio::test]
async fn a_case_runs_from_strategy_discussion_to_a_reviewed_plan() {
    use safeguard_app::cases::CaseStepInput;
    use safeguard_app::records::{ConferenceInput, StrategyDiscussionInput};
    use safeguard_domain::case::event_code;
    use safeguard_domain::journey::{CaseEvent, CaseState};
    use safeguard_domain::records::{ActionItem, ConferenceDecision};
    use safeguard_domain::timescales::RuleId;
    use safeguard_domain::{AbuseCategory, ChronologyKind, ConferenceKind, ScreeningOutcome};
    for b in backends().await {
        let (app, clock) = demo_app(b.store.clone()).await;
        let child =
            decided_referral(&app, ScreeningOutcome::StrategyDiscussion, "Casewright").await;
        let front = signed_in(&app, "front.door@demo.safeguard.test").await;
        let record = app.view_child(&front, child).await.unwrap();
        assert_eq!(
            record.cases.len(),
            1,
            "{}: the decision opened a case",
            b.name
        );
        let case = record.cases[0].case.clone();
        assert_eq!(case.state, CaseState::StrategyDiscussion);
        let step = |event: CaseEvent, on: jiff::civil::Date, version: u32| CaseStepInput {
            event: event_code(event),
            on,
            note: String::new(),
            category: None,
            version,
        };
        let mon = jiff::civil::date(2026, 11, 23);
        // A conference before section 47 enquiries is refused, saying what must happen first;
        // and a strategy outcome is not recorded without the discussion.
        for event in [
            CaseEvent::ConferenceHeld(ConferenceKind::Initial),
            CaseEvent::S47Initiated,
        ] {
            let err = app
                .record_case_step(&front, case.id, step(event, mon, 1))
                .await
                .unwrap_err();
            let AppError::Invalid(fields) = err else {
                panic!("{err:?}")
            };
            assert_eq!(fields[0].field, "event");
        }
        let attendees = vec![
            attendee_of(&app, "front.door@demo.safeguard.test", "Social worker", 0).await,
            attendee_of(
                &app,
                "police.lead@demo.safeguard.test",
                "Detective sergeant",
                1,
            )
            .await,
        ];
        let discussion = StrategyDiscussionInput {
            on: mon,
            attendees: attendees.clone(),
            information_shared: "Bruises seen at school".into(),
            decisions: "Joint visit today".into(),
            actions: vec![ActionItem {
                action: "Joint visit".into(),
                owner: "Fran Door and Pat Police-Lead".into(),
                due: Some(mon),
            }],
            s47_initiated: true,
            next: None,
            version: 1,
        };
        // An email that is no account is named on its row; nothing is saved.
        let mut bad = discussion.clone();
        bad.attendees[1].email = Some("nobody@demo.safeguard.test".into());
        let err = app
            .record_strategy_discussion(&front, case.id, bad)
            .await
            .unwrap_err();
        assert!(
            matches!(err, AppError::Invalid(ref f) if f[0].field == "attendee-1-email"),
            "{err:?}"
        );
        let at = app
            .record_strategy_discussion(&front, case.id, discussion)
            .await
            .unwrap();
        // The ICPC target is 15 working days after the s47 strategy discussion (T5), and the
        // discussion warns that health was not there.
        let record = app.view_child(&front, child).await.unwrap();
        let cv = &record.cases[0];
        assert_eq!(cv.case.state, CaseState::S47Enquiry);
        let t5 = cv.clocks.iter().find(|c| c.rule == RuleId::T5Icpc).unwrap();
        assert_eq!(t5.due, app.calendar().add_working_days(mon, 15));
        assert_eq!(cv.meetings.len(), 1);
        assert!(
            record
                .chronology
                .iter()
                .any(|l| l.entry.kind == ChronologyKind::Meeting
                    && l.entry.summary.starts_with("Strategy discussion held"))
        );
        // The police lead took part: told, and may read that record, not the case file.
        let police = signed_in(&app, "police.lead@demo.safeguard.test").await;
        let told = app.notifications(&police).await.unwrap();
        assert!(
            told.iter()
                .any(|n| n.link == format!("/cases/{}/meetings/{at}", case.id)),
            "{}: {told:?}",
            b.name
        );
        let m = app.view_meeting(&police, case.id, at).await.unwrap();
        assert_eq!(m.access_reason, "you took part in this meeting");
        assert!(!m.can_open_case);
        assert!(m.child_name.contains("Casewright"), "{}", m.child_name);
        assert!(m.warning.unwrap().contains("health"));
        assert!(matches!(
            app.view_child(&police, child).await,
            Err(AppError::Denied(_))
        ));
        // The health lead did not: refused, and the refusal audited.
        let health = signed_in(&app, "health.lead@demo.safeguard.test").await;
        assert!(matches!(
            app.view_meeting(&health, case.id, at).await,
            Err(AppError::Denied(_))
        ));
        assert!(matches!(
            app.view_meeting(&police, case.id, at + 5).await,
            Err(AppError::NotFound(_))
        ));
        // A stale form is refused.
        assert!(matches!(
            app.record_case_step(
                &front,
                case.id,
                step(CaseEvent::S47FoundContinuingRisk, mon, 1)
            )
            .await,
            Err(AppError::Conflict { .. })
        ));
        // A further discussion that initiates s47 again moves the target (the last one).
        clock.advance(jiff::SignedDuration::from_hours(24));
        let tue = jiff::civil::date(2026, 11, 24);
        app.record_strategy_discussion(
            &front,
            case.id,
            StrategyDiscussionInput {
                on: tue,
                attendees: vec![
                    attendees[0].clone(),
                    attendee_of(&app, "health.lead@demo.safeguard.test", "Named nurse", 1).await,
                ],
                information_shared: "New disclosure".into(),
                decisions: "Widen the enquiries".into(),
                actions: vec![],
                s47_initiated: true,
                next: None,
                version: 2,
            },
        )
        .await
        .unwrap();
        let record = app.view_child(&front, child).await.unwrap();
        let cv = &record.cases[0];
        assert_eq!(cv.case.state, CaseState::S47Enquiry, "no state change");
        let t5 = cv.clocks.iter().find(|c| c.rule == RuleId::T5Icpc).unwrap();
        assert_eq!(t5.due, app.calendar().add_working_days(tue, 15));
        app.record_case_step(
            &front,
            case.id,
            step(CaseEvent::S47FoundContinuingRisk, tue, 3),
        )
        .await
        .unwrap();
        clock.advance(jiff::SignedDuration::from_hours(24 * 3));
        let fri = jiff::civil::date(2026, 11, 27);
        let mut conference = ConferenceInput {
            on: fri,
            kind: ConferenceKind::Initial,
            chair: "Chris Chair".into(),
            attendees: vec![
                attendee_of(&app, "health.lead@demo.safeguard.test", "Named nurse", 0).await,
            ],
            decision: ConferenceDecision::CpPlan,
            category: None,
            core_group: vec!["Mother".into(), "Fran Door, social worker".into()],
            version: 4,
        };
        let err = app
            .record_conference(&front, case.id, conference.clone())
            .await
            .unwrap_err();
        assert!(
            matches!(err, AppError::Invalid(ref f) if f[0].field == "category"),
            "{err:?}"
        );
        conference.category = Some(AbuseCategory::Neglect);
        let icpc = app
            .record_conference(&front, case.id, conference)
            .await
            .unwrap();
        let record = app.view_child(&front, child).await.unwrap();
        let cv = &record.cases[0];
        assert_eq!(cv.case.state, CaseState::CpPlan);
        assert!(cv.clocks.iter().any(|c| c.rule == RuleId::T6FirstCoreGroup));
        assert!(record.chronology.iter().any(|l| {
            l.entry.summary.starts_with("Child protection plan started")
                && l.entry.kind == ChronologyKind::Plan
        }));
        let m = app.view_meeting(&health, case.id, icpc).await.unwrap();
        assert!(m.access_reason.contains("took part"));
        // Someone with no relationship cannot record steps.
        let sw = signed_in(&app, "social.worker@demo.safeguard.test").await;
        assert!(matches!(
            app.record_case_step(&sw, case.id, step(CaseEvent::CoreGroupMet, fri, 5))
                .await,
            Err(AppError::Denied(_))
        ));
        let audit = app.verify_audit().await.unwrap();
        assert_eq!(audit.first_bad, None);
        b.finish().await;
    }
}

#[tokio::test]
async fn immediate_protection_and_a_late_assessment_are_recorded_with_their_clocks() {
    use safeguard_app::records::{AssessmentInput, ProtectionInput};
    use safeguard_domain::timescales::RuleId;
    use safeguard_domain::{AssessmentFactor, AssessmentOutcome, ImmediateProtection};
    use safeguard_domain::{ChronologyKind, ScreeningOutcome};
    for b in backends().await {
        let (app, clock) = demo_app(b.store.clone()).await;
        let front = signed_in(&app, "front.door@demo.safeguard.test").await;
        // Immediate protection: police protection from 09:00 today ends 72 hours later.
        let child =
            decided_referral(&app, ScreeningOutcome::ImmediateProtection, "Protectwell").await;
        let case = app.view_child(&front, child).await.unwrap().cases[0]
            .case
            .clone();
        let removed: jiff::Timestamp = "2026-11-23T09:00:00Z".parse().unwrap();
        app.record_protection(
            &front,
            case.id,
            ProtectionInput {
                kind: ImmediateProtection::PoliceProtection,
                started_at: removed,
                version: case.version,
            },
        )
        .await
        .unwrap();
        let record = app.view_child(&front, child).await.unwrap();
        let t11 = record.cases[0]
            .clocks
            .iter()
            .find(|c| c.rule == RuleId::T11PoliceProtection)
            .unwrap()
            .clone();
        assert_eq!(t11.due_at, Some("2026-11-26T09:00:00Z".parse().unwrap()));
        assert!(
            record
                .chronology
                .iter()
                .any(|l| l.entry.kind == ChronologyKind::Protection)
        );
        // A future start is refused on its field.
        let err = app
            .record_protection(
                &front,
                case.id,
                ProtectionInput {
                    kind: ImmediateProtection::EmergencyProtectionOrder,
                    started_at: "2026-11-24T09:00:00Z".parse().unwrap(),
                    version: case.version + 1,
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Invalid(ref f) if f[0].field == "time"));

        // An assessment concluded after 45 working days needs its reason.
        let child = decided_referral(&app, ScreeningOutcome::Assessment, "Latewood").await;
        let case = app.view_child(&front, child).await.unwrap().cases[0]
            .case
            .clone();
        let due = app.calendar().add_working_days(case.referral_on, 45);
        let late = app.calendar().add_working_days(due, 2);
        clock.set(
            late.at(12, 0, 0, 0)
                .to_zoned(jiff::tz::TimeZone::UTC)
                .unwrap()
                .timestamp(),
        );
        let mut input = AssessmentInput {
            on: late,
            outcome: AssessmentOutcome::CinPlan,
            factors: vec![AssessmentFactor::AlcoholParent],
            late_reason: None,
            version: case.version,
        };
        let err = app
            .conclude_assessment(&front, case.id, input.clone())
            .await
            .unwrap_err();
        assert!(
            matches!(err, AppError::Invalid(ref f) if f[0].field == "late_reason"),
            "{err:?}"
        );
        assert_eq!(
            app.view_child(&front, child).await.unwrap().cases[0].case,
            case,
            "nothing saved"
        );
        input.late_reason = Some("The family were away for three weeks".into());
        app.conclude_assessment(&front, case.id, input)
            .await
            .unwrap();
        let record = app.view_child(&front, child).await.unwrap();
        let t3 = record.cases[0]
            .clocks
            .iter()
            .find(|c| c.rule == RuleId::T3Assessment)
            .unwrap();
        assert_eq!(
            t3.status,
            safeguard_domain::ClockStatus::MetLate,
            "{}",
            b.name
        );
        assert!(
            record
                .chronology
                .iter()
                .any(|l| l.entry.summary.contains("late, reason recorded"))
        );
        b.finish().await;
    }
}

/// A referral about a known child, with a nickname, the day and month swapped and no NHS
/// number, finds the child first; the front door rules a candidate out and back in, confirms,
/// and undoes the match; every decision is kept with its evidence and audited.
#[tokio::test]
async fn the_front_door_finds_a_known_child_and_every_link_decision_is_kept_and_reversible() {
    use safeguard_app::referrals::ReferralInput;
    use safeguard_domain::{
        ConsentStatus, LawfulBasis, LinkSubject, PersonName, ReferralSource, ReferredChild, Urgency,
    };
    for b in backends().await {
        let (app, _clock) = demo_app(b.store.clone()).await;
        let teacher = signed_in(&app, "teacher@demo.safeguard.test").await;
        let front = signed_in(&app, "front.door@demo.safeguard.test").await;
        let la = app.find_agency("999").await.unwrap();
        // A demo child born on a day that still makes a date when day and month swap.
        let mut tx = b.store.begin().await.unwrap();
        let all: Vec<_> = tx
            .children_page(None, 500)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.child)
            .collect();
        // Not the child the demo records twice (that pair is for the duplicate report).
        let known = all
            .iter()
            .find(|c| {
                !all.iter()
                    .any(|o| o.id != c.id && o.name.family == c.name.family && o.birth == c.birth)
                    && c.birth.date().day() <= 12
                    && c.birth.date().day() != c.birth.date().month()
                    && c.current_postcode().is_some()
                    && c.name.given.len() > 3
            })
            .unwrap()
            .clone();
        drop(tx);
        let d = known.birth.date();
        let swapped = jiff::civil::date(d.year(), d.day(), d.month());
        let referred = ReferredChild {
            name: PersonName {
                given: known.name.given.to_uppercase(),
                family: known.name.family.clone(),
            },
            birth: Some(safeguard_domain::Birth::Born(swapped)),
            sex: known.sex,
            nhs_number: None,
            address: String::new(),
            postcode: known.current_postcode().cloned(),
        };
        let id = app
            .make_referral(
                &teacher,
                ReferralInput {
                    la: la.id,
                    child: referred,
                    source: ReferralSource::parse("2A").unwrap(),
                    reasons: "Worried".into(),
                    factors: vec![],
                    consent: ConsentStatus::Given,
                    lawful_basis: LawfulBasis::PublicTask,
                    urgency: Urgency::Standard,
                    child_safe_now: true,
                    household: vec![],
                    communication_needs: String::new(),
                    referrer_contact: "01632 960000".into(),
                    referrer_name: None,
                    concern: None,
                },
            )
            .await
            .unwrap();
        let m = app.match_candidates(&front, id).await.unwrap();
        let first = &m.candidates[0];
        assert_eq!(
            first.child,
            known.id,
            "{}: {} {} {:?} {:?} -> {:#?}",
            b.name,
            known.name.given,
            known.name.family,
            known.birth,
            known.current_postcode(),
            &m.candidates[..2]
        );
        assert!(first.score > 0.9, "{} {}", b.name, first.score);
        assert!(
            first
                .evidence
                .iter()
                .any(|e| e.label == "Date of birth" && e.level.contains("swapped")),
            "{:?}",
            first.evidence
        );
        // Ruled out: not offered again, and the rejection is kept.
        app.reject_candidate(&front, id, known.id).await.unwrap();
        let m = app.match_candidates(&front, id).await.unwrap();
        assert!(m.candidates.iter().all(|c| c.child != known.id));
        let rejected = m.rejected()[0].clone();
        assert!(!rejected.same && rejected.child == known.id);
        assert!(rejected.probability > 0.9);
        // Offered again.
        app.undo_candidate_rejection(&front, id, rejected.id)
            .await
            .unwrap();
        let m = app.match_candidates(&front, id).await.unwrap();
        assert_eq!(m.candidates[0].child, known.id);
        // Confirmed, then undone with a reason; the referral is unmatched again.
        let version = app.referral(&front, id).await.unwrap().referral.version;
        app.link_referral(&front, id, Some(known.id), version)
            .await
            .unwrap();
        assert!(matches!(
            app.undo_referral_link(&front, id, " ", version + 1).await,
            Err(AppError::Invalid(_))
        ));
        app.undo_referral_link(&front, id, "A cousin with the same name", version + 1)
            .await
            .unwrap();
        let v = app.referral(&front, id).await.unwrap();
        assert_eq!(v.referral.matched_child, None);
        let mut tx = b.store.begin().await.unwrap();
        let decisions = tx
            .link_decisions_about(&LinkSubject::Referral(id))
            .await
            .unwrap();
        assert_eq!(decisions.len(), 2, "{}", b.name);
        let confirm = decisions.iter().find(|d| d.same).unwrap();
        assert_eq!(
            confirm.reversed.as_ref().unwrap().reason,
            "A cousin with the same name"
        );
        assert!(!confirm.evidence.is_empty());
        let actions: Vec<String> = tx
            .audit_for_subject(&format!("referral:{id}"), 50)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.event.action)
            .collect();
        drop(tx);
        for a in [
            "referral.match",
            "referral.match.reject",
            "referral.match.unreject",
            "referral.link",
            "referral.unlink",
        ] {
            assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
        }
        // A teacher cannot see candidates.
        assert!(matches!(
            app.match_candidates(&teacher, id).await,
            Err(AppError::Denied(_))
        ));
        b.finish().await;
    }
}

/// The duplicate report finds a second record of a known child; "same child" is recorded on
/// both chronologies and leaves the report; reversing it brings the pair back.
#[tokio::test]
async fn the_duplicate_report_finds_a_second_record_and_decisions_are_reversible() {
    use safeguard_domain::ChildId;
    use safeguard_store::ChildRow;
    for b in backends().await {
        let (app, _clock) = demo_app(b.store.clone()).await;
        let front = signed_in(&app, "front.door@demo.safeguard.test").await;
        let teacher = signed_in(&app, "teacher@demo.safeguard.test").await;
        let mut tx = b.store.begin().await.unwrap();
        let known = tx.children_page(None, 1).await.unwrap().remove(0).child;
        let mut copy = known.clone();
        copy.id = ChildId::new();
        copy.nhs_number = None;
        copy.name.given = format!("{}e", copy.name.given);
        tx.insert_child(&ChildRow {
            child: copy.clone(),
            owning_team: None,
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert!(matches!(
            app.make_duplicate_report("test", 1.5).await,
            Err(AppError::Invalid(_))
        ));
        let report = app.make_duplicate_report("test", 0.9).await.unwrap();
        assert!(report.children_checked > 100);
        let pair = |a: ChildId, b: ChildId| (a.min(b), a.max(b));
        assert!(
            report
                .pairs
                .iter()
                .any(|p| (p.left, p.right) == pair(known.id, copy.id)),
            "{}: {:?}",
            b.name,
            report.pairs
        );
        assert!(matches!(
            app.duplicates_view(&teacher).await,
            Err(AppError::Denied(_))
        ));
        let view = app.duplicates_view(&front).await.unwrap();
        assert!(
            view.open
                .iter()
                .any(|p| (p.left, p.right) == pair(known.id, copy.id))
        );
        let d = app
            .decide_duplicate(&front, copy.id, known.id, true)
            .await
            .unwrap();
        assert!(matches!(
            app.decide_duplicate(&front, known.id, copy.id, false).await,
            Err(AppError::Conflict { .. })
        ));
        let mut tx = b.store.begin().await.unwrap();
        for c in [known.id, copy.id] {
            assert!(
                tx.chronology(c)
                    .await
                    .unwrap()
                    .iter()
                    .any(|e| e.summary.starts_with("Recorded as the same child"))
            );
        }
        drop(tx);
        let view = app.duplicates_view(&front).await.unwrap();
        assert!(
            !view
                .open
                .iter()
                .any(|p| (p.left, p.right) == pair(known.id, copy.id))
        );
        let again = app.make_duplicate_report("test", 0.9).await.unwrap();
        assert!(
            !again
                .pairs
                .iter()
                .any(|p| (p.left, p.right) == pair(known.id, copy.id))
        );
        assert!(matches!(
            app.reverse_duplicate_decision(&front, d, "").await,
            Err(AppError::Invalid(_))
        ));
        app.reverse_duplicate_decision(&front, d, "Twins")
            .await
            .unwrap();
        let after = app.make_duplicate_report("test", 0.9).await.unwrap();
        assert!(
            after
                .pairs
                .iter()
                .any(|p| (p.left, p.right) == pair(known.id, copy.id))
        );
        b.finish().await;
    }
}

// --- flags ---

async fn flags_of(b: &Backend) -> Vec<safeguard_domain::Flag> {
    let mut tx = b.store.begin().await.unwrap();
    tx.list_flags(None).await.unwrap()
}

fn same_child_with(
    c: &safeguard_domain::Child,
    nhs: Option<safeguard_domain::NhsNumber>,
) -> safeguard_app::children::ChildInput {
    safeguard_app::children::ChildInput {
        name: c.name.clone(),
        aliases: vec![],
        former_names: vec![],
        birth: c.birth,
        sex: c.sex,
        nhs_number: nhs,
        upn: None,
        address: None,
        school: None,
        ethnicity: None,
        first_language: None,
        groups: c.groups,
    }
}

/// Records a one-line step dated today on the child's (only) case.
async fn step_today(
    app: &App,
    sw: &CurrentUser,
    child: safeguard_domain::ChildId,
    event: safeguard_domain::journey::CaseEvent,
) {
    let case = app.view_child(sw, child).await.unwrap().cases[0]
        .case
        .clone();
    app.record_case_step(
        sw,
        case.id,
        safeguard_app::cases::CaseStepInput {
            event: safeguard_domain::case::event_code(event),
            on: app.today(),
            note: String::new(),
            category: None,
            version: case.version,
        },
    )
    .await
    .unwrap();
}

async fn demo_child(b: &Backend, given: &str) -> safeguard_domain::Child {
    named_child(b, given, "Casebrook").await
}

/// The demo child with this given and family name.
async fn named_child(b: &Backend, given: &str, family: &str) -> safeguard_domain::Child {
    let mut tx = b.store.begin().await.unwrap();
    let q = ChildQuery {
        name: Some(format!("{given} {family}")),
        ..ChildQuery::default()
    };
    tx.search_children(&q, 5).await.unwrap().remove(0).child
}

#[tokio::test]
async fn flags_appear_and_end_with_plans_and_care_and_stay_visible_for_the_window() {
    use safeguard_domain::journey::CaseEvent;
    use safeguard_domain::{CareSetting, CpPlanEndReason, FlagType, LegalStatus};
    for b in backends().await {
        let (app, clock) = demo_app(b.store.clone()).await;
        let flags = flags_of(&b).await;
        let kinds: Vec<FlagType> = flags.iter().map(|f| f.kind).collect();
        for k in FlagType::ALL {
            assert!(kinds.contains(k), "{}: the demo has a {k:?} flag", b.name);
        }
        // The pre-birth plan is held against the mother, with the expected date of delivery.
        let unborn = demo_child(&b, "Unborn").await;
        let f = flags.iter().find(|f| f.child == Some(unborn.id)).unwrap();
        assert_eq!(f.kind, FlagType::UnbornChildProtectionPlan);
        assert_eq!(f.expected_delivery, Some(unborn.birth.date()));
        assert_ne!(Some(&f.nhs_number), unborn.nhs_number.as_ref());
        // No narrative or category leaves the LA: the flag's stored form carries neither.
        let doc = serde_json::to_string(&flags).unwrap();
        assert!(!doc.contains("Neglect") && !doc.contains("NEG") && !doc.contains("Bruis"));

        let ed = signed_in(&app, "ed.clinician@demo.safeguard.test").await;
        let sw = signed_in(&app, "social.worker@demo.safeguard.test").await;
        // Dylan's plan ends today: the flag ends in the same transaction, and stays visible.
        let dylan = demo_child(&b, "Dylan").await;
        let nhs = dylan.nhs_number.clone().unwrap();
        step_today(
            &app,
            &sw,
            dylan.id,
            CaseEvent::CpPlanEnded(CpPlanEndReason::MovedToAnotherLa),
        )
        .await;
        let ended = flags_of(&b).await;
        let f = ended.iter().find(|f| f.child == Some(dylan.id)).unwrap();
        assert_eq!(f.end, Some(app.today()), "{}", b.name);
        let seen = app
            .check_a_child(&ed, nhs.as_str(), CareSetting::Scheduled)
            .await
            .unwrap();
        assert_eq!(seen.flags.len(), 1);
        assert!(!seen.flags[0].current);
        // Esme (on a CIN plan) becomes accommodated under s20: a LAC flag appears.
        let esme = demo_child(&b, "Esme").await;
        let case = app.view_child(&sw, esme.id).await.unwrap().cases[0]
            .case
            .clone();
        app.start_looked_after(
            &sw,
            case.id,
            safeguard_app::episodes::StartLookedAfterInput {
                need: safeguard_domain::PrimaryNeed::AbuseOrNeglect,
                period: safeguard_domain::looked_after::PeriodInput {
                    on: app.today(),
                    legal_status: LegalStatus::Section20Single,
                    placement: safeguard_domain::looked_after::Placement {
                        kind: safeguard_domain::looked_after::PlacementType::FosterOther,
                        provider: None,
                        postcode: None,
                        la: None,
                    },
                },
                version: case.version,
            },
        )
        .await
        .unwrap();
        let esme_flags: Vec<_> = flags_of(&b)
            .await
            .into_iter()
            .filter(|f| f.child == Some(esme.id))
            .collect();
        assert_eq!(esme_flags.len(), 1, "{}", b.name);
        assert_eq!(esme_flags[0].kind, FlagType::LookedAfter);
        assert_eq!(
            esme_flags[0].section,
            Some(safeguard_domain::LookedAfterSection::S20Accommodation)
        );
        // Thirteen months on, Dylan's ended plan is no longer shown; Esme's continues.
        clock.advance(jiff::SignedDuration::from_hours(24 * 396));
        let ed = signed_in(&app, "ed.clinician@demo.safeguard.test").await;
        let gone = app
            .check_a_child(&ed, nhs.as_str(), CareSetting::Scheduled)
            .await
            .unwrap();
        assert!(gone.flags.is_empty(), "{}: past the window", b.name);
        let still = app
            .check_a_child(
                &ed,
                esme.nhs_number.as_ref().unwrap().as_str(),
                CareSetting::Scheduled,
            )
            .await
            .unwrap();
        assert_eq!(still.flags.len(), 1);
        b.finish().await;
    }
}

#[tokio::test]
async fn a_changed_nhs_number_moves_the_flag_and_a_missing_one_withdraws_it() {
    for b in backends().await {
        let (app, _) = demo_app(b.store.clone()).await;
        let sw = signed_in(&app, "social.worker@demo.safeguard.test").await;
        let hattie = demo_child(&b, "Hattie").await;
        let input = |nhs| same_child_with(&hattie, nhs);
        app.update_child(&sw, hattie.id, input(None)).await.unwrap();
        let mine = |flags: Vec<safeguard_domain::Flag>| -> Vec<safeguard_domain::Flag> {
            flags
                .into_iter()
                .filter(|f| f.child == Some(hattie.id))
                .collect()
        };
        assert!(mine(flags_of(&b).await).is_empty(), "{}", b.name);
        let new = safeguard_domain::NhsNumber::parse("9434765919").unwrap();
        app.update_child(&sw, hattie.id, input(Some(new.clone())))
            .await
            .unwrap();
        let now = mine(flags_of(&b).await);
        assert_eq!(now.len(), 1);
        assert_eq!(now[0].nhs_number, new);
        b.finish().await;
    }
}

#[tokio::test]
async fn one_notification_per_unscheduled_hit_and_none_for_misses_or_scheduled_care() {
    use safeguard_domain::{CareSetting, ChronologyKind, NoticeState};
    for b in backends().await {
        let (app, _) = demo_app(b.store.clone()).await;
        let ed = signed_in(&app, "ed.clinician@demo.safeguard.test").await;
        let front = signed_in(&app, "front.door@demo.safeguard.test").await;
        let sw = signed_in(&app, "social.worker@demo.safeguard.test").await;
        let dylan = demo_child(&b, "Dylan").await;
        let nhs = dylan.nhs_number.clone().unwrap();
        let inbox_before = app
            .flag_inbox(&front, &Default::default())
            .await
            .unwrap()
            .notices
            .len();
        let sw_before = app.notifications(&sw).await.unwrap().len();
        let chronology = |b: &Backend| {
            let store = b.store.clone();
            let child = dylan.id;
            async move {
                let mut tx = store.begin().await.unwrap();
                tx.chronology(child)
                    .await
                    .unwrap()
                    .into_iter()
                    .filter(|e| e.kind == ChronologyKind::Flag)
                    .count()
            }
        };
        let chron_before = chronology(&b).await;
        let accesses_before = app
            .check_a_child(&ed, nhs.as_str(), CareSetting::Scheduled)
            .await
            .unwrap()
            .accesses
            .len();
        // A number no flag is held against: a valid NHS number of no child here.
        let miss = safeguard_domain::NhsNumber::parse("9434765919").unwrap();
        let mut tasks = Vec::new();
        for i in 0..24 {
            let (app, ed) = (app.clone(), ed.clone());
            let (nhs, care) = match i % 3 {
                0 => (nhs.clone(), CareSetting::Unscheduled),
                1 => (nhs.clone(), CareSetting::Scheduled),
                _ => (miss.clone(), CareSetting::Unscheduled),
            };
            tasks.push(tokio::spawn(async move {
                app.check_a_child(&ed, nhs.as_str(), care).await
            }));
        }
        let mut hits = 0;
        for t in tasks {
            let found = t.await.unwrap().unwrap();
            if !found.flags.is_empty() && found.care == CareSetting::Unscheduled {
                hits += 1;
                assert_eq!(found.notified, vec!["Northmoor Borough Council".to_owned()]);
            } else {
                assert!(found.notified.is_empty());
            }
        }
        assert_eq!(hits, 8);
        let inbox = app.flag_inbox(&front, &Default::default()).await.unwrap();
        assert_eq!(inbox.notices.len(), inbox_before + 8, "{}", b.name);
        assert!(
            inbox
                .notices
                .iter()
                .take(8)
                .all(|n| n.state == NoticeState::New)
        );
        assert_eq!(app.notifications(&sw).await.unwrap().len(), sw_before + 8);
        assert_eq!(chronology(&b).await, chron_before + 8);
        // The last 25 accesses: this child's unscheduled ones, eight more, setting and time.
        let look = app
            .check_a_child(&ed, nhs.as_str(), CareSetting::Scheduled)
            .await
            .unwrap();
        assert_eq!(look.accesses.len(), accesses_before + 8);
        assert!(look.accesses.iter().all(|a| a.setting == ed.agency.id));
        // Every lookup, hit or miss, scheduled or not, is audited.
        let mut tx = b.store.begin().await.unwrap();
        let audited = tx
            .audit_page(0, 100_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.event.action == "flags.lookup" && r.event.actor == ed.audit_name())
            .count();
        drop(tx);
        assert_eq!(
            audited,
            24 + 2 + 4,
            "{}: 24 + 2 here + the demo's 4",
            b.name
        );
        // An invalid NHS number is a field error; a social worker may not look up the register.
        let err = app
            .check_a_child(&ed, "943 476 5918", CareSetting::Unscheduled)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Invalid(ref f) if f[0].field == "nhs_number"));
        assert!(matches!(
            app.check_a_child(&sw, nhs.as_str(), CareSetting::Unscheduled)
                .await,
            Err(AppError::Denied(_))
        ));
        // The front door marks a notification seen, then actioned; another LA cannot.
        let id = inbox.notices[0].id;
        app.set_notice_state(&front, id, NoticeState::Actioned)
            .await
            .unwrap();
        let actioned = app
            .flag_inbox(
                &front,
                &safeguard_app::flags::NoticeFilter {
                    state: Some(NoticeState::Actioned),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(actioned.notices.iter().any(|n| n.id == id));
        assert!(matches!(
            app.flag_inbox(&ed, &Default::default()).await,
            Err(AppError::Denied(_))
        ));
        assert_eq!(app.verify_audit().await.unwrap().first_bad, None);
        b.finish().await;
    }
}

#[tokio::test]
async fn the_import_is_idempotent_reports_bad_rows_and_writes_nothing_on_a_store_error() {
    for b in backends().await {
        let (app, _) = demo_app(b.store.clone()).await;
        let la = app.find_agency("999").await.unwrap();
        let before = flags_of(&b).await.len();
        let file = "nhs_number,type,start,end,la_code\n\
                    943 476 5919,CPP,2025-01-27,,999\n\
                    9434765918,CPP,2025-01-27,,999\n\
                    9990000018,UNBORN_CPP,2025-03-01,,999\n\
                    9990000026,LAC,2025-02-30,,999\n\
                    9990000026,LAC,2025-02-03,,123\n\
                    9990000026,XYZ,2025-02-03,,999\n\
                    9990000026,LAC,2025-02-03,2025-09-01,999\n";
        let calls = std::sync::atomic::AtomicU64::new(0);
        let progress = |_done: u64, _total: u64| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        };
        let r = app
            .import_flags("cli", la.id, file.as_bytes(), &progress)
            .await
            .unwrap();
        assert_eq!((r.rows, r.inserted, r.unchanged), (7, 3, 0), "{}", b.name);
        let lines: Vec<(u64, &str)> = r.errors.iter().map(|e| (e.line, e.column)).collect();
        assert_eq!(
            lines,
            vec![(3, "nhs_number"), (5, "start"), (6, "la_code"), (7, "type")]
        );
        assert!(
            r.errors[2]
                .reason
                .contains("load each LA's rows as that LA")
        );
        assert_eq!(calls.load(std::sync::atomic::Ordering::Relaxed), 4);
        assert_eq!(flags_of(&b).await.len(), before + 3);
        // The same file twice changes nothing.
        let again = app
            .import_flags("cli", la.id, file.as_bytes(), &|_, _| {})
            .await
            .unwrap();
        assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 3));
        assert_eq!(flags_of(&b).await.len(), before + 3);
        // A header that is not the documented one is refused whole.
        assert!(matches!(
            app.import_flags("cli", la.id, b"nhs,type\n", &|_, _| {})
                .await,
            Err(AppError::Invalid(_))
        ));
        // A store error on one row leaves nothing of the file behind.
        let poison = "9990000034";
        match (&b.sqlite, &b.pg_schema) {
            (Some(sqlite), _) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "CREATE TRIGGER poison BEFORE INSERT ON flags WHEN NEW.nhs_number = '{poison}' \
                     BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
                )))
                .execute(sqlite.pool())
                .await
                .unwrap();
            }
            (None, Some((pg, _))) => {
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN \
                     IF NEW.nhs_number = '{poison}' THEN RAISE EXCEPTION 'injected failure'; END IF; \
                     RETURN NEW; END $$ LANGUAGE plpgsql; \
                     CREATE TRIGGER poison BEFORE INSERT ON flags FOR EACH ROW EXECUTE FUNCTION poison();"
                )))
                .execute(pg.pool())
                .await
                .unwrap();
            }
            _ => unreachable!(),
        }
        let bad = format!(
            "nhs_number,type,start,end,la_code\n\
             9990000042,CPP,2025-05-01,,999\n\
             {poison},CPP,2025-05-01,,999\n"
        );
        let err = app
            .import_flags("cli", la.id, bad.as_bytes(), &|_, _| {})
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Store(_)), "{}: {err:?}", b.name);
        let after = flags_of(&b).await;
        assert_eq!(after.len(), before + 3, "{}: nothing half-written", b.name);
        assert!(!after.iter().any(|f| f.nhs_number.as_str() == "9990000042"));
        // Export lists what health sees, with the LA's code.
        let out = app.export_flags("cli", None).await.unwrap();
        assert!(out.iter().any(
            |(f, code)| f.nhs_number.as_str() == "9434765919" && code.as_deref() == Some("999")
        ));
        b.finish().await;
    }
}

#[tokio::test]
async fn coverage_counts_children_on_plans_and_looked_after_with_an_nhs_number() {
    use safeguard_domain::Relationship;
    for b in backends().await {
        let (app, _) = demo_app(b.store.clone()).await;
        let front = signed_in(&app, "front.door@demo.safeguard.test").await;
        let c = app.flag_coverage_for(&front).await.unwrap();
        // Dylan and the unborn baby on plans (Ivy's has ended); Hattie, Kai (C1) and Lola (C2)
        // looked after (Milo has gone home).
        assert_eq!((c.on_plan, c.looked_after), (2, 3), "{}", b.name);
        let unborn = demo_child(&b, "Unborn").await;
        let mut tx = b.store.begin().await.unwrap();
        let mother = tx
            .people_of_child(unborn.id)
            .await
            .unwrap()
            .into_iter()
            .find(|(_, l)| l.relationship == Relationship::Mother)
            .unwrap();
        assert!(mother.0.nhs_number.is_some());
        drop(tx);
        let expected = [
            &demo_child(&b, "Dylan").await,
            &demo_child(&b, "Hattie").await,
            &named_child(&b, "Kai", "Hollybank").await,
            &named_child(&b, "Lola", "Hollybank").await,
        ]
        .iter()
        .filter(|c| c.nhs_number.is_some())
        .count()
            + 1;
        assert_eq!(c.matched(), expected);
        // A child on a plan without an NHS number counts against the 95%.
        let sw = signed_in(&app, "social.worker@demo.safeguard.test").await;
        let hattie = demo_child(&b, "Hattie").await;
        app.update_child(&sw, hattie.id, same_child_with(&hattie, None))
            .await
            .unwrap();
        let c2 = app.flag_coverage("cli", None).await.unwrap();
        assert_eq!(c2.total(), 5);
        assert_eq!(
            c2.matched(),
            expected - usize::from(hattie.nhs_number.is_some())
        );
        assert!(!c2.ready_for_go_live());
        assert!(matches!(
            app.flag_coverage_for(&sw).await,
            Err(AppError::Denied(_))
        ));
        b.finish().await;
    }
}

// --- early help and looked-after episodes ---

#[tokio::test]
async fn early_help_steps_down_then_up_and_the_case_follows_the_state_machine() {
    use safeguard_app::episodes::{EarlyHelpUpdate, StartEarlyHelpInput, StepUpInput};
    use safeguard_app::referrals::DecisionInput;
    use safeguard_domain::journey::CaseState;
    use safeguard_domain::{ChronologyKind, ConsentStatus, LawfulBasis, ScreeningOutcome, Urgency};
    for b in backends().await {
        let (app, _) = demo_app(b.store.clone()).await;
        let front = signed_in(&app, "front.door@demo.safeguard.test").await;
        let dsl = signed_in(&app, "dsl@demo.safeguard.test").await;
        let teacher = signed_in(&app, "teacher@demo.safeguard.test").await;
        let child = decided_referral(&app, ScreeningOutcome::EarlyHelp, "Stepdown").await;
        let record = app.view_child(&front, child).await.unwrap();
        let case = record.cases[0].case.clone();
        assert_eq!(case.state, CaseState::EarlyHelp);
        assert_eq!(record.early_help_offers, vec![case.id], "{}", b.name);
        let today = app.today();
        let start = |case| StartEarlyHelpInput {
            case,
            lead: dsl.practitioner.id,
            on: today,
            reason: "Routines at home".into(),
        };
        let id = app
            .start_early_help(&front, child, start(Some(case.id)))
            .await
            .unwrap();
        // One open episode a child, and one a case.
        let again = app.start_early_help(&front, child, start(None)).await;
        assert!(
            matches!(&again, Err(AppError::Invalid(e)) if e[0].field == "start_date-day"),
            "{again:?}"
        );
        // The lead (a school DSL) sees the episode, and nothing else of the case file.
        let v = app.view_early_help(&dsl, id).await.unwrap();
        assert_eq!(
            v.access_reason,
            "lead practitioner of this early help episode"
        );
        assert!(v.can_edit);
        assert!(matches!(
            app.view_child(&dsl, child).await,
            Err(AppError::Denied(_))
        ));
        // Anyone else is refused, and the refusal is audited.
        assert!(matches!(
            app.view_early_help(&teacher, id).await,
            Err(AppError::Denied(_))
        ));
        let mut tx = b.store.begin().await.unwrap();
        let audit = tx
            .audit_for_subject(&format!("child:{child}"), 50)
            .await
            .unwrap();
        drop(tx);
        assert!(audit.iter().any(|a| a.event.action == "early_help.view"
            && a.event.decision == "deny"
            && a.event.actor == teacher.audit_name()));
        assert!(audit.iter().any(|a| a.event.action == "early_help.view"
            && a.event.decision == "permit"
            && a.event.actor == dsl.audit_name()));
        // Assessment, plan, then a save from an old version is refused and nothing is lost.
        app.record_early_help(
            &dsl,
            id,
            1,
            EarlyHelpUpdate::Assessment {
                on: today,
                summary: "Needs routines".into(),
            },
        )
        .await
        .unwrap();
        let stale = app
            .record_early_help(
                &dsl,
                id,
                1,
                EarlyHelpUpdate::Assessment {
                    on: today,
                    summary: "Second writer".into(),
                },
            )
            .await;
        assert!(matches!(stale, Err(AppError::Conflict { .. })), "{stale:?}");
        let v = app.view_early_help(&dsl, id).await.unwrap();
        assert_eq!(v.episode.assessment.unwrap().summary, "Needs routines");
        // Step up: the referral carries the history and links back to the episode.
        let la = app.find_agency("999").await.unwrap();
        let referral = app
            .step_up_early_help(
                &dsl,
                id,
                StepUpInput {
                    la: la.id,
                    reasons: "Things are worse: he disclosed being hit".into(),
                    consent: ConsentStatus::WouldPrejudice,
                    lawful_basis: LawfulBasis::PublicTask,
                    urgency: Urgency::Urgent,
                    child_safe_now: true,
                    referrer_contact: "01632 960001".into(),
                    version: 2,
                },
            )
            .await
            .unwrap();
        let case_now = app.view_child(&front, child).await.unwrap().cases[0]
            .case
            .clone();
        assert_eq!(case_now.state, CaseState::ReferralReceived, "{}", b.name);
        let seen = app.referral(&front, referral).await.unwrap();
        assert_eq!(seen.referral.early_help, Some(id));
        assert_eq!(seen.referral.matched_child, Some(child));
        assert!(
            seen.early_help_history
                .as_deref()
                .is_some_and(|h| h.contains("Needs routines")),
            "{:?}",
            seen.early_help_history
        );
        // The decision continues the same case: no second case is opened.
        app.decide_referral(
            &front,
            referral,
            DecisionInput {
                outcome: ScreeningOutcome::Assessment,
                protection: None,
                reasons: "Disclosure of harm".into(),
                advice: String::new(),
                version: 1,
            },
        )
        .await
        .unwrap();
        let r = app.view_child(&front, child).await.unwrap();
        assert_eq!(r.cases.len(), 1, "{}", b.name);
        assert_eq!(r.cases[0].case.state, CaseState::CfAssessment);
        assert!(
            r.chronology
                .iter()
                .filter(|l| l.entry.kind == ChronologyKind::Episode)
                .count()
                >= 2
        );
        b.finish().await;
    }
}

#[tokio::test]
async fn a_looked_after_episode_starts_from_its_case_changes_is_reviewed_and_ends() {
    use safeguard_app::episodes::{LookedAfterUpdate, StartLookedAfterInput};
    use safeguard_domain::journey::CaseState;
    use safeguard_domain::looked_after::{
        ChangeInput, PeriodInput, Placement, PlacementProvider, PlacementType, ReasonEpisodeCeased,
        ReasonPlaceChange,
    };
    use safeguard_domain::timescales::RuleId;
    use safeguard_domain::{LegalStatus, LookedAfterSection, PrimaryNeed, ScreeningOutcome};
    for b in backends().await {
        let (app, clock) = demo_app(b.store.clone()).await;
        let front = signed_in(&app, "front.door@demo.safeguard.test").await;
        let teacher = signed_in(&app, "teacher@demo.safeguard.test").await;
        let child =
            decided_referral(&app, ScreeningOutcome::StrategyDiscussion, "Lookedafter").await;
        let case = app.view_child(&front, child).await.unwrap().cases[0]
            .case
            .clone();
        let placement = |kind| Placement {
            kind,
            provider: Some(PlacementProvider::OwnLa),
            postcode: None,
            la: None,
        };
        let start = |version| StartLookedAfterInput {
            need: PrimaryNeed::AbuseOrNeglect,
            period: PeriodInput {
                on: app.today(),
                legal_status: LegalStatus::InterimCareOrder,
                placement: placement(PlacementType::FosterOther),
            },
            version,
        };
        let id = app
            .start_looked_after(&front, case.id, start(case.version))
            .await
            .unwrap();
        let r = app.view_child(&front, child).await.unwrap();
        assert_eq!(r.cases[0].case.state, CaseState::LookedAfter, "{}", b.name);
        // T13: the first review within 20 working days of 23 November 2026.
        let first = &r.looked_after[0].clocks[0];
        assert_eq!(
            (first.rule, first.due),
            (RuleId::T13LacFirstReview, jiff::civil::date(2026, 12, 21))
        );
        // A second open episode for the same child is refused on its start date.
        let second = app
            .start_looked_after(&front, case.id, start(r.cases[0].case.version))
            .await;
        assert!(
            matches!(&second, Err(AppError::Invalid(e)) if e[0].field == "start_date-day"),
            "{second:?}"
        );
        // A review on the start day is refused, naming the field.
        let same_day = app
            .record_looked_after(
                &front,
                id,
                1,
                LookedAfterUpdate::Review {
                    on: app.today(),
                    note: String::new(),
                },
            )
            .await;
        assert!(
            matches!(&same_day, Err(AppError::Invalid(e)) if e[0].field == "review_date-day"),
            "{same_day:?}"
        );
        // A week on: a care order and a new foster carer, then a review, then the end.
        clock.set("2026-12-01T10:00:00Z".parse().unwrap());
        app.record_looked_after(
            &front,
            id,
            1,
            LookedAfterUpdate::Change(ChangeInput {
                period: PeriodInput {
                    on: app.today(),
                    legal_status: LegalStatus::FullCareOrder,
                    placement: placement(PlacementType::FosterRelativeOther),
                },
                carer_changed: true,
                reason: Some(ReasonPlaceChange::CarePlan),
            }),
        )
        .await
        .unwrap();
        // The second writer, from the old version, is told and nothing is lost.
        let stale = app
            .record_looked_after(
                &front,
                id,
                1,
                LookedAfterUpdate::Review {
                    on: app.today(),
                    note: String::new(),
                },
            )
            .await;
        assert!(matches!(stale, Err(AppError::Conflict { .. })), "{stale:?}");
        app.record_looked_after(
            &front,
            id,
            2,
            LookedAfterUpdate::Review {
                on: app.today(),
                note: "Care plan endorsed".into(),
            },
        )
        .await
        .unwrap();
        let r = app.view_child(&front, child).await.unwrap();
        let episodes: Vec<_> = r.looked_after.iter().map(|v| v.episode.clone()).collect();
        let status = safeguard_domain::looked_after_on(&episodes, app.today()).unwrap();
        assert_eq!(status.section, Some(LookedAfterSection::S31CareOrder));
        let before = safeguard_domain::looked_after_on(&episodes, jiff::civil::date(2026, 11, 24));
        assert_eq!(
            before.unwrap().section,
            Some(LookedAfterSection::S38InterimCareOrder)
        );
        assert_eq!(r.looked_after[0].clocks[1].rule, RuleId::T13LacSecondReview);
        clock.set("2026-12-03T10:00:00Z".parse().unwrap());
        app.record_looked_after(
            &front,
            id,
            3,
            LookedAfterUpdate::End {
                on: app.today(),
                reason: ReasonEpisodeCeased::ReturnedHomePlanned,
            },
        )
        .await
        .unwrap();
        // A change after the end is outside the episode.
        let outside = app
            .record_looked_after(
                &front,
                id,
                4,
                LookedAfterUpdate::Change(ChangeInput {
                    period: PeriodInput {
                        on: app.today(),
                        legal_status: LegalStatus::FullCareOrder,
                        placement: placement(PlacementType::ChildrensHome),
                    },
                    carer_changed: true,
                    reason: Some(ReasonPlaceChange::CarePlan),
                }),
            )
            .await;
        assert!(
            matches!(&outside, Err(AppError::Invalid(e)) if e[0].field == "change_date-day"),
            "{outside:?}"
        );
        // Someone with no relationship is refused, and the refusal is audited.
        assert!(matches!(
            app.record_looked_after(
                &teacher,
                id,
                4,
                LookedAfterUpdate::Review {
                    on: app.today(),
                    note: String::new()
                }
            )
            .await,
            Err(AppError::Denied(_))
        ));
        let mut tx = b.store.begin().await.unwrap();
        let audit = tx
            .audit_for_subject(&format!("child:{child}"), 50)
            .await
            .unwrap();
        drop(tx);
        for action in [
            "looked_after.start",
            "looked_after.change",
            "looked_after.review",
            "looked_after.end",
        ] {
            assert!(
                audit.iter().any(|a| a.event.action == action),
                "{}: {action}",
                b.name
            );
        }
        assert!(audit.iter().any(|a| a.event.action == "looked_after.record"
            && a.event.decision == "deny"
            && a.event.actor == teacher.audit_name()));
        let lines: Vec<String> = app
            .view_child(&front, child)
            .await
            .unwrap()
            .chronology
            .iter()
            .filter(|l| l.entry.kind == safeguard_domain::ChronologyKind::Episode)
            .map(|l| l.entry.summary.clone())
            .collect();
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert_eq!(app.verify_audit().await.unwrap().first_bad, None);
        b.finish().await;
    }
}

#[tokio::test]
async fn the_demo_episodes_show_in_your_work_for_the_worker_and_the_lead() {
    use safeguard_domain::timescales::RuleId;
    for b in backends().await {
        let (app, clock) = demo_app(b.store.clone()).await;
        let sw = signed_in(&app, "social.worker@demo.safeguard.test").await;
        let work = app.your_work(&sw).await.unwrap();
        let t13: Vec<_> = work
            .due
            .iter()
            .filter(|d| d.clock.rule == RuleId::T13LacFirstReview)
            .collect();
        assert!(
            t13.iter().any(
                |d| d.clock.status == safeguard_domain::clocks::ClockStatus::Overdue
                    && d.href.ends_with("#looked-after")
            ),
            "{}: {t13:?}",
            b.name
        );
        let dsl = signed_in(&app, "dsl@demo.safeguard.test").await;
        let work = app.your_work(&dsl).await.unwrap();
        assert_eq!(work.early_help_led.len(), 2, "{}", b.name);
        assert!(
            work.due
                .iter()
                .any(|d| d.clock.rule == RuleId::EarlyHelpAssessment
                    && d.href.starts_with("/early-help/"))
        );
        // The overdue job tells the allocated worker about the missed review too.
        app.raise_overdue_notifications().await.unwrap();
        assert!(
            app.notifications(&sw)
                .await
                .unwrap()
                .iter()
                .any(|n| n.text.contains("(T13a)") && n.link.ends_with("#looked-after")),
            "{}",
            b.name
        );
        let manager = signed_in(&app, "team.manager@demo.safeguard.test").await;
        let team = app.team_view(&manager).await.unwrap();
        assert!(
            team.iter()
                .flat_map(|m| &m.overdue)
                .any(|d| d.clock.rule == RuleId::T13LacFirstReview)
        );
        // Two weeks on, Isla's early help assessment (EH1), on an episode the school's DSL
        // leads with no case at the LA, is overdue: the lead hears of it, once.
        let eh1 = |dsl: &CurrentUser| {
            let app = app.clone();
            let dsl = dsl.clone();
            async move {
                app.notifications(&dsl)
                    .await
                    .unwrap()
                    .into_iter()
                    .filter(|n| n.text.contains("(EH1)") && n.link.starts_with("/early-help/"))
                    .count()
            }
        };
        assert_eq!(eh1(&dsl).await, 0, "{}", b.name);
        clock.advance(jiff::SignedDuration::from_hours(24 * 14));
        app.raise_overdue_notifications().await.unwrap();
        let dsl = signed_in(&app, "dsl@demo.safeguard.test").await;
        assert!(eh1(&dsl).await >= 1, "{}: the lead is told", b.name);
        let told = eh1(&dsl).await;
        app.raise_overdue_notifications().await.unwrap();
        assert_eq!(eh1(&dsl).await, told, "{}: once", b.name);
        b.finish().await;
    }
}

#[tokio::test]
async fn lac_flags_follow_the_looked_after_episode_through_its_legal_statuses_and_end() {
    use safeguard_app::episodes::{LookedAfterUpdate, StartLookedAfterInput};
    use safeguard_domain::looked_after::{
        ChangeInput, PeriodInput, Placement, PlacementType, ReasonEpisodeCeased, ReasonPlaceChange,
    };
    use safeguard_domain::{FlagType, LegalStatus, LookedAfterSection, PrimaryNeed};
    use safeguard_domain::{NhsNumber, ScreeningOutcome};
    for b in backends().await {
        let (app, clock) = demo_app(b.store.clone()).await;
        let front = signed_in(&app, "front.door@demo.safeguard.test").await;
        let child =
            decided_referral(&app, ScreeningOutcome::StrategyDiscussion, "Flagfollows").await;
        let record = app.view_child(&front, child).await.unwrap();
        let nhs = NhsNumber::from_nine_digits(998_000_301).unwrap();
        app.update_child(
            &front,
            child,
            same_child_with(&record.child, Some(nhs.clone())),
        )
        .await
        .unwrap();
        let lac = |b: &Backend| {
            let store = b.store.clone();
            async move {
                let mut tx = store.begin().await.unwrap();
                let mut flags: Vec<_> = tx
                    .flags_of_child(child)
                    .await
                    .unwrap()
                    .into_iter()
                    .filter(|f| f.kind == FlagType::LookedAfter)
                    .map(|f| (f.section, f.start, f.end, f.nhs_number.clone()))
                    .collect();
                flags.sort_by_key(|f| f.1);
                flags
            }
        };
        assert!(lac(&b).await.is_empty(), "{}", b.name);
        let case = app.view_child(&front, child).await.unwrap().cases[0]
            .case
            .clone();
        let place = |on, legal_status| PeriodInput {
            on,
            legal_status,
            placement: Placement {
                kind: PlacementType::FosterOther,
                provider: None,
                postcode: None,
                la: None,
            },
        };
        let day0 = app.today();
        let id = app
            .start_looked_after(
                &front,
                case.id,
                StartLookedAfterInput {
                    need: PrimaryNeed::AbuseOrNeglect,
                    period: place(day0, LegalStatus::Section20Single),
                    version: case.version,
                },
            )
            .await
            .unwrap();
        // Started under s20: one LAC flag, from the episode, on the child's NHS number.
        assert_eq!(
            lac(&b).await,
            vec![(
                Some(LookedAfterSection::S20Accommodation),
                day0,
                None,
                nhs.clone()
            )],
            "{}",
            b.name
        );
        // Onto an EPO (not shared by CP-IS): the s20 flag ends that day and none is open.
        clock.set("2026-11-25T10:00:00Z".parse().unwrap());
        let day1 = app.today();
        let change = |on, status| {
            LookedAfterUpdate::Change(ChangeInput {
                period: place(on, status),
                carer_changed: false,
                reason: None::<ReasonPlaceChange>,
            })
        };
        app.record_looked_after(
            &front,
            id,
            1,
            change(day1, LegalStatus::EmergencyProtectionOrder),
        )
        .await
        .unwrap();
        assert_eq!(
            lac(&b).await,
            vec![(
                Some(LookedAfterSection::S20Accommodation),
                day0,
                Some(day1),
                nhs.clone()
            )]
        );
        // Then a full care order: a new s31 flag from that day.
        clock.set("2026-11-30T10:00:00Z".parse().unwrap());
        let day2 = app.today();
        app.record_looked_after(&front, id, 2, change(day2, LegalStatus::FullCareOrder))
            .await
            .unwrap();
        let now = lac(&b).await;
        assert_eq!(now.len(), 2, "{now:?}");
        assert_eq!(
            now[1],
            (
                Some(LookedAfterSection::S31CareOrder),
                day2,
                None,
                nhs.clone()
            )
        );
        // The episode ends: the s31 flag ends the same day and stays visible (T14).
        clock.set("2026-12-03T10:00:00Z".parse().unwrap());
        let day3 = app.today();
        app.record_looked_after(
            &front,
            id,
            3,
            LookedAfterUpdate::End {
                on: day3,
                reason: ReasonEpisodeCeased::ReturnedHomePlanned,
            },
        )
        .await
        .unwrap();
        let ended = lac(&b).await;
        assert_eq!(ended[1].2, Some(day3), "{ended:?}");
        let ed = signed_in(&app, "ed.clinician@demo.safeguard.test").await;
        let seen = app
            .check_a_child(&ed, nhs.as_str(), safeguard_domain::CareSetting::Scheduled)
            .await
            .unwrap();
        assert_eq!(
            seen.flags.len(),
            2,
            "both periods stay visible after they end"
        );
        // One chronology line per flag raised, not one per save.
        let raised = app
            .view_child(&front, child)
            .await
            .unwrap()
            .chronology
            .iter()
            .filter(|l| l.entry.kind == safeguard_domain::ChronologyKind::Flag)
            .count();
        assert_eq!(raised, 2, "{}", b.name);
        assert_eq!(app.verify_audit().await.unwrap().first_bad, None);
        b.finish().await;
    }
}

#[tokio::test]
async fn concurrent_lookups_with_and_without_group_commit_each_audit_once_and_notify_once_a_hit() {
    use safeguard_app::flags::FlagCaller;
    use safeguard_domain::CareSetting;
    for group_commit in [true, false] {
        for b in backends().await {
            let clock = Arc::new(FixedClock::new("2026-11-23T10:00:00Z".parse().unwrap()));
            let config = AppConfig {
                group_commit,
                ..AppConfig::default()
            };
            let app = App::new(b.store.clone(), clock, config).await.unwrap();
            let area = app.seed_flag_bench(300, 100, &|_, _| {}).await.unwrap();
            assert_eq!(area.hits.len(), 300);
            let err = app.seed_flag_bench(1, 1, &|_, _| {}).await.unwrap_err();
            assert!(matches!(
                err,
                AppError::Conflict {
                    field: "database",
                    ..
                }
            ));
            let caller = app
                .authenticate_token(&area.token.secret)
                .await
                .map(|c| FlagCaller {
                    // As the "Check a child" page does: the answer carries the latest accesses.
                    shows_accesses: true,
                    ..FlagCaller::system(c.agency.clone(), c.audit_name())
                })
                .unwrap();
            let mut tasks = Vec::new();
            for i in 0..200usize {
                let (app, caller) = (app.clone(), caller.clone());
                let (nhs, care) = match i % 5 {
                    0 => (area.misses[i / 5].clone(), CareSetting::Unscheduled),
                    1 => (area.hits[i].clone(), CareSetting::Scheduled),
                    _ => (area.hits[i % 7].clone(), CareSetting::Unscheduled),
                };
                tasks.push(tokio::spawn(async move {
                    app.look_up_flags(&caller, &nhs, care).await
                }));
            }
            let mut hits = 0;
            for t in tasks {
                let found = t.await.unwrap().unwrap();
                if !found.flags.is_empty() && found.care == CareSetting::Unscheduled {
                    hits += 1;
                    assert_eq!(found.notified.len(), 1);
                    assert_eq!(found.accesses[0].setting, area.setting.id);
                }
            }
            assert_eq!(hits, 120);
            let counts = app.flag_bench_counts().await.unwrap();
            let name = format!("{} (group commit {group_commit})", b.name);
            assert_eq!(counts.lookups_audited, 200, "{name}");
            assert_eq!(counts.register.flags, 300, "{name}");
            assert_eq!(counts.register.accesses, 120, "{name}");
            assert_eq!(counts.register.notifications, 120, "{name}");
            let report = app.verify_audit().await.unwrap();
            assert_eq!(report.first_bad, None, "{name}");
            b.finish().await;
        }
    }
}
