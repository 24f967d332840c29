//! Runs the shared storage conformance suite against PostgreSQL, one fresh schema per test, plus
//! the checks that only this backend needs (schema names, reopening, concurrent appends).
//!
//! The server is `SAFEGUARD_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/test`).
//! When it does not answer, the tests are skipped with a note, except with `CI=true`, where that
//! is a failure: CI must never pass by not running them. Each test's schema is dropped when the
//! test passes and kept (its name printed) when it fails, for a look at what was left behind.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use async_trait::async_trait;
use safeguard_store::audit::verify_chain;
use safeguard_store::{AuditEvent, Store, StoreError};
use safeguard_store_conformance::{Harness, conformance_tests};
use safeguard_store_postgres::PostgresStore;
use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, ConnectOptions, Connection};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

fn url() -> String {
    std::env::var("SAFEGUARD_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// A schema name no other test (or test run) uses.
fn fresh_schema() -> String {
    format!("t_{}", uuid::Uuid::now_v7().simple())
}

/// True when the server answers; skips (or, under CI, fails) otherwise.
async fn server_answers(url: &str) -> bool {
    let options: PgConnectOptions = url.parse().expect("SAFEGUARD_TEST_PG_URL is not a URL");
    // Named without the user and password, which CI may hold in the URL.
    let place = format!(
        "postgres://{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("")
    );
    let attempt = tokio::time::timeout(Duration::from_secs(5), options.connect()).await;
    let why = match attempt {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            return true;
        }
        Ok(Err(e)) => e.to_string(),
        Err(_) => "no answer within 5 seconds".to_owned(),
    };
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true but PostgreSQL at {place} does not answer: {why}");
    }
    eprintln!("skipped: PostgreSQL at {place} does not answer ({why}); set SAFEGUARD_TEST_PG_URL");
    false
}

/// Drops a test schema from a thread of its own, since `Drop` cannot await. Best effort: a
/// schema that cannot be dropped (say, a lock is still held) is left for a later clean-up.
fn drop_schema(url: String, schema: String) {
    let worker = std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async {
            let Ok(options) = url.parse::<PgConnectOptions>() else {
                return;
            };
            let Ok(mut conn) = options.connect().await else {
                return;
            };
            // The test's own pool may still hold a connection in a transaction whose rollback
            // was queued but not yet sent (the test's runtime is blocked here), which would hold
            // locks the drop waits for. Its connections carry the schema as their application
            // name, so end them first.
            let _ = sqlx::query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE application_name = $1 AND pid <> pg_backend_pid()",
            )
            .bind(&schema)
            .execute(&mut conn)
            .await;
            let _ = sqlx::raw_sql("SET lock_timeout = '5s'")
                .execute(&mut conn)
                .await;
            // The name is ours (`t_` and hex), so splicing it is safe.
            let sql = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
            let _ = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await;
            let _ = conn.close().await;
        });
    });
    let _ = worker.join();
}

struct PgHarness {
    store: PostgresStore,
    url: String,
    schema: String,
}

impl Drop for PgHarness {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept schema {} of the failed test", self.schema);
            return;
        }
        drop_schema(self.url.clone(), self.schema.clone());
    }
}

async fn make() -> Option<PgHarness> {
    let url = url();
    if !server_answers(&url).await {
        return None;
    }
    let schema = fresh_schema();
    // Tag the connections with the schema, so the clean-up can find them.
    let sep = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{sep}application_name={schema}");
    let store = PostgresStore::open_in_schema(&url, &schema).await.unwrap();
    Some(PgHarness { store, url, schema })
}

#[async_trait]
impl Harness for PgHarness {
    fn store(&self) -> &dyn Store {
        &self.store
    }

    async fn raw_update_audit(&self, seq: i64) -> Result<(), String> {
        sqlx::query("UPDATE audit SET reason = 'changed' WHERE seq = $1")
            .bind(seq)
            .execute(self.store.pool())
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    async fn raw_delete_audit(&self, seq: i64) -> Result<(), String> {
        sqlx::query("DELETE FROM audit WHERE seq = $1")
            .bind(seq)
            .execute(self.store.pool())
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    async fn tamper_audit_reason(&self, seq: i64, reason: &str) {
        // As the table's owner or a superuser could: switch the guard off, change the row and
        // switch it back on, all in one transaction so no one else sees the guard down.
        let mut tx = self.store.pool().begin().await.unwrap();
        sqlx::query("ALTER TABLE audit DISABLE TRIGGER USER")
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query("UPDATE audit SET reason = $1 WHERE seq = $2")
            .bind(reason)
            .bind(seq)
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query("ALTER TABLE audit ENABLE TRIGGER USER")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
}

conformance_tests!(make);

fn event(n: i64) -> AuditEvent {
    AuditEvent {
        at: jiff::Timestamp::from_second(1_800_000_000 + n).unwrap(),
        actor: "cli".into(),
        action: "test.event".into(),
        subject: format!("child:{n}"),
        decision: String::new(),
        reason: format!("event {n}"),
        payload: serde_json::json!({"n": n}),
    }
}

#[tokio::test]
async fn a_bad_schema_name_is_refused_before_connecting() {
    // An address nothing listens on: the name must be refused without trying to connect.
    let url = "postgres://postgres@127.0.0.1:1/none";
    for bad in [
        "",
        "1abc",
        "a-b",
        "a b",
        "x;drop",
        "\"quoted\"",
        "café",
        "pg_mine",
        &"a".repeat(64),
    ] {
        let err = PostgresStore::open_in_schema(url, bad).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Unavailable(m) if m.contains("schema name")),
            "{bad:?}: {err:?}"
        );
    }
}

#[tokio::test]
async fn a_url_that_is_not_postgres_is_a_clear_error() {
    let err = PostgresStore::open("sqlite://./x.db").await.unwrap_err();
    assert!(err.to_string().contains("postgres://"), "{err}");
}

#[tokio::test]
async fn reopening_a_schema_keeps_its_data_and_migrates_once() {
    let Some(h) = make().await else { return };
    let mut tx = h.store.begin().await.unwrap();
    tx.append_audit(&event(1)).await.unwrap();
    tx.commit().await.unwrap();
    let again = PostgresStore::open_in_schema(&h.url, &h.schema)
        .await
        .unwrap();
    let mut tx = again.begin().await.unwrap();
    assert_eq!(tx.audit_page(0, 10).await.unwrap().len(), 1);
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(again.pool())
        .await
        .unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .count();
    assert_eq!(applied, i64::try_from(files).unwrap());
}

#[tokio::test]
async fn schemas_in_one_database_are_separate_areas() {
    let Some(a) = make().await else { return };
    let Some(b) = make().await else { return };
    let mut tx = a.store.begin().await.unwrap();
    tx.append_audit(&event(1)).await.unwrap();
    tx.append_audit(&event(2)).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = b.store.begin().await.unwrap();
    assert!(tx.audit_page(0, 10).await.unwrap().is_empty());
    // Each schema's chain starts at its own genesis.
    assert_eq!(tx.append_audit(&event(9)).await.unwrap().seq, 1);
}

#[tokio::test]
async fn concurrent_appends_do_not_fork_the_chain() {
    let Some(h) = make().await else { return };
    let mut tasks = Vec::new();
    for n in 1..=16 {
        let store = h.store.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let rec = tx.append_audit(&event(n)).await.unwrap();
            // Hold the transaction open a moment, so the others queue behind it.
            tokio::time::sleep(Duration::from_millis(5)).await;
            tx.commit().await.unwrap();
            rec.seq
        }));
    }
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.unwrap());
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=16).collect::<Vec<_>>());
    let mut tx = h.store.begin().await.unwrap();
    let report = verify_chain(&mut *tx).await.unwrap();
    assert_eq!(report.checked, 16);
    assert_eq!(report.first_bad, None);
}

#[tokio::test]
async fn truncating_the_audit_table_is_refused() {
    let Some(h) = make().await else { return };
    let mut tx = h.store.begin().await.unwrap();
    tx.append_audit(&event(1)).await.unwrap();
    tx.commit().await.unwrap();
    let err = sqlx::query("TRUNCATE audit")
        .execute(h.store.pool())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
}

#[tokio::test]
async fn timestamps_keep_microseconds() {
    use safeguard_store::{SessionRow, SessionStage};
    let Some(h) = make().await else { return };
    let at: jiff::Timestamp = "2026-11-23T09:00:00.123456Z".parse().unwrap();
    let s = SessionRow {
        id_hash: "c".repeat(64),
        practitioner: None,
        stage: SessionStage::Anonymous,
        csrf_token: "t".into(),
        pending_totp_secret: None,
        created_at: at,
        expires_at: at + jiff::SignedDuration::from_micros(1),
    };
    let mut tx = h.store.begin().await.unwrap();
    tx.put_session(&s).await.unwrap();
    assert_eq!(tx.get_session(&s.id_hash).await.unwrap(), Some(s.clone()));
    // Expired strictly before `now`: not yet at its own expiry instant, gone a microsecond on.
    assert_eq!(tx.delete_expired_sessions(s.expires_at).await.unwrap(), 0);
    let later = s.expires_at + jiff::SignedDuration::from_micros(1);
    assert_eq!(tx.delete_expired_sessions(later).await.unwrap(), 1);
}
