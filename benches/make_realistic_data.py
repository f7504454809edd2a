#!/usr/bin/env python3
"""Realistic benchmark data: a baseline and a year of logs with continuous values.

The numbers come from a real dataset — scikit-learn's bundled Wisconsin breast-cancer
measurements (569 rows, 30 continuous columns; bundled with scikit-learn, so nothing is fetched) —
resampled with replacement and jittered by 5 % of each column's standard deviation, so that a
million rows hold about a million distinct values per column, as production logs do. 12 numeric
features, 4 categorical ones (cut from other real columns, 3–12 values), a 6-value `region`, a
2-value `model_version`, timestamps over a year, a score, a prediction, a label on 30 % of rows,
and a latency (the baseline: a score, a prediction and a label on every row). The log drifts: from day 200 one region's mix grows and two features shift in it.

    .venv/bin/python benches/make_realistic_data.py BASELINE_ROWS LOG_ROWS OUT_DIR [--seed S]

Writes OUT_DIR/real_baseline_<B>.parquet and OUT_DIR/real_log_<L>.parquet.
"""

import pathlib
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.datasets import load_breast_cancer

REGIONS = ["north", "south", "east", "west", "central", "islands"]
NUMERIC = 12
CATEGORICAL = [(12, 4), (13, 6), (14, 8), (15, 12)]  # (source column, number of values)


def frame(n, rng, src, year_start_ms, drift):
    data, target = src
    idx = rng.integers(0, data.shape[0], size=n)
    x = data[idx].astype(np.float64)
    sd = data.std(axis=0)
    x += rng.normal(0.0, 0.05, size=x.shape) * sd
    cols = {}
    day = None
    if drift:
        ts = np.sort(rng.integers(0, 365 * 86_400_000, size=n)) + year_start_ms
        day = (ts - year_start_ms) // 86_400_000
        cols["ts"] = pa.array(ts, type=pa.timestamp("ms", tz="UTC"))
        cols["request_id"] = pa.array(np.char.add("r", np.arange(n).astype(str)))
    p_region = np.array([0.3, 0.2, 0.2, 0.15, 0.1, 0.05])
    region = rng.choice(len(REGIONS), size=n, p=p_region)
    if drift:
        late = day >= 200
        # From day 200, a third of the traffic comes from "islands".
        region = np.where(late & (rng.random(n) < 0.3), 5, region)
        shifted = late & (region == 5)
        x[shifted, 0] += 1.5 * sd[0]
        x[shifted, 3] *= 1.4
    for j in range(NUMERIC):
        cols[f"f{j:02d}"] = pa.array(x[:, j])
    for k, (j, values) in enumerate(CATEGORICAL):
        edges = np.quantile(data[:, j], np.linspace(0, 1, values + 1)[1:-1])
        codes = np.searchsorted(edges, x[:, j])
        cols[f"c{k}"] = pa.array(np.char.add(f"c{k}_", codes.astype(str)))
    cols["region"] = pa.array(np.array(REGIONS)[region])
    score = 1.0 / (1.0 + np.exp(-(x[:, 0] - data[:, 0].mean()) / sd[0] * 2.0))
    label = (rng.random(n) < score).astype(np.int64)
    if drift:
        cols["model_version"] = pa.array(np.where(day < 120, "v1", "v2"))
        cols["score"] = pa.array(score)
        cols["prediction"] = pa.array((score >= 0.5).astype(np.int64))
        has_label = rng.random(n) < 0.3
        cols["label"] = pa.array(np.where(has_label, label, 0), mask=~has_label)
        cols["latency_ms"] = pa.array(rng.gamma(2.0, 20.0, size=n))
    else:
        # A held-out split scored by the production model, as a training baseline is: its
        # score and prediction are the error rates' reference.
        cols["score"] = pa.array(score)
        cols["prediction"] = pa.array((score >= 0.5).astype(np.int64))
        cols["label"] = pa.array(label)
    return pa.table(cols)


def main():
    b, n = int(sys.argv[1]), int(sys.argv[2])
    out = pathlib.Path(sys.argv[3])
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 1
    out.mkdir(parents=True, exist_ok=True)
    src = load_breast_cancer(return_X_y=True)
    # One stream per file: a log made beside an existing baseline must not repeat its draws.
    base_rng = np.random.default_rng([seed, 0, b])
    log_rng = np.random.default_rng([seed, 1, n])
    start = 1_735_689_600_000  # 2025-01-01T00:00:00Z
    bpath = out / f"real_baseline_{b}.parquet"
    if not bpath.exists():
        pq.write_table(frame(b, base_rng, src, start, False), bpath, compression="zstd")
    pq.write_table(frame(n, log_rng, src, start, True), out / f"real_log_{n}.parquet", compression="zstd")


if __name__ == "__main__":
    main()
