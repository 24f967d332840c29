//! Synthetic data for `safeguard bench flags`: a register of flagged children in a fresh
//! database, the health setting and token that look them up, and the counts the benchmark checks
//! afterwards. Never for a database with real records in it: seeding refuses one that is not
//! empty.
//!
//! The children exist only as flags (the lookup reads only the flags table): one per NHS
//! number, a current child protection plan held by one local authority with both its numbers,
//! no child record, so no allocated worker or chronology. NHS numbers are deterministic, with
//! valid Modulus 11 check digits: hits count up from 600 000 000, misses (valid numbers with no
//! flag) from 700 000 000.

use jiff::civil::date;
use safeguard_domain::{
    Agency, AgencyId, AgencyKind, ApiScope, Flag, FlagId, FlagSource, FlagType, LaContact,
    NhsNumber,
};
use safeguard_store::FlagRegisterCounts;

use crate::tokens::IssuedToken;
use crate::{App, AppError, AppResult};

/// Flags written per transaction while seeding.
const SEED_CHUNK: usize = 50_000;
/// Where the hit numbers start (the first nine digits).
const HITS_FROM: u32 = 600_000_000;
/// Where the miss numbers start.
const MISSES_FROM: u32 = 700_000_000;

/// What the seeding made.
#[derive(Debug, Clone)]
pub struct BenchArea {
    /// NHS numbers with a flag.
    pub hits: Vec<NhsNumber>,
    /// Valid NHS numbers with no flag.
    pub misses: Vec<NhsNumber>,
    /// The local authority holding the flags.
    pub la: Agency,
    /// The emergency department whose system looks them up.
    pub setting: Agency,
    /// Its `flags:read` token.
    pub token: IssuedToken,
}

/// What the store holds after a run, for the benchmark's check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenchCounts {
    /// Audit records of lookups (`flags.lookup`).
    pub lookups_audited: u64,
    /// The register's flags, accesses and access notifications.
    pub register: FlagRegisterCounts,
}

/// The first `n` valid NHS numbers counting up from `from` (nine digits; about one in eleven
/// is skipped because its check digit would be 10).
pub fn nhs_numbers(from: u32, n: usize) -> Vec<NhsNumber> {
    (from..=999_999_999)
        .filter_map(NhsNumber::from_nine_digits)
        .take(n)
        .collect()
}

impl App {
    /// Fills an empty database with `children` flagged children and a health setting with a
    /// `flags:read` token, and picks `misses` unflagged numbers. `progress(done, total)` is
    /// called after each transaction. Refuses a database that holds any agency.
    pub async fn seed_flag_bench(
        &self,
        children: usize,
        misses: usize,
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> AppResult<BenchArea> {
        let mut tx = self.begin().await?;
        if !tx.list_agencies().await?.is_empty() || tx.count_children().await? > 0 {
            return Err(AppError::Conflict {
                message: "The database is not empty: the benchmark seeds a fresh database only. \
                          Give it a new one with --database (it is created if missing)"
                    .into(),
                field: "database",
                existing: None,
            });
        }
        let la = Agency {
            id: AgencyId::new(),
            kind: AgencyKind::LocalAuthority,
            name: "Benchmark Borough Council".into(),
            ods_code: None,
            urn: None,
            la_code: Some("990".into()),
            phone: Some("0300 000 0990".into()),
            out_of_hours_phone: Some("0300 000 0999".into()),
        };
        let setting = Agency {
            id: AgencyId::new(),
            kind: AgencyKind::NhsTrust,
            name: "Benchmark Hospitals NHS Trust (ED)".into(),
            ods_code: Some("RBE01".into()),
            urn: None,
            la_code: None,
            phone: None,
            out_of_hours_phone: None,
        };
        tx.insert_agency(&la).await?;
        tx.insert_agency(&setting).await?;
        tx.commit().await?;
        let hits = nhs_numbers(HITS_FROM, children);
        let contact = LaContact::from(&la);
        let total = hits.len() as u64;
        let mut done = 0;
        for chunk in hits.chunks(SEED_CHUNK) {
            let flags: Vec<Flag> = chunk
                .iter()
                .map(|nhs| Flag {
                    id: FlagId::new(),
                    nhs_number: nhs.clone(),
                    kind: FlagType::ChildProtectionPlan,
                    start: date(2026, 1, 5),
                    end: None,
                    expected_delivery: None,
                    section: None,
                    contact: contact.clone(),
                    team: None,
                    source: FlagSource::Imported,
                    source_ref: format!("bench:{}", nhs.as_str()),
                    child: None,
                })
                .collect();
            let mut tx = self.begin().await?;
            tx.bulk_insert_flags(&flags).await?;
            tx.commit().await?;
            done += chunk.len() as u64;
            progress(done, total);
        }
        let mut tx = self.begin().await?;
        tx.append_audit(&self.event(
            "cli",
            "bench.seed",
            &format!("agency:{}", la.id),
            None,
            serde_json::json!({"flags": total}),
        ))
        .await?;
        tx.commit().await?;
        let token = self
            .cli_create_token(
                &setting.id.to_string(),
                &[ApiScope::FlagsRead],
                "safeguard bench flags (load generator)",
            )
            .await?;
        Ok(BenchArea {
            hits,
            misses: nhs_numbers(MISSES_FROM, misses),
            la,
            setting,
            token,
        })
    }

    /// The audited lookups and the register's size, for the check after a run.
    pub async fn flag_bench_counts(&self) -> AppResult<BenchCounts> {
        let mut tx = self.begin_read().await?;
        Ok(BenchCounts {
            lookups_audited: tx.count_audit("flags.lookup").await?,
            register: tx.flag_register_counts().await?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_numbers_are_valid_distinct_and_hits_never_miss() {
        let hits = nhs_numbers(HITS_FROM, 1000);
        let misses = nhs_numbers(MISSES_FROM, 1000);
        assert_eq!(hits.len(), 1000);
        for n in hits.iter().chain(&misses) {
            assert_eq!(NhsNumber::parse(n.as_str()).ok().as_ref(), Some(n));
        }
        assert!(hits.windows(2).all(|w| w[0] < w[1]));
        assert!(hits.last() < misses.first());
    }
}
