//! A child's case after the front door: each statutory step recorded against the state machine
//! of Working Together (spec §1.4), with its clocks, on the child's chronology, audited.

use safeguard_domain::case::{event_code, parse_event_code};
use safeguard_domain::journey::CaseEvent;
use safeguard_domain::timescales::RuleId;
use safeguard_domain::{
    AbuseCategory, Case, CaseClock, CaseError, CaseId, CaseStep, ChronologyEntry, EventId,
};
use safeguard_policy::{Action, ChildFacts, Resource};
use safeguard_store::{StoreError, Tx};

use crate::{App, AppError, AppResult, CurrentUser, FieldError};

/// A case as the child's page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseView {
    /// The case.
    pub case: Case,
    /// Its clocks as of today.
    pub clocks: Vec<CaseClock>,
    /// The steps the one-line step form offers, as (form code, label).
    pub next: Vec<(String, String)>,
    /// The structured records that can be made now, as (address, label): a strategy
    /// discussion, a conference, immediate protection, the assessment's outcome.
    pub forms: Vec<(String, &'static str)>,
    /// The steps that carry a meeting's record, as (step index, address).
    pub meetings: Vec<(usize, String)>,
}

/// What a worker enters to record a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseStepInput {
    /// The event's form code (see `safeguard_domain::case::event_code`).
    pub event: String,
    /// When it happened.
    pub on: jiff::civil::Date,
    /// Attendees, decisions, actions and owners.
    pub note: String,
    /// For a plan, the category the conference set.
    pub category: Option<AbuseCategory>,
    /// The version of the case the worker saw.
    pub version: u32,
}

impl App {
    /// A case's view; a step down to early help links to its episode once there is one.
    pub(crate) fn case_view(
        &self,
        case: Case,
        early_help: &[crate::episodes::EarlyHelpSummary],
    ) -> CaseView {
        let clocks = case.clocks(self.today(), &self.calendar());
        let next = case
            .step_form_events()
            .into_iter()
            .map(|e| (event_code(e), e.to_string()))
            .collect();
        let episode = early_help
            .iter()
            .find(|e| e.episode.origin.case() == Some(case.id));
        let forms = case
            .record_forms()
            .into_iter()
            .map(|f| match (f, episode) {
                (safeguard_domain::RecordForm::EarlyHelp, Some(e)) => (
                    format!("/early-help/{}", e.episode.id),
                    "Open the early help episode (record, step up or close it)",
                ),
                _ => (crate::records::form_path(case.child, case.id, f), f.label()),
            })
            .collect();
        let meetings = (0..case.steps.len())
            .filter(|i| case.meeting(*i).is_some())
            .map(|i| (i, crate::records::meeting_path(case.id, i)))
            .collect();
        CaseView {
            case,
            clocks,
            next,
            forms,
            meetings,
        }
    }

    /// Records the next step of a case, if the guidance allows it now.
    pub async fn record_case_step(
        &self,
        user: &CurrentUser,
        id: CaseId,
        input: CaseStepInput,
    ) -> AppResult<()> {
        let Some(event) = parse_event_code(&input.event) else {
            return Err(AppError::Invalid(vec![FieldError::new(
                "event",
                "Select what happened",
            )]));
        };
        let mut tx = self.begin().await?;
        let mut case = tx.get_case(id).await?.ok_or(AppError::NotFound("case"))?;
        let row = tx
            .get_child(case.child)
            .await?
            .ok_or(AppError::NotFound("child"))?;
        let facts = ChildFacts {
            allocated: tx.allocations(case.child).await?,
            owning_team: row.owning_team,
            school: row.child.school,
        };
        let subject = format!("child:{}", case.child);
        let (mut tx, decision) = self
            .authorize(
                tx,
                user,
                Action::EditChild,
                Resource::Child(&facts),
                "case.step",
                &subject,
            )
            .await?;
        if case.version != input.version {
            return Err(stale_case());
        }
        let step = CaseStep {
            on: input.on,
            event,
            note: input.note.trim().to_owned(),
            category: input.category,
            recorded_by: user.practitioner.id,
            recorded_at: self.now(),
            record: None,
        };
        if let Some(form) = case.record_needed(event) {
            // A meeting's outcome is never recorded without the meeting (spec §1.5, §1.7).
            return Err(AppError::Invalid(vec![FieldError::new(
                "event",
                format!("{}: use that form, not this one", form.label()),
            )]));
        }
        case.apply(step, self.today(), &self.calendar())
            .map_err(|e| case_error(e, "event"))?;
        case.version += 1;
        save_case(&mut tx, &case).await?;
        let (summary, kind) = case
            .steps
            .last()
            .map(|s| (crate::records::step_summary(s), s.chronology_kind()))
            .unwrap_or_else(|| (event.to_string(), safeguard_domain::ChronologyKind::Other));
        tx.add_chronology(&ChronologyEntry {
            id: EventId::new(),
            child: case.child,
            date: input.on,
            summary,
            kind,
            agency: Some(user.agency.id),
            recorded_by: Some(user.practitioner.id),
        })
        .await?;
        tx.append_audit(&self.event(
            &user.audit_name(),
            "case.step",
            &subject,
            Some(decision),
            serde_json::json!({"case": id, "event": event_code(event), "state": case.state.code()}),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl App {
    /// Raises one "overdue" notification to each allocated worker for every statutory step past
    /// its due date on an open case, and on the early help and looked-after episodes of those
    /// cases' children; an open early help episode's clocks (EH1, EH2) also reach its lead
    /// practitioner, including an agency's own episode with no case. Keyed by case (or, for an
    /// episode, child), rule, due date and recipient, so running it again (or after a restart)
    /// raises nothing twice. Returns how many were raised.
    pub async fn raise_overdue_notifications(&self) -> AppResult<usize> {
        let today = self.today();
        let cal = self.calendar();
        let mut tx = self.begin().await?;
        let mut raised = 0;
        let open = tx.open_cases().await?;
        let early_help = tx.open_early_help().await?;
        let mut children: Vec<safeguard_domain::ChildId> = open
            .iter()
            .map(|c| c.child)
            .chain(early_help.iter().map(|e| e.child))
            .collect();
        children.sort();
        children.dedup();
        // Each overdue clock as (the key's scope, the clock, where it is done), for the
        // child's allocated workers: the cases' steps, then the episodes' looked-after reviews
        // (T13) and early help (EH1, EH2).
        let mut overdue: Vec<(safeguard_domain::ChildId, String, CaseClock, String)> = Vec::new();
        for case in open {
            for clock in case.clocks(today, &cal) {
                if clock.done_on.is_none() && clock.due < today {
                    let link = format!("/children/{}#case", case.child);
                    overdue.push((case.child, case.id.to_string(), clock, link));
                }
            }
        }
        for child in children {
            for (clock, link) in self.episode_clocks(&mut tx, child).await? {
                if clock.due < today {
                    overdue.push((child, child.to_string(), clock, link));
                }
            }
        }
        for (child, scope, clock, link) in overdue {
            let rule = safeguard_domain::timescales::rule(clock.rule);
            let mut recipients = tx.allocations(child).await?;
            if matches!(
                clock.rule,
                RuleId::EarlyHelpAssessment | RuleId::EarlyHelpReview
            ) {
                // WT 2023 ch 2: the lead practitioner coordinates the early help plan.
                recipients.extend(
                    early_help
                        .iter()
                        .filter(|e| e.child == child)
                        .map(|e| e.lead.practitioner),
                );
            }
            recipients.sort();
            recipients.dedup();
            for worker in recipients {
                let key = format!("overdue:{scope}:{}:{}:{worker}", rule.code, clock.due);
                let n = safeguard_store::Notification {
                    id: safeguard_domain::NotificationId::new(),
                    recipient: worker,
                    created_at: self.now(),
                    text: format!(
                        "Overdue: {} ({}) was due on {}",
                        clock.label,
                        rule.code,
                        clock.due.strftime("%-d %B %Y")
                    ),
                    link: link.clone(),
                    read: false,
                };
                if tx.insert_notification_once(&n, &key).await? {
                    raised += 1;
                }
            }
        }
        if raised > 0 {
            tx.append_audit(&self.event(
                "system",
                "job.overdue",
                "",
                None,
                serde_json::json!({"raised": raised}),
            ))
            .await?;
        }
        tx.commit().await?;
        Ok(raised)
    }
}

impl App {
    /// Every statutory step not yet done on a child's cases and episodes, with the page it is
    /// done on: what "Your work" and the team view list.
    pub(crate) async fn open_clocks(
        &self,
        tx: &mut Box<dyn Tx>,
        child: safeguard_domain::ChildId,
    ) -> AppResult<Vec<(CaseClock, String)>> {
        let today = self.today();
        let cal = self.calendar();
        let mut out = Vec::new();
        for case in tx.cases_of_child(child).await? {
            for clock in case.clocks(today, &cal) {
                if clock.done_on.is_none() {
                    out.push((clock, format!("/children/{child}#case")));
                }
            }
        }
        out.extend(self.episode_clocks(tx, child).await?);
        Ok(out)
    }
}

/// The event that opens a case for a front-door outcome, if it opens one.
pub(crate) fn opens_case(event: CaseEvent) -> bool {
    !matches!(
        event,
        CaseEvent::Screened(safeguard_domain::ScreeningOutcome::NoFurtherAction)
    )
}

/// A refused step as field errors: a refused transition goes on `event_field` (the control that
/// chose the step), the others on the field they name.
pub(crate) fn case_error(e: CaseError, event_field: &str) -> AppError {
    match e {
        CaseError::Transition(t) => {
            AppError::Invalid(vec![FieldError::new(event_field, t.to_string())])
        }
        CaseError::Date { field, message } | CaseError::Field { field, message } => {
            AppError::Invalid(vec![FieldError::new(field, message)])
        }
        CaseError::MissingCategory => AppError::Invalid(vec![FieldError::new(
            "category",
            CaseError::MissingCategory.to_string(),
        )]),
    }
}

pub(crate) fn stale_case() -> AppError {
    AppError::Conflict {
        message: "Someone else recorded a step on this case since you opened it. Nothing you entered was saved: reload the page to see it, then try again".into(),
        field: "event",
        existing: None,
    }
}

/// Saves a case and, in the same transaction, brings the child's flags into step with it.
pub(crate) async fn save_case(tx: &mut Box<dyn Tx>, case: &Case) -> AppResult<()> {
    match tx.update_case(case).await {
        Err(StoreError::Conflict { .. }) => return Err(stale_case()),
        other => other?,
    }
    crate::flags::refresh_flags(tx, case.child).await?;
    Ok(())
}

/// One practitioner's load in a team manager's view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMemberLoad {
    /// The practitioner.
    pub practitioner: safeguard_domain::Practitioner,
    /// Children allocated to them.
    pub children: usize,
    /// Statutory steps past their due date on those children.
    pub overdue: Vec<crate::children::DueItem>,
}

impl App {
    /// A team manager's view of their team: who holds which children, and what is late.
    /// Reads no case file: names, counts and the overdue clocks only. Audited.
    pub async fn team_view(&self, user: &CurrentUser) -> AppResult<Vec<TeamMemberLoad>> {
        let Some(team) = user.team.as_ref().map(|t| t.id) else {
            return Err(AppError::Denied("you are not in a team"));
        };
        if !user
            .practitioner
            .has_role(safeguard_domain::Role::TeamManager)
        {
            let mut tx = self.begin().await?;
            tx.append_audit(&self.event(
                &user.audit_name(),
                "team.view",
                &format!("team:{team}"),
                Some(safeguard_policy::Decision::Deny(
                    "the team view is for team managers",
                )),
                serde_json::json!({}),
            ))
            .await?;
            tx.commit().await?;
            return Err(AppError::Denied("the team view is for team managers"));
        }
        let today = self.today();
        let mut tx = self.begin().await?;
        let mut out = Vec::new();
        for p in tx.list_practitioners().await? {
            if p.team != Some(team) || !p.active {
                continue;
            }
            let rows = tx.children_allocated_to(p.id).await?;
            let mut overdue = Vec::new();
            for row in &rows {
                for (clock, href) in self.open_clocks(&mut tx, row.child.id).await? {
                    if clock.due < today {
                        overdue.push(crate::children::DueItem {
                            child: row.child.id,
                            name: row.child.name.full(),
                            clock,
                            href,
                        });
                    }
                }
            }
            overdue.sort_by_key(|d| d.clock.due);
            out.push(TeamMemberLoad {
                practitioner: p,
                children: rows.len(),
                overdue,
            });
        }
        tx.append_audit(&self.event(
            &user.audit_name(),
            "team.view",
            &format!("team:{team}"),
            Some(safeguard_policy::Decision::Permit(
                "team manager of the team",
            )),
            serde_json::json!({"members": out.len()}),
        ))
        .await?;
        tx.commit().await?;
        Ok(out)
    }
}
