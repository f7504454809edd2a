#!/usr/bin/env python3
"""The peer for the load benchmark: what an Evidently or NannyML user runs before any analysis —
read the log into pandas and parse the timestamps. Prints the best of R runs per file, in seconds.

    .venv/bin/python benches/peer_load.py 3 FILE...
"""

import json
import sys
import time

import pandas as pd


def load(path):
    if path.endswith(".parquet"):
        df = pd.read_parquet(path)
    elif path.endswith(".csv"):
        df = pd.read_csv(path)
        df["ts"] = pd.to_datetime(df["ts"], utc=True, format="ISO8601")
    else:
        df = pd.json_normalize([json.loads(line) for line in open(path)])
        df["ts"] = pd.to_datetime(df["ts"], utc=True, format="ISO8601")
    return df


def main():
    runs = int(sys.argv[1])
    for path in sys.argv[2:]:
        best = min(timed(path) for _ in range(runs))
        print(f"{path}\t{best:.3f}")


def timed(path):
    t0 = time.perf_counter()
    df = load(path)
    assert len(df) > 0
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
