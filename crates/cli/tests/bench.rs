//! `safeguard bench flags` end to end with a tiny register and a two-second run: seeds, serves,
//! drives wrk, checks the database and prints the table or JSON. Skipped, with the reason
//! printed, when wrk is not installed (scripts/install-bench-deps.sh installs it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn safeguard() -> Command {
    Command::new(env!("CARGO_BIN_EXE_safeguard"))
}

fn wrk_installed() -> bool {
    let found = Command::new("wrk").arg("--version").output().is_ok();
    if !found {
        eprintln!("skipped: wrk is not installed (run scripts/install-bench-deps.sh)");
    }
    found
}

#[test]
fn bench_flags_runs_end_to_end_and_every_lookup_is_audited() {
    if !wrk_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let args = [
        "bench",
        "flags",
        "--children",
        "2000",
        "--duration",
        "2s",
        "--connections",
        "8",
        "--threads",
        "1",
        "--json",
        "--database",
        &url,
    ];
    let out = safeguard().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["backend"], "sqlite");
    assert_eq!(report["children"], 2000);
    assert_eq!(report["check"]["passed"], true, "{report}");
    let lookups = &report["lookups"];
    assert!(lookups["requests"].as_u64().unwrap() > 0);
    assert_eq!(lookups["not_200"], 0);
    assert!(lookups["answered_hits"].as_u64().unwrap() > 0);
    assert!(lookups["answered_misses"].as_u64().unwrap() > 0);
    let audited = report["check"]["lookups_audited"].as_u64().unwrap();
    let answered =
        lookups["answered_hits"].as_u64().unwrap() + lookups["answered_misses"].as_u64().unwrap();
    assert!(audited >= answered && audited <= answered + 8, "{report}");
    assert_eq!(
        report["check"]["accesses"],
        report["check"]["notifications"]
    );
    assert!(report["healthz"]["rate"].as_f64().unwrap() > 0.0);

    // The same database again: refused, it is no longer empty.
    let again = safeguard().args(args).output().unwrap();
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("not empty"), "{err}");
}

#[test]
fn bench_flags_refuses_bad_options_clearly() {
    for (args, says) in [
        (vec!["--duration", "0s"], "at least 1s"),
        (vec!["--connections", "0"], "--connections"),
        (vec!["--children", "many"], "--children"),
        (
            vec!["--threads", "9", "--connections", "4"],
            "cannot be more than --connections",
        ),
    ] {
        let out = safeguard()
            .args(["bench", "flags"])
            .args(&args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
