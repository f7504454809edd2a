#!/usr/bin/env python3
"""The peer of `driftscope replay`: onnxruntime's Python API on the same rows, the same batch size,
the same model, writing the same answers next to the rows. Prints rows per second.

    .venv/bin/python benches/peer_replay.py MODEL.onnx LOG.parquet OUT.parquet [BATCH]
"""

import sys
import time

import numpy as np
import onnxruntime as ort
import pyarrow as pa
import pyarrow.parquet as pq


def main():
    model, log, out = sys.argv[1:4]
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 4096
    start = time.perf_counter()
    table = pq.read_table(log)
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    feeds = {}
    for i in sess.get_inputs():
        col = table.column(i.name)
        if i.type == "tensor(string)":
            feeds[i.name] = np.asarray(col.to_pylist(), dtype=object).reshape(-1, 1)
        else:
            feeds[i.name] = np.asarray(col.cast(pa.float32()).to_numpy(zero_copy_only=False), dtype=np.float32).reshape(-1, 1)
    n = table.num_rows
    model_start = time.perf_counter()
    labels = np.empty(n, dtype=np.int64)
    probs = np.empty((n, 2), dtype=np.float32)
    for s in range(0, n, batch):
        e = min(n, s + batch)
        lab, zipmap = sess.run(None, {k: v[s:e] for k, v in feeds.items()})
        labels[s:e] = lab
        probs[s:e] = [[d[0], d[1]] for d in zipmap]
    model_took = time.perf_counter() - model_start
    table = table.append_column("replay_label", pa.array(labels)).append_column(
        "replay_score", pa.array(probs[:, 1].astype(np.float64)))
    pq.write_table(table, out)
    took = time.perf_counter() - start
    print(f"onnxruntime-python {ort.__version__}: the model answered {n} rows in {model_took:.2f} s "
          f"({n / model_took:,.0f} rows/s); {took:.2f} s with reading and writing")


if __name__ == "__main__":
    main()
