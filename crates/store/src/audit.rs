//! The audit hash chain: the canonical form of an event, the hash that links it to the one
//! before, and verification of a whole chain.
//!
//! `hash = SHA-256(prev_hash || canonical event)`, hex encoded. The canonical event is compact JSON
//! with keys in a fixed order and the payload's keys sorted, so the same event always hashes the
//! same on every backend. Backends store `at` and `payload` as the exact text hashed.

use jiff::Timestamp;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{StoreResult, Tx};

/// The `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event to append. `decision` is `permit`, `deny` or empty for events that are not decisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// When, in UTC.
    pub at: Timestamp,
    /// Who: `practitioner:<id>`, `token:<id>`, `cli` or `system`.
    pub actor: String,
    /// What, dotted: `child.view`, `account.sign_in`.
    pub action: String,
    /// Which record: `child:<id>`, `account:<id>`, or empty.
    pub subject: String,
    /// `permit`, `deny` or empty.
    pub decision: String,
    /// Why the decision was made, or a short note.
    pub reason: String,
    /// Details. Ids only: never names, addresses or notes.
    pub payload: serde_json::Value,
}

/// An event as stored in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Position in the chain, from 1 with no gaps.
    pub seq: i64,
    /// The event.
    pub event: AuditEvent,
    /// Hash of the previous record, or [`GENESIS_HASH`].
    pub prev_hash: String,
    /// This record's hash.
    pub hash: String,
}

#[derive(Serialize)]
struct Canonical<'a> {
    seq: i64,
    at: &'a str,
    actor: &'a str,
    action: &'a str,
    subject: &'a str,
    decision: &'a str,
    reason: &'a str,
    payload: &'a str,
}

/// The text form of `at` that is stored and hashed (RFC 3339, UTC, microseconds).
pub fn at_text(at: Timestamp) -> String {
    format!("{at:.6}")
}

/// The text form of the payload that is stored and hashed (compact JSON, keys sorted).
pub fn payload_text(payload: &serde_json::Value) -> String {
    // serde_json's map is a BTreeMap (no `preserve_order`), so keys come out sorted.
    payload.to_string()
}

/// Computes a record's hash from the stored text of its fields.
#[allow(clippy::too_many_arguments)]
pub fn chain_hash(
    prev_hash: &str,
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    subject: &str,
    decision: &str,
    reason: &str,
    payload: &str,
) -> String {
    let canonical = Canonical {
        seq,
        at,
        actor,
        action,
        subject,
        decision,
        reason,
        payload,
    };
    // Serialising a struct of &str and i64 cannot fail.
    let json = serde_json::to_string(&canonical).unwrap_or_default();
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(json.as_bytes());
    hex::encode(h.finalize())
}

/// Hashes an event that is about to be appended after `prev_hash` at `seq`.
pub fn hash_event(prev_hash: &str, seq: i64, event: &AuditEvent) -> String {
    chain_hash(
        prev_hash,
        seq,
        &at_text(event.at),
        &event.actor,
        &event.action,
        &event.subject,
        &event.decision,
        &event.reason,
        &payload_text(&event.payload),
    )
}

/// The records for `events` appended in order after the record `(seq, hash)`: what a backend
/// writes when it appends a batch in one statement.
pub fn chain_after(seq: i64, hash: &str, events: &[AuditEvent]) -> Vec<AuditRecord> {
    let mut prev_hash = hash.to_owned();
    let mut out = Vec::with_capacity(events.len());
    for (i, event) in events.iter().enumerate() {
        let seq = seq + 1 + i as i64;
        let hash = hash_event(&prev_hash, seq, event);
        out.push(AuditRecord {
            seq,
            event: event.clone(),
            prev_hash: std::mem::replace(&mut prev_hash, hash.clone()),
            hash,
        });
    }
    out
}

/// The outcome of verifying the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Records checked.
    pub checked: u64,
    /// The first record that does not fit the chain, and why.
    pub first_bad: Option<(i64, String)>,
}

/// Recomputes the whole chain, page by page, and names the first record that does not fit.
pub async fn verify_chain(tx: &mut dyn Tx) -> StoreResult<VerifyReport> {
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut expected_seq = 1;
    let mut checked = 0;
    loop {
        let page = tx.audit_page(expected_seq - 1, 1000).await?;
        if page.is_empty() {
            return Ok(VerifyReport {
                checked,
                first_bad: None,
            });
        }
        for rec in page {
            let bad = |why: &str| {
                Ok(VerifyReport {
                    checked,
                    first_bad: Some((rec.seq, why.to_owned())),
                })
            };
            if rec.seq != expected_seq {
                return Ok(VerifyReport {
                    checked,
                    first_bad: Some((
                        expected_seq,
                        format!("sequence {expected_seq} is missing (next is {})", rec.seq),
                    )),
                });
            }
            if rec.prev_hash != prev_hash {
                return bad("prev_hash does not match the hash of the record before");
            }
            if hash_event(&prev_hash, rec.seq, &rec.event) != rec.hash {
                return bad("the record's contents do not match its hash");
            }
            checked += 1;
            expected_seq += 1;
            prev_hash = rec.hash;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> AuditEvent {
        AuditEvent {
            at: "2026-11-23T09:00:00.123456Z".parse().unwrap(),
            actor: "practitioner:1".into(),
            action: "child.view".into(),
            subject: "child:2".into(),
            decision: "permit".into(),
            reason: "allocated worker".into(),
            payload: serde_json::json!({"b": 1, "a": 2}),
        }
    }

    #[test]
    fn the_hash_depends_on_every_field_and_the_previous_hash() {
        let base = hash_event(GENESIS_HASH, 1, &event());
        assert_eq!(base.len(), 64);
        assert_eq!(base, hash_event(GENESIS_HASH, 1, &event()));
        assert_ne!(base, hash_event(&"1".repeat(64), 1, &event()));
        assert_ne!(base, hash_event(GENESIS_HASH, 2, &event()));
        let mut e = event();
        e.reason = "other".into();
        assert_ne!(base, hash_event(GENESIS_HASH, 1, &e));
        let mut e = event();
        e.payload = serde_json::json!({"b": 1, "a": 3});
        assert_ne!(base, hash_event(GENESIS_HASH, 1, &e));
    }

    #[test]
    fn payload_keys_are_sorted() {
        assert_eq!(payload_text(&event().payload), r#"{"a":2,"b":1}"#);
    }

    #[test]
    fn at_is_kept_to_microseconds() {
        assert_eq!(at_text(event().at), "2026-11-23T09:00:00.123456Z");
    }
}
