#!/usr/bin/env python3
"""The peer for the drift benchmark: Evidently 0.7.23's DataDriftPreset on the same baseline and
log, the same columns (as driftscope infers them: numerical and categorical features, prediction,
score, label). Prints the best of R runs in seconds, including reading both Parquet files.

    .venv-evidently/bin/python benches/peer_drift.py 2 sample-data/baseline.parquet target/bench-data/log_1000000.parquet
"""

import sys
import time

import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset

NUMERICAL = ["amount", "account_age_days", "hour", "distance_from_home_km", "txn_count_24h", "score"]
CATEGORICAL = ["merchant_category", "card_present", "prediction", "label"]


def run(baseline, log):
    t0 = time.perf_counter()
    ref = pd.read_parquet(baseline, columns=NUMERICAL + CATEGORICAL)
    cur = pd.read_parquet(log, columns=NUMERICAL + CATEGORICAL)
    dd = DataDefinition(numerical_columns=NUMERICAL, categorical_columns=CATEGORICAL)
    snap = Report([DataDriftPreset()]).run(Dataset.from_pandas(cur, data_definition=dd),
                                          Dataset.from_pandas(ref, data_definition=dd))
    snap.dict()
    return time.perf_counter() - t0


def main():
    runs = int(sys.argv[1])
    print(f"{min(run(sys.argv[2], sys.argv[3]) for _ in range(runs)):.3f}")


if __name__ == "__main__":
    main()
