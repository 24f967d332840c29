//! The statutory journey of a case as a state machine: from a concern, through the front door,
//! assessment, strategy discussion, section 47 enquiries and conferences, to a child protection
//! plan, a child in need plan, looking after the child, or closure.
//!
//! The states and edges are those of the domain spec §1.4 ("Case state machine", compiled from
//! WT18 flow charts 1 to 6 and WT23 chapter 3). [`transition`] allows every edge in the spec's
//! transition list and nothing else; a refused event is a [`TransitionError`] whose message says
//! what must happen first, in a practitioner's words.
//!
//! Two kinds of thing are deliberately *not* state changes, and are recorded on their own
//! records instead: a further strategy discussion during section 47 enquiries (the last
//! s47-initiating one sets the conference target, T5), and a change of legal status while the
//! child is looked after.
//!
//! Decisions made on forms map onto events: a front-door decision is
//! [`CaseEvent::Screened`]; a strategy discussion's and an assessment's outcomes convert with
//! `CaseEvent::from` ([`StrategyOutcome`], [`AssessmentOutcome`]); a section 47 finding of
//! continuing risk is [`CaseEvent::S47FoundContinuingRisk`], and the other two findings are
//! followed by [`CaseEvent::CinPlanStarted`] or [`CaseEvent::Closed`].

use serde::{Deserialize, Serialize};

use crate::coded::coded_enum;
use crate::codes::{
    AssessmentOutcome, ClosureReason, ConferenceKind, CpPlanEndReason, ImmediateProtection,
    LegalStatus, ScreeningOutcome, StrategyOutcome,
};

coded_enum! {
    /// Where a case stands in the statutory journey (spec §1.4; the spec's names are in
    /// capitals in each variant's doc).
    CaseState, "case state" {
        /// `CONCERN`: a practitioner or member of the public has a concern.
        Concern => "concern", "Concern";
        /// `EARLY_HELP`: an early help assessment agreed with the family; a lead practitioner
        /// appointed.
        EarlyHelp => "early_help", "Early help";
        /// `REFERRAL_RECEIVED`: children's social care accepted a referral; the front door
        /// decides within 1 working day (T1).
        ReferralReceived => "referral_received", "Referral received";
        /// `NFA`: the referral closed with no further action (CIN `ReferralNFA`). Terminal.
        Nfa => "nfa", "No further action";
        /// `IMMEDIATE_PROTECTION`: police protection (s46) or an emergency protection order
        /// (s44); clocks T11 and T12.
        ImmediateProtection => "immediate_protection", "Immediate protection";
        /// `CF_ASSESSMENT`: child and family assessment under s17; due 45 working days from
        /// the referral (T3).
        CfAssessment => "cf_assessment", "Child and family assessment";
        /// `STRATEGY_DISCUSSION`: reasonable cause to suspect significant harm.
        StrategyDiscussion => "strategy_discussion", "Strategy discussion";
        /// `S47_ENQUIRY`: section 47 enquiries under way; the conference target is set (T5).
        S47Enquiry => "s47_enquiry", "Section 47 enquiry";
        /// `ICPC_PENDING`: the enquiry found continuing risk; the initial conference is due
        /// (T5).
        IcpcPending => "icpc_pending", "Initial conference pending";
        /// `ICPC`: an initial (or transfer-in) child protection conference was held.
        Icpc => "icpc", "Initial child protection conference";
        /// `CP_PLAN`: a child protection plan is in force (T6, T7, T8).
        CpPlan => "cp_plan", "Child protection plan";
        /// `RCPC`: a review child protection conference was held.
        Rcpc => "rcpc", "Review child protection conference";
        /// `CP_PLAN_ENDED`: the child protection plan ended.
        CpPlanEnded => "cp_plan_ended", "Child protection plan ended";
        /// `CIN_PLAN`: services under a child in need plan (s17).
        CinPlan => "cin_plan", "Child in need plan";
        /// `LOOKED_AFTER`: care order (s31), interim care order (s38) or accommodation (s20);
        /// review clocks T13.
        LookedAfter => "looked_after", "Looked after";
        /// `CLOSED`: the episode closed with a reason RC1 to RC9. Terminal: a new referral
        /// starts a new episode.
        Closed => "closed", "Closed";
    }
}

impl CaseState {
    /// `NFA` and `CLOSED` end an episode; nothing follows them (spec §1.4 "terminal").
    pub const fn is_terminal(self) -> bool {
        matches!(self, CaseState::Nfa | CaseState::Closed)
    }
}

/// Something that happened to a case. Each carries only what decides where the case goes next;
/// the record of the step (dates, people, reasons) is kept by the use-case that applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "event", content = "code", rename_all = "snake_case")]
pub enum CaseEvent {
    /// Early help agreed with the family for a concern below the threshold for a referral.
    EarlyHelpAgreed,
    /// The early help episode ended.
    EarlyHelpEnded,
    /// Children's social care received a referral (from a concern, or a step up from early
    /// help).
    ReferralReceived,
    /// The front door decided what to do about the referral (T1).
    Screened(ScreeningOutcome),
    /// A strategy discussion was held (from immediate protection, during an assessment or on a
    /// child in need plan).
    StrategyDiscussionHeld,
    /// A strategy discussion started section 47 enquiries.
    S47Initiated,
    /// A further strategy discussion while section 47 enquiries are under way or the child is
    /// subject to a conference. Not a state change (spec §1.5: "more than one may be needed");
    /// when it initiated section 47 enquiries, the last such discussion sets the conference
    /// target (T5).
    FurtherStrategyDiscussion,
    /// Police protection (Children Act 1989 s46) or an emergency protection order (s44) was
    /// recorded on a case at immediate protection, with its start (T11, T12). Not a state
    /// change.
    ProtectionTaken(ImmediateProtection),
    /// A strategy discussion decided section 47 enquiries are not needed and started a child
    /// and family assessment.
    AssessmentStarted,
    /// Section 47 enquiries found the child at continuing risk of significant harm (spec §1.6
    /// outcome (c)).
    S47FoundContinuingRisk,
    /// A child protection conference was held.
    ConferenceHeld(ConferenceKind),
    /// A conference made a child protection plan.
    CpPlanStarted,
    /// The core group met (the first meeting is due within 10 working days of the initial
    /// conference, T6). The plan continues.
    CoreGroupMet,
    /// A review conference decided the child remains at continuing risk: the plan continues.
    PlanContinued,
    /// The child protection plan ended, for this reason.
    CpPlanEnded(CpPlanEndReason),
    /// A child in need plan started (s17).
    CinPlanStarted,
    /// The child became looked after, with this legal status.
    BecameLookedAfter(LegalStatus),
    /// The episode closed, with this CIN census reason.
    Closed(ClosureReason),
}

impl CaseEvent {
    /// Every event, with every payload: the alphabet the state machine is tested over and the
    /// list [`allowed_events`] filters.
    pub fn all() -> Vec<CaseEvent> {
        let mut all = vec![
            CaseEvent::EarlyHelpAgreed,
            CaseEvent::EarlyHelpEnded,
            CaseEvent::ReferralReceived,
            CaseEvent::StrategyDiscussionHeld,
            CaseEvent::S47Initiated,
            CaseEvent::FurtherStrategyDiscussion,
            CaseEvent::AssessmentStarted,
            CaseEvent::S47FoundContinuingRisk,
            CaseEvent::CpPlanStarted,
            CaseEvent::CoreGroupMet,
            CaseEvent::PlanContinued,
            CaseEvent::CinPlanStarted,
        ];
        all.extend(
            ScreeningOutcome::ALL
                .iter()
                .map(|o| CaseEvent::Screened(*o)),
        );
        all.extend(
            ImmediateProtection::ALL
                .iter()
                .map(|p| CaseEvent::ProtectionTaken(*p)),
        );
        all.extend(
            ConferenceKind::ALL
                .iter()
                .map(|k| CaseEvent::ConferenceHeld(*k)),
        );
        all.extend(
            CpPlanEndReason::ALL
                .iter()
                .map(|r| CaseEvent::CpPlanEnded(*r)),
        );
        all.extend(
            LegalStatus::ALL
                .iter()
                .map(|s| CaseEvent::BecameLookedAfter(*s)),
        );
        all.extend(ClosureReason::ALL.iter().map(|r| CaseEvent::Closed(*r)));
        all
    }
}

impl std::fmt::Display for CaseEvent {
    /// One line for a chronology or an audit entry.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CaseEvent::EarlyHelpAgreed => f.write_str("Early help agreed"),
            CaseEvent::EarlyHelpEnded => f.write_str("Early help ended"),
            CaseEvent::ReferralReceived => f.write_str("Referral received"),
            CaseEvent::Screened(o) => write!(f, "Front door decision: {}", o.label()),
            CaseEvent::StrategyDiscussionHeld => f.write_str("Strategy discussion held"),
            CaseEvent::S47Initiated => f.write_str("Section 47 enquiries started"),
            CaseEvent::FurtherStrategyDiscussion => f.write_str("Further strategy discussion held"),
            CaseEvent::ProtectionTaken(p) => write!(f, "Immediate protection: {}", p.label()),
            CaseEvent::AssessmentStarted => f.write_str("Child and family assessment started"),
            CaseEvent::S47FoundContinuingRisk => {
                f.write_str("Section 47 enquiries found continuing risk of significant harm")
            }
            CaseEvent::ConferenceHeld(k) => write!(f, "{} held", k.label()),
            CaseEvent::CpPlanStarted => f.write_str("Child protection plan started"),
            CaseEvent::CoreGroupMet => f.write_str("Core group met"),
            CaseEvent::PlanContinued => f.write_str("Child protection plan continues"),
            CaseEvent::CpPlanEnded(r) => write!(f, "Child protection plan ended: {}", r.label()),
            CaseEvent::CinPlanStarted => f.write_str("Child in need plan started"),
            CaseEvent::BecameLookedAfter(s) => write!(f, "Became looked after: {}", s.label()),
            CaseEvent::Closed(r) => write!(f, "Case closed: {}", r.label()),
        }
    }
}

impl From<StrategyOutcome> for CaseEvent {
    /// What a strategy discussion decided (spec §1.4 `STRATEGY_DISCUSSION` exits).
    fn from(outcome: StrategyOutcome) -> CaseEvent {
        match outcome {
            StrategyOutcome::S47Enquiry => CaseEvent::S47Initiated,
            StrategyOutcome::Assessment => CaseEvent::AssessmentStarted,
            StrategyOutcome::CinPlan => CaseEvent::CinPlanStarted,
        }
    }
}

impl From<AssessmentOutcome> for CaseEvent {
    /// How an assessment concluded (spec §1.4 `CF_ASSESSMENT` exits).
    fn from(outcome: AssessmentOutcome) -> CaseEvent {
        match outcome {
            AssessmentOutcome::CinPlan => CaseEvent::CinPlanStarted,
            AssessmentOutcome::StrategyDiscussion => CaseEvent::StrategyDiscussionHeld,
            AssessmentOutcome::CloseNoFurtherAction => {
                CaseEvent::Closed(ClosureReason::AfterAssessmentNfa)
            }
            AssessmentOutcome::CloseEarlyHelp => {
                CaseEvent::Closed(ClosureReason::AfterAssessmentEarlyHelp)
            }
        }
    }
}

/// An event that cannot happen in the case's current state. The message says what must happen
/// first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct TransitionError {
    /// The state the case was in.
    pub from: CaseState,
    /// The event that was refused.
    pub event: CaseEvent,
}

impl TransitionError {
    /// What must happen first, in a practitioner's words.
    pub fn message(&self) -> &'static str {
        refusal(self.from, self.event)
    }
}

/// Moves a case from `from` by `event`, or says what must happen first.
///
/// The edges, with their source in the spec §1.4 transition list (WT18 flow charts 1 to 5):
///
/// | From | Event | To |
/// |---|---|---|
/// | concern | early help agreed / referral received | early help / referral received |
/// | early help | referral received (step up) / early help ended | referral received / closed |
/// | referral received | front door decision (T1) | NFA, early help, immediate protection, strategy discussion or assessment |
/// | immediate protection | strategy discussion held | strategy discussion |
/// | assessment | CIN plan / strategy discussion / closed (RC8, RC9) | |
/// | strategy discussion | s47 initiated / assessment / CIN plan | |
/// | s47 enquiry | continuing risk / CIN plan / closed | ICPC pending, CIN plan, closed |
/// | ICPC pending | initial conference held | ICPC |
/// | ICPC | CP plan / CIN plan / closed | |
/// | CP plan | core group met / review conference held / plan ended (not "no longer at risk") | CP plan, RCPC, plan ended |
/// | RCPC | plan continues / plan ended | CP plan, plan ended |
/// | plan ended | CIN plan / closed / transfer-in conference | CIN plan, closed, ICPC |
/// | CIN plan | strategy discussion / closed | |
/// | looked after | closed / CIN plan (return home, WT18 flow chart 6) | |
/// | any open state | became looked after | looked after |
///
/// ```
/// use safeguard_domain::codes::{ConferenceKind, ScreeningOutcome};
/// use safeguard_domain::journey::{CaseEvent, CaseState, transition};
///
/// let s = transition(CaseState::ReferralReceived, CaseEvent::Screened(ScreeningOutcome::StrategyDiscussion));
/// assert_eq!(s, Ok(CaseState::StrategyDiscussion));
///
/// let refused = transition(CaseState::S47Enquiry, CaseEvent::ConferenceHeld(ConferenceKind::Initial))
///     .unwrap_err();
/// assert_eq!(
///     refused.to_string(),
///     "An initial child protection conference needs a section 47 enquiry that found continuing \
///      risk first"
/// );
/// ```
pub fn transition(from: CaseState, event: CaseEvent) -> Result<CaseState, TransitionError> {
    use CaseEvent as E;
    use CaseState as S;
    let to = match (from, event) {
        // WT18 flow chart 1: a concern either gets early help or becomes a referral.
        (S::Concern, E::EarlyHelpAgreed) => S::EarlyHelp,
        (S::Concern | S::EarlyHelp, E::ReferralReceived) => S::ReferralReceived,
        (S::EarlyHelp, E::EarlyHelpEnded) => S::Closed,
        // The front door's decision within 1 working day (T1; spec §1.3).
        (S::ReferralReceived, E::Screened(outcome)) => match outcome {
            ScreeningOutcome::NoFurtherAction => S::Nfa,
            ScreeningOutcome::EarlyHelp => S::EarlyHelp,
            ScreeningOutcome::Assessment => S::CfAssessment,
            ScreeningOutcome::StrategyDiscussion => S::StrategyDiscussion,
            ScreeningOutcome::ImmediateProtection => S::ImmediateProtection,
        },
        // WT18 flow chart 2: a strategy discussion follows emergency action at once; WT23
        // ch 3: one may be held at any time during an assessment or on an open CIN case.
        (S::ImmediateProtection | S::CfAssessment | S::CinPlan, E::StrategyDiscussionHeld) => {
            S::StrategyDiscussion
        }
        // WT18 flow chart 4.
        (S::StrategyDiscussion, E::S47Initiated) => S::S47Enquiry,
        (S::StrategyDiscussion, E::AssessmentStarted) => S::CfAssessment,
        // Spec §1.5: more than one strategy discussion may be needed; during enquiries or while
        // the child is subject to conference a further one changes nothing but the record (and,
        // when it initiates section 47 enquiries, the T5 target).
        (
            S::S47Enquiry | S::IcpcPending | S::Icpc | S::CpPlan | S::Rcpc,
            E::FurtherStrategyDiscussion,
        ) => from,
        // WT18 flow chart 2: police protection (s46, T11) or an EPO (s44, T12) is recorded on
        // the case at immediate protection; a second one (an EPO after police protection) too.
        (S::ImmediateProtection, E::ProtectionTaken(_)) => S::ImmediateProtection,
        (S::S47Enquiry, E::S47FoundContinuingRisk) => S::IcpcPending,
        (S::IcpcPending, E::ConferenceHeld(ConferenceKind::Initial)) => S::Icpc,
        // WT18 "Discontinuing the plan": the receiving LA holds a transfer-in conference (T9).
        (S::CpPlanEnded, E::ConferenceHeld(ConferenceKind::TransferIn)) => S::Icpc,
        // CIN rule 2885: the plan starts on the day of the conference.
        (S::Icpc, E::CpPlanStarted) => S::CpPlan,
        // WT18 flow chart 5: core group (T6) and reviews (T7, T8).
        (S::CpPlan, E::CoreGroupMet) => S::CpPlan,
        (S::CpPlan, E::ConferenceHeld(ConferenceKind::Review)) => S::Rcpc,
        (S::Rcpc, E::PlanContinued) => S::CpPlan,
        (S::Rcpc, E::CpPlanEnded(_)) => S::CpPlanEnded,
        // Spec §1.4 state table: a plan also ends when the child turns 18, dies, leaves the UK
        // or moves to another LA; "no longer at continuing risk" is a review conference's
        // decision (WT23 ch 3, "the same threshold as ICPC").
        (S::CpPlan, E::CpPlanEnded(reason)) if reason != CpPlanEndReason::NoLongerAtRisk => {
            S::CpPlanEnded
        }
        (
            S::StrategyDiscussion
            | S::CfAssessment
            | S::S47Enquiry
            | S::Icpc
            | S::CpPlanEnded
            | S::LookedAfter,
            E::CinPlanStarted,
        ) => S::CinPlan,
        (
            S::CfAssessment
            | S::S47Enquiry
            | S::Icpc
            | S::CpPlanEnded
            | S::CinPlan
            | S::LookedAfter,
            E::Closed(_),
        ) => S::Closed,
        // Spec §1.4: "any state -> LOOKED_AFTER (s20/s31/s38)", for every open episode.
        (state, E::BecameLookedAfter(_)) if !state.is_terminal() && state != S::LookedAfter => {
            S::LookedAfter
        }
        _ => return Err(TransitionError { from, event }),
    };
    Ok(to)
}

/// The events [`transition`] accepts in `state`, for showing a practitioner what can happen
/// next.
pub fn allowed_events(state: CaseState) -> Vec<CaseEvent> {
    CaseEvent::all()
        .into_iter()
        .filter(|e| transition(state, *e).is_ok())
        .collect()
}

/// Why `event` cannot happen in `from`: what must happen first.
fn refusal(from: CaseState, event: CaseEvent) -> &'static str {
    use CaseEvent as E;
    use CaseState as S;
    if from.is_terminal() {
        return "This episode is closed. A new concern or referral starts a new episode";
    }
    match event {
        E::EarlyHelpAgreed => match from {
            S::ReferralReceived => {
                "The front door decides a referral: record the decision to signpost to early help"
            }
            S::CfAssessment => {
                "An assessment ends in early help by closing the case with RC9 (referred to early help)"
            }
            _ => "Early help is agreed from a concern, before any referral is made",
        },
        E::EarlyHelpEnded => "Only an early help episode can end as early help",
        E::ReferralReceived => {
            "A referral starts from a concern or steps up from early help. This case is already \
             with children's social care"
        }
        E::Screened(_) => "Only a referral that has just been received can be screened",
        E::StrategyDiscussionHeld => match from {
            S::ReferralReceived => {
                "The front door decides a referral: record the decision to hold a strategy \
                 discussion"
            }
            S::StrategyDiscussion => {
                "Record what the strategy discussion decided: section 47 enquiries, an assessment \
                 or a child in need plan"
            }
            S::S47Enquiry | S::IcpcPending => {
                "Section 47 enquiries are already under way. Record a further strategy discussion \
                 on the enquiry: the last one that started section 47 sets the conference target"
            }
            S::Icpc | S::CpPlan | S::Rcpc => {
                "The child is already subject to child protection conference: record a further \
                 strategy discussion on the plan"
            }
            _ => {
                "A strategy discussion needs a referral, immediate protection, an assessment or a \
                  child in need plan first"
            }
        },
        E::S47Initiated => "Section 47 enquiries start at a strategy discussion: hold one first",
        E::FurtherStrategyDiscussion => {
            "A further strategy discussion is recorded during section 47 enquiries or while the \
             child is subject to conference: record this one as a strategy discussion"
        }
        E::ProtectionTaken(_) => {
            "Police protection or an emergency protection order is recorded on a case the front \
             door decided needs immediate protection"
        }
        E::AssessmentStarted => match from {
            S::ReferralReceived => {
                "The front door decides a referral: record the decision to carry out a child and \
                 family assessment"
            }
            _ => {
                "A child and family assessment starts from a front-door decision or a strategy \
                  discussion"
            }
        },
        E::S47FoundContinuingRisk => {
            "Continuing risk of significant harm is a finding of section 47 enquiries: start \
             section 47 enquiries at a strategy discussion first"
        }
        E::ConferenceHeld(ConferenceKind::Initial) => match from {
            S::Icpc | S::CpPlan | S::Rcpc => {
                "An initial conference has already been held for this plan: hold a review \
                 conference instead"
            }
            _ => {
                "An initial child protection conference needs a section 47 enquiry that found \
                  continuing risk first"
            }
        },
        E::ConferenceHeld(ConferenceKind::Review) => match from {
            S::Rcpc => "Record the review conference's decision: the plan continues or ends",
            _ => {
                "A review conference reviews a child protection plan, which starts at an \
                  initial conference first"
            }
        },
        E::ConferenceHeld(ConferenceKind::TransferIn) => {
            "A transfer-in conference follows a child protection plan ended because the child \
             moved permanently to another local authority"
        }
        E::CpPlanStarted => match from {
            S::CpPlan => "The child already has a child protection plan",
            S::Rcpc => "A review conference continues the existing plan: record that it continues",
            _ => {
                "A child protection plan starts at an initial conference: hold the initial child \
                  protection conference first"
            }
        },
        E::CoreGroupMet => "A core group meets once a child protection plan has started",
        E::PlanContinued => {
            "Only a review conference can continue a child protection plan: hold the review \
             conference first"
        }
        E::CpPlanEnded(reason) => match (from, reason) {
            (S::CpPlan, CpPlanEndReason::NoLongerAtRisk) => {
                "Only a review conference can decide the child is no longer at continuing risk: \
                 hold a review conference first"
            }
            _ => "There is no child protection plan to end",
        },
        E::CinPlanStarted => match from {
            S::CpPlan | S::Rcpc => {
                "A child in need plan cannot run alongside a child protection plan (CIN rules \
                 4001, 4016, 4017): end the child protection plan first"
            }
            S::ReferralReceived => {
                "The front door decides a referral: a child in need plan follows an assessment"
            }
            S::IcpcPending => {
                "The enquiry found continuing risk: hold the initial child protection conference \
                 first"
            }
            _ => {
                "A child in need plan follows an assessment, a strategy discussion, section 47 \
                  enquiries, a conference, the end of a child protection plan or leaving care"
            }
        },
        E::BecameLookedAfter(_) => {
            "The child is already looked after: record a change of legal status on the \
             looked-after episode"
        }
        E::Closed(_) => match from {
            S::ReferralReceived => {
                "The front door decides a referral: record no further action to close it"
            }
            S::EarlyHelp => "End the early help episode instead",
            S::CpPlan | S::Rcpc => "End the child protection plan before closing the case",
            S::IcpcPending => {
                "The enquiry found continuing risk: hold the initial child protection conference \
                 first"
            }
            S::ImmediateProtection => {
                "A strategy discussion must follow immediate protection at once: hold it first"
            }
            S::StrategyDiscussion => {
                "Record what the strategy discussion decided: section 47 enquiries, an assessment \
                 or a child in need plan"
            }
            _ => {
                "A concern that is not referred stays on the setting's record: there is no case \
                  to close"
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::S47Outcome;
    use proptest::prelude::*;
    use rstest::rstest;
    use std::collections::BTreeSet;

    use CaseState as S;

    /// The spec §1.4 transition list, typed from the spec (state names as in the spec), plus
    /// the `CP_PLAN` exits of its state table and the self-loop of the first core group.
    fn spec_edges() -> BTreeSet<(CaseState, CaseState)> {
        let listed = [
            // CONCERN -> EARLY_HELP | REFERRAL_RECEIVED
            (S::Concern, S::EarlyHelp),
            (S::Concern, S::ReferralReceived),
            // EARLY_HELP (state table) -> REFERRAL_RECEIVED (escalation) | CLOSED
            (S::EarlyHelp, S::ReferralReceived),
            (S::EarlyHelp, S::Closed),
            // REFERRAL_RECEIVED -> NFA | EARLY_HELP | IMMEDIATE_PROTECTION | STRATEGY_DISCUSSION
            // | CF_ASSESSMENT
            (S::ReferralReceived, S::Nfa),
            (S::ReferralReceived, S::EarlyHelp),
            (S::ReferralReceived, S::ImmediateProtection),
            (S::ReferralReceived, S::StrategyDiscussion),
            (S::ReferralReceived, S::CfAssessment),
            // IMMEDIATE_PROTECTION -> STRATEGY_DISCUSSION | LOOKED_AFTER
            (S::ImmediateProtection, S::StrategyDiscussion),
            // CF_ASSESSMENT -> CIN_PLAN | CLOSED(RC8/RC9) | STRATEGY_DISCUSSION
            (S::CfAssessment, S::CinPlan),
            (S::CfAssessment, S::Closed),
            (S::CfAssessment, S::StrategyDiscussion),
            // STRATEGY_DISCUSSION -> S47_ENQUIRY | CF_ASSESSMENT | CIN_PLAN
            (S::StrategyDiscussion, S::S47Enquiry),
            (S::StrategyDiscussion, S::CfAssessment),
            (S::StrategyDiscussion, S::CinPlan),
            // S47_ENQUIRY -> CLOSED | CIN_PLAN | ICPC_PENDING
            (S::S47Enquiry, S::Closed),
            (S::S47Enquiry, S::CinPlan),
            (S::S47Enquiry, S::IcpcPending),
            // ICPC_PENDING -> ICPC
            (S::IcpcPending, S::Icpc),
            // ICPC -> CP_PLAN | CIN_PLAN | CLOSED
            (S::Icpc, S::CpPlan),
            (S::Icpc, S::CinPlan),
            (S::Icpc, S::Closed),
            // CP_PLAN -> CORE_GROUP(first) (the plan continues) | RCPC | CP_PLAN_ENDED
            (S::CpPlan, S::CpPlan),
            (S::CpPlan, S::Rcpc),
            (S::CpPlan, S::CpPlanEnded),
            // RCPC -> CP_PLAN | CP_PLAN_ENDED
            (S::Rcpc, S::CpPlan),
            (S::Rcpc, S::CpPlanEnded),
            // CP_PLAN_ENDED -> CIN_PLAN | CLOSED | (receiving LA) ICPC-transfer-in
            (S::CpPlanEnded, S::CinPlan),
            (S::CpPlanEnded, S::Closed),
            (S::CpPlanEnded, S::Icpc),
            // Spec §1.5 "more than one may be needed": a further strategy discussion during
            // enquiries or while subject to conference records without a state change.
            (S::S47Enquiry, S::S47Enquiry),
            (S::IcpcPending, S::IcpcPending),
            (S::Icpc, S::Icpc),
            (S::Rcpc, S::Rcpc),
            // IMMEDIATE_PROTECTION: the order (s46 or s44) is recorded with its clock (T11/T12).
            (S::ImmediateProtection, S::ImmediateProtection),
            // CIN_PLAN -> STRATEGY_DISCUSSION | CLOSED
            (S::CinPlan, S::StrategyDiscussion),
            (S::CinPlan, S::Closed),
            // LOOKED_AFTER -> discharge / return home (WT18 flow chart 6)
            (S::LookedAfter, S::Closed),
            (S::LookedAfter, S::CinPlan),
        ];
        let mut edges: BTreeSet<_> = listed.into_iter().collect();
        // any state -> LOOKED_AFTER, for every open episode.
        for s in CaseState::ALL {
            if !s.is_terminal() && *s != S::LookedAfter {
                edges.insert((*s, S::LookedAfter));
            }
        }
        edges
    }

    #[test]
    fn the_machine_has_exactly_the_spec_edges() {
        let mut produced = BTreeSet::new();
        for from in CaseState::ALL {
            for event in CaseEvent::all() {
                if let Ok(to) = transition(*from, event) {
                    produced.insert((*from, to));
                }
            }
        }
        let spec = spec_edges();
        let extra: Vec<_> = produced.difference(&spec).collect();
        let missing: Vec<_> = spec.difference(&produced).collect();
        assert!(extra.is_empty(), "edges not in the spec: {extra:?}");
        assert!(
            missing.is_empty(),
            "spec edges not implemented: {missing:?}"
        );
    }

    #[test]
    fn terminal_states_accept_nothing() {
        for s in [S::Nfa, S::Closed] {
            assert!(allowed_events(s).is_empty(), "{s:?}");
            let err = transition(s, CaseEvent::ReferralReceived).unwrap_err();
            assert!(err.to_string().contains("new episode"), "{err}");
        }
    }

    #[test]
    fn every_open_state_has_a_way_forward() {
        for s in CaseState::ALL.iter().filter(|s| !s.is_terminal()) {
            let next: BTreeSet<_> = allowed_events(*s)
                .into_iter()
                .filter_map(|e| transition(*s, e).ok())
                .filter(|to| to != s)
                .collect();
            assert!(!next.is_empty(), "{s:?} is a dead end");
        }
    }

    #[test]
    fn every_state_can_be_reached_from_a_concern() {
        let mut reached = BTreeSet::from([S::Concern]);
        let mut frontier = vec![S::Concern];
        while let Some(s) = frontier.pop() {
            for e in allowed_events(s) {
                let to = transition(s, e).unwrap();
                if reached.insert(to) {
                    frontier.push(to);
                }
            }
        }
        let all: BTreeSet<_> = CaseState::ALL.iter().copied().collect();
        assert_eq!(reached, all);
    }

    #[rstest]
    #[case::concern_to_early_help(S::Concern, CaseEvent::EarlyHelpAgreed, S::EarlyHelp)]
    #[case::concern_referred(S::Concern, CaseEvent::ReferralReceived, S::ReferralReceived)]
    #[case::step_up(S::EarlyHelp, CaseEvent::ReferralReceived, S::ReferralReceived)]
    #[case::early_help_ends(S::EarlyHelp, CaseEvent::EarlyHelpEnded, S::Closed)]
    #[case::screened_nfa(
        S::ReferralReceived,
        CaseEvent::Screened(ScreeningOutcome::NoFurtherAction),
        S::Nfa
    )]
    #[case::screened_step_down(
        S::ReferralReceived,
        CaseEvent::Screened(ScreeningOutcome::EarlyHelp),
        S::EarlyHelp
    )]
    #[case::screened_assessment(
        S::ReferralReceived,
        CaseEvent::Screened(ScreeningOutcome::Assessment),
        S::CfAssessment
    )]
    #[case::screened_strategy(
        S::ReferralReceived,
        CaseEvent::Screened(ScreeningOutcome::StrategyDiscussion),
        S::StrategyDiscussion
    )]
    #[case::screened_protection(
        S::ReferralReceived,
        CaseEvent::Screened(ScreeningOutcome::ImmediateProtection),
        S::ImmediateProtection
    )]
    #[case::protection_then_strategy(
        S::ImmediateProtection,
        CaseEvent::StrategyDiscussionHeld,
        S::StrategyDiscussion
    )]
    #[case::protection_then_care(
        S::ImmediateProtection,
        CaseEvent::BecameLookedAfter(LegalStatus::EmergencyProtectionOrder),
        S::LookedAfter
    )]
    #[case::assessment_to_cin(S::CfAssessment, CaseEvent::CinPlanStarted, S::CinPlan)]
    #[case::assessment_to_strategy(
        S::CfAssessment,
        CaseEvent::StrategyDiscussionHeld,
        S::StrategyDiscussion
    )]
    #[case::assessment_rc8(
        S::CfAssessment,
        CaseEvent::Closed(ClosureReason::AfterAssessmentNfa),
        S::Closed
    )]
    #[case::assessment_rc9(
        S::CfAssessment,
        CaseEvent::Closed(ClosureReason::AfterAssessmentEarlyHelp),
        S::Closed
    )]
    #[case::strategy_to_s47(S::StrategyDiscussion, CaseEvent::S47Initiated, S::S47Enquiry)]
    #[case::strategy_to_assessment(
        S::StrategyDiscussion,
        CaseEvent::AssessmentStarted,
        S::CfAssessment
    )]
    #[case::strategy_to_cin(S::StrategyDiscussion, CaseEvent::CinPlanStarted, S::CinPlan)]
    #[case::s47_continuing_risk(S::S47Enquiry, CaseEvent::S47FoundContinuingRisk, S::IcpcPending)]
    #[case::s47_to_cin(S::S47Enquiry, CaseEvent::CinPlanStarted, S::CinPlan)]
    #[case::s47_closed(
        S::S47Enquiry,
        CaseEvent::Closed(ClosureReason::ServicesCeased),
        S::Closed
    )]
    #[case::icpc_held(
        S::IcpcPending,
        CaseEvent::ConferenceHeld(ConferenceKind::Initial),
        S::Icpc
    )]
    #[case::icpc_plan(S::Icpc, CaseEvent::CpPlanStarted, S::CpPlan)]
    #[case::icpc_cin(S::Icpc, CaseEvent::CinPlanStarted, S::CinPlan)]
    #[case::icpc_closed(S::Icpc, CaseEvent::Closed(ClosureReason::ServicesCeased), S::Closed)]
    #[case::core_group(S::CpPlan, CaseEvent::CoreGroupMet, S::CpPlan)]
    #[case::review(S::CpPlan, CaseEvent::ConferenceHeld(ConferenceKind::Review), S::Rcpc)]
    #[case::plan_ends_child_died(
        S::CpPlan,
        CaseEvent::CpPlanEnded(CpPlanEndReason::Died),
        S::CpPlanEnded
    )]
    #[case::plan_ends_moved(
        S::CpPlan,
        CaseEvent::CpPlanEnded(CpPlanEndReason::MovedToAnotherLa),
        S::CpPlanEnded
    )]
    #[case::review_continues(S::Rcpc, CaseEvent::PlanContinued, S::CpPlan)]
    #[case::review_ends_plan(
        S::Rcpc,
        CaseEvent::CpPlanEnded(CpPlanEndReason::NoLongerAtRisk),
        S::CpPlanEnded
    )]
    #[case::ended_to_cin(S::CpPlanEnded, CaseEvent::CinPlanStarted, S::CinPlan)]
    #[case::ended_closed(
        S::CpPlanEnded,
        CaseEvent::Closed(ClosureReason::ServicesCeased),
        S::Closed
    )]
    #[case::transfer_in(
        S::CpPlanEnded,
        CaseEvent::ConferenceHeld(ConferenceKind::TransferIn),
        S::Icpc
    )]
    #[case::cin_to_strategy(S::CinPlan, CaseEvent::StrategyDiscussionHeld, S::StrategyDiscussion)]
    #[case::cin_closed(
        S::CinPlan,
        CaseEvent::Closed(ClosureReason::ServicesCeased),
        S::Closed
    )]
    #[case::care_ends_adopted(S::LookedAfter, CaseEvent::Closed(ClosureReason::Adopted), S::Closed)]
    #[case::home_with_support(S::LookedAfter, CaseEvent::CinPlanStarted, S::CinPlan)]
    #[case::s20_from_concern(
        S::Concern,
        CaseEvent::BecameLookedAfter(LegalStatus::Section20Single),
        S::LookedAfter
    )]
    #[case::care_order_on_plan(
        S::CpPlan,
        CaseEvent::BecameLookedAfter(LegalStatus::InterimCareOrder),
        S::LookedAfter
    )]
    #[case::further_strategy_during_s47(
        S::S47Enquiry,
        CaseEvent::FurtherStrategyDiscussion,
        S::S47Enquiry
    )]
    #[case::further_strategy_awaiting_icpc(
        S::IcpcPending,
        CaseEvent::FurtherStrategyDiscussion,
        S::IcpcPending
    )]
    #[case::further_strategy_on_plan(S::CpPlan, CaseEvent::FurtherStrategyDiscussion, S::CpPlan)]
    #[case::police_protection(
        S::ImmediateProtection,
        CaseEvent::ProtectionTaken(ImmediateProtection::PoliceProtection),
        S::ImmediateProtection
    )]
    #[case::epo(
        S::ImmediateProtection,
        CaseEvent::ProtectionTaken(ImmediateProtection::EmergencyProtectionOrder),
        S::ImmediateProtection
    )]
    fn allowed(#[case] from: CaseState, #[case] event: CaseEvent, #[case] to: CaseState) {
        assert_eq!(transition(from, event), Ok(to));
    }

    #[rstest]
    #[case::icpc_without_s47(
        S::ReferralReceived,
        CaseEvent::ConferenceHeld(ConferenceKind::Initial),
        "needs a section 47 enquiry that found continuing risk first"
    )]
    #[case::icpc_during_s47(
        S::S47Enquiry,
        CaseEvent::ConferenceHeld(ConferenceKind::Initial),
        "needs a section 47 enquiry that found continuing risk first"
    )]
    #[case::icpc_after_strategy(
        S::StrategyDiscussion,
        CaseEvent::ConferenceHeld(ConferenceKind::Initial),
        "needs a section 47 enquiry that found continuing risk first"
    )]
    #[case::second_icpc(
        S::CpPlan,
        CaseEvent::ConferenceHeld(ConferenceKind::Initial),
        "hold a review conference instead"
    )]
    #[case::plan_without_conference(
        S::S47Enquiry,
        CaseEvent::CpPlanStarted,
        "A child protection plan starts at an initial conference"
    )]
    #[case::plan_from_referral(
        S::ReferralReceived,
        CaseEvent::CpPlanStarted,
        "A child protection plan starts at an initial conference"
    )]
    #[case::plan_before_conference(
        S::IcpcPending,
        CaseEvent::CpPlanStarted,
        "A child protection plan starts at an initial conference"
    )]
    #[case::plan_twice(
        S::CpPlan,
        CaseEvent::CpPlanStarted,
        "already has a child protection plan"
    )]
    #[case::s47_without_strategy(
        S::ReferralReceived,
        CaseEvent::S47Initiated,
        "start at a strategy discussion"
    )]
    #[case::s47_from_assessment(
        S::CfAssessment,
        CaseEvent::S47Initiated,
        "start at a strategy discussion"
    )]
    #[case::risk_without_s47(
        S::StrategyDiscussion,
        CaseEvent::S47FoundContinuingRisk,
        "start section 47 enquiries at a strategy discussion first"
    )]
    #[case::review_without_plan(
        S::Icpc,
        CaseEvent::ConferenceHeld(ConferenceKind::Review),
        "starts at an initial conference first"
    )]
    #[case::review_twice(
        S::Rcpc,
        CaseEvent::ConferenceHeld(ConferenceKind::Review),
        "the plan continues or ends"
    )]
    #[case::plan_ends_without_review(
        S::CpPlan,
        CaseEvent::CpPlanEnded(CpPlanEndReason::NoLongerAtRisk),
        "hold a review conference first"
    )]
    #[case::continue_without_review(
        S::CpPlan,
        CaseEvent::PlanContinued,
        "hold the review conference first"
    )]
    #[case::cin_alongside_cp(
        S::CpPlan,
        CaseEvent::CinPlanStarted,
        "end the child protection plan first"
    )]
    #[case::cin_after_risk_found(
        S::IcpcPending,
        CaseEvent::CinPlanStarted,
        "hold the initial child protection conference first"
    )]
    #[case::close_on_plan(
        S::CpPlan,
        CaseEvent::Closed(ClosureReason::ServicesCeased),
        "End the child protection plan before closing"
    )]
    #[case::close_referral(
        S::ReferralReceived,
        CaseEvent::Closed(ClosureReason::AfterAssessmentNfa),
        "record no further action"
    )]
    #[case::close_after_protection(
        S::ImmediateProtection,
        CaseEvent::Closed(ClosureReason::ServicesCeased),
        "strategy discussion must follow"
    )]
    #[case::close_strategy(
        S::StrategyDiscussion,
        CaseEvent::Closed(ClosureReason::ServicesCeased),
        "Record what the strategy discussion decided"
    )]
    #[case::referral_on_open_case(
        S::CinPlan,
        CaseEvent::ReferralReceived,
        "already with children's social care"
    )]
    #[case::screen_twice(
        S::CfAssessment,
        CaseEvent::Screened(ScreeningOutcome::NoFurtherAction),
        "just been received"
    )]
    #[case::strategy_before_screening(
        S::ReferralReceived,
        CaseEvent::StrategyDiscussionHeld,
        "record the decision to hold a strategy discussion"
    )]
    #[case::strategy_during_s47(
        S::S47Enquiry,
        CaseEvent::StrategyDiscussionHeld,
        "the last one that started section 47 sets the conference target"
    )]
    #[case::strategy_on_plan(
        S::CpPlan,
        CaseEvent::StrategyDiscussionHeld,
        "record a further strategy discussion on the plan"
    )]
    #[case::strategy_from_concern(
        S::Concern,
        CaseEvent::StrategyDiscussionHeld,
        "needs a referral"
    )]
    #[case::transfer_in_without_plan(
        S::ReferralReceived,
        CaseEvent::ConferenceHeld(ConferenceKind::TransferIn),
        "moved permanently to another local authority"
    )]
    #[case::early_help_from_assessment(S::CfAssessment, CaseEvent::EarlyHelpAgreed, "RC9")]
    #[case::early_help_at_front_door(
        S::ReferralReceived,
        CaseEvent::EarlyHelpAgreed,
        "signpost to early help"
    )]
    #[case::looked_after_twice(
        S::LookedAfter,
        CaseEvent::BecameLookedAfter(LegalStatus::FullCareOrder),
        "change of legal status"
    )]
    #[case::after_nfa(
        S::Nfa,
        CaseEvent::BecameLookedAfter(LegalStatus::Section20Single),
        "new episode"
    )]
    #[case::after_closure(S::Closed, CaseEvent::ReferralReceived, "new episode")]
    #[case::core_group_without_plan(
        S::Icpc,
        CaseEvent::CoreGroupMet,
        "once a child protection plan has started"
    )]
    #[case::end_plan_without_plan(
        S::CinPlan,
        CaseEvent::CpPlanEnded(CpPlanEndReason::Reached18),
        "no child protection plan to end"
    )]
    #[case::further_strategy_before_any(
        S::StrategyDiscussion,
        CaseEvent::FurtherStrategyDiscussion,
        "record this one as a strategy discussion"
    )]
    #[case::further_strategy_on_cin_plan(
        S::CinPlan,
        CaseEvent::FurtherStrategyDiscussion,
        "record this one as a strategy discussion"
    )]
    #[case::protection_during_assessment(
        S::CfAssessment,
        CaseEvent::ProtectionTaken(ImmediateProtection::PoliceProtection),
        "needs immediate protection"
    )]
    fn refused(#[case] from: CaseState, #[case] event: CaseEvent, #[case] says: &str) {
        let err = transition(from, event).unwrap_err();
        assert_eq!(err, TransitionError { from, event });
        assert!(
            err.to_string().contains(says),
            "{from:?} + {event:?}: {err}"
        );
    }

    #[test]
    fn the_issue_examples_read_as_written() {
        assert_eq!(
            transition(
                S::S47Enquiry,
                CaseEvent::ConferenceHeld(ConferenceKind::Initial)
            )
            .unwrap_err()
            .to_string(),
            "An initial child protection conference needs a section 47 enquiry that found \
             continuing risk first"
        );
        assert_eq!(
            transition(S::S47Enquiry, CaseEvent::CpPlanStarted)
                .unwrap_err()
                .to_string(),
            "A child protection plan starts at an initial conference: hold the initial child \
             protection conference first"
        );
    }

    #[test]
    fn a_teachers_concern_to_a_reviewed_plan() {
        let steps = [
            (CaseEvent::ReferralReceived, S::ReferralReceived),
            (
                CaseEvent::Screened(ScreeningOutcome::StrategyDiscussion),
                S::StrategyDiscussion,
            ),
            (CaseEvent::from(StrategyOutcome::S47Enquiry), S::S47Enquiry),
            (CaseEvent::S47FoundContinuingRisk, S::IcpcPending),
            (CaseEvent::ConferenceHeld(ConferenceKind::Initial), S::Icpc),
            (CaseEvent::CpPlanStarted, S::CpPlan),
            (CaseEvent::CoreGroupMet, S::CpPlan),
            (CaseEvent::ConferenceHeld(ConferenceKind::Review), S::Rcpc),
            (CaseEvent::PlanContinued, S::CpPlan),
            (CaseEvent::ConferenceHeld(ConferenceKind::Review), S::Rcpc),
            (
                CaseEvent::CpPlanEnded(CpPlanEndReason::NoLongerAtRisk),
                S::CpPlanEnded,
            ),
            (CaseEvent::CinPlanStarted, S::CinPlan),
            (CaseEvent::Closed(ClosureReason::ServicesCeased), S::Closed),
        ];
        let mut state = S::Concern;
        for (event, expected) in steps {
            state = transition(state, event).unwrap();
            assert_eq!(state, expected, "after {event}");
        }
    }

    #[rstest]
    #[case(StrategyOutcome::S47Enquiry, S::S47Enquiry)]
    #[case(StrategyOutcome::Assessment, S::CfAssessment)]
    #[case(StrategyOutcome::CinPlan, S::CinPlan)]
    fn strategy_outcomes_lead_where_the_spec_says(
        #[case] outcome: StrategyOutcome,
        #[case] to: CaseState,
    ) {
        assert_eq!(transition(S::StrategyDiscussion, outcome.into()), Ok(to));
    }

    #[rstest]
    #[case(AssessmentOutcome::CinPlan, S::CinPlan)]
    #[case(AssessmentOutcome::StrategyDiscussion, S::StrategyDiscussion)]
    #[case(AssessmentOutcome::CloseNoFurtherAction, S::Closed)]
    #[case(AssessmentOutcome::CloseEarlyHelp, S::Closed)]
    fn assessment_outcomes_lead_where_the_spec_says(
        #[case] outcome: AssessmentOutcome,
        #[case] to: CaseState,
    ) {
        assert_eq!(transition(S::CfAssessment, outcome.into()), Ok(to));
        if let Some(reason) = outcome.closure_reason() {
            assert_eq!(CaseEvent::from(outcome), CaseEvent::Closed(reason));
        }
    }

    #[test]
    fn only_continuing_risk_moves_an_enquiry_to_a_conference() {
        // The other two findings are followed by a CIN plan or closure.
        for outcome in S47Outcome::ALL {
            let next: BTreeSet<_> = allowed_events(S::S47Enquiry)
                .into_iter()
                .filter_map(|e| transition(S::S47Enquiry, e).ok())
                .collect();
            if outcome.leads_to_conference() {
                assert!(next.contains(&S::IcpcPending));
            } else {
                assert!(next.contains(&S::CinPlan) && next.contains(&S::Closed));
            }
        }
    }

    #[test]
    fn events_serialise_with_their_codes() {
        let e = CaseEvent::Screened(ScreeningOutcome::StrategyDiscussion);
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json, r#"{"event":"screened","code":"strategy_discussion"}"#);
        assert_eq!(serde_json::from_str::<CaseEvent>(&json).unwrap(), e);
        let closed = serde_json::to_string(&CaseEvent::Closed(ClosureReason::Adopted)).unwrap();
        assert_eq!(closed, r#"{"event":"closed","code":"RC1"}"#);
        assert_eq!(
            serde_json::to_string(&CaseEvent::CoreGroupMet).unwrap(),
            r#"{"event":"core_group_met"}"#
        );
        for e in CaseEvent::all() {
            let back: CaseEvent =
                serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
            assert_eq!(back, e);
            assert!(!e.to_string().is_empty());
        }
        assert_eq!(
            serde_json::to_string(&S::IcpcPending).unwrap(),
            r#""icpc_pending""#
        );
    }

    #[test]
    fn every_refusal_says_something() {
        for from in CaseState::ALL {
            for event in CaseEvent::all() {
                if let Err(e) = transition(*from, event) {
                    let msg = e.to_string();
                    assert!(msg.len() > 20, "{from:?} + {event:?}: {msg}");
                    assert!(
                        !msg.ends_with('.'),
                        "GOV.UK messages have no full stop: {msg}"
                    );
                }
            }
        }
    }

    fn any_event() -> impl Strategy<Value = CaseEvent> {
        let all = CaseEvent::all();
        (0..all.len()).prop_map(move |i| all[i])
    }

    proptest! {
        /// Whatever happens, a case only moves along spec edges, a refused event leaves it
        /// where it was, and nothing leaves a terminal state.
        #[test]
        fn random_histories_stay_on_spec_edges(events in proptest::collection::vec(any_event(), 0..60)) {
            let spec = spec_edges();
            let mut state = S::Concern;
            for e in events {
                match transition(state, e) {
                    Ok(to) => {
                        prop_assert!(spec.contains(&(state, to)), "{state:?} -> {to:?} by {e:?}");
                        prop_assert!(!state.is_terminal());
                        state = to;
                    }
                    Err(err) => prop_assert_eq!(err.from, state),
                }
            }
        }
    }
}
