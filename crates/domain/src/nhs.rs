//! NHS numbers: the 10-digit identifier every person registered with the NHS in England, Wales
//! and the Isle of Man has, checked with its modulus 11 check digit so that a mistyped number is
//! caught at the door rather than matched to the wrong child.
//!
//! The check digit rule (NHS Data Dictionary, "NHS Number"): multiply the first nine digits by
//! the weights 10, 9, ..., 2, add the products, take the remainder on division by 11 and subtract
//! it from 11. A result of 11 means the check digit is 0; a result of 10 means no valid NHS
//! number starts with those nine digits.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A valid NHS number: exactly 10 ASCII digits whose last digit is the modulus 11 check digit of
/// the first nine.
///
/// Stored without spaces; displayed in the usual 3-3-4 grouping, "943 476 5919".
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NhsNumber(String);

/// Why some text is not an NHS number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NhsNumberError {
    /// Nothing was entered.
    #[error("Enter an NHS number: it is 10 digits, like 943 476 5919")]
    Empty,
    /// Something other than digits, spaces or hyphens was entered.
    #[error(
        "An NHS number can only contain digits, with optional spaces or hyphens between them, \
         like 943 476 5919"
    )]
    NotDigits,
    /// The wrong number of digits.
    #[error("An NHS number must be 10 digits, like 943 476 5919 (this one has {found})")]
    WrongLength {
        /// How many digits were entered.
        found: usize,
    },
    /// The first nine digits give a check digit of 10, which no NHS number can have.
    #[error(
        "This cannot be an NHS number: for these first nine digits the check digit would be 10, \
         so one of the digits is probably mistyped. Check it against the letter or record it \
         came from"
    )]
    CheckDigitWouldBeTen,
    /// The last digit is not the check digit of the first nine.
    #[error(
        "The last digit of this NHS number does not match the other nine, so it has probably \
         been mistyped. Check it against the letter or record it came from"
    )]
    CheckDigitMismatch,
}

impl NhsNumber {
    /// Parses an NHS number as a person would type it: "943 476 5919", "9434765919" or
    /// "943-476-5919". Surrounding whitespace is ignored, and spaces and hyphens between the
    /// digits are removed; nothing else is accepted.
    ///
    /// ```
    /// use safeguard_domain::nhs::{NhsNumber, NhsNumberError};
    ///
    /// let n = NhsNumber::parse("943-476-5919")?;
    /// assert_eq!(n.as_str(), "9434765919");
    /// assert_eq!(n.to_string(), "943 476 5919");
    /// assert_eq!(NhsNumber::parse("943 476 5918"), Err(NhsNumberError::CheckDigitMismatch));
    /// # Ok::<(), NhsNumberError>(())
    /// ```
    pub fn parse(input: &str) -> Result<NhsNumber, NhsNumberError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(NhsNumberError::Empty);
        }
        let mut digits = String::with_capacity(10);
        for c in trimmed.chars() {
            match c {
                ' ' | '-' => {}
                '0'..='9' => digits.push(c),
                _ => return Err(NhsNumberError::NotDigits),
            }
        }
        if digits.is_empty() {
            return Err(NhsNumberError::Empty);
        }
        if digits.len() != 10 {
            return Err(NhsNumberError::WrongLength {
                found: digits.len(),
            });
        }
        let bytes = digits.as_bytes();
        let expected = check_digit(&bytes[..9]).ok_or(NhsNumberError::CheckDigitWouldBeTen)?;
        if bytes[9] - b'0' != expected {
            return Err(NhsNumberError::CheckDigitMismatch);
        }
        Ok(NhsNumber(digits))
    }

    /// Builds the NHS number that starts with these nine digits (zero padded on the left), or
    /// `None` when the check digit would be 10 or the value has more than nine digits.
    ///
    /// The demo data generator uses the 999 range, which the NHS reserves for testing and never
    /// issues to a patient.
    pub fn from_nine_digits(first_nine: u32) -> Option<NhsNumber> {
        if first_nine > 999_999_999 {
            return None;
        }
        let mut digits = format!("{first_nine:09}");
        let check = check_digit(digits.as_bytes())?;
        digits.push(char::from(b'0' + check));
        Some(NhsNumber(digits))
    }

    /// The 10 digits with no spaces, e.g. "9434765919".
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The modulus 11 check digit of nine ASCII digits, or `None` when it would be 10.
fn check_digit(first_nine: &[u8]) -> Option<u8> {
    let sum: u32 = first_nine
        .iter()
        .zip((2..=10).rev())
        .map(|(d, weight)| u32::from(d - b'0') * weight)
        .sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        // 1..=9, so it fits in a u8.
        n => u8::try_from(n).ok(),
    }
}

impl fmt::Display for NhsNumber {
    /// Writes the number in the 3-3-4 grouping used on NHS letters and cards.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.0;
        write!(f, "{} {} {}", &s[0..3], &s[3..6], &s[6..10])
    }
}

impl FromStr for NhsNumber {
    type Err = NhsNumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NhsNumber::parse(s)
    }
}

impl Serialize for NhsNumber {
    /// Serialises as the bare 10 digits.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for NhsNumber {
    /// Accepts any form [`NhsNumber::parse`] accepts, and rejects invalid numbers.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        NhsNumber::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case::spaced("943 476 5919", "9434765919")]
    #[case::bare("9434765919", "9434765919")]
    #[case::hyphens("943-476-5919", "9434765919")]
    #[case::padded("  943 476 5919\t", "9434765919")]
    #[case::another("401 023 2137", "4010232137")]
    #[case::remainder_zero_gives_check_zero("000 000 0000", "0000000000")]
    #[case::test_range("999 000 0018", "9990000018")]
    fn valid_numbers_parse(#[case] input: &str, #[case] digits: &str) {
        let n = NhsNumber::parse(input).unwrap();
        assert_eq!(n.as_str(), digits);
    }

    #[rstest]
    #[case::empty("", NhsNumberError::Empty)]
    #[case::blank("   ", NhsNumberError::Empty)]
    #[case::only_separators(" - ", NhsNumberError::Empty)]
    #[case::letter("943 476 591O", NhsNumberError::NotDigits)]
    #[case::dot("943.476.5919", NhsNumberError::NotDigits)]
    #[case::short("943 476 591", NhsNumberError::WrongLength { found: 9 })]
    #[case::long("943 476 59190", NhsNumberError::WrongLength { found: 11 })]
    #[case::wrong_check("943 476 5918", NhsNumberError::CheckDigitMismatch)]
    #[case::transposed("493 476 5919", NhsNumberError::CheckDigitMismatch)]
    #[case::check_would_be_ten("000 000 0060", NhsNumberError::CheckDigitWouldBeTen)]
    fn invalid_numbers_are_rejected(#[case] input: &str, #[case] expected: NhsNumberError) {
        assert_eq!(NhsNumber::parse(input), Err(expected));
    }

    #[test]
    fn displays_in_three_three_four_groups() {
        let n: NhsNumber = "9434765919".parse().unwrap();
        assert_eq!(n.to_string(), "943 476 5919");
    }

    #[test]
    fn serde_uses_the_bare_digits_and_validates() {
        let n = NhsNumber::parse("943 476 5919").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"9434765919\"");
        let back: NhsNumber = serde_json::from_str("\"943 476 5919\"").unwrap();
        assert_eq!(back, n);
        assert!(serde_json::from_str::<NhsNumber>("\"9434765918\"").is_err());
    }

    #[test]
    fn error_messages_say_how_to_fix() {
        let msg = NhsNumberError::WrongLength { found: 9 }.to_string();
        assert!(msg.contains("10 digits"), "{msg}");
        assert!(msg.contains("943 476 5919"), "{msg}");
        assert!(
            NhsNumberError::CheckDigitWouldBeTen
                .to_string()
                .contains("would be 10")
        );
        assert!(
            NhsNumberError::CheckDigitMismatch
                .to_string()
                .contains("mistyped")
        );
    }

    #[test]
    fn from_nine_digits_rejects_a_check_digit_of_ten_and_oversized_input() {
        assert_eq!(NhsNumber::from_nine_digits(6), None);
        assert_eq!(NhsNumber::from_nine_digits(1_000_000_000), None);
        assert_eq!(
            NhsNumber::from_nine_digits(943_476_591).map(|n| n.to_string()),
            Some("943 476 5919".to_owned())
        );
    }

    proptest! {
        #[test]
        fn from_nine_digits_round_trips(first_nine in 0u32..=999_999_999) {
            if let Some(n) = NhsNumber::from_nine_digits(first_nine) {
                let as_digits = NhsNumber::parse(n.as_str()).unwrap();
                prop_assert_eq!(&as_digits, &n);
                let shown = n.to_string();
                prop_assert_eq!(NhsNumber::parse(&shown).unwrap(), n.clone());
                let prefix = format!("{first_nine:09}");
                prop_assert!(n.as_str().starts_with(&prefix));
            } else {
                // Only a check digit of 10 is refused for in-range prefixes.
                let digits = format!("{first_nine:09}");
                prop_assert_eq!(check_digit(digits.as_bytes()), None);
            }
        }

    }
}
