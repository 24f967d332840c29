//! `safeguard user create | disable | reset-mfa`: account administration at the console,
//! audited by the use-cases as `cli`.

use std::io::BufRead;

use anyhow::{Context, anyhow, bail};
use safeguard_app::auth::NewAccount;
use safeguard_app::{AppError, random_token};

use crate::args::{CreateUserArgs, EmailArgs};
use crate::database::{DatabaseUrl, open_app};
use crate::errors::explain;

/// Length of a generated initial password: 20 hex characters, 80 random bits.
const GENERATED_PASSWORD_LEN: usize = 20;

/// Creates an account; prints the generated password once, unless one came on stdin.
pub async fn create(db: Option<&DatabaseUrl>, args: CreateUserArgs) -> anyhow::Result<()> {
    let app = open_app(db, false).await?;
    let agency = app.find_agency(&args.agency).await.map_err(|e| match e {
        AppError::NotFound(_) => anyhow!(
            "no agency found with the id or code \"{}\"; `safeguard agency list` shows them",
            args.agency.trim()
        ),
        other => explain(other),
    })?;
    let (password, generated) = if args.password_stdin {
        (read_password(std::io::stdin().lock())?, false)
    } else {
        let token = random_token().map_err(explain)?;
        (token.chars().take(GENERATED_PASSWORD_LEN).collect(), true)
    };
    let roles: Vec<&str> = args.roles.iter().map(|r| r.label()).collect();
    let roles = roles.join(", ");
    let id = app
        .cli_create_user(NewAccount {
            email: args.email.clone(),
            name: args.name.clone(),
            agency: agency.id,
            team: args.team,
            roles: args.roles,
            password: password.clone(),
        })
        .await
        .map_err(explain)?;
    println!(
        "Created the account of {} <{}> at {}, as {roles} (id {id}).",
        args.name.trim(),
        args.email.trim().to_lowercase(),
        agency.name
    );
    if generated {
        println!("Initial password, shown only this once: {password}");
        println!("Give it to them in person or by a secure route.");
    }
    println!("They set up their authenticator app (the second factor) at first sign-in.");
    Ok(())
}

/// The first line of standard input, without its line ending.
fn read_password(mut input: impl BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    input
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        bail!("--password-stdin was given but standard input has no password on its first line");
    }
    Ok(password)
}

/// Disables an account and ends its sessions.
pub async fn disable(db: Option<&DatabaseUrl>, args: EmailArgs) -> anyhow::Result<()> {
    let app = open_app(db, false).await?;
    let id = app.cli_disable_user(&args.email).await.map_err(explain)?;
    println!(
        "Disabled the account of {} (id {id}) and ended its sessions. Its history is kept.",
        args.email.trim().to_lowercase()
    );
    Ok(())
}

/// Removes an account's second factor; the practitioner enrols again at next sign-in.
pub async fn reset_mfa(db: Option<&DatabaseUrl>, args: EmailArgs) -> anyhow::Result<()> {
    let app = open_app(db, false).await?;
    let id = app.cli_reset_mfa(&args.email).await.map_err(explain)?;
    println!(
        "Removed the second factor of {} (id {id}) and ended its sessions. They set up their \
         authenticator app again at next sign-in.",
        args.email.trim().to_lowercase()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_password_is_the_first_line_exactly() {
        assert_eq!(
            read_password("  spaced pass phrase \r\nsecond".as_bytes()).unwrap(),
            "  spaced pass phrase "
        );
        assert!(read_password("".as_bytes()).is_err());
        assert!(read_password("\n".as_bytes()).is_err());
    }
}
