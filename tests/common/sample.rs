//! The sample investigation's report and workspace, measured once per test binary (shared by
//! the test files on slices and profiles).

use std::path::Path;
use std::sync::OnceLock;

use driftscope::analysis::report::DriftReport;
use driftscope::analysis::{DriftParams, Workspace, run_drift_report_with_workspace};
use driftscope::data::{Inputs, OverrideLayers, load_inputs};
use driftscope::jobs::JobState;

pub struct Sample {
    pub inputs: Inputs,
    pub report: DriftReport,
    pub ws: Workspace,
}

pub fn sample() -> &'static Sample {
    static SAMPLE: OnceLock<Sample> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
        let inputs = load_inputs(
            &dir.join("baseline.parquet"),
            &dir.join("predictions.jsonl"),
            &OverrideLayers::default(),
        )
        .unwrap();
        let (report, ws) =
            run_drift_report_with_workspace(&inputs, &DriftParams::default(), &JobState::default())
                .unwrap();
        Sample { inputs, report, ws }
    })
}
