#!/usr/bin/env python3
"""Generate driftscope's sample investigation: card-fraud scoring, one week of production logs.

Deterministic: every random draw comes from one seeded generator, so running

    python3 -m venv .venv && .venv/bin/pip install -r sample-data/generator/requirements.txt
    .venv/bin/python sample-data/generator/generate.py

rewrites the committed files byte for byte. What is planted where is described in
sample-data/README.md; the constants below are the single source of those facts.

Outputs (in sample-data/):
  baseline.parquet            held-out split of the training data, with label and the production
                              model's prediction and score
  predictions.jsonl           the week of prediction logs, one JSON object per line, features nested
  predictions.parquet         the same log as a flat Parquet file
  models/fraud_gbm_v3.onnx    the production model (scikit-learn pipeline, exported with skl2onnx)
  models/fraud_gbm_v4_candidate.onnx   the candidate model
"""

from __future__ import annotations

import json
import pathlib
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import onnxruntime as ort
import pyarrow as pa
import pyarrow.parquet as pq
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

SEED = 20261102
OUT = pathlib.Path(__file__).resolve().parent.parent

# ---- the world -------------------------------------------------------------------------------
MERCHANTS = ["grocery", "restaurants", "fuel", "pharmacy", "online_retail", "electronics",
             "travel", "entertainment", "gaming", "jewelry"]
MERCHANT_P = [0.24, 0.16, 0.12, 0.07, 0.15, 0.07, 0.05, 0.07, 0.04, 0.03]
RISKY_MERCHANTS = {"electronics": 1.1, "jewelry": 1.3, "gaming": 1.0, "online_retail": 0.6,
                   "travel": 0.4}
DEVICES = ["mobile", "desktop", "tablet", "pos_terminal"]
DEVICE_P = [0.38, 0.22, 0.08, 0.32]
TRAINING_REGIONS = ["us-east", "us-west", "us-central", "eu-west", "eu-central"]
TRAINING_REGION_P = [0.30, 0.22, 0.18, 0.18, 0.12]
UTC_OFFSET_H = {"us-east": -5, "us-west": -8, "us-central": -6, "eu-west": 0, "eu-central": 1,
                "ap-southeast": 8}

NUMERIC = ["amount", "account_age_days", "hour", "distance_from_home_km", "txn_count_24h",
           "card_present"]
CATEGORICAL = ["merchant_category", "device", "region"]

# ---- the week and its incidents (see sample-data/README.md) --------------------------------
LOG_START = datetime(2026, 11, 2, tzinfo=timezone.utc)
LOG_DAYS = 7
ROWS_PER_DAY = 1500
NULL_INCIDENT_START = datetime(2026, 11, 4, 9, 0, tzinfo=timezone.utc)
NULL_INCIDENT_REGION = "us-west"
NULL_INCIDENT_RATE = 0.30
NEW_REGION = "ap-southeast"
NEW_REGION_START = datetime(2026, 11, 5, 0, 0, tzinfo=timezone.utc)
NEW_REGION_SHARE = 0.14
VERSION_OLD = "fraud-gbm-3.0"
VERSION_NEW = "fraud-gbm-3.1"
VERSION_SWITCH = datetime(2026, 11, 6, 14, 0, tzinfo=timezone.utc)
CENTS_DEVICE = "mobile"  # under 3.1 the mobile path sends the amount to the model in cents
CONCEPT_SHIFT_START = datetime(2026, 11, 7, 0, 0, tzinfo=timezone.utc)
CONCEPT_SHIFT_MAX_AMOUNT = 15.0  # card testing: small amounts turn fraudulent
CONCEPT_SHIFT_FRAUD_RATE = 0.30
THRESHOLD = 0.25  # the operating point: flag for review at a 25 % fraud probability


def sample_features(rng: np.random.Generator, n: int, regions, region_p, hours_utc=None,
                    new_region: bool = False) -> dict[str, np.ndarray]:
    """Draws n transactions. `hours_utc` (when given) ties the local hour to the log time."""
    region = rng.choice(regions, size=n, p=region_p)
    merchant = rng.choice(MERCHANTS, size=n, p=MERCHANT_P)
    device = rng.choice(DEVICES, size=n, p=DEVICE_P)
    amount = np.exp(rng.normal(3.4, 1.05, size=n))
    amount *= np.where(np.isin(merchant, ["electronics", "travel", "jewelry"]), 3.0, 1.0)
    account_age = np.floor(rng.gamma(2.0, 420.0, size=n)).astype(np.int64)
    distance = np.round(rng.exponential(18.0, size=n), 1)
    txn_count = rng.poisson(2.2, size=n).astype(np.int64)
    card_present = (device == "pos_terminal") | (rng.random(n) < 0.05)
    if hours_utc is None:
        # Training data has no log time: draw the UTC hour from the same daily cycle as the log.
        hours_utc = rng.choice(24, size=n, p=diurnal_weights())
    hour = (hours_utc + np.array([UTC_OFFSET_H[r] for r in region])) % 24
    if new_region:
        # A market the model never saw: bigger tickets, more travel and electronics, mobile-first.
        amount *= np.exp(rng.normal(0.7, 0.3, size=n))
        merchant = rng.choice(MERCHANTS, size=n,
                              p=[0.12, 0.12, 0.05, 0.04, 0.2, 0.17, 0.16, 0.06, 0.06, 0.02])
        device = rng.choice(DEVICES, size=n, p=[0.72, 0.12, 0.06, 0.10])
        card_present = (device == "pos_terminal") | (rng.random(n) < 0.05)
        account_age = np.floor(rng.gamma(1.3, 160.0, size=n)).astype(np.int64)
        distance = np.round(rng.exponential(120.0, size=n), 1)
    return {
        "amount": np.round(amount, 2),
        "merchant_category": merchant,
        "device": device,
        "account_age_days": account_age,
        "hour": hour.astype(np.int64),
        "region": region,
        "distance_from_home_km": distance,
        "txn_count_24h": txn_count,
        "card_present": card_present,
    }


def diurnal_weights() -> np.ndarray:
    w = 0.35 + np.sin((np.arange(24) - 6) / 24 * 2 * np.pi).clip(0) + 0.15
    return w / w.sum()


def fraud_probability(f: dict[str, np.ndarray]) -> np.ndarray:
    """The ground truth the model should learn."""
    logit = (-3.7
             + 0.85 * (np.log(f["amount"]) - 3.4)
             + np.array([RISKY_MERCHANTS.get(m, 0.0) for m in f["merchant_category"]])
             + 1.1 * ((f["hour"] >= 0) & (f["hour"] <= 4))
             + 0.9 * (f["distance_from_home_km"] > 80)
             + 0.35 * np.clip(f["txn_count_24h"] - 3, 0, None)
             - 0.9 * (f["account_age_days"] > 365)
             - 0.8 * f["card_present"])
    return 1.0 / (1.0 + np.exp(-logit))


def model_matrix(f: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The columns as the pipeline takes them: numbers as float, categories as text."""
    cols = {c: np.asarray(f[c]).astype(np.float64) for c in NUMERIC}
    cols.update({c: np.asarray(f[c]).astype(str).astype(object) for c in CATEGORICAL})
    return cols


def pipeline(model) -> Pipeline:
    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    pre = ColumnTransformer([
        ("num", numeric, NUMERIC),
        ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
    ])
    return Pipeline([("pre", pre), ("clf", model)])


def as_frame(cols: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame({c: cols[c] for c in NUMERIC + CATEGORICAL})


def export(pipe: Pipeline, name: str, path: pathlib.Path) -> None:
    # One named input per log column, as deployed models are usually fed: the ColumnTransformer
    # selects columns by name, and skl2onnx turns each name into a graph input.
    initial = [(c, FloatTensorType([None, 1])) for c in NUMERIC]
    initial += [(c, StringTensorType([None, 1])) for c in CATEGORICAL]
    onx = to_onnx(pipe, initial_types=initial, target_opset={"": 17, "ai.onnx.ml": 3},
                  options={id(pipe.steps[-1][1]): {"zipmap": True}})
    onx.producer_name = "skl2onnx"
    onx.doc_string = f"driftscope sample model {name}"
    meta = onx.metadata_props.add()
    meta.key = "driftscope.model_name"
    meta.value = name
    meta = onx.metadata_props.add()
    meta.key = "driftscope.feature_order"
    meta.value = ",".join(NUMERIC + CATEGORICAL)
    path.write_bytes(onx.SerializeToString())


def onnx_scores(path: pathlib.Path, cols: dict[str, np.ndarray]) -> np.ndarray:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    feeds = {}
    for c in NUMERIC:
        feeds[c] = np.asarray(cols[c], dtype=np.float32).reshape(-1, 1)
    for c in CATEGORICAL:
        feeds[c] = np.asarray(cols[c], dtype=object).astype(str).reshape(-1, 1)
    label, proba = sess.run(None, feeds)
    return np.array([p[1] for p in proba], dtype=np.float64)


def main() -> None:
    rng = np.random.default_rng(SEED)
    (OUT / "models").mkdir(exist_ok=True)

    # ---- training data and the two models -------------------------------------------------
    train = sample_features(rng, 8000, TRAINING_REGIONS, TRAINING_REGION_P)
    y_train = (rng.random(8000) < fraud_probability(train)).astype(np.int64)
    base = sample_features(rng, 12000, TRAINING_REGIONS, TRAINING_REGION_P)
    y_base = (rng.random(12000) < fraud_probability(base)).astype(np.int64)

    production = pipeline(GradientBoostingClassifier(n_estimators=120, max_depth=3,
                                                     learning_rate=0.1, random_state=SEED))
    production.fit(as_frame(model_matrix(train)), y_train)
    candidate = pipeline(GradientBoostingClassifier(n_estimators=160, max_depth=4,
                                                    learning_rate=0.05, subsample=0.8,
                                                    random_state=SEED + 1))
    candidate.fit(as_frame(model_matrix(train)), y_train)
    prod_path = OUT / "models" / "fraud_gbm_v3.onnx"
    cand_path = OUT / "models" / "fraud_gbm_v4_candidate.onnx"
    export(production, "fraud-gbm-3", prod_path)
    export(candidate, "fraud-gbm-4-candidate", cand_path)

    base_score = onnx_scores(prod_path, model_matrix(base))
    baseline = dict(base)
    baseline["label"] = y_base
    baseline["prediction"] = (base_score >= THRESHOLD).astype(np.int64)
    baseline["score"] = base_score
    write_parquet(OUT / "baseline.parquet", baseline, timestamp=None)

    # ---- the week of logs ------------------------------------------------------------------
    n = LOG_DAYS * ROWS_PER_DAY
    day_w = diurnal_weights()
    minute = np.sort(rng.choice(24 * 60 * LOG_DAYS, size=n,
                                p=np.repeat(np.tile(day_w, LOG_DAYS) / LOG_DAYS / 60, 60)))
    seconds = minute * 60 + rng.integers(0, 60, size=n)
    millis = rng.integers(0, 1000, size=n)
    ts = np.array([LOG_START + timedelta(seconds=int(s), milliseconds=int(ms))
                   for s, ms in zip(seconds, millis)])
    hours_utc = np.array([t.hour for t in ts])

    feats = sample_features(rng, n, TRAINING_REGIONS, TRAINING_REGION_P, hours_utc=hours_utc)
    new_mask = (ts >= NEW_REGION_START) & (rng.random(n) < NEW_REGION_SHARE)
    newf = sample_features(rng, int(new_mask.sum()), [NEW_REGION], [1.0],
                           hours_utc=hours_utc[new_mask], new_region=True)
    for c in feats:
        feats[c] = feats[c].astype(object) if feats[c].dtype.kind in "OU" else feats[c]
        feats[c][new_mask] = newf[c]

    truth = fraud_probability(feats)
    shift = (ts >= CONCEPT_SHIFT_START) & (feats["amount"] <= CONCEPT_SHIFT_MAX_AMOUNT)
    truth = np.where(shift, CONCEPT_SHIFT_FRAUD_RATE, truth)
    label = (rng.random(n) < truth).astype(np.int64)

    # Upstream change: account age goes missing in one region.
    age = feats["account_age_days"].astype(np.float64)
    null_mask = ((ts >= NULL_INCIDENT_START) & (feats["region"] == NULL_INCIDENT_REGION)
                 & (rng.random(n) < NULL_INCIDENT_RATE))
    age[null_mask] = np.nan

    version = np.where(ts >= VERSION_SWITCH, VERSION_NEW, VERSION_OLD)
    served = dict(feats)
    served["account_age_days"] = age
    cents = (version == VERSION_NEW) & (feats["device"] == CENTS_DEVICE)
    served["amount"] = np.where(cents, feats["amount"] * 100.0, feats["amount"])
    score = onnx_scores(prod_path, model_matrix(served))
    prediction = (score >= THRESHOLD).astype(np.int64)

    latency = np.round(np.exp(rng.normal(2.6, 0.35, size=n))
                       + np.where(version == VERSION_NEW, 4.0, 0.0)
                       + np.where(feats["region"] == NEW_REGION, 35.0, 0.0), 2)

    # Labels arrive late: chargebacks take days, so the newest rows are mostly unlabelled.
    age_h = (LOG_START + timedelta(days=LOG_DAYS) - ts) / timedelta(hours=1)
    p_labelled = np.clip(0.15 + age_h.astype(np.float64) / 48.0 * 0.7, 0.15, 0.9)
    labelled = rng.random(n) < p_labelled
    request_id = [f"req-{x:012x}" for x in rng.integers(0, 2**48, size=n)]

    log = {
        "ts": ts,
        "request_id": np.array(request_id, dtype=object),
        "model_version": version,
        **{c: feats[c] for c in feats},
        "prediction": prediction,
        "score": score,
        "latency_ms": latency,
        "label": np.where(labelled, label, -1),
    }
    log["account_age_days"] = age
    write_jsonl(OUT / "predictions.jsonl", log, labelled)
    write_parquet(OUT / "predictions.parquet", log, timestamp="ts", labelled=labelled)

    print(f"baseline: {len(y_base)} rows, fraud rate {y_base.mean():.3f}")
    print(f"log: {n} rows, fraud rate {label.mean():.3f}, labelled {labelled.mean():.2f}, "
          f"new region {new_mask.sum()}, nulls {null_mask.sum()}, cents {cents.sum()}, "
          f"concept-shift rows {shift.sum()}")


FEATURE_KEYS = ["amount", "merchant_category", "device", "account_age_days", "hour", "region",
                "distance_from_home_km", "txn_count_24h", "card_present"]


def py(v):
    """A numpy scalar as the JSON value a logging library would write."""
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return None if np.isnan(v) else float(v)
    return v


def write_jsonl(path: pathlib.Path, log: dict, labelled: np.ndarray) -> None:
    n = len(log["ts"])
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for i in range(n):
            t = log["ts"][i]
            features = {}
            for k in FEATURE_KEYS:
                v = py(log[k][i])
                if k == "account_age_days" and v is not None:
                    v = int(v)
                features[k] = v
            row = {
                "ts": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z",
                "request_id": log["request_id"][i],
                "model_version": str(log["model_version"][i]),
                "features": features,
                "prediction": py(log["prediction"][i]),
                "score": py(log["score"][i]),
                "latency_ms": py(log["latency_ms"][i]),
                "label": py(log["label"][i]) if labelled[i] else None,
            }
            fh.write(json.dumps(row, separators=(",", ":")) + "\n")


def write_parquet(path: pathlib.Path, cols: dict, timestamp, labelled=None) -> None:
    arrays, names = [], []
    for k, v in cols.items():
        if k == timestamp:
            arr = pa.array(list(v), type=pa.timestamp("ms", tz="UTC"))
        elif k == "account_age_days":
            vals = np.asarray(v, dtype=np.float64)
            arr = pa.array([None if np.isnan(x) else int(x) for x in vals], type=pa.int64())
        elif k == "label" and labelled is not None:
            arr = pa.array([int(x) if m else None for x, m in zip(v, labelled)], type=pa.int64())
        elif np.asarray(v).dtype.kind in "OU":
            arr = pa.array([str(x) for x in v], type=pa.string())
        else:
            arr = pa.array(np.asarray(v))
        arrays.append(arr)
        names.append(k)
    table = pa.Table.from_arrays(arrays, names=names)
    pq.write_table(table, path, compression="zstd", write_statistics=True)


if __name__ == "__main__":
    main()
