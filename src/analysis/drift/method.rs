//! How a column's values compare: its kind, the methods (with their bounds, thresholds and
//! names), and what decided a verdict (a method, or Evidently's test).

use super::*;

/// How a column's values compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    Numeric,
    Categorical,
}

/// The statistic that decides whether a column drifted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Jensen–Shannon distance, base 2, on the bins (numbers) or categories; drift at ≥ threshold.
    JensenShannon,
    /// Population stability index on the same bins; drift at ≥ threshold.
    Psi,
    /// Wasserstein-1 divided by the baseline's population std (numbers only); drift at ≥ threshold.
    WassersteinNormed,
    /// Hellinger distance on the bins or categories; drift at ≥ threshold.
    Hellinger,
    /// KL(current ‖ baseline) on the bins or categories; drift at ≥ threshold.
    Kl,
    /// Largest difference of category shares (or bin shares); drift at ≥ threshold.
    LInfinity,
    /// Two-sample Kolmogorov–Smirnov p-value (numbers only); drift when p < threshold.
    Ks,
    /// Chi-square contingency p-value (categories only); drift when p < threshold.
    Chi2,
}

impl Method {
    pub const ALL: [Method; 8] = [
        Method::JensenShannon,
        Method::Psi,
        Method::WassersteinNormed,
        Method::Hellinger,
        Method::Kl,
        Method::LInfinity,
        Method::Ks,
        Method::Chi2,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::JensenShannon => "jensen_shannon",
            Method::Psi => "psi",
            Method::WassersteinNormed => "wasserstein_normed",
            Method::Hellinger => "hellinger",
            Method::Kl => "kl",
            Method::LInfinity => "l_infinity",
            Method::Ks => "ks",
            Method::Chi2 => "chi2",
        }
    }

    /// The threshold used when none is set.
    pub fn default_threshold(self) -> f64 {
        match self {
            Method::JensenShannon | Method::Hellinger | Method::WassersteinNormed => 0.1,
            Method::Psi => 0.2,
            Method::Kl => 0.1,
            Method::LInfinity => 0.1,
            Method::Ks | Method::Chi2 => 0.05,
        }
    }

    /// The largest value the statistic can take, for the bounded ones.
    pub fn upper_bound(self) -> Option<f64> {
        match self {
            Method::JensenShannon | Method::Hellinger | Method::LInfinity => Some(1.0),
            Method::Ks | Method::Chi2 => Some(1.0),
            Method::Psi | Method::WassersteinNormed | Method::Kl => None,
        }
    }

    /// p-value methods drift when the value is *below* the threshold.
    pub fn is_pvalue(self) -> bool {
        matches!(self, Method::Ks | Method::Chi2)
    }

    pub fn applies_to(self, kind: ColumnKind) -> bool {
        match self {
            Method::WassersteinNormed | Method::Ks => kind == ColumnKind::Numeric,
            Method::Chi2 => kind == ColumnKind::Categorical,
            _ => true,
        }
    }

    /// One line for a tooltip or the report's method notes.
    pub fn definition(self) -> &'static str {
        match self {
            Method::JensenShannon => {
                "Jensen–Shannon distance (base 2) between the binned distributions, sqrt of the mean KL of each side to their average; 0 = identical, 1 = disjoint"
            }
            Method::Psi => {
                "Population stability index, Σ (p_c − p_b)·ln(p_c/p_b) over bins, empty bins counted as 1e-4"
            }
            Method::WassersteinNormed => {
                "Wasserstein-1 distance (area between the two CDFs) divided by the baseline's standard deviation (ddof 0, at least 0.001)"
            }
            Method::Hellinger => {
                "Hellinger distance, sqrt(Σ (√p_b − √p_c)²)/√2; 0 = identical, 1 = disjoint"
            }
            Method::Kl => {
                "Kullback–Leibler divergence of the log from the baseline, Σ p_c·ln(p_c/p_b), empty bins counted as 1e-4"
            }
            Method::LInfinity => {
                "Largest absolute difference between a bin's or category's share in the baseline and in the log"
            }
            Method::Ks => {
                "Two-sample Kolmogorov–Smirnov test p-value (scipy's ks_2samp, exact up to 10,000 rows); drift when p is below the threshold"
            }
            Method::Chi2 => {
                "Chi-square test of the 2 × k table of category counts (scipy's chi2_contingency, Yates-corrected for 2 categories); drift when p is below the threshold"
            }
        }
    }
}

impl std::str::FromStr for Method {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase().replace('-', "_");
        let m = match key.as_str() {
            "js" | "jensenshannon" | "jensen_shannon" => Method::JensenShannon,
            "psi" => Method::Psi,
            "wasserstein" | "wasserstein_normed" | "emd" => Method::WassersteinNormed,
            "hellinger" => Method::Hellinger,
            "kl" | "kl_div" | "kl_divergence" => Method::Kl,
            "linf" | "l_infinity" | "l_inf" => Method::LInfinity,
            "ks" | "kolmogorov_smirnov" => Method::Ks,
            "chi2" | "chisquare" | "chi_square" => Method::Chi2,
            _ => {
                return Err(format!(
                    "unknown method '{s}'; methods are: {}",
                    Method::ALL.map(Method::as_str).join(", ")
                ));
            }
        };
        Ok(m)
    }
}

/// What decided a column's verdict: one of driftscope's methods, or under the Evidently preset
/// Evidently's test (`None` where no test ran). The JSON keeps the names it always had:
/// `"psi"`, `"evidently:psi"`, `"evidently"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Decider {
    Method(Method),
    Evidently(Option<evidently::EvidentlyTest>),
}

impl Decider {
    /// The method, when one of driftscope's decided.
    pub fn method(self) -> Option<Method> {
        match self {
            Decider::Method(m) => Some(m),
            Decider::Evidently(_) => None,
        }
    }

    /// One line for a tooltip.
    pub fn definition(self) -> &'static str {
        match self {
            Decider::Method(m) => m.definition(),
            Decider::Evidently(Some(t)) => t.display_name(),
            Decider::Evidently(None) => "no Evidently test ran for this column",
        }
    }
}

impl std::fmt::Display for Decider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Decider::Method(m) => f.write_str(m.as_str()),
            Decider::Evidently(None) => f.write_str("evidently"),
            Decider::Evidently(Some(t)) => write!(f, "evidently:{}", t.registry_name()),
        }
    }
}

impl From<Decider> for String {
    fn from(d: Decider) -> String {
        d.to_string()
    }
}

impl TryFrom<String> for Decider {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl std::str::FromStr for Decider {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once(':') {
            _ if s == "evidently" => Ok(Decider::Evidently(None)),
            Some(("evidently", test)) => Ok(Decider::Evidently(Some(test.parse()?))),
            _ => s.parse().map(Decider::Method),
        }
    }
}
