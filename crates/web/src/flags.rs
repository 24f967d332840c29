//! Pages of the flag register: "Check a child" for unscheduled-care clinicians, and the local
//! authority's inbox of access notifications with its NHS-number coverage.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use safeguard_app::flags::{Coverage, FlagLookup, Inbox, NoticeFilter};
use safeguard_app::{AppError, FieldError};
use safeguard_domain::{AccessNotificationId, AgencyId, CareSetting, NoticeState};
use serde::Deserialize;

use crate::AppState;
use crate::session::{CsrfForm, SignedIn};
use crate::views::{Chrome, WebError, render_status};

type Page = Result<Response, WebError>;

#[derive(Template)]
#[template(path = "check_child.html")]
struct CheckPage {
    chrome: Chrome,
    nhs_number: String,
    care: &'static str,
    result: Option<FlagLookup>,
}

/// The "Check a child" form.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckForm {
    #[serde(default)]
    nhs_number: String,
    #[serde(default)]
    care: String,
}

/// `GET /check-a-child`.
pub(crate) async fn check_page(State(st): State<AppState>, u: SignedIn) -> Page {
    if !st.app.capabilities(&u.user).can_check_flags {
        return Err(WebError::Forbidden(
            "the flag register is for clinicians in unscheduled-care health settings",
        ));
    }
    Ok(render_status(
        StatusCode::OK,
        &CheckPage {
            chrome: Chrome::user("Check a child", &u.user, &u.csrf, &st.app, "/check-a-child"),
            nhs_number: String::new(),
            care: CareSetting::Unscheduled.code(),
            result: None,
        },
    ))
}

/// `POST /check-a-child`: a lookup writes (the audit event, and on an unscheduled hit the
/// notification), so it is a CSRF-checked form, not a link.
pub(crate) async fn check(
    State(st): State<AppState>,
    u: SignedIn,
    CsrfForm(form): CsrfForm<CheckForm>,
) -> Page {
    let chrome = Chrome::user("Check a child", &u.user, &u.csrf, &st.app, "/check-a-child");
    let care = match CareSetting::parse(&form.care) {
        Ok(c) => c,
        Err(_) => {
            let errors = vec![FieldError::new(
                "care",
                "Select unscheduled care or scheduled care",
            )];
            return Ok(render_status(
                StatusCode::BAD_REQUEST,
                &CheckPage {
                    chrome: chrome.with_errors(errors),
                    nhs_number: form.nhs_number,
                    care: CareSetting::Unscheduled.code(),
                    result: None,
                },
            ));
        }
    };
    match st.app.check_a_child(&u.user, &form.nhs_number, care).await {
        Ok(result) => Ok(render_status(
            StatusCode::OK,
            &CheckPage {
                chrome,
                nhs_number: result.nhs_number.to_string(),
                care: care.code(),
                result: Some(result),
            },
        )),
        Err(AppError::Invalid(errors)) => Ok(render_status(
            StatusCode::BAD_REQUEST,
            &CheckPage {
                chrome: chrome.with_errors(errors),
                nhs_number: form.nhs_number,
                care: care.code(),
                result: None,
            },
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "flag_inbox.html")]
struct InboxPage {
    chrome: Chrome,
    inbox: Inbox,
    coverage: Coverage,
    q: InboxQuery,
}

impl InboxPage {
    fn coverage_line(&self) -> String {
        match self.coverage.percent() {
            Some(p) => format!(
                "{} of {} children on a child protection plan or looked after have an NHS number recorded ({p}%)",
                self.coverage.matched(),
                self.coverage.total()
            ),
            None => "No child is on a child protection plan or looked after".into(),
        }
    }

    fn flag_codes(&self, n: &safeguard_domain::AccessNotification) -> String {
        n.flags
            .iter()
            .map(|(_, k)| k.label())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn states(&self) -> &'static [NoticeState] {
        NoticeState::ALL
    }
}

/// The inbox's filters, as a GET query.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InboxQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    setting: String,
}

impl InboxQuery {
    fn filter(&self, today: jiff::civil::Date) -> NoticeFilter {
        let days = match self.period.as_str() {
            "today" => Some(0),
            "7" => Some(6),
            "30" => Some(29),
            _ => None,
        };
        NoticeFilter {
            state: NoticeState::parse(&self.state).ok(),
            from: days.map(|d| today.saturating_sub(jiff::Span::new().days(d))),
            to: None,
            setting: self.setting.parse::<AgencyId>().ok(),
        }
    }
}

/// `GET /flag-notifications`: the LA's inbox of accesses, filtered, with its coverage.
pub(crate) async fn inbox(
    State(st): State<AppState>,
    u: SignedIn,
    q: Result<Query<InboxQuery>, axum::extract::rejection::QueryRejection>,
) -> Page {
    let Ok(Query(q)) = q else {
        return Err(WebError::BadRequest(
            "The filter contained a field this page does not accept",
        ));
    };
    let inbox = st
        .app
        .flag_inbox(&u.user, &q.filter(st.app.today()))
        .await?;
    let coverage = st.app.flag_coverage_for(&u.user).await?;
    Ok(render_status(
        StatusCode::OK,
        &InboxPage {
            chrome: Chrome::user(
                "Flag accesses",
                &u.user,
                &u.csrf,
                &st.app,
                "/flag-notifications",
            ),
            inbox,
            coverage,
            q,
        },
    ))
}

/// The state a worker sets.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StateForm {
    state: String,
}

/// `POST /flag-notifications/{id}/state`.
pub(crate) async fn set_state(
    State(st): State<AppState>,
    u: SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<StateForm>,
) -> Page {
    let id: AccessNotificationId = id.parse().map_err(|_| WebError::NotFound)?;
    let state = NoticeState::parse(&form.state)
        .map_err(|_| WebError::BadRequest("Choose seen, actioned or not seen"))?;
    st.app.set_notice_state(&u.user, id, state).await?;
    Ok(Redirect::to("/flag-notifications").into_response())
}
