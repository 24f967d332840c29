//! `safeguard linkage link | dedupe` as an operator runs them: synthetic CSV files in, pairs and
//! clusters out, and clear errors (with no output file left behind) for bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use safeguard_linkage::{Record, synthetic};
use tempfile::TempDir;

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_safeguard"))
        .args(args)
        .current_dir(dir)
        .env_remove("SAFEGUARD_DATABASE_URL")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write_csv(path: &Path, records: &[Record]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record([
        "ref",
        "forename",
        "last_name",
        "birth",
        "pc",
        "street",
        "town",
        "nhs",
    ])
    .unwrap();
    for r in records {
        let f = |v: &Option<String>| v.clone().unwrap_or_default();
        w.write_record([
            r.id.clone(),
            f(&r.given_name),
            f(&r.surname),
            f(&r.dob),
            f(&r.postcode),
            f(&r.address),
            f(&r.locality),
            f(&r.identifier),
        ])
        .unwrap();
    }
    w.flush().unwrap();
}

const FIELDS: [&str; 16] = [
    "--field",
    "id=ref",
    "--field",
    "given_name=forename",
    "--field",
    "surname=last_name",
    "--field",
    "dob=birth",
    "--field",
    "postcode=pc",
    "--field",
    "address=street",
    "--field",
    "locality=town",
    "--field",
    "identifier=nhs",
];

/// 600 known children, and referrals about the first 200 of them.
fn files() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let children = synthetic::population(600, 5);
    let referrals: Vec<Record> = children[..200]
        .iter()
        .enumerate()
        .map(|(i, c)| synthetic::sighting(c, i as u64))
        .collect();
    write_csv(&dir.path().join("children.csv"), &children);
    write_csv(&dir.path().join("referrals.csv"), &referrals);
    let mut both = children;
    both.extend(referrals);
    write_csv(&dir.path().join("both.csv"), &both);
    dir
}

fn args<'a>(head: &[&'a str]) -> Vec<&'a str> {
    let mut all = head.to_vec();
    all.extend(FIELDS);
    all
}

#[test]
fn link_writes_pairs_that_are_mostly_right() {
    let dir = files();
    let o = run(
        dir.path(),
        &args(&[
            "linkage",
            "link",
            "--left",
            "children.csv",
            "--right",
            "referrals.csv",
            "--out",
            "pairs.csv",
            "--explain",
        ]),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("chosen without labels"),
        "{}",
        stderr(&o)
    );
    let out = std::fs::read_to_string(dir.path().join("pairs.csv")).unwrap();
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("left_id,right_id,match_probability"));
    let pairs: Vec<(String, String)> = lines
        .map(|l| {
            let mut parts = l.split(',');
            (
                parts.next().unwrap().to_owned(),
                parts.next().unwrap().to_owned(),
            )
        })
        .collect();
    let right = pairs
        .iter()
        .filter(|(a, b)| format!("{a}-seen") == *b)
        .count();
    assert!(right >= 190, "{right} of {} pairs right", pairs.len());
    assert!(right as f64 / pairs.len() as f64 > 0.97);
    // The explanation shows levels and weights, never a name.
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("prior") && stdout.contains("date of birth"),
        "{stdout}"
    );
}

#[test]
fn dedupe_writes_a_cluster_for_every_record() {
    let dir = files();
    let o = run(
        dir.path(),
        &args(&[
            "linkage",
            "dedupe",
            "--input",
            "both.csv",
            "--out",
            "clusters.csv",
            "--threshold",
            "0.9",
        ]),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = std::fs::read_to_string(dir.path().join("clusters.csv")).unwrap();
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows[0], "id,cluster_id");
    assert_eq!(rows.len(), 801);
    let together = rows
        .iter()
        .filter(|r| {
            let (id, cluster) = r.split_once(',').unwrap();
            id.ends_with("-seen") && format!("{cluster}-seen") == id
        })
        .count();
    assert!(together >= 190, "{together}");
}

fn fails_without_output(dir: &Path, args: &[&str], message: &str) {
    let o = run(dir, args);
    assert!(!o.status.success(), "should fail: {args:?}");
    let err = stderr(&o);
    assert!(err.contains(message), "expected {message:?} in {err}");
    assert!(!dir.join("out.csv").exists(), "a partial output was left");
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn bad_input_is_named_and_writes_nothing() {
    let dir = files();
    let d = dir.path();
    let link = |extra: &[&'static str]| -> Vec<&'static str> {
        let mut a = vec![
            "linkage",
            "link",
            "--left",
            "children.csv",
            "--right",
            "referrals.csv",
            "--out",
            "out.csv",
        ];
        a.extend_from_slice(extra);
        a
    };
    fails_without_output(
        d,
        &link(&["--field", "id=ref", "--field", "surname=family_name"]),
        "has no column \"family_name\" (for --field surname=family_name)",
    );
    fails_without_output(
        d,
        &link(&["--field", "id=ref", "--field", "nickname=forename"]),
        "\"nickname\" is not a kind of field",
    );
    fails_without_output(
        d,
        &link(&["--field", "id=ref", "--field", "surname"]),
        "is not KIND=COLUMN",
    );
    let mut absurd = link(&["--threshold", "1.5"]);
    absurd.extend(FIELDS);
    fails_without_output(
        d,
        &absurd,
        "--threshold must be a match probability from 0 to 1",
    );

    let mut missing = vec![
        "linkage",
        "link",
        "--left",
        "nowhere.csv",
        "--right",
        "referrals.csv",
        "--out",
        "out.csv",
    ];
    missing.extend(FIELDS);
    fails_without_output(d, &missing, "cannot read nowhere.csv");

    std::fs::write(d.join("empty.csv"), "").unwrap();
    let mut empty = vec![
        "linkage",
        "dedupe",
        "--input",
        "empty.csv",
        "--out",
        "out.csv",
    ];
    empty.extend(FIELDS);
    fails_without_output(d, &empty, "empty.csv is empty");

    std::fs::write(
        d.join("ragged.csv"),
        "ref,forename,last_name,birth,pc,street,town,nhs\n1,Ann,Lee,2015-01-01,M1 1AE,1 High St,Leeds,\n2,Bob,Lee\n",
    )
    .unwrap();
    let mut ragged = vec![
        "linkage",
        "dedupe",
        "--input",
        "ragged.csv",
        "--out",
        "out.csv",
    ];
    ragged.extend(FIELDS);
    fails_without_output(d, &ragged, "line 3 has 3 columns but the header has 8");

    std::fs::write(
        d.join("latin1.csv"),
        b"ref,forename,last_name,birth,pc,street,town,nhs\n1,Ren\xe9e,Lee,2015-01-01,M1 1AE,1 High St,Leeds,\n",
    )
    .unwrap();
    let mut latin1 = vec![
        "linkage",
        "dedupe",
        "--input",
        "latin1.csv",
        "--out",
        "out.csv",
    ];
    latin1.extend(FIELDS);
    fails_without_output(
        d,
        &latin1,
        "latin1.csv line 2: column \"forename\" is not UTF-8",
    );
}
