//! UUIDv7 identifiers, one type per kind of record, so a `ChildId` can never be passed where an
//! `AgencyId` is expected.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// A typed UUIDv7 identifier. `K` is a zero-sized marker naming the kind of record.
pub struct Id<K> {
    uuid: Uuid,
    kind: PhantomData<fn() -> K>,
}

impl<K> Id<K> {
    /// A fresh time-ordered (v7) identifier.
    pub fn new() -> Self {
        Self::from_uuid(Uuid::now_v7())
    }

    /// Wraps an existing UUID, for ids read back from storage.
    pub const fn from_uuid(uuid: Uuid) -> Self {
        Self {
            uuid,
            kind: PhantomData,
        }
    }

    /// The underlying UUID, for storage adapters.
    pub const fn as_uuid(&self) -> Uuid {
        self.uuid
    }
}

impl<K> Default for Id<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K> Clone for Id<K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K> Copy for Id<K> {}
impl<K> PartialEq for Id<K> {
    fn eq(&self, other: &Self) -> bool {
        self.uuid == other.uuid
    }
}
impl<K> Eq for Id<K> {}
impl<K> PartialOrd for Id<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<K> Ord for Id<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.uuid.cmp(&other.uuid)
    }
}
impl<K> Hash for Id<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.uuid.hash(state);
    }
}
impl<K> fmt::Debug for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.uuid)
    }
}
impl<K> fmt::Display for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.uuid.fmt(f)
    }
}

/// An id string that is not a UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a valid record id")]
pub struct BadId(pub String);

impl<K> FromStr for Id<K> {
    type Err = BadId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s.trim())
            .map(Self::from_uuid)
            .map_err(|_| BadId(s.to_owned()))
    }
}
impl<K> Serialize for Id<K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.uuid.serialize(s)
    }
}
impl<'de, K> Deserialize<'de> for Id<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Uuid::deserialize(d).map(Self::from_uuid)
    }
}

/// Declares the marker types. Each marker is an empty enum: it can never be constructed.
pub mod kinds {
    /// Marker for [`super::ChildId`].
    #[derive(Debug)]
    pub enum Child {}
    /// Marker for [`super::PersonId`].
    #[derive(Debug)]
    pub enum Person {}
    /// Marker for [`super::AgencyId`].
    #[derive(Debug)]
    pub enum Agency {}
    /// Marker for [`super::TeamId`].
    #[derive(Debug)]
    pub enum Team {}
    /// Marker for [`super::PractitionerId`].
    #[derive(Debug)]
    pub enum Practitioner {}
    /// Marker for [`super::AreaId`].
    #[derive(Debug)]
    pub enum Area {}
    /// Marker for [`super::EventId`].
    #[derive(Debug)]
    pub enum Event {}
    /// Marker for [`super::ConcernId`].
    #[derive(Debug)]
    pub enum Concern {}
    /// Marker for [`super::ReferralId`].
    #[derive(Debug)]
    pub enum Referral {}
    /// Marker for [`super::NotificationId`].
    #[derive(Debug)]
    pub enum Notification {}
    /// Marker for `CaseId`.
    #[derive(Debug)]
    pub enum Case {}
    /// Marker for `LinkDecisionId`.
    #[derive(Debug)]
    pub enum LinkDecision {}
    /// Marker for `ApiTokenId`.
    #[derive(Debug)]
    pub enum ApiToken {}
    /// Marker for `FlagId`.
    #[derive(Debug)]
    pub enum Flag {}
    /// Marker for `FlagAccessId`.
    #[derive(Debug)]
    pub enum FlagAccess {}
    /// Marker for `AccessNotificationId`.
    #[derive(Debug)]
    pub enum AccessNotification {}
}

/// A child (including an unborn child).
pub type ChildId = Id<kinds::Child>;
/// A parent, carer or household member.
pub type PersonId = Id<kinds::Person>;
/// An agency: local authority, police force, school, trust ...
pub type AgencyId = Id<kinds::Agency>;
/// A team within an agency.
pub type TeamId = Id<kinds::Team>;
/// A practitioner's account.
pub type PractitionerId = Id<kinds::Practitioner>;
/// A safeguarding partnership area.
pub type AreaId = Id<kinds::Area>;
/// An entry on a child's chronology.
pub type EventId = Id<kinds::Event>;
/// A concern recorded in a setting's own safeguarding log.
pub type ConcernId = Id<kinds::Concern>;
/// A referral (or contact) to the local authority's children's social care.
pub type ReferralId = Id<kinds::Referral>;
/// A notification to a practitioner.
pub type NotificationId = Id<kinds::Notification>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_v7_and_round_trip_through_strings() {
        let id = ChildId::new();
        assert_eq!(id.as_uuid().get_version_num(), 7);
        let back: ChildId = id.to_string().parse().unwrap();
        assert_eq!(back, id);
    }

    #[test]
    fn a_non_uuid_is_rejected() {
        assert!("not-an-id".parse::<AgencyId>().is_err());
    }

    #[test]
    fn later_ids_sort_later() {
        let a = TeamId::new();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = TeamId::new();
        assert!(a < b);
    }
}
