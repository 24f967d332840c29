//! Expectation maximisation of the m probabilities and the share of matches, with the u
//! probabilities held fixed (as Splink does by default).
//!
//! The data are comparison patterns (one level index per comparison, 0 for missing) with how
//! many pairs showed each. A missing level says nothing: it counts neither for nor against.

/// What EM found.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EmResult {
    /// m per comparison per level (index 0, missing, is unused and left at 0).
    pub m: Vec<Vec<f64>>,
    /// The share of the pairs that are matches.
    pub lambda: f64,
    /// Iterations run.
    pub iterations: usize,
    /// Whether the largest change in the last iteration was below the tolerance.
    pub converged: bool,
}

/// Runs EM from `m_init` and `lambda_init`. `u[c][l]` must be positive for every level that
/// occurs; comparisons that never have a non-missing level keep their initial m.
pub(crate) fn estimate(
    patterns: &[(Vec<u8>, f64)],
    u: &[Vec<f64>],
    m_init: Vec<Vec<f64>>,
    lambda_init: f64,
    max_iterations: usize,
    tolerance: f64,
) -> EmResult {
    let mut m = m_init;
    let mut lambda = lambda_init.clamp(1e-9, 1.0 - 1e-9);
    let mut iterations = 0;
    let mut converged = false;
    let total: f64 = patterns.iter().map(|(_, n)| n).sum();
    if total <= 0.0 {
        return EmResult {
            m,
            lambda,
            iterations,
            converged: true,
        };
    }
    let mut sums: Vec<Vec<f64>> = m.iter().map(|levels| vec![0.0; levels.len()]).collect();
    while iterations < max_iterations {
        iterations += 1;
        for s in sums.iter_mut() {
            s.iter_mut().for_each(|x| *x = 0.0);
        }
        let mut expected_matches = 0.0;
        for (pattern, count) in patterns {
            // Work in log space: products of many small m and u underflow.
            let mut log_m = lambda.ln();
            let mut log_u = (1.0 - lambda).ln();
            for (c, &level) in pattern.iter().enumerate() {
                if level == 0 {
                    continue;
                }
                let l = usize::from(level);
                log_m += m[c][l].max(1e-300).ln();
                log_u += u[c][l].max(1e-300).ln();
            }
            let p = 1.0 / (1.0 + (log_u - log_m).exp());
            let weight = p * count;
            expected_matches += weight;
            for (c, &level) in pattern.iter().enumerate() {
                if level != 0 {
                    sums[c][usize::from(level)] += weight;
                }
            }
        }
        let mut change: f64 = 0.0;
        let new_lambda = (expected_matches / total).clamp(1e-9, 1.0 - 1e-9);
        change = change.max((new_lambda - lambda).abs());
        lambda = new_lambda;
        for (c, s) in sums.iter().enumerate() {
            let denominator: f64 = s.iter().skip(1).sum();
            if denominator <= 0.0 {
                continue;
            }
            for (l, value) in s.iter().enumerate().skip(1) {
                let new_m = value / denominator;
                change = change.max((new_m - m[c][l]).abs());
                m[c][l] = new_m;
            }
        }
        if change < tolerance {
            converged = true;
            break;
        }
    }
    EmResult {
        m,
        lambda,
        iterations,
        converged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn draw(rng: &mut Rng, probs: &[f64]) -> u8 {
        let mut x = rng.unit();
        for (i, p) in probs.iter().enumerate().skip(1) {
            if x < *p {
                return u8::try_from(i).unwrap();
            }
            x -= p;
        }
        u8::try_from(probs.len() - 1).unwrap()
    }

    /// Generates pairs from known m, u and lambda, then checks EM recovers m and lambda.
    fn recovers(seed: u64, lambda: f64, n: usize) -> (f64, f64) {
        // Four comparisons; level 0 is "missing", then strongest to weakest.
        let m_true = vec![
            vec![0.0, 0.85, 0.10, 0.05],
            vec![0.0, 0.80, 0.15, 0.05],
            vec![0.0, 0.90, 0.07, 0.03],
            vec![0.0, 0.70, 0.20, 0.10],
        ];
        let u_true = vec![
            vec![0.0, 0.01, 0.04, 0.95],
            vec![0.0, 0.02, 0.08, 0.90],
            vec![0.0, 0.005, 0.045, 0.95],
            vec![0.0, 0.05, 0.15, 0.80],
        ];
        let mut rng = Rng::new(seed);
        let mut counts: HashMap<Vec<u8>, f64> = HashMap::new();
        for _ in 0..n {
            let is_match = rng.unit() < lambda;
            let table = if is_match { &m_true } else { &u_true };
            let mut pattern: Vec<u8> = table.iter().map(|p| draw(&mut rng, p)).collect();
            // 5% of values missing.
            for level in pattern.iter_mut() {
                if rng.unit() < 0.05 {
                    *level = 0;
                }
            }
            *counts.entry(pattern).or_default() += 1.0;
        }
        let patterns: Vec<(Vec<u8>, f64)> = counts.into_iter().collect();
        let m_init = vec![vec![0.0, 0.6, 0.3, 0.1]; 4];
        let result = estimate(&patterns, &u_true, m_init, 0.3, 500, 1e-9);
        assert!(result.converged, "EM did not converge in 500 iterations");
        let m_error = result
            .m
            .iter()
            .zip(&m_true)
            .flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y).abs()))
            .fold(0.0, f64::max);
        (m_error, (result.lambda - lambda).abs())
    }

    #[test]
    fn em_recovers_known_m_and_lambda() {
        // 200,000 pairs, a quarter matches: every m within 0.02, lambda within 0.01.
        let (m_error, lambda_error) = recovers(7, 0.25, 200_000);
        assert!(m_error < 0.02, "largest m error {m_error}");
        assert!(lambda_error < 0.01, "lambda error {lambda_error}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(8))]
        #[test]
        fn em_converges_for_any_seed_and_share(seed in 0u64..1000, lambda in 0.05f64..0.6) {
            let (m_error, lambda_error) = recovers(seed, lambda, 100_000);
            prop_assert!(m_error < 0.03, "largest m error {}", m_error);
            prop_assert!(lambda_error < 0.015, "lambda error {}", lambda_error);
        }
    }
}
