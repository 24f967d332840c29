//! `safeguard agency list`.

use std::io::Write;

use safeguard_domain::{Agency, AgencyId};
use serde::Serialize;

use crate::args::AgencyListArgs;
use crate::database::{DatabaseUrl, open_app};
use crate::errors::explain;
use crate::table;

/// Lists every agency, as a table or as JSON.
pub async fn list(db: Option<&DatabaseUrl>, args: AgencyListArgs) -> anyhow::Result<()> {
    let app = open_app(db, false).await?;
    let agencies = app.list_agencies().await.map_err(explain)?;
    let text = if args.json {
        let array: Vec<_> = agencies.iter().map(to_json).collect();
        let mut text = serde_json::to_string_pretty(&array)?;
        text.push('\n');
        text
    } else if agencies.is_empty() {
        "No agencies yet. The first visit to `safeguard serve` sets up the first one.\n".to_owned()
    } else {
        let rows: Vec<Vec<String>> = agencies
            .iter()
            .map(|a| {
                vec![
                    a.id.to_string(),
                    a.kind.code().to_owned(),
                    a.name.clone(),
                    codes(a),
                ]
            })
            .collect();
        table::render(&["ID", "KIND", "NAME", "CODES"], &rows)
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

/// The codes an agency can be named by, labelled: `ODS:RZZ01 URN:999001 LA:999`.
fn codes(a: &Agency) -> String {
    [("ODS", &a.ods_code), ("URN", &a.urn), ("LA", &a.la_code)]
        .into_iter()
        .filter_map(|(label, code)| code.as_ref().map(|c| format!("{label}:{c}")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One agency in `--json` output; fields in this order, codes `null` when absent.
#[derive(Debug, Serialize)]
struct AgencyJson<'a> {
    id: AgencyId,
    kind: &'static str,
    name: &'a str,
    ods_code: Option<&'a str>,
    urn: Option<&'a str>,
    la_code: Option<&'a str>,
}

fn to_json(a: &Agency) -> AgencyJson<'_> {
    AgencyJson {
        id: a.id,
        kind: a.kind.code(),
        name: &a.name,
        ods_code: a.ods_code.as_deref(),
        urn: a.urn.as_deref(),
        la_code: a.la_code.as_deref(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use safeguard_domain::AgencyKind;

    use super::*;

    #[test]
    fn codes_are_labelled_and_absent_ones_left_out() {
        let a = Agency {
            id: AgencyId::new(),
            kind: AgencyKind::NhsTrust,
            name: "Trust".into(),
            ods_code: Some("RZZ01".into()),
            urn: None,
            la_code: Some("999".into()),
            phone: None,
            out_of_hours_phone: None,
        };
        assert_eq!(codes(&a), "ODS:RZZ01 LA:999");
        let json = serde_json::to_string(&to_json(&a)).unwrap();
        assert_eq!(
            json,
            format!(
                r#"{{"id":"{}","kind":"nhs_trust","name":"Trust","ods_code":"RZZ01","urn":null,"la_code":"999"}}"#,
                a.id
            )
        );
    }
}
