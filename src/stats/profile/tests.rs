use super::*;
use crate::stats::{ks, sorted, summary, wasserstein};

fn profile(grid: &Grid, values: &[f64]) -> NumericProfile {
    let mut p = NumericProfile::empty(grid);
    for &v in values {
        p.update(grid, Some(v));
    }
    p
}

fn lcg(seed: &mut u64) -> f64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (*seed >> 11) as f64 / (1u64 << 53) as f64
}

#[test]
fn ks_and_wasserstein_are_exact_when_every_baseline_value_is_an_edge() {
    let mut seed = 7;
    let base: Vec<f64> = (0..3000).map(|_| (lcg(&mut seed) * 50.0).round()).collect();
    let cur: Vec<f64> = (0..2500).map(|_| lcg(&mut seed) * 55.0 - 2.0).collect();
    let (bs, cs) = (sorted(&base), sorted(&cur));
    let grid = Grid::new(&bs, &[], 10_000);
    assert!(grid.every_baseline_value);
    let (pb, pc) = (profile(&grid, &base), profile(&grid, &cur));
    let want = ks::ks_2samp(&bs, &cs).unwrap();
    let got = ks_from_profiles(&grid, &pb, &pc, None).unwrap();
    assert!(got.statistic.is_exact());
    assert_eq!(got.statistic.value, want.statistic);
    assert_eq!(got.pvalue.value, want.pvalue);
    let w = wasserstein::wasserstein_sorted(&bs, &cs).unwrap();
    let gw = wasserstein_from_profiles(&grid, &pb, &pc, None).unwrap();
    assert!(
        gw.lo <= w * (1.0 + 1e-12) && w <= gw.hi * (1.0 + 1e-12),
        "{gw:?} {w}"
    );
}

#[test]
fn intervals_contain_the_exact_values_on_a_coarse_grid() {
    let mut seed = 11;
    for shift in [0.0, 0.05, 0.3] {
        let base: Vec<f64> = (0..4000).map(|_| lcg(&mut seed)).collect();
        let cur: Vec<f64> = (0..3000).map(|_| lcg(&mut seed) + shift).collect();
        let (bs, cs) = (sorted(&base), sorted(&cur));
        let grid = Grid::new(&bs, &[0.25, 0.5], 40);
        assert!(!grid.every_baseline_value);
        let (pb, pc) = (profile(&grid, &base), profile(&grid, &cur));
        let want = ks::ks_2samp(&bs, &cs).unwrap();
        let got = ks_from_profiles(&grid, &pb, &pc, None).unwrap();
        assert!(
            got.statistic.lo <= want.statistic + 1e-12
                && want.statistic <= got.statistic.hi + 1e-12,
            "shift {shift}: D {} not in {:?}",
            want.statistic,
            got.statistic
        );
        assert!(got.pvalue.lo <= want.pvalue * (1.0 + 1e-9) + 1e-300);
        assert!(want.pvalue <= got.pvalue.hi * (1.0 + 1e-9) + 1e-300);
        let w = wasserstein::wasserstein_sorted(&bs, &cs).unwrap();
        let gw = wasserstein_from_profiles(&grid, &pb, &pc, None).unwrap();
        assert!(
            gw.lo <= w + 1e-12 && w <= gw.hi + 1e-12,
            "shift {shift}: W {w} not in {gw:?}"
        );
        for q in [0.1, 0.25, 0.5, 0.9] {
            let (v, _) = pc.quantile(&grid, q, None).unwrap();
            let exact = summary::quantile_sorted(&cs, q).unwrap();
            // An estimate stays inside the gap that holds the true order statistic.
            let (a, b) = grid.bounds(grid.slot(exact));
            assert!(v >= a.min(exact) - 1e-12 && v <= b.max(exact) + 1e-12);
        }
    }
}

#[test]
fn gathered_values_make_a_coarse_grid_exact() {
    let mut seed = 19;
    for shift in [0.0, 0.02, 0.3] {
        let base: Vec<f64> = (0..5000).map(|_| lcg(&mut seed)).collect();
        let cur: Vec<f64> = (0..4000).map(|_| lcg(&mut seed) + shift).collect();
        let (bs, cs) = (sorted(&base), sorted(&cur));
        let grid = Grid::new(&bs, &[0.25, 0.5], 64);
        let (pb, pc) = (profile(&grid, &base), profile(&grid, &cur));
        let (wb, wc) = exact_needs(&grid, &pb, &pc).unwrap();
        let g = Gathered {
            baseline: SlotValues::gather(&grid, &wb, base.iter().copied()),
            current: SlotValues::gather(&grid, &wc, cur.iter().copied()),
        };
        // One extra pass keeps only a part of the rows.
        assert!(g.baseline.len() + g.current.len() < base.len() + cur.len());
        let want = ks::ks_2samp(&bs, &cs).unwrap();
        let got = ks_from_profiles(&grid, &pb, &pc, Some(&g)).unwrap();
        assert!(
            got.statistic.is_exact() && got.pvalue.is_exact(),
            "shift {shift}"
        );
        assert_eq!(got.statistic.value, want.statistic, "shift {shift}");
        assert_eq!(got.pvalue.value, want.pvalue, "shift {shift}");
        let w = wasserstein::wasserstein_sorted(&bs, &cs).unwrap();
        let gw = wasserstein_from_profiles(&grid, &pb, &pc, Some(&g)).unwrap();
        assert!(gw.is_exact(), "shift {shift}: {gw:?}");
        assert!(
            (gw.value - w).abs() <= 1e-12 * w.max(1e-300),
            "{gw:?} vs {w}"
        );
        for (p, sorted, values) in [(&pb, &bs, &g.baseline), (&pc, &cs, &g.current)] {
            let (s, exact) = p.summary(&grid, Some(values)).unwrap();
            let want = summary::summarize_sorted(sorted).unwrap();
            assert!(exact, "shift {shift}");
            assert_eq!((s.q25, s.median, s.q75), (want.q25, want.median, want.q75));
        }
    }
}

#[test]
fn values_from_a_sorted_reference_equal_a_gathering_pass() {
    let mut seed = 31;
    let base: Vec<f64> = (0..6000)
        .map(|_| (lcg(&mut seed) * 80.0).round() / 4.0)
        .collect();
    let bs = sorted(&base);
    let grid = Grid::new(&bs, &[5.0], 50);
    let wanted: Vec<bool> = (0..grid.slots()).map(|s| s % 3 != 1).collect();
    let a = SlotValues::gather(&grid, &wanted, base.iter().copied());
    let b = SlotValues::from_sorted(&grid, &wanted, &bs);
    for slot in 0..grid.slots() {
        assert_eq!(a.get(slot), b.get(slot), "slot {slot}");
    }
    assert!(a.len() > 1000);
}

#[test]
fn merged_profiles_equal_the_profile_of_the_union() {
    let mut seed = 3;
    let base: Vec<f64> = (0..1000).map(|_| lcg(&mut seed) * 10.0).collect();
    let grid = Grid::new(&sorted(&base), &[2.5, 5.0], 64);
    for split in [1usize, 10, 333, 999] {
        let all: Vec<f64> = (0..1000).map(|_| lcg(&mut seed) * 12.0 - 1.0).collect();
        let whole = profile(&grid, &all);
        let mut a = profile(&grid, &all[..split]);
        let b = profile(&grid, &all[split..]);
        a.merge(&b);
        assert_eq!(a.counts, whole.counts);
        assert_eq!((a.rows, a.min, a.max), (whole.rows, whole.min, whole.max));
        assert!((a.mean - whole.mean).abs() < 1e-12);
        assert!((a.m2 - whole.m2).abs() < 1e-9 * whole.m2);
        let back = whole.without(&b, &grid);
        assert_eq!(back.counts, profile(&grid, &all[..split]).counts);
    }
}

#[test]
fn a_coarsened_grid_holds_every_slot_of_the_fine_one() {
    let mut seed = 29;
    let base: Vec<f64> = (0..30_000).map(|_| lcg(&mut seed) * 100.0 - 20.0).collect();
    let cuts = [3.25, 50.0];
    let fine = Grid::new(&sorted(&base), &cuts, 4096);
    let coarse = fine.coarsen(&cuts, 150);
    assert!(coarse.edges.len() <= 160 && coarse.edges.len() > 100);
    assert!(cuts.iter().all(|c| coarse.edges.contains(c)));
    assert!(coarse.edges.iter().all(|e| fine.edges.contains(e)));
    let map = fine.slot_map(&coarse);
    let probes = (0..50_000)
        .map(|_| lcg(&mut seed) * 140.0 - 40.0)
        .chain(fine.edges.iter().copied());
    for x in probes {
        assert_eq!(map[fine.slot(x)] as usize, coarse.slot(x), "{x}");
    }
}

#[test]
fn the_lookup_finds_the_slot_a_full_search_finds() {
    let mut seed = 23;
    // Skewed values: most edges crowd one end, as with amounts or latencies.
    let base: Vec<f64> = (0..20_000).map(|_| lcg(&mut seed).powi(6) * 1e4).collect();
    let grid = Grid::new(&sorted(&base), &[0.5, 17.0], 300);
    let plain = |x: f64| {
        let i = grid.edges.partition_point(|&e| e < x);
        if i < grid.edges.len() && grid.edges[i] == x {
            2 * i + 1
        } else {
            2 * i
        }
    };
    let probes = (0..50_000)
        .map(|_| lcg(&mut seed).powi(6) * 1.2e4 - 10.0)
        .chain(grid.edges.iter().copied())
        .chain([f64::MIN, f64::MAX, -0.0, 0.0]);
    for x in probes {
        assert_eq!(grid.slot(x), plain(x), "{x}");
    }
}

/// Property: for random data and random splits into several parts, merging the parts'
/// profiles in any order gives the profile of the whole — numeric and categorical.
#[test]
fn merging_any_split_equals_profiling_the_union() {
    let mut seed = 37;
    for round in 0..40 {
        let n = 50 + (lcg(&mut seed) * 3000.0) as usize;
        let base: Vec<f64> = (0..500).map(|_| lcg(&mut seed) * 10.0).collect();
        let grid = Grid::new(&sorted(&base), &[2.0, 7.5], 16 + round * 8);
        let values: Vec<Option<f64>> = (0..n)
            .map(|_| match (lcg(&mut seed) * 20.0) as u32 {
                0 => None,
                1 => Some(f64::INFINITY),
                _ => Some(lcg(&mut seed) * 14.0 - 2.0),
            })
            .collect();
        let codes: Vec<Option<u32>> = (0..n)
            .map(|_| (lcg(&mut seed) > 0.1).then(|| (lcg(&mut seed) * 7.0) as u32))
            .collect();
        let mut cuts: Vec<usize> = (0..(1 + round % 5))
            .map(|_| (lcg(&mut seed) * n as f64) as usize)
            .collect();
        cuts.extend([0, n]);
        cuts.sort_unstable();
        let mut whole = NumericProfile::empty(&grid);
        let mut whole_c = CategoricalProfile::empty(7);
        for (v, c) in values.iter().zip(&codes) {
            whole.update(&grid, *v);
            whole_c.update(*c);
        }
        // Parts merged last to first: the order must not matter.
        let mut merged = NumericProfile::empty(&grid);
        let mut merged_c = CategoricalProfile::empty(7);
        for w in cuts.windows(2).rev() {
            let mut part = NumericProfile::empty(&grid);
            let mut part_c = CategoricalProfile::empty(7);
            for i in w[0]..w[1] {
                part.update(&grid, values[i]);
                part_c.update(codes[i]);
            }
            merged.merge(&part);
            merged_c.merge(&part_c);
        }
        assert_eq!(merged.counts, whole.counts, "round {round}");
        assert_eq!(
            (
                merged.rows,
                merged.missing,
                merged.non_finite,
                merged.values
            ),
            (whole.rows, whole.missing, whole.non_finite, whole.values)
        );
        assert_eq!((merged.min, merged.max), (whole.min, whole.max));
        assert!((merged.mean - whole.mean).abs() <= 1e-12 * whole.mean.abs().max(1.0));
        assert!((merged.m2 - whole.m2).abs() <= 1e-9 * whole.m2.max(1.0));
        for (a, b) in merged.sums.iter().zip(&whole.sums) {
            assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0));
        }
        assert_eq!(merged_c, whole_c, "round {round}");
    }
}

#[test]
fn a_value_on_a_cut_falls_in_the_bin_above() {
    let grid = Grid::new(&[0.0, 1.0, 2.0, 3.0], &[1.5], 10);
    let p = profile(&grid, &[0.5, 1.5, 1.6, 3.0, 9.0]);
    let bounds = grid.bin_boundaries(&[1.5]).unwrap();
    assert_eq!(p.bin_counts(&bounds), [1, 4]);
    assert!(grid.bin_boundaries(&[1.7]).is_none());
}

#[test]
fn non_finite_and_missing_values_are_counted_apart() {
    let grid = Grid::new(&[0.0, 1.0], &[], 10);
    let mut p = NumericProfile::empty(&grid);
    for v in [
        Some(0.5),
        None,
        Some(f64::NAN),
        Some(f64::INFINITY),
        Some(-1.0),
    ] {
        p.update(&grid, v);
    }
    assert_eq!((p.rows, p.missing, p.non_finite, p.n()), (5, 2, 1, 2));
}
