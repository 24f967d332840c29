//! The flag register shared with health (CP-IS, spec §6): flags kept in step with the case record
//! in the same transaction as every case change; the one lookup door that the "Check a child"
//! page and the FHIR endpoints both use; access notifications to the responsible local
//! authority; the LA's inbox; and the bulk import, export and NHS-number coverage for an LA whose
//! case management is elsewhere.
//!
//! A lookup is a point read of the flags held against the NHS number on a read-only snapshot,
//! then one atomic write: on an unscheduled hit the access row, one notification per responsible
//! LA, a line to each allocated worker and the child's chronology, with the audit event. A miss
//! and a scheduled lookup write only the audit event (spec §6.3: scheduled care is a "silent
//! read"). The write goes through the group-commit writer (`writer`), which commits many
//! lookups in one durable transaction; the lookup returns only after its commit.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use safeguard_domain::ApiScope;
use safeguard_domain::flags::{
    ChildFlagFacts, ImportFileError, RowError, Unflagged, child_spans, derive_flags,
    parse_import_csv, visible_until,
};
use safeguard_domain::{
    AccessNotification, AccessNotificationId, Agency, AgencyId, AgencyKind, CareSetting, ChildId,
    ChronologyEntry, ChronologyKind, EventId, Flag, FlagAccess, FlagAccessId, FlagSource, FlagType,
    NhsNumber, NoticeState, NotificationId, OnBehalfOf, Relationship,
};
use safeguard_policy::{Action, Decision, Resource, SystemActor};
use safeguard_store::{FlagWrite, NoticeQuery, Notification, Tx};

use crate::tokens::ApiCaller;
use crate::writer::WriteSet;
use crate::{App, AppError, AppResult, CurrentUser, FieldError};

/// How many accesses a lookup shows (spec §6.1: "25 most recent CP-IS accesses").
pub const RECENT_ACCESSES: u32 = 25;
/// Most notifications the inbox lists at once.
pub const INBOX_LIMIT: u32 = 200;

/// Who is looking: the setting (organisation), and the practitioner on whose behalf, when there
/// is one. The web page builds it from the signed-in clinician; an API handler from its token
/// (the setting's system, with or without a named practitioner).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagCaller {
    /// The setting making the lookup.
    pub setting: Agency,
    /// The practitioner, with the roles policy needs.
    pub practitioner: Option<crate::CurrentUser>,
    /// The audit log's name for the caller: `practitioner:<id>` or `token:<id>`.
    pub audit_actor: String,
    /// For a system calling with an API token: the token's scopes, which policy checks
    /// (`flags:read`) before the setting. `None` for a person, or a system in process.
    pub token_scopes: Option<Vec<ApiScope>>,
    /// For a system: the practitioner it says it acts for. Recorded in the audit event and the
    /// access, never used to decide.
    pub on_behalf_of: Option<OnBehalfOf>,
    /// Whether the answer carries the latest accesses: the "Check a child" page shows them; the
    /// FHIR Bundle does not, so an API lookup skips that read.
    pub shows_accesses: bool,
}

impl FlagCaller {
    /// A signed-in practitioner at their own agency.
    pub fn practitioner(user: &CurrentUser) -> Self {
        Self {
            setting: user.agency.clone(),
            practitioner: Some(user.clone()),
            audit_actor: user.audit_name(),
            token_scopes: None,
            on_behalf_of: None,
            shows_accesses: true,
        }
    }

    /// A setting's system with no practitioner named (an API token of the agency).
    pub fn system(setting: Agency, audit_actor: impl Into<String>) -> Self {
        Self {
            setting,
            practitioner: None,
            audit_actor: audit_actor.into(),
            token_scopes: None,
            on_behalf_of: None,
            shows_accesses: false,
        }
    }

    /// A setting's system calling with an API token (the FHIR endpoints), perhaps naming the
    /// practitioner it acts for. Policy checks the token's scope, then the setting.
    pub fn api(caller: &ApiCaller, on_behalf_of: Option<OnBehalfOf>) -> Self {
        Self {
            token_scopes: Some(caller.token.scopes.clone()),
            on_behalf_of,
            ..Self::system(caller.agency.clone(), caller.audit_name())
        }
    }

    fn decide(&self) -> Decision {
        match (&self.practitioner, &self.token_scopes) {
            (Some(user), _) => safeguard_policy::decide(
                &user.actor(),
                Action::LookUpFlags,
                Resource::System,
                &safeguard_policy::Context { interactive: true },
            ),
            (None, Some(scopes)) => safeguard_policy::decide_system(
                &SystemActor {
                    agency: self.setting.id,
                    agency_kind: self.setting.kind,
                    scopes: scopes.clone(),
                },
                Action::LookUpFlags,
                Resource::System,
            ),
            (None, None) => {
                safeguard_policy::decide_setting(self.setting.kind, Action::LookUpFlags)
            }
        }
    }
}

/// A flag as a lookup shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagView {
    /// The flag.
    pub flag: Flag,
    /// True while the plan or status continues.
    pub current: bool,
    /// For an ended flag, the last day it is shown (T14).
    pub shown_until: Option<Date>,
    /// What to do, in plain words.
    pub advice: String,
}

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagLookup {
    /// The NHS number looked up.
    pub nhs_number: NhsNumber,
    /// Unscheduled or scheduled care.
    pub care: CareSetting,
    /// The flags shown (current, or ended within the visibility period).
    pub flags: Vec<FlagView>,
    /// The latest unscheduled-care accesses, this one included, newest first: setting and time.
    /// Empty when the caller does not show them ([`FlagCaller::shows_accesses`]).
    pub accesses: Vec<FlagAccess>,
    /// The local authorities told of this access.
    pub notified: Vec<String>,
}

/// What a derivation changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlagChanges {
    /// New flags.
    pub raised: usize,
    /// Flags that changed (ended, new NHS number).
    pub updated: usize,
    /// Flags withdrawn.
    pub withdrawn: usize,
}

/// Keeps a child's derived flags in step with their cases, in the caller's transaction: every
/// case save and every change to a child's NHS number, birth or mother calls this before its
/// audit event and commit, so the register never disagrees with the record.
pub(crate) async fn refresh_flags(tx: &mut Box<dyn Tx>, child: ChildId) -> AppResult<FlagChanges> {
    let (derived, _) = derive_for(tx, child, true)
        .await?
        .ok_or(AppError::NotFound("child"))?;
    let mut changes = FlagChanges::default();
    for flag in &derived.flags {
        match tx.put_flag(flag).await? {
            FlagWrite::Inserted => {
                changes.raised += 1;
                tx.add_chronology(&ChronologyEntry {
                    id: EventId::new(),
                    child,
                    date: flag.start,
                    summary: format!(
                        "Flag shared with health: {} ({})",
                        flag.kind.label().to_lowercase(),
                        flag.kind.code()
                    ),
                    kind: ChronologyKind::Flag,
                    agency: Some(flag.contact.la),
                    recorded_by: None,
                })
                .await?;
            }
            FlagWrite::Updated => changes.updated += 1,
            FlagWrite::Unchanged => {}
        }
    }
    for old in tx.flags_of_child(child).await? {
        let still = derived.flags.iter().any(|f| f.source_ref == old.source_ref);
        if old.source == FlagSource::Derived && !still {
            tx.delete_flag(old.id).await?;
            changes.withdrawn += 1;
        }
    }
    if changes != FlagChanges::default() {
        tracing::info!(
            child.id = %child,
            raised = changes.raised,
            updated = changes.updated,
            withdrawn = changes.withdrawn,
            "flags derived"
        );
    }
    Ok(changes)
}

impl App {
    /// Parses the NHS number a clinician typed, then looks up the register for them.
    pub async fn check_a_child(
        &self,
        user: &CurrentUser,
        nhs_number: &str,
        care: CareSetting,
    ) -> AppResult<FlagLookup> {
        let nhs = NhsNumber::parse(nhs_number)
            .map_err(|e| AppError::Invalid(vec![FieldError::new("nhs_number", e.to_string())]))?;
        self.look_up_flags(&FlagCaller::practitioner(user), &nhs, care)
            .await
    }

    /// The one door to the register, for the web page and the FHIR endpoints: the flags held
    /// against `nhs`, whom to call and what to do, and the last 25 accesses. Every lookup is
    /// audited (a refusal too); an unscheduled lookup that finds a flag records the access and
    /// tells the responsible LA, atomically with its audit event. Misses and scheduled lookups
    /// tell nobody (spec §6.3).
    pub async fn look_up_flags(
        &self,
        caller: &FlagCaller,
        nhs: &NhsNumber,
        care: CareSetting,
    ) -> AppResult<FlagLookup> {
        let decision = caller.decide();
        let nhs_subject = format!("nhs:{}", nhs.as_str());
        if let Decision::Deny(reason) = decision {
            self.write_lookup(WriteSet::audit_only(self.event(
                &caller.audit_actor,
                "flags.lookup",
                &nhs_subject,
                Some(decision),
                serde_json::json!({
                    "setting": caller.setting.id,
                    "care": care.code(),
                    "on_behalf_of": caller.on_behalf_of,
                }),
            )))
            .await?;
            return Err(AppError::Denied(reason));
        }
        let today = self.today();
        let months = self.config().flag_visible_months;
        // The reads run beside other lookups, outside the write path: the flags in one statement
        // (no transaction: most lookups need nothing else), then a read-only snapshot only when
        // there is more to read. The writes go to the group-commit writer below, and the answer
        // waits for their commit.
        let flags: Vec<Flag> = self
            .store
            .read_flags_by_nhs(nhs)
            .await?
            .into_iter()
            .filter(|f| f.visible_on(today, months))
            .collect();
        let mut children: Vec<ChildId> = flags.iter().filter_map(|f| f.child).collect();
        children.dedup();
        let unscheduled_hit = !flags.is_empty() && care == CareSetting::Unscheduled;
        let more_to_read = (!flags.is_empty() && caller.shows_accesses)
            || (unscheduled_hit && !children.is_empty());
        let mut tx = if more_to_read {
            Some(self.begin_read().await?)
        } else {
            None
        };
        let mut accesses = match tx.as_mut() {
            Some(tx) if caller.shows_accesses => {
                tx.recent_flag_accesses(nhs, RECENT_ACCESSES).await?
            }
            _ => Vec::new(),
        };
        let now = self.now();
        let mut notified = Vec::new();
        let mut writes = WriteSet::audit_only(self.event(
            &caller.audit_actor,
            "flags.lookup",
            &nhs_subject,
            Some(decision),
            serde_json::json!({}),
        ));
        if unscheduled_hit {
            let access = FlagAccess {
                id: FlagAccessId::new(),
                nhs_number: nhs.clone(),
                at: now,
                setting: caller.setting.id,
                setting_name: caller.setting.name.clone(),
                care,
                practitioner: caller.practitioner.as_ref().map(|u| u.practitioner.id),
                on_behalf_of: caller.on_behalf_of.clone(),
                flags: flags.iter().map(|f| f.id).collect(),
            };
            // One notification per responsible LA (usually one), naming every flag it holds.
            let mut by_la: BTreeMap<AgencyId, (String, Vec<&Flag>)> = BTreeMap::new();
            for f in &flags {
                by_la
                    .entry(f.contact.la)
                    .or_insert_with(|| (f.contact.name.clone(), Vec::new()))
                    .1
                    .push(f);
            }
            for (la, (name, held)) in &by_la {
                let child = held.iter().find_map(|f| f.child);
                writes.notices.push(AccessNotification {
                    id: AccessNotificationId::new(),
                    la: *la,
                    access: access.id,
                    at: now,
                    setting: caller.setting.id,
                    setting_name: caller.setting.name.clone(),
                    nhs_number: nhs.clone(),
                    flags: held.iter().map(|f| (f.id, f.kind)).collect(),
                    child,
                    state: NoticeState::New,
                    state_changed: None,
                });
                notified.push(name.clone());
            }
            if let Some(tx) = tx.as_mut() {
                for child in children {
                    self.tell_the_childs_workers(tx, &mut writes, child, &caller.setting, now)
                        .await?;
                }
            }
            // The latest accesses include this one, newest first (its time is now).
            if caller.shows_accesses {
                accesses.insert(0, access.clone());
                accesses.truncate(RECENT_ACCESSES as usize);
            }
            writes.access = Some(access);
        }
        drop(tx);
        if let Some(subject) = flags.iter().find_map(|f| f.child) {
            writes.audit.subject = format!("child:{subject}");
        }
        writes.audit.payload = serde_json::json!({
            "setting": caller.setting.id,
            "care": care.code(),
            "flags": flags.iter().map(|f| f.id).collect::<Vec<_>>(),
            "notified": notified.len(),
            "on_behalf_of": caller.on_behalf_of,
        });
        self.write_lookup(writes).await?;
        let views = flags
            .into_iter()
            .map(|flag| FlagView {
                current: flag.is_current(today),
                shown_until: flag.end.map(|e| visible_until(e, months)),
                advice: flag.advice(today, care),
                flag,
            })
            .collect();
        Ok(FlagLookup {
            nhs_number: nhs.clone(),
            care,
            flags: views,
            accesses,
            notified,
        })
    }

    /// The allocated workers hear of the attendance, and the child's chronology shows it
    /// (issue 4: "to the allocated social worker ... on the child's chronology (type flag)"):
    /// reads the allocations, and adds the lines to the lookup's writes.
    async fn tell_the_childs_workers(
        &self,
        tx: &mut Box<dyn Tx>,
        writes: &mut WriteSet,
        child: ChildId,
        setting: &Agency,
        now: Timestamp,
    ) -> AppResult<()> {
        let when = now.to_zoned(safeguard_domain::clock::london());
        for worker in tx.allocations(child).await? {
            writes.notifications.push(Notification {
                id: NotificationId::new(),
                recipient: worker,
                created_at: now,
                text: format!(
                    "A child you are allocated to attended {} (unscheduled care) at {}",
                    setting.name,
                    when.strftime("%-H:%M on %-d %B %Y")
                ),
                link: format!("/children/{child}/chronology?kind=flag"),
                read: false,
            });
        }
        writes.chronology.push(ChronologyEntry {
            id: EventId::new(),
            child,
            date: when.date(),
            summary: format!(
                "Attended {} (unscheduled care, {}); the flag was checked and the local authority told",
                setting.name,
                when.strftime("%-H:%M")
            ),
            kind: ChronologyKind::Flag,
            agency: Some(setting.id),
            recorded_by: None,
        });
        Ok(())
    }
}

/// Filters for the LA's inbox, as a worker chooses them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoticeFilter {
    /// Not seen, seen or actioned.
    pub state: Option<NoticeState>,
    /// From this day (inclusive, England).
    pub from: Option<Date>,
    /// To this day (inclusive, England).
    pub to: Option<Date>,
    /// From this setting.
    pub setting: Option<AgencyId>,
}

/// The LA's inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbox {
    /// The notifications, newest first.
    pub notices: Vec<AccessNotification>,
    /// The settings that have looked (for the filter), by name.
    pub settings: Vec<Agency>,
    /// The LA.
    pub la: Agency,
}

/// The share of a local authority's children on plans or looked after whose record can be
/// flagged (CP-IS requires 95% before go-live).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Children on a child protection plan now (a pre-birth plan counts when the mother's NHS
    /// number is recorded).
    pub on_plan: usize,
    /// Of them, how many have an NHS number (and so a flag).
    pub on_plan_matched: usize,
    /// Children looked after now (s31, s38, s20).
    pub looked_after: usize,
    /// Of them, how many have an NHS number.
    pub looked_after_matched: usize,
}

impl Coverage {
    /// All children counted.
    pub fn total(&self) -> usize {
        self.on_plan + self.looked_after
    }
    /// Those matched to an NHS number.
    pub fn matched(&self) -> usize {
        self.on_plan_matched + self.looked_after_matched
    }
    /// The share matched, in per cent to one decimal place, or `None` with nobody to count.
    pub fn percent(&self) -> Option<f64> {
        let total = self.total();
        (total > 0).then(|| (self.matched() as f64 * 1000.0 / total as f64).round() / 10.0)
    }
    /// CP-IS go-live needs 95% (issue 4).
    pub fn ready_for_go_live(&self) -> bool {
        self.total() == 0 || self.matched() * 100 >= self.total() * 95
    }
}

/// The outcome of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Rows read (valid and invalid).
    pub rows: usize,
    /// New flags.
    pub inserted: usize,
    /// Flags that changed (say, an end date added).
    pub updated: usize,
    /// Rows already in the register exactly.
    pub unchanged: usize,
    /// The invalid rows, with line number and reason (a row may have several). They were not
    /// loaded.
    pub errors: Vec<RowError>,
}

impl ImportReport {
    /// How many rows were refused (a row with several faults counts once).
    pub fn rejected_rows(&self) -> usize {
        distinct_lines(&self.errors)
    }
}

fn distinct_lines(errors: &[RowError]) -> usize {
    let mut lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
    lines.sort_unstable();
    lines.dedup();
    lines.len()
}

impl App {
    /// Opens a transaction for the user's own LA's flag desk (inbox, notices, coverage), or
    /// audits the refusal.
    async fn la_desk(
        &self,
        user: &CurrentUser,
        audit_action: &str,
    ) -> AppResult<(Box<dyn Tx>, Decision, AgencyId)> {
        let la = user.agency.id;
        let tx = self.begin().await?;
        let (tx, decision) = self
            .authorize(
                tx,
                user,
                Action::ManageFlagNotices,
                Resource::FrontDoor(la),
                audit_action,
                &format!("agency:{la}"),
            )
            .await?;
        Ok((tx, decision, la))
    }

    /// A local authority's access notifications, filtered. For its front door and team managers;
    /// audited.
    pub async fn flag_inbox(&self, user: &CurrentUser, filter: &NoticeFilter) -> AppResult<Inbox> {
        let (mut tx, decision, la) = self.la_desk(user, "flags.inbox").await?;
        let london = safeguard_domain::clock::london();
        let start_of = |d: Date| {
            d.to_zoned(london.clone())
                .map(|z| z.timestamp())
                .map_err(|_| AppError::Invalid(vec![FieldError::new("from", "Enter a real date")]))
        };
        let from = filter.from.map(start_of).transpose()?;
        let until = filter
            .to
            .map(|d| start_of(d.saturating_add(jiff::Span::new().days(1))))
            .transpose()?;
        let notices = tx
            .access_notifications(
                la,
                &NoticeQuery {
                    state: filter.state,
                    from,
                    until,
                    setting: filter.setting,
                    limit: INBOX_LIMIT,
                },
            )
            .await?;
        let settings = tx
            .list_agencies()
            .await?
            .into_iter()
            .filter(|a| matches!(a.kind, AgencyKind::NhsTrust | AgencyKind::GpPractice))
            .collect();
        tx.append_audit(&self.event(
            &user.audit_name(),
            "flags.inbox",
            &format!("agency:{la}"),
            Some(decision),
            serde_json::json!({"shown": notices.len()}),
        ))
        .await?;
        tx.commit().await?;
        Ok(Inbox {
            notices,
            settings,
            la: user.agency.clone(),
        })
    }

    /// Marks one of the LA's access notifications seen or actioned (or back to not seen).
    /// Audited; another LA's notification is not found.
    pub async fn set_notice_state(
        &self,
        user: &CurrentUser,
        id: AccessNotificationId,
        state: NoticeState,
    ) -> AppResult<()> {
        let (mut tx, decision, la) = self.la_desk(user, "flags.notice").await?;
        let Some(mut n) = tx.get_access_notification(id).await?.filter(|n| n.la == la) else {
            return Err(AppError::NotFound("access notification"));
        };
        n.state = state;
        n.state_changed = Some((user.practitioner.id, self.now()));
        tx.update_access_notification(&n).await?;
        let subject = n
            .child
            .map(|c| format!("child:{c}"))
            .unwrap_or_else(|| format!("agency:{la}"));
        tx.append_audit(&self.event(
            &user.audit_name(),
            "flags.notice",
            &subject,
            Some(decision),
            serde_json::json!({"notice": id, "state": state.code()}),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The LA's NHS-number coverage, for its page. Front door and managers; audited.
    pub async fn flag_coverage_for(&self, user: &CurrentUser) -> AppResult<Coverage> {
        let (mut tx, decision, la) = self.la_desk(user, "flags.coverage").await?;
        let c = coverage(&mut tx, Some(la)).await?;
        tx.append_audit(&self.event(
            &user.audit_name(),
            "flags.coverage",
            &format!("agency:{la}"),
            Some(decision),
            serde_json::json!({"total": c.total(), "matched": c.matched()}),
        ))
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// The coverage of every LA here (or one), for the operator's command line; audited.
    pub async fn flag_coverage(&self, actor: &str, la: Option<AgencyId>) -> AppResult<Coverage> {
        let mut tx = self.begin().await?;
        let c = coverage(&mut tx, la).await?;
        tx.append_audit(&self.event(
            actor,
            "flags.coverage",
            &la.map(|a| format!("agency:{a}")).unwrap_or_default(),
            None,
            serde_json::json!({"total": c.total(), "matched": c.matched()}),
        ))
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Loads a local authority's flags from CSV (`docs/flags.md`), in one transaction: valid rows
    /// load, invalid ones are reported with their line number and reason, the same file twice
    /// changes nothing, and a store error leaves nothing half-written. `progress(done, total)`
    /// is called after each row. The command line calls it; the API for LA systems calls
    /// [`App::load_flags`] after the policy has said yes.
    pub async fn import_flags(
        &self,
        actor: &str,
        la: AgencyId,
        csv: &[u8],
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> AppResult<ImportReport> {
        let tx = self.begin().await?;
        self.load_flags(tx, actor, None, la, csv, progress).await
    }

    /// The import inside the caller's transaction, audited with the policy's decision when
    /// there was one; commits.
    pub(crate) async fn load_flags(
        &self,
        mut tx: Box<dyn Tx>,
        actor: &str,
        decision: Option<Decision>,
        la: AgencyId,
        csv: &[u8],
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> AppResult<ImportReport> {
        let (rows, mut errors) = parse_import_csv(csv).map_err(|e: ImportFileError| {
            AppError::Invalid(vec![FieldError::new("file", e.to_string())])
        })?;
        let Some(agency) = tx.get_agency(la).await? else {
            return Err(AppError::NotFound("local authority"));
        };
        if agency.kind != AgencyKind::LocalAuthority {
            return Err(AppError::Invalid(vec![FieldError::new(
                "agency",
                format!("{} is not a local authority", agency.name),
            )]));
        }
        // A row with two faults is one row.
        let mut report = ImportReport {
            rows: rows.len() + distinct_lines(&errors),
            ..ImportReport::default()
        };
        let total = rows.len() as u64;
        for (done, row) in rows.iter().enumerate() {
            if agency.la_code.as_deref() != Some(row.la_code.as_str()) {
                errors.push(RowError {
                    line: row.line,
                    column: "la_code",
                    reason: format!(
                        "This row is for local authority {}, but the file is being loaded for {} ({}); load each LA's rows as that LA",
                        row.la_code,
                        agency.name,
                        agency.la_code.as_deref().unwrap_or("no DfE code")
                    ),
                });
            } else {
                // An unborn plan is held against the mother, who is not a child here.
                let child = match row.kind {
                    FlagType::UnbornChildProtectionPlan => None,
                    FlagType::ChildProtectionPlan | FlagType::LookedAfter => {
                        tx.find_child_by_nhs(&row.nhs_number).await?
                    }
                };
                match tx.put_flag(&row.to_flag(&agency, child)).await? {
                    FlagWrite::Inserted => report.inserted += 1,
                    FlagWrite::Updated => report.updated += 1,
                    FlagWrite::Unchanged => report.unchanged += 1,
                }
            }
            progress(done as u64 + 1, total);
        }
        errors.sort_by_key(|e| e.line);
        report.errors = errors;
        tx.append_audit(&self.event(
            actor,
            "flags.import",
            &format!("agency:{la}"),
            decision,
            serde_json::json!({
                "rows": report.rows,
                "inserted": report.inserted,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "rejected": report.rejected_rows(),
            }),
        ))
        .await?;
        tx.commit().await?;
        tracing::info!(
            agency.id = %la,
            inserted = report.inserted,
            updated = report.updated,
            rejected = report.rejected_rows(),
            "flags imported"
        );
        Ok(report)
    }

    /// The flags health sees today (current, or ended within the visibility period), with each
    /// LA's DfE code, for `safeguard flags export`; audited.
    pub async fn export_flags(
        &self,
        actor: &str,
        la: Option<AgencyId>,
    ) -> AppResult<Vec<(Flag, Option<String>)>> {
        let mut tx = self.begin().await?;
        let today = self.today();
        let months = self.config().flag_visible_months;
        let codes: BTreeMap<AgencyId, Option<String>> = tx
            .list_agencies()
            .await?
            .into_iter()
            .map(|a| (a.id, a.la_code))
            .collect();
        let flags: Vec<(Flag, Option<String>)> = tx
            .list_flags(la)
            .await?
            .into_iter()
            .filter(|f| f.visible_on(today, months))
            .map(|f| {
                let code = codes.get(&f.contact.la).cloned().flatten();
                (f, code)
            })
            .collect();
        tx.append_audit(&self.event(
            actor,
            "flags.export",
            &la.map(|a| format!("agency:{a}")).unwrap_or_default(),
            None,
            serde_json::json!({"flags": flags.len()}),
        ))
        .await?;
        tx.commit().await?;
        Ok(flags)
    }
}

/// What the child's cases give: loads the child, the mother's NHS number, the owning team and
/// the responsible LA (the child's, else the owning team's), and derives. `None` when there is
/// no such child.
async fn derive_for(
    tx: &mut Box<dyn Tx>,
    child: ChildId,
    with_team: bool,
) -> AppResult<Option<(safeguard_domain::flags::Derived, Option<AgencyId>)>> {
    let Some(row) = tx.get_child(child).await? else {
        return Ok(None);
    };
    let mother_nhs = tx
        .people_of_child(child)
        .await?
        .into_iter()
        .find(|(_, link)| link.relationship == Relationship::Mother)
        .and_then(|(p, _)| p.nhs_number);
    let team = match row.owning_team {
        Some(t) if with_team => tx.get_team(t).await?,
        _ => None,
    };
    let la = match row.child.responsible_la.or(team.as_ref().map(|t| t.agency)) {
        Some(a) => tx.get_agency(a).await?,
        None => None,
    };
    let cases = tx.cases_of_child(child).await?;
    let episodes = tx.looked_after_of_child(child).await?;
    let derived = derive_flags(
        ChildFlagFacts {
            child: &row.child,
            mother_nhs: mother_nhs.as_ref(),
            la: la.as_ref(),
            team: team.as_ref().map(|t| t.name.as_str()),
        },
        &child_spans(&cases, &episodes),
    );
    Ok(Some((derived, la.map(|a| a.id))))
}

/// Counts children on a plan or looked after now, and those whose flag can be held (the child's
/// NHS number, or the mother's for a pre-birth plan), from the open cases.
async fn coverage(tx: &mut Box<dyn Tx>, la: Option<AgencyId>) -> AppResult<Coverage> {
    let mut children: Vec<ChildId> = tx.open_cases().await?.iter().map(|c| c.child).collect();
    children.sort();
    children.dedup();
    let mut c = Coverage::default();
    for child in children {
        let Some((d, responsible)) = derive_for(tx, child, false).await? else {
            continue;
        };
        if la.is_some() && responsible != la {
            continue;
        }
        let plan = |k: FlagType| {
            matches!(
                k,
                FlagType::ChildProtectionPlan | FlagType::UnbornChildProtectionPlan
            )
        };
        let current_flag = |want_plan: bool| {
            d.flags
                .iter()
                .any(|f| f.end.is_none() && plan(f.kind) == want_plan)
        };
        let current_gap = |want_plan: bool| {
            d.unflagged.iter().any(|(s, why)| {
                s.end.is_none()
                    && *why == Unflagged::NoNhsNumber
                    && matches!(s.kind, safeguard_domain::flags::SpanKind::Plan) == want_plan
            })
        };
        for want_plan in [true, false] {
            let matched = current_flag(want_plan);
            let gap = current_gap(want_plan);
            if !(matched || gap) {
                continue;
            }
            if want_plan {
                c.on_plan += 1;
                c.on_plan_matched += usize::from(matched);
            } else {
                c.looked_after += 1;
                c.looked_after_matched += usize::from(matched);
            }
        }
    }
    Ok(c)
}
