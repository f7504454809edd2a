//! A report from profile files: several profiles of parts of one log merged into one, checked
//! against the baseline, and turned into the workspace a report is measured in — the log's cells
//! from the files, the baseline's cut on the same grids from its rows.

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;
use rayon::prelude::*;

use super::{LogProfile, PerfCell, PerfSpec, ProfileHeader, ProfiledLevel, ProfiledWindows};
use crate::analysis::columns::{self, Codes, Dictionary, Values};
use crate::analysis::drift::ColumnKind;
use crate::analysis::profiles::{
    self, CellColumn, CellIndex, CellProfiles, ColumnGrid, ColumnProfile,
};
use crate::analysis::report::DriftParams;
use crate::analysis::windows::{Window, WindowAssignment, WindowSpec};
use crate::analysis::workspace::{
    self, Cells, ColumnData, GroupCache, LogSource, Prepared, PreparedRef, Side, Untimed, Workspace,
};
use crate::data::{Format, Inputs, Table};
use crate::stats::profile::Grid;

impl LogProfile {
    /// Refuses a baseline other than the one the profile was made against.
    pub fn check_baseline(&self, sha256: &str, name: &str) -> Result<(), String> {
        let b = &self.header.baseline;
        if b.sha256 == sha256 {
            return Ok(());
        }
        Err(format!(
            "the profile was made against the baseline {} (SHA-256 {}…), not {name} (SHA-256 {}…): \
             its grids are the other baseline's; profile the log again against this one",
            b.name,
            b.sha256.get(..12).unwrap_or(&b.sha256),
            sha256.get(..12).unwrap_or(sha256)
        ))
    }

    /// The inputs of a report from this profile: the baseline as loaded, and for the log an empty
    /// table of the log's columns (so roles, the schema and column checks work as with rows),
    /// with the roles and the schema comparison the profile recorded.
    pub fn inputs(&self, baseline: Table, path: &std::path::Path) -> Result<Inputs, String> {
        let h = &self.header;
        let columns: Vec<Column> = h
            .log_columns
            .iter()
            .map(|(name, dtype)| {
                let dtype = baseline
                    .frame
                    .column(name)
                    .ok()
                    .map(|c| c.dtype().clone())
                    .filter(|d| d.to_string() == *dtype)
                    .unwrap_or_else(|| dtype_named(dtype));
                Column::new_empty(name.as_str().into(), &dtype)
            })
            .collect();
        let frame = DataFrame::new_infer_height(columns)
            .map_err(|e| format!("the header's log columns: {e}"))?;
        let current = Table {
            path: path.to_path_buf(),
            format: Format::Parquet,
            frame,
            flattened: Default::default(),
            time_columns: Default::default(),
            time_ranges: Default::default(),
            warnings: Vec::new(),
        };
        Ok(Inputs {
            baseline,
            current,
            roles: h.roles.clone(),
            schema: h.schema.clone(),
        })
    }

    /// The workspace of a report from this profile: the baseline's columns read from its rows
    /// and cut into cells on the profile's grids (every reference's cut must be an edge of them,
    /// else the profile was made for other bins), the log's cells as the file holds them.
    pub fn into_workspace(
        self,
        inputs: &Inputs,
        params: &DriftParams,
    ) -> Result<Workspace, String> {
        self.into_workspace_with(inputs, params, &crate::jobs::JobState::default())
    }

    /// [`LogProfile::into_workspace`], telling `state` how far it is (the app's report job).
    pub fn into_workspace_with(
        self,
        inputs: &Inputs,
        params: &DriftParams,
        state: &crate::jobs::JobState,
    ) -> Result<Workspace, String> {
        let h = &self.header;
        if params.window != h.params.window {
            return Err(format!(
                "the profile was cut into {} but the report asks for {}: give the profile's \
                 --window or profile the log again",
                describe_window(h.params.window.as_ref()),
                describe_window(params.window.as_ref())
            ));
        }
        let settings = &params.settings;
        let base = &inputs.baseline.frame;
        let prepared: Vec<Prepared> =
            h.columns
                .iter()
                .map(|c| {
                    let role = inputs.roles.role_of(&c.name).ok_or_else(|| {
                        format!("`{}`: the profile's roles do not name it", c.name)
                    })?;
                    let no_column =
                        |e: PolarsError| format!("`{}`: not readable in the baseline: {e}", c.name);
                    let data = match c.kind {
                        ColumnKind::Numeric => ColumnData::Numeric {
                            baseline: columns::numeric_column(base, &c.name).map_err(no_column)?,
                            current: Values::from_options(&[]),
                            integer: c.integer,
                        },
                        ColumnKind::Categorical => {
                            let mut dict = Dictionary::from_labels(&c.labels);
                            let codes = columns::label_codes(base, &c.name, &mut dict)
                                .map_err(no_column)?;
                            if dict.len() != c.labels.len() {
                                return Err(format!(
                                    "`{}`: the baseline has categories the profile does not list \
                                 (`{}`): it was made against another baseline",
                                    c.name,
                                    dict.labels[c.labels.len()]
                                ));
                            }
                            ColumnData::Categorical {
                                labels: dict.labels,
                                baseline: codes,
                                current: Codes::default(),
                            }
                        }
                    };
                    Ok(Prepared {
                        name: c.name.clone(),
                        role,
                        data,
                    })
                })
                .collect::<Result<_, String>>()?;
        let whole: Vec<PreparedRef> = prepared
            .par_iter()
            .map(|p| p.reference(None, settings))
            .collect();
        let groups = GroupCache::default();
        // The log's segment values are its cells' (it has no rows to group): what the segment
        // lists, the heatmap's rows and the timeline's lines read.
        for (segment, values) in self.segment_values() {
            groups.insert(
                Side::Log,
                &segment,
                std::sync::Arc::new(columns::Groups {
                    values,
                    row_group: Codes::default(),
                }),
            );
        }
        let windows = h.windows.as_ref().map(|w| WindowAssignment {
            assigned: Default::default(),
            windows: w.windows.clone(),
            timestamp: w.timestamp.clone(),
            rows_without_time: w.rows_without_time,
            rows_outside: w.rows_outside,
            notes: w.notes.clone(),
        });
        let n_base = inputs.baseline.rows();
        let chunk_rows = workspace::chunk_rows_for(
            windows.as_ref().map(|a| a.windows.as_slice()),
            settings.min_rows,
            n_base,
        );
        let (chunks, base_slot) = workspace::baseline_chunks(n_base, chunk_rows);
        let groups_of = || {
            workspace::segment_groups(
                inputs,
                &groups,
                Side::Baseline,
                &crate::jobs::JobState::default(),
            )
        };
        let base_index = CellIndex::build(groups_of(), &base_slot, chunks + 1);
        let fine_index = workspace::untimed_index(&base_index, groups_of, n_base);
        let baseline_segments = workspace::baseline_segments(inputs, &groups);
        // Both levels' grids from the file's edges, the bins of every reference on them.
        let mut fine = Vec::new();
        let mut coarse = Vec::new();
        let mut maps = Vec::new();
        for (i, (p, r)) in prepared.iter().zip(&whole).enumerate() {
            let PreparedRef::Numeric(r) = r else {
                fine.push(None);
                coarse.push(None);
                maps.push(None);
                continue;
            };
            let cuts = profiles::segment_cuts(p, &baseline_segments, settings).unwrap_or_default();
            let every = h.columns[i].every_baseline_value;
            let grid_of = |level: &ProfiledLevel, every: bool| {
                let edges = level.edges.get(i).cloned().flatten().ok_or_else(|| {
                    format!(
                        "`{}`: the profile has no grid for this numeric column",
                        p.name
                    )
                })?;
                ColumnGrid::on(Grid::from_edges(edges, every), &r.cuts, cuts.clone()).map_err(|e| {
                    format!(
                        "`{}`: {e} of the profile's grid: the profile was made with other bins \
                         (--bins, column edges) than the report asks for",
                        p.name
                    )
                })
            };
            let f = grid_of(&self.untimed, every)?;
            let c = grid_of(&self.timed, false)?;
            if c.grid
                .edges
                .iter()
                .any(|e| f.grid.edges.binary_search_by(|x| x.total_cmp(e)).is_err())
            {
                return Err(format!(
                    "`{}`: the timed grid's edges are not all edges of the untimed grid",
                    p.name
                ));
            }
            maps.push(Some(f.grid.slot_map(&c.grid)));
            fine.push(Some(f));
            coarse.push(Some(c));
        }
        let n = prepared.len();
        // A profile whose untimed grid is no finer than the timed one was written from the
        // timed cells alone (the untimed ones are them merged over time): the report is then
        // measured on the timed level, as from the rows, so that it adds up in the same order.
        let one_level = self.one_level();
        let LogProfile {
            header,
            untimed,
            timed,
            performance,
        } = self;
        let perf = header
            .performance
            .clone()
            .zip(performance)
            .map(|(spec, cells)| crate::analysis::performance::PerfProfile { spec, cells });
        let timed_log = CellProfiles {
            index: timed.index,
            columns: timed.columns,
            row_slots: Vec::new(),
        };
        let (baseline, untimed_level, values) = if one_level {
            let baseline = CellProfiles::build(&prepared, &coarse, true, base_index, state);
            // The stored values' tuples, renumbered as the timed level's.
            let at = timed_log.index.tuple_ids();
            let values = untimed
                .values
                .into_iter()
                .map(|stored| {
                    stored
                        .into_iter()
                        .filter_map(|((t, slot), xs)| {
                            let tuple = untimed.index.tuples.get(t as usize)?;
                            Some(((*at.get(tuple)? as u32, slot), xs))
                        })
                        .collect()
                })
                .collect();
            (baseline, None, values)
        } else {
            let (fine_base, baseline) = profiles::build_levels(
                &prepared,
                &fine,
                &coarse,
                &maps,
                true,
                // The baseline's timed cells are its chunks alone, as from the rows.
                (
                    fine_index,
                    CellIndex::build(Vec::new(), &base_slot, chunks + 1),
                ),
                state,
            );
            let level = Untimed {
                whole_baseline: workspace::whole_of(&fine_base, n),
                maps,
                grids: fine,
                log: CellProfiles {
                    index: untimed.index,
                    columns: untimed.columns,
                    row_slots: Vec::new(),
                },
                baseline: fine_base,
            };
            (baseline, Some(level), untimed.values)
        };
        let cells = Cells {
            whole_baseline: workspace::whole_of(&baseline, n),
            grids: coarse,
            log: timed_log,
            baseline,
            windows,
            window_error: header.window_error,
            chunk_rows,
            untimed: untimed_level,
        };
        Ok(Workspace {
            prepared,
            whole,
            settings: settings.clone(),
            window: params.window.clone(),
            groups,
            cells: Some(cells),
            log: LogSource::Profile { values, perf },
        })
    }

    /// Every segment column of the profile's cells with its values, sorted (missing is not a
    /// value, as in [`columns::Groups`]).
    pub fn segment_values(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
        for index in [&self.untimed.index, &self.timed.index] {
            for (k, segment) in index.segments.iter().enumerate() {
                let values = out.entry(segment.clone()).or_default();
                for tuple in &index.tuples {
                    if let Some(Some(v)) = tuple.get(k) {
                        values.insert(v.clone());
                    }
                }
            }
        }
        out.into_iter()
            .map(|(s, v)| (s, v.into_iter().collect()))
            .collect()
    }

    /// The untimed cells have no grid or segment columns of their own: they are the timed ones
    /// merged over time.
    pub fn one_level(&self) -> bool {
        self.untimed.edges == self.timed.edges
            && self.untimed.index.segments == self.timed.index.segments
    }

    /// Profiles of parts of one log (days, partitions, shards) merged into the profile of the
    /// whole: made against the same baseline, with the same columns, roles, segments and window
    /// length. Cells with the same segment values and window start add up; where two parts'
    /// grids differ, both are coarsened to the edges they share (every cut is one), so the counts
    /// stay exact and only the resolution inside buckets drops.
    pub fn merge(parts: Vec<LogProfile>) -> Result<LogProfile, String> {
        let mut parts = parts.into_iter();
        let Some(mut out) = parts.next() else {
            return Err("no profile to merge".to_owned());
        };
        for (k, next) in parts.enumerate() {
            out = merge_two(out, next).map_err(|e| format!("profile {}: {e}", k + 2))?;
        }
        Ok(out)
    }
}

fn describe_window(spec: Option<&WindowSpec>) -> String {
    match spec {
        Some(WindowSpec::Period { label, .. }) => format!("windows of {label}"),
        Some(WindowSpec::Rows(n)) => format!("windows of {n} rows"),
        None => "no windows".to_owned(),
    }
}

/// A polars type from its display name, for an empty column of the log (only the names of its
/// columns and types are shown; an unknown name becomes text).
fn dtype_named(name: &str) -> DataType {
    match name {
        "f64" => DataType::Float64,
        "f32" => DataType::Float32,
        "i64" => DataType::Int64,
        "i32" => DataType::Int32,
        "i16" => DataType::Int16,
        "i8" => DataType::Int8,
        "u64" => DataType::UInt64,
        "u32" => DataType::UInt32,
        "u16" => DataType::UInt16,
        "u8" => DataType::UInt8,
        "bool" => DataType::Boolean,
        n if n.starts_with("datetime") => {
            DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        }
        _ => DataType::String,
    }
}

fn merge_two(a: LogProfile, b: LogProfile) -> Result<LogProfile, String> {
    let (ha, hb) = (&a.header, &b.header);
    if ha.baseline.sha256 != hb.baseline.sha256 {
        return Err(format!(
            "made against another baseline ({} and {})",
            ha.baseline.name, hb.baseline.name
        ));
    }
    let same = |what: &str, ok: bool| {
        if ok {
            Ok(())
        } else {
            Err(format!(
                "its {what} differ from the first profile's: profile every part with the same settings"
            ))
        }
    };
    let names = |h: &super::ProfileHeader| -> Vec<(String, ColumnKind)> {
        h.columns.iter().map(|c| (c.name.clone(), c.kind)).collect()
    };
    same("analysed columns", names(ha) == names(hb))?;
    // The same role for every column; the reasons quote each part's own counts and may differ.
    let role_of = |h: &ProfileHeader| -> Vec<(String, crate::data::Role, Option<String>)> {
        h.roles
            .columns
            .iter()
            .map(|c| (c.column.clone(), c.role, c.class.clone()))
            .collect()
    };
    if let Some((x, y)) = role_of(ha)
        .into_iter()
        .zip(role_of(hb))
        .find(|(x, y)| x != y)
    {
        return Err(format!(
            "column `{}` is {:?} in the first profile but `{}` is {:?} here: profile every part \
             with the same roles (--role)",
            x.0, x.1, y.0, y.1
        ));
    }
    same("roles", role_of(ha).len() == role_of(hb).len())?;
    same("log columns", ha.log_columns == hb.log_columns)?;
    same("window settings", ha.params.window == hb.params.window)?;
    same(
        "segment columns",
        ha.segments == hb.segments && ha.untimed_segments == hb.untimed_segments,
    )?;
    // Windows by start time; a part's window k becomes window `to[k]` of the merged list.
    let (windows, map_a, map_b) = merge_windows(ha.windows.as_ref(), hb.windows.as_ref())?;
    // Category labels: the first profile's, then the second's new ones.
    let mut labels = Vec::new();
    let mut recode_b = Vec::new();
    for (ca, cb) in ha.columns.iter().zip(&hb.columns) {
        let mut dict = Dictionary::from_labels(&ca.labels);
        let codes: Vec<usize> = cb.labels.iter().map(|l| dict.code(l) as usize).collect();
        if dict.len() > super::MAX_LABELS {
            return Err(format!(
                "column `{}` has over {} categories",
                ca.name,
                super::MAX_LABELS
            ));
        }
        labels.push(dict.labels);
        recode_b.push(codes);
    }
    let mut header = a.header.clone();
    if let (Some(pa), Some(pb)) = (&ha.performance, &hb.performance) {
        header.performance = Some(PerfSpec {
            scores_complete: pa.scores_complete && pb.scores_complete,
            latency_complete: pa.latency_complete && pb.latency_complete,
            // Two classes in each part may be other classes together: the rows decide.
            positive_class: pa
                .positive_class
                .clone()
                .filter(|p| pb.positive_class.as_ref() == Some(p)),
            ..pa.clone()
        });
    } else {
        header.performance = None;
    }
    for (c, l) in header.columns.iter_mut().zip(labels) {
        c.labels = l;
    }
    header.log = super::InputFile {
        name: format!("{} + {}", ha.log.name, hb.log.name),
        sha256: format!("{},{}", ha.log.sha256, hb.log.sha256),
        rows: ha.log.rows + hb.log.rows,
    };
    header.columns = header
        .columns
        .into_iter()
        .zip(&hb.columns)
        .map(|(mut c, cb)| {
            c.unprofiled = c.unprofiled.or_else(|| cb.unprofiled.clone());
            c.every_baseline_value &= cb.every_baseline_value;
            // What each part needed was against its own rows: the merged comparisons need other
            // gaps, so only what is stored is known.
            c.exact_values = super::ExactValues {
                needed: 0,
                stored: c.exact_values.stored + cb.exact_values.stored,
                comparisons_left_out: 0,
            };
            c
        })
        .collect();
    header.windows = windows;
    header.window_error = ha.window_error.clone().or_else(|| hb.window_error.clone());
    let (mut a, mut b) = (a, b);
    let mut untimed = merge_levels(&mut a.untimed, &mut b.untimed, (&[0], &[0]), &recode_b);
    let mut timed = merge_levels(&mut a.timed, &mut b.timed, (&map_a, &map_b), &recode_b);
    for (c, column) in header.columns.iter_mut().enumerate() {
        // A grid coarsened to the shared edges no longer holds every baseline value, nor the
        // values stored on the finer one.
        if untimed.edges.get(c) != a.untimed.edges.get(c) {
            column.every_baseline_value = false;
            column.exact_values.stored = 0;
        }
        for level in [&mut untimed, &mut timed] {
            if let Some(CellColumn::Dense(cells)) = level.columns.get_mut(c) {
                for p in cells {
                    if let ColumnProfile::Categorical(k) = p {
                        k.counts.resize(column.labels.len(), 0);
                    }
                }
            }
        }
    }
    let performance = merge_performance(&a, &b, &header, &timed);
    if performance.is_none() {
        header.performance = None;
    }
    Ok(LogProfile {
        header,
        untimed,
        timed,
        performance,
    })
}

/// Both parts' performance cells moved to the merged timed cells (tuples by their values,
/// windows by start) and added up; scores and latency stay complete only if both were.
fn merge_performance(
    a: &LogProfile,
    b: &LogProfile,
    header: &ProfileHeader,
    timed: &ProfiledLevel,
) -> Option<Vec<PerfCell>> {
    let (sa, sb) = (
        a.header.performance.as_ref()?,
        b.header.performance.as_ref()?,
    );
    let same = (&sa.task, &sa.label, &sa.prediction, &sa.score, &sa.latency)
        == (&sb.task, &sb.label, &sb.prediction, &sb.score, &sb.latency);
    if !same || header.performance.is_none() {
        return None;
    }
    let tuple_of = timed.index.tuple_ids();
    let start_of = |w: &Window| {
        header
            .windows
            .as_ref()?
            .windows
            .iter()
            .position(|m| m.start_micros == w.start_micros)
    };
    let mut out = vec![PerfCell::default(); timed.index.cells()];
    for part in [a, b] {
        let cells = part.performance.as_ref()?;
        let windows = part
            .header
            .windows
            .as_ref()
            .map(|w| w.windows.as_slice())
            .unwrap_or(&[]);
        let slots = part.timed.index.slots;
        for (t, tuple) in part.timed.index.tuples.iter().enumerate() {
            let to_t = *tuple_of.get(tuple)?;
            for s in 0..slots {
                // The last slot holds the rows outside every window.
                let to_s = match windows.get(s) {
                    Some(w) => start_of(w)?,
                    None => timed.index.slots - 1,
                };
                if let (Some(c), Some(target)) = (
                    cells.get(part.timed.index.cell(t, s)),
                    out.get_mut(timed.index.cell(to_t, to_s)),
                ) {
                    target.merge(c);
                }
            }
        }
    }
    Some(out)
}

/// The merged windows, and per part where each of its windows went.
type MergedWindows = (Option<ProfiledWindows>, Vec<usize>, Vec<usize>);

/// The windows of two parts merged by start time (their rows added), and where each part's
/// windows went; the slot after the last window (rows outside every window) maps to the merged
/// one.
fn merge_windows(
    a: Option<&ProfiledWindows>,
    b: Option<&ProfiledWindows>,
) -> Result<MergedWindows, String> {
    let (Some(a), Some(b)) = (a, b) else {
        return match (a, b) {
            (None, None) => Ok((None, vec![0], vec![0])),
            _ => Err("one profile has time windows and the other has none".to_owned()),
        };
    };
    let mut by_start: BTreeMap<i64, Window> = BTreeMap::new();
    for w in a.windows.iter().chain(&b.windows) {
        let start = w.start_micros.ok_or(
            "windows of a number of rows cannot be merged (only windows of a time period can)",
        )?;
        by_start
            .entry(start)
            .and_modify(|m| m.rows += w.rows)
            .or_insert_with(|| w.clone());
    }
    if by_start.len() > crate::analysis::windows::MAX_WINDOWS {
        return Err(format!(
            "together the parts span {} windows, over the {} a report holds",
            by_start.len(),
            crate::analysis::windows::MAX_WINDOWS
        ));
    }
    let windows: Vec<Window> = by_start
        .into_values()
        .enumerate()
        .map(|(i, mut w)| {
            w.index = i;
            w
        })
        .collect();
    let position = |w: &Window| {
        windows
            .binary_search_by_key(&w.start_micros, |m| m.start_micros)
            .unwrap_or(0)
    };
    let map = |p: &ProfiledWindows| -> Vec<usize> {
        p.windows
            .iter()
            .map(position)
            .chain(std::iter::once(windows.len()))
            .collect()
    };
    let (map_a, map_b) = (map(a), map(b));
    let mut notes = a.notes.clone();
    for n in &b.notes {
        if !notes.contains(n) {
            notes.push(n.clone());
        }
    }
    Ok((
        Some(ProfiledWindows {
            timestamp: a.timestamp.clone().or_else(|| b.timestamp.clone()),
            windows,
            rows_without_time: a.rows_without_time + b.rows_without_time,
            rows_outside: a.rows_outside + b.rows_outside,
            notes,
        }),
        map_a,
        map_b,
    ))
}

/// One level of two parts merged: tuples by their segment values, slots through each part's
/// window map, numeric columns on the edges both grids share, categories recoded into the
/// merged labels, stored values kept where the grids agree.
fn merge_levels(
    a: &mut ProfiledLevel,
    b: &mut ProfiledLevel,
    (map_a, map_b): (&[usize], &[usize]),
    recode_b: &[Vec<usize>],
) -> ProfiledLevel {
    let slots = map_a
        .iter()
        .chain(map_b)
        .copied()
        .max()
        .map_or(1, |m| m + 1)
        .max(1);
    let mut tuple_of: HashMap<Vec<Option<String>>, usize> = HashMap::new();
    let mut tuples: Vec<Vec<Option<String>>> = Vec::new();
    let mut tuple_map = |index: &CellIndex| -> Vec<usize> {
        index
            .tuples
            .iter()
            .map(|t| {
                let next = tuples.len();
                let k = *tuple_of.entry(t.clone()).or_insert(next);
                if k == next {
                    tuples.push(t.clone());
                }
                k
            })
            .collect()
    };
    let (ta, tb) = (tuple_map(&a.index), tuple_map(&b.index));
    let index = CellIndex {
        segments: a.index.segments.clone(),
        tuples,
        slots,
        folded: a.index.folded.clone(),
        cell_of_row: Vec::new(),
    };
    let cells = index.cells();
    let mut edges = Vec::new();
    let mut columns = Vec::new();
    let mut values = Vec::new();
    for c in 0..a.columns.len().max(b.columns.len()) {
        let (ea, eb) = (
            a.edges.get(c).cloned().flatten(),
            b.edges.get(c).cloned().flatten(),
        );
        // The grid both parts' cells go on: the shared edges.
        let (grid, to_a, to_b) = match (&ea, &eb) {
            (Some(x), Some(y)) if x == y => (Some(Grid::from_edges(x.clone(), false)), None, None),
            (Some(x), Some(y)) => {
                let shared: Vec<f64> = x
                    .iter()
                    .copied()
                    .filter(|e| y.binary_search_by(|v| v.total_cmp(e)).is_ok())
                    .collect();
                let g = Grid::from_edges(shared, false);
                let (ga, gb) = (
                    Grid::from_edges(x.clone(), false),
                    Grid::from_edges(y.clone(), false),
                );
                let (ma, mb) = (ga.slot_map(&g), gb.slot_map(&g));
                (Some(g), Some(ma), Some(mb))
            }
            _ => (None, None, None),
        };
        // Each part's cells are moved, not copied: merging batch after batch holds the cells
        // of two parts, not three.
        let (a_slots, b_slots) = (a.index.slots.max(1), b.index.slots.max(1));
        let (ca, cb) = (
            a.columns
                .get_mut(c)
                .map(std::mem::take)
                .unwrap_or_default()
                .into_dense(),
            b.columns
                .get_mut(c)
                .map(std::mem::take)
                .unwrap_or_default()
                .into_dense(),
        );
        let merged = if ca.is_empty() || cb.is_empty() {
            // Unprofiled in either part (too many categories): unprofiled in the whole.
            Vec::new()
        } else {
            let mut out: Vec<Option<ColumnProfile>> = vec![None; cells];
            let empty = ca.first().map(|p| empty_of(p, grid.as_ref()));
            let fallback = empty_of(&ca[0], None);
            let mut add = |part: Vec<ColumnProfile>,
                           part_slots: usize,
                           tmap: &[usize],
                           smap: &[usize],
                           to: Option<&Vec<u32>>,
                           recode: Option<&[usize]>| {
                for (cell, p) in part.into_iter().enumerate() {
                    let (t, s) = (cell / part_slots, cell % part_slots);
                    let (Some(&t), Some(&s)) = (tmap.get(t), smap.get(s)) else {
                        continue;
                    };
                    let p = match (&p, to, &grid, recode) {
                        (ColumnProfile::Numeric(n), Some(to), Some(g), _) => {
                            ColumnProfile::Numeric(n.remapped(to, g))
                        }
                        (ColumnProfile::Categorical(k), _, _, Some(codes)) => {
                            let mut r = k.clone();
                            r.counts = vec![0; codes.iter().copied().max().map_or(0, |m| m + 1)];
                            for (code, &n) in k.counts.iter().enumerate() {
                                if let Some(&to) = codes.get(code) {
                                    r.counts[to] += n;
                                }
                            }
                            ColumnProfile::Categorical(r)
                        }
                        _ => p,
                    };
                    let slot = &mut out[index.cell(t, s)];
                    match slot {
                        Some(m) => m.merge(&p),
                        None => *slot = Some(p),
                    }
                }
            };
            add(ca, a_slots, &ta, map_a, to_a.as_ref(), None);
            add(
                cb,
                b_slots,
                &tb,
                map_b,
                to_b.as_ref(),
                recode_b.get(c).map(Vec::as_slice),
            );
            out.into_iter()
                .map(|p| {
                    p.or_else(|| empty.clone())
                        .unwrap_or_else(|| fallback.clone())
                })
                .collect()
        };
        // Stored values stay only where the grids agree (their slots mean the same).
        let mut v = profiles::StoredValues::new();
        if to_a.is_none() {
            for (part, tmap) in [(&*a, &ta), (&*b, &tb)] {
                if let Some(stored) = part.values.get(c) {
                    for (&(t, s), xs) in stored {
                        if let Some(&t) = tmap.get(t as usize) {
                            v.entry((t as u32, s)).or_default().extend_from_slice(xs);
                        }
                    }
                }
            }
        }
        edges.push(grid.as_ref().map(|g| g.edges.clone()));
        columns.push(CellColumn::Dense(merged));
        values.push(v);
    }
    ProfiledLevel {
        index,
        edges,
        columns,
        values,
    }
}

/// An empty profile of the same kind (numeric ones on `grid` when given).
fn empty_of(p: &ColumnProfile, grid: Option<&Grid>) -> ColumnProfile {
    match (p, grid) {
        (ColumnProfile::Numeric(_), Some(g)) => {
            ColumnProfile::Numeric(crate::stats::profile::NumericProfile::empty(g))
        }
        _ => profiles::empty_like(p),
    }
}
