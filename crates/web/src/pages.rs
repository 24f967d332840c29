//! Page handlers: extract, call one use-case, render.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use qrcode::QrCode;
use qrcode::render::svg;
use safeguard_app::auth::{NewAccount, NextStep, SessionView};
use safeguard_app::{AppError, FieldError};
use safeguard_domain::{Agency, AgencyId, AgencyKind, ChildId, PractitionerId};

use crate::AppState;
use crate::forms::{
    AgencyForm, ChildForm, CodeForm, EmptyForm, PractitionerForm, PractitionerUpdateForm,
    SearchForm, SetupForm, SignInForm, TeamForm, parse_roles, parse_team,
};
use crate::session::{ClearSession, CsrfForm, Session, SetSession, SignedIn};
use crate::views::*;

type Page = Result<Response, WebError>;

/// Redirect and replace the session cookie.
fn redirect_with_session(to: &str, view: &SessionView) -> Response {
    let mut r = Redirect::to(to).into_response();
    r.extensions_mut().insert(SetSession(view.token.clone()));
    r
}

/// Splits an [`AppError`] into field errors to show on the form, or a page-level error.
pub(crate) fn form_errors(e: AppError) -> Result<(Vec<FieldError>, Option<String>), WebError> {
    match e {
        AppError::Invalid(errors) => Ok((errors, None)),
        AppError::Conflict {
            message,
            field,
            existing,
        } => Ok((vec![FieldError::new(field, message)], existing)),
        other => Err(other.into()),
    }
}

/// `GET /`.
pub(crate) async fn root(State(st): State<AppState>, Session(s): Session) -> Page {
    if st.app.needs_first_admin().await? {
        return Ok(Redirect::to("/setup").into_response());
    }
    Ok(Redirect::to(if s.user.is_some() {
        "/home"
    } else {
        "/sign-in"
    })
    .into_response())
}

/// Any unknown path.
pub(crate) async fn not_found() -> WebError {
    WebError::NotFound
}

fn sign_in_page_for(
    st: &AppState,
    s: &SessionView,
    email: &str,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> SignInPage {
    SignInPage {
        chrome: Chrome::public("Sign in", &s.csrf_token, st.app.config().demo).with_errors(errors),
        email: email.to_owned(),
        demo_logins: st.demo_logins.clone(),
        demo_password: safeguard_app::demo::DEMO_PASSWORD,
        notice,
    }
}

/// `GET /sign-in`.
pub(crate) async fn sign_in_page(State(st): State<AppState>, Session(s): Session) -> Page {
    if s.user.is_some() {
        return Ok(Redirect::to("/home").into_response());
    }
    if st.app.needs_first_admin().await? {
        return Ok(Redirect::to("/setup").into_response());
    }
    Ok(render(&sign_in_page_for(&st, &s, "", vec![], None)))
}

/// `POST /sign-in`.
pub(crate) async fn sign_in(
    State(st): State<AppState>,
    Session(s): Session,
    CsrfForm(f): CsrfForm<SignInForm>,
) -> Page {
    if f.email.trim().is_empty() || f.password.is_empty() {
        let errors = vec![FieldError::new(
            "email",
            "Enter your email address and password",
        )];
        return Ok(render_status(
            StatusCode::BAD_REQUEST,
            &sign_in_page_for(&st, &s, &f.email, errors, None),
        ));
    }
    match st.app.sign_in(&s.token, &f.email, &f.password).await {
        Ok((view, next)) => Ok(redirect_with_session(
            match next {
                NextStep::Totp => "/sign-in/code",
                NextStep::Enrol => "/sign-in/set-up-authenticator",
                NextStep::Done => "/home",
            },
            &view,
        )),
        Err(AppError::SignInFailed) => {
            let errors = vec![FieldError::new(
                "email",
                "The email address or password is not right, or the account is locked. Try again or ask your administrator.",
            )];
            Ok(render_status(
                StatusCode::UNAUTHORIZED,
                &sign_in_page_for(&st, &s, &f.email, errors, None),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /sign-in/code`.
pub(crate) async fn code_page(State(st): State<AppState>, Session(s): Session) -> Page {
    if s.practitioner.is_none() {
        return Ok(Redirect::to("/sign-in").into_response());
    }
    Ok(render(&CodePage {
        chrome: Chrome::public(
            "Enter your security code",
            &s.csrf_token,
            st.app.config().demo,
        ),
    }))
}

/// `POST /sign-in/code`.
pub(crate) async fn code(
    State(st): State<AppState>,
    Session(s): Session,
    CsrfForm(f): CsrfForm<CodeForm>,
) -> Page {
    match st.app.verify_totp(&s.token, &f.code).await {
        Ok(view) => Ok(redirect_with_session("/home", &view)),
        Err(AppError::Invalid(errors)) => Ok(render_status(
            StatusCode::BAD_REQUEST,
            &CodePage {
                chrome: Chrome::public(
                    "Enter your security code",
                    &s.csrf_token,
                    st.app.config().demo,
                )
                .with_errors(errors),
            },
        )),
        Err(AppError::SignInFailed) => Ok(render_status(
            StatusCode::UNAUTHORIZED,
            &sign_in_page_for(
                &st,
                &s,
                "",
                vec![FieldError::new(
                    "email",
                    "The email address or password is not right, or the account is locked. Try again or ask your administrator.",
                )],
                None,
            ),
        )),
        Err(e) => Err(e.into()),
    }
}

fn qr_svg(uri: &str) -> String {
    match QrCode::new(uri.as_bytes()) {
        Ok(code) => code
            .render::<svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

async fn enrol_render(st: &AppState, s: &SessionView, errors: Vec<FieldError>) -> Page {
    let e = st.app.begin_enrolment(&s.token).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(render_status(
        status,
        &EnrolPage {
            chrome: Chrome::public(
                "Set up your authenticator app",
                &s.csrf_token,
                st.app.config().demo,
            )
            .with_errors(errors),
            qr_svg: qr_svg(&e.uri),
            secret: e.secret,
        },
    ))
}

/// `GET /sign-in/set-up-authenticator`.
pub(crate) async fn enrol_page(State(st): State<AppState>, Session(s): Session) -> Page {
    if s.practitioner.is_none() {
        return Ok(Redirect::to("/sign-in").into_response());
    }
    enrol_render(&st, &s, vec![]).await
}

/// `POST /sign-in/set-up-authenticator`.
pub(crate) async fn enrol(
    State(st): State<AppState>,
    Session(s): Session,
    CsrfForm(f): CsrfForm<CodeForm>,
) -> Page {
    match st.app.confirm_enrolment(&s.token, &f.code).await {
        Ok(view) => Ok(redirect_with_session("/home", &view)),
        Err(AppError::Invalid(errors)) => enrol_render(&st, &s, errors).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /sign-out`.
pub(crate) async fn sign_out(
    State(st): State<AppState>,
    Session(s): Session,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Page {
    st.app.sign_out(&s.token).await?;
    let mut r = Redirect::to("/sign-in").into_response();
    r.extensions_mut().insert(ClearSession);
    Ok(r)
}

/// `GET /setup`: first-run creation of the first administrator.
pub(crate) async fn setup_page(State(st): State<AppState>, Session(s): Session) -> Page {
    if !st.app.needs_first_admin().await? {
        return Ok(Redirect::to("/sign-in").into_response());
    }
    Ok(render(&SetupPage {
        chrome: Chrome::public("Set up Safeguard", &s.csrf_token, false),
        form: SetupForm::default(),
    }))
}

/// `POST /setup`.
pub(crate) async fn setup(
    State(st): State<AppState>,
    Session(s): Session,
    CsrfForm(f): CsrfForm<SetupForm>,
) -> Page {
    if !st.app.needs_first_admin().await? {
        return Ok(Redirect::to("/sign-in").into_response());
    }
    let mut errors = Vec::new();
    if f.password != f.password_confirm {
        errors.push(FieldError::new(
            "password_confirm",
            "The passwords do not match",
        ));
    }
    if f.la_name.trim().is_empty() {
        errors.push(FieldError::new(
            "la_name",
            "Enter the local authority's name",
        ));
    }
    let agency = Agency {
        id: AgencyId::new(),
        kind: AgencyKind::LocalAuthority,
        name: f.la_name.trim().to_owned(),
        ods_code: None,
        urn: None,
        la_code: Some(f.la_code.trim().to_owned()).filter(|c| !c.is_empty()),
        phone: None,
        out_of_hours_phone: None,
    };
    if errors.is_empty() {
        let new = NewAccount {
            email: f.email.clone(),
            name: f.name.clone(),
            agency: agency.id,
            team: None,
            roles: vec![],
            password: f.password.clone(),
        };
        match st.app.create_first_admin(agency, new).await {
            Ok(_) => {
                let page = sign_in_page_for(&st, &s, &f.email, vec![], Some("The administrator account is ready. Sign in to set up the authenticator app and add agencies, teams and practitioners.".into()));
                return Ok(render(&page));
            }
            Err(e) => errors = form_errors(e)?.0,
        }
    }
    let mut form = f;
    form.password.clear();
    form.password_confirm.clear();
    Ok(render_status(
        StatusCode::BAD_REQUEST,
        &SetupPage {
            chrome: Chrome::public("Set up Safeguard", &s.csrf_token, false).with_errors(errors),
            form,
        },
    ))
}

/// `GET /home`: "Your work".
pub(crate) async fn home(State(st): State<AppState>, u: SignedIn) -> Page {
    let work = st.app.your_work(&u.user).await?;
    Ok(render(&HomePage {
        chrome: Chrome::user("Your work", &u.user, &u.csrf, &st.app, "/home"),
        team: u
            .user
            .team
            .as_ref()
            .map(|t| t.name.clone())
            .unwrap_or_default(),
        user: u.user,
        allocated: work.allocated,
        due: work.due,
        can_search: work.can_search,
        can_create: work.can_create,
        is_admin: work.is_admin,
        early_help_led: work.early_help_led,
    }))
}

/// `GET /children/search`.
pub(crate) async fn search(
    State(st): State<AppState>,
    u: SignedIn,
    q: Result<Query<SearchForm>, axum::extract::rejection::QueryRejection>,
) -> Page {
    let Ok(Query(q)) = q else {
        return Err(WebError::BadRequest(
            "The search contained a field this page does not accept",
        ));
    };
    let chrome = Chrome::user(
        "Find a child",
        &u.user,
        &u.csrf,
        &st.app,
        "/children/search",
    );
    if q.is_blank() {
        return Ok(render(&SearchPage {
            chrome,
            q,
            results: None,
        }));
    }
    let query = match q.parse() {
        Ok(query) => query,
        Err(errors) => {
            return Ok(render_status(
                StatusCode::BAD_REQUEST,
                &SearchPage {
                    chrome: chrome.with_errors(errors),
                    q,
                    results: None,
                },
            ));
        }
    };
    match st.app.search_children(&u.user, &query).await {
        Ok(results) => Ok(render(&SearchPage {
            chrome,
            q,
            results: Some(results),
        })),
        Err(e) => {
            let (errors, _) = form_errors(e)?;
            Ok(render_status(
                StatusCode::BAD_REQUEST,
                &SearchPage {
                    chrome: chrome.with_errors(errors),
                    q,
                    results: None,
                },
            ))
        }
    }
}

fn child_id(s: &str) -> Result<ChildId, WebError> {
    s.parse().map_err(|_| WebError::NotFound)
}

/// `GET /children/{id}`.
pub(crate) async fn child(State(st): State<AppState>, u: SignedIn, Path(id): Path<String>) -> Page {
    child_page(&st, &u, child_id(&id)?, Default::default(), vec![]).await
}

async fn child_page(
    st: &AppState,
    u: &SignedIn,
    id: ChildId,
    step: crate::front_door_forms::CaseStepForm,
    errors: Vec<FieldError>,
) -> Page {
    let r = st.app.view_child(&u.user, id).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(render_status(
        status,
        &ChildPage {
            chrome: Chrome::user(&r.child.name.full(), &u.user, &u.csrf, &st.app, "")
                .with_errors(errors),
            r,
            step,
            categories: safeguard_domain::AbuseCategory::ALL,
        },
    ))
}

/// `POST /cases/{id}/steps`: record the next step of a child's case.
pub(crate) async fn case_step(
    State(st): State<AppState>,
    u: SignedIn,
    Path((child, case)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<crate::front_door_forms::CaseStepForm>,
) -> Page {
    let child = child_id(&child)?;
    let case: safeguard_domain::CaseId = case.parse().map_err(|_| WebError::NotFound)?;
    let result = match f.parse() {
        Ok(input) => st
            .app
            .record_case_step(&u.user, case, input)
            .await
            .map_err(form_errors),
        Err(errors) => Err(Ok((errors, None))),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/children/{child}#case")).into_response()),
        Err(e) => child_page(&st, &u, child, f, e?.0).await,
    }
}

async fn child_form_page(
    st: &AppState,
    u: &SignedIn,
    heading: &str,
    action: String,
    f: ChildForm,
    errors: Vec<FieldError>,
    conflict_link: Option<String>,
) -> Page {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let current = if action == "/children/new" {
        "/children/new"
    } else {
        ""
    };
    Ok(render_status(
        status,
        &ChildFormPage {
            chrome: Chrome::user(heading, &u.user, &u.csrf, &st.app, current).with_errors(errors),
            heading: heading.to_owned(),
            action,
            f,
            settings: st.app.settings().await?,
            conflict_link,
        },
    ))
}

/// `GET /children/new`.
pub(crate) async fn new_child_page(State(st): State<AppState>, u: SignedIn) -> Page {
    if !st.app.capabilities(&u.user).can_create {
        return Err(WebError::Forbidden(
            "only local authority case workers record new children",
        ));
    }
    child_form_page(
        &st,
        &u,
        "Add a child",
        "/children/new".into(),
        ChildForm::default(),
        vec![],
        None,
    )
    .await
}

/// `POST /children/new`.
pub(crate) async fn new_child(
    State(st): State<AppState>,
    u: SignedIn,
    CsrfForm(f): CsrfForm<ChildForm>,
) -> Page {
    let input = match f.parse(st.app.today()) {
        Ok(i) => i,
        Err(errors) => {
            return child_form_page(
                &st,
                &u,
                "Add a child",
                "/children/new".into(),
                f,
                errors,
                None,
            )
            .await;
        }
    };
    match st.app.create_child(&u.user, input).await {
        Ok(id) => Ok(Redirect::to(&format!("/children/{id}")).into_response()),
        Err(e) => {
            let (errors, existing) = form_errors(e)?;
            let link = existing.map(|id| format!("/children/{id}"));
            child_form_page(
                &st,
                &u,
                "Add a child",
                "/children/new".into(),
                f,
                errors,
                link,
            )
            .await
        }
    }
}

/// `GET /children/{id}/edit`.
pub(crate) async fn edit_child_page(
    State(st): State<AppState>,
    u: SignedIn,
    Path(id): Path<String>,
) -> Page {
    let id = child_id(&id)?;
    let child = st.app.child_for_edit(&u.user, id).await?;
    let heading = format!("Edit {}", child.name.full());
    child_form_page(
        &st,
        &u,
        &heading,
        format!("/children/{id}/edit"),
        ChildForm::from_child(&child),
        vec![],
        None,
    )
    .await
}

/// `POST /children/{id}/edit`.
pub(crate) async fn edit_child(
    State(st): State<AppState>,
    u: SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<ChildForm>,
) -> Page {
    let id = child_id(&id)?;
    let action = format!("/children/{id}/edit");
    let input = match f.parse(st.app.today()) {
        Ok(i) => i,
        Err(errors) => {
            return child_form_page(&st, &u, "Edit child", action, f, errors, None).await;
        }
    };
    match st.app.update_child(&u.user, id, input).await {
        Ok(()) => Ok(Redirect::to(&format!("/children/{id}")).into_response()),
        Err(e) => {
            let (errors, existing) = form_errors(e)?;
            let link = existing
                .filter(|e| *e != id.to_string())
                .map(|id| format!("/children/{id}"));
            child_form_page(&st, &u, "Edit child", action, f, errors, link).await
        }
    }
}

struct AdminForms {
    agency: AgencyForm,
    team: TeamForm,
    practitioner: PractitionerForm,
}

async fn admin_render(
    st: &AppState,
    u: &SignedIn,
    forms: AdminForms,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> Page {
    let o = st.app.admin_overview(&u.user).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(render_status(
        status,
        &AdminPage {
            chrome: Chrome::user("Administration", &u.user, &u.csrf, &st.app, "/admin")
                .with_errors(errors),
            agencies: o.agencies,
            teams: o.teams,
            practitioners: o.practitioners,
            agency_form: forms.agency,
            team_form: forms.team,
            practitioner_form: forms.practitioner,
            notice,
        },
    ))
}

fn blank_forms() -> AdminForms {
    AdminForms {
        agency: AgencyForm::default(),
        team: TeamForm::default(),
        practitioner: PractitionerForm::default(),
    }
}

/// `GET /admin`.
pub(crate) async fn admin(State(st): State<AppState>, u: SignedIn) -> Page {
    admin_render(&st, &u, blank_forms(), vec![], None).await
}

/// `POST /admin/agencies`.
pub(crate) async fn admin_agency(
    State(st): State<AppState>,
    u: SignedIn,
    CsrfForm(f): CsrfForm<AgencyForm>,
) -> Page {
    let result = match f.parse() {
        Ok(a) => st
            .app
            .admin_create_agency(&u.user, a)
            .await
            .map_err(form_errors),
        Err(errors) => Err(Ok((errors, None))),
    };
    match result {
        Ok(_) => {
            admin_render(
                &st,
                &u,
                blank_forms(),
                vec![],
                Some(format!("Agency '{}' added", f.name.trim())),
            )
            .await
        }
        Err(e) => {
            admin_render(
                &st,
                &u,
                AdminForms {
                    agency: f,
                    ..blank_forms()
                },
                e?.0,
                None,
            )
            .await
        }
    }
}

/// `POST /admin/teams`.
pub(crate) async fn admin_team(
    State(st): State<AppState>,
    u: SignedIn,
    CsrfForm(f): CsrfForm<TeamForm>,
) -> Page {
    let result = match f.team_agency.parse::<AgencyId>() {
        Ok(a) => st
            .app
            .admin_create_team(&u.user, a, &f.team_name)
            .await
            .map_err(form_errors),
        Err(_) => Err(Ok((
            vec![FieldError::new(
                "team_agency",
                "Select the agency the team belongs to",
            )],
            None,
        ))),
    };
    match result {
        Ok(_) => {
            admin_render(
                &st,
                &u,
                blank_forms(),
                vec![],
                Some(format!("Team '{}' added", f.team_name.trim())),
            )
            .await
        }
        Err(e) => {
            admin_render(
                &st,
                &u,
                AdminForms {
                    team: f,
                    ..blank_forms()
                },
                e?.0,
                None,
            )
            .await
        }
    }
}

/// `POST /admin/practitioners`.
pub(crate) async fn admin_practitioner(
    State(st): State<AppState>,
    u: SignedIn,
    CsrfForm(f): CsrfForm<PractitionerForm>,
) -> Page {
    let parsed = (|| -> Result<NewAccount, Vec<FieldError>> {
        let agency = f.agency.parse::<AgencyId>().map_err(|_| {
            vec![FieldError::new(
                "agency",
                "Select the practitioner's agency",
            )]
        })?;
        let roles = parse_roles(&f.roles).map_err(|e| vec![e])?;
        let team = parse_team(&f.team).map_err(|e| vec![e])?;
        Ok(NewAccount {
            email: f.email.clone(),
            name: f.name.clone(),
            agency,
            team,
            roles,
            password: f.password.clone(),
        })
    })();
    let result = match parsed {
        Ok(new) => st
            .app
            .admin_create_practitioner(&u.user, new)
            .await
            .map_err(form_errors),
        Err(errors) => Err(Ok((errors, None))),
    };
    match result {
        Ok(_) => admin_render(&st, &u, blank_forms(), vec![], Some(format!("Practitioner '{}' added. They set up their authenticator app when they first sign in.", f.name.trim()))).await,
        Err(e) => {
            let mut f = f;
            f.password.clear();
            admin_render(&st, &u, AdminForms { practitioner: f, ..blank_forms() }, e?.0, None).await
        }
    }
}

fn practitioner_id(s: &str) -> Result<PractitionerId, WebError> {
    s.parse().map_err(|_| WebError::NotFound)
}

async fn practitioner_page(
    st: &AppState,
    u: &SignedIn,
    id: PractitionerId,
    errors: Vec<FieldError>,
    form: Option<PractitionerUpdateForm>,
) -> Page {
    let o = st.app.admin_overview(&u.user).await?;
    let p = o
        .practitioners
        .into_iter()
        .find(|p| p.id == id)
        .ok_or(WebError::NotFound)?;
    let (roles, active) = match form {
        Some(f) => (f.roles, f.active.is_some()),
        None => (
            p.roles.iter().map(|r| r.code().to_owned()).collect(),
            p.active,
        ),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(render_status(
        status,
        &AdminPractitionerPage {
            chrome: Chrome::user(
                &format!("Change {}", p.name),
                &u.user,
                &u.csrf,
                &st.app,
                "/admin",
            )
            .with_errors(errors),
            p,
            roles,
            active,
        },
    ))
}

/// `GET /admin/practitioners/{id}`.
pub(crate) async fn admin_practitioner_page(
    State(st): State<AppState>,
    u: SignedIn,
    Path(id): Path<String>,
) -> Page {
    practitioner_page(&st, &u, practitioner_id(&id)?, vec![], None).await
}

/// `POST /admin/practitioners/{id}`.
pub(crate) async fn admin_practitioner_update(
    State(st): State<AppState>,
    u: SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<PractitionerUpdateForm>,
) -> Page {
    let id = practitioner_id(&id)?;
    let result = match parse_roles(&f.roles) {
        Ok(roles) => st
            .app
            .admin_update_practitioner(&u.user, id, roles, f.active.is_some())
            .await
            .map_err(form_errors),
        Err(e) => Err(Ok((vec![e], None))),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/admin").into_response()),
        Err(e) => practitioner_page(&st, &u, id, e?.0, Some(f)).await,
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChronologyFilter {
    #[serde(default)]
    agency: String,
    #[serde(default)]
    kind: String,
}

/// `GET /children/{id}/chronology[?agency=ID][&kind=TYPE]`: the multi-agency chronology on its
/// own, filtered by agency and by type of entry, laid out to print. The viewer must be able to
/// open the child's record; the filters only narrow what that shows.
pub(crate) async fn chronology(
    State(st): State<AppState>,
    u: SignedIn,
    Path(id): Path<String>,
    q: Result<Query<ChronologyFilter>, axum::extract::rejection::QueryRejection>,
) -> Page {
    let Ok(Query(q)) = q else {
        return Err(WebError::BadRequest(
            "The address contained a field this page does not accept",
        ));
    };
    let kind = match q.kind.trim() {
        "" => None,
        code => Some(safeguard_domain::ChronologyKind::parse(code).map_err(|_| {
            WebError::BadRequest("The address asked for a type of entry this page does not know")
        })?),
    };
    let r = st.app.view_child(&u.user, child_id(&id)?).await?;
    let kinds: Vec<safeguard_domain::ChronologyKind> = safeguard_domain::ChronologyKind::ALL
        .iter()
        .copied()
        .filter(|k| Some(*k) == kind || r.chronology.iter().any(|l| l.entry.kind == *k))
        .collect();
    let mut agencies: Vec<(String, String)> = Vec::new();
    for line in &r.chronology {
        if let (Some(a), Some(name)) = (line.entry.agency, &line.agency_name)
            && !agencies.iter().any(|(id, _)| *id == a.to_string())
        {
            agencies.push((a.to_string(), name.clone()));
        }
    }
    let lines = r
        .chronology
        .iter()
        .filter(|l| {
            (q.agency.is_empty() || l.entry.agency.map(|a| a.to_string()) == Some(q.agency.clone()))
                && kind.is_none_or(|k| l.entry.kind == k)
        })
        .cloned()
        .collect();
    Ok(render(&crate::views::ChronologyPage {
        chrome: Chrome::user(
            &format!("Chronology: {}", r.child.name.full()),
            &u.user,
            &u.csrf,
            &st.app,
            "",
        ),
        child: r.child,
        lines,
        agencies,
        selected: q.agency,
        kinds,
        selected_kind: kind.map(|k| k.code()).unwrap_or_default(),
    }))
}
