//! The incremental index: known records in memory by their blocking keys, so one new record can
//! be scored against its candidates in a fraction of a millisecond; and the batch link and
//! dedupe built on the same candidate search, so both give the same answers.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::blocking::{BlockingReport, BlockingRule, RuleReport};
use crate::error::LinkageError;
use crate::model::{
    Contribution, Data, Model, Scorer, Settings, Sides, parallel_map, prepare_data, probability,
    train_prepared, validate,
};
use crate::record::Record;
use crate::standardise::Prepared;
use crate::threshold::suggest_threshold;

/// Blocks bigger than this are skipped by default: a key shared by this many records (a
/// placeholder date, a default postcode) says little, and comparing against all of them would
/// flood the results.
pub const DEFAULT_MAX_BLOCK_SIZE: usize = 10_000;

/// A known record that may be the same person as the one asked about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The known record's id.
    pub id: String,
    /// Match probability, 0 to 1.
    pub probability: f64,
    /// Match weight in bits: `prior_weight` plus the sum of the explanation's weights.
    pub weight: f64,
    /// The weight before any comparison: how likely a match is between two records at random.
    pub prior_weight: f64,
    /// Each comparison's contribution, in the model's order (for a waterfall chart).
    pub explanation: Vec<Contribution>,
}

/// Per-rule postings: blocking key → slots of the records with that key.
#[derive(Debug, Clone)]
struct Postings {
    rules: Vec<BlockingRule>,
    lists: Vec<HashMap<u64, Vec<u32>>>,
    max_block_size: usize,
}

impl Postings {
    fn new(rules: &[BlockingRule], max_block_size: usize) -> Postings {
        Postings {
            rules: rules.to_vec(),
            lists: rules.iter().map(|_| HashMap::new()).collect(),
            max_block_size,
        }
    }

    /// A record's keys, one per rule (0 where the rule has no key for it).
    fn keys(&self, p: &Prepared) -> Box<[u64]> {
        self.rules.iter().map(|r| r.key(p).unwrap_or(0)).collect()
    }

    fn add(&mut self, slot: u32, keys: &[u64]) {
        for (list, key) in self.lists.iter_mut().zip(keys) {
            if *key != 0 {
                list.entry(*key).or_default().push(slot);
            }
        }
    }

    fn remove(&mut self, slot: u32, keys: &[u64]) {
        for (list, key) in self.lists.iter_mut().zip(keys) {
            if *key == 0 {
                continue;
            }
            if let Some(block) = list.get_mut(key) {
                if let Some(pos) = block.iter().position(|s| *s == slot) {
                    block.swap_remove(pos);
                }
                if block.is_empty() {
                    list.remove(key);
                }
            }
        }
    }

    /// The blocks a record with these keys is compared against: for each rule, its block (or
    /// `None` when it has no key or the block is too big to use).
    fn blocks<'a>(&'a self, keys: &[u64]) -> Vec<Option<&'a [u32]>> {
        self.lists
            .iter()
            .zip(keys)
            .map(|(list, key)| {
                if *key == 0 {
                    return None;
                }
                list.get(key)
                    .filter(|b| b.len() <= self.max_block_size)
                    .map(Vec::as_slice)
            })
            .collect()
    }

    /// Blocks a record's keys would have used but for their size.
    fn oversized(&self, keys: &[u64]) -> u64 {
        self.lists
            .iter()
            .zip(keys)
            .filter(|(list, key)| {
                **key != 0 && list.get(key).is_some_and(|b| b.len() > self.max_block_size)
            })
            .count() as u64
    }

    /// Calls `f(rule, slot)` once for each distinct slot the keys reach, attributed to the first
    /// rule that reaches it (so each pair is produced once, as in a union of the rules).
    fn for_each_candidate<'k>(
        &self,
        keys: &[u64],
        slot_keys: impl Fn(u32) -> Option<&'k [u64]>,
        mut f: impl FnMut(usize, u32),
    ) {
        let blocks = self.blocks(keys);
        for (r, block) in blocks.iter().enumerate() {
            let Some(block) = block else { continue };
            for &slot in *block {
                let Some(other) = slot_keys(slot) else {
                    continue;
                };
                let earlier = (0..r).any(|e| blocks[e].is_some() && keys[e] == other[e]);
                if !earlier {
                    f(r, slot);
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    id: String,
    prepared: Prepared,
    keys: Box<[u64]>,
}

/// Known records, indexed for real-time candidate search.
///
/// ```
/// use safeguard_linkage::{Data, Index, Model, Record, Settings};
/// # let people: Vec<Record> = safeguard_linkage::synthetic::population(2_000, 1);
/// let model = Model::train(Data::Dedupe(&people), &Settings::default())?;
/// let mut index = Index::new(model);
/// for person in &people {
///     index.insert(person.clone());
/// }
/// let query = Record { id: "referral-1".into(), ..people[0].clone() };
/// let top = index.candidates(&query, 10);
/// assert_eq!(top[0].id, people[0].id);
/// # Ok::<(), safeguard_linkage::LinkageError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Index {
    model: Model,
    scorer: Scorer,
    postings: Postings,
    entries: Vec<Option<Entry>>,
    free: Vec<u32>,
    by_id: HashMap<String, u32>,
}

impl Index {
    /// An empty index scoring with this model.
    pub fn new(model: Model) -> Index {
        Index::with_max_block_size(model, DEFAULT_MAX_BLOCK_SIZE)
    }

    /// An empty index that skips blocks of more than `max_block_size` records.
    pub fn with_max_block_size(model: Model, max_block_size: usize) -> Index {
        Index {
            scorer: Scorer::new(&model),
            postings: Postings::new(&model.blocking_rules, max_block_size),
            model,
            entries: Vec::new(),
            free: Vec::new(),
            by_id: HashMap::new(),
        }
    }

    /// The model the index scores with.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// How many records are in the index.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Whether a record with this id is in the index.
    pub fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// Adds a record, or replaces the one with the same id (after an edit). Returns whether one
    /// was replaced.
    pub fn insert(&mut self, record: Record) -> bool {
        let replaced = self.remove(&record.id);
        let prepared = self.model.prepare(&record);
        let keys = self.postings.keys(&prepared);
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                let Ok(slot) = u32::try_from(self.entries.len()) else {
                    // Four billion records: beyond any local authority; refuse quietly rather
                    // than corrupt the index.
                    return replaced;
                };
                self.entries.push(None);
                slot
            }
        };
        self.postings.add(slot, &keys);
        self.by_id.insert(record.id.clone(), slot);
        if let Some(place) = self.entries.get_mut(slot as usize) {
            *place = Some(Entry {
                id: record.id,
                prepared,
                keys,
            });
        }
        replaced
    }

    /// Removes the record with this id. Returns whether there was one.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(slot) = self.by_id.remove(id) else {
            return false;
        };
        if let Some(entry) = self.entries.get_mut(slot as usize).and_then(Option::take) {
            self.postings.remove(slot, &entry.keys);
        }
        self.free.push(slot);
        true
    }

    fn slot_keys(&self, slot: u32) -> Option<&[u64]> {
        self.entries
            .get(slot as usize)
            .and_then(Option::as_ref)
            .map(|e| &*e.keys)
    }

    /// The `k` known records most likely to be the same person as `record`, best first, each
    /// with its explanation. A known record with the same id as `record` is left out (so an
    /// indexed child can be checked for duplicates of itself). Ties are broken by id.
    pub fn candidates(&self, record: &Record, k: usize) -> Vec<Candidate> {
        let query = self.model.prepare(record);
        let keys = self.postings.keys(&query);
        let mut scored: Vec<(f64, u32)> = Vec::new();
        self.postings.for_each_candidate(
            &keys,
            |s| self.slot_keys(s),
            |_, slot| {
                if let Some(entry) = self.entries.get(slot as usize).and_then(Option::as_ref)
                    && entry.id != record.id
                {
                    scored.push((self.scorer.weight(&query, &entry.prepared), slot));
                }
            },
        );
        let id_of = |slot: u32| {
            self.entries
                .get(slot as usize)
                .and_then(Option::as_ref)
                .map_or("", |e| e.id.as_str())
        };
        let order = |a: &(f64, u32), b: &(f64, u32)| {
            b.0.total_cmp(&a.0).then_with(|| id_of(a.1).cmp(id_of(b.1)))
        };
        if scored.len() > k && k > 0 {
            scored.select_nth_unstable_by(k - 1, order);
            scored.truncate(k);
        }
        scored.truncate(k);
        scored.sort_by(order);
        scored
            .into_iter()
            .filter_map(|(weight, slot)| {
                let entry = self.entries.get(slot as usize)?.as_ref()?;
                Some(Candidate {
                    id: entry.id.clone(),
                    probability: probability(weight),
                    weight,
                    prior_weight: self.scorer.prior_weight,
                    explanation: self.scorer.explain(&query, &entry.prepared),
                })
            })
            .collect()
    }

    /// Scores a pair of records and explains the score, whether or not blocking would have
    /// paired them.
    pub fn explain_pair(&self, a: &Record, b: &Record) -> Candidate {
        explain_pair(&self.model, &self.scorer, a, b)
    }
}

fn explain_pair(model: &Model, scorer: &Scorer, a: &Record, b: &Record) -> Candidate {
    let (pa, pb) = (model.prepare(a), model.prepare(b));
    let weight = scorer.weight(&pa, &pb);
    Candidate {
        id: b.id.clone(),
        probability: probability(weight),
        weight,
        prior_weight: scorer.prior_weight,
        explanation: scorer.explain(&pa, &pb),
    }
}

/// Scores and explains one pair of records with a model.
pub fn explain(model: &Model, a: &Record, b: &Record) -> Candidate {
    explain_pair(model, &Scorer::new(model), a, b)
}

// ---------------------------------------------------------------------------------------------
// Batch

/// A scored pair from a batch run, by position in the input.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScoredPair {
    /// Position of the first record (in `left`, or in the records being deduplicated).
    pub left: usize,
    /// Position of the second record (in `right`; or, deduplicating, a later position).
    pub right: usize,
    /// Match weight in bits.
    pub weight: f64,
    /// Match probability.
    pub probability: f64,
}

/// What a batch run found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    /// Pairs at or above the minimum probability asked for, ordered by position.
    pub pairs: Vec<ScoredPair>,
    /// Every pair the blocking rules produced (all were scored).
    pub blocked_pairs: u64,
    /// The threshold that maximises the F1 score the model expects, chosen from the
    /// probabilities alone (no labels): see [`suggest_threshold`].
    pub suggested_threshold: f64,
}

/// Batch candidates built once over the right-hand records.
struct Batch<'a> {
    scorer: Scorer,
    postings: Postings,
    right: &'a [Prepared],
    right_keys: Vec<Box<[u64]>>,
}

impl<'a> Batch<'a> {
    fn new(model: &Model, right: &'a [Prepared], max_block_size: usize) -> Batch<'a> {
        let mut postings = Postings::new(&model.blocking_rules, max_block_size);
        let right_keys: Vec<Box<[u64]>> = right.iter().map(|p| postings.keys(p)).collect();
        for (slot, keys) in right_keys.iter().enumerate() {
            if let Ok(slot) = u32::try_from(slot) {
                postings.add(slot, keys);
            }
        }
        Batch {
            scorer: Scorer::new(model),
            postings,
            right,
            right_keys,
        }
    }

    /// Scores every candidate of the left record `i`; `dedupe` keeps only later positions.
    fn score(&self, i: usize, query: &Prepared, dedupe: bool) -> Vec<ScoredPair> {
        let keys = self.postings.keys(query);
        let mut out = Vec::new();
        self.postings.for_each_candidate(
            &keys,
            |s| self.right_keys.get(s as usize).map(|k| &**k),
            |_, slot| {
                let j = slot as usize;
                if dedupe && j <= i {
                    return;
                }
                if let Some(other) = self.right.get(j) {
                    let weight = self.scorer.weight(query, other);
                    out.push(ScoredPair {
                        left: i,
                        right: j,
                        weight,
                        probability: probability(weight),
                    });
                }
            },
        );
        out
    }
}

fn prepare_with(model: &Model, records: &[Record]) -> Vec<Prepared> {
    parallel_map(records, |r| model.prepare(r))
}

/// Scores every blocked pair and keeps those with probability of at least `min_probability`.
pub fn score(model: &Model, data: Data<'_>, min_probability: f64) -> Scored {
    score_with_block_limit(model, data, min_probability, DEFAULT_MAX_BLOCK_SIZE)
}

/// [`score`], skipping blocks of more than `max_block_size` records.
pub fn score_with_block_limit(
    model: &Model,
    data: Data<'_>,
    min_probability: f64,
    max_block_size: usize,
) -> Scored {
    match data {
        Data::Link { left, right } => {
            let (l, r) = (prepare_with(model, left), prepare_with(model, right));
            score_prepared(model, &l, &r, false, min_probability, max_block_size)
        }
        Data::Dedupe(records) => {
            let p = prepare_with(model, records);
            score_prepared(model, &p, &p, true, min_probability, max_block_size)
        }
    }
}

/// Trains a model on the data and scores the data with it, standardising each record once:
/// [`Model::train`] then [`score`], faster.
///
/// # Errors
///
/// As [`Model::train`].
pub fn train_and_score(
    data: Data<'_>,
    settings: &Settings,
    min_probability: f64,
) -> Result<(Model, Scored), LinkageError> {
    validate(settings)?;
    let (mut left, mut right) = prepare_data(data)?;
    let model = train_prepared(
        &Sides {
            left: &left,
            right: right.as_deref(),
        },
        settings,
    )?;
    for p in left.iter_mut().chain(right.iter_mut().flatten()) {
        model.attach_term_frequencies(p);
    }
    let scored = match &right {
        Some(r) => score_prepared(
            &model,
            &left,
            r,
            false,
            min_probability,
            DEFAULT_MAX_BLOCK_SIZE,
        ),
        None => score_prepared(
            &model,
            &left,
            &left,
            true,
            min_probability,
            DEFAULT_MAX_BLOCK_SIZE,
        ),
    };
    Ok((model, scored))
}

fn score_prepared(
    model: &Model,
    left: &[Prepared],
    right: &[Prepared],
    dedupe: bool,
    min_probability: f64,
    max_block_size: usize,
) -> Scored {
    let batch = Batch::new(model, right, max_block_size);
    let positions: Vec<usize> = (0..left.len()).collect();
    let per_record: Vec<Vec<ScoredPair>> = parallel_map(&positions, |i| {
        left.get(*i)
            .map(|q| batch.score(*i, q, dedupe))
            .unwrap_or_default()
    });
    let blocked_pairs = per_record.iter().map(|v| v.len() as u64).sum();
    let probabilities: Vec<f64> = per_record.iter().flatten().map(|p| p.probability).collect();
    let suggested_threshold = suggest_threshold(&probabilities);
    let mut pairs: Vec<ScoredPair> = per_record
        .into_iter()
        .flatten()
        .filter(|p| p.probability >= min_probability)
        .collect();
    pairs.sort_by_key(|p| (p.left, p.right));
    Scored {
        pairs,
        blocked_pairs,
        suggested_threshold,
    }
}

/// How many pairs each blocking rule of the model produces and, given the true pairs (by
/// position: left and right when linking, two positions when deduplicating), how many of them
/// it captures.
pub fn blocking_report(
    model: &Model,
    data: Data<'_>,
    true_pairs: &[(usize, usize)],
) -> BlockingReport {
    let (left, right, dedupe) = match data {
        Data::Link { left, right } => {
            (prepare_with(model, left), prepare_with(model, right), false)
        }
        Data::Dedupe(records) => {
            let p = prepare_with(model, records);
            (p.clone(), p, true)
        }
    };
    let batch = Batch::new(model, &right, DEFAULT_MAX_BLOCK_SIZE);
    let rules = &model.blocking_rules;
    let mut reports: Vec<RuleReport> = rules
        .iter()
        .map(|rule| RuleReport {
            rule: *rule,
            pairs: 0,
            new_pairs: 0,
            true_pairs_captured: 0,
        })
        .collect();
    let mut total_pairs = 0;
    let mut oversized = 0;
    let mut right_keys_by_pos = Vec::with_capacity(right.len());
    for keys in &batch.right_keys {
        right_keys_by_pos.push(keys.clone());
    }
    for (i, query) in left.iter().enumerate() {
        let keys = batch.postings.keys(query);
        oversized += batch.postings.oversized(&keys);
        let blocks = batch.postings.blocks(&keys);
        for (r, block) in blocks.iter().enumerate() {
            let Some(block) = block else { continue };
            let n = block
                .iter()
                .filter(|s| !dedupe || (**s as usize) > i)
                .count() as u64;
            if let Some(report) = reports.get_mut(r) {
                report.pairs += n;
            }
        }
        batch.postings.for_each_candidate(
            &keys,
            |s| right_keys_by_pos.get(s as usize).map(|k| &**k),
            |r, slot| {
                if dedupe && (slot as usize) <= i {
                    return;
                }
                total_pairs += 1;
                if let Some(report) = reports.get_mut(r) {
                    report.new_pairs += 1;
                }
            },
        );
    }
    let mut captured = 0;
    for &(a, b) in true_pairs {
        let (a, b) = if dedupe && a > b { (b, a) } else { (a, b) };
        let (Some(pa), Some(kb)) = (left.get(a), right_keys_by_pos.get(b)) else {
            continue;
        };
        let keys = batch.postings.keys(pa);
        let blocks = batch.postings.blocks(&keys);
        let mut any = false;
        for (r, block) in blocks.iter().enumerate() {
            if block.is_some() && keys[r] != 0 && keys[r] == kb[r] {
                any = true;
                if let Some(report) = reports.get_mut(r) {
                    report.true_pairs_captured += 1;
                }
            }
        }
        captured += usize::from(any);
    }
    BlockingReport {
        rules: reports,
        total_pairs,
        true_pairs: true_pairs.len(),
        true_pairs_captured: captured,
        oversized_blocks_skipped: oversized,
    }
}
