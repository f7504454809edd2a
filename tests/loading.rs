//! Loading: the three formats give identical frames, nested objects flatten, timestamps parse, and
//! every kind of bad input gets one clear error naming the file (and the line where known).

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use driftscope::data::{DataError, Format, OverrideLayers, Role, load_inputs, load_table};
use polars::prelude::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn csv_json_lines_and_parquet_load_to_identical_frames() {
    let csv = load_table(&fixture("log.csv")).unwrap();
    let jsonl = load_table(&fixture("log.jsonl")).unwrap();
    let parquet = load_table(&fixture("log.parquet")).unwrap();
    assert_eq!(csv.format, Format::Csv { separator: b',' });
    assert_eq!(jsonl.format, Format::JsonLines);
    assert_eq!(parquet.format, Format::Parquet);
    assert_eq!(csv.frame.schema(), jsonl.frame.schema());
    assert_eq!(csv.frame.schema(), parquet.frame.schema());
    assert!(
        csv.frame.equals_missing(&jsonl.frame),
        "csv:\n{}\njsonl:\n{}",
        csv.frame,
        jsonl.frame
    );
    assert!(
        csv.frame.equals_missing(&parquet.frame),
        "csv:\n{}\nparquet:\n{}",
        csv.frame,
        parquet.frame
    );
    // The nested "features" object came out as plain columns, in place.
    assert_eq!(
        jsonl.column_names(),
        [
            "ts",
            "request_id",
            "model_version",
            "amount",
            "region",
            "hour",
            "card_present",
            "prediction",
            "score",
            "label"
        ]
    );
    assert_eq!(
        jsonl.flattened.get("amount").map(String::as_str),
        Some("features.amount")
    );
    assert_eq!(csv.frame.column("amount").unwrap().null_count(), 1);
    assert_eq!(csv.frame.column("region").unwrap().null_count(), 1);
    assert_eq!(csv.frame.column("label").unwrap().null_count(), 2);
    assert_eq!(
        csv.frame.column("card_present").unwrap().dtype(),
        &DataType::Boolean
    );
}

#[test]
fn timestamps_are_utc_microseconds_whatever_the_source() {
    let table = load_table(&fixture("log.jsonl")).unwrap();
    let ts = table.frame.column("ts").unwrap();
    assert_eq!(
        ts.dtype(),
        &DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
    );
    // 2026-11-01T12:05:30.250Z
    let physical = ts.as_materialized_series().to_physical_repr();
    assert_eq!(
        physical.i64().unwrap().get(1),
        Some(1_793_534_400_000_000 + 330_250_000)
    );
    let (start, end) = table.time_range("ts").unwrap();
    assert_eq!(start, 1_793_534_400_000_000);
    assert_eq!(end, 1_793_773_800_000_000);
}

#[test]
fn epoch_numbers_in_a_time_column_become_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let secs = write(&dir, "s.csv", b"event_time,x\n1793534400,1\n1793534460,2\n");
    let millis = write(
        &dir,
        "ms.jsonl",
        b"{\"ts\": 1793534400000, \"x\": 1}\n{\"ts\": 1793534460000, \"x\": 2}\n",
    );
    for path in [secs, millis] {
        let t = load_table(&path).unwrap();
        let name = &t.column_names()[0];
        assert_eq!(
            t.time_range(name),
            Some((1_793_534_400_000_000, 1_793_534_460_000_000)),
            "{}",
            path.display()
        );
    }
    // An ordinary integer column in the epoch range is left alone: only time-named columns are read as times.
    let ids = write(&dir, "ids.csv", b"account,x\n1793534400,1\n1793534460,2\n");
    let t = load_table(&ids).unwrap();
    assert_eq!(t.frame.column("account").unwrap().dtype(), &DataType::Int64);
}

#[test]
fn zoned_and_naive_iso_text_agree() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "mixed.csv",
        b"ts,x\n2026-11-01T12:00:00Z,1\n2026-11-01 14:00:00+02:00,2\n2026-11-01T12:00:00,3\n",
    );
    let t = load_table(&path).unwrap();
    let micros = t
        .frame
        .column("ts")
        .unwrap()
        .as_materialized_series()
        .to_physical_repr();
    let values: Vec<Option<i64>> = micros.i64().unwrap().iter().collect();
    assert_eq!(values, vec![Some(1_793_534_400_000_000); 3]);
}

#[test]
fn nested_names_are_prefixed_only_where_they_collide() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "n.jsonl",
        br#"{"id": 1, "features": {"id": "a", "age": 31, "geo": {"region": "FL"}}, "meta": {"age": 2}}
{"id": 2, "features": {"id": "b", "age": 40, "geo": {"region": "NY"}}, "meta": {"age": 3}}
"#,
    );
    let t = load_table(&path).unwrap();
    assert_eq!(
        t.column_names(),
        ["id", "features.id", "features.age", "region", "meta.age"]
    );
    assert_eq!(
        t.flattened.get("region").map(String::as_str),
        Some("features.geo.region")
    );
}

#[test]
fn a_missing_nested_object_gives_missing_fields() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "m.jsonl",
        b"{\"id\": 1, \"features\": {\"age\": 31, \"region\": \"FL\"}}\n{\"id\": 2, \"features\": null}\n{\"id\": 3}\n",
    );
    let t = load_table(&path).unwrap();
    assert_eq!(t.column_names(), ["id", "age", "region"]);
    assert_eq!(t.frame.column("age").unwrap().null_count(), 2);
    assert_eq!(t.frame.column("region").unwrap().null_count(), 2);
}

#[test]
fn sample_logs_in_json_lines_and_parquet_are_the_same_data() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    let jsonl = load_table(&dir.join("predictions.jsonl")).unwrap();
    let parquet = load_table(&dir.join("predictions.parquet")).unwrap();
    assert_eq!(jsonl.rows(), 10_500);
    assert_eq!(jsonl.column_names(), parquet.column_names());
    assert!(jsonl.frame.equals_missing(&parquet.frame));
}

// ---- bad input: one clear message each, naming the file -------------------------------------

/// A Parquet log of several row groups loads with every float column in one chunk — what lets
/// the analysis read a float column straight from the frame instead of copying it — and with the
/// values, nulls and NaN where they were.
#[test]
fn float_columns_of_a_parquet_file_with_several_row_groups_load_as_one_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let n = 50_000;
    let x: Vec<f64> = (0..n).map(|i| i as f64 * 0.5).collect();
    let y: Vec<Option<f64>> = (0..n).map(|i| (i % 7 != 0).then_some(i as f64)).collect();
    let mut df = df!("x" => &x, "y" => &y, "k" => (0..n as i64).collect::<Vec<_>>()).unwrap();
    let path = dir.path().join("groups.parquet");
    let file = std::fs::File::create(&path).unwrap();
    ParquetWriter::new(file)
        .with_row_group_size(Some(4_096))
        .finish(&mut df)
        .unwrap();
    let table = load_table(&path).unwrap();
    for name in ["x", "y"] {
        let c = table.frame.column(name).unwrap();
        assert_eq!(c.n_chunks(), 1, "{name}");
    }
    assert!(
        table.frame.equals_missing(&df),
        "same values after the load"
    );
}

fn error_of(path: &Path) -> String {
    match load_table(path) {
        Ok(t) => panic!(
            "{} loaded ({} rows) but should have failed",
            path.display(),
            t.rows()
        ),
        Err(e) => e.to_string(),
    }
}

fn assert_names_file(message: &str, path: &Path) {
    assert!(
        message.starts_with(&path.display().to_string()),
        "message does not name the file: {message}"
    );
}

#[test]
fn missing_file() {
    let path = Path::new("/definitely/not/here/log.csv");
    let err = error_of(path);
    assert_eq!(err, "/definitely/not/here/log.csv: no such file");
}

#[test]
fn empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "empty.jsonl", b"");
    assert_eq!(
        error_of(&path),
        format!("{}: the file is empty", path.display())
    );
}

#[test]
fn header_only_csv() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "h.csv", b"ts,amount,region\n");
    assert_eq!(
        error_of(&path),
        format!("{}: has a header but no data rows", path.display())
    );
}

#[test]
fn ragged_rows_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let long = write(&dir, "long.csv", b"a,b,c\n1,2,3\n4,5,6,7\n8,9,10\n");
    let err = error_of(&long);
    assert_names_file(&err, &long);
    assert!(
        err.contains("line 3: has 4 fields but the header has 3"),
        "{err}"
    );
    let short = write(&dir, "short.csv", b"a,b,c\n1,2,3\n4,5,6\n7,8\n");
    let err = error_of(&short);
    assert!(
        err.contains("line 4: has 2 fields but the header has 3"),
        "{err}"
    );
    // Separators inside quotes are not field breaks, and quoted line breaks do not end a record.
    let quoted = write(&dir, "q.csv", b"a,b\n\"x,y\",1\n\"multi\nline\",2\n");
    assert_eq!(load_table(&quoted).unwrap().rows(), 2);
}

#[test]
fn invalid_json_line_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "bad.jsonl",
        b"{\"a\": 1}\n{\"a\": 2}\n{\"a\": 3,,}\n{\"a\": 4}\n",
    );
    let err = error_of(&path);
    assert_names_file(&err, &path);
    assert!(err.contains("line 3: invalid JSON"), "{err}");
    let not_object = write(&dir, "arr.jsonl", b"{\"a\": 1}\n[1, 2]\n");
    assert!(error_of(&not_object).contains("line 2: is valid JSON but not an object"));
    // A JSON document cut off mid-write (a killed process) is the same kind of error.
    let cut = write(&dir, "cut.jsonl", b"{\"a\": 1}\n{\"a\": 2, \"b\": \"unfin");
    assert!(error_of(&cut).contains("line 2: invalid JSON"));
}

#[test]
fn non_utf8_bytes_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(&dir, "latin1.csv", b"city,n\nBerlin,1\nK\xf6ln,2\n");
    let err = error_of(&csv);
    assert_names_file(&err, &csv);
    assert!(err.contains("line 3: not valid UTF-8"), "{err}");
    let jsonl = write(
        &dir,
        "latin1.jsonl",
        b"{\"city\": \"Berlin\"}\n{\"city\": \"K\xf6ln\"}\n",
    );
    assert!(error_of(&jsonl).contains("line 2: not valid UTF-8"));
}

#[test]
fn unknown_extension() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "report.xlsx",
        b"PK\x03\x04\x14\x00\x06\x00binary zip content\x00\x00",
    );
    let err = error_of(&path);
    assert_names_file(&err, &path);
    assert!(err.contains("unknown file type '.xlsx'"), "{err}");
    assert!(
        err.contains("CSV") && err.contains("Parquet") && err.contains("JSON lines"),
        "{err}"
    );
    // An unknown extension with recognisable content is read by its content.
    let txt = write(&dir, "export.txt", b"a;b\n1;2\n");
    assert_eq!(
        load_table(&txt).unwrap().format,
        Format::Csv { separator: b';' }
    );
}

#[test]
fn truncated_and_corrupt_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(fixture("log.parquet")).unwrap();
    let truncated = write(&dir, "cut.parquet", &good[..good.len() / 2]);
    let err = error_of(&truncated);
    assert_names_file(&err, &truncated);
    assert!(err.contains("truncated or corrupt Parquet"), "{err}");

    // Magic bytes intact at both ends, garbage in between.
    let mut corrupt = good.clone();
    let len = corrupt.len();
    for b in &mut corrupt[len - 200..len - 8] {
        *b = 0xAB;
    }
    let corrupt = write(&dir, "corrupt.parquet", &corrupt);
    let err = error_of(&corrupt);
    assert_names_file(&err, &corrupt);
    assert!(err.contains("corrupt Parquet"), "{err}");

    let fake = write(&dir, "fake.parquet", b"a,b\n1,2\n");
    assert!(error_of(&fake).contains("not a Parquet file"));
}

#[test]
fn baseline_and_log_with_no_column_in_common() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = write(&dir, "b.csv", b"x,y\n1,2\n");
    let log = write(&dir, "l.csv", b"p,q\n3,4\n");
    let err = load_inputs(&baseline, &log, &OverrideLayers::default()).unwrap_err();
    assert!(matches!(err, DataError::NoCommonColumns { .. }));
    let text = err.to_string();
    assert!(
        text.contains("b.csv") && text.contains("l.csv") && text.contains("no column in common"),
        "{text}"
    );
    assert!(
        text.contains("baseline columns: x, y") && text.contains("log columns: p, q"),
        "{text}"
    );
}

#[test]
fn schema_diff_names_one_sided_columns_and_type_changes() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = write(
        &dir,
        "b.csv",
        b"amount,region,age,label\n1.5,FL,3,0\n2.5,NY,4,1\n",
    );
    let log = write(
        &dir,
        "l.csv",
        b"ts,amount,region,age\n2026-11-01T00:00:00Z,3.5,FL,old\n2026-11-01T00:01:00Z,4,NY,young\n",
    );
    let inputs = load_inputs(&baseline, &log, &OverrideLayers::default()).unwrap();
    assert_eq!(inputs.schema.common, ["amount", "region", "age"]);
    assert_eq!(inputs.schema.only_current, ["ts"]);
    assert_eq!(inputs.schema.only_baseline, ["label"]);
    assert_eq!(inputs.schema.type_changes.len(), 1);
    let change = &inputs.schema.type_changes[0];
    assert_eq!((change.column.as_str(), change.compatible), ("age", false));
    assert_eq!(inputs.roles.role_of("label"), Some(Role::Label));
    assert_eq!(inputs.roles.role_of("ts"), Some(Role::Timestamp));
}
