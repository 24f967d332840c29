//! Sessions and CSRF.
//!
//! Every page request carries a session: the cookie's token is looked up in the store, and a
//! visitor without one gets an anonymous session so that even the sign-in form has a CSRF token.
//! A handler that signs someone in or out attaches [`SetSession`] or [`ClearSession`] to its
//! response and the layer rewrites the cookie.
//!
//! CSRF is a synchroniser token (a hidden `csrf_token` field compared in constant time with the
//! session's) plus a check of the `Sec-Fetch-Site` and `Origin` headers where the browser sends
//! them.

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use safeguard_app::CurrentUser;
use safeguard_app::auth::SessionView;
use serde::de::DeserializeOwned;

use crate::views::WebError;
use crate::{AppState, BODY_LIMIT};

/// Attach to a response to replace the session cookie (after sign-in steps).
#[derive(Debug, Clone)]
pub(crate) struct SetSession(pub String);

/// Attach to a response to remove the session cookie (after sign-out).
#[derive(Debug, Clone)]
pub(crate) struct ClearSession;

fn cookie_name(secure: bool) -> &'static str {
    // The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only and
    // path /, so a sibling subdomain cannot plant one.
    if secure {
        "__Host-sg_session"
    } else {
        "sg_session"
    }
}

fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.chars().all(|c| c.is_ascii_hexdigit()))
}

fn set_cookie(resp: &mut Response, secure: bool, value: Option<&str>) {
    let name = cookie_name(secure);
    let secure_attr = if secure { "; Secure" } else { "" };
    let cookie = match value {
        Some(v) => format!("{name}={v}; Path=/; HttpOnly; SameSite=Strict{secure_attr}"),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure_attr}"),
    };
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Loads (or starts) the session for every page request and writes the cookie back.
pub(crate) async fn session_layer(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let secure = state.secure_cookies;
    let token = read_cookie(req.headers(), cookie_name(secure));
    let existing = match token {
        Some(t) => match state.app.session(&t).await {
            Ok(s) => s,
            Err(e) => return WebError::from(e).into_response(),
        },
        None => None,
    };
    let (view, fresh) = match existing {
        Some(v) => (v, false),
        None => match state.app.start_session().await {
            Ok(v) => (v, true),
            Err(e) => return WebError::from(e).into_response(),
        },
    };
    let fresh_token = view.token.clone();
    req.extensions_mut().insert(view);
    let mut resp = next.run(req).await;
    if let Some(SetSession(t)) = resp.extensions().get::<SetSession>().cloned() {
        set_cookie(&mut resp, secure, Some(&t));
    } else if resp.extensions().get::<ClearSession>().is_some() {
        set_cookie(&mut resp, secure, None);
    } else if fresh {
        set_cookie(&mut resp, secure, Some(&fresh_token));
    }
    resp
}

/// The session of this request.
#[derive(Debug, Clone)]
pub(crate) struct Session(pub SessionView);

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, WebError> {
        parts
            .extensions
            .get::<SessionView>()
            .cloned()
            .map(Session)
            .ok_or(WebError::Internal)
    }
}

/// A fully signed-in user; anyone else is sent to sign in.
#[derive(Debug, Clone)]
pub(crate) struct SignedIn {
    pub user: CurrentUser,
    pub csrf: String,
}

/// Sends the browser to the sign-in page.
#[derive(Debug)]
pub(crate) struct ToSignIn;

impl IntoResponse for ToSignIn {
    fn into_response(self) -> Response {
        Redirect::to("/sign-in").into_response()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = ToSignIn;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ToSignIn> {
        let view = parts.extensions.get::<SessionView>().ok_or(ToSignIn)?;
        let user = view.user.clone().ok_or(ToSignIn)?;
        Ok(SignedIn {
            user,
            csrf: view.csrf_token.clone(),
        })
    }
}

/// Constant-time comparison, so the token cannot be guessed byte by byte from timings.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Refuses requests a browser marks as coming from another site.
fn check_origin(headers: &HeaderMap) -> Result<(), WebError> {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return Err(WebError::Forbidden("The form came from another site"));
    }
    if let (Some(origin), Some(host)) = (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
        if origin != "null" && origin_host != host {
            return Err(WebError::Forbidden("The form came from another site"));
        }
    }
    Ok(())
}

/// A POSTed form whose CSRF token matched the session's, parsed into `T` with unknown fields
/// refused (`T` must use `#[serde(deny_unknown_fields)]`).
#[derive(Debug)]
pub(crate) struct CsrfForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for CsrfForm<T> {
    type Rejection = WebError;
    async fn from_request(req: Request<Body>, _: &S) -> Result<Self, WebError> {
        if req.method() != Method::POST {
            return Err(WebError::BadRequest(
                "Only form submissions are accepted here",
            ));
        }
        check_origin(req.headers())?;
        let expected = req
            .extensions()
            .get::<SessionView>()
            .map(|s| s.csrf_token.clone())
            .ok_or(WebError::Internal)?;
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(WebError::BadRequest("Send the form as a web form"));
        }
        let bytes = to_bytes(req.into_body(), BODY_LIMIT)
            .await
            .map_err(|_| WebError::TooLarge)?;
        let pairs: Vec<(String, String)> = serde_html_form::from_bytes(&bytes)
            .map_err(|_| WebError::BadRequest("The form could not be read"))?;
        let mut token = None;
        let mut rest = Vec::with_capacity(pairs.len());
        for (k, v) in pairs {
            if k == "csrf_token" {
                token = Some(v);
            } else {
                rest.push((k, v));
            }
        }
        if !token.is_some_and(|t| same(&t, &expected)) {
            return Err(WebError::Forbidden(
                "The form has expired. Go back, reload the page and try again",
            ));
        }
        let encoded = serde_html_form::to_string(&rest).map_err(|_| WebError::Internal)?;
        let value = serde_html_form::from_str(&encoded).map_err(|e| {
            tracing::info!(error = %e, "form refused");
            WebError::BadRequest("The form contained a field this page does not accept")
        })?;
        Ok(CsrfForm(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_name_and_must_be_hex() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; sg_session=abc123; b=2"),
        );
        assert_eq!(read_cookie(&h, "sg_session").as_deref(), Some("abc123"));
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("sg_session=<script>"),
        );
        assert_eq!(read_cookie(&h, "sg_session"), None);
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
    }

    #[test]
    fn cross_site_forms_are_refused() {
        let mut h = HeaderMap::new();
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(check_origin(&h).is_err());
        let mut h = HeaderMap::new();
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        h.insert(header::HOST, HeaderValue::from_static("safeguard.example"));
        assert!(check_origin(&h).is_err());
        let mut h = HeaderMap::new();
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://safeguard.example"),
        );
        h.insert(header::HOST, HeaderValue::from_static("safeguard.example"));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(check_origin(&h).is_ok());
    }
}
