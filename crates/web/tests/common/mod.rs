//! The harness the API test files share: the demo area in a fresh SQLite database behind the
//! router, a call that keeps status, headers and JSON, API tokens and demo sign-ins.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use safeguard_app::{App, AppConfig, CurrentUser};
use safeguard_domain::{ApiScope, FixedClock};
use safeguard_store_sqlite::SqliteStore;
use safeguard_web::{RateLimit, ServeOptions, router};
use serde_json::Value;
use tower::ServiceExt;

pub struct World {
    pub router: Router,
    pub app: App,
    pub store: Arc<SqliteStore>,
    _dir: tempfile::TempDir,
}

/// The demo area (seed 7) on 23 November 2026, with this FHIR rate limit.
pub async fn world(fhir_rate: RateLimit) -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqliteStore::open(&format!("sqlite://{}", dir.path().join("t.db").display()))
            .await
            .unwrap(),
    );
    let clock = Arc::new(FixedClock::new("2026-11-23T10:00:00Z".parse().unwrap()));
    let app = App::new(store.clone(), clock, AppConfig::default())
        .await
        .unwrap();
    app.seed_demo(7).await.unwrap();
    let router = router(
        app.clone(),
        &ServeOptions {
            addr: "127.0.0.1:0".parse().unwrap(),
            insecure_dev_cookies: false,
            demo_logins: vec![],
            fhir_rate,
        },
    );
    World {
        router,
        app,
        store,
        _dir: dir,
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: Value,
}

/// Sends a request through the router; a body that is not JSON reads as `null`.
pub async fn send(w: &World, req: Request<Body>) -> Reply {
    let resp = w.router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        json,
    }
}

/// A new token's secret.
pub async fn token(w: &World, agency: &str, scopes: &[ApiScope]) -> String {
    w.app
        .cli_create_token(agency, scopes, "test system")
        .await
        .unwrap()
        .secret
}

/// A demo account, signed in.
pub async fn signed_in(app: &App, email: &str) -> CurrentUser {
    let s = app.start_session().await.unwrap();
    let (s, _) = app
        .sign_in(&s.token, email, safeguard_app::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    app.session(&s.token).await.unwrap().unwrap().user.unwrap()
}
