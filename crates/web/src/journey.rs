//! Pages of the journey's structured records: the forms for a strategy discussion, a
//! conference, immediate protection and an assessment's outcome, and the page of a meeting's
//! record that its attendees may open.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use safeguard_app::FieldError;
use safeguard_app::cases::CaseView;
use safeguard_app::children::ChildRecord;
use safeguard_app::records::MeetingView;
use safeguard_domain::case::RecordForm;
use safeguard_domain::codes::{
    AbuseCategory, AssessmentFactor, AssessmentOutcome, ConferenceKind, ImmediateProtection,
    StrategyOutcome,
};
use safeguard_domain::journey::CaseState;
use safeguard_domain::records::{Attendee, ConferenceDecision, StepRecord, core_agency_warning};
use safeguard_domain::timescales::RuleId;
use safeguard_domain::{Agency, CaseId, ChildId};

use crate::AppState;
use crate::journey_forms::{
    AssessmentForm, AttendeeRow, ConferenceForm, ProtectionForm, StrategyForm, child_id,
    conference_kind,
};
use crate::pages::form_errors;
use crate::session::{CsrfForm, SignedIn};
use crate::views::{Chrome, WebError, render_status};

type Page = Result<Response, WebError>;

/// What every record form page shows about the case.
#[derive(Debug, Clone)]
pub(crate) struct CaseHeader {
    pub child: ChildId,
    pub child_name: String,
    pub case: CaseId,
    pub state: CaseState,
    pub action: String,
}

/// The warning for attendees typed so far, once at least one agency is chosen.
fn attendee_warning(rows: &[AttendeeRow], agencies: &[Agency]) -> Option<String> {
    let chosen: Vec<Attendee> = rows
        .iter()
        .filter_map(|r| {
            agencies
                .iter()
                .find(|a| a.id.to_string() == r.agency.trim())
        })
        .map(|a| Attendee {
            agency: a.id,
            agency_name: a.name.clone(),
            agency_kind: a.kind,
            role: String::new(),
            name: String::new(),
            practitioner: None,
        })
        .collect();
    if chosen.is_empty() {
        None
    } else {
        core_agency_warning(&chosen)
    }
}

/// The child's record and the one case, for a form; refused unless the user may record steps
/// and the form can be used on the case now.
async fn context(
    st: &AppState,
    u: &SignedIn,
    child: &str,
    case: &str,
    form: RecordForm,
) -> Result<(ChildRecord, CaseView, CaseHeader), WebError> {
    let child = child_id(child)?;
    let case: CaseId = case.parse().map_err(|_| WebError::NotFound)?;
    let r = st.app.view_child(&u.user, child).await?;
    let cv = r
        .cases
        .iter()
        .find(|c| c.case.id == case)
        .cloned()
        .ok_or(WebError::NotFound)?;
    if !r.can_edit {
        return Err(WebError::Forbidden(
            "you may read this child's record but not record steps on the case",
        ));
    }
    if !cv.case.record_forms().contains(&form) {
        return Err(WebError::BadRequest(
            "This cannot be recorded on the case now: go back to the child's record to see what can",
        ));
    }
    let header = CaseHeader {
        child,
        child_name: r.child.name.full(),
        case,
        state: cv.case.state,
        action: safeguard_app::records::form_path(child, case, form),
    };
    Ok((r, cv, header))
}

fn status_for(errors: &[FieldError]) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    }
}

/// The open clock of a rule on the case, as its due date.
fn due_of(cv: &CaseView, rule: RuleId) -> Option<jiff::civil::Date> {
    cv.clocks
        .iter()
        .rev()
        .find(|c| c.rule == rule && c.done_on.is_none())
        .map(|c| c.due)
}

// --- strategy discussion -----------------------------------------------------------------

#[derive(Template)]
#[template(path = "record_strategy.html")]
pub(crate) struct StrategyPage {
    pub chrome: Chrome,
    pub h: CaseHeader,
    pub form: StrategyForm,
    pub agencies: Vec<Agency>,
    pub warning: Option<String>,
    pub decides_next: bool,
    pub outcomes: Vec<StrategyOutcome>,
}

fn decides_next(state: CaseState) -> bool {
    matches!(
        state,
        CaseState::StrategyDiscussion | CaseState::ImmediateProtection | CaseState::CinPlan
    )
}

async fn strategy_page(
    st: &AppState,
    u: &SignedIn,
    child: &str,
    case: &str,
    form: Option<StrategyForm>,
    errors: Vec<FieldError>,
) -> Page {
    let (_, cv, h) = context(st, u, child, case, RecordForm::StrategyDiscussion).await?;
    let agencies = st.app.list_agencies().await?;
    let form = form.unwrap_or_else(|| StrategyForm::blank(cv.case.version));
    Ok(render_status(
        status_for(&errors),
        &StrategyPage {
            chrome: Chrome::user(
                "Record a strategy discussion",
                &u.user,
                &u.csrf,
                &st.app,
                "",
            )
            .with_errors(errors),
            warning: attendee_warning(&form.attendees, &agencies),
            decides_next: decides_next(h.state),
            h,
            form,
            agencies,
            outcomes: vec![StrategyOutcome::Assessment, StrategyOutcome::CinPlan],
        },
    ))
}

/// `GET /children/{child}/cases/{case}/strategy-discussion`.
pub(crate) async fn strategy_form(
    State(st): State<AppState>,
    u: SignedIn,
    Path((child, case)): Path<(String, String)>,
) -> Page {
    strategy_page(&st, &u, &child, &case, None, vec![]).await
}

/// `POST /children/{child}/cases/{case}/strategy-discussion`.
pub(crate) async fn strategy_submit(
    State(st): State<AppState>,
    u: SignedIn,
    Path((child, case)): Path<(String, String)>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Page {
    let f = StrategyForm::from_pairs(pairs)?;
    if !f.add.is_empty() {
        return strategy_page(&st, &u, &child, &case, Some(f), vec![]).await;
    }
    let (_, cv, h) = context(&st, &u, &child, &case, RecordForm::StrategyDiscussion).await?;
    let result = match f.parse(decides_next(cv.case.state)) {
        Ok(input) => st
            .app
            .record_strategy_discussion(&u.user, h.case, input)
            .await
            .map_err(form_errors),
        Err(errors) => Err(Ok((errors, None))),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/children/{}#case", h.child)).into_response()),
        Err(e) => strategy_page(&st, &u, &child, &case, Some(f), e?.0).await,
    }
}

// --- conference ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "record_conference.html")]
pub(crate) struct ConferencePage {
    pub chrome: Chrome,
    pub h: CaseHeader,
    pub kind: ConferenceKind,
    pub form: ConferenceForm,
    pub agencies: Vec<Agency>,
    pub decisions: &'static [ConferenceDecision],
    pub categories: &'static [AbuseCategory],
    pub due: Option<jiff::civil::Date>,
}

async fn conference_page(
    st: &AppState,
    u: &SignedIn,
    (child, case, kind): (&str, &str, ConferenceKind),
    form: Option<ConferenceForm>,
    errors: Vec<FieldError>,
) -> Page {
    let (_, cv, h) = context(st, u, child, case, RecordForm::Conference(kind)).await?;
    let agencies = st.app.list_agencies().await?;
    let due = due_of(
        &cv,
        match kind {
            ConferenceKind::Initial => RuleId::T5Icpc,
            ConferenceKind::TransferIn => RuleId::T9TransferIn,
            ConferenceKind::Review => {
                if cv
                    .clocks
                    .iter()
                    .any(|c| c.rule == RuleId::T8LaterReview && c.done_on.is_none())
                {
                    RuleId::T8LaterReview
                } else {
                    RuleId::T7FirstReview
                }
            }
        },
    );
    Ok(render_status(
        status_for(&errors),
        &ConferencePage {
            chrome: Chrome::user(
                &format!("Record the {}", kind.label().to_lowercase()),
                &u.user,
                &u.csrf,
                &st.app,
                "",
            )
            .with_errors(errors),
            h,
            kind,
            form: form.unwrap_or_else(|| ConferenceForm::blank(cv.case.version)),
            agencies,
            decisions: ConferenceDecision::for_kind(kind),
            categories: AbuseCategory::ALL,
            due,
        },
    ))
}

/// `GET /children/{child}/cases/{case}/conference/{kind}`.
pub(crate) async fn conference_form(
    State(st): State<AppState>,
    u: SignedIn,
    Path((child, case, kind)): Path<(String, String, String)>,
) -> Page {
    let kind = conference_kind(&kind)?;
    conference_page(&st, &u, (&child, &case, kind), None, vec![]).await
}

/// `POST /children/{child}/cases/{case}/conference/{kind}`.
pub(crate) async fn conference_submit(
    State(st): State<AppState>,
    u: SignedIn,
    Path((child, case, kind)): Path<(String, String, String)>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Page {
    let kind = conference_kind(&kind)?;
    let f = ConferenceForm::from_pairs(pairs)?;
    if !f.add.is_empty() {
        return conference_page(&st, &u, (&child, &case, kind), Some(f), vec![]).await;
    }
    let (_, _, h) = context(&st, &u, &child, &case, RecordForm::Conference(kind)).await?;
    let result = match f.parse(kind) {
        Ok(input) => st
            .app
            .record_conference(&u.user, h.case, input)
            .await
            .map_err(form_errors),
        Err(errors) => Err(Ok((errors, None))),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/children/{}#case", h.child)).into_response()),
        Err(e) => conference_page(&st, &u, (&child, &case, kind), Some(f), e?.0).await,
    }
}

// --- immediate protection --------------------------------------------------------------

#[derive(Template)]
#[template(path = "record_protection.html")]
pub(crate) struct ProtectionPage {
    pub chrome: Chrome,
    pub h: CaseHeader,
    pub form: ProtectionForm,
    pub kinds: &'static [ImmediateProtection],
}

async fn protection_page(
    st: &AppState,
    u: &SignedIn,
    (child, case): (&str, &str),
    form: Option<ProtectionForm>,
    errors: Vec<FieldError>,
) -> Page {
    let (_, cv, h) = context(st, u, child, case, RecordForm::Protection).await?;
    Ok(render_status(
        status_for(&errors),
        &ProtectionPage {
            chrome: Chrome::user(
                "Record police protection or an emergency protection order",
                &u.user,
                &u.csrf,
                &st.app,
                "",
            )
            .with_errors(errors),
            h,
            form: form.unwrap_or_else(|| ProtectionForm::blank(cv.case.version)),
            kinds: ImmediateProtection::ALL,
        },
    ))
}

/// `GET /children/{child}/cases/{case}/protection`.
pub(crate) async fn protection_form(
    State(st): State<AppState>,
    u: SignedIn,
    Path((child, case)): Path<(String, String)>,
) -> Page {
    protection_page(&st, &u, (&child, &case), None, vec![]).await
}

/// `POST /children/{child}/cases/{case}/protection`.
pub(crate) async fn protection_submit(
    State(st): State<AppState>,
    u: SignedIn,
    Path((child, case)): Path<(String, String)>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Page {
    let f = ProtectionForm::from_pairs(pairs)?;
    let (_, _, h) = context(&st, &u, &child, &case, RecordForm::Protection).await?;
    let result = match f.parse() {
        Ok(input) => st
            .app
            .record_protection(&u.user, h.case, input)
            .await
            .map_err(form_errors),
        Err(errors) => Err(Ok((errors, None))),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/children/{}#case", h.child)).into_response()),
        Err(e) => protection_page(&st, &u, (&child, &case), Some(f), e?.0).await,
    }
}

// --- assessment --------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "record_assessment.html")]
pub(crate) struct AssessmentPage {
    pub chrome: Chrome,
    pub h: CaseHeader,
    pub form: AssessmentForm,
    pub outcomes: &'static [AssessmentOutcome],
    pub factors: Vec<AssessmentFactor>,
    pub due: Option<jiff::civil::Date>,
}

async fn assessment_page(
    st: &AppState,
    u: &SignedIn,
    (child, case): (&str, &str),
    form: Option<AssessmentForm>,
    errors: Vec<FieldError>,
) -> Page {
    let (_, cv, h) = context(st, u, child, case, RecordForm::Assessment).await?;
    Ok(render_status(
        status_for(&errors),
        &AssessmentPage {
            chrome: Chrome::user(
                "Record the assessment's outcome",
                &u.user,
                &u.csrf,
                &st.app,
                "",
            )
            .with_errors(errors),
            h,
            form: form.unwrap_or_else(|| AssessmentForm::blank(cv.case.version)),
            outcomes: AssessmentOutcome::ALL,
            // 18A and 19A are retired (CIN queries 8945Q, 8950Q).
            factors: AssessmentFactor::ALL
                .iter()
                .copied()
                .filter(|f| !f.is_deprecated())
                .collect(),
            due: cv
                .clocks
                .iter()
                .find(|c| c.rule == RuleId::T3Assessment)
                .map(|c| c.due),
        },
    ))
}

/// `GET /children/{child}/cases/{case}/assessment`.
pub(crate) async fn assessment_form(
    State(st): State<AppState>,
    u: SignedIn,
    Path((child, case)): Path<(String, String)>,
) -> Page {
    assessment_page(&st, &u, (&child, &case), None, vec![]).await
}

/// `POST /children/{child}/cases/{case}/assessment`.
pub(crate) async fn assessment_submit(
    State(st): State<AppState>,
    u: SignedIn,
    Path((child, case)): Path<(String, String)>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Page {
    let f = AssessmentForm::from_pairs(pairs)?;
    let (_, _, h) = context(&st, &u, &child, &case, RecordForm::Assessment).await?;
    let result = match f.parse() {
        Ok(input) => st
            .app
            .conclude_assessment(&u.user, h.case, input)
            .await
            .map_err(form_errors),
        Err(errors) => Err(Ok((errors, None))),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/children/{}#case", h.child)).into_response()),
        Err(e) => assessment_page(&st, &u, (&child, &case), Some(f), e?.0).await,
    }
}

// --- a meeting's record ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "meeting.html")]
pub(crate) struct MeetingPage {
    pub chrome: Chrome,
    pub m: MeetingView,
}

impl MeetingPage {
    pub fn strategy(&self) -> Option<&safeguard_domain::records::StrategyDiscussion> {
        match &self.m.record {
            StepRecord::StrategyDiscussion(s) => Some(s),
            _ => None,
        }
    }

    pub fn conference(&self) -> Option<&safeguard_domain::records::Conference> {
        match &self.m.record {
            StepRecord::Conference(c) => Some(c),
            _ => None,
        }
    }
}

/// `GET /cases/{case}/meetings/{index}`: the record of one strategy discussion or
/// conference, for those who work on the case and those who took part.
pub(crate) async fn meeting(
    State(st): State<AppState>,
    u: SignedIn,
    Path((case, index)): Path<(String, String)>,
) -> Page {
    let case: CaseId = case.parse().map_err(|_| WebError::NotFound)?;
    let index: usize = index.parse().map_err(|_| WebError::NotFound)?;
    let m = st.app.view_meeting(&u.user, case, index).await?;
    Ok(render_status(
        StatusCode::OK,
        &MeetingPage {
            chrome: Chrome::user(
                &format!("{}: {}", m.record.title(), m.child_name),
                &u.user,
                &u.csrf,
                &st.app,
                "",
            ),
            m,
        },
    ))
}

/// The address of a step's meeting record on a case, if the step carries one.
pub(crate) fn meeting_href(cv: &CaseView, index: &usize) -> Option<String> {
    cv.meetings
        .iter()
        .find(|(i, _)| i == index)
        .map(|(_, href)| href.clone())
}

/// What a step's record adds to its line in the "Steps" table: attendees, the warning, the
/// reason an assessment was late, when protection started.
pub(crate) fn record_note(step: &safeguard_domain::CaseStep) -> String {
    let Some(record) = &step.record else {
        return String::new();
    };
    let mut parts = Vec::new();
    match record {
        StepRecord::StrategyDiscussion(s) => {
            parts.push(format!(
                "{} took part. Section 47 enquiries initiated: {}.",
                s.attendees.len(),
                if s.s47_initiated { "yes" } else { "no" }
            ));
            if !s.actions.is_empty() {
                parts.push(match s.actions.len() {
                    1 => "1 action.".to_owned(),
                    n => format!("{n} actions."),
                });
            }
        }
        StepRecord::Conference(c) => {
            parts.push(format!(
                "Chaired by {}; {} took part. Decision: {}.",
                c.chair,
                c.attendees.len(),
                c.decision.label()
            ));
        }
        StepRecord::Protection(p) => {
            parts.push(format!("Started {}.", crate::views::when(&p.started_at)));
        }
        StepRecord::Assessment(a) => {
            let factors: Vec<&str> = a.factors.iter().map(|f| f.code()).collect();
            parts.push(format!("Factors: {}.", factors.join(", ")));
            if let Some(r) = &a.late_reason {
                parts.push(format!("Late: {r}"));
            }
        }
    }
    if let Some(w) = record.warning() {
        parts.push(format!("Warning: {w}."));
    }
    parts.join(" ")
}
