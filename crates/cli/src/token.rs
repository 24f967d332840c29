//! `safeguard token create | list | revoke`: API tokens for agency systems, issued and revoked
//! at the console and audited by the use-cases as `cli`.

use std::io::Write;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Subcommand};
use safeguard_domain::ApiScope;
use serde::Serialize;

use crate::database::{DatabaseUrl, open_app};
use crate::errors::explain;
use crate::table;

/// API tokens for agency systems.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issues a token for an agency's system and prints its secret, once.
    Create(CreateTokenArgs),
    /// Lists the tokens (never their secrets).
    List(ListTokensArgs),
    /// Revokes a token: calls with it are refused from then on.
    Revoke(RevokeTokenArgs),
}

/// `safeguard token create`.
#[derive(Debug, Args)]
pub struct CreateTokenArgs {
    /// The agency whose system will hold it: its id, ODS code, URN or DfE LA code.
    #[arg(long, value_name = "ID_OR_CODE")]
    pub agency: String,
    /// What the token may do; repeat for more than one.
    #[arg(long = "scope", value_name = "SCOPE", required = true, value_parser = scope_parser())]
    pub scopes: Vec<ApiScope>,
    /// Which system holds it, for people reading the list and the audit log.
    #[arg(long, value_name = "NAME", default_value = "Agency system")]
    pub name: String,
}

/// `safeguard token list`.
#[derive(Debug, Args)]
pub struct ListTokensArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `safeguard token revoke`.
#[derive(Debug, Args)]
pub struct RevokeTokenArgs {
    /// The token's id, from `safeguard token list`.
    #[arg(value_name = "ID")]
    pub id: String,
}

fn scope_parser() -> impl TypedValueParser<Value = ApiScope> {
    PossibleValuesParser::new(
        ApiScope::ALL
            .iter()
            .map(|s| PossibleValue::new(s.code()).help(s.label())),
    )
    .try_map(|code| ApiScope::parse(&code))
}

/// Runs a token command.
pub async fn run(db: Option<&DatabaseUrl>, command: TokenCommand) -> anyhow::Result<()> {
    let app = open_app(db, false).await?;
    let mut out = std::io::stdout().lock();
    match command {
        TokenCommand::Create(a) => {
            let issued = app
                .cli_create_token(&a.agency, &a.scopes, &a.name)
                .await
                .map_err(explain)?;
            let scopes: Vec<_> = issued.token.scopes.iter().map(|s| s.code()).collect();
            writeln!(
                out,
                "Issued token {} ({}) with scopes {}.",
                issued.token.id,
                issued.token.name,
                scopes.join(", ")
            )?;
            writeln!(out, "Secret, shown only this once: {}", issued.secret)?;
            writeln!(
                out,
                "The system sends it as `Authorization: Bearer <secret>`. Only its hash is kept."
            )?;
        }
        TokenCommand::List(a) => {
            let tokens = app.cli_list_tokens().await.map_err(explain)?;
            if a.json {
                let rows: Vec<_> = tokens
                    .iter()
                    .map(|t| TokenJson {
                        id: t.token.id.to_string(),
                        name: &t.token.name,
                        agency: t.token.agency.to_string(),
                        agency_name: &t.agency_name,
                        scopes: t.token.scopes.iter().map(|s| s.code()).collect(),
                        created_at: t.token.created_at.to_string(),
                        revoked_at: t.token.revoked_at.map(|r| r.to_string()),
                    })
                    .collect();
                writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
            } else if tokens.is_empty() {
                writeln!(
                    out,
                    "No tokens yet. `safeguard token create --help` says how."
                )?;
            } else {
                let rows: Vec<Vec<String>> = tokens
                    .iter()
                    .map(|t| {
                        vec![
                            t.token.id.to_string(),
                            t.token.name.clone(),
                            t.agency_name.clone(),
                            t.token
                                .scopes
                                .iter()
                                .map(|s| s.code())
                                .collect::<Vec<_>>()
                                .join(","),
                            match t.token.revoked_at {
                                Some(at) => format!("revoked {at}"),
                                None => "active".to_owned(),
                            },
                        ]
                    })
                    .collect();
                out.write_all(
                    table::render(&["ID", "NAME", "AGENCY", "SCOPES", "STATE"], &rows).as_bytes(),
                )?;
            }
        }
        TokenCommand::Revoke(a) => {
            let id = app.cli_revoke_token(&a.id).await.map_err(explain)?;
            writeln!(
                out,
                "Revoked token {id}. Calls with it are refused from now on."
            )?;
        }
    }
    Ok(())
}

/// One token in `--json` output.
#[derive(Debug, Serialize)]
struct TokenJson<'a> {
    id: String,
    name: &'a str,
    agency: String,
    agency_name: &'a str,
    scopes: Vec<&'static str>,
    created_at: String,
    revoked_at: Option<String>,
}
