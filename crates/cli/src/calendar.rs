//! `safeguard calendar add-working-days` and `safeguard calendar import`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use jiff::civil::Date;
use safeguard_domain::Calendar;

use crate::args::{AddWorkingDaysArgs, ImportArgs};
use crate::database::{DatabaseUrl, open_app};
use crate::errors::explain;

/// Prints DATE + N working days, for the arguments or for each `DATE N` line of stdin. All
/// input is checked before anything is printed, so a bad line leaves no half answer.
pub async fn add_working_days(
    db: Option<&DatabaseUrl>,
    args: AddWorkingDaysArgs,
) -> anyhow::Result<()> {
    let inputs = match (args.date, args.n) {
        (Some(date), Some(n)) => vec![(parse_date(&date)?, parse_count(&n)?)],
        (None, None) => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                eprintln!("Reading `DATE N` lines, like `2025-12-24 1`; end with Ctrl-D.");
            }
            read_lines(stdin.lock())?
        }
        _ => bail!("give both DATE and N, or neither to read `DATE N` lines from standard input"),
    };
    // An explicit database means "the calendar in force there", with its imported holidays.
    let calendar = match db {
        Some(_) => open_app(db, false).await?.calendar(),
        None => std::sync::Arc::new(Calendar::england_and_wales()),
    };
    let last_holiday = calendar.holidays().last();
    let mut out = String::new();
    let mut beyond = false;
    for (start, n) in inputs {
        let due = calendar.add_working_days(start, n);
        beyond |= last_holiday.is_some_and(|last| due > last);
        out.push_str(&due.to_string());
        out.push('\n');
    }
    std::io::stdout().lock().write_all(out.as_bytes())?;
    if beyond && let Some(last) = last_holiday {
        eprintln!(
            "note: the calendar lists bank holidays up to {last}; later dates skip weekends \
             only. Import a newer list with `safeguard calendar import`."
        );
    }
    Ok(())
}

/// Reads `DATE N` lines (spaces, tabs or a comma between), skipping blank ones.
fn read_lines(input: impl BufRead) -> anyhow::Result<Vec<(Date, u32)>> {
    let mut inputs = Vec::new();
    for (i, line) in input.lines().enumerate() {
        let number = i + 1;
        let line = line.with_context(|| format!("cannot read line {number} of the input"))?;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parsed = parse_line(line).with_context(|| format!("line {number}"))?;
        inputs.push(parsed);
    }
    Ok(inputs)
}

fn parse_line(line: &str) -> anyhow::Result<(Date, u32)> {
    let parts: Vec<&str> = line
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|p| !p.is_empty())
        .collect();
    match parts.as_slice() {
        [date, n] => Ok((parse_date(date)?, parse_count(n)?)),
        _ => bail!("expected `DATE N`, like `2025-12-24 1`, but found \"{line}\""),
    }
}

/// A YYYY-MM-DD date, and nothing looser.
fn parse_date(text: &str) -> anyhow::Result<Date> {
    let text = text.trim();
    let shaped = text.len() == 10
        && text.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            _ => c.is_ascii_digit(),
        });
    let date = if shaped {
        text.parse::<Date>().ok()
    } else {
        None
    };
    date.ok_or_else(|| {
        anyhow!("\"{text}\" is not a date; write dates as YYYY-MM-DD, like 2025-12-24")
    })
}

/// N: a whole number of working days, 0 or more.
fn parse_count(text: &str) -> anyhow::Result<u32> {
    let text = text.trim();
    let digits = !text.is_empty() && text.chars().all(|c| c.is_ascii_digit());
    let n = if digits {
        text.parse::<u32>().ok()
    } else {
        None
    };
    n.ok_or_else(|| {
        anyhow!(
            "N must be a non-negative whole number of working days (0 to {}), like 5; \
             \"{text}\" is not",
            u32::MAX
        )
    })
}

/// Replaces the bank holidays with the file's. The file is read and checked in full before the
/// database is opened, so a bad file changes nothing.
pub async fn import(db: Option<&DatabaseUrl>, args: ImportArgs) -> anyhow::Result<()> {
    let path = args.file.as_path();
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let calendar = Calendar::parse_any(&text)
        .map_err(|e| anyhow!("{e}. Nothing was imported"))
        .with_context(|| format!("cannot import {}", path.display()))?;
    let app = open_app(db, false).await?;
    let count = app
        .import_holidays(&calendar, &source_name(path))
        .await
        .map_err(explain)?;
    let first = calendar.holidays().next();
    let last = calendar.holidays().last();
    match (first, last) {
        (Some(first), Some(last)) => println!(
            "Imported {count} bank holidays, from {first} to {last}, replacing the previous \
             list. Working days now count with them."
        ),
        _ => println!("Imported {count} bank holidays."),
    }
    Ok(())
}

/// The file's name, for the audit record (the directories it sat in are nobody's business).
fn source_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use jiff::civil::date;

    use super::*;

    #[test]
    fn dates_must_be_iso() {
        assert_eq!(parse_date("2025-12-24").unwrap(), date(2025, 12, 24));
        for bad in [
            "2025-13-01",
            "2025-02-30",
            "24/12/2025",
            "2025-12-24T00:00",
            "",
        ] {
            let e = parse_date(bad).unwrap_err().to_string();
            assert!(e.contains("YYYY-MM-DD"), "{bad}: {e}");
        }
    }

    #[test]
    fn counts_are_whole_and_not_negative() {
        assert_eq!(parse_count("0").unwrap(), 0);
        assert_eq!(parse_count("15").unwrap(), 15);
        for bad in ["-1", "1.5", "+3", "five", "", "99999999999"] {
            let e = parse_count(bad).unwrap_err().to_string();
            assert!(e.contains("non-negative whole number"), "{bad}: {e}");
        }
    }

    #[test]
    fn lines_are_read_with_their_numbers() {
        let input = "2025-12-24 1\n\n2023-05-05,1\n";
        assert_eq!(
            read_lines(input.as_bytes()).unwrap(),
            vec![(date(2025, 12, 24), 1), (date(2023, 5, 5), 1)]
        );
        let e = read_lines("2025-12-24 1\n\n2025-12-24 x\n".as_bytes()).unwrap_err();
        assert!(format!("{e:#}").starts_with("line 3: N must be"), "{e:#}");
        let e = read_lines("2025-12-24\n".as_bytes()).unwrap_err();
        assert!(format!("{e:#}").contains("expected `DATE N`"), "{e:#}");
    }
}
