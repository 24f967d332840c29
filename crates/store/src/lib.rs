//! Storage ports for `safeguard`: the [`Store`] and [`Tx`] traits every backend implements, the
//! record types that cross them, [`StoreError`] in the caller's terms, and the audit hash chain.
//!
//! This crate holds no SQL and names no backend. A use-case opens one [`Tx`], does all its reads
//! and writes through it (including the audit append) and commits once, so nothing is ever
//! half-written. Backends (`store-sqlite`, `store-postgres`) own their SQL and migrations and are
//! held to the same behaviour by the `store-conformance` suite.

pub mod audit;

use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;
use safeguard_domain::{
    AccessNotification, AccessNotificationId, Flag, FlagAccess, FlagId, NoticeState,
};
use safeguard_domain::{
    Agency, AgencyId, ApiToken, ApiTokenId, Area, Case, CaseId, Child, ChildId, ChildPerson,
    ChronologyEntry, Concern, ConcernId, DuplicateReport, EarlyHelpEpisode, EarlyHelpId,
    Involvement, LinkDecision, LinkDecisionId, LinkSubject, LookedAfterEpisode, LookedAfterId,
    NhsNumber, NotificationId, Person, Postcode, Practitioner, PractitionerId, Referral,
    ReferralId, Reversal, Team, TeamId,
};

pub use audit::{AuditEvent, AuditRecord, GENESIS_HASH, VerifyReport};

/// What went wrong, in the terms a use-case can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique value is already taken, e.g. an NHS number or email address.
    #[error("{what} is already recorded")]
    Conflict {
        /// What clashed, e.g. "NHS number".
        what: &'static str,
    },
    /// The record to change does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The database refused to change the append-only audit log.
    #[error("the audit log is append-only")]
    AppendOnly,
    /// The database could not be reached or opened.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// Stored data could not be read back into the model.
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    /// Any other database failure. The text is for logs, never for pages.
    #[error("database error: {0}")]
    Backend(String),
}

/// Shorthand for store results.
pub type StoreResult<T> = Result<T, StoreError>;

/// A child as stored, with the team that owns the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildRow {
    /// The child.
    pub child: Child,
    /// The local authority team that owns the case, if any.
    pub owning_team: Option<TeamId>,
}

/// Search terms for finding a child. Every term given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChildQuery {
    /// Part of any name, current, alias or former (case-insensitive).
    pub name: Option<String>,
    /// Date of birth or expected date of birth.
    pub birth_date: Option<Date>,
    /// NHS number.
    pub nhs_number: Option<NhsNumber>,
    /// Postcode of any address.
    pub postcode: Option<Postcode>,
}

impl ChildQuery {
    /// True when no term is given.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.birth_date.is_none()
            && self.nhs_number.is_none()
            && self.postcode.is_none()
    }
}

/// An agency's involvement with a child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvolvementRow {
    /// The agency.
    pub agency: AgencyId,
    /// Why it is involved.
    pub involvement: Involvement,
    /// Since when.
    pub since: Date,
}

/// A practitioner's account: the practitioner plus what signing in needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The practitioner.
    pub practitioner: Practitioner,
    /// argon2id PHC string; `None` until a password is set.
    pub password_hash: Option<String>,
    /// Base32 TOTP secret once enrolled.
    pub totp_secret: Option<String>,
    /// Demo accounts only: the second factor is switched off. Never set outside `--demo`.
    pub demo_no_mfa: bool,
    /// Failed sign-in attempts since the last success.
    pub failed_attempts: u32,
    /// Locked until this time after too many failures.
    pub locked_until: Option<Timestamp>,
}

/// How far a session has got through signing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStage {
    /// Not signed in; the session only carries a CSRF token.
    Anonymous,
    /// Password accepted; the second factor (or its enrolment) is still to come.
    PasswordOk,
    /// Fully signed in.
    SignedIn,
}

impl SessionStage {
    /// Stable storage code.
    pub fn code(self) -> &'static str {
        match self {
            SessionStage::Anonymous => "anonymous",
            SessionStage::PasswordOk => "password_ok",
            SessionStage::SignedIn => "signed_in",
        }
    }
    /// Reads a storage code.
    pub fn parse(code: &str) -> StoreResult<Self> {
        match code {
            "anonymous" => Ok(SessionStage::Anonymous),
            "password_ok" => Ok(SessionStage::PasswordOk),
            "signed_in" => Ok(SessionStage::SignedIn),
            other => Err(StoreError::Corrupt(format!(
                "unknown session stage {other}"
            ))),
        }
    }
}

/// A session as stored. The cookie carries a random token; only its SHA-256 is kept here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// Hex SHA-256 of the cookie token.
    pub id_hash: String,
    /// The practitioner, once the password is accepted.
    pub practitioner: Option<PractitionerId>,
    /// Stage of sign-in.
    pub stage: SessionStage,
    /// Synchroniser token for forms.
    pub csrf_token: String,
    /// A TOTP secret offered during enrolment, not yet confirmed.
    pub pending_totp_secret: Option<String>,
    /// Created at.
    pub created_at: Timestamp,
    /// Expires at; an expired session is treated as absent.
    pub expires_at: Timestamp,
}

/// A message to a practitioner: a referral acknowledged, a decision made, something overdue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Id.
    pub id: NotificationId,
    /// Who it is for.
    pub recipient: PractitionerId,
    /// When it was raised.
    pub created_at: Timestamp,
    /// One line, shown in the list. No names of children: the link opens what the reader may see.
    pub text: String,
    /// Where it leads, a path in the product.
    pub link: String,
    /// Whether the recipient has seen it.
    pub read: bool,
}

/// How writing a flag went: the register is keyed on the flag's `source_ref`, so deriving or
/// importing the same thing again changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagWrite {
    /// A new flag.
    Inserted,
    /// A flag with this `source_ref` was there and has changed (say, it ended).
    Updated,
    /// The same flag was already there.
    Unchanged,
}

/// The size of the flag register, for the benchmark's check and the operator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlagRegisterCounts {
    /// Flags.
    pub flags: u64,
    /// Lookups that found a flag in unscheduled care (accesses recorded).
    pub accesses: u64,
    /// Access notifications to local authorities.
    pub notifications: u64,
}

/// Which of a local authority's access notifications to list. Every term given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoticeQuery {
    /// Only in this state.
    pub state: Option<NoticeState>,
    /// Only at or after this instant.
    pub from: Option<Timestamp>,
    /// Only before this instant.
    pub until: Option<Timestamp>,
    /// Only from this setting.
    pub setting: Option<AgencyId>,
    /// At most this many, newest first.
    pub limit: u32,
}

/// A storage backend.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Opens a transaction. Everything a use-case does goes through one.
    async fn begin(&self) -> StoreResult<Box<dyn Tx>>;
    /// Opens a transaction for reading only. On SQLite it does not take the write lock, so
    /// reads run beside the one writer; writing through it may fail. The default is
    /// [`Store::begin`].
    async fn begin_read(&self) -> StoreResult<Box<dyn Tx>> {
        self.begin().await
    }
    /// The flags held against an NHS number, read outside any transaction: the flag lookup's
    /// one read, on the hot path of unscheduled care, where a transaction's `BEGIN` and `COMMIT`
    /// would double its round trips. A single statement sees one consistent snapshot. Same
    /// order as [`Tx::flags_by_nhs`].
    async fn read_flags_by_nhs(&self, nhs: &NhsNumber) -> StoreResult<Vec<Flag>> {
        let mut tx = self.begin_read().await?;
        tx.flags_by_nhs(nhs).await
    }
    /// Which backend this is, for logs and the health page.
    fn backend_name(&self) -> &'static str;
}

/// One transaction. Dropping it without [`Tx::commit`] rolls everything back.
#[async_trait]
pub trait Tx: Send {
    /// Makes every change in this transaction durable.
    async fn commit(self: Box<Self>) -> StoreResult<()>;

    // --- agencies, teams, area ---
    /// Adds an agency. Conflict if any of its codes is taken by another agency.
    async fn insert_agency(&mut self, agency: &Agency) -> StoreResult<()>;
    /// Every agency, by name.
    async fn list_agencies(&mut self) -> StoreResult<Vec<Agency>>;
    /// One agency by id.
    async fn get_agency(&mut self, id: AgencyId) -> StoreResult<Option<Agency>>;
    /// One agency by ODS code, URN or DfE LA code.
    async fn find_agency_by_code(&mut self, code: &str) -> StoreResult<Option<Agency>>;
    /// Adds a team.
    async fn insert_team(&mut self, team: &Team) -> StoreResult<()>;
    /// Every team, by agency then name.
    async fn list_teams(&mut self) -> StoreResult<Vec<Team>>;
    /// One team.
    async fn get_team(&mut self, id: TeamId) -> StoreResult<Option<Team>>;
    /// Creates or replaces the partnership area (one per database).
    async fn put_area(&mut self, area: &Area) -> StoreResult<()>;
    /// The partnership area, if set up.
    async fn get_area(&mut self) -> StoreResult<Option<Area>>;

    // --- accounts and sessions ---
    /// Adds an account. Conflict if the email is taken.
    async fn insert_account(&mut self, account: &Account) -> StoreResult<()>;
    /// Replaces an account's practitioner details and sign-in state.
    async fn update_account(&mut self, account: &Account) -> StoreResult<()>;
    /// One account by id.
    async fn get_account(&mut self, id: PractitionerId) -> StoreResult<Option<Account>>;
    /// One account by email (lower case).
    async fn get_account_by_email(&mut self, email: &str) -> StoreResult<Option<Account>>;
    /// Every practitioner, by name.
    async fn list_practitioners(&mut self) -> StoreResult<Vec<Practitioner>>;
    /// How many active accounts hold the administrator role.
    async fn count_active_admins(&mut self) -> StoreResult<u64>;
    /// Creates or replaces a session.
    async fn put_session(&mut self, session: &SessionRow) -> StoreResult<()>;
    /// One session by token hash (expired ones included; the caller checks).
    async fn get_session(&mut self, id_hash: &str) -> StoreResult<Option<SessionRow>>;
    /// Removes a session.
    async fn delete_session(&mut self, id_hash: &str) -> StoreResult<()>;
    /// Removes every session of a practitioner (disable, MFA reset).
    async fn delete_sessions_of(&mut self, practitioner: PractitionerId) -> StoreResult<()>;
    /// Removes sessions that expired before `now`; returns how many.
    async fn delete_expired_sessions(&mut self, now: Timestamp) -> StoreResult<u64>;

    // --- children and the people around them ---
    /// Adds a child. Conflict if the NHS number is already recorded.
    async fn insert_child(&mut self, row: &ChildRow) -> StoreResult<()>;
    /// Replaces a child. Conflict if the NHS number belongs to another child.
    async fn update_child(&mut self, row: &ChildRow) -> StoreResult<()>;
    /// One child.
    async fn get_child(&mut self, id: ChildId) -> StoreResult<Option<ChildRow>>;
    /// The child with this NHS number.
    async fn find_child_by_nhs(&mut self, nhs: &NhsNumber) -> StoreResult<Option<ChildId>>;
    /// Children matching every given term, by family then given name, at most `limit`.
    async fn search_children(&mut self, q: &ChildQuery, limit: u32) -> StoreResult<Vec<ChildRow>>;
    /// Children allocated to a practitioner.
    async fn children_allocated_to(
        &mut self,
        practitioner: PractitionerId,
    ) -> StoreResult<Vec<ChildRow>>;
    /// Allocates a practitioner to a child (idempotent).
    async fn allocate(&mut self, child: ChildId, practitioner: PractitionerId) -> StoreResult<()>;
    /// Practitioners allocated to a child.
    async fn allocations(&mut self, child: ChildId) -> StoreResult<Vec<PractitionerId>>;
    /// Adds a person.
    async fn insert_person(&mut self, person: &Person) -> StoreResult<()>;
    /// Links a person to a child (replacing an earlier link between the two).
    async fn link_person(&mut self, link: &ChildPerson) -> StoreResult<()>;
    /// The people linked to a child, with the link.
    async fn people_of_child(&mut self, child: ChildId) -> StoreResult<Vec<(Person, ChildPerson)>>;
    /// Records an agency's involvement (idempotent on child, agency and kind).
    async fn add_involvement(&mut self, child: ChildId, row: &InvolvementRow) -> StoreResult<()>;
    /// Agencies involved with a child.
    async fn involvements(&mut self, child: ChildId) -> StoreResult<Vec<InvolvementRow>>;
    /// Adds a chronology entry.
    async fn add_chronology(&mut self, entry: &ChronologyEntry) -> StoreResult<()>;
    /// A child's chronology, newest first.
    async fn chronology(&mut self, child: ChildId) -> StoreResult<Vec<ChronologyEntry>>;
    /// How many children are recorded.
    async fn count_children(&mut self) -> StoreResult<u64>;

    // --- record linkage ---
    /// Up to `limit` children with ids after `after` (all from the start when `None`), in id
    /// order: for building the matching index a page at a time.
    async fn children_page(
        &mut self,
        after: Option<ChildId>,
        limit: u32,
    ) -> StoreResult<Vec<ChildRow>>;
    /// Records a person's linkage decision.
    async fn insert_link_decision(&mut self, d: &LinkDecision) -> StoreResult<()>;
    /// One linkage decision.
    async fn get_link_decision(&mut self, id: LinkDecisionId) -> StoreResult<Option<LinkDecision>>;
    /// Marks a decision reversed. NotFound if there is no such decision; Conflict (`what` =
    /// "linkage decision") if it was already reversed.
    async fn reverse_link_decision(
        &mut self,
        id: LinkDecisionId,
        reversal: &Reversal,
    ) -> StoreResult<()>;
    /// Decisions about one subject (reversed ones included), oldest first.
    async fn link_decisions_about(
        &mut self,
        subject: &LinkSubject,
    ) -> StoreResult<Vec<LinkDecision>>;
    /// Decisions about pairs of child records (reversed ones included), newest first.
    async fn child_link_decisions(&mut self) -> StoreResult<Vec<LinkDecision>>;
    /// Replaces the duplicate report.
    async fn put_duplicate_report(&mut self, report: &DuplicateReport) -> StoreResult<()>;
    /// The latest duplicate report, if one was made.
    async fn duplicate_report(&mut self) -> StoreResult<Option<DuplicateReport>>;

    // --- concerns, referrals, notifications ---
    /// Adds a concern to a setting's log.
    async fn insert_concern(&mut self, concern: &Concern) -> StoreResult<()>;
    /// Replaces a concern (to link the referral made from it).
    async fn update_concern(&mut self, concern: &Concern) -> StoreResult<()>;
    /// One concern.
    async fn get_concern(&mut self, id: ConcernId) -> StoreResult<Option<Concern>>;
    /// Every concern in a setting's log, newest first.
    async fn concerns_of_setting(&mut self, setting: AgencyId) -> StoreResult<Vec<Concern>>;
    /// Concerns one practitioner recorded, newest first.
    async fn concerns_recorded_by(&mut self, who: PractitionerId) -> StoreResult<Vec<Concern>>;
    /// Adds a referral.
    async fn insert_referral(&mut self, referral: &Referral) -> StoreResult<()>;
    /// Saves a referral whose `version` is one more than the stored one. Conflict (`what` =
    /// "referral") when someone else saved it first.
    async fn update_referral(&mut self, referral: &Referral) -> StoreResult<()>;
    /// One referral.
    async fn get_referral(&mut self, id: ReferralId) -> StoreResult<Option<Referral>>;
    /// Referrals a practitioner made, newest first.
    async fn referrals_by(&mut self, referrer: PractitionerId) -> StoreResult<Vec<Referral>>;
    /// A local authority's referrals awaiting a decision: most urgent first, then earliest due,
    /// then earliest received.
    async fn referral_queue(&mut self, la: AgencyId) -> StoreResult<Vec<Referral>>;
    /// Referrals about a known child, newest first.
    async fn referrals_of_child(&mut self, child: ChildId) -> StoreResult<Vec<Referral>>;
    /// Adds a notification.
    async fn insert_notification(&mut self, n: &Notification) -> StoreResult<()>;
    /// Adds a notification unless one with the same `key` was ever added; returns whether it was
    /// added. Lets a job raise "overdue" once per item, across restarts.
    async fn insert_notification_once(&mut self, n: &Notification, key: &str) -> StoreResult<bool>;
    /// A practitioner's notifications, newest first, at most `limit`.
    async fn notifications_for(
        &mut self,
        recipient: PractitionerId,
        limit: u32,
    ) -> StoreResult<Vec<Notification>>;
    /// Marks one of the recipient's notifications read; NotFound if it is not theirs.
    async fn mark_notification_read(
        &mut self,
        id: NotificationId,
        recipient: PractitionerId,
    ) -> StoreResult<()>;

    // --- cases ---
    /// Opens a case.
    async fn insert_case(&mut self, case: &Case) -> StoreResult<()>;
    /// Saves a case whose `version` is one more than the stored one; Conflict (`what` = "case")
    /// when someone else saved it first.
    async fn update_case(&mut self, case: &Case) -> StoreResult<()>;
    /// One case.
    async fn get_case(&mut self, id: CaseId) -> StoreResult<Option<Case>>;
    /// Every case that is not closed (or closed with no further action).
    async fn open_cases(&mut self) -> StoreResult<Vec<Case>>;
    /// A child's cases, newest first.
    async fn cases_of_child(&mut self, child: ChildId) -> StoreResult<Vec<Case>>;

    // --- API tokens ---
    /// Adds a token with the SHA-256 (hex) of its secret. Conflict if the hash is taken.
    async fn insert_api_token(&mut self, token: &ApiToken, secret_hash: &str) -> StoreResult<()>;
    /// The token whose secret hashes to `secret_hash` (revoked ones included; the caller checks).
    async fn api_token_by_hash(&mut self, secret_hash: &str) -> StoreResult<Option<ApiToken>>;
    /// Every token, newest first.
    async fn list_api_tokens(&mut self) -> StoreResult<Vec<ApiToken>>;
    /// Marks a token revoked. NotFound if there is no such token; Conflict (`what` = "API
    /// token") if it was already revoked.
    async fn revoke_api_token(&mut self, id: ApiTokenId, at: Timestamp) -> StoreResult<()>;

    // --- calendar ---
    /// Replaces the stored bank holidays.
    async fn replace_holidays(&mut self, dates: &[Date]) -> StoreResult<()>;
    /// The stored bank holidays; empty when none were imported.
    async fn holidays(&mut self) -> StoreResult<Vec<Date>>;

    // --- audit ---
    /// Appends an event to the hash chain, in this transaction.
    async fn append_audit(&mut self, event: &AuditEvent) -> StoreResult<AuditRecord>;
    /// Appends events to the hash chain in order, in this transaction: the same records as
    /// calling [`Tx::append_audit`] for each, which is the default. Backends override it to read
    /// the chain's tail once and insert every row in one statement (the group-commit writer).
    async fn append_audit_batch(&mut self, events: &[AuditEvent]) -> StoreResult<Vec<AuditRecord>> {
        let mut out = Vec::with_capacity(events.len());
        for event in events {
            out.push(self.append_audit(event).await?);
        }
        Ok(out)
    }
    /// How many audit records have this action (e.g. `flags.lookup`).
    async fn count_audit(&mut self, action: &str) -> StoreResult<u64>;
    /// Up to `limit` records with `seq > after`, in order.
    async fn audit_page(&mut self, after: i64, limit: u32) -> StoreResult<Vec<AuditRecord>>;
    /// Records about one subject (e.g. `child:<id>`), newest first, at most `limit`.
    async fn audit_for_subject(
        &mut self,
        subject: &str,
        limit: u32,
    ) -> StoreResult<Vec<AuditRecord>>;

    // --- flags ---
    /// Adds a flag, or updates the one with the same `source_ref` (keeping its id).
    async fn put_flag(&mut self, flag: &Flag) -> StoreResult<FlagWrite>;
    /// Adds many new flags at once (bulk loading; multi-row statements). Conflict if any
    /// `source_ref` or id is already in the register; nothing is updated.
    async fn bulk_insert_flags(&mut self, flags: &[Flag]) -> StoreResult<()>;
    /// How many flags, flag accesses and access notifications the register holds.
    async fn flag_register_counts(&mut self) -> StoreResult<FlagRegisterCounts>;
    /// Removes a flag (a derived flag whose source no longer gives one). NotFound if absent.
    async fn delete_flag(&mut self, id: FlagId) -> StoreResult<()>;
    /// The flags held against an NHS number, oldest start first. A point lookup on an index.
    async fn flags_by_nhs(&mut self, nhs: &NhsNumber) -> StoreResult<Vec<Flag>>;
    /// The flags about a child (derived or matched), oldest start first.
    async fn flags_of_child(&mut self, child: ChildId) -> StoreResult<Vec<Flag>>;
    /// Every flag, or one local authority's, by NHS number then start.
    async fn list_flags(&mut self, la: Option<AgencyId>) -> StoreResult<Vec<Flag>>;
    /// Records a lookup that found flags.
    async fn insert_flag_access(&mut self, access: &FlagAccess) -> StoreResult<()>;
    /// The latest lookups of an NHS number, newest first, at most `limit`.
    async fn recent_flag_accesses(
        &mut self,
        nhs: &NhsNumber,
        limit: u32,
    ) -> StoreResult<Vec<FlagAccess>>;
    /// Adds an access notification to a local authority.
    async fn insert_access_notification(&mut self, n: &AccessNotification) -> StoreResult<()>;
    /// Records many lookups' accesses and then their notifications, as one call of
    /// [`Tx::insert_flag_access`] and [`Tx::insert_access_notification`] each would (the
    /// default); backends write each kind in multi-row statements (the group-commit writer).
    async fn insert_flag_accesses(
        &mut self,
        accesses: &[&FlagAccess],
        notices: &[&AccessNotification],
    ) -> StoreResult<()> {
        for a in accesses {
            self.insert_flag_access(a).await?;
        }
        for n in notices {
            self.insert_access_notification(n).await?;
        }
        Ok(())
    }
    /// One access notification.
    async fn get_access_notification(
        &mut self,
        id: AccessNotificationId,
    ) -> StoreResult<Option<AccessNotification>>;
    /// Saves an access notification's state. NotFound if absent.
    async fn update_access_notification(&mut self, n: &AccessNotification) -> StoreResult<()>;
    /// A local authority's access notifications matching the query, newest first.
    async fn access_notifications(
        &mut self,
        la: AgencyId,
        q: &NoticeQuery,
    ) -> StoreResult<Vec<AccessNotification>>;
    // --- early help and looked-after episodes ---
    /// Starts an early help episode. Conflict (`what` = "open early help episode") when the
    /// child already has one open.
    async fn insert_early_help(&mut self, episode: &EarlyHelpEpisode) -> StoreResult<()>;
    /// Saves an episode whose `version` is one more than the stored one; Conflict (`what` =
    /// "early help episode") when someone else saved it first.
    async fn update_early_help(&mut self, episode: &EarlyHelpEpisode) -> StoreResult<()>;
    /// One early help episode.
    async fn get_early_help(&mut self, id: EarlyHelpId) -> StoreResult<Option<EarlyHelpEpisode>>;
    /// A child's early help episodes, newest first.
    async fn early_help_of_child(&mut self, child: ChildId) -> StoreResult<Vec<EarlyHelpEpisode>>;
    /// Every open early help episode (not closed), oldest first: for the overdue job, which
    /// must reach an agency's own episodes that have no case.
    async fn open_early_help(&mut self) -> StoreResult<Vec<EarlyHelpEpisode>>;
    /// The episodes a practitioner leads, newest first.
    async fn early_help_led_by(
        &mut self,
        lead: PractitionerId,
    ) -> StoreResult<Vec<EarlyHelpEpisode>>;
    /// Starts a looked-after episode. Conflict (`what` = "open looked-after episode") when the
    /// child is already in an open one.
    async fn insert_looked_after(&mut self, episode: &LookedAfterEpisode) -> StoreResult<()>;
    /// Saves an episode whose `version` is one more than the stored one; Conflict (`what` =
    /// "looked-after episode") when someone else saved it first.
    async fn update_looked_after(&mut self, episode: &LookedAfterEpisode) -> StoreResult<()>;
    /// One looked-after episode.
    async fn get_looked_after(
        &mut self,
        id: LookedAfterId,
    ) -> StoreResult<Option<LookedAfterEpisode>>;
    /// A child's looked-after episodes, newest first.
    async fn looked_after_of_child(
        &mut self,
        child: ChildId,
    ) -> StoreResult<Vec<LookedAfterEpisode>>;
}
