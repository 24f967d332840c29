//! Who may do what to which record: `decide(actor, action, resource facts, context)` returns a
//! [`Decision`] that permits or denies, always with a reason a person can read in the audit log.
//!
//! This crate is pure and deny-by-default. It never loads anything: the use-case gathers the
//! facts (allocations, owning team, the child's setting) and passes them in, so every rule can be
//! tested as a table. A new [`Action`] is denied until a rule here permits it.
//!
//! The rules follow the security model in the architecture: a practitioner sees a child's record
//! only through a legitimate relationship (Working Together 2023 chapter 2 and the *Information
//! sharing advice for safeguarding practitioners* 2024: share what is necessary and proportionate,
//! with the people who need it).

use safeguard_domain::{AgencyId, AgencyKind, ApiScope, PractitionerId, Role, TeamId};

/// The practitioner asking, as the policy sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Who.
    pub practitioner: PractitionerId,
    /// Their agency.
    pub agency: AgencyId,
    /// What kind of agency that is.
    pub agency_kind: AgencyKind,
    /// Their team, if any.
    pub team: Option<TeamId>,
    /// Roles held.
    pub roles: Vec<Role>,
}

impl Actor {
    fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Roles that work with individual children in the local authority.
    fn is_la_case_worker(&self) -> bool {
        self.agency_kind == AgencyKind::LocalAuthority && LA_CASE_ROLES.iter().any(|r| self.has(*r))
    }
}

/// Local authority roles that work on children's cases.
const LA_CASE_ROLES: &[Role] = &[
    Role::FrontDoorWorker,
    Role::SocialWorker,
    Role::TeamManager,
    Role::ConferenceChair,
];

/// Roles that never see identities, only aggregates or accounts (architecture, security model).
const NO_CASE_DATA_ROLES: &[Role] = &[Role::SystemAdministrator, Role::Analyst];

/// What the actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Open a child's record.
    ViewChild,
    /// Change a child's record.
    EditChild,
    /// Record a new child.
    CreateChild,
    /// Search for children (results are then filtered by [`Action::ViewChild`]).
    SearchChildren,
    /// Manage agencies, teams, practitioners and roles.
    Administer,
    /// Record a concern in one's own setting's log.
    RecordConcern,
    /// Read a concern in a setting's log.
    ViewConcern,
    /// Refer a child to a local authority (from a concern, or directly).
    MakeReferral,
    /// Read a referral: its details, status and decision (never the case file).
    ViewReferral,
    /// Screen a local authority's referrals: the queue, matching, the decision, phone contacts.
    ScreenReferrals,
    /// Read the record of a strategy discussion or child protection conference (and the
    /// child's name needed to read it), not the rest of the case file.
    ViewMeeting,
    /// Look up the flag register by NHS number (a CP-IS query): the flag, whom to call and the
    /// last accesses, never the case file.
    LookUpFlags,
    /// Work a local authority's access notifications (its inbox), mark them seen or actioned,
    /// and read its flag coverage.
    ManageFlagNotices,
    /// Start an early help episode for a child (a step down, or an agency's own).
    StartEarlyHelp,
    /// Read an early help episode (and the child's name needed to read it), not the rest of
    /// the case file.
    ViewEarlyHelp,
    /// Record on an early help episode: assessment, plan, reviews, step up, closure.
    EditEarlyHelp,
}

/// What the policy needs to know about a child.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChildFacts {
    /// Practitioners allocated to the child.
    pub allocated: Vec<PractitionerId>,
    /// The LA team that owns the case.
    pub owning_team: Option<TeamId>,
    /// The setting the child attends.
    pub school: Option<AgencyId>,
}

/// What the policy needs to know about a concern in a setting's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConcernFacts {
    /// The setting whose log it is.
    pub setting: AgencyId,
    /// Who recorded it.
    pub recorded_by: PractitionerId,
}

/// What the policy needs to know about a referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferralFacts {
    /// The local authority referred to.
    pub la: AgencyId,
    /// Who referred, when they used Safeguard.
    pub referrer: Option<PractitionerId>,
    /// The referring agency.
    pub referrer_agency: Option<AgencyId>,
}

/// What the policy needs to know about the record of a meeting on a child's case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeetingFacts {
    /// The child the case is about.
    pub child: ChildFacts,
    /// The practitioners recorded as taking part, by their accounts.
    pub attendees: Vec<PractitionerId>,
}

/// What the policy needs to know about an early help episode.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EarlyHelpFacts {
    /// The child the episode is about.
    pub child: ChildFacts,
    /// The episode's lead practitioner.
    pub lead: Option<PractitionerId>,
}

/// The record the action is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource<'a> {
    /// A child's record.
    Child(&'a ChildFacts),
    /// A concern in a setting's log.
    Concern(&'a ConcernFacts),
    /// A referral.
    Referral(&'a ReferralFacts),
    /// A local authority's front door (its queue of referrals).
    FrontDoor(AgencyId),
    /// The record of a strategy discussion or conference.
    Meeting(&'a MeetingFacts),
    /// An early help episode.
    EarlyHelp(&'a EarlyHelpFacts),
    /// The system as a whole (administration, search, creating records).
    System,
}

/// Circumstances of the request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Context {
    /// The account signed in with an active session (not an API token or the CLI).
    pub interactive: bool,
}

/// The answer, with the reason recorded in the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Allowed, because ...
    Permit(&'static str),
    /// Refused, because ...
    Deny(&'static str),
}

impl Decision {
    /// True when permitted.
    pub fn is_permit(self) -> bool {
        matches!(self, Decision::Permit(_))
    }
    /// The reason either way.
    pub fn reason(self) -> &'static str {
        match self {
            Decision::Permit(r) | Decision::Deny(r) => r,
        }
    }
    /// `permit` or `deny`, as written to the audit log.
    pub fn code(self) -> &'static str {
        match self {
            Decision::Permit(_) => "permit",
            Decision::Deny(_) => "deny",
        }
    }
}

/// Decides. Deny unless a rule below permits.
pub fn decide(actor: &Actor, action: Action, resource: Resource<'_>, _ctx: &Context) -> Decision {
    match (action, resource) {
        (Action::Administer, _) => {
            if actor.has(Role::SystemAdministrator) {
                Decision::Permit("administrator")
            } else {
                Decision::Deny("administration is for administrators")
            }
        }
        (Action::ViewChild | Action::EditChild, Resource::Child(facts)) => {
            child_access(actor, facts)
        }
        (Action::SearchChildren, _) => {
            if let Some(d) = no_case_data(actor) {
                d
            } else if actor.is_la_case_worker() || actor.has(Role::DesignatedSafeguardingLead) {
                Decision::Permit(
                    "practitioner with case work; results limited to children they may see",
                )
            } else {
                Decision::Deny("this role does not search children's records")
            }
        }
        (Action::CreateChild, _) => {
            if let Some(d) = no_case_data(actor) {
                d
            } else if actor.is_la_case_worker() {
                Decision::Permit("local authority case worker")
            } else {
                Decision::Deny("only local authority case workers record new children")
            }
        }
        (Action::RecordConcern | Action::MakeReferral, Resource::System) => {
            if let Some(d) = no_case_data(actor) {
                d
            } else if actor.roles.is_empty() {
                Decision::Deny("an account with no role cannot record concerns")
            } else {
                // WT 2023 ch 3: anyone with a concern about a child's welfare should refer.
                Decision::Permit("any practitioner may record a concern and refer")
            }
        }
        (Action::ViewConcern | Action::MakeReferral, Resource::Concern(c)) => {
            if let Some(d) = no_case_data(actor) {
                d
            } else if c.recorded_by == actor.practitioner {
                Decision::Permit("you recorded this concern")
            } else if actor.has(Role::DesignatedSafeguardingLead) && actor.agency == c.setting {
                Decision::Permit("designated safeguarding lead for the setting")
            } else {
                Decision::Deny(
                    "concerns are seen by the person who recorded them and their setting's DSL",
                )
            }
        }
        (Action::ViewReferral, Resource::Referral(r)) => {
            if let Some(d) = no_case_data(actor) {
                d
            } else if r.referrer == Some(actor.practitioner) {
                Decision::Permit("you made this referral")
            } else if is_front_door(actor, r.la) {
                Decision::Permit("front door of the local authority referred to")
            } else if actor.has(Role::DesignatedSafeguardingLead)
                && r.referrer_agency == Some(actor.agency)
            {
                Decision::Permit("designated safeguarding lead for the referring setting")
            } else {
                Decision::Deny(
                    "a referral is seen by its referrer, their DSL and the local authority's front door",
                )
            }
        }
        (
            Action::ScreenReferrals,
            Resource::Referral(&ReferralFacts { la, .. }) | Resource::FrontDoor(la),
        ) => {
            if is_front_door(actor, la) {
                Decision::Permit("front door of the local authority")
            } else {
                Decision::Deny("screening is for the local authority's front door and its managers")
            }
        }
        (Action::ViewMeeting, Resource::Meeting(m)) => {
            let case = child_access(actor, &m.child);
            if case.is_permit() || no_case_data(actor).is_some() {
                case
            } else if m.attendees.contains(&actor.practitioner) {
                // Architecture, security model: "member of the strategy discussion"; issue 3:
                // "strategy discussion and conference attendees see what they were part of".
                Decision::Permit("you took part in this meeting")
            } else {
                Decision::Deny(
                    "a meeting's record is seen by those who work on the case and the people who took part",
                )
            }
        }
        (Action::LookUpFlags, Resource::System) => {
            if let Some(d) = no_case_data(actor) {
                d
            } else if actor.has(Role::UnscheduledCareClinician)
                && is_health_setting(actor.agency_kind)
            {
                // Spec §6.2: unscheduled-care settings query CP-IS (EDs, walk-in centres, MIUs,
                // GP out-of-hours, 111, ambulance, maternity).
                Decision::Permit("unscheduled-care clinician in a health setting")
            } else {
                Decision::Deny(
                    "the flag register is for clinicians in unscheduled-care health settings",
                )
            }
        }
        (Action::ManageFlagNotices, Resource::FrontDoor(la)) => {
            if is_front_door(actor, la) {
                // Spec §6.3: notifications are a trigger for the LA to follow up why the child
                // presented.
                Decision::Permit("front door of the local authority told of the access")
            } else {
                Decision::Deny(
                    "access notifications are for the local authority's front door and its managers",
                )
            }
        }
        // Early help may be started by anyone who works with the child: the case worker who
        // steps it down, or the DSL of the child's setting for a concern below the threshold
        // (spec §1.4 CONCERN -> EARLY_HELP; WT 2023 ch 2: a lead practitioner from any agency).
        (Action::StartEarlyHelp, Resource::Child(facts)) => child_access(actor, facts),
        (Action::ViewEarlyHelp | Action::EditEarlyHelp, Resource::EarlyHelp(e)) => {
            let case = child_access(actor, &e.child);
            if case.is_permit() || no_case_data(actor).is_some() {
                case
            } else if e.lead == Some(actor.practitioner) {
                // Issue 3: the lead practitioner (in a school, health or the voluntary sector)
                // sees the episode they lead, and nothing else of the case file.
                Decision::Permit("lead practitioner of this early help episode")
            } else {
                Decision::Deny(
                    "an early help episode is seen by its lead practitioner and those who work on the case",
                )
            }
        }
        (
            Action::ViewChild | Action::EditChild | Action::StartEarlyHelp,
            Resource::System
            | Resource::Concern(_)
            | Resource::Referral(_)
            | Resource::FrontDoor(_)
            | Resource::Meeting(_)
            | Resource::EarlyHelp(_),
        ) => Decision::Deny("no child named"),
        (
            Action::RecordConcern
            | Action::ViewConcern
            | Action::MakeReferral
            | Action::ViewReferral
            | Action::ScreenReferrals
            | Action::ViewMeeting
            | Action::LookUpFlags
            | Action::ManageFlagNotices
            | Action::ViewEarlyHelp
            | Action::EditEarlyHelp,
            _,
        ) => Decision::Deny("this action does not apply to that record"),
    }
}

/// An agency system calling the API with a token, as the policy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemActor {
    /// The agency whose system holds the token.
    pub agency: AgencyId,
    /// What kind of agency that is.
    pub agency_kind: AgencyKind,
    /// The token's scopes (a revoked token never gets this far).
    pub scopes: Vec<ApiScope>,
}

/// Decides for an agency system. Deny unless its token holds the scope the action needs and
/// the record is its agency's own. A system never reads a child's record, a concern, a
/// meeting or a local authority's queue: those are for people with a relationship to the child.
pub fn decide_system(actor: &SystemActor, action: Action, resource: Resource<'_>) -> Decision {
    let has = |scope: ApiScope| actor.scopes.contains(&scope);
    match (action, resource) {
        (Action::MakeReferral, Resource::System) => {
            if has(ApiScope::ReferralsWrite) {
                // WT 2023 ch 3: anyone with a concern about a child's welfare should refer.
                Decision::Permit("agency system with the referrals:write scope")
            } else {
                Decision::Deny("the token does not hold the referrals:write scope")
            }
        }
        (Action::ViewReferral, Resource::Referral(r)) => {
            if !has(ApiScope::ReferralsWrite) {
                Decision::Deny("the token does not hold the referrals:write scope")
            } else if r.referrer_agency == Some(actor.agency) {
                Decision::Permit("the referring agency's own referral")
            } else {
                Decision::Deny("a referral is visible to the referring agency only")
            }
        }
        (Action::LookUpFlags, Resource::System) => {
            if has(ApiScope::FlagsRead) {
                // Spec §6.2, §6.4: the health setting's system queries CP-IS on the setting's
                // behalf, so the setting must be one that gives health care.
                decide_setting(actor.agency_kind, Action::LookUpFlags)
            } else {
                Decision::Deny("the token does not hold the flags:read scope")
            }
        }
        _ => Decision::Deny("agency systems cannot do this through the API"),
    }
}

/// An organisation's system calling with no practitioner named (an API token of the agency):
/// only the flag lookup, and only for a health setting (spec §6.2, §6.4: the NHS system queries
/// on the setting's behalf). Everything else needs a practitioner.
pub fn decide_setting(agency_kind: AgencyKind, action: Action) -> Decision {
    match action {
        Action::LookUpFlags if is_health_setting(agency_kind) => {
            Decision::Permit("health setting's system")
        }
        Action::LookUpFlags => {
            Decision::Deny("the flag register is for unscheduled-care health settings")
        }
        Action::ViewChild
        | Action::EditChild
        | Action::CreateChild
        | Action::SearchChildren
        | Action::Administer
        | Action::RecordConcern
        | Action::ViewConcern
        | Action::MakeReferral
        | Action::ViewReferral
        | Action::ScreenReferrals
        | Action::ViewMeeting
        | Action::ManageFlagNotices
        | Action::StartEarlyHelp
        | Action::ViewEarlyHelp
        | Action::EditEarlyHelp => Decision::Deny("this needs a practitioner"),
    }
}

/// The kinds of agency that give unscheduled (and scheduled) health care (spec §6.2).
fn is_health_setting(kind: AgencyKind) -> bool {
    matches!(kind, AgencyKind::NhsTrust | AgencyKind::GpPractice)
}

/// Front-door workers and team managers of the local authority `la` (WT 2023 ch 3: the LA
/// decides on a referral within one working day).
fn is_front_door(actor: &Actor, la: AgencyId) -> bool {
    actor.agency_kind == AgencyKind::LocalAuthority
        && actor.agency == la
        && (actor.has(Role::FrontDoorWorker) || actor.has(Role::TeamManager))
}

/// Administrators and analysts read no case data unless they also hold a case role
/// (architecture, security model: "analysts see aggregates, never identities").
fn no_case_data(actor: &Actor) -> Option<Decision> {
    let only_non_case =
        !actor.roles.is_empty() && actor.roles.iter().all(|r| NO_CASE_DATA_ROLES.contains(r));
    if !only_non_case {
        return None;
    }
    Some(if actor.has(Role::SystemAdministrator) {
        Decision::Deny("administrators cannot read case data")
    } else {
        Decision::Deny("analysts see aggregates, never identities")
    })
}

fn child_access(actor: &Actor, facts: &ChildFacts) -> Decision {
    if let Some(d) = no_case_data(actor) {
        return d;
    }
    if facts.allocated.contains(&actor.practitioner) {
        return Decision::Permit("allocated worker");
    }
    if actor.is_la_case_worker() && actor.team.is_some() && actor.team == facts.owning_team {
        return Decision::Permit("member of the team that owns the case");
    }
    if actor.has(Role::DesignatedSafeguardingLead) && facts.school == Some(actor.agency) {
        return Decision::Permit("designated safeguarding lead for the child's setting");
    }
    Decision::Deny("no legitimate relationship to this child")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    struct World {
        la: AgencyId,
        school: AgencyId,
        other_school: AgencyId,
        team: TeamId,
        other_team: TeamId,
        me: PractitionerId,
        facts: ChildFacts,
    }

    fn world() -> World {
        let la = AgencyId::new();
        let school = AgencyId::new();
        let team = TeamId::new();
        let me = PractitionerId::new();
        World {
            la,
            school,
            other_school: AgencyId::new(),
            team,
            other_team: TeamId::new(),
            me,
            facts: ChildFacts {
                allocated: vec![],
                owning_team: Some(team),
                school: Some(school),
            },
        }
    }

    #[derive(Clone, Copy, Debug)]
    enum Who {
        AllocatedSocialWorker,
        OwningTeamSocialWorker,
        OtherTeamSocialWorker,
        TeamlessSocialWorker,
        OwningTeamManager,
        DslOfSetting,
        DslOfOtherSetting,
        TeacherOfSetting,
        Admin,
        AllocatedAdmin,
        AdminWhoIsAlsoAllocatedSocialWorker,
        Analyst,
        NoRoles,
        PoliceLead,
        Clinician,
    }

    fn actor(w: &World, who: Who) -> Actor {
        let la = |roles: Vec<Role>, team: Option<TeamId>| Actor {
            practitioner: w.me,
            agency: w.la,
            agency_kind: AgencyKind::LocalAuthority,
            team,
            roles,
        };
        let setting = |roles: Vec<Role>, agency: AgencyId| Actor {
            practitioner: w.me,
            agency,
            agency_kind: AgencyKind::School,
            team: None,
            roles,
        };
        match who {
            Who::AllocatedSocialWorker => la(vec![Role::SocialWorker], Some(w.other_team)),
            Who::OwningTeamSocialWorker => la(vec![Role::SocialWorker], Some(w.team)),
            Who::OtherTeamSocialWorker => la(vec![Role::SocialWorker], Some(w.other_team)),
            Who::TeamlessSocialWorker => la(vec![Role::SocialWorker], None),
            Who::OwningTeamManager => la(vec![Role::TeamManager], Some(w.team)),
            Who::DslOfSetting => setting(vec![Role::DesignatedSafeguardingLead], w.school),
            Who::DslOfOtherSetting => {
                setting(vec![Role::DesignatedSafeguardingLead], w.other_school)
            }
            Who::TeacherOfSetting => setting(vec![Role::Referrer], w.school),
            Who::Admin | Who::AllocatedAdmin => la(vec![Role::SystemAdministrator], Some(w.team)),
            Who::AdminWhoIsAlsoAllocatedSocialWorker => la(
                vec![Role::SystemAdministrator, Role::SocialWorker],
                Some(w.other_team),
            ),
            Who::Analyst => la(vec![Role::Analyst], Some(w.team)),
            Who::NoRoles => la(vec![], Some(w.team)),
            Who::PoliceLead => Actor {
                agency_kind: AgencyKind::PoliceForce,
                ..la(vec![Role::PoliceSafeguardingLead], None)
            },
            Who::Clinician => Actor {
                agency_kind: AgencyKind::NhsTrust,
                ..la(vec![Role::UnscheduledCareClinician], None)
            },
        }
    }

    fn facts_for(w: &World, who: Who) -> ChildFacts {
        let mut f = w.facts.clone();
        if matches!(
            who,
            Who::AllocatedSocialWorker
                | Who::AllocatedAdmin
                | Who::AdminWhoIsAlsoAllocatedSocialWorker
        ) {
            f.allocated.push(w.me);
        }
        f
    }

    #[rstest]
    #[case(Who::AllocatedSocialWorker, Some("allocated worker"))]
    #[case(
        Who::OwningTeamSocialWorker,
        Some("member of the team that owns the case")
    )]
    #[case(Who::OwningTeamManager, Some("member of the team that owns the case"))]
    #[case(Who::OtherTeamSocialWorker, None)]
    #[case(Who::TeamlessSocialWorker, None)]
    #[case(
        Who::DslOfSetting,
        Some("designated safeguarding lead for the child's setting")
    )]
    #[case(Who::DslOfOtherSetting, None)]
    #[case(Who::TeacherOfSetting, None)]
    #[case(Who::Admin, None)]
    #[case(Who::AllocatedAdmin, None)]
    #[case(Who::AdminWhoIsAlsoAllocatedSocialWorker, Some("allocated worker"))]
    #[case(Who::Analyst, None)]
    #[case(Who::NoRoles, None)]
    #[case(Who::PoliceLead, None)]
    #[case(Who::Clinician, None)]
    fn viewing_and_editing_a_child_needs_a_relationship(
        #[case] who: Who,
        #[case] permitted_because: Option<&'static str>,
    ) {
        let w = world();
        let a = actor(&w, who);
        let facts = facts_for(&w, who);
        for action in [Action::ViewChild, Action::EditChild] {
            let d = decide(&a, action, Resource::Child(&facts), &Context::default());
            match permitted_because {
                Some(reason) => assert_eq!(d, Decision::Permit(reason), "{who:?} {action:?}"),
                None => assert!(!d.is_permit(), "{who:?} {action:?} was permitted: {d:?}"),
            }
        }
    }

    #[rstest]
    #[case(Who::Admin, "administrators cannot read case data")]
    #[case(Who::AllocatedAdmin, "administrators cannot read case data")]
    #[case(Who::Analyst, "analysts see aggregates, never identities")]
    #[case(Who::OtherTeamSocialWorker, "no legitimate relationship to this child")]
    fn denials_say_why(#[case] who: Who, #[case] reason: &'static str) {
        let w = world();
        let facts = facts_for(&w, who);
        let d = decide(
            &actor(&w, who),
            Action::ViewChild,
            Resource::Child(&facts),
            &Context::default(),
        );
        assert_eq!(d, Decision::Deny(reason));
    }

    #[rstest]
    #[case(Who::Admin, true)]
    #[case(Who::AdminWhoIsAlsoAllocatedSocialWorker, true)]
    #[case(Who::OwningTeamManager, false)]
    #[case(Who::DslOfSetting, false)]
    #[case(Who::Analyst, false)]
    #[case(Who::NoRoles, false)]
    fn administration_is_for_administrators(#[case] who: Who, #[case] permitted: bool) {
        let w = world();
        let d = decide(
            &actor(&w, who),
            Action::Administer,
            Resource::System,
            &Context::default(),
        );
        assert_eq!(d.is_permit(), permitted, "{d:?}");
    }

    #[rstest]
    #[case(Who::OwningTeamSocialWorker, true, true)]
    #[case(Who::TeamlessSocialWorker, true, true)]
    #[case(Who::OwningTeamManager, true, true)]
    #[case(Who::DslOfSetting, true, false)]
    #[case(Who::TeacherOfSetting, false, false)]
    #[case(Who::Admin, false, false)]
    #[case(Who::Analyst, false, false)]
    #[case(Who::PoliceLead, false, false)]
    #[case(Who::Clinician, false, false)]
    #[case(Who::NoRoles, false, false)]
    fn search_and_create(#[case] who: Who, #[case] search: bool, #[case] create: bool) {
        let w = world();
        let a = actor(&w, who);
        let ctx = Context::default();
        assert_eq!(
            decide(&a, Action::SearchChildren, Resource::System, &ctx).is_permit(),
            search
        );
        assert_eq!(
            decide(&a, Action::CreateChild, Resource::System, &ctx).is_permit(),
            create
        );
    }

    #[test]
    fn a_child_action_without_a_child_is_denied() {
        let w = world();
        let a = actor(&w, Who::OwningTeamSocialWorker);
        let d = decide(&a, Action::ViewChild, Resource::System, &Context::default());
        assert_eq!(d, Decision::Deny("no child named"));
    }

    fn concern_and_referral(
        w: &World,
        recorded_by: PractitionerId,
    ) -> (ConcernFacts, ReferralFacts) {
        (
            ConcernFacts {
                setting: w.school,
                recorded_by,
            },
            ReferralFacts {
                la: w.la,
                referrer: Some(recorded_by),
                referrer_agency: Some(w.school),
            },
        )
    }

    #[rstest]
    // The teacher who recorded it, as the "me" of the world.
    #[case(Who::TeacherOfSetting, true, true, true, false)]
    // Everyone else records with a different "me": the world's practitioner is the actor, so
    // build the facts with someone else as recorder below.
    fn the_recorder_sees_their_own_concern_and_referral(
        #[case] who: Who,
        #[case] concern: bool,
        #[case] refer: bool,
        #[case] referral: bool,
        #[case] screen: bool,
    ) {
        let w = world();
        let a = actor(&w, who);
        let (c, r) = concern_and_referral(&w, w.me);
        let ctx = Context::default();
        assert_eq!(
            decide(&a, Action::ViewConcern, Resource::Concern(&c), &ctx).is_permit(),
            concern
        );
        assert_eq!(
            decide(&a, Action::MakeReferral, Resource::Concern(&c), &ctx).is_permit(),
            refer
        );
        assert_eq!(
            decide(&a, Action::ViewReferral, Resource::Referral(&r), &ctx).is_permit(),
            referral
        );
        assert_eq!(
            decide(&a, Action::ScreenReferrals, Resource::Referral(&r), &ctx).is_permit(),
            screen
        );
    }

    #[rstest]
    #[case(
        Who::DslOfSetting,
        true,
        true,
        false,
        "designated safeguarding lead for the setting"
    )]
    #[case(Who::DslOfOtherSetting, false, false, false, "")]
    #[case(Who::TeacherOfSetting, false, false, false, "")]
    #[case(Who::OwningTeamManager, false, true, true, "")]
    #[case(Who::OwningTeamSocialWorker, false, false, false, "")]
    #[case(Who::Admin, false, false, false, "")]
    #[case(Who::PoliceLead, false, false, false, "")]
    fn others_see_concerns_and_referrals_by_their_role(
        #[case] who: Who,
        #[case] concern: bool,
        #[case] referral: bool,
        #[case] screen: bool,
        #[case] concern_reason: &'static str,
    ) {
        let w = world();
        let a = actor(&w, who);
        let (c, r) = concern_and_referral(&w, PractitionerId::new());
        let ctx = Context::default();
        let d = decide(&a, Action::ViewConcern, Resource::Concern(&c), &ctx);
        assert_eq!(d.is_permit(), concern, "{who:?} concern {d:?}");
        if concern {
            assert_eq!(d.reason(), concern_reason);
        }
        let d = decide(&a, Action::ViewReferral, Resource::Referral(&r), &ctx);
        assert_eq!(d.is_permit(), referral, "{who:?} referral {d:?}");
        let d = decide(&a, Action::ScreenReferrals, Resource::FrontDoor(w.la), &ctx);
        assert_eq!(d.is_permit(), screen, "{who:?} screen {d:?}");
        // Another LA's front door is never this one's.
        let d = decide(
            &a,
            Action::ScreenReferrals,
            Resource::FrontDoor(AgencyId::new()),
            &ctx,
        );
        assert!(!d.is_permit());
    }

    #[rstest]
    #[case(Who::TeacherOfSetting, true)]
    #[case(Who::PoliceLead, true)]
    #[case(Who::Clinician, true)]
    #[case(Who::OwningTeamSocialWorker, true)]
    #[case(Who::Admin, false)]
    #[case(Who::Analyst, false)]
    #[case(Who::NoRoles, false)]
    fn any_practitioner_records_concerns_and_refers(#[case] who: Who, #[case] permitted: bool) {
        let w = world();
        let a = actor(&w, who);
        let ctx = Context::default();
        assert_eq!(
            decide(&a, Action::RecordConcern, Resource::System, &ctx).is_permit(),
            permitted
        );
        assert_eq!(
            decide(&a, Action::MakeReferral, Resource::System, &ctx).is_permit(),
            permitted
        );
    }

    #[derive(Clone, Copy, Debug)]
    enum Attended {
        Yes,
        No,
    }

    #[rstest]
    #[case(Who::PoliceLead, Attended::Yes, Some("you took part in this meeting"))]
    #[case(Who::Clinician, Attended::Yes, Some("you took part in this meeting"))]
    #[case(
        Who::TeacherOfSetting,
        Attended::Yes,
        Some("you took part in this meeting")
    )]
    #[case(
        Who::OtherTeamSocialWorker,
        Attended::Yes,
        Some("you took part in this meeting")
    )]
    #[case(Who::AllocatedSocialWorker, Attended::No, Some("allocated worker"))]
    #[case(
        Who::OwningTeamManager,
        Attended::No,
        Some("member of the team that owns the case")
    )]
    #[case(
        Who::DslOfSetting,
        Attended::No,
        Some("designated safeguarding lead for the child's setting")
    )]
    #[case(Who::PoliceLead, Attended::No, None)]
    #[case(Who::Clinician, Attended::No, None)]
    #[case(Who::TeacherOfSetting, Attended::No, None)]
    #[case(Who::OtherTeamSocialWorker, Attended::No, None)]
    #[case(Who::DslOfOtherSetting, Attended::No, None)]
    #[case(Who::Admin, Attended::Yes, None)]
    #[case(Who::Analyst, Attended::Yes, None)]
    #[case(Who::NoRoles, Attended::No, None)]
    fn attendees_see_the_meeting_they_took_part_in(
        #[case] who: Who,
        #[case] attended: Attended,
        #[case] permitted_because: Option<&'static str>,
    ) {
        let w = world();
        let a = actor(&w, who);
        let mut m = MeetingFacts {
            child: facts_for(&w, who),
            attendees: vec![PractitionerId::new()],
        };
        if matches!(attended, Attended::Yes) {
            m.attendees.push(w.me);
        }
        let ctx = Context::default();
        let d = decide(&a, Action::ViewMeeting, Resource::Meeting(&m), &ctx);
        match permitted_because {
            Some(reason) => assert_eq!(d, Decision::Permit(reason), "{who:?}"),
            None => assert!(!d.is_permit(), "{who:?} was permitted: {d:?}"),
        }
        // Taking part in a meeting never opens the case file itself.
        if matches!(
            who,
            Who::PoliceLead | Who::Clinician | Who::TeacherOfSetting
        ) {
            let child = decide(&a, Action::ViewChild, Resource::Child(&m.child), &ctx);
            assert!(!child.is_permit(), "{who:?} sees the whole case: {child:?}");
        }
    }

    #[test]
    fn a_meeting_denial_says_who_may_see_it() {
        let w = world();
        let m = MeetingFacts {
            child: w.facts.clone(),
            attendees: vec![],
        };
        let d = decide(
            &actor(&w, Who::PoliceLead),
            Action::ViewMeeting,
            Resource::Meeting(&m),
            &Context::default(),
        );
        assert_eq!(
            d,
            Decision::Deny(
                "a meeting's record is seen by those who work on the case and the people who took part"
            )
        );
        // Administrators are refused even if listed.
        let m = MeetingFacts {
            child: w.facts.clone(),
            attendees: vec![w.me],
        };
        let d = decide(
            &actor(&w, Who::Admin),
            Action::ViewMeeting,
            Resource::Meeting(&m),
            &Context::default(),
        );
        assert_eq!(d, Decision::Deny("administrators cannot read case data"));
        // The action needs a meeting.
        let d = decide(
            &actor(&w, Who::PoliceLead),
            Action::ViewMeeting,
            Resource::System,
            &Context::default(),
        );
        assert!(!d.is_permit());
    }

    #[rstest]
    #[case(Who::Clinician, Some("unscheduled-care clinician in a health setting"))]
    #[case(Who::OwningTeamSocialWorker, None)]
    #[case(Who::OwningTeamManager, None)]
    #[case(Who::PoliceLead, None)]
    #[case(Who::TeacherOfSetting, None)]
    #[case(Who::DslOfSetting, None)]
    #[case(Who::Admin, None)]
    #[case(Who::Analyst, None)]
    #[case(Who::NoRoles, None)]
    fn only_unscheduled_care_clinicians_look_up_flags(
        #[case] who: Who,
        #[case] permitted_because: Option<&'static str>,
    ) {
        let w = world();
        let a = actor(&w, who);
        let ctx = Context::default();
        let d = decide(&a, Action::LookUpFlags, Resource::System, &ctx);
        match permitted_because {
            Some(reason) => assert_eq!(d, Decision::Permit(reason), "{who:?}"),
            None => assert!(!d.is_permit(), "{who:?} was permitted: {d:?}"),
        }
        // Seeing the flag never opens the case file, nor the LA's inbox.
        let child = decide(&a, Action::ViewChild, Resource::Child(&w.facts), &ctx);
        if matches!(who, Who::Clinician) {
            assert!(!child.is_permit());
            let inbox = decide(
                &a,
                Action::ManageFlagNotices,
                Resource::FrontDoor(w.la),
                &ctx,
            );
            assert!(!inbox.is_permit());
        }
    }

    #[test]
    fn a_clinician_outside_a_health_setting_is_refused() {
        let w = world();
        let a = Actor {
            agency_kind: AgencyKind::School,
            ..actor(&w, Who::Clinician)
        };
        let d = decide(
            &a,
            Action::LookUpFlags,
            Resource::System,
            &Context::default(),
        );
        assert!(!d.is_permit());
        let d = decide(
            &actor(&w, Who::Clinician),
            Action::LookUpFlags,
            Resource::FrontDoor(w.la),
            &Context::default(),
        );
        assert!(!d.is_permit(), "the lookup names no record");
    }

    #[rstest]
    #[case(Who::OwningTeamManager, true)]
    #[case(Who::OwningTeamSocialWorker, false)]
    #[case(Who::Clinician, false)]
    #[case(Who::Admin, false)]
    #[case(Who::PoliceLead, false)]
    fn the_las_front_door_and_managers_work_its_inbox(#[case] who: Who, #[case] permitted: bool) {
        let w = world();
        let ctx = Context::default();
        let a = actor(&w, who);
        let d = decide(
            &a,
            Action::ManageFlagNotices,
            Resource::FrontDoor(w.la),
            &ctx,
        );
        assert_eq!(d.is_permit(), permitted, "{who:?}: {d:?}");
        // Never another LA's inbox.
        let other = decide(
            &a,
            Action::ManageFlagNotices,
            Resource::FrontDoor(AgencyId::new()),
            &ctx,
        );
        assert!(!other.is_permit());
        let front_door = Actor {
            roles: vec![Role::FrontDoorWorker],
            ..actor(&w, Who::OwningTeamSocialWorker)
        };
        assert!(
            decide(
                &front_door,
                Action::ManageFlagNotices,
                Resource::FrontDoor(w.la),
                &ctx
            )
            .is_permit()
        );
    }

    #[rstest]
    #[case(AgencyKind::NhsTrust, Action::LookUpFlags, true)]
    #[case(AgencyKind::GpPractice, Action::LookUpFlags, true)]
    #[case(AgencyKind::School, Action::LookUpFlags, false)]
    #[case(AgencyKind::LocalAuthority, Action::LookUpFlags, false)]
    #[case(AgencyKind::NhsTrust, Action::ViewChild, false)]
    #[case(AgencyKind::LocalAuthority, Action::ManageFlagNotices, false)]
    fn a_settings_system_only_looks_up_flags(
        #[case] kind: AgencyKind,
        #[case] action: Action,
        #[case] permitted: bool,
    ) {
        assert_eq!(decide_setting(kind, action).is_permit(), permitted);
    }

    #[rstest]
    #[case(AgencyKind::NhsTrust, vec![ApiScope::FlagsRead], true)]
    #[case(AgencyKind::GpPractice, vec![ApiScope::FlagsRead, ApiScope::ReferralsWrite], true)]
    #[case(AgencyKind::NhsTrust, vec![ApiScope::ReferralsWrite], false)]
    #[case(AgencyKind::NhsTrust, vec![ApiScope::FlagsWrite], false)]
    #[case(AgencyKind::School, vec![ApiScope::FlagsRead], false)]
    #[case(AgencyKind::LocalAuthority, vec![ApiScope::FlagsRead], false)]
    fn a_system_looks_up_flags_with_the_scope_from_a_health_setting(
        #[case] kind: AgencyKind,
        #[case] scopes: Vec<ApiScope>,
        #[case] permitted: bool,
    ) {
        let system = SystemActor {
            agency: AgencyId::new(),
            agency_kind: kind,
            scopes,
        };
        let d = decide_system(&system, Action::LookUpFlags, Resource::System);
        assert_eq!(d.is_permit(), permitted, "{d:?}");
    }

    #[test]
    fn decisions_have_audit_codes() {
        assert_eq!(Decision::Permit("x").code(), "permit");
        assert_eq!(Decision::Deny("y").code(), "deny");
        assert_eq!(Decision::Deny("y").reason(), "y");
    }

    #[test]
    fn agency_systems_need_the_scope_and_see_only_their_own_referrals() {
        let mine = AgencyId::new();
        let system = |scopes: Vec<ApiScope>| SystemActor {
            agency: mine,
            agency_kind: AgencyKind::School,
            scopes,
        };
        let writer = system(vec![ApiScope::ReferralsWrite]);
        let flags_only = system(vec![ApiScope::FlagsRead]);
        assert!(decide_system(&writer, Action::MakeReferral, Resource::System).is_permit());
        assert_eq!(
            decide_system(&flags_only, Action::MakeReferral, Resource::System),
            Decision::Deny("the token does not hold the referrals:write scope")
        );
        let own = ReferralFacts {
            la: AgencyId::new(),
            referrer: None,
            referrer_agency: Some(mine),
        };
        let others = ReferralFacts {
            referrer_agency: Some(AgencyId::new()),
            ..own
        };
        let phoned_in = ReferralFacts {
            referrer_agency: None,
            ..own
        };
        assert!(decide_system(&writer, Action::ViewReferral, Resource::Referral(&own)).is_permit());
        for facts in [&others, &phoned_in] {
            assert_eq!(
                decide_system(&writer, Action::ViewReferral, Resource::Referral(facts)),
                Decision::Deny("a referral is visible to the referring agency only")
            );
        }
        assert!(
            !decide_system(&flags_only, Action::ViewReferral, Resource::Referral(&own)).is_permit()
        );
        let w = world();
        for action in [
            Action::ViewChild,
            Action::ScreenReferrals,
            Action::ViewConcern,
        ] {
            assert!(
                !decide_system(&writer, action, Resource::Child(&w.facts)).is_permit(),
                "{action:?}"
            );
        }
        assert!(
            !decide_system(&writer, Action::ScreenReferrals, Resource::FrontDoor(w.la)).is_permit()
        );
    }

    #[rstest]
    #[case(
        Who::TeacherOfSetting,
        true,
        Some("lead practitioner of this early help episode")
    )]
    #[case(
        Who::PoliceLead,
        true,
        Some("lead practitioner of this early help episode")
    )]
    #[case(
        Who::Clinician,
        true,
        Some("lead practitioner of this early help episode")
    )]
    #[case(Who::AllocatedSocialWorker, false, Some("allocated worker"))]
    #[case(
        Who::OwningTeamSocialWorker,
        false,
        Some("member of the team that owns the case")
    )]
    #[case(
        Who::DslOfSetting,
        false,
        Some("designated safeguarding lead for the child's setting")
    )]
    #[case(Who::TeacherOfSetting, false, None)]
    #[case(Who::PoliceLead, false, None)]
    #[case(Who::OtherTeamSocialWorker, false, None)]
    #[case(Who::DslOfOtherSetting, false, None)]
    #[case(Who::Admin, true, None)]
    #[case(Who::Analyst, true, None)]
    #[case(Who::NoRoles, false, None)]
    fn the_lead_practitioner_sees_the_episode_they_lead_and_nothing_else(
        #[case] who: Who,
        #[case] leads: bool,
        #[case] permitted_because: Option<&'static str>,
    ) {
        let w = world();
        let a = actor(&w, who);
        let e = EarlyHelpFacts {
            child: facts_for(&w, who),
            lead: Some(if leads { w.me } else { PractitionerId::new() }),
        };
        let ctx = Context::default();
        for action in [Action::ViewEarlyHelp, Action::EditEarlyHelp] {
            let d = decide(&a, action, Resource::EarlyHelp(&e), &ctx);
            match permitted_because {
                Some(reason) => assert_eq!(d, Decision::Permit(reason), "{who:?} {action:?}"),
                None => assert!(!d.is_permit(), "{who:?} {action:?} was permitted: {d:?}"),
            }
        }
        // Leading early help never opens the case file.
        if leads
            && !matches!(
                who,
                Who::AllocatedSocialWorker | Who::OwningTeamSocialWorker
            )
        {
            let child = decide(&a, Action::ViewChild, Resource::Child(&e.child), &ctx);
            assert!(!child.is_permit(), "{who:?} sees the case file: {child:?}");
        }
    }

    #[rstest]
    #[case(Who::OwningTeamSocialWorker, true)]
    #[case(Who::AllocatedSocialWorker, true)]
    #[case(Who::DslOfSetting, true)]
    #[case(Who::DslOfOtherSetting, false)]
    #[case(Who::TeacherOfSetting, false)]
    #[case(Who::Admin, false)]
    #[case(Who::Analyst, false)]
    fn early_help_is_started_by_those_who_work_with_the_child(
        #[case] who: Who,
        #[case] permitted: bool,
    ) {
        let w = world();
        let facts = facts_for(&w, who);
        let ctx = Context::default();
        let d = decide(
            &actor(&w, who),
            Action::StartEarlyHelp,
            Resource::Child(&facts),
            &ctx,
        );
        assert_eq!(d.is_permit(), permitted, "{who:?} {d:?}");
        let none = decide(
            &actor(&w, who),
            Action::StartEarlyHelp,
            Resource::System,
            &ctx,
        );
        assert_eq!(none, Decision::Deny("no child named"));
    }

    #[test]
    fn an_early_help_denial_says_who_may_see_it() {
        let w = world();
        let e = EarlyHelpFacts {
            child: w.facts.clone(),
            lead: None,
        };
        let d = decide(
            &actor(&w, Who::PoliceLead),
            Action::ViewEarlyHelp,
            Resource::EarlyHelp(&e),
            &Context::default(),
        );
        assert_eq!(
            d,
            Decision::Deny(
                "an early help episode is seen by its lead practitioner and those who work on the case"
            )
        );
    }
}
