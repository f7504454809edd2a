//! Numbers for people: one way to write a share, a score and a count everywhere (terminal,
//! app, reports).

/// 0.0347 → "3.5 %".
pub fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

/// A score or p-value: "–" when absent, scientific notation below 0.001, else `digits` decimals.
pub fn score(x: Option<f64>, digits: usize) -> String {
    match x {
        None => "–".to_owned(),
        Some(v) if v != 0.0 && v.abs() < 1e-3 => format!("{v:.2e}"),
        Some(v) => format!("{v:.digits$}"),
    }
}

/// A score that may be known only within an interval (measured from profiles): the score, or
/// "0.1210–0.1240" when the interval is not a point.
pub fn score_within(x: Option<f64>, interval: Option<[f64; 2]>, digits: usize) -> String {
    match interval {
        Some([lo, hi]) if lo < hi => {
            format!("{}–{}", score(Some(lo), digits), score(Some(hi), digits))
        }
        _ => score(x, digits),
    }
}

/// 1234567 → "1,234,567".
pub fn group_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A count at a glance: 950 → "950", 10,500 → "10.5 k", 1,234,567 → "1.2 M".
pub fn human_count(n: usize) -> String {
    let trim = |x: f64, unit: &str| {
        let s = format!("{x:.1}");
        format!("{} {unit}", s.strip_suffix(".0").unwrap_or(&s))
    };
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => trim(n as f64 / 1e3, "k"),
        1_000_000..1_000_000_000 => trim(n as f64 / 1e6, "M"),
        _ => trim(n as f64 / 1e9, "G"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(pct(0.0347), "3.5 %");
        assert_eq!(score(None, 3), "–");
        assert_eq!(score(Some(0.1234), 3), "0.123");
        assert_eq!(score(Some(2.5e-9), 3), "2.50e-9");
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1,000");
        assert_eq!(group_thousands(10_500_000), "10,500,000");
        assert_eq!(human_count(950), "950");
        assert_eq!(human_count(10_500), "10.5 k");
        assert_eq!(human_count(12_000), "12 k");
        assert_eq!(human_count(1_234_567), "1.2 M");
        assert_eq!(human_count(10_000_000), "10 M");
    }
}
