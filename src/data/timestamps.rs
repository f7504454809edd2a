//! Timestamp columns: ISO-8601 text (with or without a zone; `Z` is UTC, no zone is read as UTC),
//! epoch seconds, milliseconds, microseconds or nanoseconds, and native date/time types — all become
//! `Datetime(µs, UTC)` so every later step compares times in one unit and one zone.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use polars::prelude::*;
use rayon::prelude::*;

/// What a timestamp column held before it was parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeSource {
    /// Already a date/time type in the file (Parquet).
    Native,
    IsoText,
    EpochSeconds,
    EpochMillis,
    EpochMicros,
    EpochNanos,
}

impl TimeSource {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Native => "date/time values",
            Self::IsoText => "ISO-8601 text, read as UTC",
            Self::EpochSeconds => "epoch seconds",
            Self::EpochMillis => "epoch milliseconds",
            Self::EpochMicros => "epoch microseconds",
            Self::EpochNanos => "epoch nanoseconds",
        }
    }
}

/// The dtype every timestamp column has after loading.
pub fn utc_micros() -> DataType {
    DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
}

/// Names that mark a numeric column as a time (epoch numbers are only taken as times by name:
/// plenty of ordinary integers are in the epoch range).
pub fn is_time_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    const EXACT: &[&str] = &[
        "ts",
        "time",
        "timestamp",
        "datetime",
        "date",
        "event_time",
        "eventtime",
        "event_ts",
        "created",
        "logged_at",
        "request_time",
        "prediction_time",
        "inference_time",
    ];
    EXACT.contains(&lower.as_str())
        || ["_ts", "_time", "_at", "_timestamp", "_date", "_datetime"]
            .iter()
            .any(|s| lower.ends_with(s))
        || lower.starts_with("timestamp")
}

/// Parses every column that holds times; returns what each was. Values that do not parse become
/// missing, with a warning that counts them and shows the first.
pub fn parse_time_columns(
    frame: &mut DataFrame,
    warnings: &mut Vec<String>,
) -> PolarsResult<BTreeMap<String, TimeSource>> {
    let mut parsed = BTreeMap::new();
    let names: Vec<String> = frame
        .get_column_names()
        .into_iter()
        .map(|n| n.to_string())
        .collect();
    for name in names {
        let column = frame.column(&name)?.as_materialized_series().clone();
        let converted = match column.dtype() {
            DataType::Datetime(_, _) | DataType::Date => {
                Some((native_to_utc(&column)?, TimeSource::Native))
            }
            DataType::String if looks_like_iso(&column) => {
                let (series, failures) = parse_iso_series(&column)?;
                if let Some((count, first_row, first_value)) = failures {
                    warnings.push(format!(
                        "`{name}`: {count} value(s) are not ISO-8601 times and are treated as missing (first: row {}, {first_value:?})",
                        first_row + 1
                    ));
                }
                Some((series, TimeSource::IsoText))
            }
            dt if dt.is_primitive_numeric() && is_time_name(&name) => epoch_unit(&column)
                .map(|unit| epoch_to_utc(&column, unit).map(|s| (s, unit)))
                .transpose()?,
            _ => None,
        };
        if let Some((series, source)) = converted {
            frame.replace(&name, series.into_column())?;
            parsed.insert(name, source);
        }
    }
    Ok(parsed)
}

/// Converts one column to UTC timestamps on request (a role override): text, numbers or dates.
pub fn to_utc_timestamps(series: &Series) -> Result<(Series, TimeSource), String> {
    match series.dtype() {
        DataType::Datetime(_, _) | DataType::Date => native_to_utc(series)
            .map(|s| (s, TimeSource::Native))
            .map_err(|e| e.to_string()),
        DataType::String => {
            let (parsed, failures) = parse_iso_series(series).map_err(|e| e.to_string())?;
            match failures {
                Some((count, _, first)) if count == series.len() - series.null_count() => Err(
                    format!("none of its values is an ISO-8601 time (first: {first:?})"),
                ),
                _ => Ok((parsed, TimeSource::IsoText)),
            }
        }
        dt if dt.is_primitive_numeric() => {
            let unit = epoch_unit(series).ok_or_else(|| {
                "its numbers are not epoch seconds, milliseconds, microseconds or nanoseconds \
                 (expected values between 1e8 and 1e19)"
                    .to_owned()
            })?;
            epoch_to_utc(series, unit)
                .map(|s| (s, unit))
                .map_err(|e| e.to_string())
        }
        other => Err(format!("{other} values cannot be read as times")),
    }
}

fn native_to_utc(series: &Series) -> PolarsResult<Series> {
    let micros = match series.dtype() {
        DataType::Date => {
            let days = series.cast(&DataType::Int32)?.cast(&DataType::Int64)?;
            (days.i64()? * 86_400_000_000i64).into_series()
        }
        DataType::Datetime(unit, _) => {
            let raw = series.to_physical_repr().into_owned();
            let raw = raw.i64()?;
            match unit {
                TimeUnit::Nanoseconds => (raw / 1000).into_series(),
                TimeUnit::Microseconds => raw.clone().into_series(),
                TimeUnit::Milliseconds => (raw * 1000).into_series(),
            }
        }
        _ => return Err(PolarsError::ComputeError("not a date/time column".into())),
    };
    Ok(micros
        .i64()?
        .clone()
        .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        .into_series()
        .with_name(series.name().clone()))
}

/// The epoch unit whose range the median absolute value falls in.
fn epoch_unit(series: &Series) -> Option<TimeSource> {
    let values = series.cast(&DataType::Float64).ok()?;
    let values = values.f64().ok()?;
    let mut sample: Vec<f64> = values.iter().flatten().take(10_000).map(f64::abs).collect();
    if sample.is_empty() {
        return None;
    }
    sample.sort_by(f64::total_cmp);
    let median = sample[sample.len() / 2];
    match median {
        m if (1e8..1e11).contains(&m) => Some(TimeSource::EpochSeconds),
        m if (1e11..1e14).contains(&m) => Some(TimeSource::EpochMillis),
        m if (1e14..1e17).contains(&m) => Some(TimeSource::EpochMicros),
        m if (1e17..1e20).contains(&m) => Some(TimeSource::EpochNanos),
        _ => None,
    }
}

fn epoch_to_utc(series: &Series, unit: TimeSource) -> PolarsResult<Series> {
    let scale = match unit {
        TimeSource::EpochSeconds => 1e6,
        TimeSource::EpochMillis => 1e3,
        TimeSource::EpochMicros => 1.0,
        TimeSource::EpochNanos => 1e-3,
        _ => return Err(PolarsError::ComputeError("not an epoch unit".into())),
    };
    let micros: Int64Chunked = if series.dtype().is_integer() && unit != TimeSource::EpochNanos {
        let ints = series.cast(&DataType::Int64)?;
        // Integers scale exactly.
        (ints.i64()? * (scale as i64)).with_name(series.name().clone())
    } else {
        let floats = series.cast(&DataType::Float64)?;
        let ints: Int64Chunked = floats
            .f64()?
            .iter()
            .map(|v| v.map(|v| (v * scale).round() as i64))
            .collect();
        ints.with_name(series.name().clone())
    };
    Ok(micros
        .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        .into_series())
}

/// A text column is a time column when at least 90 % of its first 100 non-missing values parse
/// (so one junk value near the top does not hide a time column).
fn looks_like_iso(series: &Series) -> bool {
    let Ok(strings) = series.str() else {
        return false;
    };
    let sample: Vec<&str> = strings.iter().flatten().take(100).collect();
    let parsed = sample
        .iter()
        .filter(|s| s.len() >= 10 && parse_iso_micros(s).is_some())
        .count();
    !sample.is_empty() && parsed * 10 >= sample.len() * 9
}

type Failures = Option<(usize, usize, String)>;

fn parse_iso_series(series: &Series) -> PolarsResult<(Series, Failures)> {
    let strings = series.str()?;
    let values: Vec<Option<&str>> = strings.iter().collect();
    let parsed: Vec<Option<i64>> = values
        .par_iter()
        .with_min_len(4096)
        .map(|v| v.and_then(parse_iso_micros))
        .collect();
    let mut failures: Failures = None;
    for (row, (value, micros)) in values.iter().zip(&parsed).enumerate() {
        if let (Some(text), None) = (value, micros) {
            match &mut failures {
                Some((count, _, _)) => *count += 1,
                None => failures = Some((1, row, (*text).to_owned())),
            }
        }
    }
    let ca = Int64Chunked::from_iter_options(series.name().clone(), parsed.into_iter());
    Ok((
        ca.into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
            .into_series(),
        failures,
    ))
}

/// Microseconds since the epoch (UTC) of an ISO-8601 date or date-time. A value without a zone is
/// taken as UTC; `Z` and `±hh:mm` / `±hhmm` offsets are honoured.
pub fn parse_iso_micros(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Some(dt.timestamp_micros());
    }
    const WITH_ZONE: &[&str] = &[
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f %z",
    ];
    for fmt in WITH_ZONE {
        if let Ok(dt) = DateTime::parse_from_str(text, fmt) {
            return Some(dt.timestamp_micros());
        }
    }
    let naive = text.strip_suffix(['Z', 'z']).unwrap_or(text);
    const NAIVE: &[&str] = &[
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ];
    for fmt in NAIVE {
        if let Ok(dt) = NaiveDateTime::parse_from_str(naive, fmt) {
            return Some(dt.and_utc().timestamp_micros());
        }
    }
    NaiveDate::parse_from_str(naive, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc().timestamp_micros())
}

/// A UTC timestamp in microseconds as ISO-8601 text, for people and reports.
pub fn format_micros(micros: i64) -> String {
    DateTime::from_timestamp_micros(micros)
        .map(|dt| dt.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| format!("{micros} µs"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOV_1_NOON: i64 = 1_793_534_400_000_000;

    #[test]
    fn iso_forms_agree_on_the_same_instant() {
        for text in [
            "2026-11-01T12:00:00Z",
            "2026-11-01T12:00:00.000Z",
            "2026-11-01 12:00:00",
            "2026-11-01T12:00:00",
            "2026-11-01T14:00:00+02:00",
            "2026-11-01T14:00:00+0200",
            "2026-11-01T07:00:00-05:00",
            "2026-11-01T12:00",
        ] {
            assert_eq!(parse_iso_micros(text), Some(NOV_1_NOON), "{text}");
        }
        assert_eq!(
            parse_iso_micros("2026-11-01"),
            Some(NOV_1_NOON - 12 * 3_600_000_000)
        );
        assert_eq!(
            parse_iso_micros("2026-11-01T12:00:00.250Z"),
            Some(NOV_1_NOON + 250_000)
        );
    }

    #[test]
    fn non_times_do_not_parse() {
        for text in ["yesterday", "12:00", "2026-13-01", "1793534400", ""] {
            assert_eq!(parse_iso_micros(text), None, "{text}");
        }
    }

    #[test]
    fn epoch_units_are_told_apart_by_magnitude() {
        let secs = Series::new("ts".into(), &[1_793_534_400i64, 1_793_534_401]);
        let millis = Series::new("ts".into(), &[1_793_534_400_000i64]);
        let float_secs = Series::new("ts".into(), &[1_793_534_400.5f64]);
        let (a, unit_a) = to_utc_timestamps(&secs).unwrap();
        let (b, unit_b) = to_utc_timestamps(&millis).unwrap();
        let (c, _) = to_utc_timestamps(&float_secs).unwrap();
        assert_eq!(unit_a, TimeSource::EpochSeconds);
        assert_eq!(unit_b, TimeSource::EpochMillis);
        let micros = |s: &Series| s.to_physical_repr().i64().unwrap().get(0);
        assert_eq!(micros(&a), Some(NOV_1_NOON));
        assert_eq!(micros(&b), Some(NOV_1_NOON));
        assert_eq!(micros(&c), Some(NOV_1_NOON + 500_000));
        assert!(to_utc_timestamps(&Series::new("x".into(), &[3i64, 4])).is_err());
    }

    #[test]
    fn text_column_with_junk_keeps_loading_and_warns() {
        let mut values = vec!["2026-11-01T12:00:00Z"; 19];
        values.insert(3, "garbage here");
        let mut frame = DataFrame::new_infer_height(vec![
            Column::new("ts".into(), &values),
            Column::new("note".into(), &vec!["free text"; 20]),
        ])
        .unwrap();
        let mut warnings = Vec::new();
        let parsed = parse_time_columns(&mut frame, &mut warnings).unwrap();
        assert_eq!(parsed.get("ts"), Some(&TimeSource::IsoText));
        assert!(!parsed.contains_key("note"));
        assert_eq!(frame.column("ts").unwrap().null_count(), 1);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("row 4"), "{}", warnings[0]);
        assert!(warnings[0].contains("garbage here"), "{}", warnings[0]);
    }
}
