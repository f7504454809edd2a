#!/usr/bin/env python3
"""Reference values for driftscope's statistics, computed by scipy and numpy themselves.

    python3 -m venv .venv && .venv/bin/pip install -r tests/reference/requirements.txt
    .venv/bin/python tests/reference/make_reference.py

Writes tests/reference/fixtures/numeric.json and categorical.json: for each case the inputs
(null = missing) and the expected values. The Rust tests (tests/reference_stats.rs) recompute every
value and compare: KS D to 1e-12 absolute, p-values to 1e-6 relative (1e-12 absolute when tiny),
everything else to 1e-9 relative. The definitions that are ours (PSI, KL, Hellinger, binning, the
1e-4 floor) follow DESIGN.md and are written out below in numpy, next to scipy's calls.
"""

import json
import math
import pathlib

import numpy as np
import scipy
from scipy import stats
from scipy.spatial.distance import jensenshannon

OUT = pathlib.Path(__file__).resolve().parent / "fixtures"
EPS = 1e-4  # zero proportions become this, for PSI and KL only


def num(x):
    """A float for JSON: NaN and infinities become null."""
    x = float(x)
    return x if math.isfinite(x) else None


def binned(p_b, p_c):
    fb = np.where(p_b == 0, EPS, p_b)
    fc = np.where(p_c == 0, EPS, p_c)
    kl_cb = float(np.sum(fc * np.log(fc / fb)))
    kl_bc = float(np.sum(fb * np.log(fb / fc)))
    psi = float(np.sum((fc - fb) * np.log(fc / fb)))
    return {
        "psi": psi,
        "kl_current_baseline": kl_cb,
        "kl_baseline_current": kl_bc,
        "js_distance": num(jensenshannon(p_b, p_c, base=2)),
        "hellinger": float(np.sqrt(np.sum((np.sqrt(p_b) - np.sqrt(p_c)) ** 2)) / np.sqrt(2)),
    }


def numeric_case(name, baseline, current):
    b_all = np.array([np.nan if v is None else v for v in baseline], dtype=float)
    c_all = np.array([np.nan if v is None else v for v in current], dtype=float)
    b = b_all[~np.isnan(b_all)]
    c = c_all[~np.isnan(c_all)]
    exp = {
        "n_baseline": int(b.size),
        "n_current": int(c.size),
        "null_rate_baseline": float(np.isnan(b_all).mean()),
        "null_rate_current": float(np.isnan(c_all).mean()),
    }
    if b.size and c.size:
        ks = stats.ks_2samp(b, c)
        n1, n2 = b.size, c.size
        exp["ks_statistic"] = float(ks.statistic)
        exp["ks_pvalue"] = float(ks.pvalue)
        exp["ks_method"] = "exact" if max(n1, n2) <= 10000 else "asymptotic"
        w = stats.wasserstein_distance(b, c)
        exp["wasserstein"] = float(w)
        exp["wasserstein_normed"] = float(w / max(np.std(b), 0.001))
        cuts = np.unique(np.quantile(b, np.arange(1, 10) / 10))
        k = cuts.size + 1
        cb = np.bincount(np.searchsorted(cuts, b, side="right"), minlength=k)
        cc = np.bincount(np.searchsorted(cuts, c, side="right"), minlength=k)
        exp["bin_edges"] = [float(x) for x in cuts]
        exp["baseline_counts"] = [int(x) for x in cb]
        exp["current_counts"] = [int(x) for x in cc]
        exp.update(binned(cb / b.size, cc / c.size))
        exp["out_of_range_rate"] = float(np.mean((c < b.min()) | (c > b.max())))
    for side, x in (("baseline", b), ("current", c)):
        if x.size:
            q = np.quantile(x, [0.25, 0.5, 0.75])
            exp[f"{side}_summary"] = {
                "mean": float(np.mean(x)),
                "std": num(np.std(x, ddof=1)) if x.size > 1 else None,
                "min": float(x.min()),
                "max": float(x.max()),
                "q25": float(q[0]),
                "median": float(q[1]),
                "q75": float(q[2]),
            }
    return {"name": name, "baseline": list(baseline), "current": list(current), "expected": exp}


def label(v):
    """Categorical values compare as labels: integers as 1 (not 1.0), booleans as True/False."""
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def categorical_case(name, baseline, current):
    b = [label(v) for v in baseline if v is not None]
    c = [label(v) for v in current if v is not None]
    labels = sorted(set(b) | set(c))
    cb = np.array([b.count(x) for x in labels], dtype=float)
    cc = np.array([c.count(x) for x in labels], dtype=float)
    exp = {
        "n_baseline": len(b),
        "n_current": len(c),
        "null_rate_baseline": sum(v is None for v in baseline) / len(baseline),
        "null_rate_current": sum(v is None for v in current) / len(current),
        "labels": labels,
    }
    if b and c:
        table = np.vstack([cb, cc])
        if len(labels) == 1:
            chi2, p, dof = 0.0, 1.0, 0
        else:
            res = stats.chi2_contingency(table)
            chi2, p, dof = float(res.statistic), float(res.pvalue), int(res.dof)
        p_b, p_c = cb / cb.sum(), cc / cc.sum()
        exp.update({
            "chi2_statistic": chi2,
            "chi2_pvalue": p,
            "chi2_dof": dof,
            "l_infinity": float(np.max(np.abs(p_b - p_c))),
            "new_categories": [x for x in labels if x not in set(b)],
            "missing_categories": [x for x in labels if x not in set(c)],
            "new_category_rate": float(sum(1 for x in c if x not in set(b)) / len(c)),
        })
        exp.update(binned(p_b, p_c))
    return {"name": name, "baseline": list(baseline), "current": list(current), "expected": exp}


def main():
    rng = np.random.default_rng(7)
    r = lambda a: [round(float(x), 6) for x in a]  # noqa: E731  (inputs exact in JSON)

    numeric = [
        numeric_case("normal_shift", r(rng.normal(0, 1, 200)), r(rng.normal(0.3, 1.2, 150))),
        numeric_case("equal_sizes", r(rng.normal(0, 1, 300)), r(rng.normal(0.1, 1, 300))),
        numeric_case("ties", r(np.round(rng.normal(5, 2, 500))), r(np.round(rng.normal(5.4, 2, 400)))),
        numeric_case("n1_vs_n1", [1.5], [2.5]),
        numeric_case("n1_vs_n5", [0.0], r(rng.normal(0, 1, 5))),
        numeric_case("n2_vs_n2", [1.0, 2.0], [1.5, 3.0]),
        numeric_case("n5_vs_n5", r(rng.normal(0, 1, 5)), r(rng.normal(1, 1, 5))),
        numeric_case("n5_vs_n3", r(rng.normal(0, 1, 5)), r(rng.normal(0, 1, 3))),
        numeric_case("exact_at_10000", r(rng.normal(0, 1, 10000)), r(rng.normal(0.02, 1, 9000))),
        numeric_case("asymptotic_at_10001", r(rng.normal(0, 1, 10001)), r(rng.normal(0.02, 1, 8000))),
        numeric_case("asymptotic_large", r(rng.lognormal(3, 1, 12000)), r(rng.lognormal(3.03, 1, 15000))),
        numeric_case("tiny_pvalue_exact", r(rng.normal(0, 1, 2000)), r(rng.normal(1, 1, 2000))),
        numeric_case("tiny_pvalue_asymptotic", r(rng.normal(0, 1, 20000)), r(rng.normal(0.2, 1, 20000))),
        numeric_case("identical", [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]),
        numeric_case("constant_both", [5.0] * 50, [5.0] * 40),
        numeric_case("constant_baseline", [5.0] * 50, r(rng.normal(5, 1, 40))),
        numeric_case("disjoint", r(rng.uniform(0, 1, 100)), r(rng.uniform(10, 11, 80))),
        numeric_case("heavy_nulls",
                     [None if rng.random() < 0.6 else round(float(x), 6) for x in rng.normal(0, 1, 400)],
                     [None if rng.random() < 0.3 else round(float(x), 6) for x in rng.normal(0.5, 1, 300)]),
        numeric_case("all_null_current", r(rng.normal(0, 1, 30)), [None] * 10),
        numeric_case("integers_wide", [int(x) for x in rng.integers(0, 1000, 700)],
                     [int(x) for x in rng.integers(100, 1200, 650)]),
        numeric_case("out_of_range", r(rng.uniform(0, 100, 300)), r(rng.uniform(50, 150, 200))),
    ]

    cats = ["grocery", "fuel", "travel", "electronics", "jewelry"]
    many = [f"c{i:03d}" for i in range(200)]
    categorical = [
        categorical_case("shifted_mix", list(rng.choice(cats, 600, p=[.4, .3, .15, .1, .05])),
                         list(rng.choice(cats, 500, p=[.3, .3, .2, .1, .1]))),
        categorical_case("two_categories_yates", list(rng.choice(["a", "b"], 300, p=[.7, .3])),
                         list(rng.choice(["a", "b"], 250, p=[.6, .4]))),
        categorical_case("one_category", ["x"] * 20, ["x"] * 30),
        categorical_case("new_category", list(rng.choice(["us-east", "us-west"], 400)),
                         list(rng.choice(["us-east", "us-west", "ap-southeast"], 300, p=[.4, .4, .2]))),
        categorical_case("missing_in_current", list(rng.choice(["a", "b", "c"], 300)),
                         list(rng.choice(["a", "b"], 200))),
        categorical_case("many_categories", list(rng.choice(many, 5000)),
                         list(rng.choice(many[20:] + ["new1", "new2"], 4000))),
        categorical_case("integer_labels", [int(x) for x in rng.integers(0, 4, 300)],
                         [float(x) for x in rng.integers(0, 5, 300)]),
        categorical_case("booleans", [bool(x) for x in rng.random(200) < 0.2],
                         [bool(x) for x in rng.random(150) < 0.35]),
        categorical_case("heavy_nulls",
                         [None if rng.random() < 0.5 else str(x) for x in rng.choice(cats, 300)],
                         [None if rng.random() < 0.1 else str(x) for x in rng.choice(cats, 300)]),
        categorical_case("tiny", ["a"], ["b"]),
    ]

    meta = {"numpy": np.__version__, "scipy": scipy.__version__}
    OUT.mkdir(exist_ok=True)
    for name, cases in (("numeric", numeric), ("categorical", categorical)):
        with open(OUT / f"{name}.json", "w") as fh:
            json.dump({"generated_by": "tests/reference/make_reference.py", "versions": meta,
                       "cases": cases}, fh, separators=(",", ":"))
            fh.write("\n")


if __name__ == "__main__":
    main()
