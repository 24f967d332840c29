//! Standardisation: the same person written two ways should read the same after this.
//!
//! Every function here is total: any input, however odd, gives a value or `None`, never a panic
//! (the property tests feed them arbitrary Unicode).

use std::collections::HashMap;
use std::sync::OnceLock;

use rphonetic::DoubleMetaphone;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::record::Record;
use crate::similarity::Signature;

/// Folds text for comparison: Unicode compatibility decomposition with accents dropped
/// ("Zoë" → "zoe", "ﬁ" → "fi"), lower case, apostrophes removed ("O'Brien" → "obrien"), every
/// other punctuation mark or symbol turned into a space, runs of spaces collapsed, and trimmed.
///
/// ```
/// assert_eq!(safeguard_linkage::fold("  Zoë  O’Brien-SMITH "), "zoe obrien smith");
/// ```
pub fn fold(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut pending_space = false;
    if input.is_ascii() {
        // Nothing to decompose: the common case, done without the Unicode machinery.
        for c in input.chars() {
            push_folded(&mut out, &mut pending_space, c.to_ascii_lowercase());
        }
        return out;
    }
    // Decompose, lower-case, then decompose again: lower-casing can produce a letter with a
    // combining mark ("İ" → "i̇"), and the result must fold to itself.
    for c0 in input.nfkd() {
        for c1 in c0.to_lowercase() {
            for c in std::iter::once(c1).nfkd() {
                push_folded(&mut out, &mut pending_space, c);
            }
        }
    }
    out
}

fn push_folded(out: &mut String, pending_space: &mut bool, c: char) {
    if is_combining_mark(c) || matches!(c, '\'' | '’' | '‘' | '`' | 'ʼ' | '´') {
        return;
    }
    if !c.is_alphanumeric() {
        *pending_space = true;
        return;
    }
    if *pending_space && !out.is_empty() {
        out.push(' ');
    }
    *pending_space = false;
    match c {
        // Letters that have no decomposition but a usual ASCII spelling.
        'ß' => out.push_str("ss"),
        'æ' => out.push_str("ae"),
        'œ' => out.push_str("oe"),
        'ø' => out.push('o'),
        'ł' => out.push('l'),
        'đ' | 'ð' => out.push('d'),
        'þ' => out.push_str("th"),
        'ı' => out.push('i'),
        _ => out.push(c),
    }
}

/// Words that stand in for "not known" in any field.
const NOT_KNOWN: &[&str] = &[
    "unknown",
    "not known",
    "nk",
    "n k",
    "na",
    "n a",
    "null",
    "none",
    "nil",
    "not recorded",
    "not stated",
    "not given",
    "tbc",
    "tba",
    "x",
    "xx",
    "xxx",
];

/// Words that, alone, are a placeholder for a child not yet named ("Baby Smith", "Unborn").
const PLACEHOLDER_GIVEN: &[&str] = &[
    "baby", "infant", "unborn", "unnamed", "boy", "girl", "twin", "1", "2", "3", "one", "two", "of",
];

fn folded_or_none(raw: Option<&str>) -> Option<String> {
    let f = fold(raw?);
    if f.is_empty() || NOT_KNOWN.contains(&f.as_str()) {
        None
    } else {
        Some(f)
    }
}

/// A standardised name: letters and single spaces only.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Name {
    /// The folded name, letters and spaces only.
    pub text: Box<str>,
    /// Double Metaphone primary and alternate codes (of the first word for given names, of the
    /// whole name for surnames), packed into a `u32` each; 0 when there is none.
    pub phonetic: [u32; 2],
    /// The nickname groups the first word belongs to.
    pub groups: Box<[u16]>,
    /// The phonetic code of the name's canonical form (William for Bill), for blocking.
    pub canonical_phonetic: u32,
    /// Letter counts, for quick similarity bounds.
    pub signature: Signature,
}

fn name_text(raw: Option<&str>) -> Option<String> {
    let f = folded_or_none(raw)?;
    let letters: String = f
        .split(' ')
        .map(|w| w.chars().filter(|c| c.is_alphabetic()).collect::<String>())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if letters.is_empty() {
        None
    } else {
        Some(letters)
    }
}

fn given_name(raw: Option<&str>) -> Option<Name> {
    let text = name_text(raw)?;
    if text.split(' ').all(|w| PLACEHOLDER_GIVEN.contains(&w)) {
        return None;
    }
    let first = text.split(' ').next().unwrap_or_default();
    let groups: Box<[u16]> = nickname_groups(first).into();
    let canonical = groups
        .first()
        .and_then(|g| nickname_table().canonical.get(usize::from(*g)))
        .map_or(first, String::as_str);
    let canonical_phonetic = phonetic(canonical)[0];
    Some(Name {
        phonetic: phonetic(first),
        groups,
        canonical_phonetic,
        signature: Signature::of(&text),
        text: text.into(),
    })
}

fn surname(raw: Option<&str>) -> Option<Name> {
    let text = name_text(raw)?;
    let joined: String = text.chars().filter(|c| *c != ' ').collect();
    let phonetic = phonetic(&joined);
    Some(Name {
        canonical_phonetic: phonetic[0],
        phonetic,
        groups: Box::new([]),
        signature: Signature::of(&text),
        text: text.into(),
    })
}

/// Double Metaphone (primary, alternate) codes of a word, up to four characters each, packed
/// into `u32`s (0 for no code). Uses `rphonetic`, a port of Apache Commons Codec's encoder.
pub(crate) fn phonetic(word: &str) -> [u32; 2] {
    // Double Metaphone is defined on Latin letters; for other scripts it gives nothing useful,
    // and an empty code never equals anything.
    if word.is_empty() || !word.chars().all(|c| c.is_ascii_alphabetic()) {
        return [0, 0];
    }
    let result = DoubleMetaphone::default().double_metaphone(word);
    [pack(&result.primary()), pack(&result.alternate())]
}

fn pack(code: &str) -> u32 {
    code.bytes()
        .take(4)
        .fold(0u32, |acc, b| (acc << 8) | u32::from(b))
}

/// The Double Metaphone primary and alternate codes of a word, as text: "SM0" and "XMT" for
/// "Smith". Both empty for a word that is not in Latin letters.
pub fn double_metaphone(word: &str) -> (String, String) {
    let [p, a] = phonetic(&fold(word).replace(' ', ""));
    (unpack(p), unpack(a))
}

fn unpack(code: u32) -> String {
    code.to_be_bytes()
        .iter()
        .filter(|b| **b != 0)
        .map(|b| char::from(*b))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Nicknames

struct NicknameTable {
    /// Group number → its canonical (first-listed) name.
    canonical: Vec<String>,
    /// Name → the groups it is in.
    groups: HashMap<String, Vec<u16>>,
}

/// The nickname table shipped with the crate (`data/nicknames.txt`, whose header gives its
/// source), parsed once.
fn nickname_table() -> &'static NicknameTable {
    static TABLE: OnceLock<NicknameTable> = OnceLock::new();
    TABLE.get_or_init(|| parse_nicknames(include_str!("../data/nicknames.txt")))
}

fn parse_nicknames(text: &str) -> NicknameTable {
    let mut table = NicknameTable {
        canonical: Vec::new(),
        groups: HashMap::new(),
    };
    let lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    for line in lines {
        let Ok(group) = u16::try_from(table.canonical.len()) else {
            break;
        };
        let names: Vec<String> = line
            .split(',')
            .map(fold)
            .filter(|n| !n.is_empty())
            .collect();
        let Some(first) = names.first() else {
            continue;
        };
        table.canonical.push(first.clone());
        for name in names {
            let entry = table.groups.entry(name).or_default();
            if !entry.contains(&group) {
                entry.push(group);
            }
        }
    }
    table
}

fn nickname_groups(first_word: &str) -> Vec<u16> {
    nickname_table()
        .groups
        .get(first_word)
        .cloned()
        .unwrap_or_default()
}

/// Other known forms of a given name (its first word), for generating realistic test data.
pub(crate) fn aliases_of(name: &str) -> Vec<String> {
    let table = nickname_table();
    let first = fold(name);
    let first = first.split(' ').next().unwrap_or_default();
    let groups = nickname_groups(first);
    let mut out: Vec<String> = table
        .groups
        .iter()
        .filter(|(n, g)| n.as_str() != first && g.iter().any(|x| groups.contains(x)))
        .map(|(n, _)| n.clone())
        .collect();
    out.sort();
    out
}

/// Whether two given names are known forms of the same name (Bill and William, Kate and
/// Catherine, Alex and Alexandra), by the first word of each. A name is not its own alias:
/// this is for names that differ.
///
/// ```
/// use safeguard_linkage::are_aliases;
/// assert!(are_aliases("Bill", "william"));
/// assert!(are_aliases("Peggy", "Margaret"));
/// assert!(!are_aliases("Bill", "Robert"));
/// ```
pub fn are_aliases(a: &str, b: &str) -> bool {
    let (a, b) = (fold(a), fold(b));
    let first = |s: &str| s.split(' ').next().unwrap_or_default().to_owned();
    let (ga, gb) = (nickname_groups(&first(&a)), nickname_groups(&first(&b)));
    ga.iter().any(|g| gb.contains(g))
}

// ---------------------------------------------------------------------------------------------
// Dates of birth

/// A date of birth as parts. Any part may be missing (a partial date); the parts present need
/// not make a real date (day 31 of month 11 is kept), because a wrong digit still says a lot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Dob {
    /// The year, 1800 to 2200.
    pub year: u16,
    /// The month as written, 1 to 99; `None` when not given (or written as 00).
    pub month: Option<u8>,
    /// The day as written, 1 to 99; `None` when not given (or written as 00).
    pub day: Option<u8>,
}

impl Dob {
    /// Reads a date of birth: `YYYY-MM-DD`, `YYYYMMDD`, `DD/MM/YYYY` (the UK order; `-`, `.` and
    /// spaces also work as separators), `YYYY-MM`, `MM/YYYY`, `YYYYMM` or `YYYY`. A time after
    /// the date (`2014-03-02T00:00:00`) is ignored. Anything else, or a year outside 1800–2200,
    /// is `None`.
    ///
    /// ```
    /// use safeguard_linkage::Dob;
    /// let d = Dob::parse("02/03/2014").unwrap();
    /// assert_eq!((d.year, d.month, d.day), (2014, Some(3), Some(2)));
    /// assert_eq!(Dob::parse("20140302"), Dob::parse("2014-03-02"));
    /// assert!(Dob::parse("19151131").is_some()); // 31 November: kept, compared by parts
    /// assert!(Dob::parse("next tuesday").is_none());
    /// ```
    pub fn parse(raw: &str) -> Option<Dob> {
        let raw = raw.trim();
        // Drop a time part.
        let raw = raw.split(['T', 't']).next().unwrap_or(raw);
        let raw = raw.split(' ').next().unwrap_or(raw);
        let parts: Vec<&str> = raw
            .split(['-', '/', '.'])
            .filter(|p| !p.is_empty())
            .collect();
        if parts.is_empty() || parts.len() > 3 {
            return None;
        }
        if !parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
            return None;
        }
        let num = |s: &str| s.parse::<u32>().ok();
        let (y, m, d) = match parts.as_slice() {
            [one] => match one.len() {
                8 => (num(&one[..4])?, num(&one[4..6]), num(&one[6..])),
                6 => (num(&one[..4])?, num(&one[4..]), None),
                4 => (num(one)?, None, None),
                _ => return None,
            },
            [a, b] if a.len() == 4 && b.len() <= 2 => (num(a)?, num(b), None),
            [a, b] if b.len() == 4 && a.len() <= 2 => (num(b)?, num(a), None),
            [a, b, c] if a.len() == 4 && b.len() <= 2 && c.len() <= 2 => (num(a)?, num(b), num(c)),
            [a, b, c] if c.len() == 4 && a.len() <= 2 && b.len() <= 2 => (num(c)?, num(b), num(a)),
            _ => return None,
        };
        if !(1800..=2200).contains(&y) {
            return None;
        }
        let part = |v: Option<u32>| v.and_then(|v| u8::try_from(v).ok()).filter(|v| *v != 0);
        Some(Dob {
            year: u16::try_from(y).ok()?,
            month: part(m),
            day: part(d),
        })
    }

    /// Whether all three parts are present.
    pub fn is_full(&self) -> bool {
        self.month.is_some() && self.day.is_some()
    }

    /// Whether the parts make a real calendar date.
    pub fn is_valid_date(&self) -> bool {
        let (Some(m), Some(d)) = (self.month, self.day) else {
            return false;
        };
        let y = u32::from(self.year);
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let days = match m {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return false,
        };
        (1..=days).contains(&d)
    }
}

// ---------------------------------------------------------------------------------------------
// Postcodes

/// A standardised postcode: upper case, no spaces. For a UK-shaped postcode the district
/// (outward code) and sector are known too; any other code is compared as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostcodeParts {
    full: Box<str>,
    /// Length of the outward code within `full`, or 0 when the code is not UK-shaped.
    outward_len: u8,
}

impl PostcodeParts {
    /// Standardises a postcode: `" sw1a1aa"` becomes `SW1A1AA` with district `SW1A` and sector
    /// `SW1A1`. `None` for blank or not-known values.
    ///
    /// ```
    /// use safeguard_linkage::PostcodeParts;
    /// let p = PostcodeParts::parse(" sw1a 1aa").unwrap();
    /// assert_eq!((p.full(), p.district(), p.sector()), ("SW1A1AA", Some("SW1A"), Some("SW1A1")));
    /// let other = PostcodeParts::parse("4223").unwrap();
    /// assert_eq!((other.full(), other.district()), ("4223", None));
    /// ```
    pub fn parse(raw: &str) -> Option<PostcodeParts> {
        let f = folded_or_none(Some(raw))?;
        let compact: String = f
            .chars()
            .filter(|c| *c != ' ')
            .flat_map(char::to_uppercase)
            .collect();
        if compact.is_empty() {
            return None;
        }
        let outward_len = uk_outward_len(&compact).unwrap_or(0);
        Some(PostcodeParts {
            full: compact.into(),
            outward_len,
        })
    }

    /// The whole postcode, upper case without spaces.
    pub fn full(&self) -> &str {
        &self.full
    }

    /// The district (outward code) of a UK postcode.
    pub fn district(&self) -> Option<&str> {
        (self.outward_len > 0).then(|| self.full.get(..usize::from(self.outward_len)))?
    }

    /// The sector (outward code and the first character of the inward code) of a UK postcode.
    pub fn sector(&self) -> Option<&str> {
        (self.outward_len > 0).then(|| self.full.get(..usize::from(self.outward_len) + 1))?
    }
}

/// The outward code's length when `compact` has the shape of a UK postcode: A9, A99, A9A, AA9,
/// AA99 or AA9A, then a digit and two letters.
fn uk_outward_len(compact: &str) -> Option<u8> {
    let b = compact.as_bytes();
    if !(5..=7).contains(&b.len()) || !compact.is_ascii() {
        return None;
    }
    let (outward, inward) = b.split_at(b.len() - 3);
    let inward_ok = inward[0].is_ascii_digit()
        && inward[1].is_ascii_alphabetic()
        && inward[2].is_ascii_alphabetic();
    let shape: String = outward
        .iter()
        .map(|c| if c.is_ascii_digit() { '9' } else { 'A' })
        .collect();
    let outward_ok = matches!(
        shape.as_str(),
        "A9" | "A99" | "A9A" | "AA9" | "AA99" | "AA9A"
    );
    (inward_ok && outward_ok)
        .then(|| u8::try_from(outward.len()).ok())
        .flatten()
}

// ---------------------------------------------------------------------------------------------
// Addresses

/// A standardised address: folded, common street-type abbreviations spelled out, and split into
/// its numbers (house and flat numbers) and its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Address {
    pub text: Box<str>,
    pub numbers: Box<str>,
    pub street: Box<str>,
    pub street_signature: Signature,
}

/// Street and building abbreviations used in UK addresses, spelled out so "12 High St" and
/// "12 High Street" agree.
fn expand_abbreviation(word: &str, first: bool) -> &str {
    match word {
        // "St" first is usually "Saint" ("St Johns Road"); elsewhere "Street".
        "st" if !first => "street",
        "rd" => "road",
        "ave" | "av" => "avenue",
        "ln" => "lane",
        "dr" => "drive",
        "cl" => "close",
        "cres" | "cresc" => "crescent",
        "ct" => "court",
        "gdns" => "gardens",
        "gr" | "grv" => "grove",
        "pl" => "place",
        "sq" => "square",
        "ter" | "terr" | "tce" => "terrace",
        "pk" => "park",
        "hse" => "house",
        "apt" | "apartment" | "flt" => "flat",
        "mt" => "mount",
        "nth" => "north",
        "sth" => "south",
        other => other,
    }
}

fn address(raw: Option<&str>) -> Option<Address> {
    let f = folded_or_none(raw)?;
    let words: Vec<&str> = f
        .split(' ')
        .enumerate()
        .map(|(i, w)| expand_abbreviation(w, i == 0))
        .collect();
    let (numbers, street): (Vec<&str>, Vec<&str>) = words
        .iter()
        .partition(|w| w.bytes().any(|b| b.is_ascii_digit()));
    let street = street.join(" ");
    Some(Address {
        text: words.join(" ").into(),
        numbers: numbers.join(" ").into(),
        street_signature: Signature::of(&street),
        street: street.into(),
    })
}

// ---------------------------------------------------------------------------------------------
// Sex

/// Sex as recorded, where it is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Sex {
    Male,
    Female,
}

fn sex(raw: Option<&str>) -> Option<Sex> {
    match folded_or_none(raw)?.as_str() {
        "m" | "male" | "boy" | "man" | "1" => Some(Sex::Male),
        "f" | "female" | "girl" | "woman" | "2" => Some(Sex::Female),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Identifiers

fn identifier(raw: Option<&str>) -> Option<Box<str>> {
    let f = folded_or_none(raw)?;
    let compact: String = f.chars().filter(|c| c.is_alphanumeric()).collect();
    // All zeros is a common "not known" filler for numeric identifiers.
    if compact.is_empty() || compact.chars().all(|c| c == '0') {
        None
    } else {
        Some(compact.into())
    }
}

// ---------------------------------------------------------------------------------------------
// The prepared record

/// A record after standardisation, ready to compare and to block.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Prepared {
    pub given: Option<Name>,
    pub surname: Option<Name>,
    pub dob: Option<Dob>,
    pub sex: Option<Sex>,
    pub postcode: Option<PostcodeParts>,
    pub address: Option<Address>,
    pub locality: Option<Box<str>>,
    pub locality_signature: Signature,
    pub identifier: Option<Box<str>>,
    /// Term frequency of this record's value of each field (by [`Field::index`]), from the
    /// model's tables; 0 where the field has no table.
    ///
    /// [`Field::index`]: crate::record::Field
    pub tf: [f64; 8],
}

impl Prepared {
    pub fn new(record: &Record) -> Prepared {
        let locality = folded_or_none(record.locality.as_deref());
        let locality_signature = Signature::of(locality.as_deref().unwrap_or_default());
        Prepared {
            given: given_name(record.given_name.as_deref()),
            surname: surname(record.surname.as_deref()),
            dob: record.dob.as_deref().and_then(Dob::parse),
            sex: sex(record.sex.as_deref()),
            postcode: record.postcode.as_deref().and_then(PostcodeParts::parse),
            address: address(record.address.as_deref()),
            locality: locality.map(Into::into),
            locality_signature,
            identifier: identifier(record.identifier.as_deref()),
            tf: [0.0; 8],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case("José", "jose")]
    #[case("ZOË", "zoe")]
    #[case("O'Connor", "oconnor")]
    #[case("Smith-Jones", "smith jones")]
    #[case("  mary   ann ", "mary ann")]
    #[case("Łukasz", "lukasz")]
    #[case("Straße", "strasse")]
    #[case("ﬁona", "fiona")]
    #[case("Ünal", "unal")]
    #[case("Nguyễn", "nguyen")]
    fn folding(#[case] input: &str, #[case] folded: &str) {
        assert_eq!(fold(input), folded);
    }

    #[rstest]
    #[case("2014-03-02", Some((2014, Some(3), Some(2))))]
    #[case("20140302", Some((2014, Some(3), Some(2))))]
    #[case("02/03/2014", Some((2014, Some(3), Some(2))))]
    #[case("2.3.2014", Some((2014, Some(3), Some(2))))]
    #[case("2014-03", Some((2014, Some(3), None)))]
    #[case("03/2014", Some((2014, Some(3), None)))]
    #[case("2014", Some((2014, None, None)))]
    #[case("20140002", Some((2014, None, Some(2))))]
    #[case("19151131", Some((1915, Some(11), Some(31))))]
    #[case("19151171", Some((1915, Some(11), Some(71))))]
    #[case("2014-03-02T10:00:00Z", Some((2014, Some(3), Some(2))))]
    #[case("", None)]
    #[case("1014", None)]
    #[case("2014-3-2-1", None)]
    #[case("201403021", None)]
    #[case("abc", None)]
    fn dates_of_birth(#[case] input: &str, #[case] parsed: Option<(u16, Option<u8>, Option<u8>)>) {
        assert_eq!(
            Dob::parse(input).map(|d| (d.year, d.month, d.day)),
            parsed,
            "{input}"
        );
    }

    #[test]
    fn valid_and_invalid_dates() {
        let valid = |s: &str| Dob::parse(s).is_some_and(|d| d.is_valid_date());
        assert!(valid("2024-02-29"));
        assert!(!valid("2023-02-29"));
        assert!(!valid("1915-11-31"));
        assert!(!valid("2015-13-01"));
        assert!(!valid("2015-01"));
    }

    #[rstest]
    #[case("M1 1AE", "M11AE", Some("M1"), Some("M11"))]
    #[case("b338th", "B338TH", Some("B33"), Some("B338"))]
    #[case("ec1a 1bb", "EC1A1BB", Some("EC1A"), Some("EC1A1"))]
    #[case("4223", "4223", None, None)]
    #[case("SW1A", "SW1A", None, None)]
    fn postcodes(
        #[case] input: &str,
        #[case] full: &str,
        #[case] district: Option<&str>,
        #[case] sector: Option<&str>,
    ) {
        let p = PostcodeParts::parse(input).unwrap();
        assert_eq!(p.full(), full);
        assert_eq!(p.district(), district);
        assert_eq!(p.sector(), sector);
    }

    #[test]
    fn not_known_values_are_missing() {
        let r = Record {
            given_name: Some("Baby".into()),
            surname: Some("N/K".into()),
            postcode: Some("unknown".into()),
            identifier: Some("000 000 0000".into()),
            sex: Some("U".into()),
            ..Record::new("1")
        };
        let p = Prepared::new(&r);
        assert_eq!(p.given, None);
        assert_eq!(p.surname, None);
        assert_eq!(p.postcode, None);
        assert_eq!(p.identifier, None);
        assert_eq!(p.sex, None);
    }

    #[test]
    fn addresses_split_numbers_and_expand_abbreviations() {
        let a = address(Some("Flat 2, 14 High St.")).unwrap();
        assert_eq!(&*a.text, "flat 2 14 high street");
        assert_eq!(&*a.numbers, "2 14");
        assert_eq!(&*a.street, "flat high street");
        let saint = address(Some("St Johns Rd")).unwrap();
        assert_eq!(&*saint.text, "st johns road");
    }

    #[test]
    fn nicknames_and_phonetics() {
        assert!(are_aliases("Kate", "Catherine"));
        assert!(are_aliases("alex", "Alexandra"));
        assert!(are_aliases("Alex", "alexander"));
        assert!(!are_aliases("Alexander", "Alexandra"));
        assert_eq!(double_metaphone("Smith"), ("SM0".into(), "XMT".into()));
        assert_eq!(double_metaphone("Schmidt").0, "XMT");
        let bill = given_name(Some("Bill")).unwrap();
        let william = given_name(Some("William")).unwrap();
        assert_eq!(bill.canonical_phonetic, william.canonical_phonetic);
    }

    proptest! {
        #[test]
        fn standardisers_never_panic(s in "\\PC{0,40}") {
            let r = Record {
                id: s.clone(),
                given_name: Some(s.clone()),
                surname: Some(s.clone()),
                dob: Some(s.clone()),
                sex: Some(s.clone()),
                postcode: Some(s.clone()),
                address: Some(s.clone()),
                locality: Some(s.clone()),
                identifier: Some(s.clone()),
            };
            let _ = Prepared::new(&r);
            let _ = double_metaphone(&s);
        }

        #[test]
        fn folding_is_idempotent(s in "\\PC{0,40}") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once.clone());
        }

        #[test]
        fn dates_round_trip(y in 1800u16..=2200, m in 1u8..=12, d in 1u8..=31) {
            let iso = format!("{y:04}-{m:02}-{d:02}");
            let compact = format!("{y:04}{m:02}{d:02}");
            let uk = format!("{d}/{m}/{y}");
            let expected = Some(Dob { year: y, month: Some(m), day: Some(d) });
            prop_assert_eq!(Dob::parse(&iso), expected);
            prop_assert_eq!(Dob::parse(&compact), expected);
            prop_assert_eq!(Dob::parse(&uk), expected);
        }
    }
}
