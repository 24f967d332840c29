//! Properties of the engine as a whole, on synthetic children: explanations add up, the index
//! agrees with the batch, edits to the index leave it as if built afresh, and the model finds
//! the children's other records.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use proptest::prelude::*;
use safeguard_linkage::{
    Data, Index, Model, Record, Settings, connected_components, explain, probability, score,
    synthetic,
};

/// 3,000 children and a second record for each of the first 1,000, deduplicated together.
fn records() -> &'static Vec<Record> {
    static RECORDS: OnceLock<Vec<Record>> = OnceLock::new();
    RECORDS.get_or_init(|| {
        let mut all = synthetic::population(3_000, 11);
        let seen: Vec<Record> = all[..1_000]
            .iter()
            .enumerate()
            .map(|(i, c)| synthetic::sighting(c, 500 + i as u64))
            .collect();
        all.extend(seen);
        all
    })
}

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| Model::train(Data::Dedupe(records()), &Settings::default()).unwrap())
}

#[test]
fn the_model_finds_the_second_records_without_labels() {
    let all = records();
    let scored = score(model(), Data::Dedupe(all), 0.5);
    let truth = |a: &str, b: &str| a.trim_end_matches("-seen") == b.trim_end_matches("-seen");
    let found = scored
        .pairs
        .iter()
        .filter(|p| truth(&all[p.left].id, &all[p.right].id))
        .count();
    let precision = found as f64 / scored.pairs.len() as f64;
    let recall = found as f64 / 1_000.0;
    assert!(precision > 0.98, "precision {precision}");
    assert!(recall > 0.95, "recall {recall}");

    // Clustering at the same threshold puts each pair found in one cluster.
    let edges: Vec<(usize, usize)> = scored.pairs.iter().map(|p| (p.left, p.right)).collect();
    let clusters = connected_components(all.len(), &edges);
    for p in &scored.pairs {
        assert_eq!(clusters[p.left], clusters[p.right]);
    }
}

#[test]
fn the_model_round_trips_through_json() {
    let json = serde_json::to_string(model()).unwrap();
    let back: Model = serde_json::from_str(&json).unwrap();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1e-300);
    let original = model();
    assert!(close(back.prior, original.prior));
    assert_eq!(back.blocking_rules, original.blocking_rules);
    assert!(back.term_frequencies == original.term_frequencies);
    assert_eq!(back.comparisons.len(), original.comparisons.len());
    for (a, b) in back.comparisons.iter().zip(&original.comparisons) {
        assert_eq!(a.field, b.field);
        for (x, y) in a.levels.iter().zip(&b.levels) {
            assert_eq!(x.level, y.level);
            assert!(close(x.m, y.m) && close(x.u, y.u), "{:?} {:?}", x, y);
        }
    }
}

#[test]
fn the_index_agrees_with_the_batch() {
    let all = records();
    let batch = score(model(), Data::Dedupe(all), 0.0);
    let mut expected: HashMap<usize, BTreeMap<String, f64>> = HashMap::new();
    for p in &batch.pairs {
        expected
            .entry(p.left)
            .or_default()
            .insert(all[p.right].id.clone(), p.weight);
        expected
            .entry(p.right)
            .or_default()
            .insert(all[p.left].id.clone(), p.weight);
    }
    let mut index = Index::new(model().clone());
    for r in all {
        index.insert(r.clone());
    }
    for (i, r) in all.iter().enumerate() {
        let got: BTreeMap<String, f64> = index
            .candidates(r, usize::MAX)
            .into_iter()
            .map(|c| (c.id, c.weight))
            .collect();
        assert_eq!(got, expected.remove(&i).unwrap_or_default(), "{}", r.id);
    }
}

#[test]
fn edits_leave_the_index_as_if_built_afresh() {
    let all = &records()[..1_500];
    let mut edited = Index::new(model().clone());
    for r in all {
        edited.insert(r.clone());
    }
    // Edit every third record (a move), remove every seventh.
    let mut final_records: Vec<Record> = Vec::new();
    for (i, r) in all.iter().enumerate() {
        if i % 7 == 0 {
            assert!(edited.remove(&r.id));
            continue;
        }
        if i % 3 == 0 {
            let moved = Record {
                postcode: Some("M1 1AE".into()),
                address: Some("1 Piccadilly".into()),
                ..r.clone()
            };
            assert!(edited.insert(moved.clone()));
            final_records.push(moved);
        } else {
            final_records.push(r.clone());
        }
    }
    let mut fresh = Index::new(model().clone());
    for r in &final_records {
        fresh.insert(r.clone());
    }
    assert_eq!(edited.len(), fresh.len());
    assert!(!edited.contains(&all[0].id));
    for r in final_records.iter().step_by(5) {
        assert_eq!(
            edited.candidates(r, 10),
            fresh.candidates(r, 10),
            "{}",
            r.id
        );
    }
}

#[test]
fn top_k_is_the_best_k_in_order() {
    let all = records();
    let mut index = Index::new(model().clone());
    for r in all {
        index.insert(r.clone());
    }
    let query = &all[3_010];
    let every = index.candidates(query, usize::MAX);
    let top = index.candidates(query, 3);
    assert_eq!(top.len(), 3.min(every.len()));
    assert_eq!(top[..], every[..top.len()]);
    assert!(top.windows(2).all(|w| w[0].weight >= w[1].weight));
    // The child this referral is about comes first.
    assert_eq!(top[0].id, all[10].id);
}

fn arb_record() -> impl Strategy<Value = Record> {
    let text = prop::option::of("[A-Za-z' -]{0,12}");
    (
        text.clone(),
        text.clone(),
        prop::option::of("(19|20)[0-9]{2}-[01][0-9]-[0-3][0-9]|[0-9]{1,8}"),
        prop::option::of("[MFU]"),
        prop::option::of("[A-Z]{1,2}[0-9]{1,2} ?[0-9][A-Z]{2}|[0-9]{4}"),
        text.clone(),
        text,
        prop::option::of("[0-9 ]{0,12}"),
    )
        .prop_map(
            |(given_name, surname, dob, sex, postcode, address, locality, identifier)| Record {
                id: "q".into(),
                given_name,
                surname,
                dob,
                sex,
                postcode,
                address,
                locality,
                identifier,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn explanations_sum_to_the_weight(a in arb_record(), b in arb_record()) {
        let c = explain(model(), &a, &b);
        let sum: f64 = c.prior_weight + c.explanation.iter().map(|x| x.weight).sum::<f64>();
        prop_assert!((sum - c.weight).abs() < 1e-9, "{} vs {}", sum, c.weight);
        prop_assert!((probability(c.weight) - c.probability).abs() < 1e-12);
        prop_assert!(c.weight.is_finite());
        prop_assert_eq!(c.explanation.len(), model().comparisons.len());
    }

    #[test]
    fn scores_are_symmetric(a in arb_record(), b in arb_record()) {
        let (ab, ba) = (explain(model(), &a, &b), explain(model(), &b, &a));
        prop_assert!((ab.weight - ba.weight).abs() < 1e-9);
        for (x, y) in ab.explanation.iter().zip(&ba.explanation) {
            prop_assert_eq!(x.level, y.level);
        }
    }
}
