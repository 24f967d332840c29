//! Runs the shared storage conformance suite against SQLite, one fresh database file per test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use async_trait::async_trait;
use safeguard_store::Store;
use safeguard_store_conformance::{Harness, conformance_tests};
use safeguard_store_sqlite::SqliteStore;

struct SqliteHarness {
    store: SqliteStore,
    _dir: tempfile::TempDir,
}

async fn make() -> Option<SqliteHarness> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = SqliteStore::open(&url).await.unwrap();
    Some(SqliteHarness { store, _dir: dir })
}

#[async_trait]
impl Harness for SqliteHarness {
    fn store(&self) -> &dyn Store {
        &self.store
    }

    async fn raw_update_audit(&self, seq: i64) -> Result<(), String> {
        sqlx::query("UPDATE audit SET reason = 'changed' WHERE seq = ?")
            .bind(seq)
            .execute(self.store.pool())
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    async fn raw_delete_audit(&self, seq: i64) -> Result<(), String> {
        sqlx::query("DELETE FROM audit WHERE seq = ?")
            .bind(seq)
            .execute(self.store.pool())
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    async fn tamper_audit_reason(&self, seq: i64, reason: &str) {
        let mut conn = self.store.pool().acquire().await.unwrap();
        sqlx::query("DROP TRIGGER audit_no_update")
            .execute(&mut *conn)
            .await
            .unwrap();
        sqlx::query("UPDATE audit SET reason = ? WHERE seq = ?")
            .bind(reason)
            .bind(seq)
            .execute(&mut *conn)
            .await
            .unwrap();
    }
}

conformance_tests!(make);

#[tokio::test]
async fn the_file_is_created_in_wal_mode_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fresh.db");
    let url = format!("sqlite://{}", path.display());
    let store = SqliteStore::open(&url).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    drop(store);
    assert!(path.exists());
    SqliteStore::open(&url).await.unwrap();
}

#[tokio::test]
async fn a_file_in_a_missing_directory_is_a_clear_error() {
    let err = SqliteStore::open("sqlite:///nonexistent-dir/x/y.db")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cannot open"), "{err}");
}
