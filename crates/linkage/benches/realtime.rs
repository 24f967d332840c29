//! The real-time target: one referral against an index of 1,000,000 synthetic children returns
//! its top 10 candidates in at most 10 ms at the 95th percentile.
//!
//! `cargo bench -p safeguard-linkage --bench realtime` (or with `-- N QUERIES` to change the
//! index size and the number of queries). Prints latency percentiles of `Index::candidates`, of
//! an insert and of a remove, how often the true child is first and in the top 10, and the
//! process's peak memory. The results go to docs/benchmarks.md by hand, with date and machine.

use std::time::{Duration, Instant};

use safeguard_linkage::{Data, Index, Model, Record, Settings, synthetic};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn summary(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let mean = times.iter().sum::<Duration>() / times.len().max(1) as u32;
    println!(
        "{name:<22} n={:<6} mean {:>8.3} ms  p50 {:>8.3} ms  p95 {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms",
        times.len(),
        mean.as_secs_f64() * 1e3,
        percentile(&times, 0.50).as_secs_f64() * 1e3,
        percentile(&times, 0.95).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}

/// Peak resident memory of this process, from Linux's /proc (None elsewhere).
fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    // `cargo bench` passes `--bench`; take the first two numbers as size and queries.
    let numbers: Vec<usize> = std::env::args().filter_map(|a| a.parse().ok()).collect();
    let size = numbers.first().copied().unwrap_or(1_000_000);
    let queries = numbers.get(1).copied().unwrap_or(10_000);

    let t = Instant::now();
    let children = synthetic::population(size, 2024);
    println!(
        "generated {size} children in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // Train as a local authority would: its children against a batch of referrals about some
    // of them (50,000 each), without labels.
    let t = Instant::now();
    let sample = &children[..size.min(50_000)];
    let referrals: Vec<Record> = sample
        .iter()
        .enumerate()
        .map(|(i, c)| synthetic::sighting(c, 1_000_000 + i as u64))
        .collect();
    let Ok(mut model) = Model::train(
        Data::Link {
            left: sample,
            right: &referrals,
        },
        &Settings::default(),
    ) else {
        println!("training failed");
        return;
    };
    // At the front door a referral is about one of the known children at most: the prior is
    // one in the size of the index.
    model.prior = 1.0 / size as f64;
    println!("trained in {:.1} s", t.elapsed().as_secs_f64());

    let t = Instant::now();
    let mut index = Index::new(model);
    for child in &children {
        index.insert(child.clone());
    }
    println!(
        "indexed {} children in {:.1} s",
        index.len(),
        t.elapsed().as_secs_f64()
    );

    // Referrals about known children, with realistic errors, spread over the index.
    let step = (size / queries.max(1)).max(1);
    let asked: Vec<(usize, Record)> = (0..queries)
        .map(|q| {
            let i = (q * step + q % step) % size;
            (i, synthetic::sighting(&children[i], 7_000_000 + q as u64))
        })
        .collect();
    // Warm up caches and the allocator.
    for (_, r) in asked.iter().take(200) {
        std::hint::black_box(index.candidates(r, 10));
    }
    let mut times = Vec::with_capacity(asked.len());
    let (mut first, mut top10, mut candidates_seen) = (0usize, 0usize, 0usize);
    for (i, r) in &asked {
        let t = Instant::now();
        let found = index.candidates(r, 10);
        times.push(t.elapsed());
        candidates_seen += found.len();
        if found.first().is_some_and(|c| c.id == children[*i].id) {
            first += 1;
        }
        if found.iter().any(|c| c.id == children[*i].id) {
            top10 += 1;
        }
    }
    summary("candidates(k = 10)", times);
    println!(
        "true child first in {:.2}% and in the top 10 in {:.2}% of {} referrals ({:.1} candidates returned on average)",
        100.0 * first as f64 / queries as f64,
        100.0 * top10 as f64 / queries as f64,
        queries,
        candidates_seen as f64 / queries as f64
    );

    // Edits: a child's record changes (remove and re-add), and a new child arrives.
    let mut insert_times = Vec::new();
    let mut remove_times = Vec::new();
    for (q, (i, r)) in asked.iter().take(2_000).enumerate() {
        let mut edited = r.clone();
        edited.id = children[*i].id.clone();
        let t = Instant::now();
        index.insert(edited);
        insert_times.push(t.elapsed());
        let mut newcomer = r.clone();
        newcomer.id = format!("new-{q}");
        index.insert(newcomer);
        let t = Instant::now();
        index.remove(&format!("new-{q}"));
        remove_times.push(t.elapsed());
    }
    summary("insert (edit)", insert_times);
    summary("remove", remove_times);
    if let Some(mb) = peak_memory_mb() {
        println!("peak memory {mb:.0} MB");
    }
}
