//! Comparisons: for each field, how closely two records agree, as one of a few ordered levels.
//!
//! Each field has a fixed list of levels, from "missing" and "exact" down to "else"; a pair of
//! values falls into the first level whose test it passes. Every test is symmetric, so the level
//! of (a, b) is the level of (b, a).

use serde::{Deserialize, Serialize};

use crate::record::Field;
use crate::similarity::{Signature, jaro_winkler_at_least_signed, osa_within};
use crate::standardise::{Address, Dob, Name, Prepared};

/// How closely two values agree. Which levels a field uses, and in what order, is given by
/// [`levels`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// One or both values missing: contributes nothing either way.
    Null,
    /// Identical after standardisation.
    Exact,
    /// Known forms of the same given name (Bill and William).
    Alias,
    /// Jaro-Winkler similarity of at least 0.92.
    JaroWinkler92,
    /// Share a word (Smith-Jones and Jones; Mary Ann and Mary).
    SharedWord,
    /// Same Double Metaphone code.
    Phonetic,
    /// One is an initial and the other starts with it.
    Initial,
    /// Given name and surname swapped over.
    Swapped,
    /// Jaro-Winkler similarity of at least 0.80.
    JaroWinkler80,
    /// Day and month swapped over.
    DayMonthSwapped,
    /// One of day, month and year differs (or is missing from one side).
    OneFieldDiffers,
    /// Years at most one apart.
    YearWithinOne,
    /// Same postcode sector (SW1A 1).
    Sector,
    /// Same postcode district (SW1A).
    District,
    /// One edit apart (a typed character wrong, missing, extra or two swapped).
    EditDistance1,
    /// Two edits apart.
    EditDistance2,
    /// Same house numbers, similar street (Jaro-Winkler at least 0.88).
    SameNumberSimilarStreet,
    /// Similar street (Jaro-Winkler at least 0.88), different or missing numbers.
    SimilarStreet,
    /// None of the above.
    Else,
}

impl Level {
    /// A label for people, as shown in an explanation.
    pub fn label(self) -> &'static str {
        match self {
            Level::Null => "missing",
            Level::Exact => "exact match",
            Level::Alias => "known alias (nickname)",
            Level::JaroWinkler92 => "very similar spelling",
            Level::SharedWord => "shares a word",
            Level::Phonetic => "sounds the same",
            Level::Initial => "initial matches",
            Level::Swapped => "given name and surname swapped",
            Level::JaroWinkler80 => "similar spelling",
            Level::DayMonthSwapped => "day and month swapped",
            Level::OneFieldDiffers => "one of day, month or year differs",
            Level::YearWithinOne => "year within one",
            Level::Sector => "same postcode sector",
            Level::District => "same postcode district",
            Level::EditDistance1 => "one character different",
            Level::EditDistance2 => "two characters different",
            Level::SameNumberSimilarStreet => "same number, similar street",
            Level::SimilarStreet => "similar street",
            Level::Else => "different",
        }
    }
}

const GIVEN_LEVELS: &[Level] = &[
    Level::Null,
    Level::Exact,
    Level::Alias,
    Level::JaroWinkler92,
    Level::SharedWord,
    Level::Phonetic,
    Level::Initial,
    Level::Swapped,
    Level::JaroWinkler80,
    Level::Else,
];
const SURNAME_LEVELS: &[Level] = &[
    Level::Null,
    Level::Exact,
    Level::JaroWinkler92,
    Level::SharedWord,
    Level::Phonetic,
    Level::Swapped,
    Level::JaroWinkler80,
    Level::Else,
];
const DOB_LEVELS: &[Level] = &[
    Level::Null,
    Level::Exact,
    Level::DayMonthSwapped,
    Level::OneFieldDiffers,
    Level::YearWithinOne,
    Level::Else,
];
const SEX_LEVELS: &[Level] = &[Level::Null, Level::Exact, Level::Else];
const POSTCODE_LEVELS: &[Level] = &[
    Level::Null,
    Level::Exact,
    Level::Sector,
    Level::EditDistance1,
    Level::District,
    Level::Else,
];
const ADDRESS_LEVELS: &[Level] = &[
    Level::Null,
    Level::Exact,
    Level::SameNumberSimilarStreet,
    Level::SimilarStreet,
    Level::Else,
];
const LOCALITY_LEVELS: &[Level] = &[
    Level::Null,
    Level::Exact,
    Level::JaroWinkler92,
    Level::JaroWinkler80,
    Level::Else,
];
const IDENTIFIER_LEVELS: &[Level] = &[
    Level::Null,
    Level::Exact,
    Level::EditDistance1,
    Level::EditDistance2,
    Level::Else,
];

/// The levels of a field's comparison, strongest first after [`Level::Null`]. A pair falls
/// into the first level it passes; [`Level::Else`] is always last.
pub fn levels(field: Field) -> &'static [Level] {
    match field {
        Field::GivenName => GIVEN_LEVELS,
        Field::Surname => SURNAME_LEVELS,
        Field::DateOfBirth => DOB_LEVELS,
        Field::Sex => SEX_LEVELS,
        Field::Postcode => POSTCODE_LEVELS,
        Field::Address => ADDRESS_LEVELS,
        Field::Locality => LOCALITY_LEVELS,
        Field::Identifier => IDENTIFIER_LEVELS,
    }
}

/// Whether a field's exact level is weighted by how common the value is.
pub(crate) fn uses_term_frequency(field: Field) -> bool {
    matches!(
        field,
        Field::GivenName | Field::Surname | Field::Postcode | Field::Locality
    )
}

/// The value that must be equal for [`Level::Exact`], or `None` when the field is missing (or,
/// for dates, partial). Used for exact blocking and for counting exact agreements.
pub(crate) fn exact_key(field: Field, p: &Prepared) -> Option<String> {
    match field {
        Field::GivenName => p.given.as_ref().map(|n| n.text.to_string()),
        Field::Surname => p.surname.as_ref().map(|n| n.text.to_string()),
        Field::DateOfBirth => p
            .dob
            .filter(Dob::is_full)
            .map(|d| format!("{}-{:?}-{:?}", d.year, d.month, d.day)),
        Field::Sex => p.sex.map(|s| format!("{s:?}")),
        Field::Postcode => p.postcode.as_ref().map(|c| c.full().to_owned()),
        Field::Address => p.address.as_ref().map(|a| a.text.to_string()),
        Field::Locality => p.locality.as_ref().map(ToString::to_string),
        Field::Identifier => p.identifier.as_ref().map(ToString::to_string),
    }
}

/// Whether the field is present in the prepared record.
pub(crate) fn is_present(field: Field, p: &Prepared) -> bool {
    match field {
        Field::GivenName => p.given.is_some(),
        Field::Surname => p.surname.is_some(),
        Field::DateOfBirth => p.dob.is_some(),
        Field::Sex => p.sex.is_some(),
        Field::Postcode => p.postcode.is_some(),
        Field::Address => p.address.is_some(),
        Field::Locality => p.locality.is_some(),
        Field::Identifier => p.identifier.is_some(),
    }
}

/// The index, within [`levels`]`(field)`, of the level the pair falls into.
pub(crate) fn compare(field: Field, a: &Prepared, b: &Prepared) -> u8 {
    let level = match field {
        Field::GivenName => given(a, b),
        Field::Surname => surname(a, b),
        Field::DateOfBirth => match (&a.dob, &b.dob) {
            (Some(x), Some(y)) => dob(x, y),
            _ => Level::Null,
        },
        Field::Sex => match (a.sex, b.sex) {
            (Some(x), Some(y)) if x == y => Level::Exact,
            (Some(_), Some(_)) => Level::Else,
            _ => Level::Null,
        },
        Field::Postcode => postcode(a, b),
        Field::Address => match (&a.address, &b.address) {
            (Some(x), Some(y)) => address(x, y),
            _ => Level::Null,
        },
        Field::Locality => match (&a.locality, &b.locality) {
            (Some(x), Some(y)) => similar_text(x, &a.locality_signature, y, &b.locality_signature),
            _ => Level::Null,
        },
        Field::Identifier => match (&a.identifier, &b.identifier) {
            (Some(x), Some(y)) => edit_levels(x, y),
            _ => Level::Null,
        },
    };
    level_index(field, level)
}

/// The position of a level in a field's list (the last, Else, if it is not in the list, which
/// the functions above never produce).
pub(crate) fn level_index(field: Field, level: Level) -> u8 {
    let list = levels(field);
    let i = list
        .iter()
        .position(|l| *l == level)
        .unwrap_or(list.len() - 1);
    u8::try_from(i).unwrap_or(u8::MAX)
}

/// Jaro-Winkler similarity when it is at least 0.80 (the lowest band used), else 0.
fn jw(a: &Name, b: &Name) -> f64 {
    jaro_winkler_at_least_signed(&a.text, &a.signature, &b.text, &b.signature, 0.80)
}

fn shares_word(a: &str, b: &str) -> bool {
    // Two single words that are equal were caught by the exact level.
    if !a.contains(' ') && !b.contains(' ') {
        return false;
    }
    a.split(' ')
        .filter(|w| w.chars().count() >= 2)
        .any(|wa| b.split(' ').any(|wb| wb == wa))
}

fn first_word(s: &str) -> &str {
    s.split(' ').next().unwrap_or(s)
}

fn phonetic_match(a: &Name, b: &Name) -> bool {
    let [ap, aa] = a.phonetic;
    let [bp, ba] = b.phonetic;
    ap != 0 && (ap == bp || ap == ba || (aa != 0 && (aa == bp || aa == ba)))
}

/// Both given name and surname agree crosswise (the given name of one is the surname of the
/// other, and the other way round).
fn swapped(a: &Prepared, b: &Prepared) -> bool {
    let close = |x: Option<&Name>, y: Option<&Name>| match (x, y) {
        (Some(x), Some(y)) => {
            x.text == y.text
                || jaro_winkler_at_least_signed(&x.text, &x.signature, &y.text, &y.signature, 0.92)
                    >= 0.92
        }
        _ => false,
    };
    close(a.given.as_ref(), b.surname.as_ref()) && close(a.surname.as_ref(), b.given.as_ref())
}

fn given(a: &Prepared, b: &Prepared) -> Level {
    let (Some(x), Some(y)) = (&a.given, &b.given) else {
        return Level::Null;
    };
    if x.text == y.text {
        return Level::Exact;
    }
    if x.groups.iter().any(|g| y.groups.contains(g)) && first_word(&x.text) != first_word(&y.text) {
        return Level::Alias;
    }
    let sim = jw(x, y);
    if sim >= 0.92 {
        return Level::JaroWinkler92;
    }
    if shares_word(&x.text, &y.text) {
        return Level::SharedWord;
    }
    if phonetic_match(x, y) {
        return Level::Phonetic;
    }
    if is_initial_of(&x.text, &y.text) || is_initial_of(&y.text, &x.text) {
        return Level::Initial;
    }
    if swapped(a, b) {
        return Level::Swapped;
    }
    if sim >= 0.80 {
        return Level::JaroWinkler80;
    }
    Level::Else
}

fn is_initial_of(initial: &str, name: &str) -> bool {
    let mut chars = initial.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => name.starts_with(c),
        _ => false,
    }
}

fn surname(a: &Prepared, b: &Prepared) -> Level {
    let (Some(x), Some(y)) = (&a.surname, &b.surname) else {
        return Level::Null;
    };
    if x.text == y.text {
        return Level::Exact;
    }
    let sim = jw(x, y);
    if sim >= 0.92 {
        return Level::JaroWinkler92;
    }
    if shares_word(&x.text, &y.text) {
        return Level::SharedWord;
    }
    if phonetic_match(x, y) {
        return Level::Phonetic;
    }
    if swapped(a, b) {
        return Level::Swapped;
    }
    if sim >= 0.80 {
        return Level::JaroWinkler80;
    }
    Level::Else
}

fn dob(a: &Dob, b: &Dob) -> Level {
    if a.is_full() && b.is_full() {
        if a == b {
            return Level::Exact;
        }
        if a.year == b.year && a.day == b.month && a.month == b.day {
            return Level::DayMonthSwapped;
        }
        let differing = usize::from(a.year != b.year)
            + usize::from(a.month != b.month)
            + usize::from(a.day != b.day);
        if differing == 1 {
            return Level::OneFieldDiffers;
        }
    } else {
        // A partial date: compare the parts both have. Agreement on all of them is as good as
        // "one part differs" (the missing one).
        let agree = |x: Option<u8>, y: Option<u8>| match (x, y) {
            (Some(x), Some(y)) => x == y,
            _ => true,
        };
        if a.year == b.year && agree(a.month, b.month) && agree(a.day, b.day) {
            return Level::OneFieldDiffers;
        }
    }
    if a.year.abs_diff(b.year) <= 1 {
        return Level::YearWithinOne;
    }
    Level::Else
}

fn postcode(a: &Prepared, b: &Prepared) -> Level {
    let (Some(x), Some(y)) = (&a.postcode, &b.postcode) else {
        return Level::Null;
    };
    if x.full() == y.full() {
        return Level::Exact;
    }
    if x.sector().is_some() && x.sector() == y.sector() {
        return Level::Sector;
    }
    if osa_within(x.full(), y.full(), 1).is_some() {
        return Level::EditDistance1;
    }
    if x.district().is_some() && x.district() == y.district() {
        return Level::District;
    }
    Level::Else
}

fn address(a: &Address, b: &Address) -> Level {
    if a.text == b.text {
        return Level::Exact;
    }
    let street_similar = (a.street.is_empty() && b.street.is_empty())
        || (!a.street.is_empty()
            && !b.street.is_empty()
            && jaro_winkler_at_least_signed(
                &a.street,
                &a.street_signature,
                &b.street,
                &b.street_signature,
                0.88,
            ) >= 0.88);
    if street_similar && !a.numbers.is_empty() && a.numbers == b.numbers {
        return Level::SameNumberSimilarStreet;
    }
    if street_similar && !a.street.is_empty() {
        return Level::SimilarStreet;
    }
    Level::Else
}

fn similar_text(a: &str, sa: &Signature, b: &str, sb: &Signature) -> Level {
    if a == b {
        return Level::Exact;
    }
    let sim = jaro_winkler_at_least_signed(a, sa, b, sb, 0.80);
    if sim >= 0.92 {
        Level::JaroWinkler92
    } else if sim >= 0.80 {
        Level::JaroWinkler80
    } else {
        Level::Else
    }
}

/// Identifiers: exact, then restricted Damerau-Levenshtein (optimal string alignment) distance
/// 1 or 2. OSA counts a swap of two adjacent characters as one edit, which is the typing slip
/// that matters for ids; it differs from unrestricted Damerau-Levenshtein only when a swapped
/// pair is edited again, which is beyond two edits anyway.
fn edit_levels(a: &str, b: &str) -> Level {
    if a == b {
        return Level::Exact;
    }
    match osa_within(a, b, 2) {
        Some(1) => Level::EditDistance1,
        Some(2) => Level::EditDistance2,
        _ => Level::Else,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Record;
    use proptest::prelude::*;
    use rstest::rstest;

    fn prep(given: &str, surname: &str, dob: &str, postcode: &str) -> Prepared {
        Prepared::new(&Record {
            given_name: Some(given.into()),
            surname: Some(surname.into()),
            dob: Some(dob.into()),
            postcode: Some(postcode.into()),
            ..Record::new("x")
        })
    }

    fn level(field: Field, a: &Prepared, b: &Prepared) -> Level {
        levels(field)[usize::from(compare(field, a, b))]
    }

    #[rstest]
    #[case("William", "Bill", Level::Alias)]
    #[case("Jon", "John", Level::Alias)]
    #[case("Catherine", "Catherine", Level::Exact)]
    #[case("Katherine", "Catherine", Level::Alias)]
    #[case("Jonathon", "Jonathan", Level::JaroWinkler92)]
    #[case("Mary Ann", "Mary", Level::SharedWord)]
    #[case("Oliver James", "James", Level::SharedWord)]
    #[case("Stephon", "Stefan", Level::Phonetic)]
    #[case("J", "John", Level::Initial)]
    #[case("Amelia", "Olivia", Level::Else)]
    #[case("", "Olivia", Level::Null)]
    fn given_names(#[case] a: &str, #[case] b: &str, #[case] expected: Level) {
        let (x, y) = (prep(a, "Smith", "", ""), prep(b, "Smith", "", ""));
        assert_eq!(level(Field::GivenName, &x, &y), expected, "{a} / {b}");
        assert_eq!(level(Field::GivenName, &y, &x), expected, "{b} / {a}");
    }

    #[test]
    fn swapped_names() {
        let (x, y) = (prep("Ahmed", "Khan", "", ""), prep("Khan", "Ahmed", "", ""));
        assert_eq!(level(Field::GivenName, &x, &y), Level::Swapped);
        assert_eq!(level(Field::Surname, &x, &y), Level::Swapped);
    }

    #[rstest]
    #[case("2014-03-02", "2014-03-02", Level::Exact)]
    #[case("2014-03-02", "2014-02-03", Level::DayMonthSwapped)]
    #[case("2014-03-02", "2014-03-12", Level::OneFieldDiffers)]
    #[case("2014-03-02", "2041-03-02", Level::OneFieldDiffers)]
    #[case("2014-03", "2014-03-02", Level::OneFieldDiffers)]
    #[case("2014-03-02", "2015-04-12", Level::YearWithinOne)]
    #[case("2014-03-02", "2010-04-12", Level::Else)]
    #[case("2014-03-02", "", Level::Null)]
    fn dates(#[case] a: &str, #[case] b: &str, #[case] expected: Level) {
        let (x, y) = (prep("a", "b", a, ""), prep("a", "b", b, ""));
        assert_eq!(level(Field::DateOfBirth, &x, &y), expected, "{a} / {b}");
    }

    #[rstest]
    #[case("SW1A 1AA", "sw1a1aa", Level::Exact)]
    #[case("SW1A 1AA", "SW1A 1BB", Level::Sector)]
    #[case("SW1A 1AA", "SW1A 2BB", Level::District)]
    #[case("M1 1AE", "M2 1AE", Level::EditDistance1)]
    #[case("4223", "4233", Level::EditDistance1)]
    #[case("4223", "5000", Level::Else)]
    fn postcodes(#[case] a: &str, #[case] b: &str, #[case] expected: Level) {
        let (x, y) = (prep("a", "b", "", a), prep("a", "b", "", b));
        assert_eq!(level(Field::Postcode, &x, &y), expected, "{a} / {b}");
    }

    #[rstest]
    #[case("9434765919", "9434765919", Level::Exact)]
    #[case("9434765919", "9434756919", Level::EditDistance1)]
    #[case("9434765919", "943476591", Level::EditDistance1)]
    #[case("9434765919", "9434765000", Level::Else)]
    fn identifiers(#[case] a: &str, #[case] b: &str, #[case] expected: Level) {
        assert_eq!(edit_levels(a, b), expected);
    }

    fn arb_record() -> impl Strategy<Value = Record> {
        let name = prop::option::of("[A-Za-z]{1,8}( [A-Za-z]{1,6})?");
        let dob = prop::option::of("(19|20)[0-9]{2}-[01][0-9]-[0-3][0-9]");
        let pc = prop::option::of("[A-Z]{1,2}[0-9] ?[0-9][A-Z]{2}");
        let addr = prop::option::of("[0-9]{1,3} [a-z]{3,8} (st|road|way)");
        let id = prop::option::of("[0-9]{6,10}");
        let sex = prop::option::of("[MFU]");
        (name.clone(), name, dob, pc, addr, id, sex).prop_map(
            |(given_name, surname, dob, postcode, address, identifier, sex)| Record {
                locality: surname.clone(),
                given_name,
                surname,
                dob,
                postcode,
                address,
                identifier,
                sex,
                ..Record::new("r")
            },
        )
    }

    proptest! {
        #[test]
        fn comparisons_are_symmetric(a in arb_record(), b in arb_record()) {
            let (x, y) = (Prepared::new(&a), Prepared::new(&b));
            for field in Field::ALL {
                prop_assert_eq!(compare(field, &x, &y), compare(field, &y, &x), "{:?}", field);
            }
        }

        #[test]
        fn a_record_matches_itself_exactly_where_present(a in arb_record()) {
            let x = Prepared::new(&a);
            for field in Field::ALL {
                let l = level(field, &x, &x);
                let exact_possible = exact_key(field, &x).is_some();
                if exact_possible {
                    prop_assert_eq!(l, Level::Exact, "{:?}", field);
                } else if !is_present(field, &x) {
                    prop_assert_eq!(l, Level::Null, "{:?}", field);
                }
            }
        }
    }
}
