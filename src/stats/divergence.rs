//! Distances between two binned distributions (proportions per bin, natural logs unless said).
//!
//! For PSI and the two KL divergences only, a proportion that is exactly 0 becomes 1e-4 (no
//! renormalisation), so PSI = KL(c‖b) + KL(b‖c). Jensen–Shannon and Hellinger use the raw
//! proportions.

use super::summary::pairwise_sum;

/// The floor PSI and KL put under empty bins.
pub const ZERO_FLOOR: f64 = 1e-4;

fn floored(p: f64) -> f64 {
    if p == 0.0 { ZERO_FLOOR } else { p }
}

/// PSI = Σ (p_c − p_b) · ln(p_c / p_b), empty bins floored at 1e-4.
pub fn psi(p_b: &[f64], p_c: &[f64]) -> f64 {
    let terms: Vec<f64> = p_b
        .iter()
        .zip(p_c)
        .map(|(&b, &c)| {
            let (b, c) = (floored(b), floored(c));
            (c - b) * (c / b).ln()
        })
        .collect();
    pairwise_sum(&terms)
}

/// KL(p‖q) = Σ p · ln(p / q), empty bins floored at 1e-4.
pub fn kl(p: &[f64], q: &[f64]) -> f64 {
    let terms: Vec<f64> = p
        .iter()
        .zip(q)
        .map(|(&p, &q)| {
            let (p, q) = (floored(p), floored(q));
            p * (p / q).ln()
        })
        .collect();
    pairwise_sum(&terms)
}

/// `scipy.special.rel_entr(x, y)`: x·ln(x/y), 0 for x = 0, infinite where y = 0 < x.
pub fn rel_entr(x: f64, y: f64) -> f64 {
    if x > 0.0 && y > 0.0 {
        x * (x / y).ln()
    } else if x == 0.0 && y >= 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

/// Jensen–Shannon distance, `scipy.spatial.distance.jensenshannon(p_b, p_c, base)`: both sides
/// renormalised, `sqrt((KL(p‖m) + KL(q‖m)) / ln(base) / 2)` with m the average; in [0, 1] for
/// base 2. `base = None` uses natural logs (Evidently's choice).
pub fn jensen_shannon(p_b: &[f64], p_c: &[f64], base: Option<f64>) -> f64 {
    let sb = pairwise_sum(p_b);
    let sc = pairwise_sum(p_c);
    let p: Vec<f64> = p_b.iter().map(|x| x / sb).collect();
    let q: Vec<f64> = p_c.iter().map(|x| x / sc).collect();
    let m: Vec<f64> = p.iter().zip(&q).map(|(a, b)| (a + b) / 2.0).collect();
    let left: Vec<f64> = p.iter().zip(&m).map(|(&a, &m)| rel_entr(a, m)).collect();
    let right: Vec<f64> = q.iter().zip(&m).map(|(&b, &m)| rel_entr(b, m)).collect();
    let mut js = pairwise_sum(&left) + pairwise_sum(&right);
    if let Some(base) = base {
        js /= base.ln();
    }
    // Equal distributions can sum to a hair below zero after rounding: the distance is 0 then.
    (js / 2.0).max(0.0).sqrt()
}

/// Hellinger distance = sqrt(Σ (√p_b − √p_c)²) / √2, in [0, 1].
pub fn hellinger(p_b: &[f64], p_c: &[f64]) -> f64 {
    let terms: Vec<f64> = p_b
        .iter()
        .zip(p_c)
        .map(|(b, c)| {
            let d = b.sqrt() - c.sqrt();
            d * d
        })
        .collect();
    pairwise_sum(&terms).sqrt() / std::f64::consts::SQRT_2
}

/// L∞ = max |p_b − p_c|.
pub fn l_infinity(p_b: &[f64], p_c: &[f64]) -> f64 {
    p_b.iter()
        .zip(p_c)
        .map(|(b, c)| (b - c).abs())
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psi_is_the_sum_of_both_kls() {
        let b = [0.5, 0.3, 0.2, 0.0];
        let c = [0.4, 0.3, 0.1, 0.2];
        assert!((psi(&b, &c) - (kl(&c, &b) + kl(&b, &c))).abs() < 1e-15);
    }

    #[test]
    fn identical_distributions_are_at_distance_zero_and_disjoint_at_one() {
        let p = [0.2, 0.8];
        assert_eq!(jensen_shannon(&p, &p, Some(2.0)), 0.0);
        assert_eq!(hellinger(&p, &p), 0.0);
        assert!((jensen_shannon(&[1.0, 0.0], &[0.0, 1.0], Some(2.0)) - 1.0).abs() < 1e-15);
        assert!((hellinger(&[1.0, 0.0], &[0.0, 1.0]) - 1.0).abs() < 1e-15);
    }
}
