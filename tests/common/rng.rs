//! A seeded uniform draw for the test files that generate logs: the same rows on every run and
//! machine, no dependency.

/// Draws in `[0, 1)` from a 64-bit LCG (Knuth's MMIX constants), its top 53 bits.
pub fn uniform(seed: u64) -> impl FnMut() -> f64 {
    let mut seed = seed;
    move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    }
}
