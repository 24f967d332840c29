//! Pages of the front door: concerns, referrals, "My referrals", the screening queue and the
//! screening page, and notifications.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use safeguard_app::FieldError;
use safeguard_app::referrals::MatchView;
use safeguard_app::referrals::ReferralView;
use safeguard_domain::{
    Agency, AssessmentFactor, ChildId, Concern, ConcernCategory, ConcernId, ConsentStatus,
    ImmediateProtection, LawfulBasis, NotificationId, Referral, ReferralId, ReferralSource,
    Relationship, ScreeningOutcome, Urgency,
};
use safeguard_store::Notification;
use serde::Deserialize;

use crate::AppState;
use crate::forms::EmptyForm;
use crate::front_door_forms::{ChildFields, ConcernForm, DecisionForm, LinkForm, ReferralForm};
use crate::session::{CsrfForm, SignedIn};
use crate::views::{Chrome, WebError, render_status};

type Page = Result<Response, WebError>;

fn status_for(errors: &[FieldError]) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    }
}

/// Choices for the forms' selects and radios.
pub(crate) struct Choices;

impl Choices {
    pub fn categories(&self) -> &'static [ConcernCategory] {
        ConcernCategory::ALL
    }
    pub fn sources(&self) -> &'static [ReferralSource] {
        ReferralSource::ALL
    }
    pub fn factors(&self) -> Vec<AssessmentFactor> {
        AssessmentFactor::ALL
            .iter()
            .copied()
            .filter(|f| !f.is_deprecated())
            .collect()
    }
    pub fn consents(&self) -> &'static [ConsentStatus] {
        ConsentStatus::ALL
    }
    pub fn bases(&self) -> &'static [LawfulBasis] {
        LawfulBasis::ALL
    }
    pub fn urgencies(&self) -> &'static [Urgency] {
        Urgency::ALL
    }
    pub fn relationships(&self) -> &'static [Relationship] {
        Relationship::ALL
    }
    pub fn outcomes(&self) -> &'static [ScreeningOutcome] {
        ScreeningOutcome::ALL
    }
    pub fn protections(&self) -> &'static [ImmediateProtection] {
        ImmediateProtection::ALL
    }
}

#[derive(Template)]
#[template(path = "concerns.html")]
struct ConcernsPage {
    chrome: Chrome,
    concerns: Vec<Concern>,
}

#[derive(Template)]
#[template(path = "concern_form.html")]
struct ConcernFormPage {
    chrome: Chrome,
    f: ConcernForm,
    c: ChildFields,
    choices: Choices,
}

#[derive(Template)]
#[template(path = "concern.html")]
struct ConcernPage {
    chrome: Chrome,
    concern: Concern,
    can_refer: bool,
}

#[derive(Template)]
#[template(path = "referral_form.html")]
struct ReferralFormPage {
    chrome: Chrome,
    heading: String,
    action: String,
    phone: bool,
    f: ReferralForm,
    c: ChildFields,
    las: Vec<Agency>,
    choices: Choices,
    existing: Option<String>,
}

#[derive(Template)]
#[template(path = "my_referrals.html")]
struct MyReferralsPage {
    chrome: Chrome,
    referrals: Vec<Referral>,
}

#[derive(Template)]
#[template(path = "referral.html")]
struct ReferralPage {
    chrome: Chrome,
    v: ReferralView,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "front_door.html")]
struct QueuePage {
    chrome: Chrome,
    /// Each waiting referral with where it stands against the local RAG targets.
    queue: Vec<(Referral, safeguard_domain::rag::Rag)>,
    today: jiff::civil::Date,
    targets: safeguard_domain::rag::RagTargets,
}

#[derive(Template)]
#[template(path = "screening.html")]
struct ScreeningPage {
    chrome: Chrome,
    v: ReferralView,
    m: MatchView,
    d: DecisionForm,
    choices: Choices,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    chrome: Chrome,
    notifications: Vec<Notification>,
}

/// "14 March 2015".
fn day(d: &jiff::civil::Date) -> String {
    crate::views::long_date(d)
}

/// `GET /concerns`.
pub(crate) async fn concerns(State(st): State<AppState>, u: SignedIn) -> Page {
    let concerns = st.app.concerns(&u.user).await?;
    Ok(render_status(
        StatusCode::OK,
        &ConcernsPage {
            chrome: Chrome::user("Concerns", &u.user, &u.csrf, &st.app, "/concerns"),
            concerns,
        },
    ))
}

fn concern_form(st: &AppState, u: &SignedIn, f: ConcernForm, errors: Vec<FieldError>) -> Response {
    render_status(
        status_for(&errors),
        &ConcernFormPage {
            chrome: Chrome::user("Record a concern", &u.user, &u.csrf, &st.app, "/concerns")
                .with_errors(errors),
            c: f.child.clone(),
            f,
            choices: Choices,
        },
    )
}

/// `GET /concerns/new`.
pub(crate) async fn new_concern_page(State(st): State<AppState>, u: SignedIn) -> Page {
    Ok(concern_form(&st, &u, ConcernForm::default(), vec![]))
}

/// `POST /concerns/new`.
pub(crate) async fn new_concern(
    State(st): State<AppState>,
    u: SignedIn,
    CsrfForm(f): CsrfForm<ConcernForm>,
) -> Page {
    let input = match f.parse(st.app.today()) {
        Ok(i) => i,
        Err(errors) => return Ok(concern_form(&st, &u, f, errors)),
    };
    match st.app.record_concern(&u.user, input).await {
        Ok(id) => Ok(Redirect::to(&format!("/concerns/{id}")).into_response()),
        Err(e) => Ok(concern_form(&st, &u, f, crate::pages::form_errors(e)?.0)),
    }
}

/// `GET /concerns/{id}`.
pub(crate) async fn concern(
    State(st): State<AppState>,
    u: SignedIn,
    Path(id): Path<String>,
) -> Page {
    let id: ConcernId = id.parse().map_err(|_| WebError::NotFound)?;
    let (concern, can_refer) = st.app.concern(&u.user, id).await?;
    Ok(render_status(
        StatusCode::OK,
        &ConcernPage {
            chrome: Chrome::user("Concern", &u.user, &u.csrf, &st.app, "/concerns"),
            concern,
            can_refer,
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FromConcern {
    #[serde(default)]
    concern: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn referral_form(
    st: &AppState,
    u: &SignedIn,
    phone: bool,
    f: ReferralForm,
    errors: Vec<FieldError>,
    existing: Option<String>,
) -> Page {
    let (heading, action, current) = if phone {
        (
            "Record a phone contact",
            "/front-door/contacts/new",
            "/front-door",
        )
    } else {
        (
            "Refer a child to children's social care",
            "/referrals/new",
            "/referrals",
        )
    };
    Ok(render_status(
        status_for(&errors),
        &ReferralFormPage {
            chrome: Chrome::user(heading, &u.user, &u.csrf, &st.app, current).with_errors(errors),
            heading: heading.into(),
            action: action.into(),
            phone,
            c: f.child.clone(),
            f,
            las: st.app.local_authorities().await?,
            choices: Choices,
            existing,
        },
    ))
}

/// `GET /referrals/new[?concern=ID]`: pre-filled from the concern, so nothing is typed twice.
pub(crate) async fn new_referral_page(
    State(st): State<AppState>,
    u: SignedIn,
    q: Result<Query<FromConcern>, axum::extract::rejection::QueryRejection>,
) -> Page {
    let Ok(Query(q)) = q else {
        return Err(WebError::BadRequest(
            "The address contained a field this page does not accept",
        ));
    };
    let las = st.app.local_authorities().await?;
    let mut f = ReferralForm {
        la: if las.len() == 1 {
            las[0].id.to_string()
        } else {
            String::new()
        },
        urgency: "standard".into(),
        lawful_basis: LawfulBasis::PublicTask.code().into(),
        ..Default::default()
    };
    if let Some(cid) = q.concern {
        let id: ConcernId = cid.parse().map_err(|_| WebError::NotFound)?;
        let (c, can_refer) = st.app.concern(&u.user, id).await?;
        if !can_refer {
            return Err(WebError::Forbidden(
                "a referral has already been made from this concern, or you may not make one",
            ));
        }
        f.child = ChildFields::from_child(&c.child);
        f.concern = c.id.to_string();
        f.reasons = format!(
            "{}\n\nSeen or said on {}: {}\nWho: {}\nAction taken: {}",
            c.category.label(),
            day(&c.happened_on),
            c.what,
            c.who,
            c.action_taken
        );
        if u.user.agency.kind == safeguard_domain::AgencyKind::School {
            f.source = "2A".into();
        }
    }
    referral_form(&st, &u, false, f, vec![], None).await
}

/// `POST /referrals/new`.
pub(crate) async fn new_referral(
    State(st): State<AppState>,
    u: SignedIn,
    CsrfForm(f): CsrfForm<ReferralForm>,
) -> Page {
    let input = match f.parse(st.app.today()) {
        Ok(i) => i,
        Err(errors) => return referral_form(&st, &u, false, f, errors, None).await,
    };
    match st.app.make_referral(&u.user, input).await {
        Ok(id) => Ok(Redirect::to(&format!("/referrals/{id}?sent=1")).into_response()),
        Err(e) => {
            let (errors, existing) = crate::pages::form_errors(e)?;
            referral_form(&st, &u, false, f, errors, existing).await
        }
    }
}

/// `GET /referrals`: "My referrals".
pub(crate) async fn my_referrals(State(st): State<AppState>, u: SignedIn) -> Page {
    let referrals = st.app.my_referrals(&u.user).await?;
    Ok(render_status(
        StatusCode::OK,
        &MyReferralsPage {
            chrome: Chrome::user("My referrals", &u.user, &u.csrf, &st.app, "/referrals"),
            referrals,
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Sent {
    #[serde(default)]
    sent: Option<String>,
}

/// `GET /referrals/{id}`: the referral, its status and the decision.
pub(crate) async fn referral(
    State(st): State<AppState>,
    u: SignedIn,
    Path(id): Path<String>,
    q: Result<Query<Sent>, axum::extract::rejection::QueryRejection>,
) -> Page {
    let id: ReferralId = id.parse().map_err(|_| WebError::NotFound)?;
    let sent = q.map(|Query(s)| s.sent.is_some()).unwrap_or(false);
    let v = st.app.referral(&u.user, id).await?;
    let notice = sent.then(|| {
        format!(
            "Referral sent. {} has been told and will decide by {}.",
            v.la_name,
            day(&v.referral.decision_due)
        )
    });
    Ok(render_status(
        StatusCode::OK,
        &ReferralPage {
            chrome: Chrome::user("Referral", &u.user, &u.csrf, &st.app, "/referrals"),
            v,
            notice,
        },
    ))
}

/// `GET /front-door`: the queue.
pub(crate) async fn queue(State(st): State<AppState>, u: SignedIn) -> Page {
    let queue = st.app.front_door_queue(&u.user).await?;
    Ok(render_status(
        StatusCode::OK,
        &QueuePage {
            chrome: Chrome::user("Front door", &u.user, &u.csrf, &st.app, "/front-door"),
            queue: queue
                .into_iter()
                .map(|r| {
                    let rag = st.app.front_door_rag(&r);
                    (r, rag)
                })
                .collect(),
            today: st.app.today(),
            targets: st.app.config().rag,
        },
    ))
}

/// `GET /front-door/contacts/new`.
pub(crate) async fn new_contact_page(State(st): State<AppState>, u: SignedIn) -> Page {
    let f = ReferralForm {
        la: u.user.agency.id.to_string(),
        urgency: "standard".into(),
        lawful_basis: LawfulBasis::PublicTask.code().into(),
        ..Default::default()
    };
    referral_form(&st, &u, true, f, vec![], None).await
}

/// `POST /front-door/contacts/new`.
pub(crate) async fn new_contact(
    State(st): State<AppState>,
    u: SignedIn,
    CsrfForm(f): CsrfForm<ReferralForm>,
) -> Page {
    let input = match f.parse(st.app.today()) {
        Ok(i) => i,
        Err(errors) => return referral_form(&st, &u, true, f, errors, None).await,
    };
    match st.app.record_contact(&u.user, input).await {
        Ok(id) => Ok(Redirect::to(&format!("/front-door/{id}")).into_response()),
        Err(e) => {
            let (errors, existing) = crate::pages::form_errors(e)?;
            referral_form(&st, &u, true, f, errors, existing).await
        }
    }
}

pub(crate) async fn screening_page(
    st: &AppState,
    u: &SignedIn,
    id: ReferralId,
    d: DecisionForm,
    errors: Vec<FieldError>,
) -> Page {
    let v = st.app.referral(&u.user, id).await?;
    if !v.can_screen {
        return Err(WebError::Forbidden(
            "screening is for the local authority's front door and its managers",
        ));
    }
    let m = if v.referral.matched_child.is_none() && !v.referral.is_decided() {
        st.app.match_candidates(&u.user, id).await?
    } else {
        MatchView {
            candidates: vec![],
            decisions: vec![],
        }
    };
    let d = DecisionForm {
        version: v.referral.version,
        ..d
    };
    Ok(render_status(
        status_for(&errors),
        &ScreeningPage {
            chrome: Chrome::user(
                "Screen a referral",
                &u.user,
                &u.csrf,
                &st.app,
                "/front-door",
            )
            .with_errors(errors),
            v,
            m,
            d,
            choices: Choices,
        },
    ))
}

pub(crate) fn referral_id(s: &str) -> Result<ReferralId, WebError> {
    s.parse().map_err(|_| WebError::NotFound)
}

/// `GET /front-door/{id}`.
pub(crate) async fn screening(
    State(st): State<AppState>,
    u: SignedIn,
    Path(id): Path<String>,
) -> Page {
    screening_page(&st, &u, referral_id(&id)?, DecisionForm::default(), vec![]).await
}

/// `POST /front-door/{id}/link`: confirm a match (`child`) or create a new record.
pub(crate) async fn link(
    State(st): State<AppState>,
    u: SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<LinkForm>,
) -> Page {
    let id = referral_id(&id)?;
    let child = match f.child.trim() {
        "" => None,
        c => Some(
            c.parse::<ChildId>()
                .map_err(|_| WebError::BadRequest("The child chosen is not a record id"))?,
        ),
    };
    match st.app.link_referral(&u.user, id, child, f.version).await {
        Ok(_) => Ok(Redirect::to(&format!("/front-door/{id}#decision")).into_response()),
        Err(e) => {
            screening_page(
                &st,
                &u,
                id,
                DecisionForm::default(),
                crate::pages::form_errors(e)?.0,
            )
            .await
        }
    }
}

/// `POST /front-door/{id}/decide`.
pub(crate) async fn decide(
    State(st): State<AppState>,
    u: SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<DecisionForm>,
) -> Page {
    let id = referral_id(&id)?;
    let input = match f.parse() {
        Ok(i) => i,
        Err(errors) => return screening_page(&st, &u, id, f, errors).await,
    };
    match st.app.decide_referral(&u.user, id, input).await {
        Ok(()) => Ok(Redirect::to("/front-door").into_response()),
        Err(e) => {
            let errors = crate::pages::form_errors(e)?.0;
            screening_page(&st, &u, id, f, errors).await
        }
    }
}

/// `GET /notifications`.
pub(crate) async fn notifications(State(st): State<AppState>, u: SignedIn) -> Page {
    let notifications = st.app.notifications(&u.user).await?;
    Ok(render_status(
        StatusCode::OK,
        &NotificationsPage {
            chrome: Chrome::user("Notifications", &u.user, &u.csrf, &st.app, "/notifications"),
            notifications,
        },
    ))
}

/// `POST /notifications/{id}/read`.
pub(crate) async fn mark_read(
    State(st): State<AppState>,
    u: SignedIn,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Page {
    let id: NotificationId = id.parse().map_err(|_| WebError::NotFound)?;
    st.app.mark_notification_read(&u.user, id).await?;
    Ok(Redirect::to("/notifications").into_response())
}

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    chrome: Chrome,
    team: String,
    members: Vec<safeguard_app::cases::TeamMemberLoad>,
}

/// `GET /team`: a team manager's view of who holds what and what is late.
pub(crate) async fn team(State(st): State<AppState>, u: SignedIn) -> Page {
    let members = st.app.team_view(&u.user).await?;
    Ok(render_status(
        StatusCode::OK,
        &TeamPage {
            chrome: Chrome::user("Your team", &u.user, &u.csrf, &st.app, "/team"),
            team: u
                .user
                .team
                .as_ref()
                .map(|t| t.name.clone())
                .unwrap_or_default(),
            members,
        },
    ))
}
