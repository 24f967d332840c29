//! The web front of `safeguard`: server-rendered pages in the GOV.UK Design System, sessions in
//! the store, CSRF protection and security headers, over axum.
//!
//! Handlers stay thin: extract (the session, a CSRF-checked form parsed into domain types), call
//! one `safeguard_app` use-case, render. No SQL and no authorization decisions live here. The
//! GOV.UK Frontend CSS, JavaScript, fonts and images are compiled into the binary, so nothing is
//! fetched at run time and the first page is fully styled on a fresh machine.
//!
//! Sessions and CSRF are written here (about 150 lines) rather than taken from tower-sessions:
//! our sessions carry the sign-in stage, the CSRF token and a pending TOTP secret, are audited,
//! and live behind the `store` traits on both backends; tower-sessions' opaque JSON record would
//! duplicate that state and its ready-made stores lag sqlx releases (architecture, stack).

mod api;
mod assets;
mod episodes;
mod fhir;
mod flags;
mod forms;
mod front_door;
mod front_door_forms;
mod journey;
mod journey_forms;
mod linkage;
mod pages;
mod session;
mod views;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware;
use axum::routing::{any, get, post};
use safeguard_app::App;
use safeguard_app::demo::DemoLogin;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

pub use fhir::RateLimit;

/// Largest request body accepted (forms here are small).
pub const BODY_LIMIT: usize = 64 * 1024;

/// The largest flags file `POST /api/v1/flags/import` takes: 16 MiB, some 300,000 rows, more
/// than any one local authority's flags.
pub const UPLOAD_LIMIT: usize = 16 * 1024 * 1024;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Leave the `Secure` flag off cookies, for plain-HTTP development on localhost only.
    pub insecure_dev_cookies: bool,
    /// Demo sign-ins shown on the sign-in page when the demo area is loaded.
    pub demo_logins: Vec<DemoLogin>,
    /// Per-token rate limit of the FHIR endpoints.
    pub fhir_rate: RateLimit,
}

/// Shared state of every handler.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub app: App,
    pub secure_cookies: bool,
    pub demo_logins: Vec<DemoLogin>,
    pub fhir_limiter: Option<fhir::TokenLimiter>,
}

/// Content Security Policy: no inline script or style, nothing from elsewhere.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'; object-src 'none'";

/// `Cache-Control: no-store`: pages and API answers may carry personal data.
fn no_store() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
}

/// Builds the router with every page, asset and header.
pub fn router(app: App, options: &ServeOptions) -> Router {
    let state = AppState {
        app,
        secure_cookies: !options.insecure_dev_cookies,
        demo_logins: options.demo_logins.clone(),
        fhir_limiter: fhir::TokenLimiter::new(options.fhir_rate),
    };
    let pages = Router::new()
        .route("/", get(pages::root))
        .route("/sign-in", get(pages::sign_in_page).post(pages::sign_in))
        .route("/sign-in/code", get(pages::code_page).post(pages::code))
        .route(
            "/sign-in/set-up-authenticator",
            get(pages::enrol_page).post(pages::enrol),
        )
        .route("/sign-out", post(pages::sign_out))
        .route("/setup", get(pages::setup_page).post(pages::setup))
        .route("/home", get(pages::home))
        .route("/children/search", get(pages::search))
        .route(
            "/children/new",
            get(pages::new_child_page).post(pages::new_child),
        )
        .route("/children/{id}", get(pages::child))
        .route(
            "/children/{id}/edit",
            get(pages::edit_child_page).post(pages::edit_child),
        )
        .route("/concerns", get(front_door::concerns))
        .route(
            "/concerns/new",
            get(front_door::new_concern_page).post(front_door::new_concern),
        )
        .route("/concerns/{id}", get(front_door::concern))
        .route("/referrals", get(front_door::my_referrals))
        .route(
            "/referrals/new",
            get(front_door::new_referral_page).post(front_door::new_referral),
        )
        .route("/referrals/{id}", get(front_door::referral))
        .route("/front-door", get(front_door::queue))
        .route(
            "/front-door/contacts/new",
            get(front_door::new_contact_page).post(front_door::new_contact),
        )
        .route("/front-door/duplicates", get(linkage::duplicates))
        .route("/front-door/duplicates/decide", post(linkage::decide))
        .route("/front-door/duplicates/reverse", post(linkage::reverse))
        .route("/front-door/{id}", get(front_door::screening))
        .route("/front-door/{id}/reject", post(linkage::reject))
        .route("/front-door/{id}/unreject", post(linkage::unreject))
        .route("/front-door/{id}/unlink", post(linkage::unlink))
        .route("/front-door/{id}/link", post(front_door::link))
        .route("/front-door/{id}/decide", post(front_door::decide))
        .route("/notifications", get(front_door::notifications))
        .route("/check-a-child", get(flags::check_page).post(flags::check))
        .route("/flag-notifications", get(flags::inbox))
        .route("/flag-notifications/{id}/state", post(flags::set_state))
        .route("/team", get(front_door::team))
        .route("/children/{id}/chronology", get(pages::chronology))
        .route("/notifications/{id}/read", post(front_door::mark_read))
        .route(
            "/children/{child}/cases/{case}/steps",
            post(pages::case_step),
        )
        .route(
            "/children/{child}/cases/{case}/strategy-discussion",
            get(journey::strategy_form).post(journey::strategy_submit),
        )
        .route(
            "/children/{child}/cases/{case}/conference/{kind}",
            get(journey::conference_form).post(journey::conference_submit),
        )
        .route(
            "/children/{child}/cases/{case}/protection",
            get(journey::protection_form).post(journey::protection_submit),
        )
        .route(
            "/children/{child}/cases/{case}/assessment",
            get(journey::assessment_form).post(journey::assessment_submit),
        )
        .route("/cases/{case}/meetings/{index}", get(journey::meeting))
        .route(
            "/children/{child}/cases/{case}/early-help",
            get(episodes::step_down_form).post(episodes::step_down_submit),
        )
        .route(
            "/children/{child}/early-help/new",
            get(episodes::agency_start_form).post(episodes::agency_start_submit),
        )
        .route("/early-help/{id}", get(episodes::early_help))
        .route(
            "/early-help/{id}/{what}",
            get(episodes::early_help_form).post(episodes::early_help_submit),
        )
        .route(
            "/children/{child}/cases/{case}/looked-after",
            get(episodes::looked_after_start_form).post(episodes::looked_after_start_submit),
        )
        .route(
            "/children/{child}/looked-after/{id}/{what}",
            get(episodes::looked_after_form).post(episodes::looked_after_submit),
        )
        .route("/admin", get(pages::admin))
        .route("/admin/agencies", post(pages::admin_agency))
        .route("/admin/teams", post(pages::admin_team))
        .route("/admin/practitioners", post(pages::admin_practitioner))
        .route(
            "/admin/practitioners/{id}",
            get(pages::admin_practitioner_page).post(pages::admin_practitioner_update),
        )
        .fallback(pages::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            session::session_layer,
        ))
        // Pages may carry personal data: never cache them.
        .layer(no_store());
    // The agency API: bearer tokens, not sessions, so no cookies and no CSRF; never cached.
    let api = Router::new()
        .route("/api/openapi.json", get(api::openapi))
        .route("/api/v1/referrals", post(api::submit_referral))
        .route("/api/v1/referrals/{id}", get(api::get_referral))
        .layer(no_store());
    // A flags file is the one large body: its own limit, outside the 64 KiB one.
    let uploads = Router::new()
        .route("/api/v1/flags/import", post(api::import_flags))
        .layer(no_store())
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(UPLOAD_LIMIT));
    // The FHIR R4 endpoints for health settings' systems: bearer tokens, never cached.
    let fhir = Router::new()
        .route("/fhir/metadata", get(fhir::metadata))
        .route("/fhir/Flag", get(fhir::search_flags))
        .route("/fhir", any(fhir::not_found))
        .route("/fhir/{*rest}", any(fhir::not_found))
        .layer(no_store());
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(api)
        .merge(fhir)
        .route("/assets/{*path}", get(assets::serve_asset))
        .merge(pages)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .merge(uploads)
        .with_state(state)
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
}

/// Serves on a listener already bound until `shutdown` completes, with none of the periodic
/// jobs: for `safeguard bench`, which runs the real router in process on a free port.
pub async fn serve_on(
    app: App,
    options: ServeOptions,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(app, &options))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Serves until Ctrl-C. Every ten minutes (and at start) removes expired sessions and raises
/// overdue notifications; every hour rebuilds the matching index from the store (picking up
/// children another process added); every day (and at start) makes the duplicate report.
pub async fn serve(app: App, options: ServeOptions) -> std::io::Result<()> {
    let router = router(app.clone(), &options);
    let listener = tokio::net::TcpListener::bind(options.addr).await?;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        let mut ticks: u64 = 0;
        loop {
            tick.tick().await;
            if ticks.is_multiple_of(144) {
                match app
                    .make_duplicate_report(
                        "system",
                        safeguard_app::linkage::DEFAULT_DUPLICATE_THRESHOLD,
                    )
                    .await
                {
                    Ok(r) => tracing::info!(pairs = r.pairs.len(), "duplicate report made"),
                    Err(e) => tracing::warn!(error = %e, "could not make the duplicate report"),
                }
            } else if ticks.is_multiple_of(6)
                && let Err(e) = app.rebuild_matcher().await
            {
                tracing::warn!(error = %e, "could not rebuild the matching index");
            }
            ticks += 1;
            if let Err(e) = app.purge_expired_sessions().await {
                tracing::warn!(error = %e, "could not purge expired sessions");
            }
            match app.raise_overdue_notifications().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(raised = n, "overdue notifications raised"),
                Err(e) => tracing::warn!(error = %e, "could not raise overdue notifications"),
            }
        }
    });
    tracing::info!(addr = %options.addr, "listening");
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
