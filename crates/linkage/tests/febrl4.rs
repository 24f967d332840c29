//! Links the FEBRL4 files (5,000 original and 5,000 corrupted people) without labels, then
//! scores the result against the true links. The columns are mapped to the engine's fields the
//! way any user would map them; nothing in the engine knows these files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use safeguard_linkage::{Data, Index, Model, Record, Settings, blocking_report, score};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn read(name: &str) -> csv::Reader<std::fs::File> {
    let path = data_dir().join(name);
    match csv::Reader::from_path(&path) {
        Ok(r) => r,
        Err(e) => panic!(
            "the FEBRL4 test needs {} (the copy in crates/linkage/tests/data): {e}",
            path.display()
        ),
    }
}

fn records(name: &str) -> Vec<Record> {
    let mut reader = read(name);
    let headers = reader.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h.trim() == n).unwrap();
    let (id, given, surname, number, addr1, suburb, postcode, dob, ssn) = (
        col("rec_id"),
        col("given_name"),
        col("surname"),
        col("street_number"),
        col("address_1"),
        col("suburb"),
        col("postcode"),
        col("date_of_birth"),
        col("soc_sec_id"),
    );
    let opt = |s: &str| {
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_owned())
    };
    reader
        .records()
        .map(|row| {
            let row = row.unwrap();
            let address = [row[number].trim(), row[addr1].trim()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            Record {
                id: row[id].trim().to_owned(),
                given_name: opt(&row[given]),
                surname: opt(&row[surname]),
                dob: opt(&row[dob]),
                postcode: opt(&row[postcode]),
                address: opt(&address),
                locality: opt(&row[suburb]),
                identifier: opt(&row[ssn]),
                sex: None,
            }
        })
        .collect()
}

fn true_links() -> HashSet<(String, String)> {
    read("febrl4_true_links.csv")
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].trim().to_owned(), r[1].trim().to_owned())
        })
        .collect()
}

fn f1(predicted: &HashSet<(String, String)>, truth: &HashSet<(String, String)>) -> (f64, f64, f64) {
    let tp = predicted.intersection(truth).count() as f64;
    let precision = tp / predicted.len().max(1) as f64;
    let recall = tp / truth.len().max(1) as f64;
    (
        precision,
        recall,
        2.0 * precision * recall / (precision + recall).max(1e-12),
    )
}

#[test]
fn febrl4_links_with_f1_of_at_least_0_99_without_labels() {
    let (left, right) = (records("febrl4a.csv"), records("febrl4b.csv"));
    let truth = true_links();
    assert_eq!((left.len(), right.len(), truth.len()), (5000, 5000, 5000));

    let data = Data::Link {
        left: &left,
        right: &right,
    };
    let model = Model::train(data, &Settings::default()).unwrap();
    // The prior should come out near the truth, 1 in 5,000, without being told.
    assert!(
        (1.0 / 20_000.0..1.0 / 1_250.0).contains(&model.prior),
        "prior {}",
        model.prior
    );

    let scored = score(&model, data, 0.01);
    let at = |threshold: f64| -> HashSet<(String, String)> {
        scored
            .pairs
            .iter()
            .filter(|p| p.probability >= threshold)
            .map(|p| (left[p.left].id.clone(), right[p.right].id.clone()))
            .collect()
    };
    let (p, r, f) = f1(&at(0.5), &truth);
    eprintln!("p>=0.5: precision {p:.4} recall {r:.4} F1 {f:.4}");
    let t = scored.suggested_threshold;
    let (p2, r2, f2) = f1(&at(t), &truth);
    eprintln!("p>={t:.3} (label-free): precision {p2:.4} recall {r2:.4} F1 {f2:.4}");
    assert!(f >= 0.99, "F1 at p >= 0.5 is {f}");
    assert!(f2 >= 0.99, "F1 at the label-free threshold {t} is {f2}");

    // Blocking keeps almost every true pair.
    let position = |records: &[Record]| -> HashMap<String, usize> {
        records
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect()
    };
    let (lp, rp) = (position(&left), position(&right));
    let true_positions: Vec<(usize, usize)> = truth.iter().map(|(a, b)| (lp[a], rp[b])).collect();
    let report = blocking_report(&model, data, &true_positions);
    eprintln!("{report:#?}");
    assert_eq!(report.total_pairs, scored.blocked_pairs);
    assert!(report.true_pairs_captured >= 4_990, "{report:?}");
}

#[test]
fn the_index_agrees_with_the_batch_on_febrl4() {
    let (left, right) = (records("febrl4a.csv"), records("febrl4b.csv"));
    let (left, right) = (&left[..1500], &right[..]);
    let data = Data::Link { left, right };
    let model = Model::train(data, &Settings::default()).unwrap();
    let batch = score(&model, data, 0.0);
    let mut index = Index::new(model);
    for r in right {
        index.insert(r.clone());
    }
    let mut batch_by_left: HashMap<usize, Vec<(String, f64)>> = HashMap::new();
    for p in &batch.pairs {
        batch_by_left
            .entry(p.left)
            .or_default()
            .push((right[p.right].id.clone(), p.weight));
    }
    for (i, query) in left.iter().enumerate() {
        let mut from_index: Vec<(String, f64)> = index
            .candidates(query, usize::MAX)
            .into_iter()
            .map(|c| (c.id, c.weight))
            .collect();
        let mut from_batch = batch_by_left.remove(&i).unwrap_or_default();
        from_index.sort_by(|a, b| a.0.cmp(&b.0));
        from_batch.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(from_index, from_batch, "record {}", query.id);
    }
}
