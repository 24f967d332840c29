//! The PostgreSQL backend of `safeguard`, for partnerships that already run a database server or
//! want several areas in one: the same behaviour as the embedded SQLite backend, held to it by the
//! `safeguard-store-conformance` suite, in PostgreSQL's own types.
//!
//! This crate owns its migrations (`migrations/`, forward-only) and all of its SQL. It implements
//! the `safeguard-store` traits and nothing more: no business rules and no authorization live
//! here, and it must never log or put in an error anything but ids (no names, addresses, notes or
//! connection passwords). Two PostgreSQL habits are bent to keep SQLite's behaviour: every write
//! runs inside its own savepoint, so a refused statement (say, a duplicate NHS number) undoes only
//! itself and the transaction stays usable; and audit appends take a transaction-scoped advisory
//! lock before reading the tail of the chain, so concurrent transactions cannot fork it.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;
use safeguard_domain::ids::Id;
use safeguard_domain::{AccessNotification, AccessNotificationId, Flag, FlagAccess, FlagId};
use safeguard_domain::{
    Agency, AgencyId, AgencyKind, ApiToken, ApiTokenId, Area, Case, CaseId, Child, ChildId,
    ChildPerson, ChronologyEntry, ChronologyKind, Concern, ConcernId, DuplicateReport,
    EarlyHelpEpisode, EarlyHelpId, Involvement, LinkDecision, LinkDecisionId, LinkSubject,
    LookedAfterEpisode, LookedAfterId, NhsNumber, NotificationId, Person, Practitioner,
    PractitionerId, Referral, ReferralId, Relationship, Reversal, Role, Team, TeamId, Urgency,
};
use safeguard_store::audit::{at_text, chain_after, hash_event, payload_text};
use safeguard_store::{
    Account, AuditEvent, AuditRecord, ChildQuery, ChildRow, FlagRegisterCounts, FlagWrite,
    GENESIS_HASH, InvolvementRow, NoticeQuery, Notification, SessionRow, SessionStage, Store,
    StoreError, StoreResult, Tx,
};
use sqlx::postgres::{
    PgArguments, PgConnectOptions, PgPool, PgPoolOptions, PgQueryResult, PgRow, Postgres,
};
use sqlx::query::Query;
use sqlx::{Acquire, QueryBuilder, Row, Transaction};
use uuid::Uuid;

/// The PostgreSQL backend.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to the database at a `postgres://` URL and applies any pending migrations, in
    /// whatever schema the connection's `search_path` names first (normally `public`).
    pub async fn open(url: &str) -> StoreResult<Self> {
        let options = parse_url(url)?;
        let pool = connect(options).await?;
        let migrator = sqlx::migrate!("./migrations");
        migrator
            .run(&pool)
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot migrate the database: {e}")))?;
        Ok(Self { pool })
    }

    /// Like [`PostgresStore::open`], but keeps every table in `schema`, creating it if missing:
    /// each pooled connection's `search_path` is set to it. One database can then host several
    /// partnership areas, and each test gets a schema of its own.
    ///
    /// The name must be a plain identifier (ASCII letters, digits and `_`, not starting with a
    /// digit, at most 63 bytes, not starting with `pg_`); PostgreSQL folds it to lower case.
    pub async fn open_in_schema(url: &str, schema: &str) -> StoreResult<Self> {
        check_schema_name(schema)?;
        let options = parse_url(url)?.options([("search_path", schema)]);
        let pool = connect(options).await?;
        let mut migrator = sqlx::migrate!("./migrations");
        // Created under the migrator's lock, so two processes opening a new schema at once do
        // not race. The name was checked above, so it is safe to splice unquoted.
        migrator.create_schema(schema.to_owned());
        migrator
            .run(&pool)
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot migrate schema {schema}: {e}")))?;
        Ok(Self { pool })
    }

    /// The pool, for tests that must reach past the store (e.g. to tamper with the audit log).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

fn parse_url(url: &str) -> StoreResult<PgConnectOptions> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(StoreError::Unavailable(
            "the PostgreSQL URL must start with postgres://, e.g. postgres://user@host/db".into(),
        ));
    }
    // The parser's message can quote the URL, which may hold a password, so it is not passed on.
    PgConnectOptions::from_str(url).map_err(|_| {
        StoreError::Unavailable(
            "the PostgreSQL URL is not valid; expected postgres://user:password@host:port/db"
                .into(),
        )
    })
}

async fn connect(options: PgConnectOptions) -> StoreResult<PgPool> {
    // Named without the user or password, which must never reach a log or a page.
    let place = format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("(default database)")
    );
    PgPoolOptions::new()
        .max_connections(10)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|e| {
            StoreError::Unavailable(format!("cannot connect to PostgreSQL at {place}: {e}"))
        })
}

fn check_schema_name(schema: &str) -> StoreResult<()> {
    let bad = |why: &str| {
        Err(StoreError::Unavailable(format!(
            "the schema name {schema:?} {why}; use ASCII letters, digits and underscores, \
             starting with a letter or underscore"
        )))
    };
    let Some(first) = schema.chars().next() else {
        return bad("is empty");
    };
    if first.is_ascii_digit() {
        return bad("starts with a digit");
    }
    if !schema
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return bad("holds a character other than a letter, digit or underscore");
    }
    // PostgreSQL silently truncates longer identifiers (NAMEDATALEN - 1), which would put the
    // tables somewhere other than the name asked for.
    if schema.len() > 63 {
        return bad("is longer than 63 characters");
    }
    if schema.to_ascii_lowercase().starts_with("pg_") {
        return bad("starts with pg_, which PostgreSQL reserves for system schemas");
    }
    Ok(())
}

#[async_trait]
impl Store for PostgresStore {
    async fn begin(&self) -> StoreResult<Box<dyn Tx>> {
        let tx = self.pool.begin().await.map_err(map_err)?;
        Ok(Box::new(PostgresTx { tx }))
    }

    async fn read_flags_by_nhs(&self, nhs: &NhsNumber) -> StoreResult<Vec<Flag>> {
        let rows = sqlx::query(FLAGS_BY_NHS)
            .bind(nhs.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        docs(&rows)
    }

    fn backend_name(&self) -> &'static str {
        "postgres"
    }
}

/// The flags held against one NHS number, oldest first.
const FLAGS_BY_NHS: &str = "SELECT doc FROM flags WHERE nhs_number = $1 ORDER BY start_on, id";

struct PostgresTx {
    tx: Transaction<'static, Postgres>,
}

fn map_err(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        if db.message().contains("append-only") {
            return StoreError::AppendOnly;
        }
        if db.is_unique_violation() {
            // The constraints are named in the migration, so the name says what clashed.
            let what = match db.constraint() {
                Some("children_nhs_number_key") => "NHS number",
                Some("practitioners_email_key") => "email address",
                Some("agencies_ods_code_key") => "ODS code",
                Some("agencies_urn_key") => "URN",
                Some("agencies_la_code_key") => "DfE LA code",
                Some("api_tokens_secret_hash_key") => "API token",
                Some("looked_after_one_open") => "open looked-after episode",
                Some("early_help_one_open") => "open early help episode",
                _ => "record",
            };
            return StoreError::Conflict { what };
        }
    }
    if matches!(
        e,
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)
    ) {
        return StoreError::Unavailable(e.to_string());
    }
    StoreError::Backend(e.to_string())
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn get<'r, T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>>(
    row: &'r PgRow,
    col: &str,
) -> StoreResult<T> {
    row.try_get(col).map_err(map_err)
}

fn id<K>(row: &PgRow, col: &str) -> StoreResult<Id<K>> {
    Ok(Id::from_uuid(get::<Uuid>(row, col)?))
}

fn opt_id<K>(row: &PgRow, col: &str) -> StoreResult<Option<Id<K>>> {
    Ok(get::<Option<Uuid>>(row, col)?.map(Id::from_uuid))
}

fn uuid_of<K>(id: Option<Id<K>>) -> Option<Uuid> {
    id.map(|i| i.as_uuid())
}

// Civil dates cross the wire as ISO 8601 text (`$n::date` going in, `to_char` coming out), and
// timestamps as RFC 3339 UTC text with microseconds, PostgreSQL's own precision. Text keeps this
// exact and free of any dependence on the session's DateStyle or TimeZone.
fn date_text(d: Date) -> String {
    d.to_string()
}

fn ts_text(t: Timestamp) -> String {
    format!("{t:.6}")
}

fn parse_date(s: &str) -> StoreResult<Date> {
    s.parse().map_err(|e| corrupt(format!("bad date {s}: {e}")))
}

fn parse_ts(s: &str) -> StoreResult<Timestamp> {
    s.parse()
        .map_err(|e| corrupt(format!("bad timestamp {s}: {e}")))
}

fn date_col(row: &PgRow, col: &str) -> StoreResult<Date> {
    parse_date(&get::<String>(row, col)?)
}

fn opt_ts_col(row: &PgRow, col: &str) -> StoreResult<Option<Timestamp>> {
    get::<Option<String>>(row, col)?
        .as_deref()
        .map(parse_ts)
        .transpose()
}

fn ts_col(row: &PgRow, col: &str) -> StoreResult<Timestamp> {
    parse_ts(&get::<String>(row, col)?)
}

fn from_doc<T: serde::de::DeserializeOwned>(row: &PgRow, col: &str) -> StoreResult<T> {
    serde_json::from_value(get::<serde_json::Value>(row, col)?).map_err(corrupt)
}

fn to_doc<T: serde::Serialize>(v: &T) -> StoreResult<serde_json::Value> {
    serde_json::to_value(v).map_err(corrupt)
}

/// Sort rank of an urgency: 0 is the most urgent ([`Urgency::ALL`] is declared in that order).
fn urgency_rank(u: Urgency) -> i32 {
    Urgency::ALL
        .iter()
        .position(|x| *x == u)
        .and_then(|p| i32::try_from(p).ok())
        .unwrap_or(i32::MAX)
}

fn docs<T: serde::de::DeserializeOwned>(rows: &[PgRow]) -> StoreResult<Vec<T>> {
    rows.iter().map(|r| from_doc(r, "doc")).collect()
}

fn notification_from_row(row: &PgRow) -> StoreResult<Notification> {
    Ok(Notification {
        id: id(row, "id")?,
        recipient: id(row, "recipient_id")?,
        created_at: ts_col(row, "created_text")?,
        text: get(row, "text")?,
        link: get(row, "link")?,
        read: get(row, "read")?,
    })
}

fn role_codes(roles: &[Role]) -> Vec<String> {
    roles.iter().map(|r| r.code().to_owned()).collect()
}

fn parse_roles(codes: &[String]) -> StoreResult<Vec<Role>> {
    codes
        .iter()
        .map(|c| Role::parse(c).map_err(corrupt))
        .collect()
}

/// Lower-case, `|`-delimited list of every name, so a substring search finds aliases too.
fn names_search(child: &Child) -> String {
    let mut s = String::from("|");
    for n in child.all_names() {
        s.push_str(&n.full().to_lowercase());
        s.push('|');
    }
    s
}

fn postcodes(child: &Child) -> Vec<String> {
    child
        .addresses
        .iter()
        .map(|a| a.postcode.as_str().to_owned())
        .collect()
}

fn agency_from_row(row: &PgRow) -> StoreResult<Agency> {
    Ok(Agency {
        id: id(row, "id")?,
        kind: AgencyKind::parse(&get::<String>(row, "kind")?).map_err(corrupt)?,
        name: get(row, "name")?,
        ods_code: get(row, "ods_code")?,
        urn: get(row, "urn")?,
        la_code: get(row, "la_code")?,
        phone: get(row, "phone")?,
        out_of_hours_phone: get(row, "out_of_hours_phone")?,
    })
}

fn team_from_row(row: &PgRow) -> StoreResult<Team> {
    Ok(Team {
        id: id(row, "id")?,
        agency: id(row, "agency_id")?,
        name: get(row, "name")?,
    })
}

fn practitioner_from_row(row: &PgRow) -> StoreResult<Practitioner> {
    Ok(Practitioner {
        id: id(row, "id")?,
        email: get(row, "email")?,
        name: get(row, "name")?,
        agency: id(row, "agency_id")?,
        team: opt_id(row, "team_id")?,
        roles: parse_roles(&get::<Vec<String>>(row, "roles")?)?,
        active: get(row, "active")?,
    })
}

fn account_from_row(row: &PgRow) -> StoreResult<Account> {
    Ok(Account {
        practitioner: practitioner_from_row(row)?,
        password_hash: get(row, "password_hash")?,
        totp_secret: get(row, "totp_secret")?,
        demo_no_mfa: get(row, "demo_no_mfa")?,
        failed_attempts: u32::try_from(get::<i64>(row, "failed_attempts")?).unwrap_or(u32::MAX),
        locked_until: opt_ts_col(row, "locked_until_text")?,
    })
}

fn child_from_row(row: &PgRow) -> StoreResult<ChildRow> {
    Ok(ChildRow {
        child: from_doc(row, "doc")?,
        owning_team: opt_id(row, "owning_team_id")?,
    })
}

fn session_from_row(row: &PgRow) -> StoreResult<SessionRow> {
    Ok(SessionRow {
        id_hash: get(row, "id_hash")?,
        practitioner: opt_id(row, "practitioner_id")?,
        stage: SessionStage::parse(&get::<String>(row, "stage")?)?,
        csrf_token: get(row, "csrf_token")?,
        pending_totp_secret: get(row, "pending_totp_secret")?,
        created_at: ts_col(row, "created_at_text")?,
        expires_at: ts_col(row, "expires_at_text")?,
    })
}

fn audit_from_row(row: &PgRow) -> StoreResult<AuditRecord> {
    let payload: String = get(row, "payload")?;
    Ok(AuditRecord {
        seq: get(row, "seq")?,
        event: AuditEvent {
            at: parse_ts(&get::<String>(row, "at")?)?,
            actor: get(row, "actor")?,
            action: get(row, "action")?,
            subject: get(row, "subject")?,
            decision: get(row, "decision")?,
            reason: get(row, "reason")?,
            payload: serde_json::from_str(&payload).map_err(corrupt)?,
        },
        prev_hash: get(row, "prev_hash")?,
        hash: get(row, "hash")?,
    })
}

impl PostgresTx {
    /// Runs one write inside a savepoint. PostgreSQL aborts the whole transaction on any error,
    /// whereas SQLite undoes only the failed statement; rolling back to the savepoint gives the
    /// SQLite behaviour the use-cases (and the conformance suite) rely on, e.g. reporting a
    /// duplicate email and carrying on in the same transaction.
    async fn write(&mut self, q: Query<'_, Postgres, PgArguments>) -> StoreResult<PgQueryResult> {
        let mut savepoint = (&mut self.tx).begin().await.map_err(map_err)?;
        match q.execute(&mut *savepoint).await {
            Ok(done) => {
                savepoint.commit().await.map_err(map_err)?;
                Ok(done)
            }
            Err(e) => {
                savepoint.rollback().await.map_err(map_err)?;
                Err(map_err(e))
            }
        }
    }

    /// Why a versioned update changed no row: someone else saved first (Conflict), or there is
    /// no such record (NotFound).
    async fn missed_version(
        &mut self,
        sql: &'static str,
        id: Uuid,
        what: &'static str,
    ) -> StoreError {
        match sqlx::query_scalar::<_, i64>(sql)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await
        {
            Ok(Some(_)) => StoreError::Conflict { what },
            Ok(None) => StoreError::NotFound(what),
            Err(e) => map_err(e),
        }
    }

    async fn docs_where<T: serde::de::DeserializeOwned>(
        &mut self,
        sql: &'static str,
        bind: Uuid,
    ) -> StoreResult<Vec<T>> {
        let rows = sqlx::query(sql)
            .bind(bind)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(map_err)?;
        docs(&rows)
    }

    async fn doc_by_id<T: serde::de::DeserializeOwned>(
        &mut self,
        sql: &'static str,
        id: Uuid,
    ) -> StoreResult<Option<T>> {
        sqlx::query(sql)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(|r| from_doc(r, "doc"))
            .transpose()
    }

    async fn write_child(&mut self, row: &ChildRow, insert: bool) -> StoreResult<()> {
        let c = &row.child;
        let sql = if insert {
            "INSERT INTO children (id, nhs_number, family_name, given_name, names_search, \
             birth_date, postcodes, owning_team_id, doc) \
             VALUES ($1, $2, $3, $4, $5, $6::date, $7, $8, $9)"
        } else {
            "UPDATE children SET nhs_number = $2, family_name = $3, given_name = $4, \
             names_search = $5, birth_date = $6::date, postcodes = $7, owning_team_id = $8, \
             doc = $9 WHERE id = $1"
        };
        let q = sqlx::query(sql)
            .bind(c.id.as_uuid())
            .bind(c.nhs_number.as_ref().map(|n| n.as_str().to_owned()))
            .bind(&c.name.family)
            .bind(&c.name.given)
            .bind(names_search(c))
            .bind(date_text(c.birth.date()))
            .bind(postcodes(c))
            .bind(uuid_of(row.owning_team))
            .bind(to_doc(c)?);
        let done = self.write(q).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("child"));
        }
        Ok(())
    }

    async fn children_where(
        &mut self,
        sql: &'static str,
        bind: Uuid,
    ) -> StoreResult<Vec<ChildRow>> {
        let rows = sqlx::query(sql)
            .bind(bind)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(map_err)?;
        rows.iter().map(child_from_row).collect()
    }
}

#[async_trait]
impl Tx for PostgresTx {
    #[tracing::instrument(skip_all)]
    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.tx.commit().await.map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn insert_agency(&mut self, a: &Agency) -> StoreResult<()> {
        let q = sqlx::query(
            "INSERT INTO agencies (id, kind, name, ods_code, urn, la_code, phone, \
             out_of_hours_phone) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(a.id.as_uuid())
        .bind(a.kind.code())
        .bind(&a.name)
        .bind(&a.ods_code)
        .bind(&a.urn)
        .bind(&a.la_code)
        .bind(&a.phone)
        .bind(&a.out_of_hours_phone);
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn list_agencies(&mut self) -> StoreResult<Vec<Agency>> {
        let rows = sqlx::query(
            "SELECT id, kind, name, ods_code, urn, la_code, phone, out_of_hours_phone \
             FROM agencies ORDER BY name, id",
        )
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_err)?;
        rows.iter().map(agency_from_row).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn get_agency(&mut self, id: AgencyId) -> StoreResult<Option<Agency>> {
        sqlx::query(
            "SELECT id, kind, name, ods_code, urn, la_code, phone, out_of_hours_phone \
             FROM agencies WHERE id = $1",
        )
        .bind(id.as_uuid())
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(map_err)?
        .as_ref()
        .map(agency_from_row)
        .transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn find_agency_by_code(&mut self, code: &str) -> StoreResult<Option<Agency>> {
        sqlx::query(
            "SELECT id, kind, name, ods_code, urn, la_code, phone, out_of_hours_phone \
             FROM agencies WHERE ods_code = $1 OR urn = $1 OR la_code = $1 \
             ORDER BY name LIMIT 1",
        )
        .bind(code)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(map_err)?
        .as_ref()
        .map(agency_from_row)
        .transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn insert_team(&mut self, t: &Team) -> StoreResult<()> {
        let q = sqlx::query("INSERT INTO teams (id, agency_id, name) VALUES ($1, $2, $3)")
            .bind(t.id.as_uuid())
            .bind(t.agency.as_uuid())
            .bind(&t.name);
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn list_teams(&mut self) -> StoreResult<Vec<Team>> {
        let rows = sqlx::query("SELECT id, agency_id, name FROM teams ORDER BY agency_id, name")
            .fetch_all(&mut *self.tx)
            .await
            .map_err(map_err)?;
        rows.iter().map(team_from_row).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn get_team(&mut self, id: TeamId) -> StoreResult<Option<Team>> {
        sqlx::query("SELECT id, agency_id, name FROM teams WHERE id = $1")
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(team_from_row)
            .transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn put_area(&mut self, area: &Area) -> StoreResult<()> {
        let q = sqlx::query(
            "INSERT INTO area (singleton, doc) VALUES (1, $1) \
             ON CONFLICT (singleton) DO UPDATE SET doc = excluded.doc",
        )
        .bind(to_doc(area)?);
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn get_area(&mut self) -> StoreResult<Option<Area>> {
        sqlx::query("SELECT doc FROM area WHERE singleton = 1")
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(|row| from_doc(row, "doc"))
            .transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn insert_account(&mut self, a: &Account) -> StoreResult<()> {
        let p = &a.practitioner;
        let q = sqlx::query(
            "INSERT INTO practitioners (id, email, name, agency_id, team_id, roles, active, \
             password_hash, totp_secret, demo_no_mfa, failed_attempts, locked_until) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::timestamptz)",
        )
        .bind(p.id.as_uuid())
        .bind(&p.email)
        .bind(&p.name)
        .bind(p.agency.as_uuid())
        .bind(uuid_of(p.team))
        .bind(role_codes(&p.roles))
        .bind(p.active)
        .bind(&a.password_hash)
        .bind(&a.totp_secret)
        .bind(a.demo_no_mfa)
        .bind(i64::from(a.failed_attempts))
        .bind(a.locked_until.map(ts_text));
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn update_account(&mut self, a: &Account) -> StoreResult<()> {
        let p = &a.practitioner;
        let q = sqlx::query(
            "UPDATE practitioners SET email = $2, name = $3, agency_id = $4, team_id = $5, \
             roles = $6, active = $7, password_hash = $8, totp_secret = $9, demo_no_mfa = $10, \
             failed_attempts = $11, locked_until = $12::timestamptz WHERE id = $1",
        )
        .bind(p.id.as_uuid())
        .bind(&p.email)
        .bind(&p.name)
        .bind(p.agency.as_uuid())
        .bind(uuid_of(p.team))
        .bind(role_codes(&p.roles))
        .bind(p.active)
        .bind(&a.password_hash)
        .bind(&a.totp_secret)
        .bind(a.demo_no_mfa)
        .bind(i64::from(a.failed_attempts))
        .bind(a.locked_until.map(ts_text));
        let done = self.write(q).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("account"));
        }
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    // Accounts are read in order to change them (failed attempts, lock-out, second factor), so
    // the row is locked for the transaction: two concurrent failed sign-ins cannot both count
    // from the same value, as SQLite's one-writer-at-a-time transactions also guarantee.
    async fn get_account(&mut self, id: PractitionerId) -> StoreResult<Option<Account>> {
        sqlx::query(
            "SELECT id, email, name, agency_id, team_id, roles, active, password_hash, \
             totp_secret, demo_no_mfa, failed_attempts, \
             to_char(locked_until AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') \
             AS locked_until_text FROM practitioners WHERE id = $1 FOR UPDATE",
        )
        .bind(id.as_uuid())
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(map_err)?
        .as_ref()
        .map(account_from_row)
        .transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn get_account_by_email(&mut self, email: &str) -> StoreResult<Option<Account>> {
        sqlx::query(
            "SELECT id, email, name, agency_id, team_id, roles, active, password_hash, \
             totp_secret, demo_no_mfa, failed_attempts, \
             to_char(locked_until AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') \
             AS locked_until_text FROM practitioners WHERE email = $1 FOR UPDATE",
        )
        .bind(email)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(map_err)?
        .as_ref()
        .map(account_from_row)
        .transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn list_practitioners(&mut self) -> StoreResult<Vec<Practitioner>> {
        let rows = sqlx::query(
            "SELECT id, email, name, agency_id, team_id, roles, active \
             FROM practitioners ORDER BY name, id",
        )
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_err)?;
        rows.iter().map(practitioner_from_row).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn count_active_admins(&mut self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM practitioners WHERE active AND $1 = ANY (roles)",
        )
        .bind(Role::SystemAdministrator.code())
        .fetch_one(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    #[tracing::instrument(skip_all)]
    async fn put_session(&mut self, s: &SessionRow) -> StoreResult<()> {
        let q = sqlx::query(
            "INSERT INTO sessions (id_hash, practitioner_id, stage, csrf_token, \
             pending_totp_secret, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7::timestamptz) \
             ON CONFLICT (id_hash) DO UPDATE SET practitioner_id = excluded.practitioner_id, \
             stage = excluded.stage, csrf_token = excluded.csrf_token, \
             pending_totp_secret = excluded.pending_totp_secret, \
             created_at = excluded.created_at, expires_at = excluded.expires_at",
        )
        .bind(&s.id_hash)
        .bind(uuid_of(s.practitioner))
        .bind(s.stage.code())
        .bind(&s.csrf_token)
        .bind(&s.pending_totp_secret)
        .bind(ts_text(s.created_at))
        .bind(ts_text(s.expires_at));
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn get_session(&mut self, id_hash: &str) -> StoreResult<Option<SessionRow>> {
        sqlx::query(
            "SELECT id_hash, practitioner_id, stage, csrf_token, pending_totp_secret, \
             to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') \
             AS created_at_text, \
             to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') \
             AS expires_at_text FROM sessions WHERE id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(map_err)?
        .as_ref()
        .map(session_from_row)
        .transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn delete_session(&mut self, id_hash: &str) -> StoreResult<()> {
        let q = sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash);
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn delete_sessions_of(&mut self, practitioner: PractitionerId) -> StoreResult<()> {
        let q = sqlx::query("DELETE FROM sessions WHERE practitioner_id = $1")
            .bind(practitioner.as_uuid());
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn delete_expired_sessions(&mut self, now: Timestamp) -> StoreResult<u64> {
        let q = sqlx::query("DELETE FROM sessions WHERE expires_at < $1::timestamptz")
            .bind(ts_text(now));
        Ok(self.write(q).await?.rows_affected())
    }

    #[tracing::instrument(skip_all)]
    async fn insert_child(&mut self, row: &ChildRow) -> StoreResult<()> {
        self.write_child(row, true).await
    }

    #[tracing::instrument(skip_all)]
    async fn update_child(&mut self, row: &ChildRow) -> StoreResult<()> {
        self.write_child(row, false).await
    }

    #[tracing::instrument(skip_all)]
    async fn get_child(&mut self, id: ChildId) -> StoreResult<Option<ChildRow>> {
        sqlx::query("SELECT doc, owning_team_id FROM children WHERE id = $1")
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(child_from_row)
            .transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn find_child_by_nhs(&mut self, nhs: &NhsNumber) -> StoreResult<Option<ChildId>> {
        let id: Option<Uuid> = sqlx::query_scalar("SELECT id FROM children WHERE nhs_number = $1")
            .bind(nhs.as_str())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_err)?;
        Ok(id.map(ChildId::from_uuid))
    }

    #[tracing::instrument(skip_all)]
    async fn search_children(&mut self, q: &ChildQuery, limit: u32) -> StoreResult<Vec<ChildRow>> {
        let mut qb: QueryBuilder<Postgres> =
            QueryBuilder::new("SELECT doc, owning_team_id FROM children WHERE true");
        if let Some(name) = &q.name {
            // Each word must appear in some name: "amy smi" finds "Amy Smith". strpos matches
            // literally, so `%` and `_` in a search are not wildcards.
            for word in name.split_whitespace() {
                qb.push(" AND strpos(names_search, ")
                    .push_bind(word.to_lowercase())
                    .push(") > 0");
            }
        }
        if let Some(d) = q.birth_date {
            qb.push(" AND birth_date = ")
                .push_bind(date_text(d))
                .push("::date");
        }
        if let Some(n) = &q.nhs_number {
            qb.push(" AND nhs_number = ")
                .push_bind(n.as_str().to_owned());
        }
        if let Some(p) = &q.postcode {
            qb.push(" AND postcodes @> ARRAY[")
                .push_bind(p.as_str().to_owned())
                .push("]::text[]");
        }
        qb.push(" ORDER BY family_name, given_name, id LIMIT ")
            .push_bind(i64::from(limit));
        let rows = qb.build().fetch_all(&mut *self.tx).await.map_err(map_err)?;
        rows.iter().map(child_from_row).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn children_allocated_to(
        &mut self,
        practitioner: PractitionerId,
    ) -> StoreResult<Vec<ChildRow>> {
        self.children_where(
            "SELECT c.doc, c.owning_team_id FROM children c \
             JOIN allocations a ON a.child_id = c.id WHERE a.practitioner_id = $1 \
             ORDER BY c.family_name, c.given_name, c.id",
            practitioner.as_uuid(),
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn allocate(&mut self, child: ChildId, practitioner: PractitionerId) -> StoreResult<()> {
        let q = sqlx::query(
            "INSERT INTO allocations (child_id, practitioner_id) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind(child.as_uuid())
        .bind(practitioner.as_uuid());
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn allocations(&mut self, child: ChildId) -> StoreResult<Vec<PractitionerId>> {
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "SELECT practitioner_id FROM allocations WHERE child_id = $1 \
             ORDER BY practitioner_id",
        )
        .bind(child.as_uuid())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(ids.into_iter().map(PractitionerId::from_uuid).collect())
    }

    #[tracing::instrument(skip_all)]
    async fn insert_person(&mut self, p: &Person) -> StoreResult<()> {
        let q = sqlx::query("INSERT INTO persons (id, doc) VALUES ($1, $2)")
            .bind(p.id.as_uuid())
            .bind(to_doc(p)?);
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn link_person(&mut self, l: &ChildPerson) -> StoreResult<()> {
        let q = sqlx::query(
            "INSERT INTO child_persons (child_id, person_id, relationship, \
             parental_responsibility, lives_with_child) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (child_id, person_id) DO UPDATE SET \
             relationship = excluded.relationship, \
             parental_responsibility = excluded.parental_responsibility, \
             lives_with_child = excluded.lives_with_child",
        )
        .bind(l.child.as_uuid())
        .bind(l.person.as_uuid())
        .bind(l.relationship.code())
        .bind(l.parental_responsibility)
        .bind(l.lives_with_child);
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn people_of_child(&mut self, child: ChildId) -> StoreResult<Vec<(Person, ChildPerson)>> {
        let rows = sqlx::query(
            "SELECT p.doc, l.relationship, l.parental_responsibility, l.lives_with_child \
             FROM child_persons l JOIN persons p ON p.id = l.person_id WHERE l.child_id = $1 \
             ORDER BY l.relationship, p.id",
        )
        .bind(child.as_uuid())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                let person: Person = from_doc(row, "doc")?;
                let link = ChildPerson {
                    child,
                    person: person.id,
                    relationship: Relationship::parse(&get::<String>(row, "relationship")?)
                        .map_err(corrupt)?,
                    parental_responsibility: get(row, "parental_responsibility")?,
                    lives_with_child: get(row, "lives_with_child")?,
                };
                Ok((person, link))
            })
            .collect()
    }

    #[tracing::instrument(skip_all)]
    async fn add_involvement(&mut self, child: ChildId, r: &InvolvementRow) -> StoreResult<()> {
        let q = sqlx::query(
            "INSERT INTO involvements (child_id, agency_id, kind, since) \
             VALUES ($1, $2, $3, $4::date) ON CONFLICT DO NOTHING",
        )
        .bind(child.as_uuid())
        .bind(r.agency.as_uuid())
        .bind(r.involvement.code())
        .bind(date_text(r.since));
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn involvements(&mut self, child: ChildId) -> StoreResult<Vec<InvolvementRow>> {
        let rows = sqlx::query(
            "SELECT agency_id, kind, to_char(since, 'YYYY-MM-DD') AS since_text \
             FROM involvements WHERE child_id = $1 ORDER BY since, agency_id, kind",
        )
        .bind(child.as_uuid())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                Ok(InvolvementRow {
                    agency: id(row, "agency_id")?,
                    involvement: Involvement::parse(&get::<String>(row, "kind")?)
                        .map_err(corrupt)?,
                    since: date_col(row, "since_text")?,
                })
            })
            .collect()
    }

    #[tracing::instrument(skip_all)]
    async fn add_chronology(&mut self, e: &ChronologyEntry) -> StoreResult<()> {
        let q = sqlx::query(
            "INSERT INTO chronology (id, child_id, date, summary, agency_id, recorded_by, kind) \
             VALUES ($1, $2, $3::date, $4, $5, $6, $7)",
        )
        .bind(e.id.as_uuid())
        .bind(e.child.as_uuid())
        .bind(date_text(e.date))
        .bind(&e.summary)
        .bind(uuid_of(e.agency))
        .bind(uuid_of(e.recorded_by))
        .bind(e.kind.code());
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn chronology(&mut self, child: ChildId) -> StoreResult<Vec<ChronologyEntry>> {
        let rows = sqlx::query(
            "SELECT id, to_char(date, 'YYYY-MM-DD') AS date_text, summary, agency_id, \
             recorded_by, kind FROM chronology WHERE child_id = $1 ORDER BY date DESC, id DESC",
        )
        .bind(child.as_uuid())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                Ok(ChronologyEntry {
                    id: id(row, "id")?,
                    child,
                    date: date_col(row, "date_text")?,
                    summary: get(row, "summary")?,
                    kind: ChronologyKind::parse(&get::<String>(row, "kind")?).map_err(corrupt)?,
                    agency: opt_id(row, "agency_id")?,
                    recorded_by: opt_id(row, "recorded_by")?,
                })
            })
            .collect()
    }

    #[tracing::instrument(skip_all)]
    async fn children_page(
        &mut self,
        after: Option<ChildId>,
        limit: u32,
    ) -> StoreResult<Vec<ChildRow>> {
        let rows = sqlx::query(
            "SELECT doc, owning_team_id FROM children \
             WHERE $1::uuid IS NULL OR id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after.map(|a| a.as_uuid()))
        .bind(i64::from(limit))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_err)?;
        rows.iter().map(child_from_row).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn insert_link_decision(&mut self, d: &LinkDecision) -> StoreResult<()> {
        let q = sqlx::query(
            "INSERT INTO link_decisions (id, subject, child_id, decided_at, doc) \
             VALUES ($1, $2, $3, $4::timestamptz, $5)",
        )
        .bind(d.id.as_uuid())
        .bind(d.subject.key())
        .bind(d.child.as_uuid())
        .bind(ts_text(d.decided_at))
        .bind(to_doc(d)?);
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn get_link_decision(&mut self, id: LinkDecisionId) -> StoreResult<Option<LinkDecision>> {
        self.doc_by_id("SELECT doc FROM link_decisions WHERE id = $1", id.as_uuid())
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn reverse_link_decision(
        &mut self,
        id: LinkDecisionId,
        reversal: &Reversal,
    ) -> StoreResult<()> {
        let row = sqlx::query("SELECT doc FROM link_decisions WHERE id = $1 FOR UPDATE")
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_err)?;
        let Some(row) = row else {
            return Err(StoreError::NotFound("linkage decision"));
        };
        let mut d: LinkDecision = from_doc(&row, "doc")?;
        if d.reversed.is_some() {
            return Err(StoreError::Conflict {
                what: "linkage decision",
            });
        }
        d.reversed = Some(reversal.clone());
        let q = sqlx::query("UPDATE link_decisions SET doc = $1 WHERE id = $2")
            .bind(to_doc(&d)?)
            .bind(id.as_uuid());
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn link_decisions_about(
        &mut self,
        subject: &LinkSubject,
    ) -> StoreResult<Vec<LinkDecision>> {
        let rows = sqlx::query(
            "SELECT doc FROM link_decisions WHERE subject = $1 ORDER BY decided_at, id",
        )
        .bind(subject.key())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_err)?;
        docs(&rows)
    }

    #[tracing::instrument(skip_all)]
    async fn child_link_decisions(&mut self) -> StoreResult<Vec<LinkDecision>> {
        let rows = sqlx::query(
            "SELECT doc FROM link_decisions WHERE subject LIKE 'child:%' \
             ORDER BY decided_at DESC, id DESC",
        )
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_err)?;
        docs(&rows)
    }

    #[tracing::instrument(skip_all)]
    async fn put_duplicate_report(&mut self, report: &DuplicateReport) -> StoreResult<()> {
        let q = sqlx::query(
            "INSERT INTO duplicate_reports (id, doc) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
        )
        .bind(to_doc(report)?);
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn duplicate_report(&mut self) -> StoreResult<Option<DuplicateReport>> {
        let row = sqlx::query("SELECT doc FROM duplicate_reports WHERE id = 1")
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_err)?;
        row.as_ref().map(|r| from_doc(r, "doc")).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn insert_concern(&mut self, c: &Concern) -> StoreResult<()> {
        let q = sqlx::query(
            "INSERT INTO concerns (id, setting_id, recorded_by, recorded_at, doc) \
             VALUES ($1, $2, $3, $4::timestamptz, $5)",
        )
        .bind(c.id.as_uuid())
        .bind(c.setting.as_uuid())
        .bind(c.recorded_by.as_uuid())
        .bind(ts_text(c.recorded_at))
        .bind(to_doc(c)?);
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn update_concern(&mut self, c: &Concern) -> StoreResult<()> {
        let q = sqlx::query("UPDATE concerns SET doc = $1 WHERE id = $2")
            .bind(to_doc(c)?)
            .bind(c.id.as_uuid());
        if self.write(q).await?.rows_affected() == 0 {
            return Err(StoreError::NotFound("concern"));
        }
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn get_concern(&mut self, id: ConcernId) -> StoreResult<Option<Concern>> {
        self.doc_by_id("SELECT doc FROM concerns WHERE id = $1", id.as_uuid())
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn concerns_of_setting(&mut self, setting: AgencyId) -> StoreResult<Vec<Concern>> {
        self.docs_where(
            "SELECT doc FROM concerns WHERE setting_id = $1 ORDER BY recorded_at DESC, id DESC",
            setting.as_uuid(),
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn concerns_recorded_by(&mut self, who: PractitionerId) -> StoreResult<Vec<Concern>> {
        self.docs_where(
            "SELECT doc FROM concerns WHERE recorded_by = $1 ORDER BY recorded_at DESC, id DESC",
            who.as_uuid(),
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn insert_referral(&mut self, r: &Referral) -> StoreResult<()> {
        let q = sqlx::query(
            "INSERT INTO referrals (id, version, la_id, referrer_id, child_id, decided, \
             urgency_rank, decision_due, received_at, doc) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::date, $9::timestamptz, $10)",
        )
        .bind(r.id.as_uuid())
        .bind(i64::from(r.version))
        .bind(r.la.as_uuid())
        .bind(uuid_of(r.referrer))
        .bind(uuid_of(r.matched_child))
        .bind(r.is_decided())
        .bind(urgency_rank(r.urgency))
        .bind(date_text(r.decision_due))
        .bind(ts_text(r.received_at))
        .bind(to_doc(r)?);
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn update_referral(&mut self, r: &Referral) -> StoreResult<()> {
        let q = sqlx::query(
            "UPDATE referrals SET version = $1, child_id = $2, decided = $3, urgency_rank = $4, \
             decision_due = $5::date, doc = $6 WHERE id = $7 AND version = $1 - 1",
        )
        .bind(i64::from(r.version))
        .bind(uuid_of(r.matched_child))
        .bind(r.is_decided())
        .bind(urgency_rank(r.urgency))
        .bind(date_text(r.decision_due))
        .bind(to_doc(r)?)
        .bind(r.id.as_uuid());
        if self.write(q).await?.rows_affected() == 0 {
            return Err(self
                .missed_version(
                    "SELECT version FROM referrals WHERE id = $1",
                    r.id.as_uuid(),
                    "referral",
                )
                .await);
        }
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn get_referral(&mut self, id: ReferralId) -> StoreResult<Option<Referral>> {
        self.doc_by_id("SELECT doc FROM referrals WHERE id = $1", id.as_uuid())
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn referrals_by(&mut self, referrer: PractitionerId) -> StoreResult<Vec<Referral>> {
        self.docs_where(
            "SELECT doc FROM referrals WHERE referrer_id = $1 ORDER BY received_at DESC, id DESC",
            referrer.as_uuid(),
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn referral_queue(&mut self, la: AgencyId) -> StoreResult<Vec<Referral>> {
        self.docs_where(
            "SELECT doc FROM referrals WHERE la_id = $1 AND NOT decided \
             ORDER BY urgency_rank, decision_due, received_at, id",
            la.as_uuid(),
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn referrals_of_child(&mut self, child: ChildId) -> StoreResult<Vec<Referral>> {
        self.docs_where(
            "SELECT doc FROM referrals WHERE child_id = $1 ORDER BY received_at DESC, id DESC",
            child.as_uuid(),
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn insert_notification(&mut self, n: &Notification) -> StoreResult<()> {
        let q = sqlx::query(
            "INSERT INTO notifications (id, recipient_id, created_at, text, link, read) \
             VALUES ($1, $2, $3::timestamptz, $4, $5, $6)",
        )
        .bind(n.id.as_uuid())
        .bind(n.recipient.as_uuid())
        .bind(ts_text(n.created_at))
        .bind(&n.text)
        .bind(&n.link)
        .bind(n.read);
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn insert_notification_once(&mut self, n: &Notification, key: &str) -> StoreResult<bool> {
        let q = sqlx::query(
            "INSERT INTO notifications (id, recipient_id, created_at, text, link, read, dedupe_key) \
             VALUES ($1, $2, $3::timestamptz, $4, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(n.id.as_uuid())
        .bind(n.recipient.as_uuid())
        .bind(ts_text(n.created_at))
        .bind(&n.text)
        .bind(&n.link)
        .bind(n.read)
        .bind(key);
        Ok(self.write(q).await?.rows_affected() == 1)
    }

    #[tracing::instrument(skip_all)]
    async fn notifications_for(
        &mut self,
        recipient: PractitionerId,
        limit: u32,
    ) -> StoreResult<Vec<Notification>> {
        let rows = sqlx::query(
            "SELECT id, recipient_id, text, link, read, \
             to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') \
             AS created_text FROM notifications WHERE recipient_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(recipient.as_uuid())
        .bind(i64::from(limit))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_err)?;
        rows.iter().map(notification_from_row).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn mark_notification_read(
        &mut self,
        id: NotificationId,
        recipient: PractitionerId,
    ) -> StoreResult<()> {
        let q =
            sqlx::query("UPDATE notifications SET read = true WHERE id = $1 AND recipient_id = $2")
                .bind(id.as_uuid())
                .bind(recipient.as_uuid());
        if self.write(q).await?.rows_affected() == 0 {
            return Err(StoreError::NotFound("notification"));
        }
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn insert_case(&mut self, c: &Case) -> StoreResult<()> {
        let q = sqlx::query(
            "INSERT INTO cases (id, child_id, version, state, opened_on, doc) \
             VALUES ($1, $2, $3, $4, $5::date, $6)",
        )
        .bind(c.id.as_uuid())
        .bind(c.child.as_uuid())
        .bind(i64::from(c.version))
        .bind(c.state.code())
        .bind(date_text(c.referral_on))
        .bind(to_doc(c)?);
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn update_case(&mut self, c: &Case) -> StoreResult<()> {
        let q = sqlx::query(
            "UPDATE cases SET version = $1, state = $2, doc = $3 WHERE id = $4 AND version = $1 - 1",
        )
        .bind(i64::from(c.version))
        .bind(c.state.code())
        .bind(to_doc(c)?)
        .bind(c.id.as_uuid());
        if self.write(q).await?.rows_affected() == 0 {
            return Err(self
                .missed_version(
                    "SELECT version FROM cases WHERE id = $1",
                    c.id.as_uuid(),
                    "case",
                )
                .await);
        }
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn get_case(&mut self, id: CaseId) -> StoreResult<Option<Case>> {
        self.doc_by_id("SELECT doc FROM cases WHERE id = $1", id.as_uuid())
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn open_cases(&mut self) -> StoreResult<Vec<Case>> {
        let rows = sqlx::query(
            "SELECT doc FROM cases WHERE state NOT IN ('closed', 'nfa') ORDER BY opened_on, id",
        )
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_err)?;
        docs(&rows)
    }

    #[tracing::instrument(skip_all)]
    async fn cases_of_child(&mut self, child: ChildId) -> StoreResult<Vec<Case>> {
        self.docs_where(
            "SELECT doc FROM cases WHERE child_id = $1 ORDER BY opened_on DESC, id DESC",
            child.as_uuid(),
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn count_children(&mut self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM children")
            .fetch_one(&mut *self.tx)
            .await
            .map_err(map_err)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    #[tracing::instrument(skip_all)]
    async fn insert_api_token(&mut self, token: &ApiToken, secret_hash: &str) -> StoreResult<()> {
        let q = sqlx::query(
            "INSERT INTO api_tokens (id, secret_hash, agency_id, created_at, doc) \
             VALUES ($1, $2, $3, $4::timestamptz, $5)",
        )
        .bind(token.id.as_uuid())
        .bind(secret_hash.to_owned())
        .bind(token.agency.as_uuid())
        .bind(ts_text(token.created_at))
        .bind(to_doc(token)?);
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn api_token_by_hash(&mut self, secret_hash: &str) -> StoreResult<Option<ApiToken>> {
        sqlx::query("SELECT doc FROM api_tokens WHERE secret_hash = $1")
            .bind(secret_hash)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(|r| from_doc(r, "doc"))
            .transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn list_api_tokens(&mut self) -> StoreResult<Vec<ApiToken>> {
        let rows = sqlx::query("SELECT doc FROM api_tokens ORDER BY created_at DESC, id DESC")
            .fetch_all(&mut *self.tx)
            .await
            .map_err(map_err)?;
        docs(&rows)
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_api_token(&mut self, id: ApiTokenId, at: Timestamp) -> StoreResult<()> {
        let row = sqlx::query("SELECT doc FROM api_tokens WHERE id = $1 FOR UPDATE")
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_err)?;
        let Some(row) = row else {
            return Err(StoreError::NotFound("API token"));
        };
        let mut token: ApiToken = from_doc(&row, "doc")?;
        if token.revoked_at.is_some() {
            return Err(StoreError::Conflict { what: "API token" });
        }
        token.revoked_at = Some(at);
        let q = sqlx::query("UPDATE api_tokens SET doc = $1 WHERE id = $2")
            .bind(to_doc(&token)?)
            .bind(id.as_uuid());
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn replace_holidays(&mut self, dates: &[Date]) -> StoreResult<()> {
        self.write(sqlx::query("DELETE FROM holidays")).await?;
        let q = sqlx::query(
            "INSERT INTO holidays (date) SELECT d::date FROM unnest($1::text[]) AS d \
             ON CONFLICT DO NOTHING",
        )
        .bind(dates.iter().copied().map(date_text).collect::<Vec<_>>());
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn holidays(&mut self) -> StoreResult<Vec<Date>> {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT to_char(date, 'YYYY-MM-DD') FROM holidays ORDER BY date")
                .fetch_all(&mut *self.tx)
                .await
                .map_err(map_err)?;
        rows.iter().map(|s| parse_date(s)).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn append_audit(&mut self, event: &AuditEvent) -> StoreResult<AuditRecord> {
        // Serialise appenders until this transaction ends, before reading the tail: otherwise
        // two transactions could read the same tail and fork the chain (the primary key on seq
        // would then refuse the second commit, but only after the fact). An advisory lock keyed
        // on this schema's audit table needs no table privilege beyond INSERT and SELECT, and
        // leaves readers of the log unblocked. In READ COMMITTED (the default) the next
        // statement takes a fresh snapshot, so it sees whatever the previous holder committed.
        sqlx::query(
            "SELECT pg_advisory_xact_lock(hashtext('safeguard.audit'), \
             'audit'::regclass::oid::integer)",
        )
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        let last: Option<(i64, String)> =
            sqlx::query_as("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(map_err)?;
        let (seq, prev_hash) = match last {
            Some((seq, hash)) => (seq + 1, hash),
            None => (1, GENESIS_HASH.to_owned()),
        };
        let hash = hash_event(&prev_hash, seq, event);
        let q = sqlx::query(
            "INSERT INTO audit (seq, at, actor, action, subject, decision, reason, payload, \
             prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(seq)
        .bind(at_text(event.at))
        .bind(&event.actor)
        .bind(&event.action)
        .bind(&event.subject)
        .bind(&event.decision)
        .bind(&event.reason)
        .bind(payload_text(&event.payload))
        .bind(&prev_hash)
        .bind(&hash);
        self.write(q).await?;
        Ok(AuditRecord {
            seq,
            event: event.clone(),
            prev_hash,
            hash,
        })
    }

    #[tracing::instrument(skip_all)]
    async fn append_audit_batch(&mut self, events: &[AuditEvent]) -> StoreResult<Vec<AuditRecord>> {
        let Some(first) = events.first() else {
            return Ok(Vec::new());
        };
        // The first append takes the advisory lock and reads the tail; the rest of the chain is
        // computed here in order and written with multi-row INSERTs (one savepoint each).
        let head = self.append_audit(first).await?;
        let mut records = chain_after(head.seq, &head.hash, &events[1..]);
        records.insert(0, head);
        // 10 parameters a row: 1,000 rows stay under PostgreSQL's 65,535.
        for chunk in records[1..].chunks(1000) {
            let mut q = QueryBuilder::<Postgres>::new(
                "INSERT INTO audit (seq, at, actor, action, subject, decision, reason, payload, \
                 prev_hash, hash) ",
            );
            q.push_values(chunk, |mut b, r| {
                b.push_bind(r.seq)
                    .push_bind(at_text(r.event.at))
                    .push_bind(r.event.actor.clone())
                    .push_bind(r.event.action.clone())
                    .push_bind(r.event.subject.clone())
                    .push_bind(r.event.decision.clone())
                    .push_bind(r.event.reason.clone())
                    .push_bind(payload_text(&r.event.payload))
                    .push_bind(r.prev_hash.clone())
                    .push_bind(r.hash.clone());
            });
            self.write(q.build()).await?;
        }
        Ok(records)
    }

    #[tracing::instrument(skip_all)]
    async fn count_audit(&mut self, action: &str) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit WHERE action = $1")
            .bind(action)
            .fetch_one(&mut *self.tx)
            .await
            .map_err(map_err)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    #[tracing::instrument(skip_all)]
    async fn audit_page(&mut self, after: i64, limit: u32) -> StoreResult<Vec<AuditRecord>> {
        let rows = sqlx::query("SELECT * FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&mut *self.tx)
            .await
            .map_err(map_err)?;
        rows.iter().map(audit_from_row).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn audit_for_subject(
        &mut self,
        subject: &str,
        limit: u32,
    ) -> StoreResult<Vec<AuditRecord>> {
        let rows = sqlx::query("SELECT * FROM audit WHERE subject = $1 ORDER BY seq DESC LIMIT $2")
            .bind(subject)
            .bind(i64::from(limit))
            .fetch_all(&mut *self.tx)
            .await
            .map_err(map_err)?;
        rows.iter().map(audit_from_row).collect()
    }

    // --- flags ---
    #[tracing::instrument(skip_all)]
    async fn bulk_insert_flags(&mut self, flags: &[Flag]) -> StoreResult<()> {
        // 8 parameters a row: 5,000 rows a statement stay under PostgreSQL's 65,535.
        for chunk in flags.chunks(5000) {
            let docs = chunk.iter().map(to_doc).collect::<StoreResult<Vec<_>>>()?;
            let mut q = QueryBuilder::<Postgres>::new(
                "INSERT INTO flags (id, source_ref, nhs_number, kind, start_on, la_id, child_id, doc) ",
            );
            q.push_values(chunk.iter().zip(docs), |mut b, (f, doc)| {
                b.push_bind(f.id.as_uuid())
                    .push_bind(f.source_ref.clone())
                    .push_bind(f.nhs_number.as_str().to_owned())
                    .push_bind(f.kind.code())
                    .push_bind(date_text(f.start))
                    .push_unseparated("::date")
                    .push_bind(f.contact.la.as_uuid())
                    .push_bind(f.child.map(|c| c.as_uuid()))
                    .push_bind(doc);
            });
            self.write(q.build()).await?;
        }
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn flag_register_counts(&mut self) -> StoreResult<FlagRegisterCounts> {
        let (flags, accesses, notifications): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM flags), (SELECT COUNT(*) FROM flag_accesses), \
             (SELECT COUNT(*) FROM access_notifications)",
        )
        .fetch_one(&mut *self.tx)
        .await
        .map_err(map_err)?;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(FlagRegisterCounts {
            flags: n(flags),
            accesses: n(accesses),
            notifications: n(notifications),
        })
    }

    #[tracing::instrument(skip_all)]
    async fn put_flag(&mut self, f: &Flag) -> StoreResult<FlagWrite> {
        let stored = sqlx::query("SELECT id, doc FROM flags WHERE source_ref = $1")
            .bind(&f.source_ref)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_err)?;
        let Some(row) = stored else {
            let q = sqlx::query(
                "INSERT INTO flags (id, source_ref, nhs_number, kind, start_on, la_id, child_id, doc) \
                 VALUES ($1, $2, $3, $4, $5::date, $6, $7, $8)",
            )
            .bind(f.id.as_uuid())
            .bind(&f.source_ref)
            .bind(f.nhs_number.as_str())
            .bind(f.kind.code())
            .bind(date_text(f.start))
            .bind(f.contact.la.as_uuid())
            .bind(f.child.map(|c| c.as_uuid()))
            .bind(to_doc(f)?);
            self.write(q).await?;
            return Ok(FlagWrite::Inserted);
        };
        let kept = Flag {
            id: id(&row, "id")?,
            ..f.clone()
        };
        if from_doc::<Flag>(&row, "doc")? == kept {
            return Ok(FlagWrite::Unchanged);
        }
        let q = sqlx::query(
            "UPDATE flags SET nhs_number = $1, kind = $2, start_on = $3::date, la_id = $4, \
             child_id = $5, doc = $6 WHERE id = $7",
        )
        .bind(kept.nhs_number.as_str())
        .bind(kept.kind.code())
        .bind(date_text(kept.start))
        .bind(kept.contact.la.as_uuid())
        .bind(kept.child.map(|c| c.as_uuid()))
        .bind(to_doc(&kept)?)
        .bind(kept.id.as_uuid());
        self.write(q).await?;
        Ok(FlagWrite::Updated)
    }

    #[tracing::instrument(skip_all)]
    async fn delete_flag(&mut self, flag: FlagId) -> StoreResult<()> {
        let q = sqlx::query("DELETE FROM flags WHERE id = $1").bind(flag.as_uuid());
        if self.write(q).await?.rows_affected() == 0 {
            return Err(StoreError::NotFound("flag"));
        }
        Ok(())
    }

    // --- early help and looked-after episodes ---

    #[tracing::instrument(skip_all)]
    async fn insert_early_help(&mut self, e: &EarlyHelpEpisode) -> StoreResult<()> {
        let q = sqlx::query(
            "INSERT INTO early_help_episodes (id, child_id, lead_id, version, started_on, \
             closed_on, doc) VALUES ($1, $2, $3, $4, $5::date, $6::date, $7)",
        )
        .bind(e.id.as_uuid())
        .bind(e.child.as_uuid())
        .bind(e.lead.practitioner.as_uuid())
        .bind(i64::from(e.version))
        .bind(date_text(e.started_on))
        .bind(e.end.as_ref().map(|x| date_text(x.on)))
        .bind(to_doc(e)?);
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn update_early_help(&mut self, e: &EarlyHelpEpisode) -> StoreResult<()> {
        let q = sqlx::query(
            "UPDATE early_help_episodes SET version = $1, lead_id = $2, closed_on = $3::date, \
             doc = $4 WHERE id = $5 AND version = $1 - 1",
        )
        .bind(i64::from(e.version))
        .bind(e.lead.practitioner.as_uuid())
        .bind(e.end.as_ref().map(|x| date_text(x.on)))
        .bind(to_doc(e)?)
        .bind(e.id.as_uuid());
        if self.write(q).await?.rows_affected() == 0 {
            return Err(self
                .missed_version(
                    "SELECT version FROM early_help_episodes WHERE id = $1",
                    e.id.as_uuid(),
                    "early help episode",
                )
                .await);
        }
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn flags_by_nhs(&mut self, nhs: &NhsNumber) -> StoreResult<Vec<Flag>> {
        let rows = sqlx::query(FLAGS_BY_NHS)
            .bind(nhs.as_str())
            .fetch_all(&mut *self.tx)
            .await
            .map_err(map_err)?;
        docs(&rows)
    }

    #[tracing::instrument(skip_all)]
    async fn flags_of_child(&mut self, child: ChildId) -> StoreResult<Vec<Flag>> {
        self.docs_where(
            "SELECT doc FROM flags WHERE child_id = $1 ORDER BY start_on, id",
            child.as_uuid(),
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn get_early_help(&mut self, id: EarlyHelpId) -> StoreResult<Option<EarlyHelpEpisode>> {
        self.doc_by_id(
            "SELECT doc FROM early_help_episodes WHERE id = $1",
            id.as_uuid(),
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn early_help_of_child(&mut self, child: ChildId) -> StoreResult<Vec<EarlyHelpEpisode>> {
        self.docs_where(
            "SELECT doc FROM early_help_episodes WHERE child_id = $1 \
             ORDER BY started_on DESC, id DESC",
            child.as_uuid(),
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn list_flags(&mut self, la: Option<AgencyId>) -> StoreResult<Vec<Flag>> {
        let rows = sqlx::query(
            "SELECT doc FROM flags WHERE ($1::uuid IS NULL OR la_id = $1) \
             ORDER BY nhs_number, start_on, id",
        )
        .bind(la.map(|a| a.as_uuid()))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_err)?;
        docs(&rows)
    }

    #[tracing::instrument(skip_all)]
    async fn insert_flag_access(&mut self, a: &FlagAccess) -> StoreResult<()> {
        let q = sqlx::query(
            "INSERT INTO flag_accesses (id, nhs_number, at, doc) \
             VALUES ($1, $2, $3::timestamptz, $4)",
        )
        .bind(a.id.as_uuid())
        .bind(a.nhs_number.as_str())
        .bind(ts_text(a.at))
        .bind(to_doc(a)?);
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn open_early_help(&mut self) -> StoreResult<Vec<EarlyHelpEpisode>> {
        let rows = sqlx::query(
            "SELECT doc FROM early_help_episodes WHERE closed_on IS NULL \
             ORDER BY started_on, id",
        )
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_err)?;
        docs(&rows)
    }

    #[tracing::instrument(skip_all)]
    async fn early_help_led_by(
        &mut self,
        lead: PractitionerId,
    ) -> StoreResult<Vec<EarlyHelpEpisode>> {
        self.docs_where(
            "SELECT doc FROM early_help_episodes WHERE lead_id = $1 \
             ORDER BY started_on DESC, id DESC",
            lead.as_uuid(),
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn insert_looked_after(&mut self, e: &LookedAfterEpisode) -> StoreResult<()> {
        let q = sqlx::query(
            "INSERT INTO looked_after_episodes (id, child_id, version, started_on, ended_on, doc) \
             VALUES ($1, $2, $3, $4::date, $5::date, $6)",
        )
        .bind(e.id.as_uuid())
        .bind(e.child.as_uuid())
        .bind(i64::from(e.version))
        .bind(date_text(e.started_on()))
        .bind(e.end.as_ref().map(|x| date_text(x.on)))
        .bind(to_doc(e)?);
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn recent_flag_accesses(
        &mut self,
        nhs: &NhsNumber,
        limit: u32,
    ) -> StoreResult<Vec<FlagAccess>> {
        let rows = sqlx::query(
            "SELECT doc FROM flag_accesses WHERE nhs_number = $1 \
             ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(nhs.as_str())
        .bind(i64::from(limit))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_err)?;
        docs(&rows)
    }

    #[tracing::instrument(skip_all)]
    async fn insert_flag_accesses(
        &mut self,
        accesses: &[&FlagAccess],
        notices: &[&AccessNotification],
    ) -> StoreResult<()> {
        // At most 7 parameters a row: 5,000 rows a statement stay under PostgreSQL's 65,535.
        for chunk in accesses.chunks(5000) {
            let docs = chunk.iter().map(to_doc).collect::<StoreResult<Vec<_>>>()?;
            let mut q = QueryBuilder::<Postgres>::new(
                "INSERT INTO flag_accesses (id, nhs_number, at, doc) ",
            );
            q.push_values(chunk.iter().zip(docs), |mut b, (a, doc)| {
                b.push_bind(a.id.as_uuid())
                    .push_bind(a.nhs_number.as_str().to_owned())
                    .push_bind(ts_text(a.at))
                    .push_unseparated("::timestamptz")
                    .push_bind(doc);
            });
            self.write(q.build()).await?;
        }
        for chunk in notices.chunks(5000) {
            let docs = chunk.iter().map(to_doc).collect::<StoreResult<Vec<_>>>()?;
            let mut q = QueryBuilder::<Postgres>::new(
                "INSERT INTO access_notifications (id, la_id, access_id, at, setting_id, state, doc) ",
            );
            q.push_values(chunk.iter().zip(docs), |mut b, (n, doc)| {
                b.push_bind(n.id.as_uuid())
                    .push_bind(n.la.as_uuid())
                    .push_bind(n.access.as_uuid())
                    .push_bind(ts_text(n.at))
                    .push_unseparated("::timestamptz")
                    .push_bind(n.setting.as_uuid())
                    .push_bind(n.state.code())
                    .push_bind(doc);
            });
            self.write(q.build()).await?;
        }
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn insert_access_notification(&mut self, n: &AccessNotification) -> StoreResult<()> {
        let q = sqlx::query(
            "INSERT INTO access_notifications (id, la_id, access_id, at, setting_id, state, doc) \
             VALUES ($1, $2, $3, $4::timestamptz, $5, $6, $7)",
        )
        .bind(n.id.as_uuid())
        .bind(n.la.as_uuid())
        .bind(n.access.as_uuid())
        .bind(ts_text(n.at))
        .bind(n.setting.as_uuid())
        .bind(n.state.code())
        .bind(to_doc(n)?);
        self.write(q).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn get_access_notification(
        &mut self,
        notice: AccessNotificationId,
    ) -> StoreResult<Option<AccessNotification>> {
        self.doc_by_id(
            "SELECT doc FROM access_notifications WHERE id = $1",
            notice.as_uuid(),
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn update_access_notification(&mut self, n: &AccessNotification) -> StoreResult<()> {
        let q = sqlx::query("UPDATE access_notifications SET state = $1, doc = $2 WHERE id = $3")
            .bind(n.state.code())
            .bind(to_doc(n)?)
            .bind(n.id.as_uuid());
        if self.write(q).await?.rows_affected() == 0 {
            return Err(StoreError::NotFound("access notification"));
        }
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn update_looked_after(&mut self, e: &LookedAfterEpisode) -> StoreResult<()> {
        let q = sqlx::query(
            "UPDATE looked_after_episodes SET version = $1, ended_on = $2::date, doc = $3 \
             WHERE id = $4 AND version = $1 - 1",
        )
        .bind(i64::from(e.version))
        .bind(e.end.as_ref().map(|x| date_text(x.on)))
        .bind(to_doc(e)?)
        .bind(e.id.as_uuid());
        if self.write(q).await?.rows_affected() == 0 {
            return Err(self
                .missed_version(
                    "SELECT version FROM looked_after_episodes WHERE id = $1",
                    e.id.as_uuid(),
                    "looked-after episode",
                )
                .await);
        }
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn access_notifications(
        &mut self,
        la: AgencyId,
        q: &NoticeQuery,
    ) -> StoreResult<Vec<AccessNotification>> {
        let mut qb: QueryBuilder<Postgres> =
            QueryBuilder::new("SELECT doc FROM access_notifications WHERE la_id = ");
        qb.push_bind(la.as_uuid());
        if let Some(state) = q.state {
            qb.push(" AND state = ").push_bind(state.code());
        }
        if let Some(from) = q.from {
            qb.push(" AND at >= ")
                .push_bind(ts_text(from))
                .push("::timestamptz");
        }
        if let Some(until) = q.until {
            qb.push(" AND at < ")
                .push_bind(ts_text(until))
                .push("::timestamptz");
        }
        if let Some(setting) = q.setting {
            qb.push(" AND setting_id = ").push_bind(setting.as_uuid());
        }
        qb.push(" ORDER BY at DESC, id DESC LIMIT ")
            .push_bind(i64::from(q.limit));
        let rows = qb.build().fetch_all(&mut *self.tx).await.map_err(map_err)?;
        docs(&rows)
    }

    #[tracing::instrument(skip_all)]
    async fn get_looked_after(
        &mut self,
        id: LookedAfterId,
    ) -> StoreResult<Option<LookedAfterEpisode>> {
        self.doc_by_id(
            "SELECT doc FROM looked_after_episodes WHERE id = $1",
            id.as_uuid(),
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn looked_after_of_child(
        &mut self,
        child: ChildId,
    ) -> StoreResult<Vec<LookedAfterEpisode>> {
        self.docs_where(
            "SELECT doc FROM looked_after_episodes WHERE child_id = $1 \
             ORDER BY started_on DESC, id DESC",
            child.as_uuid(),
        )
        .await
    }
}
