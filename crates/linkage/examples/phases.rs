//! Times training and scoring on the FEBRL4 files or synthetic data (a development aid):
//! `cargo run --release -p safeguard-linkage --example phases [synthetic]`.
use safeguard_linkage::{Data, Record, Settings, synthetic, train_and_score};
use std::time::Instant;

fn febrl(name: &str) -> Vec<Record> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let Ok(mut reader) = csv::Reader::from_path(path) else {
        return Vec::new();
    };
    let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    reader
        .records()
        .flatten()
        .map(|r| Record {
            id: r[0].to_owned(),
            given_name: opt(&r[1]),
            surname: opt(&r[2]),
            address: opt(&format!("{} {}", &r[3], &r[4])),
            locality: opt(&r[6]),
            postcode: opt(&r[7]),
            dob: opt(&r[9]),
            identifier: opt(&r[10]),
            sex: None,
        })
        .collect()
}

fn main() {
    let (left, right) = if std::env::args().any(|a| a == "synthetic") {
        let people = synthetic::population(5000, 1);
        let seen: Vec<_> = people
            .iter()
            .enumerate()
            .map(|(i, p)| synthetic::sighting(p, i as u64))
            .collect();
        (people, seen)
    } else {
        (febrl("febrl4a.csv"), febrl("febrl4b.csv"))
    };
    let data = Data::Link {
        left: &left,
        right: &right,
    };
    for _ in 0..3 {
        let t = Instant::now();
        let Ok((model, s)) = train_and_score(data, &Settings::default(), 0.5) else {
            return;
        };
        let t1 = t.elapsed();
        println!(
            "train {:?} score {:?} pairs {} blocked {} sessions {:?}",
            t1,
            t.elapsed() - t1,
            s.pairs.len(),
            s.blocked_pairs,
            model
                .training
                .iter()
                .map(|s| (s.rule, s.pairs, s.iterations))
                .collect::<Vec<_>>()
        );
    }
}
