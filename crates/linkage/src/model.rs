//! The Fellegi-Sunter model: for each comparison level, m (how often matching pairs show it) and
//! u (how often non-matching pairs do), the prior share of matches, and the term-frequency
//! tables; and how it is trained without labels.
//!
//! Training follows Splink's recipe: u from random pairs (exact agreement counted from the value
//! frequencies, the rest sampled), m by expectation maximisation on pairs blocked by a training
//! rule, with the comparisons that rule uses left out of that session, and the m of each
//! comparison averaged over the sessions that estimated it. The prior comes from EM's share of
//! matches in a session, divided by the rule's recall (estimated from the m values of another
//! session) and by the number of possible pairs.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::blocking::BlockingRule;
use crate::compare::{self, Level, exact_key, is_present, levels, uses_term_frequency};
use crate::em;
use crate::error::LinkageError;
use crate::record::{Field, Record};
use crate::rng::Rng;
use crate::standardise::Prepared;

/// The records to train on or to score: two files to link, or one to deduplicate.
#[derive(Debug, Clone, Copy)]
pub enum Data<'a> {
    /// Find pairs across two sets of records (each pair has one record from each).
    Link {
        /// The first set.
        left: &'a [Record],
        /// The second set.
        right: &'a [Record],
    },
    /// Find pairs within one set of records.
    Dedupe(&'a [Record]),
}

/// The fewest known records from which [`Model::fitted_to`] re-estimates u: about half a
/// million random pairs, enough for agreement rates down to one in a few thousand.
pub const MIN_RECORDS_FOR_U: usize = 1_000;

/// How training runs. The defaults suit anything from a few thousand to a few million records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Random pairs sampled to estimate u (exact agreement is counted, not sampled).
    pub u_sample_pairs: usize,
    /// The most pairs one EM session looks at; beyond this, records are sampled.
    pub em_max_pairs: usize,
    /// The most EM iterations per session.
    pub em_max_iterations: usize,
    /// EM stops when no parameter moves by more than this.
    pub em_tolerance: f64,
    /// A field is compared only if at least this share of records has it (on each side).
    pub min_completeness: f64,
    /// The blocking rules for prediction; `None` for every default rule whose fields are in use.
    pub blocking_rules: Option<Vec<BlockingRule>>,
    /// Seed for the random sampling, so the same data always gives the same model.
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            u_sample_pairs: 60_000,
            em_max_pairs: 500_000,
            em_max_iterations: 200,
            em_tolerance: 1e-6,
            min_completeness: 0.01,
            blocking_rules: None,
            seed: 42,
        }
    }
}

/// A trained model. Serialisable, so it can be trained once and loaded by the index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// The probability that two records picked at random are the same person (λ).
    pub prior: f64,
    /// One comparison per field in use.
    pub comparisons: Vec<ComparisonModel>,
    /// The blocking rules that find candidates.
    pub blocking_rules: Vec<BlockingRule>,
    /// How often each value occurs, for the fields whose exact matches are weighted by rarity.
    pub term_frequencies: Vec<TermFrequencies>,
    /// What each EM session did, for inspection.
    pub training: Vec<TrainingSession>,
}

/// A field's comparison: its levels with their m and u.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonModel {
    /// The field compared.
    pub field: Field,
    /// The levels, in the order of [`crate::levels`]; the first is always [`Level::Null`].
    pub levels: Vec<LevelParameters>,
}

/// One level's parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelParameters {
    /// The level.
    pub level: Level,
    /// P(this level | the records are the same person).
    pub m: f64,
    /// P(this level | they are not).
    pub u: f64,
}

impl LevelParameters {
    /// The level's match weight, log2(m / u), in bits. Missing levels weigh 0.
    pub fn weight(&self) -> f64 {
        if self.level == Level::Null {
            0.0
        } else {
            (self.m.max(M_FLOOR) / self.u.max(U_FLOOR)).log2()
        }
    }
}

/// Value counts of one field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TermFrequencies {
    /// The field.
    pub field: Field,
    /// Records with the field present.
    pub total: u64,
    /// Records per standardised value.
    pub counts: BTreeMap<String, u64>,
}

/// One EM training session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSession {
    /// The rule that chose the training pairs; the comparisons on its fields were not estimated.
    pub rule: BlockingRule,
    /// Pairs the rule produces.
    pub pairs: u64,
    /// Pairs EM looked at (fewer when records were sampled).
    pub pairs_used: u64,
    /// The share of matches EM found among them.
    pub lambda: f64,
    /// Iterations run.
    pub iterations: usize,
    /// Whether EM converged.
    pub converged: bool,
}

/// m and u never go below these, so no weight is infinite. m's floor is not tiny: a level
/// that no match showed in training (a sex recorded differently, say) still happens in real
/// records, and should count against a match, not rule it out.
const M_FLOOR: f64 = 1e-4;
const U_FLOOR: f64 = 1e-12;

/// Chunks of random pairs for u, fixed so the result does not depend on the number of threads.
const U_CHUNKS: usize = 8;

/// Record sets after standardisation.
pub(crate) struct Sides<'a> {
    pub left: &'a [Prepared],
    /// `None` when deduplicating.
    pub right: Option<&'a [Prepared]>,
}

impl Sides<'_> {
    fn right_or_left(&self) -> &[Prepared] {
        self.right.unwrap_or(self.left)
    }

    /// Pairs that could be compared.
    pub fn possible_pairs(&self) -> f64 {
        let n = self.left.len() as f64;
        match self.right {
            Some(r) => n * r.len() as f64,
            None => n * (n - 1.0) / 2.0,
        }
    }
}

/// Prepares records on all cores, keeping their order.
pub(crate) fn prepare_all(records: &[Record]) -> Vec<Prepared> {
    parallel_map(records, Prepared::new)
}

/// Maps a slice in parallel (in fixed-size chunks, so the output order is the input order).
pub(crate) fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1);
    if threads <= 1 || items.len() < 2 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

impl Model {
    /// Trains a model on unlabelled records.
    ///
    /// # Errors
    ///
    /// [`LinkageError::NotEnoughRecords`] when a side has fewer than two records (one for
    /// linking), [`LinkageError::NoUsableFields`] when no field is filled in often enough, and
    /// [`LinkageError::InvalidSetting`] for settings out of range.
    pub fn train(data: Data<'_>, settings: &Settings) -> Result<Model, LinkageError> {
        validate(settings)?;
        let (left, right) = prepare_data(data)?;
        let sides = Sides {
            left: &left,
            right: right.as_deref(),
        };
        train_prepared(&sides, settings)
    }

    /// Standardises a record and looks up its term frequencies.
    pub(crate) fn prepare(&self, record: &Record) -> Prepared {
        let mut p = Prepared::new(record);
        self.attach_term_frequencies(&mut p);
        p
    }

    pub(crate) fn attach_term_frequencies(&self, p: &mut Prepared) {
        for table in &self.term_frequencies {
            if table.total == 0 {
                continue;
            }
            if let Some(key) = exact_key(table.field, p) {
                let count = table.counts.get(&key).copied().unwrap_or(0);
                p.tf[table.field.index()] = count as f64 / table.total as f64;
            }
        }
    }

    /// This model made ready to match new records against `known` ones, the way the front door
    /// matches a referral against the children a local authority already holds:
    ///
    /// - term frequencies are counted over `known`, so a surname common in this area weighs
    ///   less than a rare one *here*, not in the data the model was trained on;
    /// - u (how often two different people agree by chance) is re-estimated from random pairs
    ///   of `known` when there are at least [`MIN_RECORDS_FOR_U`] of them, and kept otherwise
    ///   (a few hundred records give too few pairs to estimate rare agreements);
    /// - the prior becomes one in the number of known records: a new record is about one of
    ///   them at most.
    ///
    /// m (how records of the same person differ) does not depend on who is in the area and is
    /// kept as trained.
    pub fn fitted_to(&self, known: &[Record], settings: &Settings) -> Model {
        let prepared = prepare_all(known);
        let sides = Sides {
            left: &prepared,
            right: None,
        };
        let mut model = self.clone();
        model.term_frequencies = self
            .comparisons
            .iter()
            .map(|c| c.field)
            .filter(|f| uses_term_frequency(*f))
            .map(|f| term_frequency_table(f, &sides))
            .collect();
        if known.len() >= MIN_RECORDS_FOR_U {
            let fields: Vec<Field> = self.comparisons.iter().map(|c| c.field).collect();
            let u = estimate_u(&sides, &fields, settings);
            for (comparison, u) in model.comparisons.iter_mut().zip(u) {
                for (level, u) in comparison.levels.iter_mut().zip(u).skip(1) {
                    level.u = u;
                }
            }
        }
        model.prior = 1.0 / known.len().max(1) as f64;
        model
    }

    /// The match weight of the prior alone, log2(λ / (1 − λ)).
    pub fn prior_weight(&self) -> f64 {
        let p = self.prior.clamp(1e-15, 1.0 - 1e-15);
        (p / (1.0 - p)).log2()
    }
}

/// Standardises the records of `data`: the left (or only) side, and the right side when
/// linking.
pub(crate) fn prepare_data(
    data: Data<'_>,
) -> Result<(Vec<Prepared>, Option<Vec<Prepared>>), LinkageError> {
    match data {
        Data::Link { left, right } => {
            if left.is_empty() || right.is_empty() {
                return Err(LinkageError::NotEnoughRecords);
            }
            Ok((prepare_all(left), Some(prepare_all(right))))
        }
        Data::Dedupe(records) => {
            if records.len() < 2 {
                return Err(LinkageError::NotEnoughRecords);
            }
            Ok((prepare_all(records), None))
        }
    }
}

pub(crate) fn validate(s: &Settings) -> Result<(), LinkageError> {
    let bad = |name: &'static str, expected: &'static str, value: String| {
        Err(LinkageError::InvalidSetting {
            name,
            expected,
            value,
        })
    };
    if s.u_sample_pairs < 1_000 {
        return bad(
            "u_sample_pairs",
            "at least 1000",
            s.u_sample_pairs.to_string(),
        );
    }
    if s.em_max_pairs < 1_000 {
        return bad("em_max_pairs", "at least 1000", s.em_max_pairs.to_string());
    }
    if !(s.em_tolerance > 0.0 && s.em_tolerance < 0.1) {
        return bad(
            "em_tolerance",
            "between 0 and 0.1",
            s.em_tolerance.to_string(),
        );
    }
    if !(0.0..1.0).contains(&s.min_completeness) {
        return bad(
            "min_completeness",
            "between 0 and 1",
            s.min_completeness.to_string(),
        );
    }
    Ok(())
}

pub(crate) fn train_prepared(
    sides: &Sides<'_>,
    settings: &Settings,
) -> Result<Model, LinkageError> {
    let fields = usable_fields(sides, settings.min_completeness);
    if fields.is_empty() {
        return Err(LinkageError::NoUsableFields);
    }
    let term_frequencies = fields
        .iter()
        .filter(|f| uses_term_frequency(**f))
        .map(|f| term_frequency_table(*f, sides))
        .collect();
    let u = estimate_u(sides, &fields, settings);
    let (m, training, prior) = estimate_m_and_prior(sides, &fields, &u, settings);
    let comparisons = fields
        .iter()
        .enumerate()
        .map(|(c, field)| ComparisonModel {
            field: *field,
            levels: levels(*field)
                .iter()
                .enumerate()
                .map(|(l, level)| LevelParameters {
                    level: *level,
                    m: if l == 0 { 1.0 } else { m[c][l] },
                    u: if l == 0 { 1.0 } else { u[c][l] },
                })
                .collect(),
        })
        .collect();
    let blocking_rules = settings
        .blocking_rules
        .clone()
        .unwrap_or_else(|| BlockingRule::PREDICTION.to_vec())
        .into_iter()
        .filter(|rule| rule.fields().iter().all(|f| fields.contains(f)))
        .collect();
    Ok(Model {
        prior,
        comparisons,
        blocking_rules,
        term_frequencies,
        training,
    })
}

/// Fields filled in for at least `min` of the records on each side, with at least two distinct
/// values (a constant says nothing).
fn usable_fields(sides: &Sides<'_>, min: f64) -> Vec<Field> {
    let share = |records: &[Prepared], f: Field| {
        records.iter().filter(|p| is_present(f, p)).count() as f64 / records.len().max(1) as f64
    };
    Field::ALL
        .into_iter()
        .filter(|f| {
            let enough = share(sides.left, *f) >= min.max(f64::MIN_POSITIVE)
                && sides
                    .right
                    .is_none_or(|r| share(r, *f) >= min.max(f64::MIN_POSITIVE));
            let mut first: Option<String> = None;
            let varied = sides
                .left
                .iter()
                .chain(sides.right.unwrap_or_default())
                .filter_map(|p| exact_key(*f, p).or_else(|| is_present(*f, p).then(String::new)))
                .any(|k| match &first {
                    None => {
                        first = Some(k);
                        false
                    }
                    Some(v) => *v != k,
                });
            enough && varied
        })
        .collect()
}

fn term_frequency_table(field: Field, sides: &Sides<'_>) -> TermFrequencies {
    let mut counts: HashMap<String, u64> = HashMap::new();
    let mut total = 0;
    for p in sides.left.iter().chain(sides.right.unwrap_or_default()) {
        if let Some(k) = exact_key(field, p) {
            *counts.entry(k).or_default() += 1;
            total += 1;
        }
    }
    TermFrequencies {
        field,
        total,
        counts: counts.into_iter().collect(),
    }
}

/// Counts of each exact key, and how many records have the field at all.
fn key_counts(field: Field, records: &[Prepared]) -> (HashMap<String, u64>, u64) {
    let mut counts: HashMap<String, u64> = HashMap::new();
    let mut present = 0;
    for p in records {
        if is_present(field, p) {
            present += 1;
            if let Some(k) = exact_key(field, p) {
                *counts.entry(k).or_default() += 1;
            }
        }
    }
    (counts, present)
}

/// u per comparison per level. Exact agreement is computed from value counts (exact, and far
/// more precise than sampling for rare values such as dates of birth); the other levels come
/// from random pairs that do not agree exactly, scaled to the rest of the probability.
fn estimate_u(sides: &Sides<'_>, fields: &[Field], settings: &Settings) -> Vec<Vec<f64>> {
    let left = sides.left;
    let right = sides.right_or_left();
    let per_chunk = settings.u_sample_pairs.div_ceil(U_CHUNKS);
    let chunks: Vec<u64> = (0..U_CHUNKS as u64).collect();
    let counted: Vec<Vec<Vec<u64>>> = parallel_map_small(&chunks, |chunk| {
        let mut rng = Rng::new(settings.seed ^ (chunk + 1).wrapping_mul(0x2545_f491_4f6c_dd1d));
        let mut counts: Vec<Vec<u64>> = fields.iter().map(|f| vec![0; levels(*f).len()]).collect();
        for _ in 0..per_chunk {
            let i = rng.below(left.len());
            let mut j = rng.below(right.len());
            if sides.right.is_none() && right.len() > 1 {
                while j == i {
                    j = rng.below(right.len());
                }
            }
            let (a, b) = (&left[i], &right[j]);
            for (c, field) in fields.iter().enumerate() {
                let level = usize::from(compare::compare(*field, a, b));
                counts[c][level] += 1;
            }
        }
        counts
    });
    fields
        .iter()
        .enumerate()
        .map(|(c, field)| {
            let n_levels = levels(*field).len();
            let mut sampled = vec![0u64; n_levels];
            for chunk in &counted {
                for (l, n) in chunk[c].iter().enumerate() {
                    sampled[l] += n;
                }
            }
            let u_exact = exact_agreement(*field, sides);
            // Sampled pairs that are neither missing nor exact; a pseudo-count of one per level
            // keeps unseen levels from having u = 0.
            let rest: f64 = sampled.iter().skip(2).map(|n| *n as f64 + 1.0).sum();
            let mut u = vec![1.0; n_levels];
            u[1] = u_exact;
            for (l, n) in sampled.iter().enumerate().skip(2) {
                u[l] = (1.0 - u_exact) * (*n as f64 + 1.0) / rest;
            }
            u
        })
        .collect()
}

fn parallel_map_small<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .iter()
            .map(|item| scope.spawn(move || f(item)))
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    })
}

/// P(exact agreement | both present, not a match), from value counts.
fn exact_agreement(field: Field, sides: &Sides<'_>) -> f64 {
    let (left_counts, left_present) = key_counts(field, sides.left);
    let (agreeing, possible) = match sides.right {
        Some(right) => {
            let (right_counts, right_present) = key_counts(field, right);
            let agreeing: u64 = left_counts
                .iter()
                .map(|(k, n)| n * right_counts.get(k).copied().unwrap_or(0))
                .sum();
            (agreeing as f64, left_present as f64 * right_present as f64)
        }
        None => {
            let agreeing: u64 = left_counts.values().map(|n| n * n.saturating_sub(1)).sum();
            let n = left_present as f64;
            (agreeing as f64, n * (n - 1.0))
        }
    };
    // At least one agreeing pair, so the weight of an exact match is never infinite.
    (agreeing.max(1.0) / possible.max(1.0)).min(1.0)
}

/// Starting m: most matches agree exactly, fewer at each weaker level.
fn initial_m(field: Field) -> Vec<f64> {
    let n = levels(field).len();
    let mut m = vec![0.0; n];
    if n < 2 {
        return m;
    }
    m[1] = if n == 2 { 1.0 } else { 0.7 };
    let tail: Vec<f64> = (2..n)
        .map(|l| 0.5f64.powi(i32::try_from(l).unwrap_or(30)))
        .collect();
    let tail_sum: f64 = tail.iter().sum();
    for (l, t) in (2..n).zip(tail) {
        m[l] = 0.3 * t / tail_sum;
    }
    m
}

/// Training rules, most useful first: each leaves out its own fields, so two rules on different
/// fields between them estimate every comparison.
const TRAINING_RULES: [BlockingRule; 5] = [
    BlockingRule::DateOfBirth,
    // Names before surname alone: its blocks are far smaller, so EM sees fewer, richer pairs.
    BlockingRule::Names,
    BlockingRule::Surname,
    BlockingRule::Postcode,
    BlockingRule::Identifier,
];

fn choose_training_rules(fields: &[Field]) -> Vec<BlockingRule> {
    let mut chosen: Vec<BlockingRule> = Vec::new();
    for rule in TRAINING_RULES {
        if !rule.fields().iter().all(|f| fields.contains(f)) {
            continue;
        }
        let overlaps = chosen
            .iter()
            .any(|c| c.fields().iter().any(|f| rule.fields().contains(f)));
        if !overlaps {
            chosen.push(rule);
        }
        if chosen.len() == 2 {
            break;
        }
    }
    chosen
}

/// Share of pairs in which the rule's key is present on both sides.
fn key_presence(rule: BlockingRule, sides: &Sides<'_>) -> f64 {
    let share = |records: &[Prepared]| {
        records.iter().filter(|p| rule.key(p).is_some()).count() as f64
            / records.len().max(1) as f64
    };
    share(sides.left) * share(sides.right_or_left())
}

/// The levels that mean the rule's key agrees.
/// The levels that mean the rule's key agrees, where the key is exactly a level of its
/// field's comparison (so its recall among matches can be read off the m values).
fn key_levels(rule: BlockingRule) -> Option<&'static [Level]> {
    match rule {
        BlockingRule::DateOfBirth => Some(&[Level::Exact, Level::DayMonthSwapped]),
        BlockingRule::Surname | BlockingRule::Postcode | BlockingRule::Identifier => {
            Some(&[Level::Exact])
        }
        // Phonetic keys agree across several levels, in proportions m does not tell.
        BlockingRule::Names | BlockingRule::SurnameAndBirthYear | BlockingRule::Address => None,
    }
}

type MAndPrior = (Vec<Vec<f64>>, Vec<TrainingSession>, f64);

fn estimate_m_and_prior(
    sides: &Sides<'_>,
    fields: &[Field],
    u: &[Vec<f64>],
    settings: &Settings,
) -> MAndPrior {
    let rules = choose_training_rules(fields);
    let mut sums: Vec<Vec<f64>> = fields.iter().map(|f| vec![0.0; levels(*f).len()]).collect();
    let mut estimates = vec![0usize; fields.len()];
    let mut sessions = Vec::new();
    let mut session_matches = Vec::new();
    for rule in &rules {
        let excluded: Vec<bool> = fields.iter().map(|f| rule.fields().contains(f)).collect();
        let (patterns, pairs, pairs_used) =
            training_patterns(*rule, sides, fields, &excluded, settings);
        let m_init: Vec<Vec<f64>> = fields.iter().map(|f| initial_m(*f)).collect();
        let result = em::estimate(
            &patterns,
            u,
            m_init,
            0.5,
            settings.em_max_iterations,
            settings.em_tolerance,
        );
        for (c, skip) in excluded.iter().enumerate() {
            if !skip {
                for (l, value) in result.m[c].iter().enumerate() {
                    sums[c][l] += value;
                }
                estimates[c] += 1;
            }
        }
        session_matches.push(result.lambda * pairs as f64);
        sessions.push(TrainingSession {
            rule: *rule,
            pairs,
            pairs_used,
            lambda: result.lambda,
            iterations: result.iterations,
            converged: result.converged,
        });
    }
    let m: Vec<Vec<f64>> = fields
        .iter()
        .enumerate()
        .map(|(c, f)| {
            if estimates[c] == 0 {
                initial_m(*f)
            } else {
                sums[c].iter().map(|s| s / estimates[c] as f64).collect()
            }
        })
        .collect();
    // Each session's matches, scaled up by its rule's recall among matches, give the number of
    // matches in all the data; the prior is that over the possible pairs.
    let possible = sides.possible_pairs().max(1.0);
    let mut log_priors = Vec::new();
    for (rule, matches) in rules.iter().zip(&session_matches) {
        let Some(agreeing_levels) = key_levels(*rule) else {
            continue;
        };
        let mut recall = key_presence(*rule, sides);
        for f in rule.fields() {
            if let Some(c) = fields.iter().position(|x| x == f) {
                let agree: f64 = agreeing_levels
                    .iter()
                    .map(|level| m[c][usize::from(compare::level_index(*f, *level))])
                    .sum();
                recall *= agree;
            }
        }
        if recall > 0.0 && *matches > 0.0 {
            log_priors.push((matches / recall / possible).ln());
        }
    }
    let prior = if log_priors.is_empty() {
        // No session to go by: assume each record has one match on the other side.
        1.0 / (sides.left.len().max(sides.right_or_left().len()) as f64)
    } else {
        (log_priors.iter().sum::<f64>() / log_priors.len() as f64).exp()
    };
    (m, sessions, prior.clamp(1e-12, 0.5))
}

/// The comparison patterns of the pairs a training rule produces (fields of the rule set to
/// missing), with the number of pairs the rule produces and the number looked at.
fn training_patterns(
    rule: BlockingRule,
    sides: &Sides<'_>,
    fields: &[Field],
    excluded: &[bool],
    settings: &Settings,
) -> (Vec<(Vec<u8>, f64)>, u64, u64) {
    let right = sides.right_or_left();
    let mut blocks: HashMap<u64, Vec<u32>> = HashMap::new();
    for (j, p) in right.iter().enumerate() {
        if let (Some(k), Ok(j)) = (rule.key(p), u32::try_from(j)) {
            blocks.entry(k).or_default().push(j);
        }
    }
    let left_keys: Vec<Option<u64>> = match sides.right {
        Some(_) => sides.left.iter().map(|p| rule.key(p)).collect(),
        None => Vec::new(),
    };
    let pairs: u64 = match sides.right {
        Some(_) => left_keys
            .iter()
            .flatten()
            .map(|k| blocks.get(k).map_or(0, |b| b.len() as u64))
            .sum(),
        None => blocks
            .values()
            .map(|b| {
                let n = b.len() as u64;
                n * n.saturating_sub(1) / 2
            })
            .sum(),
    };
    // Sample records (not pairs) so each kept pair keeps both its records' full context.
    let keep_share = if pairs as f64 > settings.em_max_pairs as f64 {
        (settings.em_max_pairs as f64 / pairs as f64).sqrt()
    } else {
        1.0
    };
    let keep = |side: u64, i: usize| {
        keep_share >= 1.0
            || Rng::new(
                settings.seed
                    ^ side.wrapping_mul(0x9e37_79b9)
                    ^ (i as u64).wrapping_mul(0x1000_0000_01b3),
            )
            .unit()
                < keep_share
    };
    // Work items: a left record (linking) or a block (deduplicating), spread over the cores.
    let items: Vec<usize> = match sides.right {
        Some(_) => (0..left_keys.len()).collect(),
        None => (0..blocks.len()).collect(),
    };
    let block_list: Vec<&Vec<u32>> = match sides.right {
        Some(_) => Vec::new(),
        None => {
            let mut keyed: Vec<(&u64, &Vec<u32>)> = blocks.iter().collect();
            keyed.sort_by_key(|(k, _)| **k);
            keyed.into_iter().map(|(_, b)| b).collect()
        }
    };
    let chunks: Vec<&[usize]> = items.chunks(items.len().div_ceil(16).max(1)).collect();
    // Patterns packed four bits a level (no field has more than 16 levels, and there are 8
    // fields), so counting them allocates nothing.
    let partial: Vec<(HashMap<u64, f64>, u64)> = parallel_map(&chunks, |chunk| {
        let mut counts: HashMap<u64, f64> = HashMap::new();
        let mut used = 0u64;
        let mut add = |a: &Prepared, b: &Prepared| {
            let pattern =
                fields
                    .iter()
                    .zip(excluded)
                    .enumerate()
                    .fold(0u64, |acc, (c, (f, skip))| {
                        let level = if *skip { 0 } else { compare::compare(*f, a, b) };
                        acc | (u64::from(level & 15) << (4 * c))
                    });
            *counts.entry(pattern).or_default() += 1.0;
            used += 1;
        };
        for &item in *chunk {
            match sides.right {
                Some(_) => {
                    let Some(block) = left_keys[item].and_then(|k| blocks.get(&k)) else {
                        continue;
                    };
                    if !keep(1, item) {
                        continue;
                    }
                    for &j in block {
                        let j = j as usize;
                        if keep(2, j) {
                            add(&sides.left[item], &right[j]);
                        }
                    }
                }
                None => {
                    let block = block_list[item];
                    for (x, &i) in block.iter().enumerate() {
                        if !keep(1, i as usize) {
                            continue;
                        }
                        for &j in &block[x + 1..] {
                            if keep(1, j as usize) {
                                add(&right[i as usize], &right[j as usize]);
                            }
                        }
                    }
                }
            }
        }
        (counts, used)
    });
    let mut counts: HashMap<u64, f64> = HashMap::new();
    let mut used = 0u64;
    for (part, n) in partial {
        used += n;
        for (pattern, c) in part {
            *counts.entry(pattern).or_default() += c;
        }
    }
    let counts: Vec<(Vec<u8>, f64)> = counts
        .into_iter()
        .map(|(packed, n)| {
            let levels = (0..fields.len())
                .map(|c| u8::try_from((packed >> (4 * c)) & 15).unwrap_or(0))
                .collect();
            (levels, n)
        })
        .collect();
    let mut patterns: Vec<(Vec<u8>, f64)> = counts.into_iter().collect();
    // A fixed order, so floating-point sums (and so the model) do not depend on hashing.
    patterns.sort_by(|a, b| a.0.cmp(&b.0));
    (patterns, pairs, used)
}

// ---------------------------------------------------------------------------------------------
// Scoring

/// One comparison's part in a pair's match weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// The field compared.
    pub comparison: Field,
    /// The level the pair fell into.
    pub level: Level,
    /// Its match weight in bits, including any term-frequency adjustment: positive for
    /// evidence of a match, negative against, 0 when missing.
    pub weight: f64,
    /// The part of `weight` due to how common the value is (0 unless an exact match on a field
    /// with term frequencies): negative for a common name, positive for a rare one.
    pub term_frequency_adjustment: f64,
}

/// A model's weights, laid out for fast scoring.
#[derive(Debug, Clone)]
pub(crate) struct Scorer {
    pub prior_weight: f64,
    comparisons: Vec<ComparisonScorer>,
}

#[derive(Debug, Clone)]
struct ComparisonScorer {
    field: Field,
    weights: Vec<f64>,
    levels: Vec<Level>,
    /// For term-frequency adjustment of the exact level: its m and u, and the smallest
    /// frequency (one record's worth), used for values the tables have not seen.
    term_frequency: Option<(f64, f64, f64)>,
    /// The highest weight of any level below exact. An exact match on a common value must never
    /// weigh less than a near miss on it would ("Olivia" and "Olivia" not below "Olivia" and
    /// "Oliv"), so the term-frequency-adjusted exact weight is floored here.
    best_partial: f64,
}

impl Scorer {
    pub fn new(model: &Model) -> Scorer {
        let comparisons = model
            .comparisons
            .iter()
            .map(|c| {
                let table = model.term_frequencies.iter().find(|t| t.field == c.field);
                let term_frequency = match (table, c.levels.get(1)) {
                    (Some(t), Some(exact)) if t.total > 0 && exact.level == Level::Exact => Some((
                        exact.m.max(M_FLOOR),
                        exact.u.max(U_FLOOR),
                        1.0 / t.total as f64,
                    )),
                    _ => None,
                };
                let weights: Vec<f64> = c.levels.iter().map(LevelParameters::weight).collect();
                let best_partial = weights
                    .iter()
                    .skip(2)
                    .copied()
                    .fold(f64::NEG_INFINITY, f64::max);
                ComparisonScorer {
                    field: c.field,
                    best_partial,
                    weights,
                    levels: c.levels.iter().map(|l| l.level).collect(),
                    term_frequency,
                }
            })
            .collect();
        Scorer {
            prior_weight: model.prior_weight(),
            comparisons,
        }
    }

    fn contribution(c: &ComparisonScorer, a: &Prepared, b: &Prepared) -> (usize, f64, f64) {
        let level = usize::from(compare::compare(c.field, a, b));
        let base = c.weights.get(level).copied().unwrap_or(0.0);
        if level == 1
            && let Some((m, u, min_tf)) = c.term_frequency
        {
            let i = c.field.index();
            let tf = a.tf[i].max(b.tf[i]).max(min_tf);
            let weight = (m / tf).log2().max(c.best_partial);
            return (level, weight, weight - (m / u).log2());
        }
        (level, base, 0.0)
    }

    /// The total match weight of a pair, in bits (prior included).
    pub fn weight(&self, a: &Prepared, b: &Prepared) -> f64 {
        self.prior_weight
            + self
                .comparisons
                .iter()
                .map(|c| Scorer::contribution(c, a, b).1)
                .sum::<f64>()
    }

    /// Each comparison's contribution; with the prior they sum to [`Scorer::weight`].
    pub fn explain(&self, a: &Prepared, b: &Prepared) -> Vec<Contribution> {
        self.comparisons
            .iter()
            .map(|c| {
                let (level, weight, tf) = Scorer::contribution(c, a, b);
                Contribution {
                    comparison: c.field,
                    level: c.levels.get(level).copied().unwrap_or(Level::Else),
                    weight,
                    term_frequency_adjustment: tf,
                }
            })
            .collect()
    }
}

/// The match probability of a match weight: 2^w / (1 + 2^w).
pub fn probability(weight: f64) -> f64 {
    1.0 / (1.0 + (-weight).exp2())
}

/// The match weight of a probability, log2(p / (1 − p)).
pub fn weight_of_probability(probability: f64) -> f64 {
    let p = probability.clamp(1e-300, 1.0 - 1e-16);
    (p / (1.0 - p)).log2()
}
