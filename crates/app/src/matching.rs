//! Finding the child the local authority already knows, for a referral at the front door.
//!
//! [`ChildMatcher`] is the stable interface the screening step calls: a referred child and the
//! known children worth comparing go in; ranked candidates, each with a probability-like score
//! and the reasons for it, come out. A person confirms; nothing here links or merges on its own.
//! [`SimpleMatcher`] is the first scorer (exact identifiers, names, date of birth, postcode); the
//! record-linkage engine replaces it behind the same trait.

use safeguard_domain::{Birth, Child, ChildId, ReferredChild};

/// A known child proposed as the referred child.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The known child.
    pub child: ChildId,
    /// Their name, for the screening page.
    pub name: String,
    /// Their date of birth or expected date.
    pub birth: Birth,
    /// Their current postcode.
    pub postcode: Option<String>,
    /// From 0 to 1: how likely this is the same child.
    pub score: f64,
    /// Why, one line per comparison that counted, e.g. "Same NHS number".
    pub reasons: Vec<String>,
}

/// Ranks known children against a referred child.
pub trait ChildMatcher: Send + Sync + std::fmt::Debug {
    /// The best `k` candidates, best first, leaving out children with no evidence at all.
    fn candidates(&self, referred: &ReferredChild, known: &[Child], k: usize) -> Vec<Candidate>;
}

/// Scores by agreement on NHS number, names, date of birth and postcode.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimpleMatcher;

fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Returns (score contribution, reason) for the family names.
fn family_score(referred: &str, known: &Child) -> Option<(f64, String)> {
    let r = norm(referred);
    if r.is_empty() || r == "unknown" {
        return None;
    }
    let names = known
        .all_names()
        .map(|n| norm(&n.family))
        .collect::<Vec<_>>();
    if names.contains(&r) {
        return Some((0.3, "Same family name".into()));
    }
    if names
        .iter()
        .any(|n| n.len() >= 3 && r.len() >= 3 && n[..3] == r[..3])
    {
        return Some((0.12, "Family name starts the same".into()));
    }
    None
}

fn given_score(referred: &str, known: &Child) -> Option<(f64, String)> {
    let r = norm(referred);
    if r.is_empty() || r == "unknown" {
        return None;
    }
    let names = known
        .all_names()
        .map(|n| norm(&n.given))
        .collect::<Vec<_>>();
    if names.contains(&r) {
        return Some((0.25, "Same given name".into()));
    }
    if names
        .iter()
        .any(|n| (n.starts_with(&r) || r.starts_with(n.as_str())) && n.len().min(r.len()) >= 2)
    {
        return Some((0.15, "Given name is a short form of the other".into()));
    }
    if names.iter().any(|n| n.chars().next() == r.chars().next()) {
        return Some((0.05, "Same first initial".into()));
    }
    None
}

fn birth_score(referred: Option<Birth>, known: &Child) -> Option<(f64, String)> {
    let r = referred?.date();
    let k = known.birth.date();
    if r == k {
        return Some((0.3, "Same date of birth".into()));
    }
    if r.year() == k.year() && r.month() == k.day() && r.day() == k.month() {
        return Some((0.2, "Date of birth with day and month swapped".into()));
    }
    let differing = [
        r.year() != k.year(),
        r.month() != k.month(),
        r.day() != k.day(),
    ]
    .iter()
    .filter(|d| **d)
    .count();
    if differing == 1 {
        return Some((0.12, "Date of birth differs in one part".into()));
    }
    None
}

impl ChildMatcher for SimpleMatcher {
    fn candidates(&self, referred: &ReferredChild, known: &[Child], k: usize) -> Vec<Candidate> {
        let mut out: Vec<Candidate> = known
            .iter()
            .filter_map(|c| {
                let mut reasons = Vec::new();
                let nhs_same = referred.nhs_number.is_some() && referred.nhs_number == c.nhs_number;
                let nhs_differs = referred.nhs_number.is_some()
                    && c.nhs_number.is_some()
                    && referred.nhs_number != c.nhs_number;
                let mut score: f64 = 0.0;
                for part in [
                    family_score(&referred.name.family, c),
                    given_score(&referred.name.given, c),
                    birth_score(referred.birth, c),
                ]
                .into_iter()
                .flatten()
                {
                    score += part.0;
                    reasons.push(part.1);
                }
                match (&referred.postcode, c.current_postcode()) {
                    (Some(r), Some(k)) if r == k => {
                        score += 0.15;
                        reasons.push("Same postcode".into());
                    }
                    (Some(r), Some(k)) if r.outward() == k.outward() => {
                        score += 0.05;
                        reasons.push("Same postcode district".into());
                    }
                    _ => {}
                }
                if nhs_same {
                    // The NHS number is a checked national identifier: decisive on its own.
                    reasons.insert(0, "Same NHS number".into());
                    score = 1.0;
                } else if nhs_differs {
                    reasons.push("Different NHS number".into());
                    score *= 0.2;
                }
                if reasons.is_empty() || score <= 0.0 {
                    return None;
                }
                Some(Candidate {
                    child: c.id,
                    name: c.name.full(),
                    birth: c.birth,
                    postcode: c.current_postcode().map(|p| p.to_string()),
                    score: score.min(1.0),
                    reasons,
                })
            })
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.name.cmp(&b.name)));
        out.truncate(k);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use safeguard_domain::{Address, ChildGroups, NhsNumber, PersonName, Postcode, Sex};

    fn known(
        given: &str,
        family: &str,
        dob: jiff::civil::Date,
        nhs: Option<&str>,
        pc: &str,
    ) -> Child {
        Child {
            id: ChildId::new(),
            name: PersonName {
                given: given.into(),
                family: family.into(),
            },
            aliases: vec![],
            former_names: vec![],
            birth: Birth::Born(dob),
            sex: Sex::Female,
            nhs_number: nhs.map(|n| NhsNumber::parse(n).unwrap()),
            upn: None,
            addresses: vec![Address {
                lines: vec![],
                town: String::new(),
                postcode: Postcode::parse(pc).unwrap(),
                from: None,
                to: None,
            }],
            responsible_la: None,
            school: None,
            ethnicity: None,
            first_language: None,
            groups: ChildGroups::default(),
        }
    }

    fn referred(
        given: &str,
        family: &str,
        dob: Option<jiff::civil::Date>,
        nhs: Option<&str>,
        pc: Option<&str>,
    ) -> ReferredChild {
        ReferredChild {
            name: PersonName {
                given: given.into(),
                family: family.into(),
            },
            birth: dob.map(Birth::Born),
            sex: Sex::Female,
            nhs_number: nhs.map(|n| NhsNumber::parse(n).unwrap()),
            address: String::new(),
            postcode: pc.map(|p| Postcode::parse(p).unwrap()),
        }
    }

    #[test]
    fn an_exact_nhs_number_wins_whatever_the_name() {
        let a = known(
            "Amy",
            "Thistledown",
            date(2015, 3, 14),
            Some("9434765919"),
            "NM1 2AB",
        );
        let b = known("Amy", "Thistledown", date(2015, 3, 14), None, "NM1 2AB");
        let r = referred("A", "Smith", None, Some("943 476 5919"), None);
        let c = SimpleMatcher.candidates(&r, &[b, a.clone()], 5);
        assert_eq!(c[0].child, a.id);
        assert_eq!(c[0].score, 1.0);
        assert_eq!(c[0].reasons[0], "Same NHS number");
    }

    #[test]
    fn names_dates_and_postcodes_rank_with_reasons() {
        let exact = known("Amelia", "Thistledown", date(2015, 3, 4), None, "NM1 2AB");
        let swapped = known("Amelia", "Thistledown", date(2015, 4, 3), None, "NM1 9ZZ");
        let stranger = known("Zara", "Oakapple", date(2019, 1, 1), None, "NM7 5DX");
        let r = referred(
            "Amelia",
            "Thistledown",
            Some(date(2015, 3, 4)),
            None,
            Some("NM1 2AB"),
        );
        let c = SimpleMatcher.candidates(&r, &[stranger, swapped.clone(), exact.clone()], 5);
        assert_eq!(c.len(), 2, "no evidence, no candidate");
        assert_eq!(c[0].child, exact.id);
        assert!(c[0].score > c[1].score);
        assert_eq!(c[1].child, swapped.id);
        assert!(
            c[1].reasons
                .contains(&"Date of birth with day and month swapped".to_owned())
        );
        assert!(c[1].reasons.contains(&"Same postcode district".to_owned()));
    }

    #[test]
    fn a_different_nhs_number_weighs_against() {
        let a = known(
            "Amy",
            "Thistledown",
            date(2015, 3, 14),
            Some("9434765919"),
            "NM1 2AB",
        );
        let r = referred(
            "Amy",
            "Thistledown",
            Some(date(2015, 3, 14)),
            Some("9990000026"),
            None,
        );
        let c = SimpleMatcher.candidates(&r, &[a], 5);
        assert!(c[0].score < 0.2);
        assert!(c[0].reasons.contains(&"Different NHS number".to_owned()));
    }

    #[test]
    fn scoring_is_the_same_whichever_order_the_known_children_come_in() {
        let a = known("Amy", "Thistledown", date(2015, 3, 14), None, "NM1 2AB");
        let b = known("Amy", "Thistledown", date(2016, 3, 14), None, "NM1 2AB");
        let r = referred("Amy", "Thistledown", Some(date(2015, 3, 14)), None, None);
        let one = SimpleMatcher.candidates(&r, &[a.clone(), b.clone()], 5);
        let two = SimpleMatcher.candidates(&r, &[b, a], 5);
        assert_eq!(one, two);
    }
}
