//! `safeguard serve`: open the store, optionally seed the demo area, say where to go, serve.

use std::net::SocketAddr;

use anyhow::Context;

use crate::args::ServeArgs;
use crate::database::{DatabaseUrl, open_app_with, read_config};
use crate::demo;
use crate::errors::explain;

/// Runs the web application until Ctrl-C.
pub async fn run(db: Option<&DatabaseUrl>, args: ServeArgs) -> anyhow::Result<()> {
    let rules = match &args.config {
        Some(path) => read_config(path)?,
        None => safeguard_app::config::LocalRules::default(),
    };
    let app = open_app_with(db, args.demo, rules, args.flag_visible_months).await?;
    let url = browser_url(args.addr);
    println!("safeguard ({} database) at {url}", app.backend_name());
    let demo_logins = if args.demo {
        let logins = app.seed_demo(args.demo_seed).await.map_err(explain)?;
        println!();
        print!("{}", demo::sign_ins(&logins));
        logins
    } else {
        if app.needs_first_admin().await.map_err(explain)? {
            println!(
                "There is no administrator yet: the first visit to {url} guides you through \
                 creating one."
            );
        }
        Vec::new()
    };
    if args.insecure_dev_cookies {
        println!(
            "\nCookies are sent without the Secure flag (--insecure-dev-cookies). Use this only \
             on your own computer, never with real data."
        );
    }
    println!("\nPress Ctrl-C to stop.");
    tracing::info!(
        backend = app.backend_name(),
        demo = args.demo,
        addr = %args.addr,
        "starting"
    );
    let options = safeguard_web::ServeOptions {
        addr: args.addr,
        insecure_dev_cookies: args.insecure_dev_cookies,
        demo_logins,
        fhir_rate: safeguard_web::RateLimit {
            per_second: args.fhir_rate_per_token,
            burst: args.fhir_burst,
        },
    };
    safeguard_web::serve(app, options)
        .await
        .with_context(|| format!("cannot serve on {}", args.addr))
}

/// The address to open in a browser: an "any address" listener is reached via localhost.
fn browser_url(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!("http://localhost:{}/", addr.port())
    } else {
        format!("http://{addr}/")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn any_address_is_opened_via_localhost() {
        assert_eq!(
            browser_url("127.0.0.1:8080".parse().unwrap()),
            "http://127.0.0.1:8080/"
        );
        assert_eq!(
            browser_url("0.0.0.0:80".parse().unwrap()),
            "http://localhost:80/"
        );
        assert_eq!(
            browser_url("[::1]:8080".parse().unwrap()),
            "http://[::1]:8080/"
        );
    }
}
