#!/usr/bin/env python3
"""The peer for the realistic drift benchmark: Evidently 0.7.23's DataDriftPreset on the whole log
and once per `region` value (what driftscope's report holds: overall and per segment), on the
columns driftscope analyses in both files (12 numeric and 4 categorical features, the label).
Prints the seconds of one run, reading both Parquet files included.

    .venv-evidently/bin/python benches/peer_drift_real.py BASELINE LOG [--overall-only]
"""

import sys
import time

import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset

NUMERICAL = [f"f{j:02d}" for j in range(12)]
CATEGORICAL = [f"c{k}" for k in range(4)] + ["label"]


def main():
    baseline, log = sys.argv[1], sys.argv[2]
    overall_only = "--overall-only" in sys.argv
    t0 = time.perf_counter()
    ref = pd.read_parquet(baseline, columns=NUMERICAL + CATEGORICAL + ["region"])
    cur = pd.read_parquet(log, columns=NUMERICAL + CATEGORICAL + ["region"])
    dd = DataDefinition(numerical_columns=NUMERICAL, categorical_columns=CATEGORICAL)
    slices = [(ref, cur)]
    if not overall_only:
        for value in sorted(cur["region"].unique()):
            r, c = ref[ref["region"] == value], cur[cur["region"] == value]
            if len(r) and len(c):
                slices.append((r, c))
    for r, c in slices:
        snap = Report([DataDriftPreset()]).run(
            Dataset.from_pandas(c[NUMERICAL + CATEGORICAL].reset_index(drop=True), data_definition=dd),
            Dataset.from_pandas(r[NUMERICAL + CATEGORICAL].reset_index(drop=True), data_definition=dd),
        )
        snap.dict()
    print(f"{time.perf_counter() - t0:.3f}")


if __name__ == "__main__":
    main()
