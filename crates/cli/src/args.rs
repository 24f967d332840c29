//! The command line, as clap types. Parsing only: each command's work lives in its own module.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use safeguard_app::demo::DEFAULT_SEED;
use safeguard_domain::{Role, TeamId};

use crate::database::DatabaseUrl;

/// Child safeguarding for a partnership in England: the web application and its console.
#[derive(Debug, Parser)]
#[command(name = "safeguard", version, propagate_version = true)]
#[command(after_help = "Start with `safeguard serve --demo` to try it with synthetic data.")]
pub struct Cli {
    /// The database: sqlite://PATH (the default is sqlite://./safeguard.db, created if missing)
    /// or postgres://USER@HOST/DATABASE (postgresql:// also works).
    #[arg(
        long = "database",
        value_name = "URL",
        env = "SAFEGUARD_DATABASE_URL",
        hide_env_values = true,
        global = true
    )]
    pub database: Option<DatabaseUrl>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web application.
    Serve(ServeArgs),
    /// Create the database if needed and apply any pending migrations.
    Migrate,
    /// Check the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Count working days, and import the bank holidays they skip.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Manage practitioners' accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// List the agencies in the partnership.
    #[command(subcommand)]
    Agency(AgencyCommand),
    /// The demo area of synthetic data.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Print the table of statutory timescales (T1 to T14) with their sources.
    Timescales(TimescalesArgs),
    /// Find records of the same person: link two CSV files, or deduplicate one.
    #[command(subcommand)]
    Linkage(crate::linkage::LinkageCommand),
    /// API tokens for agency systems: create, list, revoke.
    #[command(subcommand)]
    Token(crate::token::TokenCommand),
    /// The flag register shared with health (CP-IS): import, export, coverage.
    #[command(subcommand)]
    Flags(crate::flags::FlagsCommand),
    /// Benchmarks: the flag register's FHIR lookups under load (needs wrk).
    #[command(subcommand)]
    Bench(crate::bench::BenchCommand),
}

/// `safeguard timescales`.
#[derive(Debug, Args)]
pub struct TimescalesArgs {
    /// Print JSON (id, name, start_event, amount, unit, source) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `safeguard serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Fill an empty database with the demo area (Northmoor, synthetic children and a sign-in
    /// for every role), and print the demo sign-ins. Does nothing to a database that already
    /// has an area.
    #[arg(long)]
    pub demo: bool,

    /// The address and port to listen on.
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// Send cookies without the Secure flag, so a browser keeps them over plain http. Only for
    /// trying it out on this computer: never where real data is.
    #[arg(long)]
    pub insecure_dev_cookies: bool,

    /// The seed for the demo data: the same seed always makes the same children.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_SEED, requires = "demo")]
    pub demo_seed: u64,

    /// How many months a flag stays visible to health after the plan or looked-after status
    /// ends (T14; default 12, the London procedures' window).
    #[arg(long, value_name = "MONTHS", env = "SAFEGUARD_FLAG_VISIBLE_MONTHS")]
    pub flag_visible_months: Option<u32>,
    /// Local rules (front-door red, amber and green targets by urgency, in hours) from a
    /// safeguard.toml; without one the documented defaults apply (docs/operating.md).
    #[arg(long, value_name = "FILE", env = "SAFEGUARD_CONFIG")]
    pub config: Option<std::path::PathBuf>,

    /// Requests per second each API token may make to the FHIR endpoints, sustained; 0 for no
    /// limit (docs/operating.md).
    #[arg(
        long,
        value_name = "N",
        env = "SAFEGUARD_FHIR_RATE_PER_TOKEN",
        default_value_t = safeguard_web::RateLimit::DEFAULT.per_second
    )]
    pub fhir_rate_per_token: u32,

    /// Requests a token may make to the FHIR endpoints at once before the rate applies.
    #[arg(
        long,
        value_name = "N",
        env = "SAFEGUARD_FHIR_BURST",
        default_value_t = safeguard_web::RateLimit::DEFAULT.burst
    )]
    pub fhir_burst: u32,
}

/// `safeguard audit ...`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the audit log's hash chain from the first event to the last. Exits 0 when it
    /// is intact; otherwise exits 1 naming the first event that does not fit.
    Verify,
}

/// `safeguard calendar ...`.
#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Print the date N working days after DATE (Monday to Friday, skipping bank holidays).
    ///
    /// The day DATE is day 0: 2025-12-24 plus 1 working day is 2025-12-29, after Christmas and
    /// Boxing Day. With no arguments, reads `DATE N` lines from standard input and prints one
    /// date per line.
    ///
    /// Counts with the England and Wales bank holidays built in (2012 to 2030), or, when
    /// --database (or SAFEGUARD_DATABASE_URL) is given, with the calendar in force in that
    /// database: its imported holidays, if any were imported.
    #[command(allow_negative_numbers = true)]
    AddWorkingDays(AddWorkingDaysArgs),
    /// Replace the bank holidays with those in FILE: the GOV.UK file
    /// (https://www.gov.uk/bank-holidays.json, its England and Wales part) or a CSV with a
    /// `date` column of YYYY-MM-DD dates. A file with any bad line changes nothing.
    Import(ImportArgs),
}

/// `safeguard calendar add-working-days`.
#[derive(Debug, Args)]
pub struct AddWorkingDaysArgs {
    /// The start date, as YYYY-MM-DD.
    #[arg(value_name = "DATE", requires = "n")]
    pub date: Option<String>,
    /// How many working days to add: a whole number, 0 or more.
    #[arg(value_name = "N")]
    pub n: Option<String>,
}

/// `safeguard calendar import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The bank holiday file, GOV.UK JSON or CSV.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// `safeguard user ...`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a practitioner's account. Prints a one-time password unless --password-stdin is
    /// given; the practitioner sets up their authenticator app at first sign-in.
    Create(CreateUserArgs),
    /// Disable an account and end its sessions. The account and its history are kept.
    Disable(EmailArgs),
    /// Remove an account's second factor (say, after a lost phone) and end its sessions: the
    /// practitioner sets up their authenticator again at next sign-in.
    ResetMfa(EmailArgs),
}

/// `safeguard user create`.
#[derive(Debug, Args)]
pub struct CreateUserArgs {
    /// Sign-in email address.
    #[arg(long, value_name = "EMAIL")]
    pub email: String,
    /// Full name, as colleagues will see it.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// The practitioner's agency: its id, or its ODS code, URN or DfE LA code (see
    /// `safeguard agency list`).
    #[arg(long, value_name = "ID_OR_CODE")]
    pub agency: String,
    /// A role, by code; repeat for several.
    #[arg(long = "role", value_name = "ROLE", required = true, value_parser = role_parser())]
    pub roles: Vec<Role>,
    /// The team's id, when the practitioner belongs to one in their agency.
    #[arg(long, value_name = "TEAM_ID")]
    pub team: Option<TeamId>,
    /// Read the initial password (12 characters or more) from the first line of standard
    /// input instead of generating one.
    #[arg(long)]
    pub password_stdin: bool,
}

/// Roles by their stable codes, listed in `--help` and in the error for an unknown one.
fn role_parser() -> impl TypedValueParser<Value = Role> {
    PossibleValuesParser::new(
        Role::ALL
            .iter()
            .map(|r| PossibleValue::new(r.code()).help(r.label())),
    )
    .try_map(|code| Role::parse(&code))
}

/// An account, by email address.
#[derive(Debug, Args)]
pub struct EmailArgs {
    /// The account's sign-in email address.
    #[arg(long, value_name = "EMAIL")]
    pub email: String,
}

/// `safeguard agency ...`.
#[derive(Debug, Subcommand)]
pub enum AgencyCommand {
    /// List every agency with its id, kind and codes.
    List(AgencyListArgs),
}

/// `safeguard agency list`.
#[derive(Debug, Args)]
pub struct AgencyListArgs {
    /// Print a JSON array of {id, kind, name, ods_code, urn, la_code} instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `safeguard demo ...`.
#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Fill an empty database with the demo area and print its sign-ins. Does nothing to a
    /// database that already has an area, apart from printing the sign-ins again.
    Seed(SeedArgs),
}

/// `safeguard demo seed`.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// The seed for the demo data: the same seed always makes the same children.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_SEED)]
    pub seed: u64,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
