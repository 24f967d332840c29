//! Administration: agencies, teams, practitioners and their roles. Only administrators, and
//! nothing here reads case data.

use safeguard_domain::{Agency, AgencyId, Practitioner, PractitionerId, Role, Team, TeamId};
use safeguard_policy::{Action, Resource};
use safeguard_store::{StoreError, Tx};

use crate::auth::NewAccount;
use crate::{App, AppError, AppResult, CurrentUser, FieldError};

/// Everything the administration page lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminOverview {
    /// Agencies, by name.
    pub agencies: Vec<Agency>,
    /// Teams.
    pub teams: Vec<Team>,
    /// Practitioners, by name.
    pub practitioners: Vec<Practitioner>,
}

fn conflict_field(what: &'static str) -> &'static str {
    match what {
        "ODS code" => "ods_code",
        "URN" => "urn",
        "DfE LA code" => "la_code",
        _ => "name",
    }
}

/// Checks an agency's fields: a name, and codes in their published shapes.
pub fn validate_agency(a: &Agency) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if a.name.trim().is_empty() {
        errors.push(FieldError::new("name", "Enter the agency's name"));
    }
    let alnum = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric());
    if let Some(ods) = &a.ods_code
        && (ods.len() < 3 || ods.len() > 6 || !alnum(ods))
    {
        errors.push(FieldError::new(
            "ods_code",
            "An ODS code is 3 to 6 letters and numbers, like RX1 or M85001",
        ));
    }
    if let Some(urn) = &a.urn
        && (urn.len() != 6 || !urn.chars().all(|c| c.is_ascii_digit()))
    {
        errors.push(FieldError::new("urn", "A URN is 6 digits, like 100000"));
    }
    if let Some(la) = &a.la_code
        && (la.len() != 3 || !la.chars().all(|c| c.is_ascii_digit()))
    {
        errors.push(FieldError::new(
            "la_code",
            "A DfE LA code is 3 digits, like 202",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

impl App {
    async fn admin_tx(&self, user: &CurrentUser, action: &str) -> AppResult<Box<dyn Tx>> {
        let tx = self.begin().await?;
        let (tx, _) = self
            .authorize(tx, user, Action::Administer, Resource::System, action, "")
            .await?;
        Ok(tx)
    }

    /// The administration overview.
    pub async fn admin_overview(&self, user: &CurrentUser) -> AppResult<AdminOverview> {
        let mut tx = self.admin_tx(user, "admin.view").await?;
        Ok(AdminOverview {
            agencies: tx.list_agencies().await?,
            teams: tx.list_teams().await?,
            practitioners: tx.list_practitioners().await?,
        })
    }

    /// Adds an agency.
    pub async fn admin_create_agency(
        &self,
        user: &CurrentUser,
        agency: Agency,
    ) -> AppResult<AgencyId> {
        validate_agency(&agency).map_err(AppError::Invalid)?;
        let mut tx = self.admin_tx(user, "agency.create").await?;
        match tx.insert_agency(&agency).await {
            Err(StoreError::Conflict { what }) => {
                return Err(AppError::Conflict {
                    message: format!("Another agency already has this {what}"),
                    field: conflict_field(what),
                    existing: None,
                });
            }
            other => other?,
        }
        tx.append_audit(&self.event(
            &user.audit_name(),
            "agency.create",
            &format!("agency:{}", agency.id),
            None,
            serde_json::json!({"kind": agency.kind.code()}),
        ))
        .await?;
        tx.commit().await?;
        Ok(agency.id)
    }

    /// Adds a team to an agency.
    pub async fn admin_create_team(
        &self,
        user: &CurrentUser,
        agency: AgencyId,
        name: &str,
    ) -> AppResult<TeamId> {
        if name.trim().is_empty() {
            return Err(AppError::Invalid(vec![FieldError::new(
                "team_name",
                "Enter the team's name",
            )]));
        }
        let mut tx = self.admin_tx(user, "team.create").await?;
        if tx.get_agency(agency).await?.is_none() {
            return Err(AppError::Invalid(vec![FieldError::new(
                "team_agency",
                "Select the agency the team belongs to",
            )]));
        }
        let team = Team {
            id: TeamId::new(),
            agency,
            name: name.trim().to_owned(),
        };
        tx.insert_team(&team).await?;
        tx.append_audit(&self.event(
            &user.audit_name(),
            "team.create",
            &format!("team:{}", team.id),
            None,
            serde_json::json!({"agency": agency}),
        ))
        .await?;
        tx.commit().await?;
        Ok(team.id)
    }

    /// Adds a practitioner with an initial password; they set up their second factor at first
    /// sign-in.
    pub async fn admin_create_practitioner(
        &self,
        user: &CurrentUser,
        new: NewAccount,
    ) -> AppResult<PractitionerId> {
        // Check permission before the (slow) password hashing.
        drop(self.admin_tx(user, "account.create").await?);
        let account = self.build_account(new).await?;
        let mut tx = self.admin_tx(user, "account.create").await?;
        self.save_new_account(&mut tx, &account).await?;
        let id = account.practitioner.id;
        tx.append_audit(&self.event(
            &user.audit_name(),
            "account.create",
            &format!("account:{id}"),
            None,
            serde_json::json!({"roles": account.practitioner.roles.iter().map(|r| r.code()).collect::<Vec<_>>()}),
        ))
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Changes a practitioner's roles and whether the account is active. An administrator
    /// cannot remove their own administrator role or disable themselves (so the system always
    /// keeps one).
    pub async fn admin_update_practitioner(
        &self,
        user: &CurrentUser,
        id: PractitionerId,
        roles: Vec<Role>,
        active: bool,
    ) -> AppResult<()> {
        if roles.is_empty() {
            return Err(AppError::Invalid(vec![FieldError::new(
                "roles",
                "Select at least one role",
            )]));
        }
        if id == user.practitioner.id && (!active || !roles.contains(&Role::SystemAdministrator)) {
            return Err(AppError::Invalid(vec![FieldError::new(
                "roles",
                "You cannot remove your own administrator role or disable your own account",
            )]));
        }
        let mut tx = self.admin_tx(user, "account.update").await?;
        let mut account = tx
            .get_account(id)
            .await?
            .ok_or(AppError::NotFound("practitioner"))?;
        account.practitioner.roles = roles;
        account.practitioner.active = active;
        tx.update_account(&account).await?;
        if !active {
            tx.delete_sessions_of(id).await?;
        }
        tx.append_audit(&self.event(
            &user.audit_name(),
            "account.update",
            &format!("account:{id}"),
            None,
            serde_json::json!({
                "roles": account.practitioner.roles.iter().map(|r| r.code()).collect::<Vec<_>>(),
                "active": active,
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every agency (for `safeguard agency list` and pickers; agencies are not case data).
    pub async fn list_agencies(&self) -> AppResult<Vec<Agency>> {
        let mut tx = self.begin().await?;
        Ok(tx.list_agencies().await?)
    }

    /// Finds an agency by id or by any of its codes (ODS, URN, DfE LA code).
    pub async fn find_agency(&self, id_or_code: &str) -> AppResult<Agency> {
        let mut tx = self.begin().await?;
        if let Ok(id) = id_or_code.parse::<AgencyId>()
            && let Some(a) = tx.get_agency(id).await?
        {
            return Ok(a);
        }
        tx.find_agency_by_code(id_or_code.trim())
            .await?
            .ok_or(AppError::NotFound("agency with that id or code"))
    }

    /// Teams, for pickers.
    pub async fn list_teams(&self) -> AppResult<Vec<Team>> {
        let mut tx = self.begin().await?;
        Ok(tx.list_teams().await?)
    }

    /// First-run set-up: creates the first administrator (and their agency) when there is no
    /// active administrator yet. Refused once one exists.
    pub async fn create_first_admin(
        &self,
        agency: Agency,
        new: NewAccount,
    ) -> AppResult<PractitionerId> {
        validate_agency(&agency).map_err(AppError::Invalid)?;
        let mut new = new;
        new.agency = agency.id;
        new.roles = vec![Role::SystemAdministrator];
        let account = self.build_account(new).await?;
        let mut tx = self.begin().await?;
        if tx.count_active_admins().await? > 0 {
            return Err(AppError::Denied("the first administrator already exists"));
        }
        tx.insert_agency(&agency).await?;
        self.save_new_account(&mut tx, &account).await?;
        let id = account.practitioner.id;
        tx.append_audit(&self.event(
            "setup",
            "account.create_first_admin",
            &format!("account:{id}"),
            None,
            serde_json::json!({}),
        ))
        .await?;
        tx.commit().await?;
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use safeguard_domain::AgencyKind;

    fn agency() -> Agency {
        Agency {
            id: AgencyId::new(),
            kind: AgencyKind::School,
            name: "Oak Primary".into(),
            ods_code: None,
            urn: Some("100001".into()),
            la_code: None,
            phone: None,
            out_of_hours_phone: None,
        }
    }

    #[test]
    fn agency_codes_are_checked() {
        assert!(validate_agency(&agency()).is_ok());
        let mut a = agency();
        a.urn = Some("12".into());
        a.la_code = Some("ABC".into());
        a.ods_code = Some("R-1".into());
        a.name = " ".into();
        let fields: Vec<_> = validate_agency(&a)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, vec!["name", "ods_code", "urn", "la_code"]);
    }
}
