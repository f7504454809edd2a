//! Findings: what the analyst pinned from a panel — a title, a severity, the slice, the numbers,
//! the chart as data, a note and an owner — kept in the investigation file and exported as the
//! report's body.

use serde::{Deserialize, Serialize};

use crate::analysis::SliceDef;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingSeverity {
    Info,
    #[default]
    Warning,
    Critical,
}

impl FindingSeverity {
    pub const ALL: [FindingSeverity; 3] = [
        FindingSeverity::Critical,
        FindingSeverity::Warning,
        FindingSeverity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FindingSeverity::Info => "info",
            FindingSeverity::Warning => "warning",
            FindingSeverity::Critical => "critical",
        }
    }
}

/// A chart as data: rendered to SVG on export, drawn by the app on screen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Chart {
    /// Grouped bars over categories or bins: one series per side (shares in 0..1).
    Bars {
        title: String,
        categories: Vec<String>,
        series: Vec<(String, Vec<f64>)>,
    },
    /// Lines over ordered labels (windows): one series per group; `None` where undefined.
    Lines {
        title: String,
        x: Vec<String>,
        series: Vec<(String, Vec<Option<f64>>)>,
        /// Horizontal reference lines (a threshold).
        thresholds: Vec<(String, f64)>,
    },
}

/// One pinned finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Finding {
    pub title: String,
    pub severity: FindingSeverity,
    /// Which panel it was pinned from ("feature", "segments", "compare", "replay", "time", ...).
    pub source: String,
    /// The rows it is about.
    pub slice: SliceDef,
    /// What it is compared with, in words ("the whole baseline").
    pub against: String,
    pub column: Option<String>,
    /// The numbers, as (name, value) in words.
    pub numbers: Vec<(String, String)>,
    pub chart: Option<Chart>,
    pub note: String,
    pub owner: String,
    /// When it was pinned (UTC).
    pub pinned: String,
}

impl Default for Finding {
    fn default() -> Self {
        Self {
            title: String::new(),
            severity: FindingSeverity::Warning,
            source: String::new(),
            slice: SliceDef::default(),
            against: String::new(),
            column: None,
            numbers: Vec::new(),
            chart: None,
            note: String::new(),
            owner: String::new(),
            pinned: String::new(),
        }
    }
}

pub fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}
