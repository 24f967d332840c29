//! String similarity: Jaro-Winkler and optimal string alignment distance, as defined by
//! `strsim`, with an allocation-free path for short ASCII text.
//!
//! Profiling the FEBRL4 link showed half the time in `strsim`'s general (Unicode, allocating)
//! versions. Standardised names, postcodes and ids are almost always short ASCII, so for those
//! this module computes the same values with bit masks and stack arrays; anything else goes to
//! `strsim`. The property tests check both paths agree on every input.

/// Jaro-Winkler similarity, identical to `strsim::jaro_winkler`.
pub(crate) fn jaro_winkler(a: &str, b: &str) -> f64 {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    if !(a.is_ascii() && b.is_ascii() && x.len() <= 64 && y.len() <= 64) {
        return strsim::jaro_winkler(a, b);
    }
    let sim = jaro_ascii(x, y);
    if sim > 0.7 {
        let prefix = x.iter().take(4).zip(y).take_while(|(p, q)| p == q).count();
        sim + 0.1 * prefix as f64 * (1.0 - sim)
    } else {
        sim
    }
}

/// [`jaro_winkler`] when it is at least `min`; otherwise some value below `min` (0), found
/// without computing it when a cheap upper bound already rules it out. Most pairs compared are
/// not alike, so this skips most of the work.
pub(crate) fn jaro_winkler_at_least(a: &str, b: &str, min: f64) -> f64 {
    // The bound counts in bytes, so only for short text (where counts cannot overflow).
    if a.len() <= 64 && b.len() <= 64 && upper_bound(a.as_bytes(), b.as_bytes()) < min {
        0.0
    } else {
        jaro_winkler(a, b)
    }
}

/// Letter counts of a short ASCII text, computed once per record so the Jaro-Winkler bound of
/// a pair costs a few vector instructions. `None` for other text (which takes the slow path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Signature(Option<[u8; 32]>);

impl Signature {
    pub fn of(text: &str) -> Signature {
        if !text.is_ascii() || text.len() > 64 {
            return Signature(None);
        }
        let mut counts = [0u8; 32];
        for b in text.bytes() {
            // 32 classes: the letters are told apart; other bytes share classes, which can
            // only raise the bound.
            counts[usize::from(b & 31)] += 1;
        }
        Signature(Some(counts))
    }
}

/// [`jaro_winkler_at_least`], with the bound taken from precomputed signatures.
pub(crate) fn jaro_winkler_at_least_signed(
    a: &str,
    sa: &Signature,
    b: &str,
    sb: &Signature,
    min: f64,
) -> f64 {
    let (Some(ca), Some(cb)) = (&sa.0, &sb.0) else {
        return jaro_winkler_at_least(a, b, min);
    };
    let (la, lb) = (a.len(), b.len());
    if la == 0 || lb == 0 {
        return jaro_winkler(a, b);
    }
    let common: usize = ca
        .iter()
        .zip(cb)
        .map(|(x, y)| usize::from((*x).min(*y)))
        .sum();
    let jaro = (common as f64 / la as f64 + common as f64 / lb as f64 + 1.0) / 3.0;
    let prefix = a
        .bytes()
        .take(4)
        .zip(b.bytes())
        .take_while(|(p, q)| p == q)
        .count();
    if jaro + 0.1 * prefix as f64 * (1.0 - jaro) + 1e-9 < min {
        0.0
    } else {
        jaro_winkler(a, b)
    }
}

/// An upper bound of the Jaro-Winkler similarity of two strings, from their byte counts: Jaro's
/// matching characters can be no more than the characters the two have in common, and
/// transpositions only lower it. Bytes are pooled in 64 classes, which can only raise the bound.
fn upper_bound(a: &[u8], b: &[u8]) -> f64 {
    let (la, lb) = (a.len(), b.len());
    if la == 0 || lb == 0 {
        // Exact (both empty gives 1) or 0: let the full function decide.
        return 1.0;
    }
    let mut counts = [0u8; 64];
    for x in a {
        counts[usize::from(x & 63)] = counts[usize::from(x & 63)].wrapping_add(1);
    }
    let mut common = 0usize;
    for y in b {
        let slot = &mut counts[usize::from(y & 63)];
        if *slot > 0 {
            *slot -= 1;
            common += 1;
        }
    }
    let jaro = (common as f64 / la as f64 + common as f64 / lb as f64 + 1.0) / 3.0;
    let prefix = a.iter().take(4).zip(b).take_while(|(p, q)| p == q).count();
    // Jaro-Winkler grows with Jaro for a given prefix; allow a little for rounding.
    jaro + 0.1 * prefix as f64 * (1.0 - jaro) + 1e-9
}

fn jaro_ascii(a: &[u8], b: &[u8]) -> f64 {
    let (la, lb) = (a.len(), b.len());
    if la == 0 && lb == 0 {
        return 1.0;
    }
    if la == 0 || lb == 0 {
        return 0.0;
    }
    let range = (la.max(lb) / 2).saturating_sub(1);
    let (mut a_flags, mut b_flags) = (0u64, 0u64);
    let mut matches = 0usize;
    for (i, ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(range);
        let hi = lb.min(i + range + 1);
        for (j, cb) in b.iter().enumerate().take(hi).skip(lo) {
            if b_flags & (1u64 << j) == 0 && cb == ca {
                a_flags |= 1u64 << i;
                b_flags |= 1u64 << j;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut bj = 0usize;
    for (i, ca) in a.iter().enumerate() {
        if a_flags & (1u64 << i) == 0 {
            continue;
        }
        while bj < lb && b_flags & (1u64 << bj) == 0 {
            bj += 1;
        }
        if bj < lb {
            if b[bj] != *ca {
                transpositions += 1;
            }
            bj += 1;
        }
    }
    transpositions /= 2;
    ((matches as f64 / la as f64)
        + (matches as f64 / lb as f64)
        + ((matches - transpositions) as f64 / matches as f64))
        / 3.0
}

/// The optimal string alignment distance (restricted Damerau-Levenshtein: insertions,
/// deletions, substitutions and swaps of neighbours) when it is at most `max`, else `None`.
/// Equal to `strsim::osa_distance` wherever that is at most `max`.
pub(crate) fn osa_within(a: &str, b: &str, max: usize) -> Option<usize> {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    if !(a.is_ascii() && b.is_ascii() && x.len() <= 64 && y.len() <= 64) {
        let d = strsim::osa_distance(a, b);
        return (d <= max).then_some(d);
    }
    if x.len().abs_diff(y.len()) > max {
        return None;
    }
    // Each edit leaves at most one character of each string without a partner in the other,
    // so strings with more than `max` unshared characters are further apart than `max`.
    let mut counts = [0u8; 64];
    for c in x {
        counts[usize::from(c & 63)] = counts[usize::from(c & 63)].wrapping_add(1);
    }
    let mut shared = 0usize;
    for c in y {
        let slot = &mut counts[usize::from(c & 63)];
        if *slot > 0 {
            *slot -= 1;
            shared += 1;
        }
    }
    if x.len() - shared > max || y.len() - shared > max {
        return None;
    }
    let lb = y.len();
    // Distances never exceed 64 here, so bytes hold them.
    let mut two_back = [0u8; 65];
    let mut prev = [0u8; 65];
    let mut curr = [0u8; 65];
    for (j, slot) in prev.iter_mut().enumerate().take(lb + 1) {
        *slot = u8::try_from(j).unwrap_or(u8::MAX);
    }
    let limit = u8::try_from(max).unwrap_or(u8::MAX);
    for (i, ca) in x.iter().enumerate() {
        curr[0] = u8::try_from(i + 1).unwrap_or(u8::MAX);
        let mut row_min = curr[0];
        for (j, cb) in y.iter().enumerate() {
            let cost = u8::from(ca != cb);
            let mut d = (curr[j] + 1).min(prev[j + 1] + 1).min(prev[j] + cost);
            if i > 0 && j > 0 && ca != cb && *ca == y[j - 1] && *cb == x[i - 1] {
                d = d.min(two_back[j - 1] + 1);
            }
            curr[j + 1] = d;
            row_min = row_min.min(d);
        }
        if row_min > limit {
            return None;
        }
        std::mem::swap(&mut two_back, &mut prev);
        std::mem::swap(&mut prev, &mut curr);
    }
    let d = usize::from(prev[lb]);
    (d <= max).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn jaro_winkler_agrees_with_strsim(a in "[a-e ]{0,12}", b in "[a-e ]{0,12}") {
            let ours = jaro_winkler(&a, &b);
            let theirs = strsim::jaro_winkler(&a, &b);
            prop_assert!((ours - theirs).abs() < 1e-12, "{} {} {} {}", a, b, ours, theirs);
            prop_assert!((jaro_winkler(&b, &a) - ours).abs() < 1e-12);
        }

        #[test]
        fn the_bound_never_hides_a_similar_pair(a in "[a-f ]{0,10}", b in "[a-f ]{0,10}", min in 0.5f64..1.0) {
            let full = strsim::jaro_winkler(&a, &b);
            let quick = jaro_winkler_at_least(&a, &b, min);
            prop_assert_eq!(quick >= min, full >= min, "{} {} {} {}", a, b, quick, full);
            if full >= min {
                prop_assert!((quick - full).abs() < 1e-12);
            }
        }

        #[test]
        fn the_signed_bound_never_hides_a_similar_pair(a in "[a-f ]{0,10}", b in "[a-f ]{0,10}", min in 0.5f64..1.0) {
            let full = strsim::jaro_winkler(&a, &b);
            let quick = jaro_winkler_at_least_signed(&a, &Signature::of(&a), &b, &Signature::of(&b), min);
            prop_assert_eq!(quick >= min, full >= min, "{} {} {} {}", a, b, quick, full);
        }

        #[test]
        fn osa_agrees_with_strsim(a in "[0-3]{0,10}", b in "[0-3]{0,10}") {
            let theirs = strsim::osa_distance(&a, &b);
            let ours = osa_within(&a, &b, 2);
            prop_assert_eq!(ours, (theirs <= 2).then_some(theirs), "{} {}", a, b);
            prop_assert_eq!(osa_within(&b, &a, 2), ours);
        }

        #[test]
        fn unicode_and_long_text_go_to_strsim(a in "\\PC{0,80}", b in "\\PC{0,80}") {
            prop_assert!((jaro_winkler(&a, &b) - strsim::jaro_winkler(&a, &b)).abs() < 1e-12);
            let d = strsim::osa_distance(&a, &b);
            prop_assert_eq!(osa_within(&a, &b, 2), (d <= 2).then_some(d));
        }
    }

    #[test]
    fn known_values() {
        assert!((jaro_winkler("martha", "marhta") - 0.9611).abs() < 1e-4);
        assert_eq!(osa_within("ca", "abc", 5), Some(3));
        assert_eq!(osa_within("9434765919", "9434756919", 2), Some(1));
    }
}
