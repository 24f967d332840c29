//! UK postcodes, checked for shape and normalised to the Royal Mail form "SW1A 1AA" (capitals, one
//! space before the three-character inward code), so two spellings of the same address compare
//! equal.
//!
//! Only the shape is checked, not whether the postcode exists: the outward code is one of A9,
//! A99, A9A, AA9, AA99 or AA9A (A = letter, 9 = digit), the inward code is a digit and two
//! letters, and the special case "GIR 0AA" is allowed. Letter restrictions by position are not
//! enforced, so that old or unusual but real postcodes are never refused.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A UK postcode in normalised form, e.g. "SW1A 1AA".
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Postcode(String);

/// Why some text is not a UK postcode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostcodeError {
    /// Nothing was entered.
    #[error("Enter a postcode, like SW1A 1AA")]
    Empty,
    /// Too few or too many letters and digits.
    #[error(
        "A postcode must be 5 to 7 letters and digits, like SW1A 1AA or M1 1AE \
         (this one has {found})"
    )]
    WrongLength {
        /// How many letters and digits were entered, ignoring spaces.
        found: usize,
    },
    /// The last three characters are not a digit followed by two letters.
    #[error(
        "The last part of a postcode must be a digit followed by two letters, like the 1AA in \
         SW1A 1AA"
    )]
    BadInward,
    /// The first part is not a recognised shape.
    #[error(
        "The first part of a postcode must be one or two letters, then a digit, then optionally \
         a digit or letter, like SW1A, M1 or B33 in SW1A 1AA, M1 1AE or B33 8TH"
    )]
    BadOutward,
}

impl Postcode {
    /// Parses a postcode in any case, with or without the space (extra spaces are ignored), and
    /// normalises it to "SW1A 1AA".
    ///
    /// ```
    /// use safeguard_domain::postcode::Postcode;
    ///
    /// let p = Postcode::parse(" sw1a1aa ")?;
    /// assert_eq!(p.as_str(), "SW1A 1AA");
    /// assert_eq!(p.outward(), "SW1A");
    /// assert_eq!(p.sector(), "SW1A 1");
    /// # Ok::<(), safeguard_domain::postcode::PostcodeError>(())
    /// ```
    pub fn parse(input: &str) -> Result<Postcode, PostcodeError> {
        let compact: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if compact.is_empty() {
            return Err(PostcodeError::Empty);
        }
        let len = compact.chars().count();
        if !(5..=7).contains(&len) {
            return Err(PostcodeError::WrongLength { found: len });
        }
        if !compact.is_ascii() {
            // Five to seven characters, but at least one is not an ASCII letter or digit.
            return Err(PostcodeError::BadOutward);
        }
        let (outward, inward) = compact.split_at(len - 3);
        if !matches!(shape(inward).as_str(), "9AA") {
            return Err(PostcodeError::BadInward);
        }
        let outward_ok = matches!(
            shape(outward).as_str(),
            "A9" | "A99" | "A9A" | "AA9" | "AA99" | "AA9A"
        ) || compact == "GIR0AA";
        if !outward_ok {
            return Err(PostcodeError::BadOutward);
        }
        Ok(Postcode(format!("{outward} {inward}")))
    }

    /// The normalised postcode, e.g. "SW1A 1AA".
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The outward code, before the space: "SW1A" in "SW1A 1AA".
    pub fn outward(&self) -> &str {
        // The normalised form always has exactly one space, four characters from the end.
        &self.0[..self.0.len() - 4]
    }

    /// The postcode district, which is the outward code: "SW1A" in "SW1A 1AA".
    pub fn district(&self) -> &str {
        self.outward()
    }

    /// The postcode sector, the outward code plus the first digit of the inward code: "SW1A 1"
    /// in "SW1A 1AA". Useful for coarse, less identifying, geography in reports.
    pub fn sector(&self) -> String {
        self.0[..self.0.len() - 2].to_owned()
    }
}

/// "A" for each ASCII letter and "9" for each ASCII digit; anything else is kept as "?".
fn shape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphabetic() {
                'A'
            } else if c.is_ascii_digit() {
                '9'
            } else {
                '?'
            }
        })
        .collect()
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Postcode {
    type Err = PostcodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Postcode::parse(s)
    }
}

impl Serialize for Postcode {
    /// Serialises as the normalised form, "SW1A 1AA".
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Postcode {
    /// Accepts any form [`Postcode::parse`] accepts, and rejects invalid postcodes.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Postcode::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case::a9("M1 1AE", "M1 1AE", "M1", "M1 1")]
    #[case::a99("B33 8TH", "B33 8TH", "B33", "B33 8")]
    #[case::a9a("W1A 0AX", "W1A 0AX", "W1A", "W1A 0")]
    #[case::aa9("CR2 6XH", "CR2 6XH", "CR2", "CR2 6")]
    #[case::aa99("DN55 1PT", "DN55 1PT", "DN55", "DN55 1")]
    #[case::aa9a("EC1A 1BB", "EC1A 1BB", "EC1A", "EC1A 1")]
    #[case::girobank("gir0aa", "GIR 0AA", "GIR", "GIR 0")]
    #[case::lowercase("sw1a 1aa", "SW1A 1AA", "SW1A", "SW1A 1")]
    #[case::no_space("SW1A1AA", "SW1A 1AA", "SW1A", "SW1A 1")]
    #[case::extra_spaces("  SW1A   1AA ", "SW1A 1AA", "SW1A", "SW1A 1")]
    #[case::space_in_wrong_place("SW 1A1AA", "SW1A 1AA", "SW1A", "SW1A 1")]
    fn valid_postcodes_normalise(
        #[case] input: &str,
        #[case] normalised: &str,
        #[case] outward: &str,
        #[case] sector: &str,
    ) {
        let p = Postcode::parse(input).unwrap();
        assert_eq!(p.as_str(), normalised);
        assert_eq!(p.to_string(), normalised);
        assert_eq!(p.outward(), outward);
        assert_eq!(p.district(), outward);
        assert_eq!(p.sector(), sector);
    }

    #[rstest]
    #[case::empty("", PostcodeError::Empty)]
    #[case::blank("   ", PostcodeError::Empty)]
    #[case::too_short("M1 1A", PostcodeError::WrongLength { found: 4 })]
    #[case::too_long("SW1AA 1AA", PostcodeError::WrongLength { found: 8 })]
    #[case::inward_letter_first("SW1A AA1", PostcodeError::BadInward)]
    #[case::inward_all_digits("SW1A 111", PostcodeError::BadInward)]
    #[case::outward_digit_first("1W1A 1AA", PostcodeError::BadOutward)]
    #[case::outward_three_letters("ABC 1AA", PostcodeError::BadOutward)]
    #[case::outward_letters_only("SW 1AA", PostcodeError::BadOutward)]
    #[case::punctuation("S-1 1AA", PostcodeError::BadOutward)]
    #[case::not_ascii("SWÅ 1AA", PostcodeError::BadOutward)]
    fn invalid_postcodes_are_rejected(#[case] input: &str, #[case] expected: PostcodeError) {
        assert_eq!(Postcode::parse(input), Err(expected));
    }

    #[test]
    fn serde_uses_the_normalised_form_and_validates() {
        let p: Postcode = serde_json::from_str("\"sw1a1aa\"").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"SW1A 1AA\"");
        assert!(serde_json::from_str::<Postcode>("\"not a postcode\"").is_err());
    }

    proptest! {
        #[test]
        fn generated_postcodes_normalise_idempotently(
            outward in "[A-Z][0-9]|[A-Z][0-9][0-9]|[A-Z][0-9][A-Z]|[A-Z]{2}[0-9]|[A-Z]{2}[0-9]{2}|[A-Z]{2}[0-9][A-Z]",
            inward in "[0-9][A-Z]{2}",
            lower in any::<bool>(),
        ) {
            let raw = format!("{outward}{inward}");
            let input = if lower { raw.to_lowercase() } else { raw };
            let p = Postcode::parse(&input).unwrap();
            prop_assert_eq!(p.outward(), outward.as_str());
            prop_assert_eq!(Postcode::parse(p.as_str()).unwrap(), p.clone());
            prop_assert_eq!(p.as_str().len(), outward.len() + 4);
        }
    }
}
