//! The pure model of `safeguard`: typed ids, children, people, agencies, practitioners and their
//! roles, safeguarding areas, the working-day calendar of England and Wales and the one table of
//! statutory timescales.
//!
//! This crate must never do IO, async, SQL or HTTP. Everything here is a value or a pure function,
//! so every rule can be tested without a database. Time enters only through the [`clock::Clock`]
//! trait.

pub mod calendar;
pub mod clock;
pub mod ids;
pub mod model;
pub mod nhs;
pub mod postcode;
pub mod timescales;
pub mod upn;

pub use calendar::Calendar;
pub use clock::{Clock, FixedClock, SystemClock};
pub use ids::{AgencyId, AreaId, ChildId, EventId, PersonId, PractitionerId, TeamId};
pub use model::*;
pub use nhs::NhsNumber;
pub use postcode::Postcode;
pub use upn::Upn;
