//! Pages of early help and looked-after episodes: starting an early help episode (a step down
//! or an agency's own), its page with the assessment, plan, reviews and closure, the step-up
//! referral, and starting, changing, reviewing and ending a looked-after episode.
//!
//! Every form is one [`EpisodeForm`] (the fields each page shows, all optional to the parser)
//! and one template (`episode_form.html`) that shows the fields of its [`FormKind`], so the
//! date, select and error-summary patterns are written once.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::Date;
use safeguard_app::FieldError;
use safeguard_app::episodes::{
    EarlyHelpUpdate, EarlyHelpView, LookedAfterUpdate, StartEarlyHelpInput, StartLookedAfterInput,
    StepUpInput,
};
use safeguard_domain::early_help::EarlyHelpClosure;
use safeguard_domain::looked_after::{
    ChangeInput, LaCode, PeriodInput, Placement, PlacementProvider, PlacementType,
    ReasonEpisodeCeased, ReasonPlaceChange,
};
use safeguard_domain::records::ActionItem;
use safeguard_domain::{
    CaseId, ChildId, ConsentStatus, EarlyHelpId, LawfulBasis, LegalStatus, LookedAfterEpisode,
    LookedAfterId, Postcode, Practitioner, PrimaryNeed, Urgency,
};
use serde::Deserialize;

use crate::AppState;
use crate::forms::parse_date_parts;
use crate::journey_forms::child_id;
use crate::pages::form_errors;
use crate::session::{CsrfForm, SignedIn};
use crate::views::{Chrome, WebError, render_status};

type Page = Result<Response, WebError>;

/// Which form a page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FormKind {
    EarlyHelpStart,
    Assessment,
    Plan,
    EarlyHelpReview,
    EarlyHelpClose,
    StepUp,
    LookedAfterStart,
    PlacementChange,
    LookedAfterReview,
    LookedAfterEnd,
}

impl FormKind {
    /// The code the template switches on.
    pub fn code(self) -> &'static str {
        match self {
            FormKind::EarlyHelpStart => "eh_start",
            FormKind::Assessment => "eh_assessment",
            FormKind::Plan => "eh_plan",
            FormKind::EarlyHelpReview => "eh_review",
            FormKind::EarlyHelpClose => "eh_close",
            FormKind::StepUp => "step_up",
            FormKind::LookedAfterStart => "lac_start",
            FormKind::PlacementChange => "lac_change",
            FormKind::LookedAfterReview => "lac_review",
            FormKind::LookedAfterEnd => "lac_end",
        }
    }

    fn heading(self) -> &'static str {
        match self {
            FormKind::EarlyHelpStart => "Start an early help episode",
            FormKind::Assessment => "Record the early help assessment",
            FormKind::Plan => "Record the early help plan",
            FormKind::EarlyHelpReview => "Record a review of the early help plan",
            FormKind::EarlyHelpClose => "Close the early help episode",
            FormKind::StepUp => "Step up: refer to children's social care",
            FormKind::LookedAfterStart => "Start a looked-after episode",
            FormKind::PlacementChange => "Record a change of placement or legal status",
            FormKind::LookedAfterReview => "Record a looked-after child review",
            FormKind::LookedAfterEnd => "End the looked-after episode",
        }
    }

    fn early_help(what: &str) -> Result<FormKind, WebError> {
        match what {
            "assessment" => Ok(FormKind::Assessment),
            "plan" => Ok(FormKind::Plan),
            "review" => Ok(FormKind::EarlyHelpReview),
            "close" => Ok(FormKind::EarlyHelpClose),
            "step-up" => Ok(FormKind::StepUp),
            _ => Err(WebError::NotFound),
        }
    }

    fn looked_after(what: &str) -> Result<FormKind, WebError> {
        match what {
            "change" => Ok(FormKind::PlacementChange),
            "review" => Ok(FormKind::LookedAfterReview),
            "end" => Ok(FormKind::LookedAfterEnd),
            _ => Err(WebError::NotFound),
        }
    }
}

/// Every field an episode form may send. Dates are `{prefix}-day`, `-month`, `-year`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EpisodeForm {
    #[serde(
        default,
        alias = "start_date-day",
        alias = "assessment_date-day",
        alias = "plan_date-day",
        alias = "review_date-day",
        alias = "end_date-day",
        alias = "change_date-day"
    )]
    pub day: String,
    #[serde(
        default,
        alias = "start_date-month",
        alias = "assessment_date-month",
        alias = "plan_date-month",
        alias = "review_date-month",
        alias = "end_date-month",
        alias = "change_date-month"
    )]
    pub month: String,
    #[serde(
        default,
        alias = "start_date-year",
        alias = "assessment_date-year",
        alias = "plan_date-year",
        alias = "review_date-year",
        alias = "end_date-year",
        alias = "change_date-year"
    )]
    pub year: String,
    #[serde(default)]
    pub lead: String,
    /// The one free-text field of the form, named as the domain names its errors.
    #[serde(
        default,
        alias = "reason",
        alias = "assessment_summary",
        alias = "review_note",
        alias = "end_note",
        alias = "reasons",
        alias = "note"
    )]
    pub text: String,
    #[serde(default)]
    pub outcomes: String,
    #[serde(default)]
    pub actions: String,
    #[serde(default)]
    pub need: String,
    #[serde(default)]
    pub legal_status: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub postcode: String,
    #[serde(default)]
    pub placement_la: String,
    #[serde(default)]
    pub carer_changed: String,
    /// The form's reason select: why it closed, ended or changed.
    #[serde(default, alias = "end_reason", alias = "change_reason")]
    pub choice: String,
    #[serde(default)]
    pub la: String,
    #[serde(default)]
    pub consent: String,
    #[serde(default)]
    pub lawful_basis: String,
    #[serde(default)]
    pub urgency: String,
    #[serde(default)]
    pub child_safe_now: String,
    #[serde(default)]
    pub referrer_contact: String,
    #[serde(default)]
    pub version: u32,
}

/// The name of a form's free-text field, as the domain names its errors.
fn text_name(kind: FormKind) -> &'static str {
    match kind {
        FormKind::EarlyHelpStart => "reason",
        FormKind::Assessment => "assessment_summary",
        FormKind::EarlyHelpReview => "review_note",
        FormKind::EarlyHelpClose => "end_note",
        FormKind::StepUp => "reasons",
        FormKind::LookedAfterReview => "note",
        FormKind::Plan
        | FormKind::LookedAfterStart
        | FormKind::PlacementChange
        | FormKind::LookedAfterEnd => "",
    }
}

/// The name of a form's reason select.
fn choice_name(kind: FormKind) -> &'static str {
    match kind {
        FormKind::PlacementChange => "change_reason",
        FormKind::EarlyHelpClose | FormKind::LookedAfterEnd => "end_reason",
        _ => "",
    }
}

/// The date field's error name for a form: the domain names each date by what it is.
fn date_field(kind: FormKind) -> &'static str {
    match kind {
        FormKind::EarlyHelpStart | FormKind::LookedAfterStart => "start_date",
        FormKind::Assessment => "assessment_date",
        FormKind::Plan => "plan_date",
        FormKind::EarlyHelpReview | FormKind::LookedAfterReview => "review_date",
        FormKind::EarlyHelpClose | FormKind::LookedAfterEnd => "end_date",
        FormKind::PlacementChange => "change_date",
        FormKind::StepUp => "reasons",
    }
}

fn code<T, E>(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: &str,
    parse: fn(&str) -> Result<T, E>,
    message: &str,
) -> Option<T> {
    match parse(value) {
        Ok(v) => Some(v),
        Err(_) => {
            errors.push(FieldError::new(field, message));
            None
        }
    }
}

fn optional_code<T, E>(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: &str,
    parse: fn(&str) -> Result<T, E>,
    message: &str,
) -> Option<T> {
    if value.trim().is_empty() {
        None
    } else {
        code(errors, field, value, parse, message)
    }
}

impl EpisodeForm {
    fn blank(version: u32) -> Self {
        Self {
            version,
            ..Self::default()
        }
    }

    /// The form's date, with its error on the field the domain names (`start_date-day`...).
    fn date(&self, kind: FormKind, errors: &mut Vec<FieldError>) -> Option<Date> {
        let field = date_field(kind);
        match parse_date_parts(field, "The date", &self.day, &self.month, &self.year) {
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                errors.push(FieldError::new(format!("{field}-day"), "Enter the date"));
                None
            }
            Err(e) => {
                errors.push(e);
                None
            }
        }
    }

    fn placement(&self, errors: &mut Vec<FieldError>) -> Option<Placement> {
        let kind = code(
            errors,
            "place",
            &self.place,
            PlacementType::parse,
            "Select the placement type",
        );
        let provider = optional_code(
            errors,
            "provider",
            &self.provider,
            PlacementProvider::parse,
            "Select the provider from the list",
        );
        let postcode = if self.postcode.trim().is_empty() {
            None
        } else {
            match Postcode::parse(&self.postcode) {
                Ok(p) => Some(p),
                Err(_) => {
                    errors.push(FieldError::new(
                        "postcode",
                        "Enter a real postcode, like NM1 2AB, or leave it blank",
                    ));
                    None
                }
            }
        };
        let la = if self.placement_la.trim().is_empty() {
            None
        } else {
            match LaCode::parse(&self.placement_la) {
                Ok(c) => Some(c),
                Err(e) => {
                    errors.push(FieldError::new(e.field, e.message));
                    None
                }
            }
        };
        kind.map(|kind| Placement {
            kind,
            provider,
            postcode,
            la,
        })
    }

    fn period(&self, kind: FormKind, errors: &mut Vec<FieldError>) -> Option<PeriodInput> {
        let on = self.date(kind, errors);
        let legal_status = code(
            errors,
            "legal_status",
            &self.legal_status,
            LegalStatus::parse,
            "Select the legal status",
        );
        let placement = self.placement(errors);
        match (on, legal_status, placement) {
            (Some(on), Some(legal_status), Some(placement)) => Some(PeriodInput {
                on,
                legal_status,
                placement,
            }),
            _ => None,
        }
    }

    /// Actions, one a line, as "what – who – by 27/3/2026" (the date optional).
    fn action_items(&self, errors: &mut Vec<FieldError>) -> Vec<ActionItem> {
        let mut out = Vec::new();
        for line in self
            .actions
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            let parts: Vec<&str> = line.split(" - ").map(str::trim).collect();
            let (action, owner, due) = match parts.as_slice() {
                [a, o] => (*a, *o, None),
                [a, o, d] => (*a, *o, Some(*d)),
                _ => {
                    errors.push(FieldError::new(
                        "actions",
                        "Write each action as: what - who - by when (for example: Walk to school - Mum - 27/3/2026)",
                    ));
                    return out;
                }
            };
            let due = match due.map(|d| {
                let d = d.trim_start_matches("by ").trim();
                let p: Vec<&str> = d.split('/').collect();
                match p.as_slice() {
                    [dd, mm, yy] => parse_date_parts("actions", "The action's date", dd, mm, yy),
                    _ => Err(FieldError::new("actions", "")),
                }
            }) {
                None => None,
                Some(Ok(d)) => d,
                Some(Err(_)) => {
                    errors.push(FieldError::new(
                        "actions",
                        "Write an action's date as day/month/year, for example 27/3/2026",
                    ));
                    return out;
                }
            };
            out.push(ActionItem {
                action: action.to_owned(),
                owner: owner.to_owned(),
                due,
            });
        }
        out
    }

    fn early_help_update(&self, kind: FormKind) -> Result<EarlyHelpUpdate, Vec<FieldError>> {
        let mut errors = Vec::new();
        let on = self.date(kind, &mut errors);
        let update = match kind {
            FormKind::Assessment => on.map(|on| EarlyHelpUpdate::Assessment {
                on,
                summary: self.text.clone(),
            }),
            FormKind::Plan => {
                let actions = self.action_items(&mut errors);
                on.map(|agreed_on| EarlyHelpUpdate::Plan {
                    agreed_on,
                    outcomes: self.outcomes.lines().map(str::to_owned).collect(),
                    actions,
                })
            }
            FormKind::EarlyHelpReview => on.map(|on| EarlyHelpUpdate::Review {
                on,
                note: self.text.clone(),
            }),
            FormKind::EarlyHelpClose => {
                let reason = code(
                    &mut errors,
                    "end_reason",
                    &self.choice,
                    EarlyHelpClosure::parse,
                    "Select why the episode is closing",
                );
                on.zip(reason).map(|(on, reason)| EarlyHelpUpdate::Close {
                    on,
                    reason,
                    note: self.text.clone(),
                })
            }
            _ => None,
        };
        match update {
            Some(u) if errors.is_empty() => Ok(u),
            _ => Err(errors),
        }
    }

    fn looked_after_update(&self, kind: FormKind) -> Result<LookedAfterUpdate, Vec<FieldError>> {
        let mut errors = Vec::new();
        let update = match kind {
            FormKind::PlacementChange => {
                let period = self.period(kind, &mut errors);
                let reason = optional_code(
                    &mut errors,
                    "change_reason",
                    &self.choice,
                    ReasonPlaceChange::parse,
                    "Select why the placement changed",
                );
                period.map(|period| {
                    LookedAfterUpdate::Change(ChangeInput {
                        period,
                        carer_changed: self.carer_changed == "yes",
                        reason,
                    })
                })
            }
            FormKind::LookedAfterReview => {
                self.date(kind, &mut errors)
                    .map(|on| LookedAfterUpdate::Review {
                        on,
                        note: self.text.clone(),
                    })
            }
            FormKind::LookedAfterEnd => {
                let on = self.date(kind, &mut errors);
                let reason = code(
                    &mut errors,
                    "end_reason",
                    &self.choice,
                    ReasonEpisodeCeased::parse,
                    "Select why the child ceased to be looked after",
                );
                on.zip(reason)
                    .map(|(on, reason)| LookedAfterUpdate::End { on, reason })
            }
            _ => None,
        };
        match update {
            Some(u) if errors.is_empty() => Ok(u),
            _ => Err(errors),
        }
    }

    fn start_early_help(
        &self,
        case: Option<CaseId>,
    ) -> Result<StartEarlyHelpInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let on = self.date(FormKind::EarlyHelpStart, &mut errors);
        let lead = match self.lead.trim().parse() {
            Ok(p) => Some(p),
            Err(_) => {
                errors.push(FieldError::new("lead", "Select the lead practitioner"));
                None
            }
        };
        match (on, lead) {
            (Some(on), Some(lead)) if errors.is_empty() => Ok(StartEarlyHelpInput {
                case,
                lead,
                on,
                reason: self.text.clone(),
            }),
            _ => Err(errors),
        }
    }

    fn start_looked_after(&self) -> Result<StartLookedAfterInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let need = code(
            &mut errors,
            "need",
            &self.need,
            PrimaryNeed::parse,
            "Select the category of need",
        );
        let period = self.period(FormKind::LookedAfterStart, &mut errors);
        match (need, period) {
            (Some(need), Some(period)) if errors.is_empty() => Ok(StartLookedAfterInput {
                need,
                period,
                version: self.version,
            }),
            _ => Err(errors),
        }
    }

    fn step_up(&self) -> Result<StepUpInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let la = match self.la.trim().parse() {
            Ok(a) => Some(a),
            Err(_) => {
                errors.push(FieldError::new(
                    "la",
                    "Select the local authority to refer to",
                ));
                None
            }
        };
        let consent = code(
            &mut errors,
            "consent",
            &self.consent,
            ConsentStatus::parse,
            "Select whether the family knows and agrees, or why not",
        );
        let lawful_basis = code(
            &mut errors,
            "lawful_basis",
            &self.lawful_basis,
            LawfulBasis::parse,
            "Select the lawful basis for sharing",
        );
        let urgency = code(
            &mut errors,
            "urgency",
            &self.urgency,
            Urgency::parse,
            "Select how urgent this is",
        );
        let safe = match self.child_safe_now.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => {
                errors.push(FieldError::new(
                    "child_safe_now",
                    "Select whether the child is safe now",
                ));
                None
            }
        };
        match (la, consent, lawful_basis, urgency, safe) {
            (Some(la), Some(consent), Some(lawful_basis), Some(urgency), Some(child_safe_now))
                if errors.is_empty() =>
            {
                Ok(StepUpInput {
                    la,
                    reasons: self.text.clone(),
                    consent,
                    lawful_basis,
                    urgency,
                    child_safe_now,
                    referrer_contact: self.referrer_contact.clone(),
                    version: self.version,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Code and label pairs for a select or radios.
type Options = Vec<(String, String)>;

fn options<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Options {
    all.iter()
        .map(|v| (code(*v).to_owned(), format!("{} – {}", code(*v), label(*v))))
        .collect()
}

fn labelled<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Options {
    all.iter()
        .map(|v| (code(*v).to_owned(), label(*v).to_owned()))
        .collect()
}

/// The form page.
#[derive(Template)]
#[template(path = "episode_form.html")]
pub(crate) struct EpisodeFormPage {
    pub chrome: Chrome,
    pub kind: &'static str,
    pub heading: &'static str,
    pub child_name: String,
    pub action: String,
    pub back: String,
    pub form: EpisodeForm,
    pub date_prefix: &'static str,
    pub text_name: &'static str,
    pub choice_name: &'static str,
    pub intro: String,
    pub leads: Options,
    pub needs: Options,
    pub statuses: Options,
    pub places: Options,
    pub providers: Options,
    pub reasons: Options,
    pub las: Options,
    pub consents: Options,
    pub bases: Options,
    pub urgencies: Options,
}

struct Target {
    child_name: String,
    action: String,
    back: String,
    intro: String,
    history: String,
    version: u32,
}

async fn render_form(
    st: &AppState,
    u: &SignedIn,
    kind: FormKind,
    t: Target,
    form: Option<EpisodeForm>,
    errors: Vec<FieldError>,
) -> Page {
    let mut leads = Vec::new();
    let mut las = Vec::new();
    if kind == FormKind::EarlyHelpStart {
        let agencies = st.app.list_agencies().await?;
        let name = |p: &Practitioner| {
            agencies
                .iter()
                .find(|a| a.id == p.agency)
                .map(|a| a.name.clone())
                .unwrap_or_default()
        };
        leads = st
            .app
            .possible_leads()
            .await?
            .iter()
            .map(|p| (p.id.to_string(), format!("{} – {}", p.name, name(p))))
            .collect();
    }
    if kind == FormKind::StepUp {
        las = st
            .app
            .local_authorities()
            .await?
            .into_iter()
            .map(|a| (a.id.to_string(), a.name))
            .collect();
    }
    let reasons = match kind {
        FormKind::PlacementChange => options(
            ReasonPlaceChange::ALL,
            ReasonPlaceChange::code,
            ReasonPlaceChange::label,
        ),
        FormKind::LookedAfterEnd => options(
            &ReasonEpisodeCeased::ALL
                .iter()
                .copied()
                .filter(|r| *r != ReasonEpisodeCeased::NewEpisodeSameDay)
                .collect::<Vec<_>>(),
            ReasonEpisodeCeased::code,
            ReasonEpisodeCeased::label,
        ),
        FormKind::EarlyHelpClose => labelled(
            EarlyHelpClosure::ALL,
            EarlyHelpClosure::code,
            EarlyHelpClosure::label,
        ),
        _ => Vec::new(),
    };
    let needs: Vec<PrimaryNeed> = PrimaryNeed::ALL
        .iter()
        .copied()
        .filter(|n| !matches!(n, PrimaryNeed::OtherThanInNeed | PrimaryNeed::NotStated))
        .collect();
    let mut form = form.unwrap_or_else(|| EpisodeForm::blank(t.version));
    if kind == FormKind::StepUp && form.text.is_empty() {
        form.text = format!("{}\nWhat has changed:\n", t.history.trim_end());
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(render_status(
        status,
        &EpisodeFormPage {
            chrome: Chrome::user(kind.heading(), &u.user, &u.csrf, &st.app, "").with_errors(errors),
            kind: kind.code(),
            heading: kind.heading(),
            child_name: t.child_name,
            action: t.action,
            back: t.back,
            form,
            date_prefix: date_field(kind),
            text_name: text_name(kind),
            choice_name: choice_name(kind),
            intro: t.intro,
            leads,
            needs: options(&needs, PrimaryNeed::code, PrimaryNeed::label),
            statuses: options(LegalStatus::ALL, LegalStatus::code, LegalStatus::label),
            places: options(
                PlacementType::ALL,
                PlacementType::code,
                PlacementType::label,
            ),
            providers: options(
                PlacementProvider::ALL,
                PlacementProvider::code,
                PlacementProvider::label,
            ),
            reasons,
            las,
            consents: labelled(
                ConsentStatus::ALL,
                ConsentStatus::code,
                ConsentStatus::label,
            ),
            bases: labelled(LawfulBasis::ALL, LawfulBasis::code, LawfulBasis::label),
            urgencies: labelled(Urgency::ALL, Urgency::code, Urgency::label),
        },
    ))
}

fn case_id(s: &str) -> Result<CaseId, WebError> {
    s.parse().map_err(|_| WebError::NotFound)
}

fn early_help_id(s: &str) -> Result<EarlyHelpId, WebError> {
    s.parse().map_err(|_| WebError::NotFound)
}

fn looked_after_id(s: &str) -> Result<LookedAfterId, WebError> {
    s.parse().map_err(|_| WebError::NotFound)
}

/// The start form's target: the child's name (an audited read that needs edit permission).
async fn start_target(
    st: &AppState,
    u: &SignedIn,
    child: ChildId,
    case: Option<CaseId>,
    kind: FormKind,
) -> Result<Target, WebError> {
    let r = st.app.view_child(&u.user, child).await?;
    if !r.can_edit && kind == FormKind::LookedAfterStart {
        return Err(WebError::Forbidden(
            "you may read this child's record but not record on it",
        ));
    }
    let (action, intro, version) = match (kind, case) {
        (FormKind::LookedAfterStart, Some(c)) => {
            let cv = r
                .cases
                .iter()
                .find(|cv| cv.case.id == c)
                .ok_or(WebError::NotFound)?;
            (
                format!("/children/{child}/cases/{c}/looked-after"),
                "The first review is due within 20 working days of the start, the second within 3 months of the first, then every 6 months (T13, Care Planning, Placement and Case Review (England) Regulations 2010 reg 33).".to_owned(),
                cv.case.version,
            )
        }
        (_, Some(c)) => (
            format!("/children/{child}/cases/{c}/early-help"),
            "The case was stepped down to early help. Choose who leads it: a practitioner in any agency (a school, health, the voluntary sector or the local authority's early help service).".to_owned(),
            0,
        ),
        (_, None) => (
            format!("/children/{child}/early-help/new"),
            "For a child and family who need support below the threshold for children's social care. Choose who leads it: you, or a practitioner in another agency.".to_owned(),
            0,
        ),
    };
    Ok(Target {
        child_name: r.child.name.full(),
        action,
        back: format!("/children/{child}"),
        intro,
        history: String::new(),
        version,
    })
}

/// `GET /children/{child}/cases/{case}/early-help`.
pub(crate) async fn step_down_form(
    State(st): State<AppState>,
    u: SignedIn,
    Path((child, case)): Path<(String, String)>,
) -> Page {
    let (child, case) = (child_id(&child)?, case_id(&case)?);
    let t = start_target(&st, &u, child, Some(case), FormKind::EarlyHelpStart).await?;
    render_form(&st, &u, FormKind::EarlyHelpStart, t, None, vec![]).await
}

/// `GET /children/{child}/early-help/new`.
pub(crate) async fn agency_start_form(
    State(st): State<AppState>,
    u: SignedIn,
    Path(child): Path<String>,
) -> Page {
    let child = child_id(&child)?;
    let t = start_target(&st, &u, child, None, FormKind::EarlyHelpStart).await?;
    render_form(&st, &u, FormKind::EarlyHelpStart, t, None, vec![]).await
}

async fn start_early_help(
    st: &AppState,
    u: &SignedIn,
    child: ChildId,
    case: Option<CaseId>,
    f: EpisodeForm,
) -> Page {
    let result = match f.start_early_help(case) {
        Ok(input) => st
            .app
            .start_early_help(&u.user, child, input)
            .await
            .map_err(form_errors),
        Err(errors) => Err(Ok((errors, None))),
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/early-help/{id}")).into_response()),
        Err(e) => {
            let t = start_target(st, u, child, case, FormKind::EarlyHelpStart).await?;
            render_form(st, u, FormKind::EarlyHelpStart, t, Some(f), e?.0).await
        }
    }
}

/// `POST /children/{child}/cases/{case}/early-help`.
pub(crate) async fn step_down_submit(
    State(st): State<AppState>,
    u: SignedIn,
    Path((child, case)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<EpisodeForm>,
) -> Page {
    let (child, case) = (child_id(&child)?, case_id(&case)?);
    start_early_help(&st, &u, child, Some(case), f).await
}

/// `POST /children/{child}/early-help/new`.
pub(crate) async fn agency_start_submit(
    State(st): State<AppState>,
    u: SignedIn,
    Path(child): Path<String>,
    CsrfForm(f): CsrfForm<EpisodeForm>,
) -> Page {
    let child = child_id(&child)?;
    start_early_help(&st, &u, child, None, f).await
}

/// The episode page.
#[derive(Template)]
#[template(path = "early_help.html")]
pub(crate) struct EarlyHelpPage {
    pub chrome: Chrome,
    pub v: EarlyHelpView,
}

/// `GET /early-help/{id}`.
pub(crate) async fn early_help(
    State(st): State<AppState>,
    u: SignedIn,
    Path(id): Path<String>,
) -> Page {
    let v = st.app.view_early_help(&u.user, early_help_id(&id)?).await?;
    Ok(render_status(
        StatusCode::OK,
        &EarlyHelpPage {
            chrome: Chrome::user(
                &format!("Early help: {}", v.child_name),
                &u.user,
                &u.csrf,
                &st.app,
                "",
            ),
            v,
        },
    ))
}

async fn early_help_target(
    st: &AppState,
    u: &SignedIn,
    id: EarlyHelpId,
    what: &str,
) -> Result<Target, WebError> {
    let v = st.app.view_early_help(&u.user, id).await?;
    if !v.can_edit {
        return Err(WebError::Forbidden(
            "you may read this episode but not record on it",
        ));
    }
    Ok(Target {
        child_name: v.child_name.clone(),
        action: format!("/early-help/{id}/{what}"),
        back: format!("/early-help/{id}"),
        intro: String::new(),
        history: v.episode.history(),
        version: v.episode.version,
    })
}

/// `GET /early-help/{id}/{what}`: assessment, plan, review, close or step-up.
pub(crate) async fn early_help_form(
    State(st): State<AppState>,
    u: SignedIn,
    Path((id, what)): Path<(String, String)>,
) -> Page {
    let kind = FormKind::early_help(&what)?;
    let t = early_help_target(&st, &u, early_help_id(&id)?, &what).await?;
    render_form(&st, &u, kind, t, None, vec![]).await
}

/// `POST /early-help/{id}/{what}`.
pub(crate) async fn early_help_submit(
    State(st): State<AppState>,
    u: SignedIn,
    Path((id, what)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<EpisodeForm>,
) -> Page {
    let kind = FormKind::early_help(&what)?;
    let eid = early_help_id(&id)?;
    let result = if kind == FormKind::StepUp {
        match f.step_up() {
            Ok(input) => st
                .app
                .step_up_early_help(&u.user, eid, input)
                .await
                .map(|r| format!("/referrals/{r}"))
                .map_err(form_errors),
            Err(errors) => Err(Ok((errors, None))),
        }
    } else {
        match f.early_help_update(kind) {
            Ok(update) => st
                .app
                .record_early_help(&u.user, eid, f.version, update)
                .await
                .map(|()| format!("/early-help/{eid}"))
                .map_err(form_errors),
            Err(errors) => Err(Ok((errors, None))),
        }
    };
    match result {
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        Err(e) => {
            let errors = e?.0;
            let t = early_help_target(&st, &u, eid, &what).await?;
            render_form(&st, &u, kind, t, Some(f), errors).await
        }
    }
}

/// `GET /children/{child}/cases/{case}/looked-after`.
pub(crate) async fn looked_after_start_form(
    State(st): State<AppState>,
    u: SignedIn,
    Path((child, case)): Path<(String, String)>,
) -> Page {
    let (child, case) = (child_id(&child)?, case_id(&case)?);
    let t = start_target(&st, &u, child, Some(case), FormKind::LookedAfterStart).await?;
    render_form(&st, &u, FormKind::LookedAfterStart, t, None, vec![]).await
}

/// `POST /children/{child}/cases/{case}/looked-after`.
pub(crate) async fn looked_after_start_submit(
    State(st): State<AppState>,
    u: SignedIn,
    Path((child, case)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<EpisodeForm>,
) -> Page {
    let (child, case) = (child_id(&child)?, case_id(&case)?);
    let result = match f.start_looked_after() {
        Ok(input) => st
            .app
            .start_looked_after(&u.user, case, input)
            .await
            .map_err(form_errors),
        Err(errors) => Err(Ok((errors, None))),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/children/{child}#looked-after")).into_response()),
        Err(e) => {
            let errors = e?.0;
            let t = start_target(&st, &u, child, Some(case), FormKind::LookedAfterStart).await?;
            render_form(&st, &u, FormKind::LookedAfterStart, t, Some(f), errors).await
        }
    }
}

async fn looked_after_target(
    st: &AppState,
    u: &SignedIn,
    child: ChildId,
    id: LookedAfterId,
    what: &str,
) -> Result<(Target, LookedAfterEpisode), WebError> {
    let r = st.app.view_child(&u.user, child).await?;
    if !r.can_edit {
        return Err(WebError::Forbidden(
            "you may read this child's record but not record on it",
        ));
    }
    let e = r
        .looked_after
        .iter()
        .find(|l| l.episode.id == id)
        .map(|l| l.episode.clone())
        .ok_or(WebError::NotFound)?;
    let intro = e
        .current()
        .map(|p| {
            format!(
                "Looked after since {}. Now: {} – {}; {}.",
                crate::views::long_date(&e.started_on()),
                p.legal_status.code(),
                p.legal_status.label(),
                p.placement.summary()
            )
        })
        .unwrap_or_default();
    Ok((
        Target {
            child_name: r.child.name.full(),
            action: format!("/children/{child}/looked-after/{id}/{what}"),
            back: format!("/children/{child}#looked-after"),
            intro,
            history: String::new(),
            version: e.version,
        },
        e,
    ))
}

/// The form pre-filled with the episode's current legal status and placement, for a change.
fn current_values(e: &LookedAfterEpisode, version: u32) -> EpisodeForm {
    let mut f = EpisodeForm::blank(version);
    if let Some(p) = e.current() {
        f.legal_status = p.legal_status.code().to_owned();
        f.place = p.placement.kind.code().to_owned();
        f.provider = p
            .placement
            .provider
            .map(|x| x.code().to_owned())
            .unwrap_or_default();
        f.postcode = p
            .placement
            .postcode
            .as_ref()
            .map(|x| x.to_string())
            .unwrap_or_default();
        f.placement_la = p
            .placement
            .la
            .as_ref()
            .map(|x| x.to_string())
            .unwrap_or_default();
    }
    f
}

/// `GET /children/{child}/looked-after/{id}/{what}`: change, review or end.
pub(crate) async fn looked_after_form(
    State(st): State<AppState>,
    u: SignedIn,
    Path((child, id, what)): Path<(String, String, String)>,
) -> Page {
    let kind = FormKind::looked_after(&what)?;
    let (t, e) =
        looked_after_target(&st, &u, child_id(&child)?, looked_after_id(&id)?, &what).await?;
    let form = (kind == FormKind::PlacementChange).then(|| current_values(&e, t.version));
    render_form(&st, &u, kind, t, form, vec![]).await
}

/// `POST /children/{child}/looked-after/{id}/{what}`.
pub(crate) async fn looked_after_submit(
    State(st): State<AppState>,
    u: SignedIn,
    Path((child, id, what)): Path<(String, String, String)>,
    CsrfForm(f): CsrfForm<EpisodeForm>,
) -> Page {
    let kind = FormKind::looked_after(&what)?;
    let (child, lid) = (child_id(&child)?, looked_after_id(&id)?);
    let result = match f.looked_after_update(kind) {
        Ok(update) => st
            .app
            .record_looked_after(&u.user, lid, f.version, update)
            .await
            .map_err(form_errors),
        Err(errors) => Err(Ok((errors, None))),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/children/{child}#looked-after")).into_response()),
        Err(e) => {
            let errors = e?.0;
            let (t, _) = looked_after_target(&st, &u, child, lid, &what).await?;
            render_form(&st, &u, kind, t, Some(f), errors).await
        }
    }
}
