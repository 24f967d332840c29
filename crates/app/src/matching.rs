//! Finding the child the local authority already knows, for a referral at the front door, and
//! pairs of child records that are probably the same child, for the duplicate report.
//!
//! [`ChildMatcher`] is the stable interface the screening step calls: a referred child goes in;
//! ranked candidates come out, each with its match probability and the evidence for it, one
//! line per comparison. A person confirms; nothing here links or merges on its own.
//!
//! [`LinkageMatcher`] is the implementation: the Fellegi-Sunter engine of `safeguard-linkage`
//! over an in-memory [`Index`] of every known child. It starts from the shipped reference model
//! (see `safeguard_linkage::reference`) fitted to the area's own children: name frequencies,
//! chance agreement and the prior come from the children it holds. Each name a child has been
//! known by (current, aliases, former names) is indexed, so a referral under a former surname
//! still finds them. The index is built when the application starts, updated when a child is
//! added or edited, and rebuilt (and refitted) by the periodic job, which also picks up children
//! added by another process.

use std::collections::HashMap;
use std::sync::RwLock;

use safeguard_domain::{Birth, Child, ChildId, Evidence, ReferredChild, Sex};
use safeguard_linkage::reference::REFERENCE_MODEL_JSON;
use safeguard_linkage::{Contribution, Field, Index, Model, Record, Settings};

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
    /// From 0 to 1: the engine's probability that this is the same child.
    pub score: f64,
    /// The total match weight in bits (the prior plus every piece of evidence).
    pub weight: f64,
    /// The prior's part of the weight: how likely a match is before any comparison.
    pub prior_weight: f64,
    /// Each comparison's part of the weight, strongest first (missing ones left out).
    pub evidence: Vec<Evidence>,
}

impl Candidate {
    /// One line per piece of evidence, e.g. "Date of birth: exact match (+11.2)".
    pub fn reasons(&self) -> Vec<String> {
        self.evidence
            .iter()
            .map(|e| format!("{}: {} ({:+.1})", e.label, e.level, e.weight))
            .collect()
    }
}

/// Ranks known children against a referred child, and keeps its view of the known children up
/// to date.
pub trait ChildMatcher: Send + Sync + std::fmt::Debug {
    /// The best `k` candidates for a referred child, best first.
    fn candidates(&self, referred: &ReferredChild, k: usize) -> Vec<Candidate>;
    /// The best `k` other known children for a known child (for the duplicate report).
    fn duplicates_of(&self, child: &Child, k: usize) -> Vec<Candidate>;
    /// Scores one known child against a referred child, whether or not it would be a
    /// candidate (for a match the worker found by searching).
    fn explain(&self, referred: &ReferredChild, child: &Child) -> Candidate;
    /// Replaces everything known with `children`, refitting to them.
    fn rebuild(&self, children: &[Child]);
    /// Adds a child, or replaces it after an edit.
    fn upsert(&self, child: &Child);
    /// How many children are known.
    fn len(&self) -> usize;
    /// Whether no child is known.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What the screening page shows of a known child.
#[derive(Debug, Clone)]
struct Known {
    name: String,
    birth: Birth,
    postcode: Option<String>,
    records: usize,
}

#[derive(Debug)]
struct State {
    index: Index,
    known: HashMap<ChildId, Known>,
}

/// The record-linkage engine behind [`ChildMatcher`].
#[derive(Debug)]
pub struct LinkageMatcher {
    reference: Model,
    state: RwLock<State>,
}

/// Why the matcher could not start.
#[derive(Debug, thiserror::Error)]
#[error("the shipped linkage model cannot be read: {0}")]
pub struct ModelError(String);

impl LinkageMatcher {
    /// A matcher over the shipped reference model, knowing no child yet.
    ///
    /// # Errors
    ///
    /// Only if the model file built into the binary is unreadable.
    pub fn new() -> Result<LinkageMatcher, ModelError> {
        let reference: Model =
            serde_json::from_str(REFERENCE_MODEL_JSON).map_err(|e| ModelError(e.to_string()))?;
        let index = Index::new(reference.fitted_to(&[], &Settings::default()));
        Ok(LinkageMatcher {
            reference,
            state: RwLock::new(State {
                index,
                known: HashMap::new(),
            }),
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn ranked(
        &self,
        state: &State,
        records: &[Record],
        skip: Option<ChildId>,
        k: usize,
    ) -> Vec<Candidate> {
        // Each known child is indexed once per name; ask for enough to fill k children.
        let mut best: HashMap<ChildId, safeguard_linkage::Candidate> = HashMap::new();
        for record in records {
            for c in state.index.candidates(record, k.saturating_mul(3).max(k)) {
                let Some(child) = child_of(&c.id) else {
                    continue;
                };
                if Some(child) == skip {
                    continue;
                }
                match best.get(&child) {
                    Some(b) if b.weight >= c.weight => {}
                    _ => {
                        best.insert(child, c);
                    }
                }
            }
        }
        let mut out: Vec<Candidate> = best
            .into_iter()
            .filter_map(|(child, c)| {
                let known = state.known.get(&child)?;
                Some(Candidate {
                    child,
                    name: known.name.clone(),
                    birth: known.birth,
                    postcode: known.postcode.clone(),
                    score: c.probability,
                    weight: c.weight,
                    prior_weight: c.prior_weight,
                    evidence: evidence(&c.explanation),
                })
            })
            .collect();
        out.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.child.cmp(&b.child)));
        out.truncate(k);
        out
    }
}

impl ChildMatcher for LinkageMatcher {
    fn candidates(&self, referred: &ReferredChild, k: usize) -> Vec<Candidate> {
        let state = self.read();
        self.ranked(&state, &[referred_record(referred)], None, k)
    }

    fn duplicates_of(&self, child: &Child, k: usize) -> Vec<Candidate> {
        let state = self.read();
        // Records of this child carry its own ids, so the index leaves them out of its answer
        // only by id: skip the child itself by id as well.
        let records = child_records(child)
            .into_iter()
            .map(|mut r| {
                r.id = format!("query/{}", r.id);
                r
            })
            .collect::<Vec<_>>();
        self.ranked(&state, &records, Some(child.id), k)
    }

    fn explain(&self, referred: &ReferredChild, child: &Child) -> Candidate {
        let state = self.read();
        let query = referred_record(referred);
        let best = child_records(child)
            .iter()
            .map(|r| state.index.explain_pair(&query, r))
            .max_by(|a, b| a.weight.total_cmp(&b.weight));
        let known = summary(child, 0);
        let (score, weight, prior_weight, evidence) = best.map_or((0.0, 0.0, 0.0, vec![]), |c| {
            (
                c.probability,
                c.weight,
                c.prior_weight,
                self::evidence(&c.explanation),
            )
        });
        Candidate {
            child: child.id,
            name: known.name,
            birth: known.birth,
            postcode: known.postcode,
            score,
            weight,
            prior_weight,
            evidence,
        }
    }

    fn rebuild(&self, children: &[Child]) {
        let records: Vec<Record> = children.iter().flat_map(child_records).collect();
        // The prior is one in the number of children, not of names.
        let mut model = self.reference.fitted_to(&records, &Settings::default());
        model.prior = 1.0 / children.len().max(1) as f64;
        let mut index = Index::new(model);
        let mut known = HashMap::with_capacity(children.len());
        for child in children {
            known.insert(child.id, summary(child, 0));
        }
        for record in records {
            index.insert(record);
        }
        for child in children {
            if let Some(k) = known.get_mut(&child.id) {
                k.records = child.all_names().count();
            }
        }
        *self.write() = State { index, known };
    }

    fn upsert(&self, child: &Child) {
        let mut state = self.write();
        if let Some(old) = state.known.get(&child.id) {
            for i in 0..old.records {
                state.index.remove(&record_id(child.id, i));
            }
        }
        let records = child_records(child);
        let n = records.len();
        for r in records {
            state.index.insert(r);
        }
        state.known.insert(child.id, summary(child, n));
    }

    fn len(&self) -> usize {
        self.read().known.len()
    }
}

fn summary(child: &Child, records: usize) -> Known {
    Known {
        name: format!("{} {}", child.name.given, child.name.family),
        birth: child.birth,
        postcode: child.current_postcode().map(|p| p.as_str().to_owned()),
        records,
    }
}

fn record_id(child: ChildId, name: usize) -> String {
    format!("{child}/{name}")
}

fn child_of(record_id: &str) -> Option<ChildId> {
    record_id.split('/').next()?.parse().ok()
}

fn sex_code(sex: Sex) -> Option<String> {
    match sex {
        Sex::Male => Some("M".into()),
        Sex::Female => Some("F".into()),
        Sex::Unknown => None,
    }
}

fn some(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// One record per name the child has been known by, each with the current address.
fn child_records(child: &Child) -> Vec<Record> {
    let address = child
        .addresses
        .iter()
        .find(|a| a.to.is_none())
        .or_else(|| child.addresses.first());
    child
        .all_names()
        .enumerate()
        .map(|(i, name)| Record {
            id: record_id(child.id, i),
            given_name: some(&name.given),
            surname: some(&name.family),
            dob: Some(child.birth.date().to_string()),
            sex: sex_code(child.sex),
            postcode: address.map(|a| a.postcode.as_str().to_owned()),
            address: address.and_then(|a| some(&a.lines.join(" "))),
            locality: address.and_then(|a| some(&a.town)),
            identifier: child.nhs_number.as_ref().map(|n| n.as_str().to_owned()),
        })
        .collect()
}

/// A referred child as a record. Names the referrer did not know ("unknown") are left out
/// rather than compared.
fn referred_record(r: &ReferredChild) -> Record {
    let known = |s: &str| some(s).filter(|v| !v.eq_ignore_ascii_case("unknown"));
    Record {
        id: "referral".into(),
        given_name: known(&r.name.given),
        surname: known(&r.name.family),
        dob: r.birth.map(|b| b.date().to_string()),
        sex: sex_code(r.sex),
        postcode: r.postcode.as_ref().map(|p| p.as_str().to_owned()),
        address: some(&r.address.replace('\n', " ")),
        locality: None,
        identifier: r.nhs_number.as_ref().map(|n| n.as_str().to_owned()),
    }
}

fn field_label(f: Field) -> &'static str {
    match f {
        Field::GivenName => "Given name",
        Field::Surname => "Family name",
        Field::DateOfBirth => "Date of birth",
        Field::Sex => "Sex",
        Field::Postcode => "Postcode",
        Field::Address => "Address",
        Field::Locality => "Town",
        Field::Identifier => "NHS number",
    }
}

fn evidence(explanation: &[Contribution]) -> Vec<Evidence> {
    let mut out: Vec<Evidence> = explanation
        .iter()
        .filter(|c| c.level != safeguard_linkage::Level::Null)
        .map(|c| {
            let level = if c.term_frequency_adjustment < -0.5 {
                format!("{} (a common value here)", c.level.label())
            } else if c.term_frequency_adjustment > 0.5 {
                format!("{} (a rare value here)", c.level.label())
            } else {
                c.level.label().to_owned()
            };
            Evidence {
                label: field_label(c.comparison).to_owned(),
                level,
                weight: (c.weight * 10.0).round() / 10.0,
            }
        })
        .collect();
    out.sort_by(|a, b| b.weight.abs().total_cmp(&a.weight.abs()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use safeguard_domain::{Address, ChildGroups, NhsNumber, PersonName, Postcode};

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
                lines: vec!["14 Mill Lane".into()],
                town: "Northmoor".into(),
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

    /// An area of a few hundred children, plus the ones a test is about.
    fn area(extra: &[Child]) -> LinkageMatcher {
        let m = LinkageMatcher::new().unwrap();
        let given = [
            "Amelia", "Oliver", "Isla", "Noah", "Ava", "Leo", "Mia", "Jack",
        ];
        let family = [
            "Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Khan", "Patel",
        ];
        let mut children: Vec<Child> = (0..300)
            .map(|i| {
                known(
                    given[i % 8],
                    family[(i / 8) % 8],
                    date(
                        2010 + (i % 12) as i16,
                        1 + (i % 12) as i8,
                        1 + (i % 27) as i8,
                    ),
                    None,
                    &format!("NM{} {}AB", 1 + i % 9, 1 + i % 9),
                )
            })
            .collect();
        children.extend_from_slice(extra);
        m.rebuild(&children);
        m
    }

    #[test]
    fn an_exact_nhs_number_and_details_put_the_child_first() {
        let a = known(
            "Amy",
            "Thistledown",
            date(2015, 3, 14),
            Some("9434765919"),
            "NM1 2AB",
        );
        let m = area(std::slice::from_ref(&a));
        let r = referred(
            "Amy",
            "Thistledown",
            Some(date(2015, 3, 14)),
            Some("943 476 5919"),
            Some("NM1 2AB"),
        );
        let c = m.candidates(&r, 5);
        assert_eq!(c[0].child, a.id);
        assert!(c[0].score > 0.99, "{}", c[0].score);
        assert!(
            c[0].evidence
                .iter()
                .any(|e| e.label == "NHS number" && e.weight > 0.0)
        );
    }

    #[test]
    fn a_nickname_and_swapped_date_still_find_the_child_with_reasons() {
        let kate = known(
            "Catherine",
            "Thistledown",
            date(2015, 3, 4),
            None,
            "NM1 2AB",
        );
        let m = area(std::slice::from_ref(&kate));
        let r = referred(
            "Kate",
            "Thistledown",
            Some(date(2015, 4, 3)),
            None,
            Some("NM1 2AB"),
        );
        let c = m.candidates(&r, 5);
        assert_eq!(c[0].child, kate.id);
        let reasons = c[0].reasons().join("; ");
        assert!(reasons.contains("known alias"), "{reasons}");
        assert!(reasons.contains("day and month swapped"), "{reasons}");
        // The evidence adds up to the weight.
        let sum: f64 = c[0].evidence.iter().map(|e| e.weight).sum::<f64>() + c[0].prior_weight;
        assert!((sum - c[0].weight).abs() < 0.5, "{sum} vs {}", c[0].weight);
    }

    #[test]
    fn a_former_surname_finds_the_child_and_edits_are_picked_up() {
        let mut amy = known("Amelia", "Thistledown", date(2015, 3, 4), None, "NM1 2AB");
        let m = area(std::slice::from_ref(&amy));
        let r = referred(
            "Amelia",
            "Quillfeather",
            Some(date(2015, 3, 4)),
            None,
            Some("NM1 2AB"),
        );
        let before = m.explain(&r, &amy);
        assert!(
            before
                .evidence
                .iter()
                .any(|e| e.label == "Family name" && e.weight < 0.0)
        );
        amy.former_names = vec![amy.name.clone()];
        amy.name.family = "Quillfeather".into();
        m.upsert(&amy);
        let after = m.candidates(&r, 1);
        assert_eq!(after[0].child, amy.id);
        assert!(after[0].weight > before.weight + 5.0);
        assert!(
            after[0]
                .evidence
                .iter()
                .any(|e| e.label == "Family name" && e.weight > 0.0)
        );
        assert_eq!(m.len(), 301);
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
        let m = area(std::slice::from_ref(&a));
        let r = referred(
            "Amy",
            "Thistledown",
            Some(date(2015, 3, 14)),
            Some("9990000026"),
            None,
        );
        let c = m.candidates(&r, 5);
        let mine = c.iter().find(|c| c.child == a.id).unwrap();
        assert!(
            mine.evidence
                .iter()
                .any(|e| e.label == "NHS number" && e.weight < 0.0)
        );
    }

    #[test]
    fn duplicates_of_a_child_leave_the_child_out() {
        let a = known("Amy", "Thistledown", date(2015, 3, 14), None, "NM1 2AB");
        let mut b = a.clone();
        b.id = ChildId::new();
        b.name.given = "Aimee".into();
        let m = area(&[a.clone(), b.clone()]);
        let d = m.duplicates_of(&a, 3);
        assert_eq!(d[0].child, b.id);
        assert!(d.iter().all(|c| c.child != a.id));
    }
}
