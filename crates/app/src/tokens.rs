//! API tokens for agency systems, and the use-cases those systems call: submitting a referral
//! and reading back its status and decision.
//!
//! A token is issued by an operator on the command line (`safeguard token create`), belongs to
//! one agency and carries scopes ([`ApiScope`]). Its secret is shown once; only the SHA-256 is
//! stored. Every issue, revocation, failed authentication and call is audited with the token's
//! id as the actor, so the log says which system did what.

use jiff::Timestamp;
use safeguard_domain::{
    Agency, ApiScope, ApiToken, ApiTokenId, Channel, Referral, ReferralId, api_token::TOKEN_PREFIX,
};
use safeguard_policy::{Action, Decision, ReferralFacts, Resource, SystemActor};
use safeguard_store::Tx;
use sha2::{Digest, Sha256};

use crate::referrals::{ReferralInput, Referrer, referral_facts, referral_subject};
use crate::{App, AppError, AppResult, FieldError};

/// An authenticated agency system: its token and agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiCaller {
    /// The token it presented.
    pub token: ApiToken,
    /// The token's agency.
    pub agency: Agency,
}

impl ApiCaller {
    /// The audit log's name for this caller.
    pub fn audit_name(&self) -> String {
        format!("token:{}", self.token.id)
    }

    fn actor(&self) -> SystemActor {
        SystemActor {
            agency: self.agency.id,
            agency_kind: self.agency.kind,
            scopes: self.token.scopes.clone(),
        }
    }
}

/// A newly issued token: the stored record and its secret, shown once.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The token.
    pub token: ApiToken,
    /// The secret to give the agency's system. Not stored anywhere.
    pub secret: String,
}

/// A token with its agency's name, for listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenListing {
    /// The token.
    pub token: ApiToken,
    /// Its agency's name.
    pub agency_name: String,
}

/// What an agency system submits as a referral: the same as the form, plus the practitioner on
/// whose behalf the system acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiReferralInput {
    /// The referral itself.
    pub referral: ReferralInput,
    /// The practitioner the system acts for (the referrer the front door will call back).
    pub referrer_name: String,
}

/// Tokens verified recently, by the SHA-256 of their secret, each with the time it must be
/// read again ([`crate::AppConfig::token_cache_ttl`]). Revoking in this process forgets the
/// token at once; a revocation by another process is seen when the entry expires.
#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, (ApiCaller, Timestamp)>>,
}

/// More distinct tokens than any partnership issues; past it the cache starts again.
const TOKEN_CACHE_MAX: usize = 4096;

impl TokenCache {
    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, (ApiCaller, Timestamp)>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, hash: &str, now: Timestamp) -> Option<ApiCaller> {
        let entries = self.lock();
        let (caller, until) = entries.get(hash)?;
        (now < *until).then(|| caller.clone())
    }

    fn put(&self, hash: String, caller: ApiCaller, until: Timestamp) {
        let mut entries = self.lock();
        if entries.len() >= TOKEN_CACHE_MAX {
            entries.clear();
        }
        entries.insert(hash, (caller, until));
    }

    fn forget(&self, id: ApiTokenId) {
        self.lock().retain(|_, (caller, _)| caller.token.id != id);
    }
}

/// The hex SHA-256 of a token secret: what the store keeps and looks up.
fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl App {
    /// Issues a token for an agency (given by id, ODS code, URN or DfE LA code) with at least
    /// one scope. Audited; the secret is returned once and never stored.
    pub async fn cli_create_token(
        &self,
        agency: &str,
        scopes: &[ApiScope],
        name: &str,
    ) -> AppResult<IssuedToken> {
        let mut errors = Vec::new();
        let name = name.trim();
        if name.is_empty() {
            errors.push(FieldError::new(
                "name",
                "Give the token a name saying which system holds it, e.g. --name \"Oakfield MIS\"",
            ));
        }
        if scopes.is_empty() {
            errors.push(FieldError::new(
                "scope",
                format!(
                    "Give at least one --scope: {}",
                    ApiScope::ALL
                        .iter()
                        .map(|s| s.code())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let agency = match self.find_agency(agency).await {
            Ok(a) => Some(a),
            Err(AppError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        if agency.is_none() {
            errors.push(FieldError::new(
                "agency",
                "No agency has that id or code; `safeguard agency list` shows them",
            ));
        }
        let Some(agency) = agency.filter(|_| errors.is_empty()) else {
            return Err(AppError::Invalid(errors));
        };
        let mut scopes = scopes.to_vec();
        scopes.sort();
        scopes.dedup();
        let token = ApiToken {
            id: ApiTokenId::new(),
            agency: agency.id,
            name: name.to_owned(),
            scopes,
            created_at: self.now(),
            revoked_at: None,
        };
        let mut tx = self.begin().await?;
        let secret = format!("{TOKEN_PREFIX}{}", crate::random_token()?);
        tx.insert_api_token(&token, &secret_hash(&secret)).await?;
        tx.append_audit(&self.event(
            "cli",
            "token.create",
            &format!("token:{}", token.id),
            None,
            serde_json::json!({
                "agency": token.agency,
                "scopes": token.scopes.iter().map(|s| s.code()).collect::<Vec<_>>(),
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok(IssuedToken { token, secret })
    }

    /// Every token, newest first, with its agency's name.
    pub async fn cli_list_tokens(&self) -> AppResult<Vec<TokenListing>> {
        let mut tx = self.begin().await?;
        let agencies = tx.list_agencies().await?;
        let tokens = tx.list_api_tokens().await?;
        Ok(tokens
            .into_iter()
            .map(|token| TokenListing {
                agency_name: agencies
                    .iter()
                    .find(|a| a.id == token.agency)
                    .map(|a| a.name.clone())
                    .unwrap_or_default(),
                token,
            })
            .collect())
    }

    /// Revokes a token by id. Audited. Calls with it are refused from then on.
    pub async fn cli_revoke_token(&self, id: &str) -> AppResult<ApiTokenId> {
        let id: ApiTokenId = id.trim().parse().map_err(|_| {
            AppError::Invalid(vec![FieldError::new(
                "id",
                "The token id is not valid; `safeguard token list` shows the ids",
            )])
        })?;
        let mut tx = self.begin().await?;
        tx.revoke_api_token(id, self.now())
            .await
            .map_err(|e| match e {
                safeguard_store::StoreError::Conflict { .. } => AppError::Conflict {
                    message: "That token is already revoked".into(),
                    field: "id",
                    existing: None,
                },
                safeguard_store::StoreError::NotFound(_) => AppError::NotFound("API token"),
                other => AppError::Store(other),
            })?;
        self.tokens.forget(id);
        tx.append_audit(&self.event(
            "cli",
            "token.revoke",
            &format!("token:{id}"),
            None,
            serde_json::json!({}),
        ))
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Authenticates a bearer token. An unknown or revoked token is refused with
    /// [`AppError::Unauthenticated`], and the attempt is audited (with the first characters of
    /// the secret's hash, never the secret).
    pub async fn authenticate_token(&self, secret: &str) -> AppResult<ApiCaller> {
        let hash = secret_hash(secret.trim());
        let now = self.now();
        if let Some(caller) = self.tokens.get(&hash, now) {
            return Ok(caller);
        }
        // Verified on a read-only snapshot: a call does not wait for the write lock.
        let mut tx = self.begin_read().await?;
        let token = tx.api_token_by_hash(&hash).await?;
        let (actor, reason) = match token {
            Some(token) if token.revoked_at.is_none() => {
                if let Some(agency) = tx.get_agency(token.agency).await? {
                    let caller = ApiCaller { token, agency };
                    let ttl = self.config().token_cache_ttl;
                    if ttl.is_positive() {
                        self.tokens.put(hash, caller.clone(), now + ttl);
                    }
                    return Ok(caller);
                }
                (
                    format!("token:{}", token.id),
                    "the token's agency no longer exists",
                )
            }
            Some(token) => (format!("token:{}", token.id), "the token has been revoked"),
            None => ("token:unknown".to_owned(), "no token has this secret"),
        };
        drop(tx);
        let mut tx = self.begin().await?;
        tx.append_audit(&self.event(
            &actor,
            "api.authenticate",
            "",
            Some(Decision::Deny(reason)),
            serde_json::json!({"secret_sha256_prefix": &hash[..8]}),
        ))
        .await?;
        tx.commit().await?;
        tracing::info!(action = "api.authenticate", "refused");
        Err(AppError::Unauthenticated)
    }

    /// Asks policy for an agency system, as [`App::authorize`] does for a person: a refusal is
    /// audited and committed, then returned as [`AppError::Denied`].
    pub(crate) async fn authorize_system(
        &self,
        tx: Box<dyn Tx>,
        caller: &ApiCaller,
        action: Action,
        resource: Resource<'_>,
        audit_action: &str,
        subject: &str,
    ) -> AppResult<(Box<dyn Tx>, Decision)> {
        let decision = safeguard_policy::decide_system(&caller.actor(), action, resource);
        self.go_on_or_refuse(
            tx,
            decision,
            &caller.audit_name(),
            audit_action,
            subject,
            serde_json::json!({"agency": caller.agency.id}),
        )
        .await
    }

    /// A local authority's system loads its flags from CSV (`POST /api/v1/flags/import`), as
    /// `safeguard flags import` does: the token needs `flags:write` and loads only its own
    /// LA's flags; a refusal is audited. Same report, same idempotence, one transaction.
    pub async fn api_import_flags(
        &self,
        caller: &ApiCaller,
        csv: &[u8],
    ) -> AppResult<crate::flags::ImportReport> {
        let la = caller.agency.id;
        let tx = self.begin().await?;
        let (tx, decision) = self
            .authorize_system(
                tx,
                caller,
                Action::ImportFlags,
                Resource::FrontDoor(la),
                "flags.import",
                &format!("agency:{la}"),
            )
            .await?;
        self.load_flags(
            tx,
            &caller.audit_name(),
            Some(decision),
            la,
            csv,
            &|_, _| {},
        )
        .await
    }

    /// An agency system submits a referral (`POST /api/v1/referrals`). Validated as the form
    /// is; acknowledged at once with its T1 due date in the response; audited with the token.
    pub async fn api_submit_referral(
        &self,
        caller: &ApiCaller,
        input: ApiReferralInput,
    ) -> AppResult<Referral> {
        let mut errors = self
            .check_referral(&input.referral, false)
            .err()
            .unwrap_or_default();
        if input.referrer_name.trim().is_empty() {
            errors.push(FieldError::new(
                "referrer_name",
                "Give the name of the practitioner making the referral",
            ));
        }
        if input.referral.concern.is_some() {
            errors.push(FieldError::new(
                "concern",
                "A referral through the API cannot name a concern in Safeguard's logs",
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let tx = self.begin().await?;
        let (mut tx, decision) = self
            .authorize_system(
                tx,
                caller,
                Action::MakeReferral,
                Resource::System,
                "referral.submit",
                "",
            )
            .await?;
        let referrer = Referrer {
            practitioner: None,
            agency: Some(caller.agency.id),
            name: input.referrer_name,
        };
        let referral = self
            .new_referral(&mut tx, input.referral, Channel::Api, referrer)
            .await?;
        tx.insert_referral(&referral).await?;
        tx.append_audit(&self.event(
            &caller.audit_name(),
            "referral.submit",
            &referral_subject(referral.id),
            Some(decision),
            serde_json::json!({
                "agency": caller.agency.id,
                "la": referral.la,
                "urgency": referral.urgency.code(),
                "lawful_basis": referral.lawful_basis.code(),
                "consent": referral.consent.code(),
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok(referral)
    }

    /// An agency system reads a referral it made (`GET /api/v1/referrals/{id}`): status and
    /// decision only. Another agency's referral is refused ([`AppError::Denied`]) and the
    /// attempt audited.
    pub async fn api_referral(&self, caller: &ApiCaller, id: ReferralId) -> AppResult<Referral> {
        let mut tx = self.begin().await?;
        let subject = referral_subject(id);
        let Some(referral) = tx.get_referral(id).await? else {
            return Err(AppError::NotFound("referral"));
        };
        let facts: ReferralFacts = referral_facts(&referral);
        let (mut tx, decision) = self
            .authorize_system(
                tx,
                caller,
                Action::ViewReferral,
                Resource::Referral(&facts),
                "referral.view",
                &subject,
            )
            .await?;
        tx.append_audit(&self.event(
            &caller.audit_name(),
            "referral.view",
            &subject,
            Some(decision),
            serde_json::json!({"agency": caller.agency.id}),
        ))
        .await?;
        tx.commit().await?;
        Ok(referral)
    }
}
