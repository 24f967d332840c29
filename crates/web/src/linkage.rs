//! Pages of record linkage: the screening page's "not this child", "offer again" and "undo the
//! match", and the duplicate report for the front door. The evidence for every match is shown
//! as a waterfall: the prior, then each comparison's weight, then the total.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use safeguard_app::linkage::DuplicatesView;
use safeguard_domain::{ChildId, LinkDecisionId, LinkSubject};
use serde::Deserialize;

use crate::AppState;
use crate::front_door::{referral_id, screening_page};
use crate::front_door_forms::DecisionForm;
use crate::session::{CsrfForm, SignedIn};
use crate::views::{Chrome, WebError, render_status};

type Page = Result<Response, WebError>;

/// A match probability for people: "99.97%", "more than 99.99%", "62%".
pub(crate) fn probability(p: &f64) -> String {
    if *p > 0.9999 {
        "more than 99.99%".into()
    } else if *p >= 0.99 {
        format!("{:.2}%", p * 100.0)
    } else if *p < 0.01 {
        "less than 1%".into()
    } else {
        format!("{:.0}%", p * 100.0)
    }
}

/// A weight in bits, signed: "+11.2", "−3.4".
pub(crate) fn bits(w: &f64) -> String {
    if *w < 0.0 {
        format!("\u{2212}{:.1}", -w)
    } else {
        format!("+{w:.1}")
    }
}

/// The bar's classes: green for, red against, one step per bit up to 20.
pub(crate) fn bar_class(w: &f64) -> String {
    let steps = w.abs().round().min(20.0) as u32;
    let side = if *w < 0.0 { "against" } else { "for" };
    format!("app-bar app-bar--{side} app-bar--w{steps}")
}

fn child_id(s: &str) -> Result<ChildId, WebError> {
    s.trim()
        .parse()
        .map_err(|_| WebError::BadRequest("The child chosen is not a record id"))
}

fn decision_id(s: &str) -> Result<LinkDecisionId, WebError> {
    s.trim()
        .parse()
        .map_err(|_| WebError::BadRequest("The decision is not a record id"))
}

/// A candidate ruled out, or brought back.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CandidateForm {
    #[serde(default)]
    child: String,
    #[serde(default)]
    decision: String,
}

/// Undo a referral's match.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UnlinkForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    version: u32,
}

/// `POST /front-door/{id}/reject`.
pub(crate) async fn reject(
    State(st): State<AppState>,
    u: SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<CandidateForm>,
) -> Page {
    let id = referral_id(&id)?;
    let child = child_id(&f.child)?;
    match st.app.reject_candidate(&u.user, id, child).await {
        Ok(()) => Ok(Redirect::to(&format!("/front-door/{id}#match")).into_response()),
        Err(e) => {
            let errors = crate::pages::form_errors(e)?.0;
            screening_page(&st, &u, id, DecisionForm::default(), errors).await
        }
    }
}

/// `POST /front-door/{id}/unreject`.
pub(crate) async fn unreject(
    State(st): State<AppState>,
    u: SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<CandidateForm>,
) -> Page {
    let id = referral_id(&id)?;
    let decision = decision_id(&f.decision)?;
    st.app
        .undo_candidate_rejection(&u.user, id, decision)
        .await?;
    Ok(Redirect::to(&format!("/front-door/{id}#match")).into_response())
}

/// `POST /front-door/{id}/unlink`.
pub(crate) async fn unlink(
    State(st): State<AppState>,
    u: SignedIn,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<UnlinkForm>,
) -> Page {
    let id = referral_id(&id)?;
    match st
        .app
        .undo_referral_link(&u.user, id, &f.reason, f.version)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/front-door/{id}#match")).into_response()),
        Err(e) => {
            let errors = crate::pages::form_errors(e)?.0;
            screening_page(&st, &u, id, DecisionForm::default(), errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "duplicates.html")]
struct DuplicatesPage {
    chrome: Chrome,
    v: DuplicatesView,
}

impl DuplicatesPage {
    fn label(&self, id: &ChildId) -> String {
        self.v
            .labels
            .get(id)
            .map_or_else(|| "A child record".to_owned(), |l| l.text.clone())
    }

    fn subject_child(&self, subject: &LinkSubject) -> Option<ChildId> {
        match subject {
            LinkSubject::Child(c) => Some(*c),
            LinkSubject::Referral(_) => None,
        }
    }
}

async fn duplicates_page(
    st: &AppState,
    u: &SignedIn,
    errors: Vec<safeguard_app::FieldError>,
) -> Page {
    let v = st.app.duplicates_view(&u.user).await?;
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::BAD_REQUEST
    };
    Ok(render_status(
        status,
        &DuplicatesPage {
            chrome: Chrome::user(
                "Possible duplicate records",
                &u.user,
                &u.csrf,
                &st.app,
                "/front-door",
            )
            .with_errors(errors),
            v,
        },
    ))
}

/// `GET /front-door/duplicates`.
pub(crate) async fn duplicates(State(st): State<AppState>, u: SignedIn) -> Page {
    duplicates_page(&st, &u, vec![]).await
}

/// Same child, or different children.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DuplicateForm {
    #[serde(default)]
    left: String,
    #[serde(default)]
    right: String,
    #[serde(default)]
    same: String,
}

/// `POST /front-door/duplicates/decide`.
pub(crate) async fn decide(
    State(st): State<AppState>,
    u: SignedIn,
    CsrfForm(f): CsrfForm<DuplicateForm>,
) -> Page {
    let (left, right) = (child_id(&f.left)?, child_id(&f.right)?);
    let same = match f.same.as_str() {
        "yes" => true,
        "no" => false,
        _ => {
            return Err(WebError::BadRequest(
                "Say whether the records are the same child",
            ));
        }
    };
    match st.app.decide_duplicate(&u.user, left, right, same).await {
        Ok(_) => Ok(Redirect::to("/front-door/duplicates").into_response()),
        Err(e) => duplicates_page(&st, &u, crate::pages::form_errors(e)?.0).await,
    }
}

/// Reverse a decision.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReverseForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

/// `POST /front-door/duplicates/reverse`.
pub(crate) async fn reverse(
    State(st): State<AppState>,
    u: SignedIn,
    CsrfForm(f): CsrfForm<ReverseForm>,
) -> Page {
    let id = decision_id(&f.decision)?;
    match st
        .app
        .reverse_duplicate_decision(&u.user, id, &f.reason)
        .await
    {
        Ok(()) => Ok(Redirect::to("/front-door/duplicates").into_response()),
        Err(e) => duplicates_page(&st, &u, crate::pages::form_errors(e)?.0).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_and_weights_read_plainly() {
        assert_eq!(probability(&0.999_99), "more than 99.99%");
        assert_eq!(probability(&0.9973), "99.73%");
        assert_eq!(probability(&0.62), "62%");
        assert_eq!(probability(&0.001), "less than 1%");
        assert_eq!(bits(&11.24), "+11.2");
        assert_eq!(bits(&-3.45), "\u{2212}3.5");
        assert_eq!(bar_class(&-3.4), "app-bar app-bar--against app-bar--w3");
        assert_eq!(bar_class(&42.0), "app-bar app-bar--for app-bar--w20");
    }
}
