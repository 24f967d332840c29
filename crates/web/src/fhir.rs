//! The FHIR R4 endpoints of the flag register, for health settings' systems (spec §6.4: CP-IS
//! offers the same as a FHIR R4 API): `GET /fhir/Flag?patient.identifier=...` answers with a
//! `searchset` Bundle of Flags, `GET /fhir/metadata` with the CapabilityStatement. The resources
//! and their mapping live in `safeguard_interop`; this module only reads the request, calls
//! `App::look_up_flags` (the one door to the register, which decides, audits and notifies) and
//! answers in `application/fhir+json`, errors as OperationOutcomes (`docs/flags.md`).
//!
//! Callers authenticate with `Authorization: Bearer <secret>` and are rate limited per token
//! (`governor`, GCRA), so one system cannot flood the register or the LA's inbox.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};
use safeguard_app::AppError;
use safeguard_app::flags::{FlagCaller, FlagLookup};
use safeguard_app::tokens::ApiCaller;
use safeguard_domain::{ApiTokenId, CareSetting, NhsNumber, OnBehalfOf};
use safeguard_interop::model::{IssueType, Resource};
use safeguard_interop::{FHIR_JSON, FlagEntry, IdentifierError};

use crate::AppState;
use crate::api::bearer_token;

/// The header saying whether the access is unscheduled care (the LA is told) or a silent read.
pub const UNSCHEDULED_HEADER: &str = "x-unscheduled-access";
/// The header naming the practitioner the system acts for (audited, never trusted).
pub const PRACTITIONER_HEADER: &str = "x-practitioner";
/// The search parameter.
const PATIENT_IDENTIFIER: &str = "patient.identifier";

/// How fast one token may call the FHIR endpoints: `per_second` requests a second on average,
/// up to `burst` at once. `per_second` 0 means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests per second per token, sustained; 0 for no limit.
    pub per_second: u32,
    /// Requests a token may make at once before the rate applies.
    pub burst: u32,
}

impl RateLimit {
    /// Generous for any one hospital's system: 50 a second, 100 at once.
    pub const DEFAULT: Self = Self {
        per_second: 50,
        burst: 100,
    };
}

impl Default for RateLimit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The per-token limiter, shared by every request.
#[derive(Clone)]
pub(crate) struct TokenLimiter(
    Arc<RateLimiter<ApiTokenId, HashMapStateStore<ApiTokenId>, DefaultClock>>,
);

impl std::fmt::Debug for TokenLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenLimiter")
    }
}

impl TokenLimiter {
    /// A limiter for `limit`, or `None` when unlimited.
    pub(crate) fn new(limit: RateLimit) -> Option<Self> {
        let rate = NonZeroU32::new(limit.per_second)?;
        let burst = NonZeroU32::new(limit.burst).unwrap_or(rate);
        let quota = Quota::per_second(rate).allow_burst(burst);
        Some(Self(Arc::new(RateLimiter::hashmap(quota))))
    }

    /// `Err(wait)` when the token has used its quota.
    fn check(&self, token: ApiTokenId) -> Result<(), Duration> {
        self.0
            .check_key(&token)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// An answer in `application/fhir+json`.
fn fhir(status: StatusCode, resource: &Resource) -> Response {
    let mut res = (status, axum::Json(resource)).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    res
}

/// A refused request: its status and the OperationOutcome's issue. A 401 asks for a bearer
/// token; a 429 says when to retry.
#[derive(Debug)]
pub(crate) struct Refusal {
    status: StatusCode,
    code: IssueType,
    diagnostics: String,
    retry_after: Option<u64>,
}

fn outcome(status: StatusCode, code: IssueType, diagnostics: impl Into<String>) -> Refusal {
    Refusal {
        status,
        code,
        diagnostics: diagnostics.into(),
        retry_after: None,
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut res = fhir(
            self.status,
            &safeguard_interop::operation_outcome(self.code, self.diagnostics),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

/// Use-case errors as OperationOutcomes: the one mapping for these endpoints.
fn app_outcome(e: AppError) -> Refusal {
    match e {
        AppError::Invalid(errors) => outcome(
            StatusCode::BAD_REQUEST,
            IssueType::Invalid,
            errors
                .into_iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        AppError::Unauthenticated | AppError::SignInFailed => outcome(
            StatusCode::UNAUTHORIZED,
            IssueType::Login,
            "The bearer token is unknown or revoked",
        ),
        AppError::Denied(reason) => outcome(StatusCode::FORBIDDEN, IssueType::Forbidden, reason),
        AppError::NotFound(what) => outcome(
            StatusCode::NOT_FOUND,
            IssueType::NotFound,
            format!("No {what} was found"),
        ),
        AppError::Conflict { message, .. } => {
            outcome(StatusCode::CONFLICT, IssueType::Invalid, message)
        }
        AppError::Store(e) => {
            tracing::error!(error = %e, "store error in the FHIR API");
            outcome(
                StatusCode::INTERNAL_SERVER_ERROR,
                IssueType::Exception,
                "The request could not be completed. Try again later.",
            )
        }
    }
}

/// The FHIR base URL as the caller reached it: `https://<Host>/fhir` (`http` when the server
/// runs with development cookies on plain HTTP). A Host that is not a plain host name is ignored.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let scheme = if state.secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}/fhir")
}

/// The authenticated, rate-limited caller, or the OperationOutcome refusing it.
async fn caller(state: &AppState, headers: &HeaderMap) -> Result<ApiCaller, Refusal> {
    let Some(secret) = bearer_token(headers) else {
        return Err(outcome(
            StatusCode::UNAUTHORIZED,
            IssueType::Login,
            "Send the API token as `Authorization: Bearer <secret>`",
        ));
    };
    let caller = state
        .app
        .authenticate_token(secret)
        .await
        .map_err(app_outcome)?;
    if let Some(limiter) = &state.fhir_limiter
        && let Err(wait) = limiter.check(caller.token.id)
    {
        // Logged, not audited: a flood must not become a flood of audit events.
        tracing::warn!(token.id = %caller.token.id, "FHIR rate limit exceeded");
        let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
        return Err(Refusal {
            retry_after: Some(secs),
            ..outcome(
                StatusCode::TOO_MANY_REQUESTS,
                IssueType::Throttled,
                format!("Too many requests with this token; try again in {secs} s"),
            )
        });
    }
    Ok(caller)
}

/// The one value of a header that may appear at most once, or a 400 naming it.
fn single_header<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, Refusal> {
    let mut values = headers.get_all(name).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return if headers.contains_key(name) {
            Err(bad_header(name, "give it once"))
        } else {
            Ok(None)
        };
    };
    value
        .to_str()
        .map(Some)
        .map_err(|_| bad_header(name, "it must be plain ASCII text"))
}

fn bad_header(name: &str, why: &str) -> Refusal {
    outcome(
        StatusCode::BAD_REQUEST,
        IssueType::Invalid,
        format!("The {} header is not valid: {why}", header_title(name)),
    )
}

fn header_title(name: &str) -> &'static str {
    match name {
        UNSCHEDULED_HEADER => "X-Unscheduled-Access",
        _ => "X-Practitioner",
    }
}

/// `X-Unscheduled-Access: true|false` (any case), default true. It is CP-IS's
/// `IsUnscheduledAccessEvent`: true tells the responsible LA (spec §6.3), false is scheduled
/// care's "silent read" (HL7 `accessEventType=false`).
fn care_setting(headers: &HeaderMap) -> Result<CareSetting, Refusal> {
    match single_header(headers, UNSCHEDULED_HEADER)?.map(str::trim) {
        None => Ok(CareSetting::Unscheduled),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(CareSetting::Unscheduled),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(CareSetting::Scheduled),
        Some(_) => Err(bad_header(
            UNSCHEDULED_HEADER,
            "give true (unscheduled care: the local authority is told) or false (scheduled \
             care: a silent read)",
        )),
    }
}

/// `X-Practitioner`: whom the system acts for, kept in the audit event and the access.
fn on_behalf_of(headers: &HeaderMap) -> Result<Option<OnBehalfOf>, Refusal> {
    single_header(headers, PRACTITIONER_HEADER)?
        .map(|v| OnBehalfOf::parse(v).map_err(|e| bad_header(PRACTITIONER_HEADER, &e.to_string())))
        .transpose()
}

/// The NHS number searched for, from exactly one `patient.identifier`.
fn searched_nhs(query: Option<&str>) -> Result<NhsNumber, Refusal> {
    let pairs: Vec<(String, String)> =
        serde_html_form::from_str(query.unwrap_or("")).map_err(|_| {
            outcome(
                StatusCode::BAD_REQUEST,
                IssueType::Invalid,
                "The query string cannot be read",
            )
        })?;
    let mut values = pairs
        .iter()
        .filter(|(k, _)| k == PATIENT_IDENTIFIER)
        .map(|(_, v)| v.as_str());
    let token = match (values.next(), values.next()) {
        (Some(v), None) => v,
        (None, _) => {
            return Err(outcome(
                StatusCode::BAD_REQUEST,
                IssueType::Required,
                "Search by patient.identifier=https://fhir.nhs.uk/Id/nhs-number|<NHS number>",
            ));
        }
        (Some(_), Some(_)) => {
            return Err(outcome(
                StatusCode::BAD_REQUEST,
                IssueType::Invalid,
                "Give patient.identifier once: one NHS number per search",
            ));
        }
    };
    safeguard_interop::parse_patient_identifier(token).map_err(|e| match e {
        IdentifierError::WrongSystem => outcome(
            StatusCode::BAD_REQUEST,
            IssueType::NotSupported,
            "Flags are held against NHS numbers only: give \
             patient.identifier=https://fhir.nhs.uk/Id/nhs-number|<NHS number>",
        ),
        IdentifierError::NhsNumber(why) => outcome(
            StatusCode::BAD_REQUEST,
            IssueType::Invalid,
            format!("patient.identifier: {why}"),
        ),
    })
}

/// `GET /fhir/Flag?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}`.
pub(crate) async fn search_flags(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Refusal> {
    let caller = caller(&state, &headers).await?;
    let nhs = searched_nhs(query.as_deref())?;
    let care = care_setting(&headers)?;
    let who = on_behalf_of(&headers)?;
    let lookup = state
        .app
        .look_up_flags(&FlagCaller::api(&caller, who), &nhs, care)
        .await
        .map_err(app_outcome)?;
    let base = base_url(&state, &headers);
    Ok(fhir(StatusCode::OK, &bundle(&lookup, &base, &state)))
}

fn bundle(lookup: &FlagLookup, base: &str, state: &AppState) -> Resource {
    safeguard_interop::flag_bundle(
        &lookup.nhs_number,
        lookup.flags.iter().map(|v| FlagEntry {
            flag: &v.flag,
            active: v.current,
            advice: Some(&v.advice),
        }),
        base,
        state.app.now(),
    )
}

/// `GET /fhir/metadata`: the CapabilityStatement (no token needed).
pub(crate) async fn metadata(State(state): State<AppState>, headers: HeaderMap) -> Response {
    fhir(
        StatusCode::OK,
        &safeguard_interop::capability_statement(&base_url(&state, &headers)),
    )
}

/// Anything else under `/fhir`.
pub(crate) async fn not_found() -> Refusal {
    outcome(
        StatusCode::NOT_FOUND,
        IssueType::NotFound,
        "This server offers GET /fhir/Flag?patient.identifier=... and GET /fhir/metadata",
    )
}
