//! View models, templates and the one place errors become HTTP responses.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use safeguard_app::children::{ChildRecord, ChildSummary};
use safeguard_app::demo::DemoLogin;
use safeguard_app::{AppError, CurrentUser, FieldError};
use safeguard_domain::{Agency, Birth, Practitioner, Role, Team};

/// A link in the service navigation.
#[derive(Debug, Clone)]
pub(crate) struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What every page's frame needs: title, who is signed in, navigation, the CSRF token for the
/// sign-out form, the demo banner and the error summary.
#[derive(Debug, Clone, Default)]
pub(crate) struct Chrome {
    pub title: String,
    pub user_name: Option<String>,
    pub agency_name: String,
    pub csrf: String,
    pub demo: bool,
    pub nav: Vec<NavItem>,
    pub errors: Vec<FieldError>,
}

impl Chrome {
    /// A page for someone not signed in.
    pub fn public(title: &str, csrf: &str, demo: bool) -> Self {
        Self {
            title: title.to_owned(),
            csrf: csrf.to_owned(),
            demo,
            ..Self::default()
        }
    }

    /// A page for a signed-in user; `current` is the path of the nav item to mark.
    pub fn user(
        title: &str,
        user: &CurrentUser,
        csrf: &str,
        app: &safeguard_app::App,
        current: &str,
    ) -> Self {
        let caps = app.capabilities(user);
        let manages = user.team.is_some()
            && user
                .practitioner
                .has_role(safeguard_domain::Role::TeamManager);
        let items: [(bool, &'static str, &'static str); 11] = [
            (true, "/home", "Your work"),
            (manages, "/team", "Your team"),
            (caps.can_search, "/children/search", "Find a child"),
            (caps.can_create, "/children/new", "Add a child"),
            (caps.can_refer, "/concerns", "Concerns"),
            (caps.can_refer, "/referrals", "My referrals"),
            (caps.can_check_flags, "/check-a-child", "Check a child"),
            (caps.can_screen, "/front-door", "Front door"),
            (
                caps.can_work_flag_notices,
                "/flag-notifications",
                "Flag accesses",
            ),
            (
                caps.can_refer || caps.can_screen,
                "/notifications",
                "Notifications",
            ),
            (caps.is_admin, "/admin", "Administration"),
        ];
        let mut nav: Vec<NavItem> = items
            .into_iter()
            .filter(|(shown, _, _)| *shown)
            .map(|(_, href, label)| NavItem {
                href,
                label,
                current: false,
            })
            .collect();
        for n in &mut nav {
            n.current = n.href == current;
        }
        Self {
            title: title.to_owned(),
            user_name: Some(user.practitioner.name.clone()),
            agency_name: user.agency.name.clone(),
            csrf: csrf.to_owned(),
            demo: user.demo || app.config().demo,
            nav,
            errors: Vec::new(),
        }
    }

    /// Adds errors (the page title gains "Error: ", as the GOV.UK pattern asks).
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    /// The full `<title>`.
    pub fn page_title(&self) -> String {
        let prefix = if self.errors.is_empty() {
            ""
        } else {
            "Error: "
        };
        format!("{prefix}{} – Safeguard", self.title)
    }

    /// The error message for a field, if any.
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// `govuk-form-group--error` when the field has an error.
    pub fn group_class(&self, field: &str) -> &'static str {
        if self.error(field).is_some() {
            " govuk-form-group--error"
        } else {
            ""
        }
    }

    /// `govuk-input--error` when the field has an error.
    pub fn input_class(&self, field: &str) -> &'static str {
        if self.error(field).is_some() {
            " govuk-input--error"
        } else {
            ""
        }
    }
}

/// Renders a template, or the 500 page if rendering fails.
pub(crate) fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            WebError::Internal.into_response()
        }
    }
}

/// Renders with a status code.
pub(crate) fn render_status<T: Template>(status: StatusCode, t: &T) -> Response {
    let mut r = render(t);
    if r.status() == StatusCode::OK {
        *r.status_mut() = status;
    }
    r
}

/// Formats a date as GOV.UK style "14 March 2015".
pub(crate) fn long_date(d: &jiff::civil::Date) -> String {
    d.strftime("%-d %B %Y").to_string()
}

/// "14 March 2015", or "Expected 5 January 2027" for an unborn child.
pub(crate) fn birth_text(b: &Birth) -> String {
    match *b {
        Birth::Born(d) => long_date(&d),
        Birth::Expected(d) => format!("Expected {}", long_date(&d)),
    }
}

/// A moment as "23 November 2026, 10:05", in England's time.
pub(crate) fn when(t: &jiff::Timestamp) -> String {
    match jiff::tz::TimeZone::get("Europe/London") {
        Ok(tz) => t.to_zoned(tz).strftime("%-d %B %Y, %H:%M").to_string(),
        Err(_) => t.strftime("%-d %B %Y, %H:%M UTC").to_string(),
    }
}

/// "overdue", "today" or "" for a due date against today.
pub(crate) fn due_state(due: &jiff::civil::Date, today: &jiff::civil::Date) -> &'static str {
    match due.cmp(today) {
        std::cmp::Ordering::Less => "overdue",
        std::cmp::Ordering::Equal => "today",
        std::cmp::Ordering::Greater => "",
    }
}

/// "T3" for a timescale rule.
pub(crate) fn rule_code(id: &safeguard_domain::timescales::RuleId) -> &'static str {
    safeguard_domain::timescales::rule(*id).code
}

/// Roles as a readable list.
pub(crate) fn roles_text(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.label())
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage {
    pub chrome: Chrome,
    pub heading: String,
    pub body: String,
}

/// A policy reason as the start of a sentence: "No legitimate relationship ...".
fn sentence(reason: &str) -> String {
    let mut chars = reason.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Everything that can go wrong in a handler, mapped to a page in one place.
#[derive(Debug)]
pub(crate) enum WebError {
    NotFound,
    Forbidden(&'static str),
    BadRequest(&'static str),
    TooLarge,
    Internal,
    Unauthenticated,
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Denied(reason) => WebError::Forbidden(reason),
            AppError::NotFound(_) => WebError::NotFound,
            AppError::Unauthenticated | AppError::SignInFailed => WebError::Unauthenticated,
            AppError::Invalid(_) | AppError::Conflict { .. } => {
                WebError::BadRequest("The form could not be saved")
            }
            AppError::Store(err) => {
                // Logged once, here; the page says nothing internal.
                tracing::error!(error = %err, "store error");
                WebError::Internal
            }
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, heading, body): (StatusCode, &str, String) = match self {
            WebError::Unauthenticated => return Redirect::to("/sign-in").into_response(),
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "If you typed the web address, check it is correct. If you followed a link to a child's record, the record may not exist.".into(),
            ),
            WebError::Forbidden(reason) => (
                StatusCode::FORBIDDEN,
                "You do not have access to this",
                format!("{}. This attempt has been recorded. If you need access, ask your team manager or the data protection officer.", sentence(reason)),
            ),
            WebError::BadRequest(reason) => (
                StatusCode::BAD_REQUEST,
                "There is a problem with the request",
                format!("{reason}."),
            ),
            WebError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "The form is too large",
                "Shorten what you entered and try again.".into(),
            ),
            WebError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, there is a problem with the service",
                "Try again later. Nothing you entered on this page was saved.".into(),
            ),
        };
        render_status(
            status,
            &ErrorPage {
                chrome: Chrome::public(heading, "", false),
                heading: heading.to_owned(),
                body,
            },
        )
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
pub(crate) struct SignInPage {
    pub chrome: Chrome,
    pub email: String,
    pub demo_logins: Vec<DemoLogin>,
    pub demo_password: &'static str,
    pub notice: Option<String>,
}

#[derive(Template)]
#[template(path = "code.html")]
pub(crate) struct CodePage {
    pub chrome: Chrome,
}

#[derive(Template)]
#[template(path = "enrol.html")]
pub(crate) struct EnrolPage {
    pub chrome: Chrome,
    pub qr_svg: String,
    pub secret: String,
}

#[derive(Template)]
#[template(path = "setup.html")]
pub(crate) struct SetupPage {
    pub chrome: Chrome,
    pub form: crate::forms::SetupForm,
}

#[derive(Template)]
#[template(path = "home.html")]
pub(crate) struct HomePage {
    pub chrome: Chrome,
    pub user: CurrentUser,
    pub team: String,
    pub allocated: Vec<ChildSummary>,
    pub due: Vec<safeguard_app::children::DueItem>,
    pub can_search: bool,
    pub can_create: bool,
    pub is_admin: bool,
    pub early_help_led: Vec<(safeguard_domain::EarlyHelpEpisode, String)>,
}

#[derive(Template)]
#[template(path = "search.html")]
pub(crate) struct SearchPage {
    pub chrome: Chrome,
    pub q: crate::forms::SearchForm,
    pub results: Option<Vec<ChildSummary>>,
}

#[derive(Template)]
#[template(path = "child.html")]
pub(crate) struct ChildPage {
    pub chrome: Chrome,
    pub r: ChildRecord,
    pub step: crate::front_door_forms::CaseStepForm,
    pub categories: &'static [safeguard_domain::AbuseCategory],
}

#[derive(Template)]
#[template(path = "chronology.html")]
pub(crate) struct ChronologyPage {
    pub chrome: Chrome,
    pub child: safeguard_domain::Child,
    pub lines: Vec<safeguard_app::children::ChronologyLine>,
    pub agencies: Vec<(String, String)>,
    pub selected: String,
    pub kinds: Vec<safeguard_domain::ChronologyKind>,
    pub selected_kind: &'static str,
}

#[derive(Template)]
#[template(path = "child_form.html")]
pub(crate) struct ChildFormPage {
    pub chrome: Chrome,
    pub heading: String,
    pub action: String,
    pub f: crate::forms::ChildForm,
    pub settings: Vec<Agency>,
    pub conflict_link: Option<String>,
}

#[derive(Template)]
#[template(path = "admin.html")]
pub(crate) struct AdminPage {
    pub chrome: Chrome,
    pub agencies: Vec<Agency>,
    pub teams: Vec<Team>,
    pub practitioners: Vec<Practitioner>,
    pub agency_form: crate::forms::AgencyForm,
    pub team_form: crate::forms::TeamForm,
    pub practitioner_form: crate::forms::PractitionerForm,
    pub notice: Option<String>,
}

impl AdminPage {
    pub fn agency_name(&self, id: &safeguard_domain::AgencyId) -> String {
        self.agencies
            .iter()
            .find(|a| &a.id == id)
            .map(|a| a.name.clone())
            .unwrap_or_default()
    }
    pub fn team_name(&self, id: &Option<safeguard_domain::TeamId>) -> String {
        id.and_then(|t| self.teams.iter().find(|x| x.id == t))
            .map(|t| t.name.clone())
            .unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "admin_practitioner.html")]
pub(crate) struct AdminPractitionerPage {
    pub chrome: Chrome,
    pub p: Practitioner,
    pub roles: Vec<String>,
    pub active: bool,
}

impl AdminPractitionerPage {
    pub fn has_role(&self, code: &str) -> bool {
        self.roles.iter().any(|c| c == code)
    }
}

/// "Children allocated to you (3)".
pub(crate) fn allocated_caption(n: usize) -> String {
    format!("Children allocated to you ({n})")
}

/// "3 children found".
pub(crate) fn found_caption(n: usize) -> String {
    format!("{n} {} found", if n == 1 { "child" } else { "children" })
}

/// Every role, for checkboxes.
pub(crate) fn all_roles() -> &'static [Role] {
    Role::ALL
}

/// Every agency kind, for the select.
pub(crate) fn all_kinds() -> &'static [safeguard_domain::AgencyKind] {
    safeguard_domain::AgencyKind::ALL
}
