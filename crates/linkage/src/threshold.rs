//! Choosing a match threshold without labels.

/// The probability threshold that maximises the F1 score the model itself expects.
///
/// If the probabilities are calibrated, taking the `k` most probable pairs finds
/// `TP = p1 + ... + pk` true matches in expectation, out of `T = sum of all p` matches among the
/// pairs, so the expected F1 is `2 TP / (k + T)`. This picks the `k` that maximises it and
/// returns the `k`-th probability. It needs no labels, only the model's own scores (of every
/// scored pair, not only those above some cut-off). With no pairs it returns 0.5.
///
/// ```
/// use safeguard_linkage::suggest_threshold;
/// let p = [0.999, 0.99, 0.98, 0.6, 0.01, 0.001, 0.001];
/// assert_eq!(suggest_threshold(&p), 0.6);
/// ```
pub fn suggest_threshold(probabilities: &[f64]) -> f64 {
    let mut sorted: Vec<f64> = probabilities
        .iter()
        .copied()
        .filter(|p| p.is_finite())
        .map(|p| p.clamp(0.0, 1.0))
        .collect();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let total: f64 = sorted.iter().sum();
    if sorted.is_empty() || total <= 0.0 {
        return 0.5;
    }
    let mut best = (f64::MIN, 0.5);
    let mut tp = 0.0;
    for (k, p) in sorted.iter().enumerate() {
        tp += p;
        let f1 = 2.0 * tp / ((k + 1) as f64 + total);
        if f1 > best.0 {
            best = (f1, *p);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn nothing_to_go_on_gives_one_half() {
        assert_eq!(suggest_threshold(&[]), 0.5);
        assert_eq!(suggest_threshold(&[0.0, 0.0]), 0.5);
    }

    proptest! {
        #[test]
        fn the_threshold_is_one_of_the_probabilities(ps in prop::collection::vec(0.0f64..=1.0, 1..200)) {
            let t = suggest_threshold(&ps);
            prop_assert!(ps.contains(&t) || t == 0.5);
        }
    }
}
