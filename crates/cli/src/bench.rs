//! `safeguard bench flags`: the flag register under load. Seeds a fresh database with flagged
//! children, serves the real router in this process on a free loopback port, drives `/healthz`
//! (the static ceiling) and then `GET /fhir/Flag` with `wrk` for the same time and connections,
//! prints both and their ratio, and checks in the database that every lookup answered was
//! audited and every hit answered notified exactly once. A benchmark, not a test: results go to
//! `docs/benchmarks.md`.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use safeguard_app::{App, AppConfig};
use safeguard_domain::SystemClock;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::database::{DatabaseUrl, open_store};
use crate::errors::explain;

/// The wrk script, shipped inside the binary so the command runs from anywhere.
const LOOKUP_LUA: &str = include_str!("../../../bench/flags/lookup.lua");

/// Targets on the project's 2-core machine (issue 4).
const TARGET_RATE: f64 = 5_000.0;
const TARGET_P99_MS: f64 = 20.0;
const TARGET_RATIO: f64 = 0.25;

/// `safeguard bench ...`.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Seed a fresh database with flagged children, serve it on loopback and drive FHIR flag
    /// lookups (80% hits, 20% misses, unscheduled care) with wrk; print the rate and latency
    /// beside /healthz's, and check every lookup was audited and every hit notified once.
    /// Needs wrk (scripts/install-bench-deps.sh). Without --database it uses a new SQLite file
    /// in a temporary directory.
    Flags(BenchFlagsArgs),
}

/// `safeguard bench flags`.
#[derive(Debug, Args)]
pub struct BenchFlagsArgs {
    /// How many flagged children to seed.
    #[arg(long, value_name = "N", default_value_t = 1_000_000,
          value_parser = clap::value_parser!(u32).range(1..=50_000_000))]
    pub children: u32,
    /// How long each wrk run lasts: seconds (30s) or minutes (2m).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Open HTTP connections.
    #[arg(long, value_name = "N", default_value_t = 64,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub connections: u32,
    /// wrk threads (at most --connections).
    #[arg(long, value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..=256))]
    pub threads: u32,
    /// Keep the temporary directory (the SQLite file, the number lists, the wrk script).
    #[arg(long)]
    pub keep: bool,
    /// Print the results as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Commit each lookup in its own transaction (the first cut) instead of group commit.
    #[arg(long)]
    pub no_group_commit: bool,
    /// Read the API token from the store on every request instead of caching it for 5 s.
    #[arg(long)]
    pub no_token_cache: bool,
}

/// Reads `30s`, `2m` or a plain number of seconds; at least one second.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (digits, unit) = match t.strip_suffix('s') {
        Some(d) => (d, 1),
        None => match t.strip_suffix('m') {
            Some(d) => (d, 60),
            None => (t, 1),
        },
    };
    match digits.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(Duration::from_secs(n * unit)),
        _ => Err(format!(
            "{text:?} is not a duration; give whole seconds or minutes, at least 1s, like 30s or 2m"
        )),
    }
}

/// One wrk run, as `lookup.lua` reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WrkRun {
    /// Requests completed.
    pub requests: u64,
    /// Seconds measured.
    pub duration_s: f64,
    /// Requests a second.
    pub rate: f64,
    /// Latency percentiles and maximum, microseconds.
    pub p50_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// 99.9th percentile.
    pub p999_us: u64,
    /// Slowest.
    pub max_us: u64,
    /// Connect, read, write and timeout errors.
    pub socket_errors: u64,
    /// wrk's count of responses outside 2xx and 3xx.
    pub non_2xx: u64,
    /// Responses other than 200.
    pub not_200: u64,
    /// Lookups sent for a flagged number.
    pub sent_hits: u64,
    /// Lookups sent for an unflagged number.
    pub sent_misses: u64,
    /// 200 answers with flags.
    pub answered_hits: u64,
    /// 200 answers with none.
    pub answered_misses: u64,
    /// The first response that was not 200, cut short.
    pub first_bad: String,
}

/// The check in the database after the lookups.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// `flags.lookup` audit records.
    pub lookups_audited: u64,
    /// Accesses recorded (unscheduled hits).
    pub accesses: u64,
    /// Access notifications to the LA.
    pub notifications: u64,
    /// Audit records whose hash chain verified.
    pub chain_verified: u64,
    /// Whether every check held.
    pub passed: bool,
    /// What did not hold.
    pub failures: Vec<String>,
}

/// Everything a run found, for `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Flagged children seeded.
    pub children: usize,
    /// Seconds the seeding took.
    pub build_s: f64,
    /// Group commit on.
    pub group_commit: bool,
    /// Token cache on.
    pub token_cache: bool,
    /// Connections and threads.
    pub connections: u32,
    /// wrk threads.
    pub threads: u32,
    /// The static endpoint.
    pub healthz: WrkRun,
    /// The lookups.
    pub lookups: WrkRun,
    /// Lookups' rate over /healthz's.
    pub ratio: f64,
    /// The database check.
    pub check: Check,
}

/// Runs the benchmark; fails (after printing the results) if any response was not 200 or the
/// check in the database did not hold.
pub async fn run(db: Option<&DatabaseUrl>, c: BenchCommand) -> anyhow::Result<()> {
    let BenchCommand::Flags(args) = c;
    if args.threads > args.connections {
        bail!(
            "--threads ({}) cannot be more than --connections ({}): each wrk thread needs a connection",
            args.threads,
            args.connections
        );
    }
    let wrk = which("wrk").context(
        "wrk is not installed; run scripts/install-bench-deps.sh (Debian's wrk package)",
    )?;
    let dir = tempfile::Builder::new()
        .prefix("safeguard-bench-")
        .tempdir()
        .context("cannot make a temporary directory")?;
    let url = match db {
        Some(url) => url.clone(),
        None => format!("sqlite://{}", dir.path().join("bench.db").display())
            .parse()
            .context("bad temporary path")?,
    };
    let store = open_store(&url).await?;
    let config = AppConfig {
        group_commit: !args.no_group_commit,
        token_cache_ttl: if args.no_token_cache {
            jiff::SignedDuration::ZERO
        } else {
            AppConfig::default().token_cache_ttl
        },
        ..AppConfig::default()
    };
    let app = App::new(store, Arc::new(SystemClock), config)
        .await
        .map_err(explain)?;
    let say = |line: String| {
        if !args.json {
            println!("{line}");
        }
    };
    say(format!(
        "safeguard bench flags: {} database {}",
        app.backend_name(),
        url.safe_display()
    ));

    // 1. The data.
    let children = args.children as usize;
    let misses = (children / 4).clamp(1, 250_000);
    let bar = if std::io::stderr().is_terminal() && !args.json {
        indicatif::ProgressBar::new(children as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} flagged children ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let area = app
        .seed_flag_bench(children, misses, &progress)
        .await
        .map_err(explain)?;
    bar.finish_and_clear();
    let build_s = started.elapsed().as_secs_f64();
    say(format!(
        "seeded {children} flagged children (one CPP flag each, one LA) in {build_s:.1} s; {} unflagged numbers for misses",
        area.misses.len()
    ));
    let hits_file = dir.path().join("hits.txt");
    let misses_file = dir.path().join("misses.txt");
    let script = dir.path().join("lookup.lua");
    write_numbers(&hits_file, &area.hits)?;
    write_numbers(&misses_file, &area.misses)?;
    std::fs::write(&script, LOOKUP_LUA).context("cannot write the wrk script")?;

    // 2. The server, in this process, on a free loopback port, with no rate limit.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot listen on loopback")?;
    let addr = listener.local_addr().context("no local address")?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let options = safeguard_web::ServeOptions {
        addr,
        insecure_dev_cookies: true,
        demo_logins: Vec::new(),
        fhir_rate: safeguard_web::RateLimit {
            per_second: 0,
            burst: 0,
        },
    };
    let server = tokio::spawn(safeguard_web::serve_on(
        app.clone(),
        options,
        listener,
        async move {
            let _ = stopped.await;
        },
    ));
    wait_for_health(addr).await?;
    say(format!(
        "serving on http://{addr}/; wrk: {} connections, {} threads, {} s each",
        args.connections,
        args.threads,
        args.duration.as_secs()
    ));

    // 3. The ceiling, then the lookups.
    let base = format!("http://{addr}");
    let wrk_run = |mode: &'static str, path: &'static str| {
        let cmd = WrkCommand {
            wrk: wrk.clone(),
            script: script.clone(),
            url: format!("{base}{path}"),
            mode,
            token: area.token.secret.clone(),
            hits: hits_file.clone(),
            misses: misses_file.clone(),
            connections: args.connections,
            threads: args.threads,
            duration: args.duration,
        };
        tokio::task::spawn_blocking(move || cmd.run())
    };
    let healthz = wrk_run("healthz", "/healthz").await??;
    let lookups = wrk_run("flags", "/fhir/Flag").await??;

    // 4. The check: wait for lookups still in flight when wrk stopped, then count.
    let counts = settled_counts(&app).await?;
    let chain = app.verify_audit().await.map_err(explain)?;
    let _ = stop.send(());
    let _ = server.await;
    let check = check(&lookups, &healthz, &counts, &chain);
    let report = Report {
        backend: app.backend_name(),
        children,
        build_s,
        group_commit: !args.no_group_commit,
        token_cache: !args.no_token_cache,
        connections: args.connections,
        threads: args.threads,
        ratio: if healthz.rate > 0.0 {
            lookups.rate / healthz.rate
        } else {
            0.0
        },
        healthz,
        lookups,
        check,
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", table(&report))?;
    }
    drop(out);
    if args.keep {
        let kept = dir.keep();
        eprintln!("kept {}", kept.display());
    }
    if !report.check.passed {
        bail!(
            "the benchmark's check failed: {}",
            report.check.failures.join("; ")
        );
    }
    Ok(())
}

fn write_numbers(path: &Path, numbers: &[safeguard_domain::NhsNumber]) -> anyhow::Result<()> {
    let mut text = String::with_capacity(numbers.len() * 11);
    for n in numbers {
        text.push_str(n.as_str());
        text.push('\n');
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// The path of a program on PATH.
fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(program))
        .find(|p| p.is_file())
}

/// Asks for /healthz until it answers 200, for up to ten seconds.
async fn wait_for_health(addr: SocketAddr) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(mut s) = tokio::net::TcpStream::connect(addr).await {
            let req = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
            let mut answer = String::new();
            if s.write_all(req.as_bytes()).await.is_ok()
                && s.read_to_string(&mut answer).await.is_ok()
                && answer.starts_with("HTTP/1.1 200")
            {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            bail!("the server on {addr} did not answer /healthz within 10 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One wrk invocation.
struct WrkCommand {
    wrk: PathBuf,
    script: PathBuf,
    url: String,
    mode: &'static str,
    token: String,
    hits: PathBuf,
    misses: PathBuf,
    connections: u32,
    threads: u32,
    duration: Duration,
}

impl WrkCommand {
    fn run(self) -> anyhow::Result<WrkRun> {
        let output = std::process::Command::new(&self.wrk)
            .arg("-t")
            .arg(self.threads.to_string())
            .arg("-c")
            .arg(self.connections.to_string())
            .arg("-d")
            .arg(format!("{}s", self.duration.as_secs()))
            .arg("--timeout")
            .arg("10s")
            .arg("-s")
            .arg(&self.script)
            .arg(&self.url)
            .env("BENCH_MODE", self.mode)
            .env("BENCH_TOKEN", &self.token)
            .env("BENCH_HITS", &self.hits)
            .env("BENCH_MISSES", &self.misses)
            .output()
            .context("cannot run wrk")?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            bail!(
                "wrk failed ({}): {}{}",
                output.status,
                stdout,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("BENCH_JSON "))
            .with_context(|| format!("wrk printed no BENCH_JSON line: {stdout}"))?;
        serde_json::from_str(line).with_context(|| format!("cannot read wrk's report: {line}"))
    }
}

/// The counts once lookups still in flight when wrk stopped have landed: polled until they
/// stop changing (at most 10 s).
async fn settled_counts(app: &App) -> anyhow::Result<safeguard_app::bench::BenchCounts> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = app.flag_bench_counts().await.map_err(explain)?;
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = app.flag_bench_counts().await.map_err(explain)?;
        if now == last || Instant::now() > deadline {
            return Ok(now);
        }
        last = now;
    }
}

/// Every response 200; every answered lookup audited and every answered hit notified exactly
/// once. wrk stops with up to one request per connection in flight, which the server may still
/// complete (and audit) after wrk has stopped counting; so the database may hold up to
/// `sent - answered` more, never fewer.
fn check(
    lookups: &WrkRun,
    healthz: &WrkRun,
    counts: &safeguard_app::bench::BenchCounts,
    chain: &safeguard_store::VerifyReport,
) -> Check {
    let mut failures = Vec::new();
    for (name, run) in [("/healthz", healthz), ("/fhir/Flag", lookups)] {
        if run.not_200 > 0 || run.non_2xx > 0 {
            failures.push(format!(
                "{name}: {} responses were not 200 (first: {})",
                run.not_200.max(run.non_2xx),
                run.first_bad
            ));
        }
        if run.socket_errors > 0 {
            failures.push(format!("{name}: {} socket errors", run.socket_errors));
        }
    }
    let answered = lookups.answered_hits + lookups.answered_misses;
    let sent = lookups.sent_hits + lookups.sent_misses;
    let audited = counts.lookups_audited;
    if audited < answered || audited > sent {
        failures.push(format!(
            "{audited} lookups audited, but {answered} were answered and {sent} sent"
        ));
    }
    let r = counts.register;
    if r.notifications != r.accesses {
        failures.push(format!(
            "{} access notifications for {} unscheduled hits: each must have exactly one",
            r.notifications, r.accesses
        ));
    }
    if r.accesses < lookups.answered_hits || r.accesses > lookups.sent_hits {
        failures.push(format!(
            "{} accesses recorded, but {} hits were answered and {} sent",
            r.accesses, lookups.answered_hits, lookups.sent_hits
        ));
    }
    if let Some((seq, why)) = &chain.first_bad {
        failures.push(format!("the audit chain breaks at {seq}: {why}"));
    }
    Check {
        lookups_audited: audited,
        accesses: r.accesses,
        notifications: r.notifications,
        chain_verified: chain.checked,
        passed: failures.is_empty(),
        failures,
    }
}

fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

/// The table printed after a run.
fn table(r: &Report) -> String {
    let mut t = String::new();
    t.push_str(&format!(
        "\n{:<12} {:>10} {:>10} {:>8} {:>8} {:>9} {:>8} {:>7}\n",
        "endpoint", "requests", "rate/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "errors"
    ));
    for (name, run) in [("/healthz", &r.healthz), ("/fhir/Flag", &r.lookups)] {
        t.push_str(&format!(
            "{:<12} {:>10} {:>10.0} {:>8} {:>8} {:>9} {:>8} {:>7}\n",
            name,
            run.requests,
            run.rate,
            ms(run.p50_us),
            ms(run.p99_us),
            ms(run.p999_us),
            ms(run.max_us),
            run.socket_errors + run.not_200.max(run.non_2xx)
        ));
    }
    t.push_str(&format!("ratio (lookups / healthz): {:.3}\n\n", r.ratio));
    let l = &r.lookups;
    let c = &r.check;
    t.push_str(&format!(
        "check: wrk sent {} lookups ({} hits, {} misses); answered 200: {} hits, {} misses\n",
        l.sent_hits + l.sent_misses,
        l.sent_hits,
        l.sent_misses,
        l.answered_hits,
        l.answered_misses
    ));
    t.push_str(&format!(
        "       database: {} lookups audited, {} accesses, {} access notifications; audit chain of {} records verified\n",
        c.lookups_audited, c.accesses, c.notifications, c.chain_verified
    ));
    t.push_str(&format!(
        "       {}\n",
        if c.passed {
            "passed: every answered lookup audited, every unscheduled hit notified exactly once"
                .to_owned()
        } else {
            format!("FAILED: {}", c.failures.join("; "))
        }
    ));
    let mark = |ok: bool| if ok { "met" } else { "missed" };
    let p99 = l.p99_us as f64 / 1000.0;
    t.push_str(&format!(
        "targets: rate >= {TARGET_RATE:.0}/s {} ({:.0}); p99 <= {TARGET_P99_MS:.0} ms {} ({p99:.2}); ratio >= {TARGET_RATIO} {} ({:.3})\n",
        mark(l.rate >= TARGET_RATE),
        l.rate,
        mark(p99 <= TARGET_P99_MS),
        mark(r.ratio >= TARGET_RATIO),
        r.ratio
    ));
    t.push_str(&format!(
        "settings: {} backend, {} children seeded in {:.1} s, group commit {}, token cache {}\n",
        r.backend,
        r.children,
        r.build_s,
        if r.group_commit { "on" } else { "off" },
        if r.token_cache { "on (5 s)" } else { "off" }
    ));
    t
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn durations_are_seconds_or_minutes() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("5").unwrap(), Duration::from_secs(5));
        for bad in ["0s", "", "1h", "-3s", "1.5s"] {
            assert!(parse_duration(bad).unwrap_err().contains("30s"), "{bad}");
        }
    }
}
