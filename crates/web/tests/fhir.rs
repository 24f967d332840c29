//! The FHIR R4 flag endpoints through HTTP, in process, over a real SQLite database with the
//! demo area: a hit (Bundle, Flag, contained Patient and LA Organization with its numbers), a
//! miss, `X-Unscheduled-Access` (true tells the LA once, false is a silent read), the
//! on-behalf practitioner in the audit event and the access, every refusal as an
//! OperationOutcome (400, 401, 403, 429, 404) and the CapabilityStatement.
//!
//! The responses for the demo data are written to `target/fhir-samples/` and, when
//! `SAFEGUARD_FHIR_VALIDATE` names a python with `fhir.resources` (scripts/fhir-validate.sh
//! setup), validated by that third-party model; with `CI=true` the validation must run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Reply, World, send, signed_in, token, world};
use safeguard_app::flags::NoticeFilter;
use safeguard_domain::{ApiScope, CareSetting, FlagType};
use safeguard_store::Store;
use safeguard_web::RateLimit;
use serde_json::Value;

const NHS_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
/// The trust's emergency department (a health setting).
const TRUST: &str = "RZZ01";

async fn get(w: &World, path: &str, token: Option<&str>, headers: &[(&str, &str)]) -> Reply {
    let mut req = Request::builder()
        .method("GET")
        .uri(path)
        .header(header::HOST, "sg.example");
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    send(w, req.body(Body::empty()).unwrap()).await
}

fn search(nhs: &str) -> String {
    format!("/fhir/Flag?patient.identifier={NHS_SYSTEM}%7C{nhs}")
}

/// How many access notifications the LA's front door has.
async fn notices(w: &World) -> usize {
    let fd = signed_in(&w.app, "front.door@demo.safeguard.test").await;
    w.app
        .flag_inbox(&fd, &NoticeFilter::default())
        .await
        .unwrap()
        .notices
        .len()
}

/// The NHS number of a current flag of this type in the demo area.
async fn flagged(w: &World, kind: FlagType) -> String {
    w.app
        .export_flags("test", None)
        .await
        .unwrap()
        .into_iter()
        .map(|(f, _)| f)
        .find(|f| f.kind == kind && f.end.is_none())
        .unwrap_or_else(|| panic!("the demo has a current {kind:?} flag"))
        .nhs_number
        .as_str()
        .to_owned()
}

/// The audit events of an action, newest last: (actor, decision, payload).
async fn audit(w: &World, action: &str) -> Vec<(String, String, Value)> {
    let mut tx = w.store.begin().await.unwrap();
    tx.audit_page(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.event.action == action)
        .map(|r| (r.event.actor, r.event.decision, r.event.payload))
        .collect()
}

fn diagnostics(r: &Reply) -> &str {
    r.json["issue"][0]["diagnostics"].as_str().unwrap()
}

fn assert_outcome(r: &Reply, status: StatusCode, code: &str) {
    assert_eq!(r.status, status, "{}", r.json);
    assert_eq!(
        r.headers[header::CONTENT_TYPE],
        "application/fhir+json",
        "{status}"
    );
    assert_eq!(r.json["resourceType"], "OperationOutcome", "{}", r.json);
    assert_eq!(r.json["issue"][0]["severity"], "error");
    assert_eq!(r.json["issue"][0]["code"], code, "{}", r.json);
    assert!(!diagnostics(r).is_empty());
}

/// Where the samples for the third-party validator go.
fn samples_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("fhir-samples")
}

#[tokio::test]
async fn an_ed_system_finds_a_plan_and_the_la_is_told_once() {
    let w = world(RateLimit::DEFAULT).await;
    let secret = token(&w, TRUST, &[ApiScope::FlagsRead]).await;
    let nhs = flagged(&w, FlagType::ChildProtectionPlan).await;
    let before = notices(&w).await;
    let r = get(
        &w,
        &search(&nhs),
        Some(&secret),
        &[("X-Practitioner", "Dr A Medic (SDS 555123456789)")],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/fhir+json");
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    let b = &r.json;
    assert_eq!(b["resourceType"], "Bundle");
    assert_eq!(b["type"], "searchset");
    assert_eq!(b["total"], 1);
    assert_eq!(
        b["link"][0]["url"],
        format!("https://sg.example/fhir/Flag?patient.identifier={NHS_SYSTEM}%7C{nhs}")
    );
    let entry = &b["entry"][0];
    assert_eq!(entry["search"]["mode"], "match");
    let flag = &entry["resource"];
    assert_eq!(
        entry["fullUrl"],
        format!("urn:uuid:{}", flag["id"].as_str().unwrap())
    );
    assert_eq!(flag["resourceType"], "Flag");
    assert_eq!(flag["status"], "active");
    assert_eq!(flag["category"][0]["coding"][0]["code"], "safety");
    assert_eq!(
        flag["code"]["coding"][0]["system"],
        "https://safeguard.example/fhir/CodeSystem/flag-type"
    );
    assert_eq!(flag["code"]["coding"][0]["code"], "CPP");
    assert!(flag["period"]["start"].is_string());
    assert_eq!(flag["subject"]["reference"], "#patient");
    assert_eq!(flag["author"]["reference"], "#la");
    let patient = &flag["contained"][0];
    assert_eq!(patient["resourceType"], "Patient");
    assert_eq!(patient["identifier"][0]["system"], NHS_SYSTEM);
    assert_eq!(patient["identifier"][0]["value"], nhs.as_str());
    assert_eq!(
        patient.as_object().unwrap().len(),
        3,
        "only the NHS number leaves the LA: {patient}"
    );
    let la = &flag["contained"][1];
    assert_eq!(la["resourceType"], "Organization");
    assert_eq!(la["name"], "Northmoor Borough Council");
    let phones: Vec<(&str, &str)> = la["telecom"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["value"].as_str().unwrap(),
                t["extension"][0]["valueCode"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        phones,
        [
            ("01632 960000", "office-hours"),
            ("01632 960999", "out-of-hours")
        ]
    );
    // Unscheduled by default: the LA is told, exactly once.
    assert_eq!(notices(&w).await, before + 1);
    // The practitioner the system named is in the audit event and the access, under the token.
    let (actor, decision, payload) = audit(&w, "flags.lookup").await.pop().unwrap();
    assert!(actor.starts_with("token:"), "{actor}");
    assert_eq!(decision, "permit");
    assert_eq!(payload["on_behalf_of"], "Dr A Medic (SDS 555123456789)");
    assert_eq!(payload["notified"], 1);
    let ed = signed_in(&w.app, "ed.clinician@demo.safeguard.test").await;
    let seen = w
        .app
        .check_a_child(&ed, &nhs, CareSetting::Scheduled)
        .await
        .unwrap();
    assert_eq!(
        seen.accesses[0]
            .on_behalf_of
            .as_ref()
            .map(|p| p.as_str().to_owned()),
        Some("Dr A Medic (SDS 555123456789)".to_owned())
    );
}

#[tokio::test]
async fn a_silent_read_and_a_miss_tell_nobody() {
    let w = world(RateLimit::DEFAULT).await;
    let secret = token(&w, "Y99901", &[ApiScope::FlagsRead]).await;
    let nhs = flagged(&w, FlagType::LookedAfter).await;
    let before = notices(&w).await;
    for value in ["false", "FALSE", " False "] {
        let r = get(
            &w,
            &search(&nhs),
            Some(&secret),
            &[("X-Unscheduled-Access", value)],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{value}: {}", r.json);
        assert_eq!(r.json["total"], 1);
        let flag = &r.json["entry"][0]["resource"];
        assert_eq!(flag["code"]["coding"][0]["code"], "LAC");
        assert_eq!(
            flag["extension"][0]["url"],
            "https://safeguard.example/fhir/StructureDefinition/looked-after-section"
        );
    }
    assert_eq!(notices(&w).await, before, "scheduled care is a silent read");
    let r = get(&w, &search("9434765919"), Some(&secret), &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["type"], "searchset");
    assert_eq!(r.json["total"], 0);
    assert!(r.json.get("entry").is_none());
    assert_eq!(notices(&w).await, before, "a miss tells nobody");
    let r = get(
        &w,
        &search(&nhs),
        Some(&secret),
        &[("X-Unscheduled-Access", "TRUE")],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(notices(&w).await, before + 1);
}

#[tokio::test]
async fn bad_requests_are_operation_outcomes() {
    let w = world(RateLimit::DEFAULT).await;
    let secret = token(&w, TRUST, &[ApiScope::FlagsRead]).await;
    let nhs = flagged(&w, FlagType::ChildProtectionPlan).await;
    let before = notices(&w).await;
    let bad = |path: String, headers: Vec<(&'static str, &'static str)>, code: &'static str| {
        let w = &w;
        let secret = secret.clone();
        async move {
            let r = get(w, &path, Some(&secret), &headers).await;
            assert_outcome(&r, StatusCode::BAD_REQUEST, code);
            r
        }
    };
    // A mistyped NHS number (check digit).
    let r = bad(search("9434765918"), vec![], "invalid").await;
    assert!(diagnostics(&r).contains("patient.identifier"));
    // Another identifier system, or none.
    bad(
        "/fhir/Flag?patient.identifier=https://fhir.nhs.uk/Id/local%7C9434765919".into(),
        vec![],
        "not-supported",
    )
    .await;
    bad(
        "/fhir/Flag?patient.identifier=9434765919".into(),
        vec![],
        "not-supported",
    )
    .await;
    bad("/fhir/Flag".into(), vec![], "required").await;
    bad("/fhir/Flag?patient=9434765919".into(), vec![], "required").await;
    bad(
        format!(
            "{}&patient.identifier={NHS_SYSTEM}%7C9434765919",
            search(&nhs)
        ),
        vec![],
        "invalid",
    )
    .await;
    // The header is true or false, nothing else.
    let r = bad(
        search(&nhs),
        vec![("X-Unscheduled-Access", "yes")],
        "invalid",
    )
    .await;
    assert!(diagnostics(&r).contains("X-Unscheduled-Access"));
    bad(search(&nhs), vec![("X-Practitioner", "  ")], "invalid").await;
    assert_eq!(notices(&w).await, before, "nothing was looked up");
    // Anything else under /fhir.
    let r = get(&w, "/fhir/Patient?identifier=x", Some(&secret), &[]).await;
    assert_outcome(&r, StatusCode::NOT_FOUND, "not-found");
}

#[tokio::test]
async fn tokens_are_checked_and_every_refusal_audited() {
    let w = world(RateLimit::DEFAULT).await;
    let nhs = flagged(&w, FlagType::ChildProtectionPlan).await;
    let before = notices(&w).await;
    // No token, an unknown one, a revoked one: 401 asking for a bearer token.
    let r = get(&w, &search(&nhs), None, &[]).await;
    assert_outcome(&r, StatusCode::UNAUTHORIZED, "login");
    assert_eq!(r.headers[header::WWW_AUTHENTICATE], "Bearer");
    let r = get(&w, &search(&nhs), Some("sgt_not-a-token"), &[]).await;
    assert_outcome(&r, StatusCode::UNAUTHORIZED, "login");
    assert_eq!(r.headers[header::WWW_AUTHENTICATE], "Bearer");
    let issued = w
        .app
        .cli_create_token(TRUST, &[ApiScope::FlagsRead], "old PAS")
        .await
        .unwrap();
    w.app
        .cli_revoke_token(&issued.token.id.to_string())
        .await
        .unwrap();
    let r = get(&w, &search(&nhs), Some(&issued.secret), &[]).await;
    assert_outcome(&r, StatusCode::UNAUTHORIZED, "login");
    let refused = audit(&w, "api.authenticate").await;
    assert_eq!(refused.len(), 2, "unknown and revoked tokens are audited");
    // A health setting's token without flags:read, and a school's with it: 403, audited.
    let writer = token(&w, TRUST, &[ApiScope::ReferralsWrite]).await;
    let r = get(&w, &search(&nhs), Some(&writer), &[]).await;
    assert_outcome(&r, StatusCode::FORBIDDEN, "forbidden");
    assert!(diagnostics(&r).contains("flags:read"));
    let school = token(&w, "999001", &[ApiScope::FlagsRead]).await;
    let r = get(&w, &search(&nhs), Some(&school), &[]).await;
    assert_outcome(&r, StatusCode::FORBIDDEN, "forbidden");
    let denials: Vec<_> = audit(&w, "flags.lookup")
        .await
        .into_iter()
        .filter(|(actor, decision, _)| actor.starts_with("token:") && decision == "deny")
        .collect();
    assert_eq!(denials.len(), 2, "both refusals are in the audit log");
    assert_eq!(notices(&w).await, before);
}

#[tokio::test]
async fn a_token_over_its_rate_is_throttled() {
    let w = world(RateLimit {
        per_second: 1,
        burst: 2,
    })
    .await;
    let secret = token(&w, TRUST, &[ApiScope::FlagsRead]).await;
    let other = token(&w, TRUST, &[ApiScope::FlagsRead]).await;
    let path = search("9434765919");
    for _ in 0..2 {
        assert_eq!(
            get(&w, &path, Some(&secret), &[]).await.status,
            StatusCode::OK
        );
    }
    let r = get(&w, &path, Some(&secret), &[]).await;
    assert_outcome(&r, StatusCode::TOO_MANY_REQUESTS, "throttled");
    let wait: u64 = r.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    // The limit is per token: another token of the same setting goes on.
    assert_eq!(
        get(&w, &path, Some(&other), &[]).await.status,
        StatusCode::OK
    );
    // 0 means unlimited.
    let w = world(RateLimit {
        per_second: 0,
        burst: 0,
    })
    .await;
    let secret = token(&w, TRUST, &[ApiScope::FlagsRead]).await;
    for _ in 0..150 {
        assert_eq!(
            get(&w, &path, Some(&secret), &[]).await.status,
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn the_capability_statement_describes_the_server() {
    let w = world(RateLimit::DEFAULT).await;
    let r = get(&w, "/fhir/metadata", None, &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/fhir+json");
    let c = &r.json;
    assert_eq!(c["resourceType"], "CapabilityStatement");
    assert_eq!(c["fhirVersion"], "4.0.1");
    assert_eq!(c["kind"], "instance");
    assert_eq!(c["implementation"]["url"], "https://sg.example/fhir");
    let rest = &c["rest"][0];
    assert_eq!(rest["mode"], "server");
    assert!(
        rest["security"]["service"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Bearer")
    );
    assert_eq!(rest["resource"][0]["type"], "Flag");
    assert_eq!(
        rest["resource"][0]["searchParam"][0]["name"],
        "patient.identifier"
    );
    assert_eq!(rest["resource"][0]["interaction"][0]["code"], "search-type");
}

/// Writes the demo responses (a hit Bundle of every flag type, one Flag, its Patient and
/// Organization, an OperationOutcome, the CapabilityStatement) and validates them with PyPI's
/// `fhir.resources` when `SAFEGUARD_FHIR_VALIDATE` names its python (required with `CI=true`).
#[tokio::test]
async fn the_demo_responses_are_valid_for_a_third_party_model() {
    let w = world(RateLimit::DEFAULT).await;
    let secret = token(&w, TRUST, &[ApiScope::FlagsRead]).await;
    let dir = samples_dir();
    std::fs::create_dir_all(&dir).unwrap();
    for old in std::fs::read_dir(&dir).unwrap() {
        let old = old.unwrap().path();
        if old.extension().is_some_and(|e| e == "json") {
            std::fs::remove_file(old).unwrap();
        }
    }
    let write = |name: &str, json: &Value| {
        std::fs::write(
            dir.join(format!("{name}.json")),
            serde_json::to_string_pretty(json).unwrap(),
        )
        .unwrap();
    };
    for (name, kind) in [
        ("bundle-cpp", FlagType::ChildProtectionPlan),
        ("bundle-lac", FlagType::LookedAfter),
        ("bundle-unborn-cpp", FlagType::UnbornChildProtectionPlan),
    ] {
        let r = get(&w, &search(&flagged(&w, kind).await), Some(&secret), &[]).await;
        assert_eq!(r.status, StatusCode::OK);
        write(name, &r.json);
        if kind == FlagType::ChildProtectionPlan {
            let flag = &r.json["entry"][0]["resource"];
            write("flag", flag);
            write("patient", &flag["contained"][0]);
            write("organization", &flag["contained"][1]);
        }
    }
    let r = get(&w, &search("9434765919"), Some(&secret), &[]).await;
    write("bundle-miss", &r.json);
    let r = get(&w, &search("9434765918"), Some(&secret), &[]).await;
    write("operation-outcome", &r.json);
    let r = get(&w, "/fhir/metadata", None, &[]).await;
    write("capability-statement", &r.json);

    let python = std::env::var_os("SAFEGUARD_FHIR_VALIDATE").filter(|p| !p.is_empty());
    let Some(python) = python else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true: set SAFEGUARD_FHIR_VALIDATE to the python of scripts/fhir-validate.sh setup"
        );
        eprintln!(
            "SAFEGUARD_FHIR_VALIDATE is not set: samples written to {} but not validated",
            dir.display()
        );
        return;
    };
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/fhir_validate.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(&dir)
        .output()
        .expect("the validator runs");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "fhir.resources refused a response:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("9 passed, 0 failed"), "{report}");
}
