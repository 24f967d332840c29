//! The pure model of `safeguard`: typed ids, children, people, agencies, practitioners and their
//! roles, safeguarding areas, the working-day calendar of England and Wales and the one table of
//! statutory timescales.
//!
//! This crate must never do IO, async, SQL or HTTP. Everything here is a value or a pure function,
//! so every rule can be tested without a database. Time enters only through the [`clock::Clock`]
//! trait.

pub mod api_token;
pub mod calendar;
pub mod case;
pub mod clock;
pub mod clocks;
mod coded;
pub mod codes;
pub mod early_help;
pub mod flags;
pub mod ids;
pub mod journey;
pub mod linkage;
pub mod looked_after;
pub mod model;
pub mod nhs;
pub mod postcode;
pub mod rag;
pub mod records;
pub mod referral;
pub mod timescales;
pub mod upn;
pub mod validate;

pub use api_token::{ApiScope, ApiToken, ApiTokenId};
pub use calendar::Calendar;
pub use case::{Case, CaseClock, CaseError, CaseId, CaseStep, RecordForm};
pub use clock::{Clock, FixedClock, SystemClock};
pub use clocks::ClockStatus;
pub use codes::*;
pub use early_help::{EarlyHelpEpisode, EarlyHelpId};
pub use flags::{
    AccessNotification, AccessNotificationId, CareSetting, Flag, FlagAccess, FlagAccessId, FlagId,
    FlagSource, FlagType, LaContact, NoticeState, OnBehalfOf, OnBehalfOfError,
};
pub use ids::{
    AgencyId, AreaId, ChildId, ConcernId, EventId, NotificationId, PersonId, PractitionerId,
    ReferralId, TeamId,
};
pub use journey::{CaseEvent, CaseState, TransitionError};
pub use linkage::{
    DuplicatePair, DuplicateReport, Evidence, LinkDecision, LinkDecisionId, LinkSubject, Reversal,
};
pub use looked_after::{LookedAfterEpisode, LookedAfterId, looked_after_on};
pub use model::*;
pub use nhs::NhsNumber;
pub use postcode::Postcode;
pub use referral::*;
pub use upn::Upn;
pub use validate::{FieldError, Period};
