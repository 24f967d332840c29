//! `safeguard flags import|export|coverage`: the flag register for a local authority whose case
//! management is elsewhere (`docs/flags.md` documents the CSV format).

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use safeguard_app::App;
use safeguard_app::config::LocalRules;
use safeguard_domain::Agency;
use safeguard_domain::flags::export_csv;

use crate::database::{DatabaseUrl, open_app_with};
use crate::errors::explain;

/// `safeguard flags ...`.
#[derive(Debug, Subcommand)]
pub enum FlagsCommand {
    /// Load flags from a CSV file: header nhs_number,type,start,end,la_code; dates YYYY-MM-DD;
    /// end empty while the plan or status continues; type CPP, LAC or UNBORN_CPP. Valid rows load
    /// and invalid ones are listed with their line number and reason (exit status 1). The same
    /// file twice changes nothing; a database error loads nothing.
    Import(ImportArgs),
    /// Print the flags health sees today (current, or ended within the visibility window).
    Export(ExportArgs),
    /// The share of children on a child protection plan or looked after whose record has an NHS
    /// number (CP-IS needs 95% before go-live).
    Coverage(CoverageArgs),
}

/// `safeguard flags import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file.
    pub file: PathBuf,
    /// The local authority loading it: its id or DfE LA code. Needed when the database holds
    /// more than one local authority.
    #[arg(long, value_name = "ID|CODE")]
    pub la: Option<String>,
}

/// Output formats of `flags export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// nhs_number,type,start,end,la_code,la_name
    Csv,
    /// A JSON array of flags.
    Json,
}

/// `safeguard flags export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Only this local authority's flags: its id or DfE LA code.
    #[arg(long, value_name = "ID|CODE")]
    pub la: Option<String>,
    /// Months an ended flag stays visible (T14; default 12).
    #[arg(long, value_name = "MONTHS", env = "SAFEGUARD_FLAG_VISIBLE_MONTHS")]
    pub flag_visible_months: Option<u32>,
}

/// `safeguard flags coverage`.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Only this local authority: its id or DfE LA code.
    #[arg(long, value_name = "ID|CODE")]
    pub la: Option<String>,
    /// Print JSON instead of sentences.
    #[arg(long)]
    pub json: bool,
}

/// Runs a `flags` command.
pub async fn run(db: Option<&DatabaseUrl>, command: FlagsCommand) -> anyhow::Result<()> {
    match command {
        FlagsCommand::Import(a) => import(db, a).await,
        FlagsCommand::Export(a) => export(db, a).await,
        FlagsCommand::Coverage(a) => coverage(db, a).await,
    }
}

/// The LA named, or the only one there is.
async fn local_authority(app: &App, named: Option<&str>) -> anyhow::Result<Agency> {
    if let Some(code) = named {
        let a = app.find_agency(code).await.map_err(explain)?;
        if a.kind != safeguard_domain::AgencyKind::LocalAuthority {
            bail!("--la: {} is not a local authority", a.name);
        }
        return Ok(a);
    }
    let las = app.local_authorities().await.map_err(explain)?;
    match las.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!("there is no local authority in this database"),
        _ => bail!(
            "--la: this database holds {} local authorities; name one by its DfE code ({})",
            las.len(),
            las.iter()
                .filter_map(|a| a.la_code.clone())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

async fn import(db: Option<&DatabaseUrl>, args: ImportArgs) -> anyhow::Result<()> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let app = open_app_with(db, false, LocalRules::default(), None).await?;
    let la = local_authority(&app, args.la.as_deref()).await?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let report = app
        .import_flags("cli", la.id, &bytes, &progress)
        .await
        .map_err(explain)?;
    bar.finish_and_clear();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}: {} rows read; {} new, {} changed, {} already loaded, {} not loaded",
        la.name,
        report.rows,
        report.inserted,
        report.updated,
        report.unchanged,
        report.rejected_rows()
    )?;
    for e in &report.errors {
        let column = if e.column.is_empty() {
            String::new()
        } else {
            format!(" ({})", e.column)
        };
        writeln!(out, "line {}{column}: {}", e.line, e.reason)?;
    }
    if !report.errors.is_empty() {
        bail!(
            "{} rows were not loaded; fix them and load the file again (rows already loaded stay as they are)",
            report.rejected_rows()
        );
    }
    Ok(())
}

async fn export(db: Option<&DatabaseUrl>, args: ExportArgs) -> anyhow::Result<()> {
    let app = open_app_with(db, false, LocalRules::default(), args.flag_visible_months).await?;
    let la = match &args.la {
        Some(code) => Some(local_authority(&app, Some(code)).await?.id),
        None => None,
    };
    let flags = app.export_flags("cli", la).await.map_err(explain)?;
    let bytes = match args.format {
        Format::Csv => export_csv(&flags)?,
        Format::Json => {
            let all: Vec<_> = flags.iter().map(|(f, _)| f).collect();
            let mut text = serde_json::to_vec_pretty(&all)?;
            text.push(b'\n');
            text
        }
    };
    std::io::stdout().lock().write_all(&bytes)?;
    Ok(())
}

async fn coverage(db: Option<&DatabaseUrl>, args: CoverageArgs) -> anyhow::Result<()> {
    let app = open_app_with(db, false, LocalRules::default(), None).await?;
    let la = match &args.la {
        Some(code) => Some(local_authority(&app, Some(code)).await?.id),
        None => None,
    };
    let c = app.flag_coverage("cli", la).await.map_err(explain)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let v = serde_json::json!({
            "on_plan": c.on_plan,
            "on_plan_with_nhs_number": c.on_plan_matched,
            "looked_after": c.looked_after,
            "looked_after_with_nhs_number": c.looked_after_matched,
            "percent": c.percent(),
            "ready_for_go_live": c.ready_for_go_live(),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "On a child protection plan: {} of {} have an NHS number",
        c.on_plan_matched, c.on_plan
    )?;
    writeln!(
        out,
        "Looked after (s31, s38, s20): {} of {} have an NHS number",
        c.looked_after_matched, c.looked_after
    )?;
    match c.percent() {
        Some(p) => writeln!(
            out,
            "Coverage: {p}% ({}; CP-IS needs 95% before go-live)",
            if c.ready_for_go_live() {
                "ready"
            } else {
                "below 95%"
            }
        )?,
        None => writeln!(out, "Coverage: no child is on a plan or looked after")?,
    }
    Ok(())
}
