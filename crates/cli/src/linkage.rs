//! `safeguard linkage link | dedupe`: record linkage over CSV files, with the engine in
//! `safeguard-linkage`. This module only reads and writes files: columns are mapped to the
//! engine's fields with `--field KIND=COLUMN`, and every problem with the input is reported
//! naming the file, line or column, before anything is written. Output goes to a temporary file
//! beside the target and is renamed into place only when complete.
//!
//! Nothing printed here shows a person's details: explanations show ids, levels and weights.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use safeguard_linkage::{
    Candidate, Data, Field, Model, Record, Scored, Settings, blocking_report, connected_components,
    explain, train_and_score,
};

/// `safeguard linkage ...`.
#[derive(Debug, Subcommand)]
pub enum LinkageCommand {
    /// Find pairs of records, one from each file, that are probably the same person. Writes
    /// `left_id,right_id,match_probability`.
    Link(LinkArgs),
    /// Find records in one file that are probably the same person, and group them. Writes
    /// `id,cluster_id` for every record (a record alone is its own cluster).
    Dedupe(DedupeArgs),
    /// Make the duplicate report over the children in the database now (the server also makes
    /// it every night), and print how many possible duplicates wait for a decision.
    Duplicates(DuplicatesArgs),
}

/// Options of `safeguard linkage duplicates`.
#[derive(Debug, Args)]
pub struct DuplicatesArgs {
    /// List pairs with at least this match probability, from 0.5 up to (not including) 1.
    #[arg(long, value_name = "P", default_value = "0.9")]
    pub threshold: String,
}

/// `safeguard linkage duplicates`.
pub async fn duplicates(
    db: Option<&crate::database::DatabaseUrl>,
    args: DuplicatesArgs,
) -> anyhow::Result<()> {
    let threshold = match parse_threshold(Some(&args.threshold))? {
        Some(t) if (0.5..1.0).contains(&t) => t,
        _ => bail!(
            "--threshold must be a match probability from 0.5 up to (not including) 1, not {:?}",
            args.threshold
        ),
    };
    let app = crate::database::open_app(db, false).await?;
    let report = app
        .make_duplicate_report("cli", threshold)
        .await
        .map_err(crate::errors::explain)?;
    println!(
        "checked {} child records: {} possible duplicate pairs at p >= {threshold} wait for a decision (Front door > Possible duplicate records)",
        report.children_checked,
        report.pairs.len()
    );
    Ok(())
}

/// Options common to both commands.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Map a column to a field, as KIND=COLUMN; repeat for each. Kinds: id (required),
    /// given_name, surname, dob, sex, postcode, address, locality, identifier. address and
    /// locality may be given several times: the columns are joined with spaces.
    #[arg(long = "field", value_name = "KIND=COLUMN", required = true)]
    pub fields: Vec<String>,

    /// Keep pairs with at least this match probability (0 to 1). Without it, the engine picks
    /// the threshold that maximises the F1 score it expects, from its own probabilities, and
    /// says which it chose.
    #[arg(long, value_name = "P")]
    pub threshold: Option<String>,

    /// Also print a sample of pairs near the threshold, each with the contribution of every
    /// comparison to its score (ids, levels and weights only).
    #[arg(long)]
    pub explain: bool,

    /// Write the trained model (m and u, prior, term frequencies) as JSON to this file.
    #[arg(long, value_name = "PATH")]
    pub save_model: Option<PathBuf>,

    /// A CSV of known true pairs (two columns of ids, with a header) to report, per blocking
    /// rule, the pairs produced and the true pairs captured.
    #[arg(long, value_name = "PATH")]
    pub labels: Option<PathBuf>,
}

/// `safeguard linkage link`.
#[derive(Debug, Args)]
pub struct LinkArgs {
    /// The first CSV file (with a header row).
    #[arg(long, value_name = "A.csv")]
    pub left: PathBuf,
    /// The second CSV file (with a header row, and the same mapped column names).
    #[arg(long, value_name = "B.csv")]
    pub right: PathBuf,
    /// Where to write the pairs.
    #[arg(long, value_name = "pairs.csv")]
    pub out: PathBuf,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `safeguard linkage dedupe`.
#[derive(Debug, Args)]
pub struct DedupeArgs {
    /// The CSV file (with a header row).
    #[arg(long, value_name = "A.csv")]
    pub input: PathBuf,
    /// Where to write the clusters.
    #[arg(long, value_name = "clusters.csv")]
    pub out: PathBuf,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Runs a linkage command.
pub fn run(command: LinkageCommand) -> anyhow::Result<()> {
    match command {
        LinkageCommand::Link(a) => link(a),
        LinkageCommand::Dedupe(a) => dedupe(a),
        LinkageCommand::Duplicates(_) => {
            bail!("`linkage duplicates` needs the database; it is run by the caller")
        }
    }
}

/// Which columns feed which field.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mapping {
    id: String,
    fields: Vec<(Field, Vec<String>)>,
}

fn parse_mapping(specs: &[String]) -> anyhow::Result<Mapping> {
    let mut id = None;
    let mut fields: Vec<(Field, Vec<String>)> = Vec::new();
    let kinds = "id, given_name, surname, dob, sex, postcode, address, locality, identifier";
    for spec in specs {
        let Some((kind, column)) = spec.split_once('=') else {
            bail!("--field {spec:?} is not KIND=COLUMN, like --field surname=last_name");
        };
        let (kind, column) = (kind.trim(), column.trim());
        if column.is_empty() {
            bail!(
                "--field {spec:?} names no column: write KIND=COLUMN, like --field surname=last_name"
            );
        }
        if kind == "id" {
            if id.is_some() {
                bail!("--field id is given twice: a record has one id column");
            }
            id = Some(column.to_owned());
            continue;
        }
        let Some(field) = Field::parse(kind) else {
            bail!("--field {spec:?}: {kind:?} is not a kind of field; use one of {kinds}");
        };
        match fields.iter_mut().find(|(f, _)| *f == field) {
            Some((_, columns)) if matches!(field, Field::Address | Field::Locality) => {
                columns.push(column.to_owned());
            }
            Some(_) => bail!(
                "--field {kind} is given twice: only address and locality may join several columns"
            ),
            None => fields.push((field, vec![column.to_owned()])),
        }
    }
    let Some(id) = id else {
        bail!("--field id=COLUMN is required: the column that identifies each record");
    };
    if fields.is_empty() {
        bail!(
            "map at least one field to compare, like --field surname=last_name --field dob=date_of_birth"
        );
    }
    Ok(Mapping { id, fields })
}

fn parse_threshold(raw: Option<&str>) -> anyhow::Result<Option<f64>> {
    let Some(raw) = raw else { return Ok(None) };
    match raw.trim().parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(Some(p)),
        _ => bail!("--threshold must be a match probability from 0 to 1, like 0.9, not {raw:?}"),
    }
}

/// Reads a CSV file into records. Every problem names the file and line.
fn read_records(path: &Path, mapping: &Mapping) -> anyhow::Result<Vec<Record>> {
    let shown = path.display();
    let file = File::open(path).with_context(|| format!("cannot read {shown}"))?;
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(file);
    let headers = match reader.byte_headers() {
        Ok(h) if !h.iter().all(<[u8]>::is_empty) => h.clone(),
        Ok(_) => bail!("{shown} is empty: it needs a header row naming its columns"),
        Err(e) => bail!("{shown}: {}", describe_csv_error(&e)),
    };
    let names: Vec<String> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            std::str::from_utf8(h)
                .map(|s| s.trim().trim_start_matches('\u{feff}').to_owned())
                .map_err(|_| anyhow!("{shown} line 1: column {} is not UTF-8 text", i + 1))
        })
        .collect::<anyhow::Result<_>>()?;
    let column = |name: &str, kind: &str| {
        names.iter().position(|n| n == name).ok_or_else(|| {
            anyhow!(
                "{shown} has no column {name:?} (for --field {kind}={name}); its columns are: {}",
                names.join(", ")
            )
        })
    };
    let id_col = column(&mapping.id, "id")?;
    let field_cols: Vec<(Field, Vec<usize>)> = mapping
        .fields
        .iter()
        .map(|(f, cols)| {
            let idx = cols
                .iter()
                .map(|c| column(c, f.code()))
                .collect::<anyhow::Result<Vec<_>>>()?;
            Ok((*f, idx))
        })
        .collect::<anyhow::Result<_>>()?;

    let mut records = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for row in reader.byte_records() {
        let row = row.map_err(|e| anyhow!("{shown}: {}", describe_csv_error(&e)))?;
        let line = row.position().map_or(0, |p| p.line());
        let cell = |i: usize| -> anyhow::Result<&str> {
            std::str::from_utf8(row.get(i).unwrap_or_default()).map_err(|_| {
                anyhow!(
                    "{shown} line {line}: column {:?} is not UTF-8 text; save the file as UTF-8",
                    names.get(i).map_or("", String::as_str)
                )
            })
        };
        let id = cell(id_col)?.trim().to_owned();
        if id.is_empty() {
            bail!(
                "{shown} line {line}: the id column {:?} is empty",
                mapping.id
            );
        }
        if !seen.insert(id.clone()) {
            bail!(
                "{shown} line {line}: the id {id:?} is used by an earlier line; ids must be unique"
            );
        }
        let mut record = Record::new(id);
        for (field, cols) in &field_cols {
            let mut parts = Vec::with_capacity(cols.len());
            for c in cols {
                let v = cell(*c)?.trim();
                if !v.is_empty() {
                    parts.push(v);
                }
            }
            if !parts.is_empty() {
                record.set(*field, Some(parts.join(" ")));
            }
        }
        records.push(record);
    }
    if records.is_empty() {
        bail!("{shown} has a header row but no records");
    }
    Ok(records)
}

fn describe_csv_error(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => format!(
            "line {} has {len} columns but the header has {expected_len}",
            pos.as_ref().map_or(0, csv::Position::line)
        ),
        csv::ErrorKind::Io(io) => format!("cannot read it: {io}"),
        _ => e.to_string(),
    }
}

/// Known true pairs, as two ids per line after a header.
fn read_labels(path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let shown = path.display();
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("cannot read {shown}"))?;
    let mut out = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| anyhow!("{shown}: {}", describe_csv_error(&e)))?;
        match (row.get(0), row.get(1)) {
            (Some(a), Some(b)) => out.push((a.trim().to_owned(), b.trim().to_owned())),
            _ => bail!(
                "{shown} line {}: a label needs two ids",
                row.position().map_or(0, csv::Position::line)
            ),
        }
    }
    Ok(out)
}

/// A CSV cell safe to open in a spreadsheet: text that starts like a formula gets a leading
/// apostrophe.
fn safe_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// Writes to a temporary file beside `path`, then renames it into place, so a failure never
/// leaves a partial output.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut csv::Writer<BufWriter<File>>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let shown = path.display();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| anyhow!("--out {shown} is not a file name"))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let file = File::create(&tmp).with_context(|| format!("cannot write {shown}"))?;
        let mut writer = csv::Writer::from_writer(BufWriter::new(file));
        write(&mut writer)?;
        let inner = writer
            .into_inner()
            .map_err(|e| anyhow!("cannot write {shown}: {}", e.error()))?;
        let file = inner
            .into_inner()
            .map_err(|e| anyhow!("cannot write {shown}: {}", e.error()))?;
        file.sync_all()
            .with_context(|| format!("cannot write {shown}"))?;
        std::fs::rename(&tmp, path).with_context(|| format!("cannot write {shown}"))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn save_model(path: &Path, model: &Model) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(model)?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, json)
        .and_then(|()| std::fs::rename(&tmp, path))
        .with_context(|| format!("cannot write the model to {}", path.display()))
}

/// Trains and scores, reporting the numbers (not the people) on stderr.
fn train_score_report(
    data: Data<'_>,
    common: &CommonArgs,
    threshold: Option<f64>,
) -> anyhow::Result<(Model, Scored, f64)> {
    let started = Instant::now();
    // Keep every pair that any threshold we might choose would keep.
    let floor = threshold.unwrap_or(0.0).min(0.01);
    let (model, scored) = train_and_score(data, &Settings::default(), floor)?;
    if let Some(path) = &common.save_model {
        save_model(path, &model)?;
    }
    let chosen = threshold.unwrap_or(scored.suggested_threshold);
    eprintln!(
        "scored {} blocked pairs in {} ms; prior 1 in {:.0}; threshold {chosen:.4} ({}); \
         suggested threshold without labels: {:.4}",
        scored.blocked_pairs,
        started.elapsed().as_millis(),
        1.0 / model.prior,
        if threshold.is_some() {
            "given"
        } else {
            "chosen without labels"
        },
        scored.suggested_threshold,
    );
    Ok((model, scored, chosen))
}

fn print_report(
    model: &Model,
    data: Data<'_>,
    labels: &[(String, String)],
    left: &[Record],
    right: &[Record],
) -> anyhow::Result<()> {
    fn position(records: &[Record]) -> HashMap<&str, usize> {
        records
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect()
    }
    let (lp, rp) = (position(left), position(right));
    let mut pairs = Vec::with_capacity(labels.len());
    for (a, b) in labels {
        match (lp.get(a.as_str()), rp.get(b.as_str())) {
            (Some(i), Some(j)) => pairs.push((*i, *j)),
            _ => bail!("--labels names a pair ({a}, {b}) whose ids are not in the input"),
        }
    }
    let report = blocking_report(model, data, &pairs);
    println!("blocking rule                                      pairs   new pairs   true pairs");
    for r in &report.rules {
        println!(
            "{:<48} {:>8} {:>11} {:>12}",
            r.rule.label(),
            r.pairs,
            r.new_pairs,
            r.true_pairs_captured
        );
    }
    println!(
        "union: {} pairs; {} of {} true pairs captured, {} lost by blocking",
        report.total_pairs,
        report.true_pairs_captured,
        report.true_pairs,
        report.true_pairs - report.true_pairs_captured
    );
    Ok(())
}

fn print_explanation(left_id: &str, candidate: &Candidate) {
    println!(
        "{left_id} ~ {}: match probability {:.6}, weight {:+.2} bits",
        candidate.id, candidate.probability, candidate.weight
    );
    println!(
        "  {:<16} {:<36} {:>+8.2}",
        "prior", "", candidate.prior_weight
    );
    for c in &candidate.explanation {
        let tf = if c.term_frequency_adjustment == 0.0 {
            String::new()
        } else {
            format!("  (term frequency {:+.2})", c.term_frequency_adjustment)
        };
        println!(
            "  {:<16} {:<36} {:>+8.2}{tf}",
            c.comparison.label(),
            c.level.label(),
            c.weight
        );
    }
    println!();
}

/// Up to four pairs either side of the threshold, and the two strongest: the ones a reviewer
/// most needs to see.
fn sample(scored: &Scored, threshold: f64) -> Vec<(usize, usize)> {
    let mut pairs: Vec<_> = scored.pairs.iter().collect();
    pairs.sort_by(|a, b| b.probability.total_cmp(&a.probability));
    let split = pairs.partition_point(|p| p.probability >= threshold);
    let mut chosen: Vec<(usize, usize)> = Vec::new();
    let mut take = |p: &safeguard_linkage::ScoredPair| {
        if !chosen.contains(&(p.left, p.right)) {
            chosen.push((p.left, p.right));
        }
    };
    pairs.iter().take(2.min(split)).for_each(|p| take(p));
    pairs[..split].iter().rev().take(4).for_each(|p| take(p));
    pairs[split..].iter().take(4).for_each(|p| take(p));
    chosen
}

fn link(args: LinkArgs) -> anyhow::Result<()> {
    let mapping = parse_mapping(&args.common.fields)?;
    let threshold = parse_threshold(args.common.threshold.as_deref())?;
    let left = read_records(&args.left, &mapping)?;
    let right = read_records(&args.right, &mapping)?;
    let labels = args.common.labels.as_deref().map(read_labels).transpose()?;
    let data = Data::Link {
        left: &left,
        right: &right,
    };
    let (model, scored, chosen) = train_score_report(data, &args.common, threshold)?;
    let mut written = 0usize;
    write_atomically(&args.out, |w| {
        w.write_record(["left_id", "right_id", "match_probability"])?;
        for p in scored.pairs.iter().filter(|p| p.probability >= chosen) {
            w.write_record([
                safe_cell(&left[p.left].id),
                safe_cell(&right[p.right].id),
                format!("{:.6}", p.probability),
            ])?;
            written += 1;
        }
        Ok(())
    })?;
    eprintln!("wrote {written} pairs to {}", args.out.display());
    if args.common.explain {
        for (i, j) in sample(&scored, chosen) {
            print_explanation(&left[i].id, &explain(&model, &left[i], &right[j]));
        }
    }
    if let Some(labels) = labels {
        print_report(&model, data, &labels, &left, &right)?;
    }
    std::io::stdout().flush()?;
    Ok(())
}

fn dedupe(args: DedupeArgs) -> anyhow::Result<()> {
    let mapping = parse_mapping(&args.common.fields)?;
    let threshold = parse_threshold(args.common.threshold.as_deref())?;
    let records = read_records(&args.input, &mapping)?;
    let labels = args.common.labels.as_deref().map(read_labels).transpose()?;
    let data = Data::Dedupe(&records);
    let (model, scored, chosen) = train_score_report(data, &args.common, threshold)?;
    let edges: Vec<(usize, usize)> = scored
        .pairs
        .iter()
        .filter(|p| p.probability >= chosen)
        .map(|p| (p.left, p.right))
        .collect();
    let clusters = connected_components(records.len(), &edges);
    write_atomically(&args.out, |w| {
        w.write_record(["id", "cluster_id"])?;
        for (record, root) in records.iter().zip(&clusters) {
            w.write_record([safe_cell(&record.id), safe_cell(&records[*root].id)])?;
        }
        Ok(())
    })?;
    let distinct: HashSet<usize> = clusters.iter().copied().collect();
    eprintln!(
        "wrote {} records in {} clusters to {}",
        records.len(),
        distinct.len(),
        args.out.display()
    );
    if args.common.explain {
        for (i, j) in sample(&scored, chosen) {
            print_explanation(&records[i].id, &explain(&model, &records[i], &records[j]));
        }
    }
    if let Some(labels) = labels {
        print_report(&model, data, &labels, &records, &records)?;
    }
    std::io::stdout().flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn field_mappings_parse() {
        let m = parse_mapping(&specs(&[
            "id=rec_id",
            "surname=last",
            "address=number",
            "address=street",
        ]))
        .unwrap();
        assert_eq!(m.id, "rec_id");
        assert_eq!(
            m.fields,
            vec![
                (Field::Surname, vec!["last".to_owned()]),
                (
                    Field::Address,
                    vec!["number".to_owned(), "street".to_owned()]
                ),
            ]
        );
    }

    #[test]
    fn bad_field_mappings_are_named() {
        let err = |s: &[&str]| parse_mapping(&specs(s)).unwrap_err().to_string();
        assert!(err(&["id=a", "nickname=b"]).contains("\"nickname\" is not a kind of field"));
        assert!(err(&["id=a", "surname"]).contains("is not KIND=COLUMN"));
        assert!(err(&["surname=b"]).contains("--field id=COLUMN is required"));
        assert!(err(&["id=a", "dob=b", "dob=c"]).contains("--field dob is given twice"));
        assert!(err(&["id=a"]).contains("map at least one field"));
    }

    #[test]
    fn absurd_thresholds_are_refused() {
        assert_eq!(parse_threshold(Some("0.9")).unwrap(), Some(0.9));
        assert_eq!(parse_threshold(None).unwrap(), None);
        for bad in ["1.5", "-0.1", "NaN", "high", ""] {
            assert!(parse_threshold(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn formula_like_cells_are_quoted() {
        assert_eq!(safe_cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(safe_cell("rec-1"), "rec-1");
    }
}
