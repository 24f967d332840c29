//! Choosing and opening the backend from the database URL: the one place that names SQLite and
//! PostgreSQL.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use anyhow::{Context, bail};
use safeguard_app::config::LocalRules;
use safeguard_app::{App, AppConfig};
use safeguard_domain::SystemClock;
use safeguard_store::Store;
use safeguard_store_postgres::PostgresStore;
use safeguard_store_sqlite::SqliteStore;

use crate::errors::explain;

/// The database used when no `--database` or `SAFEGUARD_DATABASE_URL` is given.
pub const DEFAULT_URL: &str = "sqlite://./safeguard.db";

/// A database URL as typed. It may hold a password, so `Debug` never shows it and messages name
/// only its scheme, host and database.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The URL to use: the one given, or the default SQLite file.
    pub fn or_default(given: Option<&DatabaseUrl>) -> DatabaseUrl {
        given
            .cloned()
            .unwrap_or_else(|| DatabaseUrl(DEFAULT_URL.to_owned()))
    }
}

impl FromStr for DatabaseUrl {
    type Err = Infallible;
    fn from_str(s: &str) -> Result<Self, Infallible> {
        Ok(DatabaseUrl(s.trim().to_owned()))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.safe_display())
    }
}

/// Which backend a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite://PATH` (or `sqlite:PATH`).
    Sqlite,
    /// `postgres://...` or `postgresql://...`.
    Postgres,
}

impl Backend {
    /// Reads the scheme; anything unknown is refused with the forms that work.
    pub fn of(url: &DatabaseUrl) -> anyhow::Result<Backend> {
        let lower = url.0.to_ascii_lowercase();
        if lower.starts_with("sqlite:") {
            return Ok(Backend::Sqlite);
        }
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(Backend::Postgres);
        }
        // Only the scheme is quoted back: the rest may hold a password.
        let found = match scheme(&url.0) {
            Some(s) => format!("this one starts with \"{s}:\""),
            None if url.0.is_empty() => "this one is empty".to_owned(),
            None => "this one has no scheme (for a file, write sqlite://PATH)".to_owned(),
        };
        bail!(
            "the database URL must be sqlite://PATH (like {DEFAULT_URL}) or \
             postgres://USER@HOST/DATABASE (postgresql:// also works); {found}"
        )
    }
}

/// The URL's scheme, if it starts with one (letters, digits, `+`, `-`, `.` then `:`).
fn scheme(url: &str) -> Option<&str> {
    let (s, _) = url.split_once(':')?;
    let ok = s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    ok.then_some(s)
}

impl DatabaseUrl {
    /// The URL without any user name, password or query string, for messages.
    pub fn safe_display(&self) -> String {
        let url = self.0.as_str();
        let Some((scheme, rest)) = url.split_once("://") else {
            return match scheme(url) {
                Some(s) => format!("{s}:..."),
                None => "(not a URL)".to_owned(),
            };
        };
        if scheme.eq_ignore_ascii_case("sqlite") {
            return url.to_owned();
        }
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        format!("{scheme}://{host}{path}")
    }
}

/// Opens (creating and migrating as needed) the store the URL names.
pub async fn open_store(url: &DatabaseUrl) -> anyhow::Result<Arc<dyn Store>> {
    let store: Arc<dyn Store> = match Backend::of(url)? {
        Backend::Sqlite => Arc::new(SqliteStore::open(&url.0).await?),
        Backend::Postgres => Arc::new(PostgresStore::open(&url.0).await?),
    };
    Ok(store)
}

/// Reads a `safeguard.toml`; the error names the file and the bad key or value.
pub fn read_config(path: &std::path::Path) -> anyhow::Result<LocalRules> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    LocalRules::from_toml(&text).map_err(|e| {
        anyhow::anyhow!(
            "the configuration file {} is not valid: {e}",
            path.display()
        )
    })
}

/// Opens the store and builds the application over it with the system clock.
pub async fn open_app(given: Option<&DatabaseUrl>, demo: bool) -> anyhow::Result<App> {
    open_app_with(given, demo, LocalRules::default(), None).await
}

/// Opens the store and builds the application with these local rules and, when given, the flag
/// visibility window (T14).
pub async fn open_app_with(
    given: Option<&DatabaseUrl>,
    demo: bool,
    rules: LocalRules,
    flag_visible_months: Option<u32>,
) -> anyhow::Result<App> {
    let url = DatabaseUrl::or_default(given);
    let store = open_store(&url).await?;
    let defaults = AppConfig::default();
    let config = AppConfig {
        demo,
        flag_visible_months: flag_visible_months.unwrap_or(defaults.flag_visible_months),
        rag: rules.rag,
        ..defaults
    };
    App::new(store, Arc::new(SystemClock), config)
        .await
        .map_err(explain)
}

/// `safeguard migrate`.
pub async fn migrate(given: Option<&DatabaseUrl>) -> anyhow::Result<()> {
    let url = DatabaseUrl::or_default(given);
    let store = open_store(&url).await?;
    println!(
        "{} database {} is migrated and ready",
        store.backend_name(),
        url.safe_display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn url(s: &str) -> DatabaseUrl {
        s.parse().unwrap()
    }

    #[test]
    fn the_scheme_selects_the_backend() {
        for (text, backend) in [
            ("sqlite://./safeguard.db", Backend::Sqlite),
            ("sqlite:safeguard.db", Backend::Sqlite),
            ("postgres://u@h/db", Backend::Postgres),
            ("postgresql://u:p@h:5432/db", Backend::Postgres),
            ("POSTGRES://u@h/db", Backend::Postgres),
        ] {
            assert_eq!(Backend::of(&url(text)).unwrap(), backend, "{text}");
        }
    }

    #[test]
    fn other_schemes_are_refused_without_echoing_the_url() {
        let e = Backend::of(&url("mysql://root:hunter2@db/x"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("sqlite://PATH"), "{e}");
        assert!(e.contains("postgres://"), "{e}");
        assert!(e.contains("\"mysql:\""), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        let e = Backend::of(&url("./safeguard.db")).unwrap_err().to_string();
        assert!(e.contains("no scheme"), "{e}");
    }

    #[test]
    fn passwords_never_reach_a_message() {
        assert_eq!(
            url("postgres://sam:hunter2@db.example:5432/sg?sslmode=require").safe_display(),
            "postgres://db.example:5432/sg"
        );
        assert_eq!(
            url("sqlite://./safeguard.db").safe_display(),
            "sqlite://./safeguard.db"
        );
        assert!(!format!("{:?}", url("postgres://u:hunter2@h/db")).contains("hunter2"));
    }
}
