#!/usr/bin/env python3
"""Reference performance metrics from scikit-learn (pinned in sample-data/generator/requirements.txt,
which the sample generator also uses).

    .venv/bin/python tests/reference/make_metrics_reference.py

Writes tests/reference/fixtures/metrics.json; tests/reference_metrics.rs recomputes every value
and compares to 1e-9 relative.
"""

import json
import pathlib

import numpy as np
import sklearn
from sklearn import metrics as m

OUT = pathlib.Path(__file__).resolve().parent / "fixtures" / "metrics.json"


def main():
    rng = np.random.default_rng(5)
    cases = []
    for name, n, base in [("balanced", 400, 0.5), ("rare_positives", 3000, 0.04), ("ties_in_scores", 500, 0.3)]:
        y = (rng.random(n) < base).astype(int)
        score = np.clip(0.35 * y + rng.normal(0.3, 0.2, n), 0, 1)
        if name == "ties_in_scores":
            score = np.round(score, 1)
        pred = (score >= 0.45).astype(int)
        cases.append({
            "name": name, "kind": "classification",
            "label": y.tolist(), "prediction": pred.tolist(), "score": score.tolist(),
            "expected": {
                "accuracy": m.accuracy_score(y, pred),
                "precision": m.precision_score(y, pred),
                "recall": m.recall_score(y, pred),
                "f1": m.f1_score(y, pred),
                "roc_auc": m.roc_auc_score(y, score),
                "log_loss": m.log_loss(y, score),
            },
        })
    labels = np.array(["cat", "dog", "fox", "owl"])
    y = labels[rng.integers(0, 4, 500)]
    pred = np.where(rng.random(500) < 0.7, y, labels[rng.integers(0, 4, 500)])
    cases.append({
        "name": "multiclass_macro", "kind": "multiclass",
        "label": y.tolist(), "prediction": pred.tolist(),
        "expected": {
            "accuracy": m.accuracy_score(y, pred),
            "precision": m.precision_score(y, pred, average="macro"),
            "recall": m.recall_score(y, pred, average="macro"),
            "f1": m.f1_score(y, pred, average="macro"),
        },
    })
    y = rng.lognormal(3, 0.5, 600)
    p = y * rng.normal(1, 0.1, 600) + rng.normal(0, 2, 600)
    cases.append({
        "name": "regression", "kind": "regression", "label": y.tolist(), "prediction": p.tolist(),
        "expected": {
            "mae": m.mean_absolute_error(y, p),
            "rmse": m.root_mean_squared_error(y, p),
            "mape": m.mean_absolute_percentage_error(y, p),
            "r2": m.r2_score(y, p),
        },
    })
    with open(OUT, "w") as fh:
        json.dump({"generated_by": "tests/reference/make_metrics_reference.py",
                   "versions": {"scikit-learn": sklearn.__version__, "numpy": np.__version__},
                   "cases": cases}, fh, separators=(",", ":"))
        fh.write("\n")


if __name__ == "__main__":
    main()
