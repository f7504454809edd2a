#!/usr/bin/env python3
"""Writes the replay fixtures: small models exported with skl2onnx, 300 input rows, and what
onnxruntime's Python API answers for them (the reference driftscope's replay must equal to 1e-5).

    .venv/bin/pip install -r tests/replay/requirements.txt
    .venv/bin/python tests/replay/make_models.py

Models: a logistic regression and an MLP on one [N, 4] float tensor (ZipMap output), a random
forest with three classes (probability tensor, no ZipMap), a gradient-boosting regressor, a
pipeline with an imputer, a scaler and a one-hot encoder over named float and string inputs, a
classifier with text class names (ZipMap with string keys), a LightGBM classifier and regressor
and an XGBoost classifier exported with onnxmltools, and a small neural network written as the
graph a deep-learning export gives (Gemm/Relu/Softmax, symbolic batch dimension, feature names
in its metadata).
"""

import json
import pathlib

import numpy as np
import onnxruntime as ort
import pandas as pd
from skl2onnx import convert_sklearn, to_onnx
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

OUT = pathlib.Path(__file__).resolve().parent / "fixtures"
rng = np.random.default_rng(7)
N_TRAIN, N = 2000, 300


def table(n):
    x = rng.normal(size=(n, 4)).astype(np.float32)
    cat = rng.choice(["red", "green", "blue"], size=n)
    df = pd.DataFrame({f"x{i}": x[:, i] for i in range(4)})
    df["num1"] = (x[:, 0] * 3 + 10).astype(np.float32)
    df["num2"] = (x[:, 1] * 0.5).astype(np.float32)
    df["cat"] = cat
    return df


train, rows = table(N_TRAIN), table(N)
# Missing values for the imputer (only in num1).
rows.loc[rows.index % 17 == 0, "num1"] = np.nan
X = train[[f"x{i}" for i in range(4)]].to_numpy()
y_bin = (X[:, 0] + 0.5 * X[:, 1] - X[:, 2] > 0).astype(np.int64)
y_multi = np.digitize(X[:, 0] + X[:, 3], [-0.7, 0.7]).astype(np.int64)
y_reg = 2 * X[:, 0] - X[:, 1] ** 2 + 0.1 * X[:, 2]
y_text = np.where(y_bin == 1, "fraud", "legit")

models = {}
tensor_in = [("X", FloatTensorType([None, 4]))]
models["logistic"] = convert_sklearn(LogisticRegression().fit(X, y_bin), initial_types=tensor_in)
models["mlp"] = convert_sklearn(
    MLPClassifier(hidden_layer_sizes=(16, 8), max_iter=400, random_state=0).fit(X, y_bin), initial_types=tensor_in
)
models["forest_multiclass"] = convert_sklearn(
    RandomForestClassifier(n_estimators=25, max_depth=6, random_state=0).fit(X, y_multi),
    initial_types=tensor_in,
    options={"zipmap": False},
)
models["gbm_regressor"] = convert_sklearn(
    GradientBoostingRegressor(n_estimators=40, random_state=0).fit(X, y_reg), initial_types=tensor_in
)
models["text_classes"] = convert_sklearn(LogisticRegression().fit(X, y_text), initial_types=tensor_in)

# LightGBM, exported with onnxmltools (a tree ensemble outside scikit-learn).
import lightgbm
import onnxmltools
from onnxmltools.convert.common.data_types import FloatTensorType as MlFloat

ml_in = [("X", MlFloat([None, 4]))]
models["lightgbm_binary"] = onnxmltools.convert_lightgbm(
    lightgbm.LGBMClassifier(n_estimators=30, num_leaves=15, verbose=-1, random_state=0).fit(X, y_bin),
    initial_types=ml_in, target_opset=15)
models["lightgbm_regressor"] = onnxmltools.convert_lightgbm(
    lightgbm.LGBMRegressor(n_estimators=30, num_leaves=15, verbose=-1, random_state=0).fit(X, y_reg),
    initial_types=ml_in, target_opset=15)

pipe = Pipeline([
    ("prep", ColumnTransformer([
        ("num", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), ["num1", "num2"]),
        ("cat", OneHotEncoder(handle_unknown="ignore"), ["cat"]),
    ])),
    ("model", LogisticRegression()),
])
y_pipe = ((train["num1"] > 10) & (train["cat"] != "blue")).astype(np.int64)
pipe.fit(train[["num1", "num2", "cat"]], y_pipe)
models["pipeline_named_inputs"] = convert_sklearn(
    pipe,
    initial_types=[("num1", FloatTensorType([None, 1])), ("num2", FloatTensorType([None, 1])), ("cat", StringTensorType([None, 1]))],
)

# XGBoost (the CPU-only wheel), exported with onnxmltools. onnxmltools 1.14 hands numpy booleans
# to onnx.helper.make_attribute, which numpy 2 no longer lets pass as ints: they are turned into
# ints on the way (the model is the same).
import onnx.helper as onnx_helper
import xgboost

_make_attribute = onnx_helper.make_attribute


def _make_attribute_bools_as_ints(key, value, *args, **kwargs):
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (bool, np.bool_)) for v in value):
        value = [int(v) for v in value]
    return _make_attribute(key, value, *args, **kwargs)


onnx_helper.make_attribute = _make_attribute_bools_as_ints
models["xgboost_binary"] = onnxmltools.convert_xgboost(
    xgboost.XGBClassifier(n_estimators=30, max_depth=4, random_state=0).fit(X, y_bin),
    initial_types=ml_in, target_opset=15)

# A small neural network as an export from a deep-learning framework looks (Gemm, Relu, Gemm,
# Softmax on one [N, 4] float tensor, probabilities as a plain tensor): the weights of a trained
# scikit-learn MLP written as that graph.
from onnx import TensorProto, helper, numpy_helper
mlp = MLPClassifier(hidden_layer_sizes=(12,), max_iter=500, random_state=1).fit(X, y_multi)
w1, w2 = mlp.coefs_
b1, b2 = mlp.intercepts_
nn_graph = helper.make_graph(
    [
        helper.make_node("Gemm", ["input", "w1", "b1"], ["h"]),
        helper.make_node("Relu", ["h"], ["hr"]),
        helper.make_node("Gemm", ["hr", "w2", "b2"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ],
    "mlp_export",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 4])],
    [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 3])],
    initializer=[numpy_helper.from_array(a.astype(np.float32), n)
                 for n, a in [("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2)]],
)
nn_model = helper.make_model(nn_graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
nn_model.metadata_props.add(key="feature_names", value="x0,x1,x2,x3")
models["nn_softmax"] = nn_model

OUT.mkdir(parents=True, exist_ok=True)
rows.to_csv(OUT / "rows.csv", index=False)
expected = {}
feats = rows[[f"x{i}" for i in range(4)]].to_numpy().astype(np.float32)
for name, onx in models.items():
    path = OUT / f"{name}.onnx"
    path.write_bytes(onx.SerializeToString())
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    if name == "pipeline_named_inputs":
        feed = {
            "num1": rows[["num1"]].to_numpy().astype(np.float32),
            "num2": rows[["num2"]].to_numpy().astype(np.float32),
            "cat": rows[["cat"]].to_numpy().astype(object),
        }
    else:
        feed = {sess.get_inputs()[0].name: feats}
    outs = sess.run(None, feed)
    entry = {}
    for meta, value in zip(sess.get_outputs(), outs):
        if isinstance(value, list):  # ZipMap: a list of dicts
            classes = sorted(value[0].keys(), key=lambda k: (isinstance(k, str), k))
            entry["classes"] = [str(c) for c in classes]
            entry["probabilities"] = [[float(d[c]) for c in classes] for d in value]
        elif value.dtype.kind in "iUO":
            entry["labels"] = [str(v) for v in value.reshape(-1)]
        elif meta.name.lower().find("prob") >= 0 or (value.ndim == 2 and value.shape[1] > 1):
            entry["classes"] = [str(c) for c in range(value.shape[1])]
            entry["probabilities"] = value.astype(float).tolist()
        else:
            entry["values"] = value.reshape(-1).astype(float).tolist()
    expected[name] = entry

# A model with an operator no runtime has: the error must name it.
from onnx import TensorProto, helper
graph = helper.make_graph(
    [helper.make_node("NoSuchOperator", ["X"], ["Y"])],
    "unknown_operator",
    [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 4])],
    [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, 1])],
)
(OUT / "unknown_operator.onnx").write_bytes(
    helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8).SerializeToString())

(OUT / "expected.json").write_text(json.dumps({
    "versions": {"onnxruntime": ort.__version__, "skl2onnx": __import__("skl2onnx").__version__,
                 "scikit-learn": __import__("sklearn").__version__, "lightgbm": lightgbm.__version__,
                 "onnxmltools": onnxmltools.__version__, "xgboost": xgboost.__version__},
    "rows": N,
    "models": expected,
}, indent=1))
print("wrote", ", ".join(sorted(models)), "to", OUT)
