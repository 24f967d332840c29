//! The `safeguard` binary: runs the web application and the operator's console commands
//! (migrate, verify the audit log, manage accounts, list agencies, import bank holidays, seed the
//! demo area, import and export the flag register, benchmark the flag lookups).
//!
//! This is the only crate that names a storage backend: it reads the database URL, opens SQLite
//! or PostgreSQL, and hands the store to `safeguard-app` as a `dyn Store`. Every command then goes
//! through the app's use-cases, the only door to the data; nothing here runs SQL, decides policy
//! or writes the audit log by hand. Results go to stdout, problems to stderr as `error: ...` with
//! a non-zero exit, and nothing printed or logged names a child or carries a database password.

mod agency;
mod args;
mod audit;
mod bench;
mod calendar;
mod database;
mod demo;
mod errors;
mod flags;
mod linkage;
mod serve;
mod table;
mod timescales;
mod token;
mod user;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::args::{
    AgencyCommand, AuditCommand, CalendarCommand, Cli, Command, DemoCommand, UserCommand,
};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.command);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let db = cli.database.as_ref();
    match cli.command {
        Command::Serve(a) => serve::run(db, a).await,
        Command::Migrate => database::migrate(db).await,
        Command::Audit(AuditCommand::Verify) => audit::verify(db).await,
        Command::Calendar(CalendarCommand::AddWorkingDays(a)) => {
            calendar::add_working_days(db, a).await
        }
        Command::Calendar(CalendarCommand::Import(a)) => calendar::import(db, a).await,
        Command::User(UserCommand::Create(a)) => user::create(db, a).await,
        Command::User(UserCommand::Disable(a)) => user::disable(db, a).await,
        Command::User(UserCommand::ResetMfa(a)) => user::reset_mfa(db, a).await,
        Command::Agency(AgencyCommand::List(a)) => agency::list(db, a).await,
        Command::Demo(DemoCommand::Seed(a)) => demo::seed(db, a).await,
        Command::Linkage(linkage::LinkageCommand::Duplicates(a)) => {
            linkage::duplicates(db, a).await
        }
        Command::Linkage(c) => linkage::run(c),
        Command::Flags(c) => flags::run(db, c).await,
        Command::Timescales(a) => timescales::print(a.json),
        Command::Token(c) => token::run(db, c).await,
        Command::Bench(c) => bench::run(db, c).await,
    }
}

/// Logs go to stderr, so stdout carries only results. The server logs its requests at `info`;
/// console commands stay quiet (`warn`) unless `RUST_LOG` asks for more.
fn init_logging(command: &Command) {
    let default = match command {
        Command::Serve(_) => "info",
        _ => "warn",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// `safeguard agency list | head` closes the pipe early; that is not a failure.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
