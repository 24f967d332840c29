//! `safeguard timescales [--json]`: the one table of statutory timescales, with its sources.

use safeguard_domain::timescales::{RULES, Unit};

use crate::table;

fn unit_text(u: Unit) -> &'static str {
    match u {
        Unit::WorkingDays => "working days",
        Unit::CalendarDays => "calendar days",
        Unit::Months => "months",
        Unit::Hours => "hours",
    }
}

/// "1 working day", "45 working days".
fn limit_text(amount: u32, unit: Unit) -> String {
    let u = unit_text(unit);
    if amount == 1 {
        format!("1 {}", u.strip_suffix('s').unwrap_or(u))
    } else {
        format!("{amount} {u}")
    }
}

/// Prints the table (or a JSON array with `--json`).
pub fn print(json: bool) -> anyhow::Result<()> {
    if json {
        let rows: Vec<serde_json::Value> = RULES
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.code,
                    "name": r.name,
                    "start_event": r.start_event,
                    "amount": r.amount,
                    "unit": unit_text(r.unit),
                    "source": r.source,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    let rows: Vec<Vec<String>> = RULES
        .iter()
        .map(|r| {
            vec![
                r.code.to_owned(),
                r.start_event.to_owned(),
                limit_text(r.amount, r.unit),
                r.source.to_owned(),
            ]
        })
        .collect();
    print!(
        "{}",
        table::render(&["id", "starts at", "limit", "source"], &rows)
    );
    Ok(())
}
