//! What decides a drift report (`DriftParams`: settings, bins, windows, segments) and the checks
//! that refuse values no method can use.

use super::*;

/// Everything that decides a drift report; a report re-runs only when these change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DriftParams {
    pub settings: DriftSettings,
    /// Time windows, or none.
    pub window: Option<windows::WindowSpec>,
    /// A relative drop of a performance metric by at least this much is an alert.
    pub performance_drop: f64,
    /// The dataset drifts when at least this share of its features drift.
    pub dataset_share: f64,
}

impl Default for DriftParams {
    fn default() -> Self {
        Self {
            settings: DriftSettings::default(),
            window: Some(windows::WindowSpec::Period {
                seconds: 86_400,
                label: "1d".to_owned(),
            }),
            performance_drop: 0.05,
            dataset_share: 0.5,
        }
    }
}

/// At most this many equal-frequency bins (or explicit edges + 1) per numeric column.
pub const MAX_BINS: usize = 1_000;

impl DriftParams {
    /// Refuses settings no analysis can honour — NaN, a p-value threshold outside (0, 1), a
    /// distance threshold below 0 or above its method's range, bins under 2 or over
    /// [`MAX_BINS`], edges that are not finite and increasing, shares outside [0, 1] — with a
    /// message naming the setting. The one check used by the CLI, the app's settings and the
    /// investigation file.
    pub fn validate(&self) -> Result<(), String> {
        let s = &self.settings;
        let share = |name: &str, v: f64, zero_ok: bool| {
            if v.is_finite() && (v > 0.0 || (zero_ok && v == 0.0)) && v <= 1.0 {
                Ok(())
            } else {
                Err(format!(
                    "{name} is {v}: use a share in {}",
                    if zero_ok { "[0, 1]" } else { "(0, 1]" }
                ))
            }
        };
        share("the dataset drift share", self.dataset_share, false)?;
        share("the performance drop", self.performance_drop, false)?;
        share("the null-rate change", s.null_rate_change, true)?;
        if s.min_rows == 0 {
            return Err("the minimum rows per comparison is 0: use at least 1".to_owned());
        }
        check_bins("bins", s.bins)?;
        for kind in [ColumnKind::Numeric, ColumnKind::Categorical] {
            let method = match kind {
                ColumnKind::Numeric => s.numeric_method,
                ColumnKind::Categorical => s.categorical_method,
            };
            if let Some(t) = s.threshold {
                check_threshold("the threshold", method, t)?;
            }
        }
        for (column, c) in &s.columns {
            if let Some(t) = c.threshold {
                // Without its own method the column's kind decides which global one applies:
                // the threshold must fit one of them.
                let methods = c
                    .method
                    .map_or(vec![s.numeric_method, s.categorical_method], |m| vec![m]);
                let name = format!("`{column}`: the threshold");
                let checks: Vec<Result<(), String>> = methods
                    .iter()
                    .map(|&m| check_threshold(&name, m, t))
                    .collect();
                if !checks.iter().any(Result::is_ok) {
                    checks.into_iter().find(Result::is_err).transpose()?;
                }
            }
            if let Some(b) = c.bins {
                check_bins(&format!("`{column}`: bins"), b)?;
            }
            if let Some(edges) = &c.edges {
                if edges.is_empty() || edges.len() >= MAX_BINS {
                    return Err(format!(
                        "`{column}`: {} edges: give between 1 and {}",
                        edges.len(),
                        MAX_BINS - 1
                    ));
                }
                if let Some(e) = edges.iter().find(|e| !e.is_finite()) {
                    return Err(format!("`{column}`: the edge {e} is not a finite number"));
                }
                if let Some(w) = edges.windows(2).find(|w| w[0] >= w[1]) {
                    return Err(format!(
                        "`{column}`: edges must increase ({} then {})",
                        w[0], w[1]
                    ));
                }
            }
        }
        match &self.window {
            Some(windows::WindowSpec::Period { seconds, .. }) if *seconds <= 0 => {
                Err(format!("the window of {seconds} s is not a period"))
            }
            Some(windows::WindowSpec::Rows(0)) => Err("a window of 0 rows".to_owned()),
            _ => Ok(()),
        }
    }
}

fn check_bins(name: &str, bins: usize) -> Result<(), String> {
    if (2..=MAX_BINS).contains(&bins) {
        Ok(())
    } else {
        Err(format!("{name} is {bins}: use 2 to {MAX_BINS}"))
    }
}

fn check_threshold(name: &str, method: Method, t: f64) -> Result<(), String> {
    let ok = if method.is_pvalue() {
        t.is_finite() && t > 0.0 && t < 1.0
    } else {
        t.is_finite() && t >= 0.0 && method.upper_bound().is_none_or(|u| t <= u)
    };
    if ok {
        return Ok(());
    }
    let range = if method.is_pvalue() {
        "a p-value strictly between 0 and 1".to_owned()
    } else {
        match method.upper_bound() {
            Some(u) => format!("a distance from 0 to {u}"),
            None => "a distance of at least 0".to_owned(),
        }
    };
    Err(format!(
        "{name} {t} does not fit {}: use {range}",
        method.as_str()
    ))
}
