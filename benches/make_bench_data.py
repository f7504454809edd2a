#!/usr/bin/env python3
"""Scales the sample log up for benchmarks: N rows drawn (with replacement, seeded) from
sample-data/predictions.parquet, fresh request ids, timestamps spread over the week.

    .venv/bin/python benches/make_bench_data.py 1000000 target/bench-data
    .venv/bin/python benches/make_bench_data.py 10000000 target/bench-data --parquet-only

Writes log_<N>.parquet, and unless --parquet-only, log_<N>.jsonl (features nested, as the sample)
and log_<N>.csv.
"""

import json
import pathlib
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROOT = pathlib.Path(__file__).resolve().parent.parent
FEATURES = ["amount", "merchant_category", "device", "account_age_days", "hour", "region",
            "distance_from_home_km", "txn_count_24h", "card_present"]


def main():
    n = int(sys.argv[1])
    out = pathlib.Path(sys.argv[2])
    parquet_only = "--parquet-only" in sys.argv
    out.mkdir(parents=True, exist_ok=True)
    src = pq.read_table(ROOT / "sample-data" / "predictions.parquet")
    rng = np.random.default_rng(n)
    idx = rng.integers(0, src.num_rows, size=n)
    t = src.take(pa.array(idx))
    start = pc.min(src["ts"]).value
    week_ms = 7 * 86_400_000
    ts = np.sort(rng.integers(0, week_ms, size=n)) + start
    t = t.set_column(t.schema.get_field_index("ts"), "ts",
                     pa.array(ts, type=pa.timestamp("ms", tz="UTC")))
    ids = np.char.add("req-", np.char.zfill(np.arange(n).astype(str), 12))
    t = t.set_column(t.schema.get_field_index("request_id"), "request_id", pa.array(ids))
    pq.write_table(t, out / f"log_{n}.parquet", compression="zstd")
    if parquet_only:
        return
    pacsv.write_csv(t, out / f"log_{n}.csv")
    cols = t.to_pydict()
    with open(out / f"log_{n}.jsonl", "w") as fh:
        for i in range(n):
            row = {"ts": cols["ts"][i].strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                   "request_id": cols["request_id"][i],
                   "model_version": cols["model_version"][i],
                   "features": {k: cols[k][i] for k in FEATURES},
                   "prediction": cols["prediction"][i], "score": cols["score"][i],
                   "latency_ms": cols["latency_ms"][i], "label": cols["label"][i]}
            fh.write(json.dumps(row, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
