//! `safeguard audit verify`.

use anyhow::bail;

use crate::database::{DatabaseUrl, open_app};
use crate::errors::explain;

/// Recomputes the hash chain; an error (exit 1) names the first event that does not fit.
pub async fn verify(db: Option<&DatabaseUrl>) -> anyhow::Result<()> {
    let app = open_app(db, false).await?;
    let report = app.verify_audit().await.map_err(explain)?;
    match report.first_bad {
        None => {
            println!("audit chain intact: {} events", report.checked);
            Ok(())
        }
        Some((seq, why)) => bail!(
            "audit chain broken at seq {seq}: {why} (the {} events before it are intact)",
            report.checked
        ),
    }
}
