//! Clustering for deduplication: records joined by a pair at or above the threshold end up in
//! one cluster (connected components).

/// Connected components of `n` items joined by `edges` (pairs of positions; positions out of
/// range are ignored). Returns, for each item, the smallest position in its component, so
/// cluster labels are stable whatever the order of the edges.
///
/// ```
/// use safeguard_linkage::connected_components;
/// assert_eq!(connected_components(5, &[(3, 1), (1, 4)]), vec![0, 1, 2, 1, 1]);
/// ```
pub fn connected_components(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            // Path halving.
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for &(a, b) in edges {
        if a >= n || b >= n {
            continue;
        }
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        // The smaller position becomes the root, so the root is the component's minimum.
        if ra < rb {
            parent[rb] = ra;
        } else if rb < ra {
            parent[ra] = rb;
        }
    }
    (0..n).map(|x| find(&mut parent, x)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn joined_items_share_a_label_and_labels_are_minimums(
            n in 1usize..60,
            raw in prop::collection::vec((0usize..60, 0usize..60), 0..80),
        ) {
            let edges: Vec<(usize, usize)> = raw.into_iter().filter(|(a, b)| *a < n && *b < n).collect();
            let labels = connected_components(n, &edges);
            for (a, b) in &edges {
                prop_assert_eq!(labels[*a], labels[*b]);
            }
            for (i, l) in labels.iter().enumerate() {
                prop_assert!(*l <= i);
                prop_assert_eq!(labels[*l], *l);
            }
        }
    }
}
