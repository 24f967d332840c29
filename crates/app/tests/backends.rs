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
        store: Arc::new(sqlite),
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
