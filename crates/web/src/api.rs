//! The JSON API for agency systems: `POST /api/v1/referrals` submits a referral and
//! `GET /api/v1/referrals/{id}` returns its status and the front door's decision, to the
//! referring agency only; `POST /api/v1/flags/import` loads a local authority's CP-IS flags from
//! CSV. Described by the OpenAPI document at `/api/openapi.json`.
//!
//! Callers authenticate with `Authorization: Bearer <secret>` (tokens from `safeguard token
//! create`). Errors are RFC 9457 problem documents (`application/problem+json`) naming each bad
//! field by its JSON path, so a supplier can fix their mapping from the message alone.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use safeguard_app::referrals::ReferralInput;
use safeguard_app::tokens::{ApiCaller, ApiReferralInput};
use safeguard_app::{AppError, FieldError};
use safeguard_domain::{
    AssessmentFactor, Birth, ConsentStatus, HouseholdMember, LawfulBasis, NhsNumber, PersonName,
    Postcode, Referral, ReferralId, ReferralSource, ReferredChild, Relationship, ScreeningOutcome,
    Sex, Urgency,
};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::AppState;

/// The OpenAPI document of the agency API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Safeguard agency API",
        description = "For agency systems (school, GP, hospital, police) to refer a child to a \
            local authority's children's social care and read back the decision, and for a local \
            authority's own system to load its flags for unscheduled care. Tokens come from the \
            local authority's operators (`safeguard token create --scope referrals:write`, \
            `--scope flags:write`).",
        version = "1"
    ),
    paths(submit_referral, get_referral, import_flags),
    components(schemas(ReferralRequest, ChildRequest, HouseholdRequest, ReferrerRequest,
        ReferralStatus, DecisionStatus, Problem, ProblemField, ImportResult, ImportRowError)),
    modifiers(&BearerAuth),
    tags((name = "referrals", description = "Referrals to a local authority's front door"),
        (name = "flags", description = "The flags unscheduled care sees (docs/flags.md)"))
)]
pub(crate) struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token from `safeguard token create`; only its hash is stored",
                    ))
                    .build(),
            ),
        );
    }
}

/// `GET /api/openapi.json`.
pub(crate) async fn openapi() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

fn codes_schema(description: &str, codes: impl IntoIterator<Item = &'static str>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(codes))
        .build()
}

fn source_schema() -> Object {
    codes_schema(
        "CIN census referral source (ReferralSource)",
        ReferralSource::ALL.iter().map(|c| c.code()),
    )
}

fn factor_schema() -> Object {
    codes_schema(
        "CIN census assessment factor (AssessmentFactors)",
        AssessmentFactor::ALL.iter().map(|c| c.code()),
    )
}

fn consent_schema() -> Object {
    codes_schema(
        "Whether the family knows and agrees, or why consent was not sought",
        ConsentStatus::ALL.iter().map(|c| c.code()),
    )
}

fn basis_schema() -> Object {
    codes_schema(
        "The lawful basis for sharing (UK GDPR article and DPA 2018 condition); consent is not \
         the basis for a safeguarding referral",
        LawfulBasis::ALL.iter().map(|c| c.code()),
    )
}

fn urgency_schema() -> Object {
    codes_schema("Urgency", Urgency::ALL.iter().map(|c| c.code()))
}

fn sex_schema() -> Object {
    codes_schema("CIN census sex", Sex::ALL.iter().map(|c| c.code()))
}

fn relationship_schema() -> Object {
    codes_schema(
        "Relationship to the child",
        Relationship::ALL.iter().map(|c| c.code()),
    )
}

fn outcome_schema() -> Object {
    codes_schema(
        "The front door's decision",
        ScreeningOutcome::ALL.iter().map(|c| c.code()),
    )
}

/// A referral from an agency system.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReferralRequest {
    /// The local authority referred to: its id or DfE LA code.
    #[schema(example = "999")]
    local_authority: String,
    child: ChildRequest,
    #[schema(schema_with = source_schema)]
    source: String,
    /// What the referrer is worried about and why, in their words (up to 10,000 characters).
    reasons: String,
    #[serde(default)]
    #[schema(schema_with = factor_schema)]
    factors: Vec<String>,
    #[schema(schema_with = consent_schema)]
    consent: String,
    #[schema(schema_with = basis_schema)]
    lawful_basis: String,
    #[schema(schema_with = urgency_schema)]
    urgency: String,
    /// Whether the child is safe now.
    child_safe_now: bool,
    /// Household members and who holds parental responsibility.
    #[serde(default)]
    household: Vec<HouseholdRequest>,
    /// Interpreter, signing or other communication needs.
    #[serde(default)]
    communication_needs: String,
    referrer: ReferrerRequest,
}

/// The child, as the referrer knows them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChildRequest {
    #[schema(example = "Amelia")]
    given_name: String,
    #[schema(example = "Stone")]
    family_name: String,
    /// Date of birth (YYYY-MM-DD); a date after today is an expected date of birth.
    #[serde(default)]
    #[schema(example = "2016-04-12")]
    date_of_birth: Option<String>,
    #[serde(default)]
    #[schema(schema_with = sex_schema)]
    sex: Option<String>,
    /// NHS number, ten digits, spaces allowed.
    #[serde(default)]
    #[schema(example = "943 476 5919")]
    nhs_number: Option<String>,
    #[serde(default)]
    address: String,
    #[serde(default)]
    postcode: Option<String>,
}

/// A member of the child's household.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HouseholdRequest {
    name: String,
    #[schema(schema_with = relationship_schema)]
    relationship: String,
    #[serde(default)]
    parental_responsibility: bool,
}

/// The practitioner on whose behalf the system refers.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReferrerRequest {
    /// Their name.
    name: String,
    /// A telephone number the front door can call them on.
    contact: String,
}

/// A referral's status: received, or decided with the decision and its reasons.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReferralStatus {
    id: String,
    /// `received` until the front door decides, then `decided`.
    #[schema(example = "received")]
    status: &'static str,
    /// The status in words.
    status_text: String,
    /// When it was received (UTC).
    received_at: String,
    /// When the decision is due: one working day from receipt (Working Together 2023 ch 3).
    decision_due: String,
    /// The front door's decision, once made.
    decision: Option<DecisionStatus>,
}

/// The front door's decision, as the referrer is told it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DecisionStatus {
    #[schema(schema_with = outcome_schema)]
    outcome: &'static str,
    outcome_text: &'static str,
    /// Why, in words for the referrer.
    reasons: String,
    /// Advice to the referrer and family.
    advice: String,
    decided_on: String,
    /// True when the decision came after its due date.
    late: bool,
}

impl From<&Referral> for ReferralStatus {
    fn from(r: &Referral) -> Self {
        Self {
            id: r.id.to_string(),
            status: if r.is_decided() {
                "decided"
            } else {
                "received"
            },
            status_text: r.status_text(),
            received_at: r.received_at.to_string(),
            decision_due: r.decision_due.to_string(),
            decision: r.decision.as_ref().map(|d| DecisionStatus {
                outcome: d.outcome.code(),
                outcome_text: d.outcome.label(),
                reasons: d.reasons.clone(),
                advice: d.advice.clone(),
                decided_on: d.decided_on.to_string(),
                late: r.decided_late(),
            }),
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    detail: String,
    /// For invalid input: each field, by its JSON path, and how to fix it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<ProblemField>,
}

/// One invalid field.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProblemField {
    #[schema(example = "child.nhs_number")]
    field: String,
    message: String,
}

impl Problem {
    fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank",
            title,
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    fn invalid(errors: Vec<FieldError>) -> Self {
        Self::invalid_as("The referral is not valid", errors)
    }

    fn invalid_as(title: &'static str, errors: Vec<FieldError>) -> Self {
        let mut p = Self::new(
            StatusCode::BAD_REQUEST,
            title,
            "Nothing was saved. Each entry in `errors` names a field and how to fix it.",
        );
        p.errors = errors
            .into_iter()
            .map(|e| ProblemField {
                field: e.field,
                message: e.message,
            })
            .collect();
        p
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, Json(&self)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

/// Use-case errors as problems: the one mapping for this API.
fn problem(e: AppError) -> Problem {
    match e {
        AppError::Invalid(errors) => Problem::invalid(errors),
        AppError::Unauthenticated | AppError::SignInFailed => Problem::new(
            StatusCode::UNAUTHORIZED,
            "Not authenticated",
            "The bearer token is unknown or revoked",
        ),
        AppError::Denied(reason) => Problem::new(StatusCode::FORBIDDEN, "Not permitted", reason),
        AppError::NotFound(what) => Problem::new(
            StatusCode::NOT_FOUND,
            "Not found",
            format!("No {what} has that id"),
        ),
        AppError::Conflict { message, .. } => {
            Problem::new(StatusCode::CONFLICT, "Conflict", message)
        }
        AppError::Store(e) => {
            tracing::error!(error = %e, "store error in the API");
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The request could not be completed; nothing was saved. Try again later.",
            )
        }
    }
}

/// The secret from `Authorization: Bearer <secret>`, if the header is there and well formed.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, secret) = value.split_once(' ')?;
    let secret = secret.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !secret.is_empty()).then_some(secret)
}

async fn caller(state: &AppState, headers: &HeaderMap) -> Result<ApiCaller, Problem> {
    let Some(secret) = bearer_token(headers) else {
        return Err(Problem::new(
            StatusCode::UNAUTHORIZED,
            "Not authenticated",
            "Send the API token as `Authorization: Bearer <secret>`",
        ));
    };
    state.app.authenticate_token(secret).await.map_err(problem)
}

/// Submit a referral.
#[utoipa::path(
    post,
    path = "/api/v1/referrals",
    tag = "referrals",
    request_body = ReferralRequest,
    responses(
        (status = 201, description = "Received: acknowledged, with the decision's due date",
            body = ReferralStatus,
            headers(("Location" = String, description = "Where to read its status"))),
        (status = 400, description = "Invalid input; nothing saved", body = Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "No token, or an unknown or revoked one", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the referrals:write scope", body = Problem,
            content_type = "application/problem+json"),
    ),
    security(("bearer" = ["referrals:write"]))
)]
pub(crate) async fn submit_referral(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<ReferralRequest>, JsonRejection>,
) -> Response {
    let caller = match caller(&state, &headers).await {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let Json(request) = match body {
        Ok(b) => b,
        Err(rejection) => {
            return Problem::new(
                StatusCode::BAD_REQUEST,
                "The body is not a referral",
                format!(
                    "Nothing was saved: {}. Send JSON as the OpenAPI document at \
                     /api/openapi.json describes.",
                    rejection.body_text()
                ),
            )
            .into_response();
        }
    };
    let la = match state.app.find_agency(&request.local_authority).await {
        Ok(a) => Some(a.id),
        Err(AppError::NotFound(_)) => None,
        Err(e) => return problem(e).into_response(),
    };
    let input = match parse_request(request, la, state.app.today()) {
        Ok(i) => i,
        Err(errors) => return Problem::invalid(errors).into_response(),
    };
    match state.app.api_submit_referral(&caller, input).await {
        Err(AppError::Invalid(errors)) => Problem::invalid(
            errors
                .into_iter()
                .map(|e| FieldError::new(json_path(&e.field), e.message))
                .collect(),
        )
        .into_response(),
        Ok(referral) => {
            let location = format!("/api/v1/referrals/{}", referral.id);
            let mut res =
                (StatusCode::CREATED, Json(ReferralStatus::from(&referral))).into_response();
            if let Ok(v) = HeaderValue::from_str(&location) {
                res.headers_mut().insert(header::LOCATION, v);
            }
            res
        }
        Err(e) => problem(e).into_response(),
    }
}

/// Read a referral's status and decision.
#[utoipa::path(
    get,
    path = "/api/v1/referrals/{id}",
    tag = "referrals",
    params(("id" = String, Path, description = "The referral's id, from the submission")),
    responses(
        (status = 200, description = "Its status, and the decision once made",
            body = ReferralStatus),
        (status = 401, description = "No token, or an unknown or revoked one", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "Another agency's referral, or the token lacks the scope",
            body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No referral has that id", body = Problem,
            content_type = "application/problem+json"),
    ),
    security(("bearer" = ["referrals:write"]))
)]
pub(crate) async fn get_referral(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let caller = match caller(&state, &headers).await {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let Ok(id) = id.parse::<ReferralId>() else {
        return Problem::new(
            StatusCode::NOT_FOUND,
            "Not found",
            "That is not a referral id",
        )
        .into_response();
    };
    match state.app.api_referral(&caller, id).await {
        Ok(referral) => Json(ReferralStatus::from(&referral)).into_response(),
        Err(e) => problem(e).into_response(),
    }
}

/// What an upload did: every row is counted once, as loaded (inserted, updated or already
/// there exactly) or refused with its line number and reason.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ImportResult {
    /// Data rows read (the header is not counted).
    rows: usize,
    /// New flags.
    inserted: usize,
    /// Flags that changed, such as an end date added.
    updated: usize,
    /// Rows already in the register exactly: sending the same file twice changes nothing.
    unchanged: usize,
    /// Rows refused: not loaded. `errors` gives each fault with its line number and reason; a
    /// row may have more than one.
    rejected: usize,
    errors: Vec<ImportRowError>,
}

/// A row the upload refused.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ImportRowError {
    /// The line in the file; the header is line 1.
    #[schema(example = 3)]
    line: u64,
    /// The column at fault.
    #[schema(example = "nhs_number")]
    column: &'static str,
    /// What is wrong and how to fix it.
    reason: String,
}

/// Load a local authority's flags from CSV.
#[utoipa::path(
    post,
    path = "/api/v1/flags/import",
    tag = "flags",
    request_body(content = String, content_type = "text/csv",
        description = "The header `nhs_number,type,start,end,la_code`, then one flag a row: an \
            NHS number, CPP, LAC or UNBORN_CPP, start and end (YYYY-MM-DD, end may be empty), and \
            the DfE code of the token's own local authority (docs/flags.md). Up to 16 MiB."),
    responses(
        (status = 200, description = "Valid rows loaded in one transaction; invalid rows \
            reported by line and not loaded", body = ImportResult),
        (status = 400, description = "Not a flags file (no header, unreadable); nothing loaded",
            body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No token, or an unknown or revoked one", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The token lacks flags:write, or is not a local \
            authority's", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than 16 MiB"),
        (status = 415, description = "The body is not `text/csv`", body = Problem,
            content_type = "application/problem+json"),
    ),
    security(("bearer" = ["flags:write"]))
)]
pub(crate) async fn import_flags(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let caller = match caller(&state, &headers).await {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("text/csv"));
    if !csv {
        return Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the flags as CSV",
            "Nothing was loaded: send the file with `Content-Type: text/csv`",
        )
        .into_response();
    }
    match state.app.api_import_flags(&caller, &body).await {
        Ok(report) => Json(ImportResult {
            rows: report.rows,
            inserted: report.inserted,
            updated: report.updated,
            unchanged: report.unchanged,
            rejected: report.rejected_rows(),
            errors: report
                .errors
                .into_iter()
                .map(|e| ImportRowError {
                    line: e.line,
                    column: e.column,
                    reason: e.reason,
                })
                .collect(),
        })
        .into_response(),
        Err(AppError::Invalid(errors)) => {
            Problem::invalid_as("The file is not a flags file", errors).into_response()
        }
        Err(e) => problem(e).into_response(),
    }
}

/// The JSON path of a field the referral use-case names by its form name.
fn json_path(form_field: &str) -> String {
    match form_field {
        "given_name" | "family_name" | "nhs_number" | "postcode" => format!("child.{form_field}"),
        "referrer_contact" => "referrer.contact".to_owned(),
        "referrer_name" => "referrer.name".to_owned(),
        "la" => "local_authority".to_owned(),
        other => other.to_owned(),
    }
}

/// A field given as a code: parsed, or an error naming the field and the codes it takes.
fn code<T, E: std::fmt::Display>(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Option<T> {
    match parse(value) {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(FieldError::new(
                field,
                format!("{e}; the OpenAPI document lists the codes"),
            ));
            None
        }
    }
}

/// Parses the request into the use-case's input, naming every bad field at once.
fn parse_request(
    r: ReferralRequest,
    la: Option<safeguard_domain::AgencyId>,
    today: Date,
) -> Result<ApiReferralInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    if la.is_none() {
        errors.push(FieldError::new(
            "local_authority",
            "No local authority has that id or DfE LA code",
        ));
    }
    let c = r.child;
    let birth = match c.date_of_birth.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => match text.parse::<Date>() {
            Ok(d) if d > today => Some(Birth::Expected(d)),
            Ok(d) => Some(Birth::Born(d)),
            Err(_) => {
                errors.push(FieldError::new(
                    "child.date_of_birth",
                    "Give the date of birth as YYYY-MM-DD, e.g. 2016-04-12",
                ));
                None
            }
        },
    };
    let sex = match c.sex.as_deref() {
        None => Some(Sex::Unknown),
        Some(s) => code(&mut errors, "child.sex", s, Sex::parse),
    };
    let nhs_number = match c.nhs_number.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(n) => NhsNumber::parse(n)
            .map_err(|e| errors.push(FieldError::new("child.nhs_number", e.to_string())))
            .ok(),
    };
    let postcode = match c.postcode.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(p) => Postcode::parse(p)
            .map_err(|e| errors.push(FieldError::new("child.postcode", e.to_string())))
            .ok(),
    };
    let source = code(&mut errors, "source", &r.source, ReferralSource::parse);
    let factors: Vec<AssessmentFactor> = r
        .factors
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            code(
                &mut errors,
                &format!("factors[{i}]"),
                f,
                AssessmentFactor::parse,
            )
        })
        .collect();
    let consent = code(&mut errors, "consent", &r.consent, ConsentStatus::parse);
    let lawful_basis = code(
        &mut errors,
        "lawful_basis",
        &r.lawful_basis,
        LawfulBasis::parse,
    );
    let urgency = code(&mut errors, "urgency", &r.urgency, Urgency::parse);
    let mut household = Vec::new();
    for (i, h) in r.household.into_iter().enumerate() {
        if h.name.trim().is_empty() {
            errors.push(FieldError::new(
                format!("household[{i}].name"),
                "Give the household member's name, or Unknown",
            ));
        }
        if let Some(relationship) = code(
            &mut errors,
            &format!("household[{i}].relationship"),
            &h.relationship,
            Relationship::parse,
        ) {
            household.push(HouseholdMember {
                name: h.name.trim().to_owned(),
                relationship,
                parental_responsibility: h.parental_responsibility,
            });
        }
    }
    let (Some(la), Some(sex), Some(source), Some(consent), Some(lawful_basis), Some(urgency), true) = (
        la,
        sex,
        source,
        consent,
        lawful_basis,
        urgency,
        errors.is_empty(),
    ) else {
        return Err(errors);
    };
    Ok(ApiReferralInput {
        referral: ReferralInput {
            la,
            child: ReferredChild {
                name: PersonName {
                    given: c.given_name.trim().to_owned(),
                    family: c.family_name.trim().to_owned(),
                },
                birth,
                sex,
                nhs_number,
                address: c.address.trim().to_owned(),
                postcode,
            },
            source,
            reasons: r.reasons,
            factors,
            consent,
            lawful_basis,
            urgency,
            child_safe_now: r.child_safe_now,
            household,
            communication_needs: r.communication_needs,
            referrer_contact: r.referrer.contact,
            referrer_name: None,
            concern: None,
        },
        referrer_name: r.referrer.name,
    })
}
