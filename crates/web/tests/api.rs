//! The agency JSON API through HTTP, in process, over a real SQLite database with the demo area:
//! bearer tokens (missing, unknown, revoked, wrong scope, another agency), problem documents
//! naming each bad field, nothing saved on bad input, the closed loop back to the referring
//! system, and the OpenAPI document (snapshot).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Reply, World, send, signed_in, token, world};
use safeguard_app::referrals::DecisionInput;
use safeguard_domain::{ApiScope, ScreeningOutcome};
use safeguard_web::RateLimit;
use serde_json::{Value, json};

async fn call(
    w: &World,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> Reply {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let req = match body {
        Some(b) => req
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(b)),
        None => req.body(Body::empty()),
    }
    .unwrap();
    send(w, req).await
}

fn referral_body() -> Value {
    json!({
        "local_authority": "999",
        "child": {
            "given_name": "Amelia",
            "family_name": "Apiwright",
            "date_of_birth": "2016-04-12",
            "sex": "F",
            "nhs_number": "943 476 5919",
            "address": "4 Mill Lane, Northmoor",
            "postcode": "NM1 4AB"
        },
        "source": "2A",
        "reasons": "Amelia said her stepfather hit her with a belt last night.",
        "factors": ["2B"],
        "consent": "would_prejudice",
        "lawful_basis": "art6_1_e",
        "urgency": "urgent",
        "child_safe_now": true,
        "household": [
            {"name": "Jo Apiwright", "relationship": "mother", "parental_responsibility": true}
        ],
        "communication_needs": "",
        "referrer": {"name": "Ms Teacher", "contact": "01632 960501"}
    })
}

fn fields(reply: &Reply) -> Vec<String> {
    reply.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

async fn queue_len(w: &World) -> usize {
    let front = signed_in(&w.app, "front.door@demo.safeguard.test").await;
    w.app.front_door_queue(&front).await.unwrap().len()
}

#[tokio::test]
async fn a_school_system_refers_and_reads_back_the_decision() {
    let w = world(RateLimit::DEFAULT).await;
    let secret = token(&w, "999001", &[ApiScope::ReferralsWrite]).await;
    let before = queue_len(&w).await;
    let r = call(
        &w,
        "POST",
        "/api/v1/referrals",
        Some(&secret),
        Some(referral_body().to_string()),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    let id = r.json["id"].as_str().unwrap().to_owned();
    assert_eq!(
        r.headers[header::LOCATION],
        format!("/api/v1/referrals/{id}").as_str()
    );
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(r.json["status"], "received");
    // Received on Monday 23 November 2026: T1 makes the decision due the next working day.
    assert_eq!(r.json["decision_due"], "2026-11-24");
    assert_eq!(r.json["decision"], Value::Null);
    assert_eq!(queue_len(&w).await, before + 1);

    let r = call(
        &w,
        "GET",
        &format!("/api/v1/referrals/{id}"),
        Some(&secret),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["status"], "received");

    // The front door decides; the school's system reads the decision and its reasons.
    let front = signed_in(&w.app, "front.door@demo.safeguard.test").await;
    let rid = id.parse().unwrap();
    let v = w.app.referral(&front, rid).await.unwrap().referral.version;
    w.app.link_referral(&front, rid, None, v).await.unwrap();
    let v = w.app.referral(&front, rid).await.unwrap().referral.version;
    w.app
        .decide_referral(
            &front,
            rid,
            DecisionInput {
                outcome: ScreeningOutcome::StrategyDiscussion,
                protection: None,
                reasons: "Reasonable cause to suspect significant harm".into(),
                advice: String::new(),
                version: v,
            },
        )
        .await
        .unwrap();
    let r = call(
        &w,
        "GET",
        &format!("/api/v1/referrals/{id}"),
        Some(&secret),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["status"], "decided");
    assert_eq!(r.json["decision"]["outcome"], "strategy_discussion");
    assert_eq!(
        r.json["decision"]["reasons"],
        "Reasonable cause to suspect significant harm"
    );
    assert_eq!(r.json["decision"]["late"], false);
    // Nothing of the case file is in it.
    assert!(r.json.get("child").is_none());

    // Another agency's system cannot read it.
    let gp = token(&w, "Y99901", &[ApiScope::ReferralsWrite]).await;
    let r = call(
        &w,
        "GET",
        &format!("/api/v1/referrals/{id}"),
        Some(&gp),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
    assert_eq!(
        r.json["detail"],
        "a referral is visible to the referring agency only"
    );
    let r = call(
        &w,
        "GET",
        "/api/v1/referrals/not-an-id",
        Some(&secret),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = call(
        &w,
        "GET",
        "/api/v1/referrals/0190a4c5-0000-7000-8000-000000000000",
        Some(&secret),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn tokens_are_checked_before_anything_else() {
    let w = world(RateLimit::DEFAULT).await;
    let body = Some(referral_body().to_string());
    let r = call(&w, "POST", "/api/v1/referrals", None, body.clone()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers[header::WWW_AUTHENTICATE], "Bearer");
    assert_eq!(r.json["status"], 401);
    let r = call(
        &w,
        "POST",
        "/api/v1/referrals",
        Some("sgt_made_up"),
        body.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json["detail"], "The bearer token is unknown or revoked");
    // A token for flags only cannot refer.
    let ed = token(&w, "RZZ01", &[ApiScope::FlagsRead]).await;
    let r = call(&w, "POST", "/api/v1/referrals", Some(&ed), body.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.json["detail"],
        "the token does not hold the referrals:write scope"
    );
    // A revoked token is refused.
    let issued = w
        .app
        .cli_create_token("999001", &[ApiScope::ReferralsWrite], "old MIS")
        .await
        .unwrap();
    w.app
        .cli_revoke_token(&issued.token.id.to_string())
        .await
        .unwrap();
    let r = call(&w, "POST", "/api/v1/referrals", Some(&issued.secret), body).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_input_names_every_field_and_saves_nothing() {
    let w = world(RateLimit::DEFAULT).await;
    let secret = token(&w, "999001", &[ApiScope::ReferralsWrite]).await;
    let before = queue_len(&w).await;
    let mut body = referral_body();
    body["local_authority"] = json!("000");
    body["child"]["nhs_number"] = json!("943 476 5918");
    body["child"]["date_of_birth"] = json!("12/04/2016");
    body["child"]["postcode"] = json!("not a postcode");
    body["source"] = json!("2Z");
    body["factors"] = json!(["2B", "99Z"]);
    body["household"][0]["relationship"] = json!("aunt");
    body["urgency"] = json!("soon");
    let r = call(
        &w,
        "POST",
        "/api/v1/referrals",
        Some(&secret),
        Some(body.to_string()),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
    assert_eq!(
        fields(&r),
        [
            "local_authority",
            "child.date_of_birth",
            "child.nhs_number",
            "child.postcode",
            "source",
            "factors[1]",
            "urgency",
            "household[0].relationship",
        ]
    );
    // Once the codes parse, the referral's own rules name what is missing.
    let mut body = referral_body();
    body["reasons"] = json!(" ");
    body["child"]["given_name"] = json!("");
    body["referrer"]["contact"] = json!("");
    let r = call(
        &w,
        "POST",
        "/api/v1/referrals",
        Some(&secret),
        Some(body.to_string()),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        fields(&r),
        ["child.given_name", "reasons", "referrer.contact"]
    );
    // Not JSON, or an unknown field: a problem document saying so.
    let r = call(
        &w,
        "POST",
        "/api/v1/referrals",
        Some(&secret),
        Some("{not json".into()),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json["title"], "The body is not a referral");
    let mut body = referral_body();
    body["child"]["favourite_colour"] = json!("blue");
    let r = call(
        &w,
        "POST",
        "/api/v1/referrals",
        Some(&secret),
        Some(body.to_string()),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .contains("favourite_colour"),
        "{}",
        r.json
    );
    assert_eq!(queue_len(&w).await, before, "nothing was saved");
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let w = world(RateLimit::DEFAULT).await;
    let r = call(&w, "GET", "/api/openapi.json", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json["paths"]["/api/v1/referrals"]["post"]["security"][0]["bearer"][0],
        "referrals:write"
    );
    insta::assert_json_snapshot!("openapi", r.json);
}
