//! Roles by name: a column's name split into words and matched against the names each role
//! goes by (ids, model versions, predictions, scores, class probabilities, labels, latency,
//! segments).

/// Lower-case name split into words on `_`, `-`, `.`, spaces and camelCase.
pub(super) fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

pub(super) fn joined(name: &str) -> String {
    words(name).join("_")
}

pub(super) fn is_id_name(name: &str) -> bool {
    let w = words(name);
    let last = w.last().map(String::as_str);
    matches!(last, Some("id" | "uuid" | "guid" | "key"))
        || matches!(joined(name).as_str(), "request" | "trace" | "span")
}

pub(super) fn is_model_version_name(name: &str) -> bool {
    let w = words(name);
    let j = w.join("_");
    matches!(
        j.as_str(),
        "model_version"
            | "model"
            | "version"
            | "model_ver"
            | "modelversion"
            | "model_name"
            | "model_id"
            | "model_tag"
            | "deployment"
            | "model_release"
    ) || (w.iter().any(|x| x == "model") && w.iter().any(|x| x == "version" || x == "ver"))
}

pub(super) fn is_prediction_name(name: &str) -> bool {
    matches!(
        joined(name).as_str(),
        "prediction"
            | "predictions"
            | "predicted"
            | "pred"
            | "y_pred"
            | "ypred"
            | "yhat"
            | "y_hat"
            | "predicted_label"
            | "predicted_class"
            | "prediction_label"
            | "predicted_value"
            | "output"
            | "decision"
            | "model_output"
            | "prediction_value"
    )
}

pub(super) fn is_score_name(name: &str) -> bool {
    let j = joined(name);
    matches!(
        j.as_str(),
        "score"
            | "scores"
            | "probability"
            | "proba"
            | "prob"
            | "confidence"
            | "y_score"
            | "y_prob"
            | "y_proba"
            | "prediction_score"
            | "prediction_probability"
            | "predicted_probability"
            | "model_score"
    ) || (j.ends_with("_score") && !j.starts_with("credit"))
}

/// `proba_fraud`, `prob_1`, `probability_cat`, `p_1`, `fraud_proba` → the class name.
pub(super) fn class_probability_name(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    for prefix in ["probability_", "proba_", "prob_", "p_", "score_"] {
        if let Some(class) = lower.strip_prefix(prefix) {
            let start = name.len() - class.len();
            return (!class.is_empty()).then(|| name[start..].to_owned());
        }
    }
    for suffix in ["_probability", "_proba", "_prob"] {
        if let Some(class) = lower.strip_suffix(suffix) {
            return (!class.is_empty()).then(|| name[..class.len()].to_owned());
        }
    }
    None
}

pub(super) fn is_label_name(name: &str) -> bool {
    matches!(
        joined(name).as_str(),
        "label"
            | "labels"
            | "target"
            | "y"
            | "y_true"
            | "ytrue"
            | "ground_truth"
            | "groundtruth"
            | "actual"
            | "actuals"
            | "truth"
            | "true_label"
            | "true_value"
            | "observed"
            | "outcome"
            | "gt"
    )
}

pub(super) fn is_latency_name(name: &str) -> bool {
    let w = words(name);
    let j = w.join("_");
    w.iter().any(|x| x == "latency" || x == "latencies")
        || matches!(
            j.as_str(),
            "duration_ms"
                | "duration"
                | "elapsed_ms"
                | "elapsed"
                | "response_time"
                | "response_time_ms"
                | "inference_ms"
                | "inference_time_ms"
                | "response_ms"
                | "processing_time_ms"
                | "processing_ms"
                | "took_ms"
                | "rtt_ms"
        )
}

pub(super) const SEGMENT_WORDS: &[&str] = &[
    "region",
    "country",
    "state",
    "city",
    "province",
    "continent",
    "geo",
    "zone",
    "market",
    "locale",
    "language",
    "lang",
    "device",
    "platform",
    "os",
    "browser",
    "channel",
    "segment",
    "cohort",
    "tier",
    "plan",
    "store",
    "site",
    "source",
    "client",
    "tenant",
    "carrier",
    "network",
    "bucket",
    "experiment",
    "variant",
    "arm",
    "app",
    "shard",
    "datacenter",
    "dc",
    "cluster",
];

pub(super) fn is_segment_name(name: &str) -> bool {
    words(name)
        .iter()
        .any(|w| SEGMENT_WORDS.contains(&w.as_str()))
}
