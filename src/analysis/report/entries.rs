//! The report's entries from the untimed cell profiles: every entry the report asks of a column
//! (overall, per segment value against the whole baseline and against that value's baseline),
//! measured exactly from the profiles and the values they gather.

use super::*;

/// One column's entries from the untimed profiles: the overall one, and per `(segment column,
/// value)` the entry against the whole baseline and, when the baseline has that value, against
/// it. `None` where the rows must answer.
#[derive(Default)]
pub(super) struct ColumnEntries {
    pub(super) overall: Option<ColumnDrift>,
    pub(super) segments: HashMap<(String, String), SegmentEntries>,
}

pub(super) struct SegmentEntries {
    pub(super) vs_whole: Option<ColumnDrift>,
    /// `Some` when the baseline has the value: that comparison, if the profiles answered.
    pub(super) vs_segment: Option<Option<ColumnDrift>>,
}

impl ColumnEntries {
    /// Both entries of one segment value, when the profiles gave every one the rows would.
    pub(super) fn segment(
        &self,
        key: &(String, String),
        baseline_has_it: bool,
    ) -> Option<(ColumnDrift, Option<ColumnDrift>)> {
        let e = self.segments.get(key)?;
        let vs_whole = e.vs_whole.clone()?;
        match (&e.vs_segment, baseline_has_it) {
            (None, false) => Some((vs_whole, None)),
            (Some(Some(d)), true) => Some((vs_whole, Some(d.clone()))),
            _ => None,
        }
    }
}

/// One entry to ask of every column: its segment value (none for the overall entry), whether it
/// is against the baseline's same segment, and the comparison.
pub(crate) type EntryTemplate = (Option<(String, String)>, bool, EntryRequest);

/// Every column's overall and per-segment entries from the untimed profiles, each column's made
/// exact with one gathering pass over its rows (see `profiles::exact_entries`). Empty under the
/// Evidently preset, whose tests need the values.
pub(super) fn entries_from_profiles(ws: &Workspace, state: &JobState) -> Vec<ColumnEntries> {
    let Some(cells) = ws.cells.as_ref() else {
        return Vec::new();
    };
    if ws.settings.preset == Preset::Evidently {
        return Vec::new();
    }
    let level = cells.untimed();
    let templates = entry_templates(level);
    let none = StoredValues::new();
    ws.prepared
        .par_iter()
        .enumerate()
        .map(|(i, p)| {
            // Cancelled: the report is thrown away, so the rest is not measured.
            if state.is_cancelled() {
                return ColumnEntries::default();
            }
            let mine = templates_for(&templates, &p.name);
            let requests: Vec<&EntryRequest> = mine.iter().map(|(_, _, r)| r).collect();
            let whole_sorted = match ws.whole.get(i) {
                Some(PreparedRef::Numeric(r)) => Some(r.sorted.as_slice()),
                _ => None,
            };
            let log_values = match &ws.log {
                LogSource::Rows => LogValues::Rows,
                LogSource::Profile { values, .. } => {
                    LogValues::Stored(values.get(i).unwrap_or(&none))
                }
            };
            let results = exact_entries(
                p,
                i,
                (level, whole_sorted),
                &requests,
                log_values,
                &ws.settings,
                &|| state.is_cancelled(),
            );
            let mut out = ColumnEntries::default();
            for ((key, vs_segment, _), d) in mine.into_iter().zip(results) {
                match key {
                    None => out.overall = d,
                    Some(key) => {
                        let e = out.segments.entry(key.clone()).or_insert(SegmentEntries {
                            vs_whole: None,
                            vs_segment: None,
                        });
                        if *vs_segment {
                            e.vs_segment = Some(d);
                        } else {
                            e.vs_whole = d;
                        }
                    }
                }
            }
            out
        })
        .collect()
}

/// Every entry the report asks of a column, on the untimed level: overall, and per segment value
/// against the whole baseline and, where the baseline has the value, against it.
pub(crate) fn entry_templates(level: crate::analysis::workspace::Level) -> Vec<EntryTemplate> {
    let (log, base) = (&level.log.index, &level.baseline.index);
    // (segment, value) or none for the overall entry; against the baseline segment or not.
    let mut templates: Vec<EntryTemplate> = vec![(
        None,
        false,
        EntryRequest {
            current: vec![true; log.tuples.len()],
            reference: None,
            bins: None,
        },
    )];
    for (k, seg) in log.segments.iter().enumerate() {
        let values: std::collections::BTreeSet<&str> =
            log.tuples.iter().filter_map(|t| t[k].as_deref()).collect();
        let kb = base.segments.iter().position(|s| s == seg);
        for value in values {
            let key = (seg.clone(), value.to_owned());
            let current: Vec<bool> = log
                .tuples
                .iter()
                .map(|t| t[k].as_deref() == Some(value))
                .collect();
            if let Some(kb) = kb {
                let reference: Vec<bool> = base
                    .tuples
                    .iter()
                    .map(|t| t[kb].as_deref() == Some(value))
                    .collect();
                if reference.iter().any(|&r| r) {
                    templates.push((
                        Some(key.clone()),
                        true,
                        EntryRequest {
                            current: current.clone(),
                            reference: Some(reference),
                            bins: Some(key.clone()),
                        },
                    ));
                }
            }
            templates.push((
                Some(key),
                false,
                EntryRequest {
                    current,
                    reference: None,
                    bins: None,
                },
            ));
        }
    }
    templates
}

/// The templates that apply to one column (not the segments of the column itself).
pub(crate) fn templates_for<'a>(
    templates: &'a [EntryTemplate],
    column: &str,
) -> Vec<&'a EntryTemplate> {
    templates
        .iter()
        .filter(|(key, _, _)| key.as_ref().is_none_or(|(seg, _)| seg != column))
        .collect()
}
