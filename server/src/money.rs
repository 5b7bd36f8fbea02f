//! Money as integer minor units of a currency: parsing platform decimal strings exactly
//! (never through floating point) and formatting for display.

/// Currencies whose minor unit is the whole unit.
const ZERO_DECIMAL: [&str; 8] = ["JPY", "KRW", "VND", "CLP", "ISK", "HUF", "XOF", "XAF"];
/// Currencies with three decimals.
const THREE_DECIMAL: [&str; 5] = ["BHD", "KWD", "OMR", "JOD", "TND"];

pub fn exponent(currency: &str) -> u32 {
    let code = currency.to_ascii_uppercase();
    if ZERO_DECIMAL.contains(&code.as_str()) {
        0
    } else if THREE_DECIMAL.contains(&code.as_str()) {
        3
    } else {
        2
    }
}

/// `"19.99"` in `USD` -> `1999`. Extra decimals beyond the currency's are rejected rather
/// than silently rounded; `None` for anything that is not a plain decimal number.
pub fn parse_minor(amount: &str, currency: &str) -> Option<i64> {
    let exp = exponent(currency);
    let s = amount.trim();
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > exp as usize {
        return None;
    }
    let scale = 10i64.checked_pow(exp)?;
    let whole: i64 = whole.parse().ok()?;
    let frac_value: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<width$}", width = exp as usize)
            .parse()
            .ok()?
    };
    let value = whole.checked_mul(scale)?.checked_add(frac_value)?;
    Some(if negative { -value } else { value })
}

pub fn format(amount_minor: i64, currency: &str) -> String {
    let code = currency.to_ascii_uppercase();
    let symbol = match code.as_str() {
        "GBP" => "£",
        "USD" | "CAD" | "AUD" | "NZD" => "$",
        "EUR" => "€",
        "JPY" => "¥",
        _ => "",
    };
    let sign = if amount_minor < 0 { "-" } else { "" };
    let abs = amount_minor.unsigned_abs();
    let exp = exponent(&code);
    let number = if exp == 0 {
        abs.to_string()
    } else {
        let scale = 10u64.pow(exp);
        format!(
            "{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = exp as usize
        )
    };
    if symbol.is_empty() {
        format!("{sign}{number} {code}")
    } else {
        format!("{sign}{symbol}{number}")
    }
}

/// A plain decimal string of an amount (`12.50`), as platform APIs take it.
pub fn decimal(minor: i64, currency: &str) -> String {
    let exp = exponent(currency);
    if exp == 0 {
        return minor.to_string();
    }
    let scale = 10i64.pow(exp);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!(
        "{sign}{}.{:0w$}",
        abs / scale as u64,
        abs % scale as u64,
        w = exp as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(parse_minor("19.99", "USD"), Some(1999));
        assert_eq!(parse_minor("0.1", "usd"), Some(10));
        assert_eq!(parse_minor("24", "EUR"), Some(2400));
        assert_eq!(parse_minor("1500", "JPY"), Some(1500));
        assert_eq!(parse_minor("1.250", "KWD"), Some(1250));
        assert_eq!(parse_minor("-2.50", "GBP"), Some(-250));
        assert_eq!(parse_minor("12.340", "USD"), Some(1234));
        assert_eq!(parse_minor("12.345", "USD"), None);
        assert_eq!(parse_minor("abc", "USD"), None);
        assert_eq!(parse_minor("", "USD"), None);
        assert_eq!(parse_minor("1e3", "USD"), None);
        assert_eq!(parse_minor("99999999999999999999", "USD"), None);
    }

    #[test]
    fn formats() {
        assert_eq!(format(1234, "gbp"), "£12.34");
        assert_eq!(format(5, "USD"), "$0.05");
        assert_eq!(format(-250, "EUR"), "-€2.50");
        assert_eq!(format(1500, "JPY"), "¥1500");
        assert_eq!(format(100, "CHF"), "1.00 CHF");
        assert_eq!(format(1250, "KWD"), "1.250 KWD");
    }
}
