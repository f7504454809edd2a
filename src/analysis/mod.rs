//! Investigation logic on top of the statistics: `XxxParams → XxxOutput`, headless, parallel over
//! columns × slices with rayon. Each baseline column is prepared once (sorted, binned, counted) and
//! reused for every slice it is compared with.

pub mod columns;
pub mod decomposition;
pub mod discovery;
pub mod drift;
pub mod evidently;
pub mod latency;
pub mod onsets;
pub mod performance;
pub mod profile_file;
pub mod profiles;
pub mod quality;
pub mod report;
pub mod slice;
pub mod windows;
pub mod workspace;

pub use drift::{ColumnDrift, ColumnKind, ColumnSettings, Decider, DriftSettings, Method, Preset};
pub use report::{
    DriftParams, DriftReport, ReportPart, run_drift_report, run_drift_report_parts,
    run_drift_report_with_workspace,
};
pub use slice::{Predicate, SliceDef};
pub use workspace::{Reference, SegmentRef, Side, Workspace};
