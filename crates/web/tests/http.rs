//! The web front through HTTP, in process, over a real SQLite database with the demo area:
//! headers, sessions, CSRF, sign-in with lockout and TOTP, policy on pages, form errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use safeguard_app::auth::NewAccount;
use safeguard_app::{App, AppConfig};
use safeguard_domain::{Clock, FixedClock, Role};
use safeguard_store::{ChildQuery, Store};
use safeguard_store_sqlite::SqliteStore;
use safeguard_web::{ServeOptions, router};
use tower::ServiceExt;

struct World {
    router: Router,
    app: App,
    store: Arc<SqliteStore>,
    clock: Arc<FixedClock>,
    _dir: tempfile::TempDir,
}

const DEMO_PW: &str = safeguard_app::demo::DEMO_PASSWORD;

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqliteStore::open(&format!("sqlite://{}", dir.path().join("t.db").display()))
            .await
            .unwrap(),
    );
    let clock = Arc::new(FixedClock::new("2026-11-23T10:00:00Z".parse().unwrap()));
    let app = App::new(
        store.clone(),
        clock.clone(),
        AppConfig {
            demo: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let logins = app.seed_demo(7).await.unwrap();
    let router = router(
        app.clone(),
        &ServeOptions {
            addr: "127.0.0.1:0".parse().unwrap(),
            insecure_dev_cookies: false,
            demo_logins: logins,
            fhir_rate: safeguard_web::RateLimit::DEFAULT,
        },
    );
    World {
        router,
        app,
        store,
        clock,
        _dir: dir,
    }
}

/// A browser: one cookie, and the CSRF token of the last page seen.
struct Browser<'a> {
    w: &'a World,
    cookie: Option<(String, String)>,
    csrf: String,
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Resp {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }
}

impl<'a> Browser<'a> {
    fn new(w: &'a World) -> Self {
        Self {
            w,
            cookie: None,
            csrf: String::new(),
        }
    }

    async fn send(&mut self, req: Request<Body>) -> Resp {
        let resp = self.w.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        for c in headers.get_all(header::SET_COOKIE) {
            let c = c.to_str().unwrap();
            let (name, value) = c.split(';').next().unwrap().split_once('=').unwrap();
            self.cookie = if value.is_empty() {
                None
            } else {
                Some((name.to_owned(), value.to_owned()))
            };
        }
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        if let Some(i) = body.find("name=\"csrf_token\" value=\"") {
            let rest = &body[i + 25..];
            self.csrf = rest[..rest.find('"').unwrap()].to_owned();
        }
        Resp {
            status,
            headers,
            body,
        }
    }

    fn with_cookie(&self, b: axum::http::request::Builder) -> axum::http::request::Builder {
        match &self.cookie {
            Some((name, value)) => b.header(header::COOKIE, format!("{name}={value}")),
            None => b,
        }
    }

    async fn get(&mut self, path: &str) -> Resp {
        let req = self
            .with_cookie(Request::get(path))
            .body(Body::empty())
            .unwrap();
        self.send(req).await
    }

    async fn post_raw(&mut self, path: &str, body: String) -> Resp {
        let req = self
            .with_cookie(Request::post(path))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut pairs = vec![("csrf_token".to_owned(), self.csrf.clone())];
        pairs.extend(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let body = serde_html_form::to_string(&pairs).unwrap();
        self.post_raw(path, body).await
    }

    async fn sign_in(&mut self, email: &str, password: &str) -> Resp {
        self.get("/sign-in").await;
        self.post("/sign-in", &[("email", email), ("password", password)])
            .await
    }
}

async fn audit_actions(w: &World) -> Vec<(String, String, String)> {
    let mut tx = w.store.begin().await.unwrap();
    tx.audit_page(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.event.action, r.event.decision, r.event.subject))
        .collect()
}

async fn a_child_not_allocated_to(w: &World, email: &str) -> String {
    let mut tx = w.store.begin().await.unwrap();
    let sw = tx.get_account_by_email(email).await.unwrap().unwrap();
    let rows = tx
        .search_children(&ChildQuery::default(), 500)
        .await
        .unwrap();
    for r in rows {
        let alloc = tx.allocations(r.child.id).await.unwrap();
        if !alloc.contains(&sw.practitioner.id) && r.owning_team != sw.practitioner.team {
            return r.child.id.to_string();
        }
    }
    panic!("no unrelated child in the demo");
}

#[tokio::test]
async fn pages_carry_security_headers_and_a_strict_cookie() {
    let w = world().await;
    let mut b = Browser::new(&w);
    let r = b.get("/sign-in").await;
    assert_eq!(r.status, StatusCode::OK);
    let h = |n: header::HeaderName| r.headers.get(n).unwrap().to_str().unwrap().to_owned();
    assert!(h(header::CONTENT_SECURITY_POLICY).contains("script-src 'self'"));
    assert!(!h(header::CONTENT_SECURITY_POLICY).contains("unsafe-inline"));
    assert!(h(header::STRICT_TRANSPORT_SECURITY).starts_with("max-age="));
    assert_eq!(h(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert_eq!(h(header::REFERRER_POLICY), "no-referrer");
    assert_eq!(h(header::CACHE_CONTROL), "no-store");
    let cookie = h(header::SET_COOKIE);
    for attr in [
        "__Host-sg_session=",
        "HttpOnly",
        "SameSite=Strict",
        "Secure",
        "Path=/",
    ] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
    assert!(!r.body.contains("<script>"), "no inline script");
    assert!(r.body.contains("/assets/govuk-frontend.min.css"));
    let css = b.get("/assets/govuk-frontend.min.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.headers.get(header::CONTENT_TYPE).unwrap(), "text/css");
    assert!(css.body.contains(".govuk-"));
    let font = b.get("/assets/fonts/bold-b542beb274-v2.woff2").await;
    assert_eq!(font.status, StatusCode::OK);
    assert_eq!(
        b.get("/assets/nope.css").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(b.get("/healthz").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_demo_social_worker_signs_in_and_opens_an_allocated_child() {
    let w = world().await;
    let mut b = Browser::new(&w);
    b.get("/sign-in").await;
    let before = b.cookie.clone();
    let r = b
        .post(
            "/sign-in",
            &[
                ("email", "social.worker@demo.safeguard.test"),
                ("password", DEMO_PW),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/home");
    assert_ne!(b.cookie, before, "the session id is rotated at sign-in");
    let home = b.get("/home").await;
    assert!(home.body.contains("Your work"));
    let link = "<a class=\"govuk-link\" href=\"";
    let i = home.body.find(&format!("{link}/children/")).unwrap() + link.len();
    let path = &home.body[i..i + "/children/".len() + 36];
    let page = b.get(path).await;
    assert_eq!(page.status, StatusCode::OK);
    for h2 in ["Summary", "People", "Agencies involved", "Chronology"] {
        assert!(page.body.contains(&format!(">{h2}</h2>")), "missing {h2}");
    }
    assert!(page.body.contains("allocated worker"));
    // The chronology on its own, filtered by agency and laid out to print.
    let all = b.get(&format!("{path}/chronology")).await;
    assert_eq!(all.status, StatusCode::OK);
    let la = w.app.find_agency("999").await.unwrap().id;
    let only_la = b.get(&format!("{path}/chronology?agency={la}")).await;
    assert!(only_la.body.contains("Northmoor Borough Council"));
    assert!(
        !only_la
            .body
            .contains("<td class=\"govuk-table__cell\">Riverside Medical Practice</td>")
    );
    assert_eq!(
        b.get(&format!("{path}/chronology?bogus=1")).await.status,
        StatusCode::BAD_REQUEST
    );
    let id = path.trim_start_matches("/children/");
    assert!(audit_actions(&w).await.contains(&(
        "child.view".into(),
        "permit".into(),
        format!("child:{id}")
    )));
}

#[tokio::test]
async fn a_child_without_a_relationship_is_refused_and_the_attempt_is_audited() {
    let w = world().await;
    let mut b = Browser::new(&w);
    b.sign_in("social.worker@demo.safeguard.test", DEMO_PW)
        .await;
    let other = a_child_not_allocated_to(&w, "social.worker@demo.safeguard.test").await;
    let r = b.get(&format!("/children/{other}")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("No legitimate relationship to this child."));
    assert!(audit_actions(&w).await.contains(&(
        "child.view".into(),
        "deny".into(),
        format!("child:{other}")
    )));
    // The administrator runs the system but reads no case data.
    let mut admin = Browser::new(&w);
    admin.sign_in("admin@demo.safeguard.test", DEMO_PW).await;
    assert_eq!(admin.get("/admin").await.status, StatusCode::OK);
    let r = admin.get(&format!("/children/{other}")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("Administrators cannot read case data."));
    assert_eq!(b.get("/admin").await.status, StatusCode::FORBIDDEN);
    assert_eq!(b.get("/team").await.status, StatusCode::FORBIDDEN);
    let mut tm = Browser::new(&w);
    tm.sign_in("team.manager@demo.safeguard.test", DEMO_PW)
        .await;
    let team = tm.get("/team").await;
    assert_eq!(team.status, StatusCode::OK);
    assert!(team.body.contains("Sam Social-Worker"));
    assert!(team.body.contains("Overdue"));
}

#[tokio::test]
async fn forms_without_the_csrf_token_or_with_unknown_fields_are_refused() {
    let w = world().await;
    let mut b = Browser::new(&w);
    b.get("/sign-in").await;
    let r = b
        .post_raw(
            "/sign-in",
            "email=social.worker%40demo.safeguard.test&password=demo-password-not-secret".into(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = b
        .post_raw(
            "/sign-in",
            format!("csrf_token={}&email=a%40b.org&password=x", "0".repeat(64)),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    b.get("/sign-in").await;
    let r = b
        .post(
            "/sign-in",
            &[("email", "a@b.org"), ("password", "x"), ("is_admin", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("field this page does not accept"));
    let big = "x".repeat(200 * 1024);
    let r = b
        .post("/sign-in", &[("email", &big), ("password", "x")])
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    // A cross-site POST is refused even with a valid token.
    b.get("/sign-in").await;
    let req = Request::post("/sign-in")
        .header(header::COOKIE, {
            let (n, v) = b.cookie.clone().unwrap();
            format!("{n}={v}")
        })
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(Body::from(format!(
            "csrf_token={}&email=a%40b.org&password=x",
            b.csrf
        )))
        .unwrap();
    assert_eq!(b.send(req).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn failed_sign_ins_never_say_which_part_was_wrong_and_five_lock_the_account() {
    let w = world().await;
    let mut b = Browser::new(&w);
    let unknown = b.sign_in("nobody@demo.safeguard.test", DEMO_PW).await;
    let wrong = b
        .sign_in("social.worker@demo.safeguard.test", "wrong password!")
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let message = "The email address or password is not right, or the account is locked.";
    assert!(unknown.body.contains(message) && wrong.body.contains(message));
    assert!(unknown.body.contains("govuk-error-summary"));
    for _ in 0..4 {
        b.sign_in("social.worker@demo.safeguard.test", "wrong password!")
            .await;
    }
    // Five failures: now even the right password is refused, with the same words.
    let locked = b
        .sign_in("social.worker@demo.safeguard.test", DEMO_PW)
        .await;
    assert_eq!(locked.status, StatusCode::UNAUTHORIZED);
    assert!(locked.body.contains(message));
    // After 15 minutes the lock lifts.
    w.clock.advance(jiff::SignedDuration::from_mins(16));
    let ok = b
        .sign_in("social.worker@demo.safeguard.test", DEMO_PW)
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let audit = audit_actions(&w).await;
    assert!(
        audit
            .iter()
            .filter(|a| a.0 == "account.sign_in" && a.1 == "deny")
            .count()
            >= 7
    );
}

#[tokio::test]
async fn a_new_account_enrols_an_authenticator_then_needs_its_code() {
    let w = world().await;
    let la = w.app.find_agency("999").await.unwrap();
    w.app
        .cli_create_user(NewAccount {
            email: "new.worker@northmoor.example".into(),
            name: "New Worker".into(),
            agency: la.id,
            team: None,
            roles: vec![Role::SocialWorker],
            password: "a long enough password".into(),
        })
        .await
        .unwrap();
    let mut b = Browser::new(&w);
    let r = b
        .sign_in("new.worker@northmoor.example", "a long enough password")
        .await;
    assert_eq!(r.location(), "/sign-in/set-up-authenticator");
    // Half-signed-in sessions cannot reach pages.
    assert_eq!(b.get("/home").await.location(), "/sign-in");
    let page = b.get("/sign-in/set-up-authenticator").await;
    assert!(page.body.contains("<svg"), "a QR code is shown");
    let marker = "Key: <code class=\"app-code\">";
    let i = page.body.find(marker).unwrap() + marker.len();
    let secret = page.body[i..i + page.body[i..].find('<').unwrap()].to_owned();
    let totp = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(&secret).unwrap())
        .build()
        .unwrap();
    let now = u64::try_from(w.clock.now().as_second()).unwrap();
    let wrong = b
        .post("/sign-in/set-up-authenticator", &[("code", "000000")])
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.body.contains("The code is not right"));
    let code = totp.generate(now).to_string();
    let r = b
        .post("/sign-in/set-up-authenticator", &[("code", &code)])
        .await;
    assert_eq!(r.location(), "/home", "{}", r.body);
    assert_eq!(b.get("/home").await.status, StatusCode::OK);
    // Next time: password, then the code.
    b.post("/sign-out", &[]).await;
    assert_eq!(b.get("/home").await.location(), "/sign-in");
    let r = b
        .sign_in("new.worker@northmoor.example", "a long enough password")
        .await;
    assert_eq!(r.location(), "/sign-in/code");
    b.get("/sign-in/code").await;
    w.clock.advance(jiff::SignedDuration::from_secs(60));
    let now = u64::try_from(w.clock.now().as_second()).unwrap();
    let r = b
        .post(
            "/sign-in/code",
            &[("code", &totp.generate(now).to_string())],
        )
        .await;
    assert_eq!(r.location(), "/home");
}

#[tokio::test]
async fn adding_a_child_names_every_bad_field_and_saves_nothing() {
    let w = world().await;
    let mut b = Browser::new(&w);
    b.sign_in("social.worker@demo.safeguard.test", DEMO_PW)
        .await;
    let count = || async {
        let mut tx = w.store.begin().await.unwrap();
        tx.count_children().await.unwrap()
    };
    let before = count().await;
    b.get("/children/new").await;
    let r = b
        .post(
            "/children/new",
            &[
                ("given_name", "Amy"),
                ("family_name", ""),
                ("dob-day", "31"),
                ("dob-month", "2"),
                ("dob-year", "2020"),
                ("sex", "F"),
                ("nhs_number", "943 476 5918"),
                ("postcode", "NOPE"),
                ("address_line_1", "1 Street"),
                ("town", "Northmoor"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("<title>Error: Add a child"));
    for anchor in ["#family_name", "#dob-day", "#nhs_number", "#postcode"] {
        assert!(
            r.body.contains(&format!("href=\"{anchor}\"")),
            "no error for {anchor}"
        );
    }
    assert_eq!(count().await, before);
    // A good child saves and opens; a second with the same NHS number is a conflict that links
    // to the first.
    let good = [
        ("given_name", "Amy"),
        ("family_name", "Testwood"),
        ("dob-day", "1"),
        ("dob-month", "2"),
        ("dob-year", "2020"),
        ("sex", "F"),
        ("nhs_number", "943 476 5919"),
    ];
    b.get("/children/new").await;
    let r = b.post("/children/new", &good).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let first = r.location().to_owned();
    assert_eq!(b.get(&first).await.status, StatusCode::OK);
    b.get("/children/new").await;
    let r = b.post("/children/new", &good).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body
            .contains("A child with this NHS number is already recorded")
    );
    assert!(r.body.contains(&format!("href=\"{first}\"")));
    assert_eq!(count().await, before + 1);
}

#[tokio::test]
async fn search_checks_its_terms_and_shows_only_visible_children() {
    let w = world().await;
    let mut b = Browser::new(&w);
    b.sign_in("social.worker@demo.safeguard.test", DEMO_PW)
        .await;
    let r = b.get("/children/search?nhs_number=123").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("href=\"#nhs_number\""));
    let r = b.get("/children/search?bogus=1").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = b.get("/children/search?name=zzzzzz").await;
    assert!(r.body.contains("No children found"));
    // The DSL sees only pupils of their own setting.
    let mut dsl = Browser::new(&w);
    dsl.sign_in("dsl@demo.safeguard.test", DEMO_PW).await;
    let r = dsl.get("/children/search?postcode=").await;
    assert_eq!(r.status, StatusCode::OK);
    let r = dsl.get("/children/search?name=a").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "one letter is too short");
    let oak = w.app.find_agency("999001").await.unwrap();
    let pupil = {
        let mut tx = w.store.begin().await.unwrap();
        tx.search_children(&ChildQuery::default(), 500)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.child.school == Some(oak.id))
            .unwrap()
            .child
    };
    let r = dsl
        .get(&format!("/children/search?name={}", pupil.name.family))
        .await;
    assert!(
        r.body.contains(&pupil.name.full()),
        "the DSL finds their own pupil"
    );
    let mut tx = w.store.begin().await.unwrap();
    let link = "<a class=\"govuk-link\" href=\"/children/";
    let mut seen = 0;
    for (i, _) in r.body.match_indices(link) {
        let start = i + link.len();
        let id: safeguard_domain::ChildId = r.body[start..start + 36].parse().unwrap();
        let child = tx.get_child(id).await.unwrap().unwrap().child;
        assert_eq!(
            child.school,
            Some(oak.id),
            "the DSL saw a child of another setting"
        );
        seen += 1;
    }
    assert!(seen >= 1);
    // The same search by the social worker finds children of other settings too.
    drop(tx);
    let r = b
        .get(&format!("/children/search?name={}", pupil.name.family))
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_pages_and_ids_are_not_found() {
    let w = world().await;
    let mut b = Browser::new(&w);
    b.sign_in("social.worker@demo.safeguard.test", DEMO_PW)
        .await;
    assert_eq!(b.get("/nope").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        b.get("/children/not-a-uuid").await.status,
        StatusCode::NOT_FOUND
    );
    let r = b
        .get("/children/01900000-0000-7000-8000-000000000000")
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(!r.body.to_lowercase().contains("sqlite"));
}

#[tokio::test]
async fn an_empty_database_guides_the_creation_of_the_first_administrator() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqliteStore::open(&format!("sqlite://{}", dir.path().join("t.db").display()))
            .await
            .unwrap(),
    );
    let clock = Arc::new(FixedClock::new("2026-11-23T10:00:00Z".parse().unwrap()));
    let app = App::new(store.clone(), clock.clone(), AppConfig::default())
        .await
        .unwrap();
    let w = World {
        router: router(
            app.clone(),
            &ServeOptions {
                addr: "127.0.0.1:0".parse().unwrap(),
                insecure_dev_cookies: true,
                demo_logins: vec![],
                fhir_rate: safeguard_web::RateLimit::DEFAULT,
            },
        ),
        app,
        store,
        clock,
        _dir: dir,
    };
    let mut b = Browser::new(&w);
    assert_eq!(b.get("/").await.location(), "/setup");
    assert_eq!(b.get("/sign-in").await.location(), "/setup");
    let page = b.get("/setup").await;
    assert!(page.body.contains("Create administrator"));
    let r = b
        .post(
            "/setup",
            &[
                ("la_name", "Northmoor Borough Council"),
                ("la_code", "999"),
                ("name", "First Admin"),
                ("email", "admin@northmoor.example"),
                ("password", "short"),
                ("password_confirm", "different"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("href=\"#password_confirm\""));
    assert!(w.app.needs_first_admin().await.unwrap());
    let r = b
        .post(
            "/setup",
            &[
                ("la_name", "Northmoor Borough Council"),
                ("la_code", "999"),
                ("name", "First Admin"),
                ("email", "admin@northmoor.example"),
                ("password", "a long enough password"),
                ("password_confirm", "a long enough password"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!w.app.needs_first_admin().await.unwrap());
    // Once there is an administrator, set-up is closed.
    assert_eq!(b.get("/setup").await.location(), "/sign-in");
    let r = b
        .sign_in("admin@northmoor.example", "a long enough password")
        .await;
    assert_eq!(r.location(), "/sign-in/set-up-authenticator");
}

fn uuid_after<'b>(body: &'b str, prefix: &str) -> &'b str {
    let i = body
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in page"))
        + prefix.len();
    &body[i..i + 36]
}

#[tokio::test]
async fn a_concern_becomes_a_referral_the_front_door_decides_and_the_teacher_sees_it() {
    let w = world().await;
    let mut teacher = Browser::new(&w);
    teacher
        .sign_in("teacher@demo.safeguard.test", DEMO_PW)
        .await;
    let home = teacher.get("/home").await;
    assert!(
        home.body.contains("href=\"/concerns\""),
        "nav offers concerns"
    );
    teacher.get("/concerns/new").await;
    let bad = teacher
        .post(
            "/concerns/new",
            &[("given_name", "Ada"), ("category", "physical")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    for anchor in ["#happened-day", "#what", "#action_taken"] {
        assert!(
            bad.body.contains(&format!("href=\"{anchor}\"")),
            "no error for {anchor}"
        );
    }
    let unknown = teacher
        .post(
            "/concerns/new",
            &[("given_name", "Ada"), ("is_admin", "yes")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.body.contains("does not accept"));
    teacher.get("/concerns/new").await;
    let r = teacher
        .post(
            "/concerns/new",
            &[
                ("given_name", "Ada"),
                ("family_name", "Httpworth"),
                ("dob-day", "2"),
                ("dob-month", "5"),
                ("dob-year", "2017"),
                ("sex", "F"),
                ("postcode", "NM1 2AB"),
                ("happened-day", "23"),
                ("happened-month", "11"),
                ("happened-year", "2026"),
                ("category", "neglect"),
                ("what", "Came to school hungry again"),
                ("who", "Class teacher"),
                ("action_taken", "Gave breakfast; told the DSL"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let concern_path = r.location().to_owned();
    let concern = teacher.get(&concern_path).await;
    assert!(concern.body.contains("Make a referral"));
    let concern_id = concern_path.trim_start_matches("/concerns/");
    let form = teacher
        .get(&format!("/referrals/new?concern={concern_id}"))
        .await;
    assert!(
        form.body.contains("value=\"Httpworth\""),
        "pre-filled from the concern"
    );
    assert!(form.body.contains("Came to school hungry again"));
    let la = w.app.find_agency("999").await.unwrap().id.to_string();
    let r = teacher
        .post(
            "/referrals/new",
            &[
                ("concern", concern_id),
                ("la", &la),
                ("given_name", "Ada"),
                ("family_name", "Httpworth"),
                ("dob-day", "2"),
                ("dob-month", "5"),
                ("dob-year", "2017"),
                ("sex", "F"),
                ("postcode", "NM1 2AB"),
                ("source", "2A"),
                ("reasons", "Came to school hungry again"),
                ("consent", "given"),
                ("lawful_basis", "art6_1_e"),
                ("urgency", "standard"),
                ("child_safe_now", "yes"),
                ("referrer_contact", "01632 960555"),
                ("household_name_1", "Bo Httpworth"),
                ("household_relationship_1", "mother"),
                ("household_pr_1", "yes"),
                ("factors", "2A"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let referral_path = r.location().split('?').next().unwrap().to_owned();
    let sent = teacher.get(r.location()).await;
    assert!(sent.body.contains("Referral sent"));
    assert!(sent.body.contains("Received: awaiting the front door"));
    // The front door screens it: create a record, then decide.
    let mut front = Browser::new(&w);
    front
        .sign_in("front.door@demo.safeguard.test", DEMO_PW)
        .await;
    let queue = front.get("/front-door").await;
    assert!(queue.body.contains("Ada Httpworth"));
    let id = referral_path.trim_start_matches("/referrals/");
    let page = front.get(&format!("/front-door/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("None of these: create a new record"));
    let r = front
        .post(
            &format!("/front-door/{id}/link"),
            &[("child", ""), ("version", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = front.get(&format!("/front-door/{id}")).await;
    assert!(page.body.contains("Record the decision"));
    let r = front
        .post(
            &format!("/front-door/{id}/decide"),
            &[
                ("outcome", "nfa"),
                ("reasons", "Support in school"),
                ("version", "2"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "no advice with NFA");
    assert!(r.body.contains("href=\"#advice\""));
    let r = front
        .post(
            &format!("/front-door/{id}/decide"),
            &[
                ("outcome", "early_help"),
                ("reasons", "Family support will help"),
                ("advice", ""),
                ("version", "2"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/front-door", "{}", r.body);
    // The teacher sees the decision; the teacher cannot screen.
    let mine = teacher.get("/referrals").await;
    assert!(mine.body.contains("Decided"));
    let seen = teacher.get(&referral_path).await;
    assert!(seen.body.contains("Decision: Signpost to early help"));
    assert!(seen.body.contains("Family support will help"));
    assert_eq!(
        teacher.get(&format!("/front-door/{id}")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        teacher.get("/front-door").await.status,
        StatusCode::FORBIDDEN
    );
    let notes = teacher.get("/notifications").await;
    assert!(notes.body.contains("Decision on your referral"));
    let note_id = uuid_after(&notes.body, "action=\"/notifications/").to_owned();
    let r = teacher
        .post(&format!("/notifications/{note_id}/read"), &[])
        .await;
    assert_eq!(r.location(), "/notifications");
}

/// The demo child with this given name (the Casebrook children are at every stage).
async fn casebrook(w: &World, given: &str) -> String {
    named(w, given, "Casebrook").await
}

/// The demo child with this given and family name.
async fn named(w: &World, given: &str, family: &str) -> String {
    let mut tx = w.store.begin().await.unwrap();
    let rows = tx
        .search_children(
            &ChildQuery {
                name: Some(given.into()),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
    rows.iter()
        .find(|r| r.child.name.given == given && r.child.name.family == family)
        .map(|r| r.child.id.to_string())
        .unwrap()
}

#[tokio::test]
async fn a_strategy_discussion_form_names_every_problem_adds_rows_and_links_its_attendees() {
    let w = world().await;
    let mut sw = Browser::new(&w);
    sw.sign_in("social.worker@demo.safeguard.test", DEMO_PW)
        .await;
    let child = casebrook(&w, "Bobby").await;
    let page = sw.get(&format!("/children/{child}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Record a strategy discussion"));
    let case = uuid_after(&page.body, &format!("/children/{child}/cases/")).to_owned();
    let form = format!("/children/{child}/cases/{case}/strategy-discussion");
    let blank = sw.get(&form).await;
    assert_eq!(blank.status, StatusCode::OK);
    assert!(blank.body.contains("id=\"attendee-3-agency\""));
    assert!(!blank.body.contains("id=\"attendee-4-agency\""));
    // Nothing filled in: every problem named, linking to its field.
    let r = sw
        .post(&form, &[("version", "1"), ("attendee_rows", "4")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    for field in [
        "#on-day",
        "#attendee-0-agency",
        "#information_shared",
        "#decisions",
        "#s47",
    ] {
        assert!(
            r.body.contains(&format!("<a href=\"{field}\">")),
            "no error for {field}"
        );
    }
    // "Add another attendee" keeps what was typed and adds a row, without errors.
    let r = sw
        .post(
            &form,
            &[
                ("version", "1"),
                ("attendee_rows", "4"),
                ("attendee-2-name", "Pat Typed"),
                ("add", "attendee"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("id=\"attendee-4-agency\""));
    assert!(r.body.contains("value=\"Pat Typed\""));
    assert!(!r.body.contains("govuk-error-summary"));
    // A row begun must be finished; an unknown account is named.
    let la = w.app.find_agency("999").await.unwrap().id.to_string();
    let police_agency = {
        let mut tx = w.store.begin().await.unwrap();
        let p = tx
            .get_account_by_email("police.lead@demo.safeguard.test")
            .await
            .unwrap()
            .unwrap();
        p.practitioner.agency.to_string()
    };
    let today = w.clock.today();
    let (d, m, y) = (
        today.day().to_string(),
        today.month().to_string(),
        today.year().to_string(),
    );
    let mut fields = vec![
        ("version", "1"),
        ("on-day", d.as_str()),
        ("on-month", m.as_str()),
        ("on-year", y.as_str()),
        ("attendee-0-agency", la.as_str()),
        ("attendee-0-role", "Social worker"),
        ("attendee-0-name", "Sam Social-Worker"),
        ("attendee-1-agency", police_agency.as_str()),
        ("attendee-1-role", "Detective sergeant"),
        ("attendee-1-name", "Pat Police-Lead"),
        ("attendee-1-email", "nobody@demo.safeguard.test"),
        ("information_shared", "Bruising reported by school"),
        ("decisions", "Joint visit"),
        ("action-0-action", "Joint visit"),
        ("s47", "yes"),
    ];
    let r = sw.post(&form, &fields).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("<a href=\"#action-0-owner\">"));
    fields.push(("action-0-owner", "Sam Social-Worker"));
    let r = sw.post(&form, &fields).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("<a href=\"#attendee-1-email\">"),
        "{}",
        r.body
    );
    // The warning shows on the form: no health.
    assert!(r.body.contains("id=\"attendee-warning\""));
    assert!(r.body.contains("No one from health took part"));
    for f in &mut fields {
        if f.0 == "attendee-1-email" {
            f.1 = "police.lead@demo.safeguard.test";
        }
    }
    let r = sw.post(&form, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = sw.get(&format!("/children/{child}")).await;
    assert!(page.body.contains("Case: Section 47 enquiry"));
    assert!(page.body.contains("Warning: No one from health took part"));
    // The police lead is told and may open that record, not the child's.
    let mut police = Browser::new(&w);
    police
        .sign_in("police.lead@demo.safeguard.test", DEMO_PW)
        .await;
    let notes = police.get("/notifications").await;
    let link = format!("/cases/{case}/meetings/");
    let i = notes.body.find(&link).expect("a link to the meeting");
    let end = notes.body[i..].find('"').unwrap();
    let meeting = notes.body[i..i + end].to_owned();
    let r = police.get(&meeting).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Bobby Casebrook"));
    assert!(r.body.contains("you took part in this meeting"));
    assert!(r.body.contains("No one from health took part"));
    assert!(r.body.contains("Bruising reported by school"));
    assert_eq!(
        police.get(&format!("/children/{child}")).await.status,
        StatusCode::FORBIDDEN
    );
    // The health lead did not take part: refused, and audited.
    let mut health = Browser::new(&w);
    health
        .sign_in("health.lead@demo.safeguard.test", DEMO_PW)
        .await;
    let r = health.get(&meeting).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!r.body.contains("Bobby"));
    let audit = audit_actions(&w).await;
    let subject = format!("child:{child}");
    assert!(audit.contains(&("meeting.view".into(), "permit".into(), subject.clone())));
    assert!(audit.contains(&("meeting.view".into(), "deny".into(), subject)));
    // The chronology filters by type, and refuses a type it does not know.
    let meetings = sw
        .get(&format!("/children/{child}/chronology?kind=meeting"))
        .await;
    assert_eq!(meetings.status, StatusCode::OK);
    assert!(meetings.body.contains("Strategy discussion held"));
    assert!(!meetings.body.contains("Front door decision"));
    assert!(meetings.body.contains("media=\"print\""));
    assert_eq!(
        sw.get(&format!("/children/{child}/chronology?kind=gossip"))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn conference_protection_and_assessment_forms_check_their_fields() {
    let w = world().await;
    let mut sw = Browser::new(&w);
    sw.sign_in("social.worker@demo.safeguard.test", DEMO_PW)
        .await;
    // Dylan's plan: the review is on the conference form; a Saturday is refused.
    let child = casebrook(&w, "Dylan").await;
    let page = sw.get(&format!("/children/{child}")).await;
    let case = uuid_after(&page.body, &format!("/children/{child}/cases/")).to_owned();
    let form = format!("/children/{child}/cases/{case}/conference/review");
    assert_eq!(sw.get(&form).await.status, StatusCode::OK);
    assert_eq!(
        sw.get(&format!(
            "/children/{child}/cases/{case}/conference/initial"
        ))
        .await
        .status,
        StatusCode::BAD_REQUEST,
        "no initial conference on a plan"
    );
    let la = w.app.find_agency("999").await.unwrap().id.to_string();
    let version = {
        let mut tx = w.store.begin().await.unwrap();
        tx.get_case(case.parse().unwrap())
            .await
            .unwrap()
            .unwrap()
            .version
            .to_string()
    };
    // Saturday 21 November 2026.
    let mut fields = vec![
        ("version", version.as_str()),
        ("on-day", "21"),
        ("on-month", "11"),
        ("on-year", "2026"),
        ("chair", "Chris Chair"),
        ("attendee-0-agency", la.as_str()),
        ("attendee-0-role", "Social worker"),
        ("attendee-0-name", "Sam Social-Worker"),
        ("decision", "continue"),
        ("category", "EMO"),
    ];
    let r = sw.post(&form, &fields).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("<a href=\"#core_group\">"));
    fields.push(("core_group", "Mother\nSam Social-Worker"));
    let r = sw.post(&form, &fields).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("working day"), "{}", r.body);
    fields[1].1 = "20";
    let r = sw.post(&form, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = sw.get(&format!("/children/{child}")).await;
    assert!(
        page.body
            .contains("Review child protection conference held")
    );
    assert!(page.body.contains("Emotional abuse"));

    // Gus is in police protection: the clock shows its end time.
    let child = casebrook(&w, "Gus").await;
    let page = sw.get(&format!("/children/{child}")).await;
    assert!(page.body.contains("Police protection ends"));
    let case = uuid_after(&page.body, &format!("/children/{child}/cases/")).to_owned();
    let r = sw
        .post(
            &format!("/children/{child}/cases/{case}/protection"),
            &[
                ("version", "2"),
                ("kind", "epo"),
                ("on-day", "23"),
                ("on-month", "11"),
                ("on-year", "2026"),
                ("time", "25:00"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("<a href=\"#time\">"));

    // Aisha's assessment is past its 45 working days: the reason is needed.
    let child = casebrook(&w, "Aisha").await;
    let page = sw.get(&format!("/children/{child}")).await;
    let case = uuid_after(&page.body, &format!("/children/{child}/cases/")).to_owned();
    let form = format!("/children/{child}/cases/{case}/assessment");
    let mut fields = vec![
        ("version", "1"),
        ("outcome", "cin_plan"),
        ("on-day", "23"),
        ("on-month", "11"),
        ("on-year", "2026"),
        ("factors", "1B"),
        ("factors", "21"),
    ];
    let r = sw.post(&form, &fields).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("<a href=\"#factors\">"), "{}", r.body);
    fields.pop();
    let r = sw.post(&form, &fields).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("<a href=\"#late_reason\">"), "{}", r.body);
    fields.push(("late_reason", "Mother in hospital for three weeks"));
    let r = sw.post(&form, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = sw.get(&format!("/children/{child}")).await;
    assert!(
        page.body
            .contains("Late: Mother in hospital for three weeks")
    );
    assert!(page.body.contains("Done late"));
}

#[tokio::test]
async fn check_a_child_shows_the_flag_to_a_clinician_and_refuses_everyone_else() {
    let w = world().await;
    let mut ed = Browser::new(&w);
    ed.sign_in("ed.clinician@demo.safeguard.test", DEMO_PW)
        .await;
    let page = ed.get("/home").await;
    assert!(
        page.body.contains("href=\"/check-a-child\""),
        "the nav offers it"
    );
    assert_eq!(ed.get("/check-a-child").await.status, StatusCode::OK);
    // A mistyped number names the field; nothing is looked up.
    let r = ed
        .post(
            "/check-a-child",
            &[("nhs_number", "943 476 5918"), ("care", "unscheduled")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("<a href=\"#nhs_number\">"), "{}", r.body);
    // No care chosen: the radios' error.
    let r = ed
        .post(
            "/check-a-child",
            &[("nhs_number", "998 000 0317"), ("care", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("<a href=\"#care\">"));
    // Dylan Casebrook's plan: the flag and whom to call, never the name or category.
    let r = ed
        .post(
            "/check-a-child",
            &[("nhs_number", "9980000317"), ("care", "unscheduled")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Child protection plan (CPP)"));
    assert!(r.body.contains("01632 960999"));
    assert!(
        r.body
            .contains("Told of this attendance: Northmoor Borough Council")
    );
    assert!(!r.body.contains("Casebrook") && !r.body.contains("Neglect"));
    let r = ed
        .post(
            "/check-a-child",
            &[("nhs_number", "9434765919"), ("care", "scheduled")],
        )
        .await;
    assert!(
        r.body
            .contains("This is not a guarantee that the child is safe")
    );
    // A social worker is refused the register, and a clinician the LA's inbox.
    let mut sw = Browser::new(&w);
    sw.sign_in("social.worker@demo.safeguard.test", DEMO_PW)
        .await;
    assert_eq!(sw.get("/check-a-child").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        ed.get("/flag-notifications").await.status,
        StatusCode::FORBIDDEN
    );
    // The front door sees the access and marks it seen.
    let mut fd = Browser::new(&w);
    fd.sign_in("front.door@demo.safeguard.test", DEMO_PW).await;
    let inbox = fd.get("/flag-notifications?state=new").await;
    assert_eq!(inbox.status, StatusCode::OK);
    assert!(inbox.body.contains("998 000 0317"));
    let id = uuid_after(&inbox.body, "/flag-notifications/").to_owned();
    let r = fd
        .post(
            &format!("/flag-notifications/{id}/state"),
            &[("state", "seen")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = fd.get("/flag-notifications?state=bogus&period=7").await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "an unknown state filters nothing out"
    );
    let r = fd.get("/flag-notifications?colour=red").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let actions: Vec<String> = audit_actions(&w).await.into_iter().map(|a| a.0).collect();
    assert!(actions.iter().filter(|a| *a == "flags.lookup").count() >= 3);
    assert!(actions.iter().any(|a| a == "flags.notice"));
}

// --- early help and looked-after episodes ---

/// The GOV.UK error summary links to each field named.
fn errors_link_to(body: &str, fields: &[&str]) {
    for f in fields {
        assert!(
            body.contains(&format!("href=\"#{f}\"")),
            "no error for {f} in:\n{}",
            &body[body.find("govuk-error-summary").unwrap_or(0)..][..600.min(body.len())]
        );
    }
}

#[tokio::test]
async fn the_looked_after_forms_name_each_bad_field_and_check_dates_against_the_episode() {
    let w = world().await;
    let mut sw = Browser::new(&w);
    sw.sign_in("social.worker@demo.safeguard.test", DEMO_PW)
        .await;
    let child = casebrook(&w, "Aisha").await;
    let page = sw.get(&format!("/children/{child}")).await;
    assert!(page.body.contains("Start a looked-after episode"));
    let case = uuid_after(&page.body, &format!("/children/{child}/cases/")).to_owned();
    let form = format!("/children/{child}/cases/{case}/looked-after");
    let blank = sw.get(&form).await;
    assert_eq!(blank.status, StatusCode::OK);
    assert!(blank.body.contains("C2 – Full care order"));
    let version = {
        let mut tx = w.store.begin().await.unwrap();
        tx.get_case(case.parse().unwrap())
            .await
            .unwrap()
            .unwrap()
            .version
            .to_string()
    };
    let r = sw.post(&form, &[("version", version.as_str())]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    errors_link_to(
        &r.body,
        &["start_date-day", "need", "legal_status", "place"],
    );
    // A bad postcode, a bad LA code, and N9 (not a 903 category of need).
    let mut fields = vec![
        ("version", version.as_str()),
        ("start_date-day", "23"),
        ("start_date-month", "11"),
        ("start_date-year", "2026"),
        ("need", "N9"),
        ("legal_status", "C2"),
        ("place", "U4"),
        ("provider", "PR1"),
        ("postcode", "not a postcode"),
        ("placement_la", "99"),
    ];
    let r = sw.post(&form, &fields).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    errors_link_to(&r.body, &["postcode", "placement_la"]);
    fields[8] = ("postcode", "NM1 2AB");
    fields[9] = ("placement_la", "999");
    let r = sw.post(&form, &fields).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    errors_link_to(&r.body, &["need"]);
    fields[4] = ("need", "N1");
    let r = sw.post(&form, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = sw.get(&format!("/children/{child}")).await;
    assert!(page.body.contains("Reviews (T13)"));
    assert!(page.body.contains("21 December 2026"), "first review due");
    let episode = uuid_after(&page.body, &format!("/children/{child}/looked-after/")).to_owned();
    // Ending before it started, and a review on the start day, are refused by name.
    let end = format!("/children/{child}/looked-after/{episode}/end");
    assert_eq!(sw.get(&end).await.status, StatusCode::OK);
    let r = sw
        .post(
            &end,
            &[
                ("version", "1"),
                ("end_date-day", "1"),
                ("end_date-month", "11"),
                ("end_date-year", "2026"),
                ("end_reason", "E4A"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    errors_link_to(&r.body, &["end_date-day"]);
    let review = format!("/children/{child}/looked-after/{episode}/review");
    let r = sw
        .post(
            &review,
            &[
                ("version", "1"),
                ("review_date-day", "23"),
                ("review_date-month", "11"),
                ("review_date-year", "2026"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    errors_link_to(&r.body, &["review_date-day"]);
    // A change of placement says what changed, with its reason.
    let change = format!("/children/{child}/looked-after/{episode}/change");
    let prefilled = sw.get(&change).await;
    assert!(prefilled.body.contains("value=\"NM1 2AB\""));
    // A stale version is refused and says so.
    let r = sw
        .post(
            &end,
            &[
                ("version", "7"),
                ("end_date-day", "23"),
                ("end_date-month", "11"),
                ("end_date-year", "2026"),
                ("end_reason", "E4A"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body
            .contains("Someone else saved this looked-after episode")
    );
}

#[tokio::test]
async fn the_lead_practitioner_sees_their_early_help_and_its_forms_check_the_order() {
    let w = world().await;
    let mut dsl = Browser::new(&w);
    dsl.sign_in("dsl@demo.safeguard.test", DEMO_PW).await;
    let home = dsl.get("/home").await;
    assert!(home.body.contains("Early help you lead"));
    let isla = named(&w, "Isla", "Hollybank").await;
    let id = {
        let mut tx = w.store.begin().await.unwrap();
        tx.early_help_of_child(isla.parse().unwrap()).await.unwrap()[0].id
    };
    assert!(home.body.contains(&format!("/early-help/{id}")));
    let page = dsl.get(&format!("/early-help/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    // Hana's episode is led from health, with no other relationship to her: the lead sees the
    // episode and not her record.
    let hana = named(&w, "Hana", "Hollybank").await;
    let hana_episode = {
        let mut tx = w.store.begin().await.unwrap();
        tx.early_help_of_child(hana.parse().unwrap()).await.unwrap()[0].id
    };
    let mut health = Browser::new(&w);
    health
        .sign_in("health.lead@demo.safeguard.test", DEMO_PW)
        .await;
    let p = health.get(&format!("/early-help/{hana_episode}")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body
            .contains("lead practitioner of this early help episode")
    );
    assert_eq!(
        health.get(&format!("/children/{hana}")).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(page.body.contains("EH1"));
    // The plan before the assessment is refused on its date.
    let r = dsl
        .post(
            &format!("/early-help/{id}/plan"),
            &[
                ("version", "1"),
                ("plan_date-day", "23"),
                ("plan_date-month", "11"),
                ("plan_date-year", "2026"),
                ("outcomes", "Attends every day"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    errors_link_to(&r.body, &["plan_date-day"]);
    // "Other" needs its note; a bad action line is named.
    let r = dsl
        .post(
            &format!("/early-help/{id}/close"),
            &[
                ("version", "1"),
                ("end_date-day", "23"),
                ("end_date-month", "11"),
                ("end_date-year", "2026"),
                ("end_reason", "other"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    errors_link_to(&r.body, &["end_note"]);
    // The step-up form carries the episode's history.
    let up = dsl.get(&format!("/early-help/{id}/step-up")).await;
    assert_eq!(up.status, StatusCode::OK);
    assert!(
        up.body.contains("Why early help: Attendance"),
        "{}",
        up.body
    );
    let r = dsl
        .post(&format!("/early-help/{id}/step-up"), &[("version", "1")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    errors_link_to(
        &r.body,
        &["la", "consent", "lawful_basis", "urgency", "child_safe_now"],
    );
    // A teacher with no relationship is refused the episode, and the refusal is audited.
    let mut teacher = Browser::new(&w);
    teacher
        .sign_in("teacher@demo.safeguard.test", DEMO_PW)
        .await;
    assert_eq!(
        teacher.get(&format!("/early-help/{id}")).await.status,
        StatusCode::FORBIDDEN
    );
    let denied = audit_actions(&w)
        .await
        .into_iter()
        .any(|(a, d, s)| a == "early_help.view" && d == "deny" && s == format!("child:{isla}"));
    assert!(denied, "the refusal is audited");
}

#[tokio::test]
async fn the_front_door_queue_shows_each_referral_against_the_local_targets() {
    let w = world().await;
    let mut front = Browser::new(&w);
    front
        .sign_in("front.door@demo.safeguard.test", DEMO_PW)
        .await;
    let q = front.get("/front-door").await;
    assert_eq!(q.status, StatusCode::OK);
    assert!(q.body.contains("Local target"));
    assert!(q.body.contains("immediate green within 1, amber within 2"));
    // The step up received this morning, urgent: green (4 hours) at 10:00.
    assert!(q.body.contains("govuk-tag--green\">Green"));
    // Its screening page shows the early help history it carries.
    let la = w.app.find_agency("999").await.unwrap().id;
    let mut tx = w.store.begin().await.unwrap();
    let step_up = tx
        .referral_queue(la)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.early_help.is_some())
        .unwrap();
    drop(tx);
    let s = front.get(&format!("/front-door/{}", step_up.id)).await;
    assert_eq!(s.status, StatusCode::OK);
    assert!(s.body.contains("Stepped up from early help"));
    assert!(s.body.contains("Assessment ("));
}
