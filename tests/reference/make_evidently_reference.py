#!/usr/bin/env python3
"""Reference verdicts of Evidently 0.7.23's DataDriftPreset, for driftscope's Evidently preset.

    python3 -m venv .venv-evidently
    .venv-evidently/bin/pip install -r tests/reference/requirements-evidently.txt
    .venv-evidently/bin/python tests/reference/make_evidently_reference.py

Writes tests/reference/fixtures/evidently.json: per case the columns (type and values, null =
missing), the method option given to DataDriftPreset (null = Evidently's own choice), and what
Evidently reported: per column the test's display name, its score and the drift verdict, and the
dataset's drifted count and share. tests/reference_evidently.rs recomputes them.
"""

import json
import math
import pathlib
import re

import numpy as np
import pandas as pd
import evidently
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset

OUT = pathlib.Path(__file__).resolve().parent / "fixtures" / "evidently.json"


def drifted(display, score, threshold):
    """Evidently's rule: K-S drifts at p <= threshold, the other p-values at p < threshold,
    distances at score >= threshold (see evidently/legacy/calculations/stattests)."""
    if display == "K-S p_value":
        return score <= threshold
    if display.endswith("p_value"):
        return score < threshold
    return score >= threshold


def run_case(name, columns, method=None):
    ref = pd.DataFrame({c["name"]: c["reference"] for c in columns})
    cur = pd.DataFrame({c["name"]: c["current"] for c in columns})
    dd = DataDefinition(
        numerical_columns=[c["name"] for c in columns if c["type"] == "numerical"],
        categorical_columns=[c["name"] for c in columns if c["type"] == "categorical"],
    )
    preset = DataDriftPreset(method=method) if method else DataDriftPreset()
    snap = Report([preset]).run(Dataset.from_pandas(cur, data_definition=dd),
                                Dataset.from_pandas(ref, data_definition=dd))
    result = snap.dict()
    expected_columns, count, share = [], None, None
    for m in result["metrics"]:
        cfg = m["config"]
        if cfg["type"].endswith("DriftedColumnsCount"):
            count, share = m["value"]["count"], m["value"]["share"]
        elif cfg["type"].endswith("ValueDrift"):
            score = float(m["value"])
            expected_columns.append({
                "name": cfg["column"],
                "method": cfg["method"],
                "threshold": cfg["threshold"],
                "score": score if math.isfinite(score) else None,
                "drifted": drifted(cfg["method"], score, cfg["threshold"]),
            })
    assert sum(c["drifted"] for c in expected_columns) == count, (name, expected_columns, count)

    def clean(values):
        return [None if (isinstance(v, float) and math.isnan(v)) else v for v in values]

    return {
        "name": name,
        "method": method,
        "columns": [{"name": c["name"], "type": c["type"], "reference": clean(c["reference"]),
                     "current": clean(c["current"])} for c in columns],
        "expected": {"columns": expected_columns, "drifted_count": count, "share": share,
                     "dataset_drift": share >= 0.5},
    }


def col(name, kind, reference, current):
    def py(v):
        if isinstance(v, (np.integer,)):
            return int(v)
        if isinstance(v, (np.floating,)):
            return float(v)
        return v.item() if hasattr(v, "item") else v
    return {"name": name, "type": kind, "reference": [py(v) for v in reference],
            "current": [py(v) for v in current]}


def main():
    rng = np.random.default_rng(23)
    r = lambda a: np.round(a, 6)  # noqa: E731

    def small():
        nr, nc = 600, 500
        return [
            col("num_many", "numerical", r(rng.normal(0, 1, nr)), r(rng.normal(0.25, 1, nc))),
            col("num_few", "numerical", rng.integers(0, 4, nr), rng.integers(0, 4, nc)),
            col("num_binary", "numerical", rng.integers(0, 2, nr), (rng.random(nc) < 0.6).astype(int)),
            col("cat3", "categorical", rng.choice(["a", "b", "c"], nr), rng.choice(["a", "b", "c"], nc, p=[.5, .3, .2])),
            col("cat2", "categorical", rng.choice(["x", "y"], nr), rng.choice(["x", "y"], nc)),
            col("num_nulls", "numerical",
                [None if rng.random() < 0.3 else float(x) for x in r(rng.normal(5, 2, nr))],
                [None if rng.random() < 0.1 else float(x) for x in r(rng.normal(5, 2, nc))]),
        ]

    def large():
        nr, nc = 3000, 2500
        return [
            col("num_many", "numerical", r(rng.lognormal(3, 1, nr)), r(rng.lognormal(3.1, 1, nc))),
            col("num_mid", "numerical", rng.integers(0, 12, nr), rng.integers(0, 14, nc)),
            col("num_few", "numerical", rng.integers(0, 3, nr), rng.integers(0, 3, nc)),
            col("cat5", "categorical", rng.choice(list("abcde"), nr), rng.choice(list("abcde"), nc, p=[.3, .3, .2, .1, .1])),
            col("cat_new", "categorical", rng.choice(["us", "eu"], nr), rng.choice(["us", "eu", "ap"], nc, p=[.45, .45, .1])),
            col("cat_gone", "categorical", rng.choice(["p", "q", "s"], nr), rng.choice(["p", "q"], nc)),
        ]

    cases = [
        run_case("small_default", small()),
        run_case("large_default", large()),
        run_case("large_psi", large(), "psi"),
        run_case("large_kl_div", large(), "kl_div"),
        run_case("large_jensenshannon", large(), "jensenshannon"),
        run_case("large_hellinger", large(), "hellinger"),
        run_case("small_chi_new_category", [
            col("cat", "categorical", rng.choice(["a", "b", "c"], 300), rng.choice(["a", "b", "c", "d"], 250)),
        ]),
        run_case("tiny_sturges_edges", [
            col("x", "numerical", r(rng.uniform(0, 10, 1500)), r(rng.uniform(2, 12, 1200))),
        ], "psi"),
    ]
    OUT.parent.mkdir(exist_ok=True)
    with open(OUT, "w") as fh:
        json.dump({"generated_by": "tests/reference/make_evidently_reference.py",
                   "versions": {"evidently": evidently.__version__, "numpy": np.__version__,
                                "pandas": pd.__version__},
                   "cases": cases}, fh, separators=(",", ":"))
        fh.write("\n")


if __name__ == "__main__":
    main()
