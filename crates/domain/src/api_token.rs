//! API tokens: how an agency system (a school's MIS, a GP system, an emergency department's
//! patient administration system) calls Safeguard without a person signing in.
//!
//! A token belongs to one agency and carries scopes; a call is refused unless the token holds
//! the scope the endpoint needs. Only the SHA-256 of the secret is stored (architecture, security
//! model: "agency systems use API tokens (hashed at rest)").

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::coded::coded_enum;
use crate::ids::AgencyId;

/// Identifies an API token (not its secret).
pub type ApiTokenId = crate::ids::Id<crate::ids::kinds::ApiToken>;

coded_enum! {
    /// What a token may do. Codes follow the `resource:verb` form of OAuth scopes.
    ApiScope, "scope" {
        /// Submit referrals to a local authority and read back their status and decision.
        ReferralsWrite => "referrals:write", "Submit referrals and read their status";
        /// Look up CP-IS flags by NHS number (unscheduled and scheduled care).
        FlagsRead => "flags:read", "Look up child protection and looked-after flags";
        /// Upload a local authority's flags in bulk.
        FlagsWrite => "flags:write", "Upload flags in bulk";
    }
}

/// An API token as stored: its agency, scopes and state; never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    /// Id, shown to operators and written to the audit log.
    pub id: ApiTokenId,
    /// The agency whose system holds it.
    pub agency: AgencyId,
    /// A name for people: which system, which supplier.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<ApiScope>,
    /// When it was issued.
    pub created_at: Timestamp,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

impl ApiToken {
    /// True when the token holds the scope and is not revoked.
    pub fn allows(&self, scope: ApiScope) -> bool {
        self.revoked_at.is_none() && self.scopes.contains(&scope)
    }
}

/// The prefix of every token secret, so a leaked one is recognisable (secret scanners look for
/// fixed prefixes) and a session cookie is never mistaken for one.
pub const TOKEN_PREFIX: &str = "sgt_";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_and_unknown_ones_are_named() {
        for s in ApiScope::ALL {
            assert_eq!(ApiScope::parse(s.code()).ok(), Some(*s));
        }
        let err = ApiScope::parse("flags:delete").unwrap_err();
        assert_eq!(err.to_string(), "'flags:delete' is not a known scope");
    }

    #[test]
    fn a_revoked_token_allows_nothing() {
        let mut t = ApiToken {
            id: ApiTokenId::new(),
            agency: AgencyId::new(),
            name: "ED system".into(),
            scopes: vec![ApiScope::FlagsRead],
            created_at: Timestamp::UNIX_EPOCH,
            revoked_at: None,
        };
        assert!(t.allows(ApiScope::FlagsRead));
        assert!(!t.allows(ApiScope::ReferralsWrite));
        t.revoked_at = Some(Timestamp::UNIX_EPOCH);
        assert!(!t.allows(ApiScope::FlagsRead));
    }
}
