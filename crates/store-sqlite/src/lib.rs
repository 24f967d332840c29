//! The embedded default backend of `safeguard`: one SQLite file in WAL mode, created and migrated
//! on first start, with nothing else to install.
//!
//! This crate owns its migrations (`migrations/`, forward-only) and all of its SQL. It implements
//! the `safeguard-store` traits and nothing more: no business rules and no authorization live
//! here. Every transaction starts `BEGIN IMMEDIATE`, because nearly every use-case writes (at the
//! least an audit event), and taking the write lock up front avoids SQLite's upgrade deadlock.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;
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
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite, Transaction};

/// The SQLite backend.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Transactions that may write (`BEGIN IMMEDIATE`: SQLite has one writer at a time).
    pool: SqlitePool,
    /// Reads outside the write path (flag lookups, token checks): their own connections, so a
    /// burst of readers never queues the writer behind them for a connection.
    read_pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at a `sqlite://PATH` URL or a plain path, and
    /// applies any pending migrations.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.is_empty() {
            return Err(StoreError::Unavailable(
                "the SQLite URL names no file; use sqlite://./safeguard.db".into(),
            ));
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))
            .map_err(|e| StoreError::Unavailable(format!("bad SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.clone())
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot open {path}: {e}")))?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot migrate {path}: {e}")))?;
        let read_pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot open {path}: {e}")))?;
        Ok(Self { pool, read_pool })
    }

    /// The pool, for tests that must reach past the store (e.g. to tamper with the audit log).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn begin(&self) -> StoreResult<Box<dyn Tx>> {
        let tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(map_err)?;
        Ok(Box::new(SqliteTx { tx }))
    }

    async fn begin_read(&self) -> StoreResult<Box<dyn Tx>> {
        // A deferred transaction takes no lock until it writes: in WAL mode readers run beside
        // the writer, each on a consistent snapshot.
        let tx = self.read_pool.begin().await.map_err(map_err)?;
        Ok(Box::new(SqliteTx { tx }))
    }

    async fn read_flags_by_nhs(&self, nhs: &NhsNumber) -> StoreResult<Vec<Flag>> {
        let rows = sqlx::query(FLAGS_BY_NHS)
            .bind(nhs.as_str())
            .fetch_all(&self.read_pool)
            .await
            .map_err(map_err)?;
        docs(&rows)
    }

    fn backend_name(&self) -> &'static str {
        "sqlite"
    }
}

/// The flags held against one NHS number, oldest first.
const FLAGS_BY_NHS: &str = "SELECT doc FROM flags WHERE nhs_number = ? ORDER BY start_on, id";

struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
}

fn map_err(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        let msg = db.message();
        if msg.contains("append-only") {
            return StoreError::AppendOnly;
        }
        if db.is_unique_violation() {
            let what = if msg.contains("nhs_number") {
                "NHS number"
            } else if msg.contains("email") {
                "email address"
            } else if msg.contains("ods_code") {
                "ODS code"
            } else if msg.contains("urn") {
                "URN"
            } else if msg.contains("la_code") {
                "DfE LA code"
            } else if msg.contains("api_tokens.secret_hash") {
                "API token"
            } else if msg.contains("looked_after_episodes") {
                "open looked-after episode"
            } else if msg.contains("early_help_episodes") {
                "open early help episode"
            } else {
                "record"
            };
            return StoreError::Conflict { what };
        }
    }
    if matches!(e, sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed) {
        return StoreError::Unavailable(e.to_string());
    }
    StoreError::Backend(e.to_string())
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn get<'r, T: sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>>(
    row: &'r SqliteRow,
    col: &str,
) -> StoreResult<T> {
    row.try_get(col).map_err(map_err)
}

fn parse_id<T: FromStr>(s: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e| corrupt(format!("bad id {s}: {e}")))
}

fn opt_id<T: FromStr>(s: Option<String>) -> StoreResult<Option<T>>
where
    T::Err: std::fmt::Display,
{
    s.as_deref().map(parse_id).transpose()
}

fn parse_date(s: &str) -> StoreResult<Date> {
    s.parse().map_err(|e| corrupt(format!("bad date {s}: {e}")))
}

fn parse_ts(s: &str) -> StoreResult<Timestamp> {
    s.parse()
        .map_err(|e| corrupt(format!("bad timestamp {s}: {e}")))
}

fn from_doc<T: serde::de::DeserializeOwned>(doc: &str) -> StoreResult<T> {
    serde_json::from_str(doc).map_err(corrupt)
}

fn to_doc<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(corrupt)
}

fn roles_text(roles: &[Role]) -> String {
    roles.iter().map(|r| r.code()).collect::<Vec<_>>().join(",")
}

fn parse_roles(s: &str) -> StoreResult<Vec<Role>> {
    s.split(',')
        .filter(|c| !c.is_empty())
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

fn postcodes_text(child: &Child) -> String {
    let mut s = String::from("|");
    for a in &child.addresses {
        s.push_str(a.postcode.as_str());
        s.push('|');
    }
    s
}

fn agency_from_row(row: &SqliteRow) -> StoreResult<Agency> {
    Ok(Agency {
        id: parse_id(&get::<String>(row, "id")?)?,
        kind: AgencyKind::parse(&get::<String>(row, "kind")?).map_err(corrupt)?,
        name: get(row, "name")?,
        ods_code: get(row, "ods_code")?,
        urn: get(row, "urn")?,
        la_code: get(row, "la_code")?,
        phone: get(row, "phone")?,
        out_of_hours_phone: get(row, "out_of_hours_phone")?,
    })
}

fn team_from_row(row: &SqliteRow) -> StoreResult<Team> {
    Ok(Team {
        id: parse_id(&get::<String>(row, "id")?)?,
        agency: parse_id(&get::<String>(row, "agency_id")?)?,
        name: get(row, "name")?,
    })
}

fn practitioner_from_row(row: &SqliteRow) -> StoreResult<Practitioner> {
    Ok(Practitioner {
        id: parse_id(&get::<String>(row, "id")?)?,
        email: get(row, "email")?,
        name: get(row, "name")?,
        agency: parse_id(&get::<String>(row, "agency_id")?)?,
        team: opt_id(get(row, "team_id")?)?,
        roles: parse_roles(&get::<String>(row, "roles")?)?,
        active: get::<i64>(row, "active")? != 0,
    })
}

fn account_from_row(row: &SqliteRow) -> StoreResult<Account> {
    Ok(Account {
        practitioner: practitioner_from_row(row)?,
        password_hash: get(row, "password_hash")?,
        totp_secret: get(row, "totp_secret")?,
        demo_no_mfa: get::<i64>(row, "demo_no_mfa")? != 0,
        failed_attempts: u32::try_from(get::<i64>(row, "failed_attempts")?).unwrap_or(u32::MAX),
        locked_until: get::<Option<String>>(row, "locked_until")?
            .as_deref()
            .map(parse_ts)
            .transpose()?,
    })
}

fn child_from_row(row: &SqliteRow) -> StoreResult<ChildRow> {
    Ok(ChildRow {
        child: from_doc(&get::<String>(row, "doc")?)?,
        owning_team: opt_id(get(row, "owning_team_id")?)?,
    })
}

fn session_from_row(row: &SqliteRow) -> StoreResult<SessionRow> {
    Ok(SessionRow {
        id_hash: get(row, "id_hash")?,
        practitioner: opt_id(get(row, "practitioner_id")?)?,
        stage: SessionStage::parse(&get::<String>(row, "stage")?)?,
        csrf_token: get(row, "csrf_token")?,
        pending_totp_secret: get(row, "pending_totp_secret")?,
        created_at: parse_ts(&get::<String>(row, "created_at")?)?,
        expires_at: parse_ts(&get::<String>(row, "expires_at")?)?,
    })
}

fn audit_from_row(row: &SqliteRow) -> StoreResult<AuditRecord> {
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

/// Sort rank of an urgency: 0 is the most urgent ([`Urgency::ALL`] is declared in that order).
fn urgency_rank(u: Urgency) -> i64 {
    Urgency::ALL
        .iter()
        .position(|x| *x == u)
        .and_then(|p| i64::try_from(p).ok())
        .unwrap_or(i64::MAX)
}

fn docs<T: serde::de::DeserializeOwned>(rows: &[SqliteRow]) -> StoreResult<Vec<T>> {
    rows.iter()
        .map(|r| from_doc(&get::<String>(r, "doc")?))
        .collect()
}

fn notification_from_row(row: &SqliteRow) -> StoreResult<Notification> {
    Ok(Notification {
        id: parse_id(&get::<String>(row, "id")?)?,
        recipient: parse_id(&get::<String>(row, "recipient_id")?)?,
        created_at: parse_ts(&get::<String>(row, "created_at")?)?,
        text: get(row, "text")?,
        link: get(row, "link")?,
        read: get::<i64>(row, "read")? != 0,
    })
}

impl SqliteTx {
    /// Why a versioned update changed no row: someone else saved first (Conflict), or there is
    /// no such record (NotFound).
    async fn missed_version(
        &mut self,
        sql: &'static str,
        id: String,
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
        bind: String,
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
        id: String,
    ) -> StoreResult<Option<T>> {
        let doc: Option<String> = sqlx::query_scalar(sql)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_err)?;
        doc.as_deref().map(from_doc).transpose()
    }

    async fn write_child(&mut self, row: &ChildRow, insert: bool) -> StoreResult<()> {
        let c = &row.child;
        let sql = if insert {
            "INSERT INTO children (id, nhs_number, family_name, given_name, names_search, \
             birth_date, postcodes, owning_team_id, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        } else {
            "UPDATE children SET nhs_number = ?2, family_name = ?3, given_name = ?4, \
             names_search = ?5, birth_date = ?6, postcodes = ?7, owning_team_id = ?8, doc = ?9 \
             WHERE id = ?1"
        };
        let done = sqlx::query(sql)
            .bind(c.id.to_string())
            .bind(c.nhs_number.as_ref().map(|n| n.as_str().to_owned()))
            .bind(&c.name.family)
            .bind(&c.name.given)
            .bind(names_search(c))
            .bind(c.birth.date().to_string())
            .bind(postcodes_text(c))
            .bind(row.owning_team.map(|t| t.to_string()))
            .bind(to_doc(c)?)
            .execute(&mut *self.tx)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("child"));
        }
        Ok(())
    }

    async fn children_where(
        &mut self,
        sql: &'static str,
        bind: Option<String>,
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
impl Tx for SqliteTx {
    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.tx.commit().await.map_err(map_err)
    }

    async fn insert_agency(&mut self, a: &Agency) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO agencies (id, kind, name, ods_code, urn, la_code, phone, \
             out_of_hours_phone) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(a.id.to_string())
        .bind(a.kind.code())
        .bind(&a.name)
        .bind(&a.ods_code)
        .bind(&a.urn)
        .bind(&a.la_code)
        .bind(&a.phone)
        .bind(&a.out_of_hours_phone)
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn list_agencies(&mut self) -> StoreResult<Vec<Agency>> {
        let rows = sqlx::query("SELECT * FROM agencies ORDER BY name, id")
            .fetch_all(&mut *self.tx)
            .await
            .map_err(map_err)?;
        rows.iter().map(agency_from_row).collect()
    }

    async fn get_agency(&mut self, id: AgencyId) -> StoreResult<Option<Agency>> {
        sqlx::query("SELECT * FROM agencies WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(agency_from_row)
            .transpose()
    }

    async fn find_agency_by_code(&mut self, code: &str) -> StoreResult<Option<Agency>> {
        sqlx::query(
            "SELECT * FROM agencies WHERE ods_code = ?1 OR urn = ?1 OR la_code = ?1 \
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

    async fn insert_team(&mut self, t: &Team) -> StoreResult<()> {
        sqlx::query("INSERT INTO teams (id, agency_id, name) VALUES (?, ?, ?)")
            .bind(t.id.to_string())
            .bind(t.agency.to_string())
            .bind(&t.name)
            .execute(&mut *self.tx)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn list_teams(&mut self) -> StoreResult<Vec<Team>> {
        let rows = sqlx::query("SELECT * FROM teams ORDER BY agency_id, name")
            .fetch_all(&mut *self.tx)
            .await
            .map_err(map_err)?;
        rows.iter().map(team_from_row).collect()
    }

    async fn get_team(&mut self, id: TeamId) -> StoreResult<Option<Team>> {
        sqlx::query("SELECT * FROM teams WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(team_from_row)
            .transpose()
    }

    async fn put_area(&mut self, area: &Area) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO area (singleton, doc) VALUES (1, ?) \
             ON CONFLICT (singleton) DO UPDATE SET doc = excluded.doc",
        )
        .bind(to_doc(area)?)
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn get_area(&mut self) -> StoreResult<Option<Area>> {
        let doc: Option<String> = sqlx::query_scalar("SELECT doc FROM area WHERE singleton = 1")
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_err)?;
        doc.as_deref().map(from_doc).transpose()
    }

    async fn insert_account(&mut self, a: &Account) -> StoreResult<()> {
        let p = &a.practitioner;
        sqlx::query(
            "INSERT INTO practitioners (id, email, name, agency_id, team_id, roles, active, \
             password_hash, totp_secret, demo_no_mfa, failed_attempts, locked_until) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(p.id.to_string())
        .bind(&p.email)
        .bind(&p.name)
        .bind(p.agency.to_string())
        .bind(p.team.map(|t| t.to_string()))
        .bind(roles_text(&p.roles))
        .bind(i64::from(p.active))
        .bind(&a.password_hash)
        .bind(&a.totp_secret)
        .bind(i64::from(a.demo_no_mfa))
        .bind(i64::from(a.failed_attempts))
        .bind(a.locked_until.map(|t| t.to_string()))
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn update_account(&mut self, a: &Account) -> StoreResult<()> {
        let p = &a.practitioner;
        let done = sqlx::query(
            "UPDATE practitioners SET email = ?2, name = ?3, agency_id = ?4, team_id = ?5, \
             roles = ?6, active = ?7, password_hash = ?8, totp_secret = ?9, demo_no_mfa = ?10, \
             failed_attempts = ?11, locked_until = ?12 WHERE id = ?1",
        )
        .bind(p.id.to_string())
        .bind(&p.email)
        .bind(&p.name)
        .bind(p.agency.to_string())
        .bind(p.team.map(|t| t.to_string()))
        .bind(roles_text(&p.roles))
        .bind(i64::from(p.active))
        .bind(&a.password_hash)
        .bind(&a.totp_secret)
        .bind(i64::from(a.demo_no_mfa))
        .bind(i64::from(a.failed_attempts))
        .bind(a.locked_until.map(|t| t.to_string()))
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("account"));
        }
        Ok(())
    }

    async fn get_account(&mut self, id: PractitionerId) -> StoreResult<Option<Account>> {
        sqlx::query("SELECT * FROM practitioners WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(account_from_row)
            .transpose()
    }

    async fn get_account_by_email(&mut self, email: &str) -> StoreResult<Option<Account>> {
        sqlx::query("SELECT * FROM practitioners WHERE email = ?")
            .bind(email)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(account_from_row)
            .transpose()
    }

    async fn list_practitioners(&mut self) -> StoreResult<Vec<Practitioner>> {
        let rows = sqlx::query("SELECT * FROM practitioners ORDER BY name, id")
            .fetch_all(&mut *self.tx)
            .await
            .map_err(map_err)?;
        rows.iter().map(practitioner_from_row).collect()
    }

    async fn count_active_admins(&mut self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM practitioners WHERE active = 1 \
             AND (',' || roles || ',') LIKE '%,admin,%'",
        )
        .fetch_one(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn put_session(&mut self, s: &SessionRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, practitioner_id, stage, csrf_token, \
             pending_totp_secret, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT (id_hash) DO UPDATE SET practitioner_id = ?2, stage = ?3, \
             csrf_token = ?4, pending_totp_secret = ?5, created_at = ?6, expires_at = ?7",
        )
        .bind(&s.id_hash)
        .bind(s.practitioner.map(|p| p.to_string()))
        .bind(s.stage.code())
        .bind(&s.csrf_token)
        .bind(&s.pending_totp_secret)
        .bind(s.created_at.to_string())
        .bind(s.expires_at.to_string())
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn get_session(&mut self, id_hash: &str) -> StoreResult<Option<SessionRow>> {
        sqlx::query("SELECT * FROM sessions WHERE id_hash = ?")
            .bind(id_hash)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(session_from_row)
            .transpose()
    }

    async fn delete_session(&mut self, id_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = ?")
            .bind(id_hash)
            .execute(&mut *self.tx)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn delete_sessions_of(&mut self, practitioner: PractitionerId) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE practitioner_id = ?")
            .bind(practitioner.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn delete_expired_sessions(&mut self, now: Timestamp) -> StoreResult<u64> {
        // Timestamps are stored in RFC 3339 UTC ("...Z"), which sorts as text in time order
        // only when the precision is fixed, so compare in SQLite's own time arithmetic.
        let done = sqlx::query("DELETE FROM sessions WHERE julianday(expires_at) < julianday(?)")
            .bind(now.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected())
    }

    async fn insert_child(&mut self, row: &ChildRow) -> StoreResult<()> {
        self.write_child(row, true).await
    }

    async fn update_child(&mut self, row: &ChildRow) -> StoreResult<()> {
        self.write_child(row, false).await
    }

    async fn get_child(&mut self, id: ChildId) -> StoreResult<Option<ChildRow>> {
        sqlx::query("SELECT doc, owning_team_id FROM children WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(child_from_row)
            .transpose()
    }

    async fn find_child_by_nhs(&mut self, nhs: &NhsNumber) -> StoreResult<Option<ChildId>> {
        let id: Option<String> = sqlx::query_scalar("SELECT id FROM children WHERE nhs_number = ?")
            .bind(nhs.as_str())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_err)?;
        id.as_deref().map(parse_id).transpose()
    }

    async fn search_children(&mut self, q: &ChildQuery, limit: u32) -> StoreResult<Vec<ChildRow>> {
        let mut qb: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT doc, owning_team_id FROM children WHERE 1 = 1");
        if let Some(name) = &q.name {
            // Each word must appear in some name: "amy smi" finds "Amy Smith".
            for word in name.split_whitespace() {
                let escaped = word
                    .to_lowercase()
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                qb.push(" AND names_search LIKE ")
                    .push_bind(format!("%{escaped}%"))
                    .push(" ESCAPE '\\'");
            }
        }
        if let Some(d) = q.birth_date {
            qb.push(" AND birth_date = ").push_bind(d.to_string());
        }
        if let Some(n) = &q.nhs_number {
            qb.push(" AND nhs_number = ")
                .push_bind(n.as_str().to_owned());
        }
        if let Some(p) = &q.postcode {
            qb.push(" AND postcodes LIKE ")
                .push_bind(format!("%|{}|%", p.as_str()));
        }
        qb.push(" ORDER BY family_name, given_name, id LIMIT ")
            .push_bind(i64::from(limit));
        let rows = qb.build().fetch_all(&mut *self.tx).await.map_err(map_err)?;
        rows.iter().map(child_from_row).collect()
    }

    async fn children_allocated_to(
        &mut self,
        practitioner: PractitionerId,
    ) -> StoreResult<Vec<ChildRow>> {
        self.children_where(
            "SELECT c.doc, c.owning_team_id FROM children c \
             JOIN allocations a ON a.child_id = c.id WHERE a.practitioner_id = ? \
             ORDER BY c.family_name, c.given_name, c.id",
            Some(practitioner.to_string()),
        )
        .await
    }

    async fn allocate(&mut self, child: ChildId, practitioner: PractitionerId) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO allocations (child_id, practitioner_id) VALUES (?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(child.to_string())
        .bind(practitioner.to_string())
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn allocations(&mut self, child: ChildId) -> StoreResult<Vec<PractitionerId>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT practitioner_id FROM allocations WHERE child_id = ? ORDER BY practitioner_id",
        )
        .bind(child.to_string())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_err)?;
        ids.iter().map(|s| parse_id(s)).collect()
    }

    async fn insert_person(&mut self, p: &Person) -> StoreResult<()> {
        sqlx::query("INSERT INTO persons (id, doc) VALUES (?, ?)")
            .bind(p.id.to_string())
            .bind(to_doc(p)?)
            .execute(&mut *self.tx)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn link_person(&mut self, l: &ChildPerson) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO child_persons (child_id, person_id, relationship, \
             parental_responsibility, lives_with_child) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (child_id, person_id) DO UPDATE SET relationship = ?3, \
             parental_responsibility = ?4, lives_with_child = ?5",
        )
        .bind(l.child.to_string())
        .bind(l.person.to_string())
        .bind(l.relationship.code())
        .bind(i64::from(l.parental_responsibility))
        .bind(i64::from(l.lives_with_child))
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn people_of_child(&mut self, child: ChildId) -> StoreResult<Vec<(Person, ChildPerson)>> {
        let rows = sqlx::query(
            "SELECT p.doc, l.relationship, l.parental_responsibility, l.lives_with_child \
             FROM child_persons l JOIN persons p ON p.id = l.person_id WHERE l.child_id = ? \
             ORDER BY l.relationship, p.id",
        )
        .bind(child.to_string())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                let person: Person = from_doc(&get::<String>(row, "doc")?)?;
                let link = ChildPerson {
                    child,
                    person: person.id,
                    relationship: Relationship::parse(&get::<String>(row, "relationship")?)
                        .map_err(corrupt)?,
                    parental_responsibility: get::<i64>(row, "parental_responsibility")? != 0,
                    lives_with_child: get::<i64>(row, "lives_with_child")? != 0,
                };
                Ok((person, link))
            })
            .collect()
    }

    async fn add_involvement(&mut self, child: ChildId, r: &InvolvementRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO involvements (child_id, agency_id, kind, since) VALUES (?, ?, ?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(child.to_string())
        .bind(r.agency.to_string())
        .bind(r.involvement.code())
        .bind(r.since.to_string())
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn involvements(&mut self, child: ChildId) -> StoreResult<Vec<InvolvementRow>> {
        let rows = sqlx::query(
            "SELECT agency_id, kind, since FROM involvements WHERE child_id = ? \
             ORDER BY since, agency_id, kind",
        )
        .bind(child.to_string())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                Ok(InvolvementRow {
                    agency: parse_id(&get::<String>(row, "agency_id")?)?,
                    involvement: Involvement::parse(&get::<String>(row, "kind")?)
                        .map_err(corrupt)?,
                    since: parse_date(&get::<String>(row, "since")?)?,
                })
            })
            .collect()
    }

    async fn add_chronology(&mut self, e: &ChronologyEntry) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO chronology (id, child_id, date, summary, agency_id, recorded_by, kind) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(e.id.to_string())
        .bind(e.child.to_string())
        .bind(e.date.to_string())
        .bind(&e.summary)
        .bind(e.agency.map(|a| a.to_string()))
        .bind(e.recorded_by.map(|p| p.to_string()))
        .bind(e.kind.code())
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn chronology(&mut self, child: ChildId) -> StoreResult<Vec<ChronologyEntry>> {
        let rows =
            sqlx::query("SELECT * FROM chronology WHERE child_id = ? ORDER BY date DESC, id DESC")
                .bind(child.to_string())
                .fetch_all(&mut *self.tx)
                .await
                .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                Ok(ChronologyEntry {
                    id: parse_id(&get::<String>(row, "id")?)?,
                    child,
                    date: parse_date(&get::<String>(row, "date")?)?,
                    summary: get(row, "summary")?,
                    kind: ChronologyKind::parse(&get::<String>(row, "kind")?).map_err(corrupt)?,
                    agency: opt_id(get(row, "agency_id")?)?,
                    recorded_by: opt_id(get(row, "recorded_by")?)?,
                })
            })
            .collect()
    }

    async fn count_children(&mut self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM children")
            .fetch_one(&mut *self.tx)
            .await
            .map_err(map_err)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn children_page(
        &mut self,
        after: Option<ChildId>,
        limit: u32,
    ) -> StoreResult<Vec<ChildRow>> {
        let rows = sqlx::query(
            "SELECT doc, owning_team_id FROM children WHERE id > ? ORDER BY id LIMIT ?",
        )
        .bind(after.map(|a| a.to_string()).unwrap_or_default())
        .bind(i64::from(limit))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_err)?;
        rows.iter().map(child_from_row).collect()
    }

    async fn insert_link_decision(&mut self, d: &LinkDecision) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO link_decisions (id, subject, child_id, decided_at, doc) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(d.id.to_string())
        .bind(d.subject.key())
        .bind(d.child.to_string())
        .bind(at_text(d.decided_at))
        .bind(to_doc(d)?)
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn get_link_decision(&mut self, id: LinkDecisionId) -> StoreResult<Option<LinkDecision>> {
        self.doc_by_id(
            "SELECT doc FROM link_decisions WHERE id = ?",
            id.to_string(),
        )
        .await
    }

    async fn reverse_link_decision(
        &mut self,
        id: LinkDecisionId,
        reversal: &Reversal,
    ) -> StoreResult<()> {
        let Some(mut d) = self.get_link_decision(id).await? else {
            return Err(StoreError::NotFound("linkage decision"));
        };
        if d.reversed.is_some() {
            return Err(StoreError::Conflict {
                what: "linkage decision",
            });
        }
        d.reversed = Some(reversal.clone());
        sqlx::query("UPDATE link_decisions SET doc = ? WHERE id = ?")
            .bind(to_doc(&d)?)
            .bind(id.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn link_decisions_about(
        &mut self,
        subject: &LinkSubject,
    ) -> StoreResult<Vec<LinkDecision>> {
        self.docs_where(
            "SELECT doc FROM link_decisions WHERE subject = ? ORDER BY decided_at, id",
            subject.key(),
        )
        .await
    }

    async fn child_link_decisions(&mut self) -> StoreResult<Vec<LinkDecision>> {
        self.docs_where(
            "SELECT doc FROM link_decisions WHERE subject LIKE ? || '%' \
             ORDER BY decided_at DESC, id DESC",
            "child:".to_owned(),
        )
        .await
    }

    async fn put_duplicate_report(&mut self, report: &DuplicateReport) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO duplicate_reports (id, doc) VALUES (1, ?) \
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
        )
        .bind(to_doc(report)?)
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn duplicate_report(&mut self) -> StoreResult<Option<DuplicateReport>> {
        let doc: Option<String> =
            sqlx::query_scalar("SELECT doc FROM duplicate_reports WHERE id = 1")
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(map_err)?;
        doc.as_deref().map(from_doc).transpose()
    }

    async fn insert_concern(&mut self, c: &Concern) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO concerns (id, setting_id, recorded_by, recorded_at, doc) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(c.id.to_string())
        .bind(c.setting.to_string())
        .bind(c.recorded_by.to_string())
        .bind(at_text(c.recorded_at))
        .bind(to_doc(c)?)
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn update_concern(&mut self, c: &Concern) -> StoreResult<()> {
        let done = sqlx::query("UPDATE concerns SET doc = ? WHERE id = ?")
            .bind(to_doc(c)?)
            .bind(c.id.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("concern"));
        }
        Ok(())
    }

    async fn get_concern(&mut self, id: ConcernId) -> StoreResult<Option<Concern>> {
        self.doc_by_id("SELECT doc FROM concerns WHERE id = ?", id.to_string())
            .await
    }

    async fn concerns_of_setting(&mut self, setting: AgencyId) -> StoreResult<Vec<Concern>> {
        self.docs_where(
            "SELECT doc FROM concerns WHERE setting_id = ? ORDER BY recorded_at DESC, id DESC",
            setting.to_string(),
        )
        .await
    }

    async fn concerns_recorded_by(&mut self, who: PractitionerId) -> StoreResult<Vec<Concern>> {
        self.docs_where(
            "SELECT doc FROM concerns WHERE recorded_by = ? ORDER BY recorded_at DESC, id DESC",
            who.to_string(),
        )
        .await
    }

    async fn insert_referral(&mut self, r: &Referral) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO referrals (id, version, la_id, referrer_id, child_id, decided, \
             urgency_rank, decision_due, received_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(r.id.to_string())
        .bind(i64::from(r.version))
        .bind(r.la.to_string())
        .bind(r.referrer.map(|p| p.to_string()))
        .bind(r.matched_child.map(|c| c.to_string()))
        .bind(i64::from(r.is_decided()))
        .bind(urgency_rank(r.urgency))
        .bind(r.decision_due.to_string())
        .bind(at_text(r.received_at))
        .bind(to_doc(r)?)
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn update_referral(&mut self, r: &Referral) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE referrals SET version = ?1, child_id = ?2, decided = ?3, urgency_rank = ?4, \
             decision_due = ?5, doc = ?6 WHERE id = ?7 AND version = ?1 - 1",
        )
        .bind(i64::from(r.version))
        .bind(r.matched_child.map(|c| c.to_string()))
        .bind(i64::from(r.is_decided()))
        .bind(urgency_rank(r.urgency))
        .bind(r.decision_due.to_string())
        .bind(to_doc(r)?)
        .bind(r.id.to_string())
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(self
                .missed_version(
                    "SELECT version FROM referrals WHERE id = ?",
                    r.id.to_string(),
                    "referral",
                )
                .await);
        }
        Ok(())
    }

    async fn get_referral(&mut self, id: ReferralId) -> StoreResult<Option<Referral>> {
        self.doc_by_id("SELECT doc FROM referrals WHERE id = ?", id.to_string())
            .await
    }

    async fn referrals_by(&mut self, referrer: PractitionerId) -> StoreResult<Vec<Referral>> {
        self.docs_where(
            "SELECT doc FROM referrals WHERE referrer_id = ? ORDER BY received_at DESC, id DESC",
            referrer.to_string(),
        )
        .await
    }

    async fn referral_queue(&mut self, la: AgencyId) -> StoreResult<Vec<Referral>> {
        self.docs_where(
            "SELECT doc FROM referrals WHERE la_id = ? AND decided = 0 \
             ORDER BY urgency_rank, decision_due, received_at, id",
            la.to_string(),
        )
        .await
    }

    async fn referrals_of_child(&mut self, child: ChildId) -> StoreResult<Vec<Referral>> {
        self.docs_where(
            "SELECT doc FROM referrals WHERE child_id = ? ORDER BY received_at DESC, id DESC",
            child.to_string(),
        )
        .await
    }

    async fn insert_notification(&mut self, n: &Notification) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO notifications (id, recipient_id, created_at, text, link, read) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(n.id.to_string())
        .bind(n.recipient.to_string())
        .bind(at_text(n.created_at))
        .bind(&n.text)
        .bind(&n.link)
        .bind(i64::from(n.read))
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn insert_notification_once(&mut self, n: &Notification, key: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO notifications (id, recipient_id, created_at, text, link, read, dedupe_key) \
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(n.id.to_string())
        .bind(n.recipient.to_string())
        .bind(at_text(n.created_at))
        .bind(&n.text)
        .bind(&n.link)
        .bind(i64::from(n.read))
        .bind(key)
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn notifications_for(
        &mut self,
        recipient: PractitionerId,
        limit: u32,
    ) -> StoreResult<Vec<Notification>> {
        let rows = sqlx::query(
            "SELECT * FROM notifications WHERE recipient_id = ? \
             ORDER BY created_at DESC, id DESC LIMIT ?",
        )
        .bind(recipient.to_string())
        .bind(i64::from(limit))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_err)?;
        rows.iter().map(notification_from_row).collect()
    }

    async fn mark_notification_read(
        &mut self,
        id: NotificationId,
        recipient: PractitionerId,
    ) -> StoreResult<()> {
        let done =
            sqlx::query("UPDATE notifications SET read = 1 WHERE id = ? AND recipient_id = ?")
                .bind(id.to_string())
                .bind(recipient.to_string())
                .execute(&mut *self.tx)
                .await
                .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("notification"));
        }
        Ok(())
    }

    async fn insert_case(&mut self, c: &Case) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO cases (id, child_id, version, state, opened_on, doc) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(c.id.to_string())
        .bind(c.child.to_string())
        .bind(i64::from(c.version))
        .bind(c.state.code())
        .bind(c.referral_on.to_string())
        .bind(to_doc(c)?)
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn update_case(&mut self, c: &Case) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE cases SET version = ?1, state = ?2, doc = ?3 WHERE id = ?4 AND version = ?1 - 1",
        )
        .bind(i64::from(c.version))
        .bind(c.state.code())
        .bind(to_doc(c)?)
        .bind(c.id.to_string())
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(self
                .missed_version(
                    "SELECT version FROM cases WHERE id = ?",
                    c.id.to_string(),
                    "case",
                )
                .await);
        }
        Ok(())
    }

    async fn get_case(&mut self, id: CaseId) -> StoreResult<Option<Case>> {
        self.doc_by_id("SELECT doc FROM cases WHERE id = ?", id.to_string())
            .await
    }

    async fn open_cases(&mut self) -> StoreResult<Vec<Case>> {
        let rows = sqlx::query(
            "SELECT doc FROM cases WHERE state NOT IN ('closed', 'nfa') ORDER BY opened_on, id",
        )
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_err)?;
        docs(&rows)
    }

    async fn cases_of_child(&mut self, child: ChildId) -> StoreResult<Vec<Case>> {
        self.docs_where(
            "SELECT doc FROM cases WHERE child_id = ? ORDER BY opened_on DESC, id DESC",
            child.to_string(),
        )
        .await
    }

    async fn insert_api_token(&mut self, token: &ApiToken, secret_hash: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO api_tokens (id, secret_hash, agency_id, created_at, doc) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(token.id.to_string())
        .bind(secret_hash)
        .bind(token.agency.to_string())
        .bind(at_text(token.created_at))
        .bind(to_doc(token)?)
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn api_token_by_hash(&mut self, secret_hash: &str) -> StoreResult<Option<ApiToken>> {
        self.doc_by_id(
            "SELECT doc FROM api_tokens WHERE secret_hash = ?",
            secret_hash.to_owned(),
        )
        .await
    }

    async fn list_api_tokens(&mut self) -> StoreResult<Vec<ApiToken>> {
        let rows = sqlx::query("SELECT doc FROM api_tokens ORDER BY created_at DESC, id DESC")
            .fetch_all(&mut *self.tx)
            .await
            .map_err(map_err)?;
        docs(&rows)
    }

    async fn revoke_api_token(&mut self, id: ApiTokenId, at: Timestamp) -> StoreResult<()> {
        let Some(mut token) = self
            .doc_by_id::<ApiToken>("SELECT doc FROM api_tokens WHERE id = ?", id.to_string())
            .await?
        else {
            return Err(StoreError::NotFound("API token"));
        };
        if token.revoked_at.is_some() {
            return Err(StoreError::Conflict { what: "API token" });
        }
        token.revoked_at = Some(at);
        sqlx::query("UPDATE api_tokens SET doc = ? WHERE id = ?")
            .bind(to_doc(&token)?)
            .bind(id.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn replace_holidays(&mut self, dates: &[Date]) -> StoreResult<()> {
        sqlx::query("DELETE FROM holidays")
            .execute(&mut *self.tx)
            .await
            .map_err(map_err)?;
        for d in dates {
            sqlx::query("INSERT INTO holidays (date) VALUES (?) ON CONFLICT DO NOTHING")
                .bind(d.to_string())
                .execute(&mut *self.tx)
                .await
                .map_err(map_err)?;
        }
        Ok(())
    }

    async fn holidays(&mut self) -> StoreResult<Vec<Date>> {
        let rows: Vec<String> = sqlx::query_scalar("SELECT date FROM holidays ORDER BY date")
            .fetch_all(&mut *self.tx)
            .await
            .map_err(map_err)?;
        rows.iter().map(|s| parse_date(s)).collect()
    }

    async fn append_audit(&mut self, event: &AuditEvent) -> StoreResult<AuditRecord> {
        // The transaction already holds SQLite's write lock (BEGIN IMMEDIATE), so reading the
        // tail and appending after it cannot interleave with another writer.
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
        sqlx::query(
            "INSERT INTO audit (seq, at, actor, action, subject, decision, reason, payload, \
             prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        .bind(&hash)
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(AuditRecord {
            seq,
            event: event.clone(),
            prev_hash,
            hash,
        })
    }

    async fn append_audit_batch(&mut self, events: &[AuditEvent]) -> StoreResult<Vec<AuditRecord>> {
        let Some(first) = events.first() else {
            return Ok(Vec::new());
        };
        // One tail read (the write lock is held), then the chain is computed here in order and
        // written with multi-row INSERTs: the same rows as one append_audit per event.
        let head = self.append_audit(first).await?;
        let mut records = chain_after(head.seq, &head.hash, &events[1..]);
        records.insert(0, head);
        // 10 columns a row: 500 rows stay well under SQLite's 32,766 bound parameters.
        for chunk in records[1..].chunks(500) {
            let mut q = QueryBuilder::<Sqlite>::new(
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
            q.build().execute(&mut *self.tx).await.map_err(map_err)?;
        }
        Ok(records)
    }

    async fn count_audit(&mut self, action: &str) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit WHERE action = ?")
            .bind(action)
            .fetch_one(&mut *self.tx)
            .await
            .map_err(map_err)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn audit_page(&mut self, after: i64, limit: u32) -> StoreResult<Vec<AuditRecord>> {
        let rows = sqlx::query("SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?")
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&mut *self.tx)
            .await
            .map_err(map_err)?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn audit_for_subject(
        &mut self,
        subject: &str,
        limit: u32,
    ) -> StoreResult<Vec<AuditRecord>> {
        let rows = sqlx::query("SELECT * FROM audit WHERE subject = ? ORDER BY seq DESC LIMIT ?")
            .bind(subject)
            .bind(i64::from(limit))
            .fetch_all(&mut *self.tx)
            .await
            .map_err(map_err)?;
        rows.iter().map(audit_from_row).collect()
    }

    // --- flags ---
    #[tracing::instrument(skip_all)]
    async fn put_flag(&mut self, f: &Flag) -> StoreResult<FlagWrite> {
        let stored: Option<(String, String)> =
            sqlx::query_as("SELECT id, doc FROM flags WHERE source_ref = ?")
                .bind(&f.source_ref)
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(map_err)?;
        let Some((id, doc)) = stored else {
            sqlx::query(
                "INSERT INTO flags (id, source_ref, nhs_number, kind, start_on, la_id, child_id, doc) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(f.id.to_string())
            .bind(&f.source_ref)
            .bind(f.nhs_number.as_str())
            .bind(f.kind.code())
            .bind(f.start.to_string())
            .bind(f.contact.la.to_string())
            .bind(f.child.map(|c| c.to_string()))
            .bind(to_doc(f)?)
            .execute(&mut *self.tx)
            .await
            .map_err(map_err)?;
            return Ok(FlagWrite::Inserted);
        };
        let kept = Flag {
            id: parse_id(&id)?,
            ..f.clone()
        };
        if from_doc::<Flag>(&doc)? == kept {
            return Ok(FlagWrite::Unchanged);
        }
        sqlx::query(
            "UPDATE flags SET nhs_number = ?, kind = ?, start_on = ?, la_id = ?, child_id = ?, \
             doc = ? WHERE id = ?",
        )
        .bind(kept.nhs_number.as_str())
        .bind(kept.kind.code())
        .bind(kept.start.to_string())
        .bind(kept.contact.la.to_string())
        .bind(kept.child.map(|c| c.to_string()))
        .bind(to_doc(&kept)?)
        .bind(id)
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(FlagWrite::Updated)
    }

    #[tracing::instrument(skip_all)]
    async fn bulk_insert_flags(&mut self, flags: &[Flag]) -> StoreResult<()> {
        // 8 columns a row: 1,000 rows a statement stay under SQLite's 32,766 bound parameters.
        for chunk in flags.chunks(1000) {
            let docs = chunk.iter().map(to_doc).collect::<StoreResult<Vec<_>>>()?;
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO flags (id, source_ref, nhs_number, kind, start_on, la_id, child_id, doc) ",
            );
            q.push_values(chunk.iter().zip(docs), |mut b, (f, doc)| {
                b.push_bind(f.id.to_string())
                    .push_bind(f.source_ref.clone())
                    .push_bind(f.nhs_number.as_str().to_owned())
                    .push_bind(f.kind.code())
                    .push_bind(f.start.to_string())
                    .push_bind(f.contact.la.to_string())
                    .push_bind(f.child.map(|c| c.to_string()))
                    .push_bind(doc);
            });
            q.build().execute(&mut *self.tx).await.map_err(map_err)?;
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
    async fn delete_flag(&mut self, id: FlagId) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM flags WHERE id = ?")
            .bind(id.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("flag"));
        }
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn flags_by_nhs(&mut self, nhs: &NhsNumber) -> StoreResult<Vec<Flag>> {
        self.docs_where(FLAGS_BY_NHS, nhs.as_str().to_owned()).await
    }

    #[tracing::instrument(skip_all)]
    async fn flags_of_child(&mut self, child: ChildId) -> StoreResult<Vec<Flag>> {
        self.docs_where(
            "SELECT doc FROM flags WHERE child_id = ? ORDER BY start_on, id",
            child.to_string(),
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn list_flags(&mut self, la: Option<AgencyId>) -> StoreResult<Vec<Flag>> {
        let rows = match la {
            Some(la) => {
                sqlx::query(
                    "SELECT doc FROM flags WHERE la_id = ? ORDER BY nhs_number, start_on, id",
                )
                .bind(la.to_string())
                .fetch_all(&mut *self.tx)
                .await
            }
            None => {
                sqlx::query("SELECT doc FROM flags ORDER BY nhs_number, start_on, id")
                    .fetch_all(&mut *self.tx)
                    .await
            }
        }
        .map_err(map_err)?;
        docs(&rows)
    }

    #[tracing::instrument(skip_all)]
    async fn insert_flag_access(&mut self, a: &FlagAccess) -> StoreResult<()> {
        sqlx::query("INSERT INTO flag_accesses (id, nhs_number, at, doc) VALUES (?, ?, ?, ?)")
            .bind(a.id.to_string())
            .bind(a.nhs_number.as_str())
            .bind(at_text(a.at))
            .bind(to_doc(a)?)
            .execute(&mut *self.tx)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn recent_flag_accesses(
        &mut self,
        nhs: &NhsNumber,
        limit: u32,
    ) -> StoreResult<Vec<FlagAccess>> {
        let rows = sqlx::query(
            "SELECT doc FROM flag_accesses WHERE nhs_number = ? ORDER BY at DESC, id DESC LIMIT ?",
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
        // At most 7 parameters a row: 1,000 rows a statement stay under SQLite's limit.
        for chunk in accesses.chunks(1000) {
            let docs = chunk.iter().map(to_doc).collect::<StoreResult<Vec<_>>>()?;
            let mut q =
                QueryBuilder::<Sqlite>::new("INSERT INTO flag_accesses (id, nhs_number, at, doc) ");
            q.push_values(chunk.iter().zip(docs), |mut b, (a, doc)| {
                b.push_bind(a.id.to_string())
                    .push_bind(a.nhs_number.as_str().to_owned())
                    .push_bind(at_text(a.at))
                    .push_bind(doc);
            });
            q.build().execute(&mut *self.tx).await.map_err(map_err)?;
        }
        for chunk in notices.chunks(1000) {
            let docs = chunk.iter().map(to_doc).collect::<StoreResult<Vec<_>>>()?;
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO access_notifications (id, la_id, access_id, at, setting_id, state, doc) ",
            );
            q.push_values(chunk.iter().zip(docs), |mut b, (n, doc)| {
                b.push_bind(n.id.to_string())
                    .push_bind(n.la.to_string())
                    .push_bind(n.access.to_string())
                    .push_bind(at_text(n.at))
                    .push_bind(n.setting.to_string())
                    .push_bind(n.state.code())
                    .push_bind(doc);
            });
            q.build().execute(&mut *self.tx).await.map_err(map_err)?;
        }
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn insert_access_notification(&mut self, n: &AccessNotification) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO access_notifications (id, la_id, access_id, at, setting_id, state, doc) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(n.id.to_string())
        .bind(n.la.to_string())
        .bind(n.access.to_string())
        .bind(at_text(n.at))
        .bind(n.setting.to_string())
        .bind(n.state.code())
        .bind(to_doc(n)?)
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn get_access_notification(
        &mut self,
        id: AccessNotificationId,
    ) -> StoreResult<Option<AccessNotification>> {
        self.doc_by_id(
            "SELECT doc FROM access_notifications WHERE id = ?",
            id.to_string(),
        )
        .await
    }

    // --- early help and looked-after episodes ---

    async fn insert_early_help(&mut self, e: &EarlyHelpEpisode) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO early_help_episodes (id, child_id, lead_id, version, started_on, \
             closed_on, doc) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(e.id.to_string())
        .bind(e.child.to_string())
        .bind(e.lead.practitioner.to_string())
        .bind(i64::from(e.version))
        .bind(e.started_on.to_string())
        .bind(e.end.as_ref().map(|x| x.on.to_string()))
        .bind(to_doc(e)?)
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn update_early_help(&mut self, e: &EarlyHelpEpisode) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE early_help_episodes SET version = ?1, lead_id = ?2, closed_on = ?3, doc = ?4 \
             WHERE id = ?5 AND version = ?1 - 1",
        )
        .bind(i64::from(e.version))
        .bind(e.lead.practitioner.to_string())
        .bind(e.end.as_ref().map(|x| x.on.to_string()))
        .bind(to_doc(e)?)
        .bind(e.id.to_string())
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(self
                .missed_version(
                    "SELECT version FROM early_help_episodes WHERE id = ?",
                    e.id.to_string(),
                    "early help episode",
                )
                .await);
        }
        Ok(())
    }

    async fn get_early_help(&mut self, id: EarlyHelpId) -> StoreResult<Option<EarlyHelpEpisode>> {
        self.doc_by_id(
            "SELECT doc FROM early_help_episodes WHERE id = ?",
            id.to_string(),
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn update_access_notification(&mut self, n: &AccessNotification) -> StoreResult<()> {
        let done = sqlx::query("UPDATE access_notifications SET state = ?, doc = ? WHERE id = ?")
            .bind(n.state.code())
            .bind(to_doc(n)?)
            .bind(n.id.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("access notification"));
        }
        Ok(())
    }

    async fn early_help_of_child(&mut self, child: ChildId) -> StoreResult<Vec<EarlyHelpEpisode>> {
        self.docs_where(
            "SELECT doc FROM early_help_episodes WHERE child_id = ? \
             ORDER BY started_on DESC, id DESC",
            child.to_string(),
        )
        .await
    }

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

    async fn early_help_led_by(
        &mut self,
        lead: PractitionerId,
    ) -> StoreResult<Vec<EarlyHelpEpisode>> {
        self.docs_where(
            "SELECT doc FROM early_help_episodes WHERE lead_id = ? \
             ORDER BY started_on DESC, id DESC",
            lead.to_string(),
        )
        .await
    }

    async fn insert_looked_after(&mut self, e: &LookedAfterEpisode) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO looked_after_episodes (id, child_id, version, started_on, ended_on, doc) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(e.id.to_string())
        .bind(e.child.to_string())
        .bind(i64::from(e.version))
        .bind(e.started_on().to_string())
        .bind(e.end.as_ref().map(|x| x.on.to_string()))
        .bind(to_doc(e)?)
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn update_looked_after(&mut self, e: &LookedAfterEpisode) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE looked_after_episodes SET version = ?1, ended_on = ?2, doc = ?3 \
             WHERE id = ?4 AND version = ?1 - 1",
        )
        .bind(i64::from(e.version))
        .bind(e.end.as_ref().map(|x| x.on.to_string()))
        .bind(to_doc(e)?)
        .bind(e.id.to_string())
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(self
                .missed_version(
                    "SELECT version FROM looked_after_episodes WHERE id = ?",
                    e.id.to_string(),
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
        let mut qb: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT doc FROM access_notifications WHERE la_id = ");
        qb.push_bind(la.to_string());
        if let Some(state) = q.state {
            qb.push(" AND state = ").push_bind(state.code());
        }
        if let Some(from) = q.from {
            qb.push(" AND at >= ").push_bind(at_text(from));
        }
        if let Some(until) = q.until {
            qb.push(" AND at < ").push_bind(at_text(until));
        }
        if let Some(setting) = q.setting {
            qb.push(" AND setting_id = ").push_bind(setting.to_string());
        }
        qb.push(" ORDER BY at DESC, id DESC LIMIT ")
            .push_bind(i64::from(q.limit));
        let rows = qb.build().fetch_all(&mut *self.tx).await.map_err(map_err)?;
        docs(&rows)
    }

    async fn get_looked_after(
        &mut self,
        id: LookedAfterId,
    ) -> StoreResult<Option<LookedAfterEpisode>> {
        self.doc_by_id(
            "SELECT doc FROM looked_after_episodes WHERE id = ?",
            id.to_string(),
        )
        .await
    }

    async fn looked_after_of_child(
        &mut self,
        child: ChildId,
    ) -> StoreResult<Vec<LookedAfterEpisode>> {
        self.docs_where(
            "SELECT doc FROM looked_after_episodes WHERE child_id = ? \
             ORDER BY started_on DESC, id DESC",
            child.to_string(),
        )
        .await
    }
}
