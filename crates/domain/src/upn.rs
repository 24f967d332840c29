//! Unique Pupil Numbers (UPNs): the 13-character identifier the Department for Education gives
//! every pupil in a state school in England, checked with its check letter so a mistyped UPN is
//! caught before it links the wrong school record to a child.
//!
//! Layout (DfE, "Unique pupil numbers (UPNs)" guidance for schools and local authorities; and the
//! Government Data Standards Catalogue entry "Unique Pupil Number" v2.0, agreed 18 November
//! 2004):
//!
//! | position | content |
//! |---|---|
//! | 1 | check letter |
//! | 2-4 | local authority number (3 digits) |
//! | 5-8 | DfE establishment number (4 digits) |
//! | 9-10 | last two digits of the academic year of issue |
//! | 11-13 | serial: 3 digits for a permanent UPN; 2 digits and a letter for a temporary UPN |
//!
//! Check letter (same sources): multiply the character in each of positions 2 to 13 by its
//! position (2 to 13), add the products and take the remainder on division by 23; the remainder
//! 0 to 22 maps to the letters A B C D E F G H J K L M N P Q R T U V W X Y Z (I, O and S are never
//! used). For a temporary UPN the letter in position 13 counts as its value in that same table
//! (A = 0, B = 1, ... Z = 22).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The 23 letters a check letter (or the last character of a temporary UPN) can be, in value
/// order: the alphabet without I, O and S.
const LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPQRTUVWXYZ";

/// A valid Unique Pupil Number, stored in capitals, e.g. "B801200005001".
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Upn(String);

/// Why some text is not a UPN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpnError {
    /// Nothing was entered.
    #[error("Enter a UPN: it is a letter followed by 12 digits, like B801200005001")]
    Empty,
    /// Not 13 characters.
    #[error(
        "A UPN must be 13 characters, a letter followed by 12 digits, like B801200005001 \
         (this one has {found})"
    )]
    WrongLength {
        /// How many characters were entered, ignoring spaces.
        found: usize,
    },
    /// The body given to [`Upn::from_twelve`] is not 12 characters.
    #[error(
        "A UPN without its check letter must be 12 characters, like 801200005001 \
         (this one has {found})"
    )]
    WrongBodyLength {
        /// How many characters were given, ignoring spaces.
        found: usize,
    },
    /// The first character is not a possible check letter.
    #[error(
        "The first character of a UPN must be its check letter: a letter from A to Z other than \
         I, O or S"
    )]
    BadCheckLetter,
    /// A character in positions 2 to 12 is not a digit.
    #[error(
        "Characters 2 to 12 of a UPN must all be digits: the local authority number, school \
         number, year and serial"
    )]
    NotDigits,
    /// The last character is neither a digit nor a letter allowed for a temporary UPN.
    #[error(
        "The last character of a UPN must be a digit, or for a temporary UPN a letter other \
         than I, O or S"
    )]
    BadLastCharacter,
    /// The check letter does not match the other 12 characters.
    #[error(
        "The check letter (the first character) of this UPN does not match the other 12 \
         characters, so one of them has probably been mistyped. Check it against the school's \
         record"
    )]
    CheckLetterMismatch,
}

impl Upn {
    /// Parses a UPN in either case; surrounding whitespace and spaces are ignored. Accepts a
    /// permanent UPN (check letter and 12 digits) or a temporary one (check letter, 11 digits and
    /// a letter).
    ///
    /// ```
    /// use safeguard_domain::upn::{Upn, UpnError};
    ///
    /// let upn = Upn::parse("b801200005001")?;
    /// assert_eq!(upn.as_str(), "B801200005001");
    /// assert_eq!(Upn::parse("A801200005001"), Err(UpnError::CheckLetterMismatch));
    /// assert_eq!(Upn::from_twelve("801200005001")?, upn);
    /// # Ok::<(), UpnError>(())
    /// ```
    pub fn parse(input: &str) -> Result<Upn, UpnError> {
        let compact = compact(input);
        if compact.is_empty() {
            return Err(UpnError::Empty);
        }
        let found = compact.chars().count();
        if found != 13 || !compact.is_ascii() {
            return Err(UpnError::WrongLength { found });
        }
        let (check, body) = compact.split_at(1);
        if letter_value(check.as_bytes()[0]).is_none() {
            return Err(UpnError::BadCheckLetter);
        }
        let expected = check_letter(body)?;
        if check.as_bytes()[0] != expected {
            return Err(UpnError::CheckLetterMismatch);
        }
        Ok(Upn(compact))
    }

    /// Builds a UPN from its last 12 characters (11 digits, then a digit or, for a temporary
    /// UPN, a letter) by computing and prefixing the check letter.
    pub fn from_twelve(body: &str) -> Result<Upn, UpnError> {
        let body = compact(body);
        let found = body.chars().count();
        if found != 12 || !body.is_ascii() {
            return Err(UpnError::WrongBodyLength { found });
        }
        let check = check_letter(&body)?;
        let mut upn = String::with_capacity(13);
        upn.push(char::from(check));
        upn.push_str(&body);
        Ok(Upn(upn))
    }

    /// The UPN in capitals, e.g. "B801200005001".
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a temporary UPN (its last character is a letter). A school issues a
    /// temporary UPN while it waits for the pupil's permanent one from a previous school.
    pub fn is_temporary(&self) -> bool {
        self.0.as_bytes().last().is_some_and(u8::is_ascii_uppercase)
    }
}

/// Removes all whitespace and capitalises.
fn compact(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The value 0 to 22 of a check letter, or `None` if the byte is not one of the 23 letters.
fn letter_value(b: u8) -> Option<u32> {
    LETTERS
        .iter()
        .position(|&l| l == b)
        .and_then(|i| u32::try_from(i).ok())
}

/// The check letter of a 12-byte ASCII body (positions 2 to 13), validating the body's shape.
fn check_letter(body: &str) -> Result<u8, UpnError> {
    let bytes = body.as_bytes();
    let mut sum = 0u32;
    // Positions 2..=13 carry weights 2..=13.
    for (weight, &b) in (2u32..).zip(bytes) {
        let value = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else if weight == 13 {
            letter_value(b).ok_or(UpnError::BadLastCharacter)?
        } else {
            return Err(UpnError::NotDigits);
        };
        sum += value * weight;
    }
    let index = usize::try_from(sum % 23).map_err(|_| UpnError::CheckLetterMismatch)?;
    LETTERS
        .get(index)
        .copied()
        .ok_or(UpnError::CheckLetterMismatch)
}

impl fmt::Display for Upn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Upn {
    type Err = UpnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Upn::parse(s)
    }
}

impl Serialize for Upn {
    /// Serialises as the 13 characters in capitals.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Upn {
    /// Accepts any form [`Upn::parse`] accepts, and rejects invalid UPNs.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Upn::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    // B801200005001: 8x2 + 1x4 + 2x5 + 5x10 + 1x13 = 93; 93 mod 23 = 1 -> B.
    // P207000016049: 2x2 + 7x4 + 1x9 + 6x10 + 4x12 + 9x13 = 266; 266 mod 23 = 13 -> P.
    // A00000000000A: all zero (A counts as 0) -> A.
    // X80120000500Z: 93 - 13 + 22x13 = 366; 366 mod 23 = 21 -> Y, so the check letter is Y.
    #[rstest]
    #[case::permanent("B801200005001", "B801200005001", false)]
    #[case::permanent_2("P207000016049", "P207000016049", false)]
    #[case::lowercase_and_spaces(" b801 2000 05001 ", "B801200005001", false)]
    #[case::temporary_zero("A00000000000A", "A00000000000A", true)]
    #[case::temporary("Y80120000500Z", "Y80120000500Z", true)]
    fn valid_upns_parse(#[case] input: &str, #[case] upn: &str, #[case] temporary: bool) {
        let parsed = Upn::parse(input).unwrap();
        assert_eq!(parsed.as_str(), upn);
        assert_eq!(parsed.to_string(), upn);
        assert_eq!(parsed.is_temporary(), temporary);
    }

    #[rstest]
    #[case::empty("", UpnError::Empty)]
    #[case::short("B80120000500", UpnError::WrongLength { found: 12 })]
    #[case::long("B8012000050011", UpnError::WrongLength { found: 14 })]
    #[case::digit_first("1801200005001", UpnError::BadCheckLetter)]
    #[case::check_letter_i("I801200005001", UpnError::BadCheckLetter)]
    #[case::letter_in_middle("X80120000A001", UpnError::NotDigits)]
    #[case::last_is_o("A80120000500O", UpnError::BadLastCharacter)]
    #[case::last_is_punctuation("A80120000500-", UpnError::BadLastCharacter)]
    #[case::wrong_check("A801200005001", UpnError::CheckLetterMismatch)]
    #[case::mistyped_digit("B801200005002", UpnError::CheckLetterMismatch)]
    fn invalid_upns_are_rejected(#[case] input: &str, #[case] expected: UpnError) {
        assert_eq!(Upn::parse(input), Err(expected));
    }

    #[rstest]
    #[case::permanent("801200005001", Ok("B801200005001"))]
    #[case::temporary("80120000500z", Ok("Y80120000500Z"))]
    #[case::short("80120000500", Err(UpnError::WrongBodyLength { found: 11 }))]
    #[case::letter_inside("8012000050A1", Err(UpnError::NotDigits))]
    #[case::last_is_s("80120000500S", Err(UpnError::BadLastCharacter))]
    fn from_twelve_computes_the_check_letter(
        #[case] body: &str,
        #[case] expected: Result<&str, UpnError>,
    ) {
        let got = Upn::from_twelve(body);
        assert_eq!(got.as_ref().map(Upn::as_str), expected.as_deref());
    }

    #[test]
    fn serde_uses_capitals_and_validates() {
        let upn: Upn = serde_json::from_str("\"b801200005001\"").unwrap();
        assert_eq!(serde_json::to_string(&upn).unwrap(), "\"B801200005001\"");
        assert!(serde_json::from_str::<Upn>("\"A801200005001\"").is_err());
    }

    proptest! {
        #[test]
        fn random_bodies_round_trip(body in "[0-9]{12}|[0-9]{11}[A-HJ-NP-RT-Z]") {
            let upn = Upn::from_twelve(&body).unwrap();
            prop_assert_eq!(&upn.as_str()[1..], body.as_str());
            prop_assert_eq!(Upn::parse(upn.as_str()).unwrap(), upn.clone());
            prop_assert_eq!(upn.to_string().parse::<Upn>().unwrap(), upn);
        }

        #[test]
        fn changing_one_digit_breaks_the_check(body in "[0-9]{12}", pos in 0usize..12, bump in 1u8..10) {
            let upn = Upn::from_twelve(&body).unwrap();
            let mut bytes = upn.as_str().as_bytes().to_vec();
            let i = pos + 1;
            bytes[i] = b'0' + (bytes[i] - b'0' + bump) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            // Weights 2..13 are all coprime with 23, so any single-digit change alters the sum
            // mod 23.
            prop_assert_eq!(Upn::parse(&changed), Err(UpnError::CheckLetterMismatch));
        }
    }
}
