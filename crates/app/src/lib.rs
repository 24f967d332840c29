//! The use-cases of `safeguard`, and the only door to the store for the web, API, CLI and jobs.
//!
//! Each use-case is one transaction, in this order: load the facts, ask `policy`, apply the
//! domain change, append the audit event, commit. A denied attempt is audited and committed too,
//! so the log shows who tried. This crate names no backend (it holds an `Arc<dyn Store>`) and
//! renders nothing: it returns view models and [`AppError`]s in the caller's terms.

pub mod admin;
pub mod auth;
pub mod bench;
pub mod cases;
pub mod children;
pub mod config;
pub mod demo;
pub mod episodes;
pub mod flags;
pub mod linkage;
pub mod matching;
pub mod records;
pub mod referrals;
pub mod tokens;
mod writer;

use std::sync::{Arc, RwLock};

use jiff::Timestamp;
use safeguard_domain::{Agency, Calendar, Clock, Practitioner, Team};
use safeguard_policy::{Action, Actor, Context, Decision, Resource};
use safeguard_store::{AuditEvent, Store, StoreError, Tx};

use crate::matching::{ChildMatcher, LinkageMatcher};

/// A problem with one field of the input, for the GOV.UK error summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The form field's name (and the id of its input).
    pub field: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Why a use-case did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input is invalid; nothing was saved.
    #[error("the input is not valid")]
    Invalid(Vec<FieldError>),
    /// Policy refused; the attempt was audited.
    #[error("not permitted: {0}")]
    Denied(&'static str),
    /// Not signed in, or the session has ended.
    #[error("sign in to continue")]
    Unauthenticated,
    /// The record does not exist (or the caller may not know it exists).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique value is taken. `existing` is the id of the record holding it, when the caller
    /// may see it.
    #[error("{message}")]
    Conflict {
        /// What clashed, for the page.
        message: String,
        /// The field that clashed.
        field: &'static str,
        /// Link target, when the caller may open the existing record.
        existing: Option<String>,
    },
    /// Sign-in failed. Deliberately says nothing about which part was wrong.
    #[error("The email address or password is not right, or the account is locked.")]
    SignInFailed,
    /// The store failed. The detail goes to the log, never to a page.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Shorthand for use-case results.
pub type AppResult<T> = Result<T, AppError>;

/// Settings the use-cases need.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// How long a signed-in session lasts without use.
    pub session_idle: jiff::SignedDuration,
    /// Failed attempts before an account locks.
    pub lockout_attempts: u32,
    /// How long a lock lasts.
    pub lockout_for: jiff::SignedDuration,
    /// True when the database holds the demo area; pages say so.
    pub demo: bool,
    /// How many months a flag stays visible to health after the plan or status ends (T14; the
    /// default is the table's 12, from the London procedures, spec §6.1).
    pub flag_visible_months: u32,
    /// Local red, amber and green targets at the front door (`safeguard.toml`).
    pub rag: safeguard_domain::rag::RagTargets,
    /// Flag lookups hand their writes to one writer task that commits many lookups in one
    /// durable transaction (group commit), answering each only after its commit. Off: each
    /// lookup commits its own transaction.
    pub group_commit: bool,
    /// How long an API token, once verified, is trusted without reading the store again. A
    /// token revoked by another process is refused at most this long after; one revoked in
    /// this process at once. Zero reads the store on every call.
    pub token_cache_ttl: jiff::SignedDuration,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            session_idle: jiff::SignedDuration::from_hours(8),
            lockout_attempts: 5,
            lockout_for: jiff::SignedDuration::from_mins(15),
            demo: false,
            flag_visible_months: safeguard_domain::timescales::rule(
                safeguard_domain::timescales::RuleId::T14FlagVisibleAfterEnd,
            )
            .amount,
            rag: safeguard_domain::rag::RagTargets::default(),
            group_commit: true,
            token_cache_ttl: jiff::SignedDuration::from_secs(5),
        }
    }
}

/// The application: the store, the clock, the calendar and settings.
#[derive(Debug, Clone)]
pub struct App {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    calendar: Arc<RwLock<Arc<Calendar>>>,
    config: AppConfig,
    matcher: Arc<dyn ChildMatcher>,
    writer: writer::GroupWriter,
    tokens: Arc<tokens::TokenCache>,
}

/// A signed-in practitioner, with their agency and team, as use-cases need them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentUser {
    /// The practitioner.
    pub practitioner: Practitioner,
    /// Their agency.
    pub agency: Agency,
    /// Their team.
    pub team: Option<Team>,
    /// Demo account (second factor switched off).
    pub demo: bool,
}

impl CurrentUser {
    /// The policy's view of this user.
    pub fn actor(&self) -> Actor {
        Actor {
            practitioner: self.practitioner.id,
            agency: self.agency.id,
            agency_kind: self.agency.kind,
            team: self.team.as_ref().map(|t| t.id),
            roles: self.practitioner.roles.clone(),
        }
    }

    /// The audit log's name for this user.
    pub fn audit_name(&self) -> String {
        format!("practitioner:{}", self.practitioner.id)
    }
}

impl App {
    /// Builds the application over a store. Loads imported bank holidays, if any, and builds
    /// the matching index over the children already recorded.
    pub async fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: AppConfig,
    ) -> AppResult<Self> {
        let matcher = LinkageMatcher::new()
            .map_err(|e| AppError::Store(StoreError::Corrupt(e.to_string())))?;
        let app = Self {
            writer: writer::GroupWriter::spawn(store.clone()),
            tokens: Arc::new(tokens::TokenCache::default()),
            store,
            clock,
            calendar: Arc::new(RwLock::new(Arc::new(Calendar::england_and_wales()))),
            config,
            matcher: Arc::new(matcher),
        };
        app.reload_calendar().await?;
        app.rebuild_matcher().await?;
        Ok(app)
    }

    /// Rebuilds the matching index from every child in the store, refitting the model to them
    /// (name frequencies, chance agreement, the prior). Returns how many children it holds.
    /// Run at start, after the demo is seeded, and by the periodic job, which also picks up
    /// children another process added.
    pub async fn rebuild_matcher(&self) -> AppResult<usize> {
        let children = self.all_children().await?;
        self.matcher.rebuild(&children);
        Ok(children.len())
    }

    /// Every child in the store, read a page at a time.
    pub(crate) async fn all_children(&self) -> AppResult<Vec<safeguard_domain::Child>> {
        const PAGE: u32 = 5_000;
        let mut children = Vec::new();
        let mut after = None;
        loop {
            let mut tx = self.begin().await?;
            let page = tx.children_page(after, PAGE).await?;
            drop(tx);
            let full = page.len() == PAGE as usize;
            after = page.last().map(|r| r.child.id);
            children.extend(page.into_iter().map(|r| r.child));
            if !full {
                break;
            }
        }
        Ok(children)
    }

    /// The matcher the front door and the duplicate report use.
    pub fn matcher(&self) -> &dyn ChildMatcher {
        self.matcher.as_ref()
    }

    /// The settings.
    pub fn config(&self) -> &AppConfig {
        &self.config
    }

    /// The store's backend name.
    pub fn backend_name(&self) -> &'static str {
        self.store.backend_name()
    }

    /// The working-day calendar in force.
    pub fn calendar(&self) -> Arc<Calendar> {
        match self.calendar.read() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The current time, from the one clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Today's civil date in England.
    pub fn today(&self) -> jiff::civil::Date {
        self.clock.today()
    }

    pub(crate) async fn begin(&self) -> AppResult<Box<dyn Tx>> {
        Ok(self.store.begin().await?)
    }

    /// A transaction for reads only (on SQLite it does not wait for the write lock).
    pub(crate) async fn begin_read(&self) -> AppResult<Box<dyn Tx>> {
        Ok(self.store.begin_read().await?)
    }

    /// Makes a lookup's writes durable: through the group-commit writer, or in a transaction of
    /// their own when group commit is off. Returns once they are committed.
    pub(crate) async fn write_lookup(&self, set: writer::WriteSet) -> AppResult<()> {
        if self.config.group_commit {
            self.writer.write(set).await?;
        } else {
            writer::write_sets(self.store.as_ref(), &[&set]).await?;
        }
        Ok(())
    }

    /// Re-reads the imported bank holidays; the shipped list stays when none were imported.
    pub async fn reload_calendar(&self) -> AppResult<()> {
        let mut tx = self.begin().await?;
        let dates = tx.holidays().await?;
        drop(tx);
        if !dates.is_empty() {
            let cal = Arc::new(Calendar::from_holidays(dates));
            match self.calendar.write() {
                Ok(mut c) => *c = cal,
                Err(poisoned) => *poisoned.into_inner() = cal,
            }
        }
        Ok(())
    }

    /// Replaces the bank holidays (from `safeguard calendar import`), audited.
    pub async fn import_holidays(&self, calendar: &Calendar, source: &str) -> AppResult<usize> {
        let dates: Vec<_> = calendar.holidays().collect();
        let mut tx = self.begin().await?;
        tx.replace_holidays(&dates).await?;
        tx.append_audit(&self.event(
            "cli",
            "calendar.import",
            "",
            None,
            serde_json::json!({"holidays": dates.len(), "source": source}),
        ))
        .await?;
        tx.commit().await?;
        self.reload_calendar().await?;
        Ok(dates.len())
    }

    /// Builds an audit event stamped with the clock.
    pub(crate) fn event(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        decision: Option<Decision>,
        payload: serde_json::Value,
    ) -> AuditEvent {
        AuditEvent {
            at: self.clock.now(),
            actor: actor.to_owned(),
            action: action.to_owned(),
            subject: subject.to_owned(),
            decision: decision.map(|d| d.code().to_owned()).unwrap_or_default(),
            reason: decision.map(|d| d.reason().to_owned()).unwrap_or_default(),
            payload,
        }
    }

    /// Asks policy. On a permit, hands the transaction back for the use-case to go on. On a
    /// deny, audits the attempt, commits (so the refusal is kept though the use-case stops) and
    /// returns [`AppError::Denied`].
    pub(crate) async fn authorize(
        &self,
        tx: Box<dyn Tx>,
        user: &CurrentUser,
        action: Action,
        resource: Resource<'_>,
        audit_action: &str,
        subject: &str,
    ) -> AppResult<(Box<dyn Tx>, Decision)> {
        let ctx = Context { interactive: true };
        let decision = safeguard_policy::decide(&user.actor(), action, resource, &ctx);
        self.go_on_or_refuse(
            tx,
            decision,
            &user.audit_name(),
            audit_action,
            subject,
            serde_json::json!({}),
        )
        .await
    }

    /// After policy has answered: hands the transaction back on a permit; on a deny, audits the
    /// attempt under `actor`, commits (so the refusal is kept) and returns [`AppError::Denied`].
    pub(crate) async fn go_on_or_refuse(
        &self,
        mut tx: Box<dyn Tx>,
        decision: Decision,
        actor: &str,
        audit_action: &str,
        subject: &str,
        payload: serde_json::Value,
    ) -> AppResult<(Box<dyn Tx>, Decision)> {
        if let Decision::Deny(reason) = decision {
            tx.append_audit(&self.event(actor, audit_action, subject, Some(decision), payload))
                .await?;
            tx.commit().await?;
            tracing::info!(action = audit_action, "denied");
            return Err(AppError::Denied(reason));
        }
        Ok((tx, decision))
    }

    /// Verifies the audit chain end to end.
    pub async fn verify_audit(&self) -> AppResult<safeguard_store::VerifyReport> {
        let mut tx = self.begin().await?;
        Ok(safeguard_store::audit::verify_chain(&mut *tx).await?)
    }
}

/// Random bytes from the operating system, hex encoded: session tokens, CSRF tokens.
pub fn random_token() -> AppResult<String> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf)
        .map_err(|e| AppError::Store(StoreError::Backend(format!("no randomness: {e}"))))?;
    Ok(hex::encode(buf))
}
