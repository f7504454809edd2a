//! The statistics against the values scipy and numpy computed for the same inputs
//! (tests/reference/make_reference.py, versions pinned in tests/reference/requirements.txt).
//! Tolerances (DESIGN.md): KS D to 1e-12 absolute; p-values to 1e-6 relative, or 1e-12 absolute
//! when tiny; everything else to 1e-9 relative.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/json_values.rs"]
mod json_values;

use std::path::Path;

use driftscope::analysis::DriftSettings;
use driftscope::analysis::columns::{Dictionary, label_codes};
use driftscope::analysis::drift::{CategoricalReference, categorical_drift};
use driftscope::stats::profile::{
    Gathered, Grid, NumericProfile, SlotValues, exact_needs, ks_from_profiles,
    wasserstein_from_profiles,
};
use driftscope::stats::{binning, divergence, ks, sorted, summary, wasserstein};
use polars::prelude::{Column, DataFrame};
use serde_json::Value;

fn cases(name: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference/fixtures")
        .join(name);
    let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    doc["cases"].as_array().unwrap().clone()
}

fn close(what: &str, case: &str, got: f64, want: &Value, rel: f64) {
    let want = want
        .as_f64()
        .unwrap_or_else(|| panic!("{case}: {what}: no expected value"));
    let ok = if want == 0.0 {
        got.abs() <= rel
    } else {
        ((got - want) / want).abs() <= rel
    };
    assert!(
        ok,
        "{case}: {what}: got {got:e}, scipy/numpy {want:e} (rel {:e})",
        ((got - want) / want).abs()
    );
}

fn close_p(what: &str, case: &str, got: f64, want: &Value) {
    let want = want.as_f64().unwrap();
    let ok = (want < 1e-6 && (got - want).abs() <= 1e-12)
        || ((got - want) / want).abs() <= 1e-6
        || got == want;
    assert!(ok, "{case}: {what}: got {got:e}, scipy {want:e}");
}

/// One side's summary against numpy's: mean and std to 1e-9, extremes exactly, quartiles to 1e-12.
fn check_summary(name: &str, s: &summary::Summary, e: &Value) {
    close("mean", name, s.mean, &e["mean"], 1e-9);
    match s.std {
        Some(std) => close("std", name, std, &e["std"], 1e-9),
        None => assert!(e["std"].is_null(), "{name}: std"),
    }
    close("min", name, s.min, &e["min"], 0.0);
    close("max", name, s.max, &e["max"], 0.0);
    close("q25", name, s.q25, &e["q25"], 1e-12);
    close("median", name, s.median, &e["median"], 1e-12);
    close("q75", name, s.q75, &e["q75"], 1e-12);
}

fn numbers(v: &Value) -> (Vec<f64>, usize) {
    let all = v.as_array().unwrap();
    let values: Vec<f64> = all.iter().filter_map(Value::as_f64).collect();
    (values, all.len())
}

#[test]
fn numeric_statistics_equal_scipy() {
    for case in cases("numeric.json") {
        let name = case["name"].as_str().unwrap();
        let exp = &case["expected"];
        let (b, b_len) = numbers(&case["baseline"]);
        let (c, c_len) = numbers(&case["current"]);
        close(
            "null_rate_baseline",
            name,
            1.0 - b.len() as f64 / b_len as f64,
            &exp["null_rate_baseline"],
            1e-12,
        );
        close(
            "null_rate_current",
            name,
            1.0 - c.len() as f64 / c_len as f64,
            &exp["null_rate_current"],
            1e-12,
        );
        let (bs, cs) = (sorted(&b), sorted(&c));
        let Some(r) = ks::ks_2samp(&bs, &cs) else {
            assert!(exp["ks_statistic"].is_null(), "{name}: KS expected");
            continue;
        };
        let want_d = exp["ks_statistic"].as_f64().unwrap();
        assert!(
            (r.statistic - want_d).abs() <= 1e-12,
            "{name}: D {} vs {want_d}",
            r.statistic
        );
        close_p("ks_pvalue", name, r.pvalue, &exp["ks_pvalue"]);
        let method = match r.method {
            ks::KsMethod::Exact => "exact",
            ks::KsMethod::Asymptotic => "asymptotic",
        };
        assert_eq!(method, exp["ks_method"], "{name}");

        let w = wasserstein::wasserstein_sorted(&bs, &cs).unwrap();
        close("wasserstein", name, w, &exp["wasserstein"], 1e-9);
        let normed = wasserstein::wasserstein_normed(w, summary::std(&bs, 0).unwrap());
        close(
            "wasserstein_normed",
            name,
            normed,
            &exp["wasserstein_normed"],
            1e-9,
        );

        let cuts = binning::quantile_cuts(&bs, 10);
        let want_cuts: Vec<f64> = exp["bin_edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(cuts.len(), want_cuts.len(), "{name}: bin edges");
        for (g, w) in cuts.iter().zip(&want_cuts) {
            close("bin edge", name, *g, &Value::from(*w), 1e-12);
        }
        let cb = binning::bin_counts_sorted(&bs, &cuts);
        let cc = binning::bin_counts(&c, &cuts);
        assert_eq!(serde_json::json!(cb), exp["baseline_counts"], "{name}");
        assert_eq!(serde_json::json!(cc), exp["current_counts"], "{name}");
        let (pb, pc) = (binning::proportions(&cb), binning::proportions(&cc));
        close("psi", name, divergence::psi(&pb, &pc), &exp["psi"], 1e-9);
        close(
            "kl_cb",
            name,
            divergence::kl(&pc, &pb),
            &exp["kl_current_baseline"],
            1e-9,
        );
        close(
            "kl_bc",
            name,
            divergence::kl(&pb, &pc),
            &exp["kl_baseline_current"],
            1e-9,
        );
        close(
            "js",
            name,
            divergence::jensen_shannon(&pb, &pc, Some(2.0)),
            &exp["js_distance"],
            1e-9,
        );
        close(
            "hellinger",
            name,
            divergence::hellinger(&pb, &pc),
            &exp["hellinger"],
            1e-9,
        );
        close(
            "out_of_range",
            name,
            summary::out_of_range_rate(&bs, &c).unwrap(),
            &exp["out_of_range_rate"],
            1e-12,
        );

        for (side, values) in [("baseline", &bs), ("current", &cs)] {
            let s = summary::summarize_sorted(values).unwrap();
            check_summary(name, &s, &exp[format!("{side}_summary")]);
        }
    }
}

/// The same cases through the profile path: counts on a grid fixed by the baseline, on a grid
/// holding every baseline value and on a coarse one made exact by gathering the values of the
/// few slots that need them — the same numbers at the same tolerances.
#[test]
fn numeric_statistics_from_profiles_equal_scipy() {
    for case in cases("numeric.json") {
        let name = case["name"].as_str().unwrap();
        let exp = &case["expected"];
        let (b, b_len) = numbers(&case["baseline"]);
        let (c, c_len) = numbers(&case["current"]);
        let bs = sorted(&b);
        let cuts = binning::quantile_cuts(&bs, 10);
        for max_edges in [usize::MAX, 8] {
            let name = format!("{name} (grid of at most {max_edges} edges)");
            let name = name.as_str();
            let grid = Grid::new(&bs, &cuts, max_edges);
            let profile = |values: &Value| {
                let mut p = NumericProfile::empty(&grid);
                for v in values.as_array().unwrap() {
                    p.update(&grid, v.as_f64());
                }
                p
            };
            let (pb, pc) = (profile(&case["baseline"]), profile(&case["current"]));
            assert_eq!(pb.rows as usize, b_len, "{name}");
            assert_eq!(pc.rows as usize, c_len, "{name}");
            close(
                "null_rate_current",
                name,
                pc.missing as f64 / pc.rows as f64,
                &exp["null_rate_current"],
                1e-12,
            );
            let gathered = exact_needs(&grid, &pb, &pc).map(|(wb, wc)| Gathered {
                baseline: SlotValues::gather(&grid, &wb, b.iter().copied()),
                current: SlotValues::gather(&grid, &wc, c.iter().copied()),
            });
            let g = gathered.as_ref();
            let Some(r) = ks_from_profiles(&grid, &pb, &pc, g) else {
                assert!(exp["ks_statistic"].is_null(), "{name}: KS expected");
                continue;
            };
            assert!(r.statistic.is_exact(), "{name}");
            let want_d = exp["ks_statistic"].as_f64().unwrap();
            assert!(
                (r.statistic.value - want_d).abs() <= 1e-12,
                "{name}: D {} vs {want_d}",
                r.statistic.value
            );
            close_p("ks_pvalue", name, r.pvalue.value, &exp["ks_pvalue"]);
            let w = wasserstein_from_profiles(&grid, &pb, &pc, g).unwrap();
            assert!(w.is_exact(), "{name}: {w:?}");
            close("wasserstein", name, w.value, &exp["wasserstein"], 1e-9);
            let normed = wasserstein::wasserstein_normed(w.value, pb.std(0).unwrap());
            close(
                "wasserstein_normed",
                name,
                normed,
                &exp["wasserstein_normed"],
                1e-9,
            );
            let bounds = grid.bin_boundaries(&cuts).unwrap();
            let (cb, cc) = (pb.bin_counts(&bounds), pc.bin_counts(&bounds));
            assert_eq!(serde_json::json!(cb), exp["baseline_counts"], "{name}");
            assert_eq!(serde_json::json!(cc), exp["current_counts"], "{name}");
            let (p_b, p_c) = (binning::proportions(&cb), binning::proportions(&cc));
            close("psi", name, divergence::psi(&p_b, &p_c), &exp["psi"], 1e-9);
            for (side, p, values) in [
                ("baseline", &pb, g.map(|g| &g.baseline)),
                ("current", &pc, g.map(|g| &g.current)),
            ] {
                let (s, exact) = p.summary(&grid, values).unwrap();
                assert!(exact, "{name}: {side} quartiles");
                check_summary(name, &s, &exp[format!("{side}_summary")]);
            }
        }
    }
}

/// One side of a categorical case as the column a file would give: text (with nulls), booleans,
/// integers or floats, each in its own dtype.
fn categorical_frame(values: &Value) -> DataFrame {
    let items = values.as_array().unwrap();
    let present = || items.iter().filter(|x| !x.is_null());
    let column = if present().all(Value::is_boolean) && present().next().is_some() {
        let v: Vec<Option<bool>> = items.iter().map(Value::as_bool).collect();
        Column::new("x".into(), v)
    } else if present().all(Value::is_i64) && present().next().is_some() {
        let v: Vec<Option<i64>> = items.iter().map(Value::as_i64).collect();
        Column::new("x".into(), v)
    } else if present().all(Value::is_number) && present().next().is_some() {
        let v: Vec<Option<f64>> = items.iter().map(Value::as_f64).collect();
        Column::new("x".into(), v)
    } else {
        Column::new("x".into(), json_values::as_labels(items))
    };
    DataFrame::new_infer_height(vec![column]).unwrap()
}

/// An optional statistic: absent where scipy gave none.
fn close_opt(what: &str, case: &str, got: Option<f64>, want: &Value, rel: f64) {
    if want.is_null() {
        assert!(got.is_none(), "{case}: {what}: {got:?}, scipy gave none");
    } else {
        close(what, case, got.unwrap_or(f64::NAN), want, rel);
    }
}

/// Through the production path: the column coded against one dictionary (baseline first), the
/// baseline's counts as the reference, `categorical_drift` as the report calls it.
#[test]
fn categorical_statistics_equal_scipy() {
    for case in cases("categorical.json") {
        let name = case["name"].as_str().unwrap();
        let exp = &case["expected"];
        let (fb, fc) = (
            categorical_frame(&case["baseline"]),
            categorical_frame(&case["current"]),
        );
        let mut dict = Dictionary::default();
        let b = label_codes(&fb, "x", &mut dict).unwrap();
        let c = label_codes(&fc, "x", &mut dict).unwrap();
        let reference = CategoricalReference::of(b.iter(), dict.len());
        let d = categorical_drift(
            "x",
            &reference,
            c.iter(),
            &dict.labels,
            &DriftSettings::default(),
        );
        let st = &d.stats;
        assert_eq!(serde_json::json!(st.bin_labels), exp["labels"], "{name}");
        assert_eq!(serde_json::json!(d.n_baseline), exp["n_baseline"], "{name}");
        assert_eq!(serde_json::json!(d.n_current), exp["n_current"], "{name}");
        for (what, got) in [
            ("null_rate_baseline", st.null_rate_baseline),
            ("null_rate_current", st.null_rate_current),
        ] {
            close(what, name, got, &exp[what], 1e-12);
        }
        let stat = &exp["chi2_statistic"];
        close_opt("chi2_statistic", name, st.chi2_statistic, stat, 1e-9);
        if !exp["chi2_pvalue"].is_null() {
            close_p(
                "chi2_pvalue",
                name,
                st.chi2_pvalue.unwrap(),
                &exp["chi2_pvalue"],
            );
        }
        assert_eq!(serde_json::json!(st.chi2_dof), exp["chi2_dof"], "{name}");
        assert_eq!(
            serde_json::json!(st.new_categories),
            exp["new_categories"],
            "{name}"
        );
        assert_eq!(
            serde_json::json!(st.missing_categories),
            exp["missing_categories"],
            "{name}"
        );
        for (what, got, key) in [
            (
                "new_category_rate",
                st.new_category_rate,
                "new_category_rate",
            ),
            ("l_infinity", st.l_infinity, "l_infinity"),
            ("psi", st.psi, "psi"),
            ("kl_cb", st.kl_current_baseline, "kl_current_baseline"),
            ("kl_bc", st.kl_baseline_current, "kl_baseline_current"),
            ("js", st.js_distance, "js_distance"),
            ("hellinger", st.hellinger, "hellinger"),
        ] {
            close_opt(what, name, got, &exp[key], 1e-9);
        }
    }
}
