//! Wasserstein-1 distance between two samples, as `scipy.stats.wasserstein_distance(u, v)`:
//! the area between the two empirical CDFs, Σ |U(x_i) − V(x_i)| · (x_{i+1} − x_i) over the merged,
//! sorted values.

use super::summary::pairwise_sum;

/// W1 of two sorted samples; `None` if either is empty.
pub fn wasserstein_sorted(u: &[f64], v: &[f64]) -> Option<f64> {
    if u.is_empty() || v.is_empty() {
        return None;
    }
    let (nu, nv) = (u.len() as f64, v.len() as f64);
    // Both sides are sorted already: merge them instead of sorting the union again.
    let mut all = Vec::with_capacity(u.len() + v.len());
    let (mut i, mut j) = (0usize, 0usize);
    while i < u.len() && j < v.len() {
        if u[i].total_cmp(&v[j]).is_le() {
            all.push(u[i]);
            i += 1;
        } else {
            all.push(v[j]);
            j += 1;
        }
    }
    all.extend_from_slice(&u[i..]);
    all.extend_from_slice(&v[j..]);
    let mut terms = Vec::with_capacity(all.len().saturating_sub(1));
    let (mut iu, mut iv) = (0usize, 0usize);
    for w in all.windows(2) {
        let x = w[0];
        // searchsorted(side='right') advances monotonically over the sorted merge.
        while iu < u.len() && u[iu] <= x {
            iu += 1;
        }
        while iv < v.len() && v[iv] <= x {
            iv += 1;
        }
        let du = iu as f64 / nu;
        let dv = iv as f64 / nv;
        terms.push((du - dv).abs() * (w[1] - w[0]));
    }
    Some(pairwise_sum(&terms))
}

/// Evidently's "Wasserstein distance (normed)": W1 / max(std₀(baseline), 0.001), with the
/// population standard deviation (ddof = 0) of the baseline.
pub fn wasserstein_normed(w1: f64, baseline_std0: f64) -> f64 {
    w1 / baseline_std0.max(0.001)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_by_a_constant_is_that_constant() {
        let u = [0.0, 1.0, 2.0, 3.0];
        let v = [0.5, 1.5, 2.5, 3.5];
        assert_eq!(wasserstein_sorted(&u, &v), Some(0.5));
        assert_eq!(wasserstein_sorted(&u, &u), Some(0.0));
        assert_eq!(wasserstein_sorted(&u, &[]), None);
    }
}
