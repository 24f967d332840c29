//! Children's records: find, open, add and edit, each audited, each decided by policy.

use jiff::civil::Date;
use safeguard_domain::{
    Address, Agency, AgencyKind, Birth, Child, ChildGroups, ChildId, ChildPerson, ChronologyEntry,
    EventId, Involvement, NhsNumber, Person, PersonName, Practitioner, Sex, Team, Upn,
};
use safeguard_policy::{Action, ChildFacts, Resource};
use safeguard_store::{ChildQuery, ChildRow, InvolvementRow, StoreError, Tx};

use crate::{App, AppError, AppResult, CurrentUser, FieldError};

/// Most rows a search shows.
pub const SEARCH_LIMIT: usize = 50;

/// What a person enters to add or edit a child, already parsed into domain types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildInput {
    /// Current name.
    pub name: PersonName,
    /// Other names the child is known by.
    pub aliases: Vec<PersonName>,
    /// Former names.
    pub former_names: Vec<PersonName>,
    /// Date of birth or expected date of birth.
    pub birth: Birth,
    /// Sex.
    pub sex: Sex,
    /// NHS number.
    pub nhs_number: Option<NhsNumber>,
    /// Unique pupil number.
    pub upn: Option<Upn>,
    /// Current address.
    pub address: Option<Address>,
    /// School, college or early years setting.
    pub school: Option<safeguard_domain::AgencyId>,
    /// Ethnicity.
    pub ethnicity: Option<String>,
    /// First language.
    pub first_language: Option<String>,
    /// Disabled, young carer, secure establishment.
    pub groups: ChildGroups,
}

/// One line of search results or of "Your work".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildSummary {
    /// Id.
    pub id: ChildId,
    /// Full name.
    pub name: String,
    /// Date of birth or expected date.
    pub birth: Birth,
    /// NHS number.
    pub nhs_number: Option<NhsNumber>,
    /// Current postcode.
    pub postcode: Option<String>,
}

impl From<&Child> for ChildSummary {
    fn from(c: &Child) -> Self {
        Self {
            id: c.id,
            name: c.name.full(),
            birth: c.birth,
            nhs_number: c.nhs_number.clone(),
            postcode: c.current_postcode().map(|p| p.to_string()),
        }
    }
}

/// An agency involved with the child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyInvolved {
    /// The agency.
    pub agency: Agency,
    /// Why.
    pub involvement: Involvement,
    /// Since.
    pub since: Date,
}

/// A chronology line with the recording agency's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChronologyLine {
    /// The entry.
    pub entry: ChronologyEntry,
    /// Name of the agency that recorded it.
    pub agency_name: Option<String>,
}

/// Everything the child record page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildRecord {
    /// The child.
    pub child: Child,
    /// Responsible local authority.
    pub responsible_la: Option<Agency>,
    /// The child's setting.
    pub school: Option<Agency>,
    /// Team owning the case.
    pub owning_team: Option<Team>,
    /// Allocated practitioners.
    pub allocated: Vec<Practitioner>,
    /// Parents, carers and household members.
    pub people: Vec<(Person, ChildPerson)>,
    /// Agencies involved.
    pub agencies: Vec<AgencyInvolved>,
    /// Chronology, newest first.
    pub chronology: Vec<ChronologyLine>,
    /// Cases (episodes), newest first, with their clocks and next steps.
    pub cases: Vec<crate::cases::CaseView>,
    /// Early help episodes, newest first, with their clocks.
    pub early_help: Vec<crate::episodes::EarlyHelpSummary>,
    /// Looked-after episodes, newest first, with their review clocks (T13).
    pub looked_after: Vec<crate::episodes::LookedAfterView>,
    /// Cases stepped down to early help (at `EARLY_HELP`, or closed RC9) with no episode yet:
    /// each offers the start form.
    pub early_help_offers: Vec<safeguard_domain::CaseId>,
    /// Why the viewer may see it (from policy).
    pub access_reason: &'static str,
    /// Whether the viewer may edit it.
    pub can_edit: bool,
}

/// A statutory step due on one of the user's children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueItem {
    /// The child.
    pub child: ChildId,
    /// The child's name.
    pub name: String,
    /// The clock.
    pub clock: safeguard_domain::CaseClock,
    /// The page it is done on.
    pub href: String,
}

/// What a user may do in general.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// May search for children.
    pub can_search: bool,
    /// May add children.
    pub can_create: bool,
    /// Administers the system.
    pub is_admin: bool,
    /// May record concerns and refer children.
    pub can_refer: bool,
    /// Works the local authority's front door.
    pub can_screen: bool,
    /// May check the flag register ("Check a child").
    pub can_check_flags: bool,
    /// Works the local authority's access notifications.
    pub can_work_flag_notices: bool,
}

/// The "Your work" home page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YourWork {
    /// Children allocated to the user.
    pub allocated: Vec<ChildSummary>,
    /// Statutory steps not yet done on the user's children: overdue, due today, and due in the
    /// next seven days, soonest first.
    pub due: Vec<DueItem>,
    /// Whether the user may search for children.
    pub can_search: bool,
    /// Whether the user may add children.
    pub can_create: bool,
    /// Whether the user administers the system.
    pub is_admin: bool,
    /// Open early help episodes the user leads, with the child's name.
    pub early_help_led: Vec<(safeguard_domain::EarlyHelpEpisode, String)>,
}

async fn facts(tx: &mut Box<dyn Tx>, row: &ChildRow) -> AppResult<ChildFacts> {
    Ok(ChildFacts {
        allocated: tx.allocations(row.child.id).await?,
        owning_team: row.owning_team,
        school: row.child.school,
    })
}

fn subject(id: ChildId) -> String {
    format!("child:{id}")
}

impl App {
    pub(crate) fn permitted(
        &self,
        user: &CurrentUser,
        action: Action,
        resource: Resource<'_>,
    ) -> bool {
        safeguard_policy::decide(
            &user.actor(),
            action,
            resource,
            &safeguard_policy::Context { interactive: true },
        )
        .is_permit()
    }

    /// What the user may do, for showing or hiding navigation (each action is still decided
    /// again by its use-case).
    pub fn capabilities(&self, user: &CurrentUser) -> Capabilities {
        Capabilities {
            can_search: self.permitted(user, Action::SearchChildren, Resource::System),
            can_create: self.permitted(user, Action::CreateChild, Resource::System),
            is_admin: self.permitted(user, Action::Administer, Resource::System),
            can_refer: self.permitted(user, Action::MakeReferral, Resource::System),
            can_screen: self.permitted(
                user,
                Action::ScreenReferrals,
                Resource::FrontDoor(user.agency.id),
            ),
            can_check_flags: self.permitted(user, Action::LookUpFlags, Resource::System),
            can_work_flag_notices: self.permitted(
                user,
                Action::ManageFlagNotices,
                Resource::FrontDoor(user.agency.id),
            ),
        }
    }

    /// The home page: the user's allocated children and what they may do.
    pub async fn your_work(&self, user: &CurrentUser) -> AppResult<YourWork> {
        let mut tx = self.begin().await?;
        let rows = tx.children_allocated_to(user.practitioner.id).await?;
        let mut allocated = Vec::new();
        let mut due = Vec::new();
        let today = self.today();
        let horizon = today.saturating_add(jiff::Span::new().days(7));
        let cal = self.calendar();
        for row in &rows {
            if self.permitted(
                user,
                Action::ViewChild,
                Resource::Child(&facts(&mut tx, row).await?),
            ) {
                allocated.push(ChildSummary::from(&row.child));
                for (clock, href) in self.open_clocks(&mut tx, row.child.id).await? {
                    if clock.due <= horizon {
                        due.push(DueItem {
                            child: row.child.id,
                            name: row.child.name.full(),
                            clock,
                            href,
                        });
                    }
                }
            }
        }
        // The early help episodes the user leads, wherever their agency (WT 2023 ch 2: a lead
        // practitioner from any agency): their clocks are the lead's work too.
        let led = tx.early_help_led_by(user.practitioner.id).await?;
        let mut early_help_led = Vec::new();
        for episode in led {
            let name = tx
                .get_child(episode.child)
                .await?
                .map(|r| r.child.name.full())
                .unwrap_or_default();
            for clock in episode.clocks(today, &cal) {
                let mine = rows.iter().any(|r| r.child.id == episode.child);
                if clock.done_on.is_none() && clock.due <= horizon && !mine {
                    due.push(DueItem {
                        child: episode.child,
                        name: name.clone(),
                        clock,
                        href: format!("/early-help/{}", episode.id),
                    });
                }
            }
            if episode.is_open() {
                early_help_led.push((episode, name));
            }
        }
        due.sort_by(|a, b| a.clock.due.cmp(&b.clock.due).then(a.name.cmp(&b.name)));
        let caps = self.capabilities(user);
        Ok(YourWork {
            allocated,
            due,
            can_search: caps.can_search,
            can_create: caps.can_create,
            is_admin: caps.is_admin,
            early_help_led,
        })
    }

    /// Finds children matching every given term, showing only those the user may see. The
    /// search is audited (the count, never the terms, which are personal data).
    pub async fn search_children(
        &self,
        user: &CurrentUser,
        query: &ChildQuery,
    ) -> AppResult<Vec<ChildSummary>> {
        if query.is_empty() {
            return Err(AppError::Invalid(vec![FieldError::new(
                "name",
                "Enter a name, date of birth, NHS number or postcode to search",
            )]));
        }
        let tx = self.begin().await?;
        let (mut tx, _) = self
            .authorize(
                tx,
                user,
                Action::SearchChildren,
                Resource::System,
                "child.search",
                "",
            )
            .await?;
        // Fetch more than we show, since some matches may not be visible to this user.
        let rows = tx.search_children(query, 200).await?;
        let mut found = Vec::new();
        let mut hidden = 0;
        for row in &rows {
            let f = facts(&mut tx, row).await?;
            if self.permitted(user, Action::ViewChild, Resource::Child(&f)) {
                if found.len() < SEARCH_LIMIT {
                    found.push(ChildSummary::from(&row.child));
                }
            } else {
                hidden += 1;
            }
        }
        tx.append_audit(&self.event(
            &user.audit_name(),
            "child.search",
            "",
            Some(safeguard_policy::Decision::Permit("search")),
            serde_json::json!({"shown": found.len(), "hidden": hidden}),
        ))
        .await?;
        tx.commit().await?;
        Ok(found)
    }

    /// Opens a child's record. The read is audited, and so is a refusal.
    pub async fn view_child(&self, user: &CurrentUser, id: ChildId) -> AppResult<ChildRecord> {
        let mut tx = self.begin().await?;
        let Some(row) = tx.get_child(id).await? else {
            return Err(AppError::NotFound("child"));
        };
        let f = facts(&mut tx, &row).await?;
        let (mut tx, decision) = self
            .authorize(
                tx,
                user,
                Action::ViewChild,
                Resource::Child(&f),
                "child.view",
                &subject(id),
            )
            .await?;
        let can_edit = self.permitted(user, Action::EditChild, Resource::Child(&f));
        let child = row.child;
        let responsible_la = match child.responsible_la {
            Some(a) => tx.get_agency(a).await?,
            None => None,
        };
        let school = match child.school {
            Some(a) => tx.get_agency(a).await?,
            None => None,
        };
        let owning_team = match row.owning_team {
            Some(t) => tx.get_team(t).await?,
            None => None,
        };
        let mut allocated = Vec::new();
        for p in &f.allocated {
            if let Some(a) = tx.get_account(*p).await? {
                allocated.push(a.practitioner);
            }
        }
        let people = tx.people_of_child(id).await?;
        let mut agencies = Vec::new();
        for inv in tx.involvements(id).await? {
            if let Some(agency) = tx.get_agency(inv.agency).await? {
                agencies.push(AgencyInvolved {
                    agency,
                    involvement: inv.involvement,
                    since: inv.since,
                });
            }
        }
        let (early_help, looked_after) = self.episodes_of(&mut tx, id).await?;
        let stepped_down: Vec<safeguard_domain::CaseId> = early_help
            .iter()
            .filter_map(|e| e.episode.origin.case())
            .collect();
        let cases: Vec<crate::cases::CaseView> = tx
            .cases_of_child(id)
            .await?
            .into_iter()
            .map(|c| self.case_view(c, &early_help))
            .collect();
        let early_help_offers = cases
            .iter()
            .filter(|cv| {
                let c = &cv.case;
                let rc9 = c.steps.last().map(|s| s.event)
                    == Some(safeguard_domain::journey::CaseEvent::Closed(
                        safeguard_domain::ClosureReason::AfterAssessmentEarlyHelp,
                    ));
                (c.state == safeguard_domain::CaseState::EarlyHelp || rc9)
                    && !stepped_down.contains(&c.id)
            })
            .map(|cv| cv.case.id)
            .collect();
        let mut chronology = Vec::new();
        for entry in tx.chronology(id).await? {
            let agency_name = match entry.agency {
                Some(a) => tx.get_agency(a).await?.map(|a| a.name),
                None => None,
            };
            chronology.push(ChronologyLine { entry, agency_name });
        }
        tx.append_audit(&self.event(
            &user.audit_name(),
            "child.view",
            &subject(id),
            Some(decision),
            serde_json::json!({}),
        ))
        .await?;
        tx.commit().await?;
        Ok(ChildRecord {
            child,
            responsible_la,
            school,
            owning_team,
            allocated,
            people,
            agencies,
            chronology,
            cases,
            early_help,
            looked_after,
            early_help_offers,
            access_reason: decision.reason(),
            can_edit,
        })
    }

    /// Loads a child for the edit form (an audited read, needing edit permission).
    pub async fn child_for_edit(&self, user: &CurrentUser, id: ChildId) -> AppResult<Child> {
        let mut tx = self.begin().await?;
        let Some(row) = tx.get_child(id).await? else {
            return Err(AppError::NotFound("child"));
        };
        let f = facts(&mut tx, &row).await?;
        let (mut tx, decision) = self
            .authorize(
                tx,
                user,
                Action::EditChild,
                Resource::Child(&f),
                "child.view",
                &subject(id),
            )
            .await?;
        tx.append_audit(&self.event(
            &user.audit_name(),
            "child.view",
            &subject(id),
            Some(decision),
            serde_json::json!({"purpose": "edit"}),
        ))
        .await?;
        tx.commit().await?;
        Ok(row.child)
    }

    /// Checks that a chosen setting exists and is a school, college or early years setting.
    async fn check_school(
        &self,
        tx: &mut Box<dyn Tx>,
        input: &ChildInput,
    ) -> AppResult<Option<Agency>> {
        let Some(id) = input.school else {
            return Ok(None);
        };
        match tx.get_agency(id).await? {
            Some(a)
                if matches!(
                    a.kind,
                    AgencyKind::School | AgencyKind::College | AgencyKind::EarlyYears
                ) =>
            {
                Ok(Some(a))
            }
            _ => Err(AppError::Invalid(vec![FieldError::new(
                "school",
                "Select a school, college or early years setting from the list",
            )])),
        }
    }

    /// Turns a taken NHS number into a conflict that links to the existing record if the user
    /// may see it.
    async fn nhs_conflict(
        &self,
        tx: &mut Box<dyn Tx>,
        user: &CurrentUser,
        nhs: Option<&NhsNumber>,
    ) -> AppResult<AppError> {
        let existing = match nhs {
            Some(n) => tx.find_child_by_nhs(n).await?,
            None => None,
        };
        let mut visible = None;
        if let Some(id) = existing
            && let Some(row) = tx.get_child(id).await?
        {
            let f = facts(tx, &row).await?;
            if self.permitted(user, Action::ViewChild, Resource::Child(&f)) {
                visible = Some(id.to_string());
            }
        }
        Ok(AppError::Conflict {
            message: if visible.is_some() {
                "A child with this NHS number is already recorded".into()
            } else {
                "A child with this NHS number is already recorded. Ask the local authority's front door to link you to the record".into()
            },
            field: "nhs_number",
            existing: visible,
        })
    }

    /// Adds a child. The creator's LA becomes responsible, their team owns the case, and a
    /// social worker who adds a child is allocated to them.
    pub async fn create_child(&self, user: &CurrentUser, input: ChildInput) -> AppResult<ChildId> {
        let tx = self.begin().await?;
        let (mut tx, decision) = self
            .authorize(
                tx,
                user,
                Action::CreateChild,
                Resource::System,
                "child.create",
                "",
            )
            .await?;
        let school = self.check_school(&mut tx, &input).await?;
        let today = self.today();
        let child = Child {
            id: ChildId::new(),
            name: input.name,
            aliases: input.aliases,
            former_names: input.former_names,
            birth: input.birth,
            sex: input.sex,
            nhs_number: input.nhs_number,
            upn: input.upn,
            addresses: input.address.into_iter().collect(),
            responsible_la: Some(user.agency.id),
            school: input.school,
            ethnicity: input.ethnicity,
            first_language: input.first_language,
            groups: input.groups,
        };
        let row = ChildRow {
            child,
            owning_team: user.team.as_ref().map(|t| t.id),
        };
        match tx.insert_child(&row).await {
            Err(StoreError::Conflict { .. }) => {
                let err = self
                    .nhs_conflict(&mut tx, user, row.child.nhs_number.as_ref())
                    .await?;
                return Err(err);
            }
            other => other?,
        }
        let id = row.child.id;
        if user
            .practitioner
            .has_role(safeguard_domain::Role::SocialWorker)
        {
            tx.allocate(id, user.practitioner.id).await?;
        }
        tx.add_involvement(
            id,
            &InvolvementRow {
                agency: user.agency.id,
                involvement: Involvement::Working,
                since: today,
            },
        )
        .await?;
        self.record_child_change(
            tx,
            user,
            id,
            school.as_ref(),
            ("Child's record created", "child.create"),
            decision,
            serde_json::json!({}),
        )
        .await?;
        self.matcher.upsert(&row.child);
        Ok(id)
    }

    /// Edits a child. A new address closes the previous one (dated today), so the address
    /// history is kept.
    pub async fn update_child(
        &self,
        user: &CurrentUser,
        id: ChildId,
        input: ChildInput,
    ) -> AppResult<()> {
        let mut tx = self.begin().await?;
        let Some(mut row) = tx.get_child(id).await? else {
            return Err(AppError::NotFound("child"));
        };
        let f = facts(&mut tx, &row).await?;
        let (mut tx, decision) = self
            .authorize(
                tx,
                user,
                Action::EditChild,
                Resource::Child(&f),
                "child.edit",
                &subject(id),
            )
            .await?;
        let school = self.check_school(&mut tx, &input).await?;
        let today = self.today();
        let c = &mut row.child;
        let mut changed = Vec::new();
        if c.name != input.name {
            changed.push("name");
        }
        c.former_names = input.former_names;
        // Keep the old name as a former name, so searches still find the child by it.
        if c.name != input.name && !c.former_names.contains(&c.name) {
            c.former_names.push(c.name.clone());
        }
        c.name = input.name;
        c.aliases = input.aliases;
        if c.birth != input.birth {
            changed.push("birth");
        }
        c.birth = input.birth;
        c.sex = input.sex;
        if c.nhs_number != input.nhs_number {
            changed.push("nhs_number");
        }
        c.nhs_number = input.nhs_number;
        c.upn = input.upn;
        if let Some(mut new) = input.address {
            let current = c.addresses.iter_mut().find(|a| a.to.is_none());
            let same = current.as_ref().is_some_and(|a| {
                a.lines == new.lines && a.town == new.town && a.postcode == new.postcode
            });
            if !same {
                if let Some(old) = current {
                    old.to = Some(today);
                }
                new.from = new.from.or(Some(today));
                c.addresses.insert(0, new);
                changed.push("address");
            }
        }
        if c.school != input.school {
            changed.push("school");
        }
        c.school = input.school;
        c.ethnicity = input.ethnicity;
        c.first_language = input.first_language;
        c.groups = input.groups;
        match tx.update_child(&row).await {
            Err(StoreError::Conflict { .. }) => {
                let err = self
                    .nhs_conflict(&mut tx, user, row.child.nhs_number.as_ref())
                    .await?;
                return Err(err);
            }
            other => other?,
        }
        // A new NHS number or a birth moves the child's flags with it, in this transaction.
        crate::flags::refresh_flags(&mut tx, id).await?;
        self.record_child_change(
            tx,
            user,
            id,
            school.as_ref(),
            ("Child's details updated", "child.edit"),
            decision,
            serde_json::json!({"changed": changed}),
        )
        .await?;
        self.matcher.upsert(&row.child);
        Ok(())
    }

    /// The common end of adding and editing a child: the setting's involvement, a chronology
    /// line, the audit event, commit.
    #[allow(clippy::too_many_arguments)]
    async fn record_child_change(
        &self,
        mut tx: Box<dyn Tx>,
        user: &CurrentUser,
        id: ChildId,
        school: Option<&Agency>,
        (summary, action): (&str, &str),
        decision: safeguard_policy::Decision,
        payload: serde_json::Value,
    ) -> AppResult<()> {
        let today = self.today();
        if let Some(s) = school {
            tx.add_involvement(
                id,
                &InvolvementRow {
                    agency: s.id,
                    involvement: Involvement::Pupil,
                    since: today,
                },
            )
            .await?;
        }
        tx.add_chronology(&ChronologyEntry {
            id: EventId::new(),
            child: id,
            date: today,
            summary: summary.into(),
            kind: safeguard_domain::ChronologyKind::Other,
            agency: Some(user.agency.id),
            recorded_by: Some(user.practitioner.id),
        })
        .await?;
        tx.append_audit(&self.event(
            &user.audit_name(),
            action,
            &subject(id),
            Some(decision),
            payload,
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Settings (schools, colleges, early years) to choose from on the child form.
    pub async fn settings(&self) -> AppResult<Vec<Agency>> {
        let mut tx = self.begin().await?;
        Ok(tx
            .list_agencies()
            .await?
            .into_iter()
            .filter(|a| {
                matches!(
                    a.kind,
                    AgencyKind::School | AgencyKind::College | AgencyKind::EarlyYears
                )
            })
            .collect())
    }
}
