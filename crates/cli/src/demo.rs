//! `safeguard demo seed`, and the demo sign-ins block that `serve --demo` prints too.

use safeguard_app::demo::{DEMO_PASSWORD, DemoLogin};

use crate::args::SeedArgs;
use crate::database::{DatabaseUrl, open_app};
use crate::errors::explain;
use crate::table;

/// The demo area's name, as the seed creates it.
pub const DEMO_AREA: &str = "Northmoor Safeguarding Children Partnership";

/// Fills an empty database with the demo area (idempotent) and prints the sign-ins.
pub async fn seed(db: Option<&DatabaseUrl>, args: SeedArgs) -> anyhow::Result<()> {
    let app = open_app(db, true).await?;
    let logins = app.seed_demo(args.seed).await.map_err(explain)?;
    print!("{}", sign_ins(&logins));
    Ok(())
}

/// The block an operator needs to try the demo: area, password, and a sign-in per role.
pub fn sign_ins(logins: &[DemoLogin]) -> String {
    let rows: Vec<Vec<String>> = logins
        .iter()
        .map(|l| vec![l.role.label().to_owned(), l.email.clone(), l.agency.clone()])
        .collect();
    format!(
        "Demo area: {DEMO_AREA}\n\
         Every demo account's password: {DEMO_PASSWORD}\n\
         The second factor is switched off for demo accounts only.\n\n{}",
        table::render(&["Role", "Email", "Agency"], &rows)
    )
}
