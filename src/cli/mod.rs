//! The command line: `driftscope` (or `open`) opens the app; `inspect`, `report`, `profile`,
//! `replay` and `export-slice` run headless — every analysis of the app is one of them. They print
//! to stdout, report progress on stderr and exit 0 (done), 1 (a `--fail-on` condition tripped) or
//! 2 (bad input or usage). Each command has its module; this one holds the arguments.

mod inspect;
mod profile;
mod replay;
mod report;
mod summary;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::data::{OverrideLayers, Role, RoleOverrides};

/// Exit code for an error in the input or the command line.
pub const EXIT_ERROR: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "driftscope",
    version,
    about = "Investigate machine-learning models in production: what drifted, where, since when.",
    long_about = "Investigate machine-learning models in production: what drifted, where, since when.\n\n\
        driftscope compares logged prediction samples (CSV, Parquet or JSON lines) with a training \
        baseline. Without a command it opens the app on the sample investigation.",
    after_help = "Examples:\n  driftscope                                   open the app on the sample investigation\n  \
        driftscope open baseline.parquet logs.jsonl  open the app on your files\n  \
        driftscope inspect logs.jsonl                columns, types and inferred roles\n  \
        driftscope report --baseline baseline.parquet --current logs.jsonl --json report.json"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the app on a baseline and a log, or on an investigation file (.ron).
    Open(OpenArgs),
    /// Print rows, columns, types and the inferred role of every column, with its reason.
    Inspect(InspectArgs),
    /// Compare a log with its baseline and write the findings (JSON with --json).
    Report(ReportArgs),
    /// Run logged inputs again through an ONNX model (and a candidate): skew and shadow analyses.
    Replay(ReplayArgs),
    /// Write the rows of a slice (conditions on columns and time) as CSV.
    ExportSlice(ExportSliceArgs),
    /// Profile a log on the grid its baseline fixes and write the profile (Parquet).
    Profile(ProfileArgs),
}

/// `driftscope profile`.
#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// The training baseline: it fixes the columns, the buckets and the categories.
    #[arg(long, value_name = "FILE")]
    pub baseline: PathBuf,
    /// The log to profile (CSV, Parquet, JSON lines).
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// Where to write the profile (docs/profile.md describes it).
    #[arg(long, value_name = "P.parquet")]
    pub output: PathBuf,
    /// At most this many log values a numeric column for exact overall and per-segment answers
    /// (the comparisons with the most rows first; the others give intervals), and at most this
    /// many scores (ROC AUC) and latency values (percentiles). 0 stores none.
    #[arg(long, value_name = "N", default_value_t = crate::analysis::profile_file::DEFAULT_VALUE_BUDGET)]
    pub exact_values: usize,
    /// Read the log this many rows at a time: memory is bounded by one batch, not by the log
    /// (a log of more rows is read in three passes: plan, cells, values).
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    pub batch_rows: usize,
    #[command(flatten)]
    pub roles: RoleArgs,
    #[command(flatten)]
    pub drift: DriftArgs,
}

/// `driftscope replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The production model (.onnx).
    #[arg(long, value_name = "MODEL.onnx")]
    pub model: PathBuf,
    /// The logged rows (CSV, Parquet or JSON lines).
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// A candidate model, run on the same rows (shadow mode).
    #[arg(long, value_name = "MODEL.onnx")]
    pub candidate: Option<PathBuf>,
    /// Feed a model input from a column of another name.
    #[arg(long = "map", value_name = "COLUMN=INPUT")]
    pub map: Vec<String>,
    /// The column order for a model whose single input is an [N, F] tensor.
    #[arg(long, value_name = "COL,COL,...", value_delimiter = ',')]
    pub features: Option<Vec<String>>,
    /// Group the analyses by this column too (segments and model_version are found by themselves).
    #[arg(long = "segment", value_name = "COLUMN")]
    pub segments: Vec<String>,
    /// Missing values in a needed column: refuse (default) or send NaN (models with an imputer).
    #[arg(long, value_enum, default_value = "refuse")]
    pub nulls: crate::replay::NullPolicy,
    /// The value sent where a column is missing.
    #[arg(long = "fill", value_name = "COLUMN=VALUE")]
    pub fill: Vec<String>,
    /// Scores further apart than this count as different.
    #[arg(long, default_value_t = 1e-4, value_name = "X")]
    pub tolerance: f64,
    /// Rows per model call.
    #[arg(long, default_value_t = 4096, value_name = "N")]
    pub batch: usize,
    /// The input rows with replay_label, replay_score, replay_proba_<class> (and candidate_*).
    #[arg(long, value_name = "OUT.csv|OUT.parquet")]
    pub output: PathBuf,
    /// The summary: skew, shadow, performance, per segment and per day, most divergent rows.
    #[arg(long, value_name = "SUMMARY.json")]
    pub json: Option<PathBuf>,
    /// The ONNX Runtime library to use (else found as the README says).
    #[arg(long, value_name = "LIBRARY")]
    pub onnxruntime: Option<PathBuf>,
}

/// Role overrides, shared by every command that resolves roles.
#[derive(Debug, Clone, Default, Args)]
pub struct RoleArgs {
    /// Set a column's role, COLUMN=ROLE; repeatable. Roles: timestamp, id, model_version,
    /// prediction, score, class_probability, label, latency, segment, feature, ignored.
    #[arg(long = "role", value_name = "COLUMN=ROLE", value_parser = RoleOverrides::parse_assignment)]
    pub roles: Vec<(String, Role)>,

    /// Slice by this column (same as --role COLUMN=segment); repeatable.
    #[arg(long = "segment", value_name = "COLUMN")]
    pub segments: Vec<String>,
}

impl RoleArgs {
    pub fn overrides(&self) -> RoleOverrides {
        let mut o = RoleOverrides::default();
        for (column, role) in &self.roles {
            o.set(column.clone(), *role);
        }
        for column in &self.segments {
            o.set(column.clone(), Role::Segment);
        }
        o
    }

    /// The command line's overrides on top of an investigation file's.
    pub fn layers(&self, file: RoleOverrides) -> OverrideLayers {
        OverrideLayers {
            file,
            user: self.overrides(),
            user_source: "by --role/--segment".to_owned(),
            app: RoleOverrides::default(),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct OpenArgs {
    /// BASELINE LOG (two data files), or one investigation file (.ron).
    #[arg(value_name = "FILE", num_args = 1..=2, required = true)]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub roles: RoleArgs,
}

#[derive(Debug, Clone, Args)]
pub struct InspectArgs {
    /// Data files (CSV, Parquet, JSON lines). With two or more, also the schema differences
    /// between the first and each other.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub roles: RoleArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// The training baseline (CSV, Parquet, JSON lines).
    #[arg(long, value_name = "FILE", required_unless_present = "investigation")]
    pub baseline: Option<PathBuf>,

    /// The production log to compare with the baseline.
    #[arg(
        long,
        value_name = "FILE",
        visible_alias = "log",
        required_unless_present_any = ["investigation", "current_profile"],
        conflicts_with = "current_profile"
    )]
    pub current: Option<PathBuf>,

    /// Instead of the log's rows, its profile (`driftscope profile`, or an engine writing the
    /// same schema); repeat for profiles of parts of one log, which are merged.
    #[arg(long, value_name = "P.parquet", visible_alias = "log-profile")]
    pub current_profile: Vec<PathBuf>,

    /// Read the log this many rows at a time and report from its profile: memory of one batch,
    /// not of the log (for a log larger than memory; replay and the Evidently preset need it
    /// whole).
    #[arg(long, value_name = "N", conflicts_with = "current_profile")]
    pub batch_rows: Option<usize>,

    /// Take files and roles from an investigation file; --baseline, --current and role flags
    /// given as well take precedence.
    #[arg(long, value_name = "FILE.ron")]
    pub investigation: Option<PathBuf>,

    #[command(flatten)]
    pub roles: RoleArgs,

    /// Write the report as JSON (the schema in DESIGN.md, with the findings) to this file.
    #[arg(long, value_name = "OUT.json")]
    pub json: Option<PathBuf>,

    /// Print how long loading and each stage of the analysis took (stderr).
    #[arg(long)]
    pub timings: bool,

    /// Write the report as one self-contained HTML file (inline SVG charts, no network).
    #[arg(long, value_name = "OUT.html")]
    pub html: Option<PathBuf>,

    /// Write the report as Markdown, with its charts as SVG files in OUT_charts/ beside it.
    #[arg(long, value_name = "OUT.md")]
    pub md: Option<PathBuf>,

    /// Replay the log through this model for the report's replay findings (else the
    /// investigation's model, if it names one).
    #[arg(long, value_name = "MODEL.onnx")]
    pub model: Option<PathBuf>,

    /// A candidate model for the report's shadow comparison.
    #[arg(long, value_name = "MODEL.onnx")]
    pub candidate: Option<PathBuf>,

    #[command(flatten)]
    pub drift: DriftArgs,
}

/// `driftscope export-slice`.
#[derive(Debug, Args)]
pub struct ExportSliceArgs {
    /// The file to take rows from (CSV, Parquet, JSON lines).
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// Keep rows where the column has one of the values (repeat for more conditions).
    #[arg(long = "where", value_name = "COLUMN=VALUE[,VALUE...]")]
    pub conditions: Vec<String>,
    /// Keep rows whose number in COLUMN lies in [MIN, MAX] (either may be empty).
    #[arg(long = "range", value_name = "COLUMN=MIN..MAX")]
    pub ranges: Vec<String>,
    /// Keep rows from this time on (ISO-8601, UTC).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Keep rows before this time.
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// The CSV to write (cells a spreadsheet would run as formulas are neutralised).
    #[arg(long, value_name = "OUT.csv")]
    pub output: PathBuf,
}

/// How drift is measured, from the command line.
#[derive(Debug, Clone, Default, Args)]
pub struct DriftArgs {
    /// The statistic that decides drift, for every column it applies to: jensen_shannon (default),
    /// psi, wasserstein_normed, hellinger, kl, l_infinity, ks (numbers), chi2 (categories).
    #[arg(long, value_name = "METHOD")]
    pub method: Option<crate::analysis::Method>,

    /// Drift threshold for the method (a distance: drift at or above; a p-value: drift below).
    #[arg(long, value_name = "X")]
    pub threshold: Option<f64>,

    /// Equal-frequency bins of the baseline for numeric columns (default 10, the deciles).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(2..=1000))]
    pub bins: Option<u16>,

    /// Whose rules decide drift: driftscope (default) or evidently (Evidently 0.7's
    /// DataDriftPreset, column by column: its test choice, binning, thresholds; a column's
    /// `--column COL:method=M` is its stattest).
    #[arg(long, value_name = "NAME")]
    pub preset: Option<crate::analysis::Preset>,

    /// Per-column setting, COLUMN:KEY=VALUE with KEY one of method, threshold, bins, edges
    /// (comma-separated inner bin edges); repeatable. E.g. --column amount:method=ks
    #[arg(long = "column", value_name = "COLUMN:KEY=VALUE")]
    pub columns: Vec<String>,

    /// Time windows: a period (1d, 6h, 30m, 1w) or a row count (10000rows); "none" for none.
    /// Default 1d (or the investigation file's).
    #[arg(long, value_name = "SIZE")]
    pub window: Option<String>,

    /// Exit with code 1 when any of these trips: drift (a column drifted overall), quality (a
    /// data-quality warning), performance (a metric dropped). Comma-separated.
    #[arg(long, value_name = "WHAT", value_delimiter = ',')]
    pub fail_on: Vec<FailOn>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Drift,
    Quality,
    Performance,
}

impl DriftArgs {
    /// The analysis parameters: `base` (an investigation file's, or the defaults) with these
    /// flags on top.
    pub fn params(
        &self,
        base: crate::analysis::DriftParams,
    ) -> anyhow::Result<crate::analysis::DriftParams> {
        use crate::analysis::{ColumnKind, ColumnSettings, Method};
        let mut params = base;
        let s = &mut params.settings;
        if let Some(m) = self.method {
            if m.applies_to(ColumnKind::Numeric) {
                s.numeric_method = m;
            }
            if m.applies_to(ColumnKind::Categorical) {
                s.categorical_method = m;
            }
        }
        if let Some(preset) = self.preset {
            s.preset = preset;
        }
        if s.preset == crate::analysis::Preset::Evidently
            && let Some(m) = self.method
        {
            anyhow::bail!(
                "--method {} is not used by the Evidently preset, which picks each column's test \
                 itself; to choose a column's test (Evidently's stattest) use \
                 --column COLUMN:method={}",
                m.as_str(),
                m.as_str()
            );
        }
        if self.threshold.is_some() {
            s.threshold = self.threshold;
        }
        if let Some(b) = self.bins {
            s.bins = usize::from(b);
        }
        for spec in &self.columns {
            let (column, kv) = spec
                .rsplit_once(':')
                .filter(|(c, _)| !c.is_empty())
                .ok_or_else(|| anyhow::anyhow!("--column '{spec}' is not COLUMN:KEY=VALUE"))?;
            let (key, value) = kv
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("--column '{spec}' is not COLUMN:KEY=VALUE"))?;
            let entry: &mut ColumnSettings = s.columns.entry(column.to_owned()).or_default();
            let bad = |what: &str| anyhow::anyhow!("--column '{spec}': {what}");
            match key {
                "method" => entry.method = Some(value.parse::<Method>().map_err(|e| bad(&e))?),
                "threshold" => {
                    entry.threshold = Some(
                        value
                            .parse()
                            .map_err(|_| bad("the threshold is not a number"))?,
                    )
                }
                "bins" => {
                    let bins: usize = value
                        .parse()
                        .map_err(|_| bad("bins is not a whole number"))?;
                    if bins < 2 {
                        return Err(bad("at least 2 bins"));
                    }
                    entry.bins = Some(bins);
                }
                "edges" => {
                    let edges: Result<Vec<f64>, _> =
                        value.split(',').map(|e| e.trim().parse::<f64>()).collect();
                    entry.edges =
                        Some(edges.map_err(|_| bad("edges are comma-separated numbers"))?);
                }
                _ => return Err(bad("KEY is one of method, threshold, bins, edges")),
            }
        }
        if let Some(window) = &self.window {
            params.window = match window.trim() {
                "none" | "" => None,
                w => Some(
                    w.parse()
                        .map_err(|e: String| anyhow::anyhow!("--window: {e}"))?,
                ),
            };
        }
        params.validate().map_err(anyhow::Error::msg)?;
        Ok(params)
    }
}

/// Runs a headless command. Errors are printed here, once, and decide the exit code.
pub fn run(command: Command) -> ExitCode {
    let result = match command {
        Command::Inspect(args) => inspect::run(&args),
        Command::Report(args) => report::run(&args),
        Command::Replay(args) => replay::run(&args),
        Command::ExportSlice(args) => report::export_slice(&args),
        Command::Profile(args) => profile::run(&args),
        Command::Open(_) => Err(anyhow::anyhow!(
            "`open` needs the app, not the headless runner"
        )),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("driftscope: error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
