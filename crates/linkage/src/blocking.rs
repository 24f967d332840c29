//! Blocking: which pairs are worth scoring at all. Two records become a candidate pair when
//! they share the key of at least one rule (the union of the rules).

use serde::{Deserialize, Serialize};

use crate::record::Field;
use crate::standardise::{Dob, Prepared};

/// A blocking rule: records with equal keys under the rule are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockingRule {
    /// Given name and surname sound the same, in either order (Double Metaphone of the given
    /// name's usual full form, so Bill blocks with William).
    Names,
    /// Same date of birth, day and month in either order.
    DateOfBirth,
    /// Same identifier.
    Identifier,
    /// Same postcode.
    Postcode,
    /// Surname sounds the same and same year of birth.
    SurnameAndBirthYear,
    /// Same address (house number and street).
    Address,
    /// Same surname. Used to train the model, not to predict (too broad for large data).
    Surname,
}

impl BlockingRule {
    /// The rules used to find candidates, in the order their pairs are counted.
    pub const PREDICTION: [BlockingRule; 6] = [
        BlockingRule::Names,
        BlockingRule::DateOfBirth,
        BlockingRule::Identifier,
        BlockingRule::Postcode,
        BlockingRule::SurnameAndBirthYear,
        BlockingRule::Address,
    ];

    /// The fields a rule's key is made from.
    pub fn fields(self) -> &'static [Field] {
        match self {
            BlockingRule::Names => &[Field::GivenName, Field::Surname],
            BlockingRule::DateOfBirth => &[Field::DateOfBirth],
            BlockingRule::Identifier => &[Field::Identifier],
            BlockingRule::Postcode => &[Field::Postcode],
            BlockingRule::SurnameAndBirthYear => &[Field::Surname, Field::DateOfBirth],
            BlockingRule::Address => &[Field::Address],
            BlockingRule::Surname => &[Field::Surname],
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            BlockingRule::Names => "names sound alike (either order)",
            BlockingRule::DateOfBirth => "same date of birth (day and month either way)",
            BlockingRule::Identifier => "same identifier",
            BlockingRule::Postcode => "same postcode",
            BlockingRule::SurnameAndBirthYear => "surname sounds alike, same birth year",
            BlockingRule::Address => "same address",
            BlockingRule::Surname => "same surname",
        }
    }

    /// The record's key under this rule, or `None` when a field it needs is missing. Keys are
    /// hashes: two records with equal keys are compared (a collision only adds a candidate).
    pub(crate) fn key(self, p: &Prepared) -> Option<u64> {
        let tag = self as u64 + 1;
        let key = match self {
            BlockingRule::Names => {
                let g = p.given.as_ref()?.canonical_phonetic;
                let s = p.surname.as_ref()?.phonetic[0];
                if g == 0 || s == 0 {
                    return None;
                }
                let (lo, hi) = if g <= s { (g, s) } else { (s, g) };
                mix(tag, (u64::from(lo) << 32) | u64::from(hi))
            }
            BlockingRule::DateOfBirth => {
                let d: Dob = p.dob.filter(Dob::is_full)?;
                let (m, dd) = (d.month.unwrap_or(0), d.day.unwrap_or(0));
                let (lo, hi) = if m <= dd { (m, dd) } else { (dd, m) };
                mix(
                    tag,
                    (u64::from(d.year) << 16) | (u64::from(lo) << 8) | u64::from(hi),
                )
            }
            BlockingRule::Identifier => text_key(tag, p.identifier.as_deref()?),
            BlockingRule::Postcode => text_key(tag, p.postcode.as_ref()?.full()),
            BlockingRule::SurnameAndBirthYear => {
                let s = p.surname.as_ref()?.phonetic[0];
                let y = p.dob?.year;
                if s == 0 {
                    return None;
                }
                mix(tag, (u64::from(s) << 16) | u64::from(y))
            }
            BlockingRule::Address => text_key(tag, &p.address.as_ref()?.text),
            BlockingRule::Surname => text_key(tag, &p.surname.as_ref()?.text),
        };
        // 0 means "no key" in the index's key arrays.
        Some(key.max(1))
    }
}

/// FNV-1a over the text, then mixed with the rule's tag.
fn text_key(tag: u64, text: &str) -> u64 {
    let h = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    mix(tag, h)
}

/// splitmix64's finaliser over the value and the tag: spreads keys evenly.
fn mix(tag: u64, value: u64) -> u64 {
    let mut z = value ^ tag.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// How many pairs each blocking rule produced and, on labelled data, how many true pairs it
/// captured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockingReport {
    /// One line per rule, in order.
    pub rules: Vec<RuleReport>,
    /// Distinct pairs produced by the union of the rules.
    pub total_pairs: u64,
    /// Labelled true pairs given.
    pub true_pairs: usize,
    /// Labelled true pairs produced by at least one rule.
    pub true_pairs_captured: usize,
    /// Blocks skipped because they held more records than the limit (each would have produced
    /// a flood of unlikely pairs).
    pub oversized_blocks_skipped: u64,
}

/// One blocking rule's share of the candidate pairs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleReport {
    /// The rule.
    pub rule: BlockingRule,
    /// Pairs the rule produces on its own.
    pub pairs: u64,
    /// Pairs it adds that no earlier rule produced.
    pub new_pairs: u64,
    /// Labelled true pairs the rule produces on its own.
    pub true_pairs_captured: usize,
}
