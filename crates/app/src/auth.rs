//! Signing in: sessions, argon2id passwords, the TOTP second factor and its enrolment, lockout.
//!
//! The cookie carries a random token; the store keeps only its SHA-256, so a copy of the
//! database does not hand out live sessions. The session id is replaced at each step up in
//! trust (password accepted, second factor accepted) so a token seen before sign-in is useless
//! after it. A failed sign-in never says which part was wrong.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use jiff::{SignedDuration, Timestamp};
use safeguard_domain::{AgencyId, PractitionerId, Role, TeamId};
use safeguard_store::{Account, SessionRow, SessionStage, StoreError, Tx};
use sha2::{Digest, Sha256};
use totp_rs::{Secret, Totp};

use crate::{App, AppError, AppResult, CurrentUser, FieldError, random_token};

/// Anonymous sessions (which only carry a CSRF token) last this long.
const ANONYMOUS_TTL: SignedDuration = SignedDuration::from_hours(2);
/// Between the password and the second factor.
const PENDING_TTL: SignedDuration = SignedDuration::from_mins(10);
/// A hash used when the email is unknown, so both paths cost one argon2 verification.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$hZ3bbPyhpx3UGB7Rl6EF2NZsv/4UBmrrSy5tmOKkvf8";
/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 12;

/// A session as the web layer sees it.
#[derive(Debug, Clone)]
pub struct SessionView {
    /// The cookie token (not the stored hash).
    pub token: String,
    /// Stage of sign-in.
    pub stage: SessionStage,
    /// CSRF synchroniser token for this session's forms.
    pub csrf_token: String,
    /// The user, once fully signed in.
    pub user: Option<CurrentUser>,
    /// The practitioner, once the password was accepted (stage `PasswordOk` or later).
    pub practitioner: Option<PractitionerId>,
}

/// What comes after an accepted password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// Enter the code from the authenticator app.
    Totp,
    /// Set up an authenticator app first.
    Enrol,
    /// Signed in (demo accounts, whose second factor is switched off).
    Done,
}

/// An enrolment offer: the secret as text, and the `otpauth://` URI for the QR code.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// Base32 secret, shown as text for manual entry.
    pub secret: String,
    /// `otpauth://totp/...` URI, shown as a QR code.
    pub uri: String,
}

/// What an administrator or operator gives to create an account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Email address.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Agency.
    pub agency: AgencyId,
    /// Team.
    pub team: Option<TeamId>,
    /// Roles.
    pub roles: Vec<Role>,
    /// Initial password.
    pub password: String,
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hashes a password with argon2id (default parameters: 19 MiB, 2 passes), on a blocking thread.
pub async fn hash_password(password: &str) -> AppResult<String> {
    let pw = password.to_owned();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(pw.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::Store(StoreError::Backend(format!("argon2: {e}"))))
    })
    .await
    .map_err(|e| AppError::Store(StoreError::Backend(format!("hashing task: {e}"))))?
}

async fn verify_password(password: &str, hash: Option<&str>) -> bool {
    let pw = password.to_owned();
    let (hash, real) = match hash {
        Some(h) => (h.to_owned(), true),
        None => (DUMMY_HASH.to_owned(), false),
    };
    let ok = tokio::task::spawn_blocking(move || {
        Argon2::default()
            .verify_password(pw.as_bytes(), hash.as_str())
            .is_ok()
    })
    .await
    .unwrap_or(false);
    ok && real
}

/// Checks a new password's length; returns the field error to show.
pub fn check_new_password(field: &str, password: &str) -> Result<(), FieldError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(FieldError::new(
            field,
            format!("Password must be {MIN_PASSWORD_LEN} characters or more"),
        ));
    }
    Ok(())
}

/// Normalises and checks an email address.
pub fn parse_email(field: &str, email: &str) -> Result<String, FieldError> {
    let e = email.trim().to_lowercase();
    let valid = e.len() <= 254
        && !e.contains(char::is_whitespace)
        && e.split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if valid {
        Ok(e)
    } else {
        Err(FieldError::new(
            field,
            "Enter an email address in the correct format, like name@example.org",
        ))
    }
}

fn totp_for(secret_base32: &str) -> AppResult<Totp> {
    let secret = Secret::try_from_base32(secret_base32)
        .map_err(|_| AppError::Store(StoreError::Corrupt("stored TOTP secret".into())))?;
    totp_rs::Builder::new()
        .with_secret(secret)
        .build()
        .map_err(|e| AppError::Store(StoreError::Corrupt(format!("TOTP: {e}"))))
}

fn unix_secs(t: Timestamp) -> u64 {
    u64::try_from(t.as_second()).unwrap_or(0)
}

/// Percent-encodes a label for an `otpauth://` URI.
fn uri_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl App {
    pub(crate) async fn load_user(
        &self,
        tx: &mut Box<dyn Tx>,
        account: &Account,
    ) -> AppResult<CurrentUser> {
        let p = account.practitioner.clone();
        let agency = tx
            .get_agency(p.agency)
            .await?
            .ok_or(AppError::NotFound("agency"))?;
        let team = match p.team {
            Some(t) => tx.get_team(t).await?,
            None => None,
        };
        Ok(CurrentUser {
            practitioner: p,
            agency,
            team,
            demo: account.demo_no_mfa,
        })
    }

    /// Starts an anonymous session, so the sign-in form can carry a CSRF token.
    pub async fn start_session(&self) -> AppResult<SessionView> {
        let token = random_token()?;
        let csrf = random_token()?;
        let now = self.now();
        let mut tx = self.begin().await?;
        tx.put_session(&SessionRow {
            id_hash: hash_token(&token),
            practitioner: None,
            stage: SessionStage::Anonymous,
            csrf_token: csrf.clone(),
            pending_totp_secret: None,
            created_at: now,
            expires_at: now + ANONYMOUS_TTL,
        })
        .await?;
        tx.commit().await?;
        Ok(SessionView {
            token,
            stage: SessionStage::Anonymous,
            csrf_token: csrf,
            user: None,
            practitioner: None,
        })
    }

    /// Looks up the session for a cookie token. Expired or unknown sessions, and sessions of
    /// disabled accounts, are `None`. A signed-in session's expiry slides forward with use.
    pub async fn session(&self, token: &str) -> AppResult<Option<SessionView>> {
        let now = self.now();
        let mut tx = self.begin().await?;
        let Some(mut row) = tx.get_session(&hash_token(token)).await? else {
            return Ok(None);
        };
        if row.expires_at <= now {
            tx.delete_session(&row.id_hash).await?;
            tx.commit().await?;
            return Ok(None);
        }
        let mut user = None;
        if row.stage == SessionStage::SignedIn {
            let account = match row.practitioner {
                Some(id) => tx.get_account(id).await?,
                None => None,
            };
            let Some(account) = account.filter(|a| a.practitioner.active) else {
                tx.delete_session(&row.id_hash).await?;
                tx.commit().await?;
                return Ok(None);
            };
            user = Some(self.load_user(&mut tx, &account).await?);
            // Slide the idle expiry, but write at most once a minute.
            let new_expiry = now + self.config.session_idle;
            if new_expiry.duration_since(row.expires_at) > SignedDuration::from_mins(1) {
                row.expires_at = new_expiry;
                tx.put_session(&row).await?;
            }
        }
        tx.commit().await?;
        Ok(Some(SessionView {
            token: token.to_owned(),
            stage: row.stage,
            csrf_token: row.csrf_token,
            user,
            practitioner: row.practitioner,
        }))
    }

    /// Replaces the old session with a new token at a higher stage.
    async fn rotate(
        &self,
        tx: &mut Box<dyn Tx>,
        old_token: &str,
        practitioner: PractitionerId,
        stage: SessionStage,
        pending_totp_secret: Option<String>,
    ) -> AppResult<SessionView> {
        tx.delete_session(&hash_token(old_token)).await?;
        let token = random_token()?;
        let csrf = random_token()?;
        let now = self.now();
        let ttl = if stage == SessionStage::SignedIn {
            self.config.session_idle
        } else {
            PENDING_TTL
        };
        tx.put_session(&SessionRow {
            id_hash: hash_token(&token),
            practitioner: Some(practitioner),
            stage,
            csrf_token: csrf.clone(),
            pending_totp_secret,
            created_at: now,
            expires_at: now + ttl,
        })
        .await?;
        Ok(SessionView {
            token,
            stage,
            csrf_token: csrf,
            user: None,
            practitioner: Some(practitioner),
        })
    }

    /// Records a failure against the account, locking it at the threshold. Audited.
    async fn record_failure(
        &self,
        tx: &mut Box<dyn Tx>,
        account: &mut Account,
        action: &str,
    ) -> AppResult<()> {
        account.failed_attempts += 1;
        let locked = account.failed_attempts >= self.config.lockout_attempts;
        if locked {
            account.locked_until = Some(self.now() + self.config.lockout_for);
            account.failed_attempts = 0;
        }
        tx.update_account(account).await?;
        let subject = format!("account:{}", account.practitioner.id);
        let reason = if locked {
            "wrong credentials; account locked"
        } else {
            "wrong credentials"
        };
        tx.append_audit(&self.event(
            "anonymous",
            action,
            &subject,
            Some(safeguard_policy::Decision::Deny(reason)),
            serde_json::json!({}),
        ))
        .await?;
        Ok(())
    }

    /// Step one: email and password. On success the session is replaced; the new one either
    /// waits for the second factor or, for demo accounts only, is fully signed in.
    pub async fn sign_in(
        &self,
        session_token: &str,
        email: &str,
        password: &str,
    ) -> AppResult<(SessionView, NextStep)> {
        let email = email.trim().to_lowercase();
        let now = self.now();
        let mut tx = self.begin().await?;
        let account = tx.get_account_by_email(&email).await?;
        let hash = account.as_ref().and_then(|a| a.password_hash.clone());
        // Verify even for an unknown email, so timing does not tell which part was wrong.
        let password_ok = verify_password(password, hash.as_deref()).await;
        let Some(mut account) = account else {
            tx.append_audit(&self.event(
                "anonymous",
                "account.sign_in",
                "",
                Some(safeguard_policy::Decision::Deny("unknown account")),
                serde_json::json!({}),
            ))
            .await?;
            tx.commit().await?;
            return Err(AppError::SignInFailed);
        };
        let subject = format!("account:{}", account.practitioner.id);
        let refuse = |reason| {
            self.event(
                "anonymous",
                "account.sign_in",
                &subject,
                Some(safeguard_policy::Decision::Deny(reason)),
                serde_json::json!({}),
            )
        };
        if account.locked_until.is_some_and(|t| t > now) {
            tx.append_audit(&refuse("account locked")).await?;
            tx.commit().await?;
            return Err(AppError::SignInFailed);
        }
        if !account.practitioner.active {
            tx.append_audit(&refuse("account disabled")).await?;
            tx.commit().await?;
            return Err(AppError::SignInFailed);
        }
        if !password_ok {
            self.record_failure(&mut tx, &mut account, "account.sign_in")
                .await?;
            tx.commit().await?;
            return Err(AppError::SignInFailed);
        }
        account.failed_attempts = 0;
        account.locked_until = None;
        tx.update_account(&account).await?;
        let id = account.practitioner.id;
        let (stage, next) = if account.demo_no_mfa {
            (SessionStage::SignedIn, NextStep::Done)
        } else if account.totp_secret.is_some() {
            (SessionStage::PasswordOk, NextStep::Totp)
        } else {
            (SessionStage::PasswordOk, NextStep::Enrol)
        };
        let view = self.rotate(&mut tx, session_token, id, stage, None).await?;
        tx.append_audit(&self.event(
            &format!("practitioner:{id}"),
            "account.password_accepted",
            &subject,
            None,
            serde_json::json!({"next": format!("{next:?}").to_lowercase()}),
        ))
        .await?;
        tx.commit().await?;
        Ok((view, next))
    }

    /// Loads the account behind a session that has passed the password step.
    async fn pending_account(
        &self,
        tx: &mut Box<dyn Tx>,
        session_token: &str,
    ) -> AppResult<(SessionRow, Account)> {
        let row = tx
            .get_session(&hash_token(session_token))
            .await?
            .filter(|r| r.stage == SessionStage::PasswordOk && r.expires_at > self.now())
            .ok_or(AppError::Unauthenticated)?;
        let account = match row.practitioner {
            Some(id) => tx.get_account(id).await?,
            None => None,
        }
        .filter(|a| a.practitioner.active)
        .ok_or(AppError::Unauthenticated)?;
        Ok((row, account))
    }

    /// Step two: the code from the authenticator app. Wrong codes count towards the lockout.
    pub async fn verify_totp(&self, session_token: &str, code: &str) -> AppResult<SessionView> {
        let mut tx = self.begin().await?;
        let (_, mut account) = self.pending_account(&mut tx, session_token).await?;
        let secret = account
            .totp_secret
            .clone()
            .ok_or(AppError::Unauthenticated)?;
        let now = self.now();
        if account.locked_until.is_some_and(|t| t > now) {
            return Err(AppError::SignInFailed);
        }
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if totp_for(&secret)?.check(&code, unix_secs(now)).is_none() {
            self.record_failure(&mut tx, &mut account, "account.totp")
                .await?;
            tx.commit().await?;
            return Err(AppError::Invalid(vec![FieldError::new(
                "code",
                "The code is not right. Enter the 6-digit code your authenticator app shows now",
            )]));
        }
        account.failed_attempts = 0;
        tx.update_account(&account).await?;
        let id = account.practitioner.id;
        let view = self
            .rotate(&mut tx, session_token, id, SessionStage::SignedIn, None)
            .await?;
        tx.append_audit(&self.event(
            &format!("practitioner:{id}"),
            "account.sign_in",
            &format!("account:{id}"),
            Some(safeguard_policy::Decision::Permit(
                "password and second factor",
            )),
            serde_json::json!({}),
        ))
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Offers a new TOTP secret to a session that passed the password step but has no second
    /// factor yet. The same offer is shown until it is confirmed.
    pub async fn begin_enrolment(&self, session_token: &str) -> AppResult<Enrolment> {
        let mut tx = self.begin().await?;
        let (mut row, account) = self.pending_account(&mut tx, session_token).await?;
        if account.totp_secret.is_some() {
            return Err(AppError::Unauthenticated);
        }
        let secret = match &row.pending_totp_secret {
            Some(s) => s.clone(),
            None => {
                let mut bytes = [0u8; 20];
                getrandom::fill(&mut bytes).map_err(|e| {
                    AppError::Store(StoreError::Backend(format!("no randomness: {e}")))
                })?;
                let s = Secret::from(bytes.to_vec()).to_base32();
                row.pending_totp_secret = Some(s.clone());
                tx.put_session(&row).await?;
                tx.commit().await?;
                s
            }
        };
        let label = uri_escape(&format!("Safeguard:{}", account.practitioner.email));
        Ok(Enrolment {
            uri: format!(
                "otpauth://totp/{label}?secret={secret}&issuer=Safeguard&algorithm=SHA1&digits=6&period=30"
            ),
            secret,
        })
    }

    /// Confirms enrolment with a code from the new authenticator; signs in.
    pub async fn confirm_enrolment(
        &self,
        session_token: &str,
        code: &str,
    ) -> AppResult<SessionView> {
        let mut tx = self.begin().await?;
        let (row, mut account) = self.pending_account(&mut tx, session_token).await?;
        let secret = row
            .pending_totp_secret
            .clone()
            .ok_or(AppError::Unauthenticated)?;
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if totp_for(&secret)?
            .check(&code, unix_secs(self.now()))
            .is_none()
        {
            return Err(AppError::Invalid(vec![FieldError::new(
                "code",
                "The code is not right. Enter the 6-digit code your authenticator app shows now",
            )]));
        }
        account.totp_secret = Some(secret);
        tx.update_account(&account).await?;
        let id = account.practitioner.id;
        let view = self
            .rotate(&mut tx, session_token, id, SessionStage::SignedIn, None)
            .await?;
        tx.append_audit(&self.event(
            &format!("practitioner:{id}"),
            "account.mfa_enrolled",
            &format!("account:{id}"),
            None,
            serde_json::json!({}),
        ))
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Ends a session.
    pub async fn sign_out(&self, session_token: &str) -> AppResult<()> {
        let mut tx = self.begin().await?;
        if let Some(row) = tx.get_session(&hash_token(session_token)).await? {
            tx.delete_session(&row.id_hash).await?;
            if let Some(p) = row.practitioner {
                tx.append_audit(&self.event(
                    &format!("practitioner:{p}"),
                    "account.sign_out",
                    &format!("account:{p}"),
                    None,
                    serde_json::json!({}),
                ))
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Validates a new account and builds it (not saved).
    pub(crate) async fn build_account(&self, new: NewAccount) -> AppResult<Account> {
        let mut errors = Vec::new();
        let email = parse_email("email", &new.email)
            .map_err(|e| errors.push(e))
            .ok();
        if new.name.trim().is_empty() {
            errors.push(FieldError::new(
                "name",
                "Enter the practitioner's full name",
            ));
        }
        if new.roles.is_empty() {
            errors.push(FieldError::new("roles", "Select at least one role"));
        }
        if let Err(e) = check_new_password("password", &new.password) {
            errors.push(e);
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        Ok(Account {
            practitioner: safeguard_domain::Practitioner {
                id: PractitionerId::new(),
                email: email.unwrap_or_default(),
                name: new.name.trim().to_owned(),
                agency: new.agency,
                team: new.team,
                roles: new.roles,
                active: true,
            },
            password_hash: Some(hash_password(&new.password).await?),
            totp_secret: None,
            demo_no_mfa: false,
            failed_attempts: 0,
            locked_until: None,
        })
    }

    /// Saves a built account, checking its agency and team exist, mapping a taken email.
    pub(crate) async fn save_new_account(
        &self,
        tx: &mut Box<dyn Tx>,
        account: &Account,
    ) -> AppResult<()> {
        let p = &account.practitioner;
        if tx.get_agency(p.agency).await?.is_none() {
            return Err(AppError::Invalid(vec![FieldError::new(
                "agency",
                "Select an agency that exists",
            )]));
        }
        if let Some(team) = p.team {
            match tx.get_team(team).await? {
                Some(t) if t.agency == p.agency => {}
                _ => {
                    return Err(AppError::Invalid(vec![FieldError::new(
                        "team",
                        "Select a team that belongs to the practitioner's agency",
                    )]));
                }
            }
        }
        match tx.insert_account(account).await {
            Err(StoreError::Conflict { .. }) => Err(AppError::Conflict {
                message: "An account with this email address already exists".into(),
                field: "email",
                existing: None,
            }),
            other => Ok(other?),
        }
    }

    /// `safeguard user create`: an operator at the console creates an account. Audited as `cli`.
    pub async fn cli_create_user(&self, new: NewAccount) -> AppResult<PractitionerId> {
        let account = self.build_account(new).await?;
        let mut tx = self.begin().await?;
        self.save_new_account(&mut tx, &account).await?;
        let id = account.practitioner.id;
        tx.append_audit(&self.event(
            "cli",
            "account.create",
            &format!("account:{id}"),
            None,
            serde_json::json!({"roles": account.practitioner.roles.iter().map(|r| r.code()).collect::<Vec<_>>()}),
        ))
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Changes an account named by email from the console, ends its sessions, audits as `cli`.
    async fn cli_change_account(
        &self,
        email: &str,
        action: &str,
        change: impl FnOnce(&mut Account),
    ) -> AppResult<PractitionerId> {
        let mut tx = self.begin().await?;
        let mut account = tx
            .get_account_by_email(&email.trim().to_lowercase())
            .await?
            .ok_or(AppError::NotFound("account with that email address"))?;
        change(&mut account);
        tx.update_account(&account).await?;
        let id = account.practitioner.id;
        tx.delete_sessions_of(id).await?;
        tx.append_audit(&self.event(
            "cli",
            action,
            &format!("account:{id}"),
            None,
            serde_json::json!({}),
        ))
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// `safeguard user disable`: disables an account and ends its sessions. Audited.
    pub async fn cli_disable_user(&self, email: &str) -> AppResult<PractitionerId> {
        self.cli_change_account(email, "account.disable", |a| {
            a.practitioner.active = false;
        })
        .await
    }

    /// `safeguard user reset-mfa`: removes the second factor so the user enrols again at next
    /// sign-in, and ends their sessions. Audited.
    pub async fn cli_reset_mfa(&self, email: &str) -> AppResult<PractitionerId> {
        self.cli_change_account(email, "account.reset_mfa", |a| {
            a.totp_secret = None;
            a.failed_attempts = 0;
            a.locked_until = None;
        })
        .await
    }

    /// Removes expired sessions; returns how many.
    pub async fn purge_expired_sessions(&self) -> AppResult<u64> {
        let mut tx = self.begin().await?;
        let n = tx.delete_expired_sessions(self.now()).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// True until the first administrator exists: the web then offers first-run set-up.
    pub async fn needs_first_admin(&self) -> AppResult<bool> {
        let mut tx = self.begin().await?;
        Ok(tx.count_active_admins().await? == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            parse_email("e", " Sam@Example.ORG ").unwrap(),
            "sam@example.org"
        );
        assert!(parse_email("e", "no-at-sign").is_err());
        assert!(parse_email("e", "a@nodot").is_err());
        assert!(parse_email("e", "a b@example.org").is_err());
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_new_password("p", "short").is_err());
        assert!(check_new_password("p", "long enough pass").is_ok());
    }

    #[tokio::test]
    async fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery").await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", Some(&h)).await);
        assert!(!verify_password("wrong horse battery", Some(&h)).await);
        assert!(!verify_password("anything", None).await);
    }

    #[test]
    fn uri_labels_are_escaped() {
        assert_eq!(uri_escape("Safeguard:a@b.org"), "Safeguard%3Aa%40b.org");
    }
}
