//! The structured records of the journey, recorded on the steps of a case: strategy
//! discussions, child protection conferences, police protection and emergency protection
//! orders, and the conclusion of a child and family assessment. Each is one use-case: load the
//! case and the facts, ask policy, apply the domain rule ([`safeguard_domain::case`]), write the
//! chronology, tell the practitioners recorded as attending, audit, commit.
//!
//! A practitioner who took part in a strategy discussion or conference, linked to their
//! account, may read that record (and the child's name needed to read it), never the rest of
//! the case file ([`App::view_meeting`]).

use jiff::Timestamp;
use jiff::civil::Date;
use safeguard_domain::case::RecordForm;
use safeguard_domain::codes::{
    AbuseCategory, AssessmentFactor, AssessmentOutcome, ConferenceKind, ImmediateProtection,
    StrategyOutcome,
};
use safeguard_domain::journey::CaseEvent;
use safeguard_domain::records::{
    ActionItem, AssessmentConclusion, Attendee, Conference, ConferenceDecision, Protection,
    StepRecord, StrategyDiscussion,
};
use safeguard_domain::{
    AgencyId, Calendar, Case, CaseError, CaseId, CaseStep, ChildId, ChronologyEntry, EventId,
    NotificationId,
};
use safeguard_policy::{Action, ChildFacts, MeetingFacts, Resource};
use safeguard_store::{Notification, Tx};

use crate::cases::{case_error, save_case, stale_case};
use crate::{App, AppError, AppResult, CurrentUser, FieldError};

/// One attendee as entered on a form (row `row` of the attendee rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendeeInput {
    /// The form row, for naming fields in errors (`attendee-2-email`).
    pub row: usize,
    /// Their agency.
    pub agency: AgencyId,
    /// Their role.
    pub role: String,
    /// Their name.
    pub name: String,
    /// The email address of their Safeguard account, to link the record to it.
    pub email: Option<String>,
}

/// A strategy discussion as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrategyDiscussionInput {
    /// When it was held.
    pub on: Date,
    /// Who took part.
    pub attendees: Vec<AttendeeInput>,
    /// The information shared.
    pub information_shared: String,
    /// The decisions.
    pub decisions: String,
    /// Actions, each with an owner.
    pub actions: Vec<ActionItem>,
    /// Whether section 47 enquiries were initiated.
    pub s47_initiated: bool,
    /// Without section 47 enquiries, what happens next (when the discussion decides it).
    pub next: Option<StrategyOutcome>,
    /// The version of the case the worker saw.
    pub version: u32,
}

/// A conference as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConferenceInput {
    /// When it was held.
    pub on: Date,
    /// Initial, review or transfer-in.
    pub kind: ConferenceKind,
    /// The chair.
    pub chair: String,
    /// Who attended.
    pub attendees: Vec<AttendeeInput>,
    /// What it decided.
    pub decision: ConferenceDecision,
    /// The category it set, for a plan.
    pub category: Option<AbuseCategory>,
    /// The core group members, for a plan.
    pub core_group: Vec<String>,
    /// The version of the case the worker saw.
    pub version: u32,
}

/// Police protection or an emergency protection order as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectionInput {
    /// Which.
    pub kind: ImmediateProtection,
    /// When it started.
    pub started_at: Timestamp,
    /// The version of the case the worker saw.
    pub version: u32,
}

/// An assessment's conclusion as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessmentInput {
    /// When it concluded (was authorised).
    pub on: Date,
    /// How.
    pub outcome: AssessmentOutcome,
    /// The factors identified.
    pub factors: Vec<AssessmentFactor>,
    /// Why it was late, if it was.
    pub late_reason: Option<String>,
    /// The version of the case the worker saw.
    pub version: u32,
}

/// The record of a meeting, as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingView {
    /// The child.
    pub child: ChildId,
    /// The child's name (needed to read the record).
    pub child_name: String,
    /// The case.
    pub case: CaseId,
    /// The step's place in the case.
    pub index: usize,
    /// The step that carries the record.
    pub step: CaseStep,
    /// The record.
    pub record: StepRecord,
    /// A warning the record carries (minimum agencies missing).
    pub warning: Option<String>,
    /// Who recorded it.
    pub recorded_by: Option<String>,
    /// Why the viewer may see it (from policy).
    pub access_reason: &'static str,
    /// Whether the viewer may open the whole record of the child.
    pub can_open_case: bool,
}

/// The one-line summary of a step for the chronology.
pub(crate) fn step_summary(step: &CaseStep) -> String {
    let mut summary = match (&step.record, step.event) {
        (Some(StepRecord::StrategyDiscussion(d)), CaseEvent::FurtherStrategyDiscussion) => {
            if d.s47_initiated {
                "Further strategy discussion held: section 47 enquiries initiated".to_owned()
            } else {
                "Further strategy discussion held".to_owned()
            }
        }
        (Some(StepRecord::StrategyDiscussion(_)), CaseEvent::StrategyDiscussionHeld) => {
            step.event.to_string()
        }
        (Some(StepRecord::StrategyDiscussion(_)), event) => {
            format!("Strategy discussion held, decided: {event}")
        }
        (Some(StepRecord::Assessment(a)), _) => format!(
            "Child and family assessment concluded: {}{}",
            a.outcome.label(),
            if a.late_reason.is_some() {
                " (late, reason recorded)"
            } else {
                ""
            }
        ),
        (Some(StepRecord::Protection(p)), _) => format!("Immediate protection: {}", p.kind),
        _ => step.event.to_string(),
    };
    if let Some(c) = step.category {
        summary.push_str(&format!(" (category: {})", c.label()));
    }
    summary
}

impl App {
    /// Resolves attendees' agencies and accounts. Every problem names its row's field.
    async fn attendees(
        &self,
        tx: &mut Box<dyn Tx>,
        input: &[AttendeeInput],
    ) -> AppResult<Vec<Attendee>> {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for a in input {
            let Some(agency) = tx.get_agency(a.agency).await? else {
                errors.push(FieldError::new(
                    format!("attendee-{}-agency", a.row),
                    format!("Select attendee {}'s agency from the list", a.row + 1),
                ));
                continue;
            };
            let mut practitioner = None;
            if let Some(email) = &a.email {
                let email = email.trim().to_lowercase();
                match tx.get_account_by_email(&email).await? {
                    Some(acc) if acc.practitioner.active => {
                        if acc.practitioner.agency == agency.id {
                            practitioner = Some(acc.practitioner.id);
                        } else {
                            errors.push(FieldError::new(
                                format!("attendee-{}-email", a.row),
                                format!(
                                    "The account {email} is not in {}: check the agency or the \
                                     email address",
                                    agency.name
                                ),
                            ));
                        }
                    }
                    _ => errors.push(FieldError::new(
                        format!("attendee-{}-email", a.row),
                        format!(
                            "No active Safeguard account has the email address {email}: check \
                             it, or leave it blank"
                        ),
                    )),
                }
            }
            out.push(Attendee {
                agency: agency.id,
                agency_name: agency.name,
                agency_kind: agency.kind,
                role: a.role.trim().to_owned(),
                name: a.name.trim().to_owned(),
                practitioner,
            });
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(AppError::Invalid(errors))
        }
    }

    /// The shape of every record use-case: one transaction; load the case and the child's
    /// facts; policy (edit the child's record); the version the worker saw; the domain change;
    /// the chronology; tell attendees; audit; commit. Returns the index of the first new step.
    #[allow(clippy::too_many_arguments)]
    async fn record_on_case<F>(
        &self,
        user: &CurrentUser,
        id: CaseId,
        version: u32,
        attendees: &[AttendeeInput],
        what: &'static str,
        event_field: &'static str,
        change: F,
    ) -> AppResult<usize>
    where
        F: FnOnce(&mut Case, Vec<Attendee>, Date, Timestamp, &Calendar) -> Result<(), CaseError>,
    {
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
                "case.record",
                &subject,
            )
            .await?;
        if case.version != version {
            return Err(stale_case());
        }
        let attendees = self.attendees(&mut tx, attendees).await?;
        let first = case.steps.len();
        change(
            &mut case,
            attendees,
            self.today(),
            self.now(),
            &self.calendar(),
        )
        .map_err(|e| case_error(e, event_field))?;
        case.version += 1;
        save_case(&mut tx, &case).await?;
        for (i, step) in case.steps.iter().enumerate().skip(first) {
            tx.add_chronology(&ChronologyEntry {
                id: EventId::new(),
                child: case.child,
                date: step.on,
                summary: step_summary(step),
                kind: step.chronology_kind(),
                agency: Some(user.agency.id),
                recorded_by: Some(user.practitioner.id),
            })
            .await?;
            let Some(record) = step.record.as_ref().filter(|r| r.is_meeting()) else {
                continue;
            };
            for p in record.attending_practitioners() {
                if p == user.practitioner.id {
                    continue;
                }
                // No child's name in a notification: the link opens what the reader may see.
                tx.insert_notification(&Notification {
                    id: NotificationId::new(),
                    recipient: p,
                    created_at: self.now(),
                    text: format!(
                        "You are recorded as taking part in a meeting: {}, {}",
                        record.title().to_lowercase(),
                        step.on.strftime("%-d %B %Y")
                    ),
                    link: format!("/cases/{}/meetings/{i}", case.id),
                    read: false,
                })
                .await?;
            }
        }
        tx.append_audit(&self.event(
            &user.audit_name(),
            "case.record",
            &subject,
            Some(decision),
            serde_json::json!({
                "case": id,
                "record": what,
                "step": first,
                "state": case.state.code(),
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok(first)
    }

    /// Records a strategy discussion (WT 2023 ch 3; spec §1.5). Returns the step it is on.
    pub async fn record_strategy_discussion(
        &self,
        user: &CurrentUser,
        id: CaseId,
        input: StrategyDiscussionInput,
    ) -> AppResult<usize> {
        let by = user.practitioner.id;
        let first = self
            .record_on_case(
                user,
                id,
                input.version,
                &input.attendees,
                "strategy_discussion",
                "s47",
                |case, attendees, today, now, cal| {
                    case.record_strategy_discussion(
                        input.on,
                        StrategyDiscussion {
                            attendees,
                            information_shared: input.information_shared.trim().to_owned(),
                            decisions: input.decisions.trim().to_owned(),
                            actions: input.actions,
                            s47_initiated: input.s47_initiated,
                        },
                        input.next,
                        by,
                        now,
                        today,
                        cal,
                    )
                },
            )
            .await?;
        Ok(first)
    }

    /// Records a child protection conference and its decision (spec §1.7). Returns the step
    /// it is on.
    pub async fn record_conference(
        &self,
        user: &CurrentUser,
        id: CaseId,
        input: ConferenceInput,
    ) -> AppResult<usize> {
        let by = user.practitioner.id;
        self.record_on_case(
            user,
            id,
            input.version,
            &input.attendees,
            "conference",
            "decision",
            |case, attendees, today, now, cal| {
                case.record_conference(
                    input.on,
                    Conference {
                        kind: input.kind,
                        chair: input.chair.trim().to_owned(),
                        attendees,
                        decision: input.decision,
                        category: input.category,
                        core_group: input.core_group,
                    },
                    by,
                    now,
                    today,
                    cal,
                )
            },
        )
        .await
    }

    /// Records police protection (s46) or an emergency protection order (s44) with its start
    /// (T11, T12).
    pub async fn record_protection(
        &self,
        user: &CurrentUser,
        id: CaseId,
        input: ProtectionInput,
    ) -> AppResult<usize> {
        let by = user.practitioner.id;
        self.record_on_case(
            user,
            id,
            input.version,
            &[],
            "protection",
            "kind",
            |case, _, today, now, cal| {
                case.record_protection(
                    Protection {
                        kind: input.kind,
                        started_at: input.started_at,
                    },
                    by,
                    now,
                    today,
                    cal,
                )
            },
        )
        .await
    }

    /// Records how a child and family assessment concluded, its factors and, when it is later
    /// than T3, the reason.
    pub async fn conclude_assessment(
        &self,
        user: &CurrentUser,
        id: CaseId,
        input: AssessmentInput,
    ) -> AppResult<usize> {
        let by = user.practitioner.id;
        self.record_on_case(
            user,
            id,
            input.version,
            &[],
            "assessment",
            "outcome",
            |case, _, today, now, cal| {
                case.conclude_assessment(
                    input.on,
                    AssessmentConclusion {
                        outcome: input.outcome,
                        factors: input.factors,
                        late_reason: input.late_reason,
                    },
                    by,
                    now,
                    today,
                    cal,
                )
            },
        )
        .await
    }

    /// Opens the record of a strategy discussion or conference. Those who work on the case see
    /// it, and so does each practitioner recorded as taking part (linked to their account),
    /// who sees this record and the child's name only. The read is audited, and so is a
    /// refusal.
    pub async fn view_meeting(
        &self,
        user: &CurrentUser,
        id: CaseId,
        index: usize,
    ) -> AppResult<MeetingView> {
        let mut tx = self.begin().await?;
        let case = tx
            .get_case(id)
            .await?
            .ok_or(AppError::NotFound("meeting"))?;
        let Some((step, record)) = case.meeting(index) else {
            return Err(AppError::NotFound("meeting"));
        };
        let row = tx
            .get_child(case.child)
            .await?
            .ok_or(AppError::NotFound("child"))?;
        let facts = MeetingFacts {
            child: ChildFacts {
                allocated: tx.allocations(case.child).await?,
                owning_team: row.owning_team,
                school: row.child.school,
            },
            attendees: record.attending_practitioners(),
        };
        let subject = format!("child:{}", case.child);
        let (mut tx, decision) = self
            .authorize(
                tx,
                user,
                Action::ViewMeeting,
                Resource::Meeting(&facts),
                "meeting.view",
                &subject,
            )
            .await?;
        let can_open_case = self.permitted(user, Action::ViewChild, Resource::Child(&facts.child));
        let recorded_by = tx
            .get_account(step.recorded_by)
            .await?
            .map(|a| a.practitioner.name);
        tx.append_audit(&self.event(
            &user.audit_name(),
            "meeting.view",
            &subject,
            Some(decision),
            serde_json::json!({"case": id, "step": index}),
        ))
        .await?;
        tx.commit().await?;
        Ok(MeetingView {
            child: case.child,
            child_name: row.child.name.full(),
            case: case.id,
            index,
            step: step.clone(),
            record: record.clone(),
            warning: record.warning(),
            recorded_by,
            access_reason: decision.reason(),
            can_open_case,
        })
    }
}

/// The address of a record form for a case of a child.
pub fn form_path(child: ChildId, case: CaseId, form: RecordForm) -> String {
    format!("/children/{child}/cases/{case}/{}", form.slug())
}

/// The address of a meeting's record.
pub fn meeting_path(case: CaseId, index: usize) -> String {
    format!("/cases/{case}/meetings/{index}")
}
