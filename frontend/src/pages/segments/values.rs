//! What a merchant types in a condition's value box, and the JSON the rule language wants for
//! it: money in major units of the shop's currency, ratios as percentages, lists as commas.

use attune_api::segments::{AffinityKind, EventKind, FieldKind, Op};
use serde_json::Value;

/// Digits after the decimal point in `currency`'s major unit. The same table as the server's
/// money module: amounts are typed in major units and stored in minor ones.
pub fn exponent(currency: &str) -> u32 {
    const ZERO_DECIMAL: [&str; 8] = ["JPY", "KRW", "VND", "CLP", "ISK", "HUF", "XOF", "XAF"];
    const THREE_DECIMAL: [&str; 5] = ["BHD", "KWD", "OMR", "JOD", "TND"];
    let code = currency.to_ascii_uppercase();
    if ZERO_DECIMAL.contains(&code.as_str()) {
        0
    } else if THREE_DECIMAL.contains(&code.as_str()) {
        3
    } else {
        2
    }
}

/// `"49.99"` → `4999` for a two-decimal currency; `None` for anything else than a plain
/// decimal with at most the currency's decimals (never rounded through floating point).
pub fn parse_major(text: &str, exp: u32) -> Option<i64> {
    let s = text.trim();
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) {
        return None;
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > exp as usize {
        return None;
    }
    let scale = 10i64.checked_pow(exp)?;
    let frac_value: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<width$}", width = exp as usize)
            .parse()
            .ok()?
    };
    let value = whole
        .parse::<i64>()
        .ok()?
        .checked_mul(scale)?
        .checked_add(frac_value)?;
    Some(if negative { -value } else { value })
}

/// `4999` → `"49.99"`, `5000` → `"50"`: what the merchant would have typed.
pub fn format_major(minor: i64, exp: u32) -> String {
    let scale = 10u64.pow(exp);
    let abs = minor.unsigned_abs();
    let sign = if minor < 0 { "-" } else { "" };
    let (whole, frac) = (abs / scale, abs % scale);
    if frac == 0 {
        format!("{sign}{whole}")
    } else {
        let frac = format!("{frac:0>width$}", width = exp as usize);
        format!("{sign}{whole}.{}", frac.trim_end_matches('0'))
    }
}

/// A JSON number as typed: whole numbers without a fraction.
fn number_value(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

/// Percent with at most four decimals, so 0.07 shows as 7 rather than 7.000000000000001.
fn percent_text(ratio: f64) -> String {
    let s = format!("{:.4}", ratio * 100.0);
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// One typed value → its JSON. `Err` carries a message for what the server could not name
/// in the merchant's terms (money and percentages are converted here); anything else the
/// server judges, so a plain number that does not parse is sent as text for it to name.
pub fn scalar_json(kind: FieldKind, text: &str, exp: u32) -> Result<Value, String> {
    let t = text.trim();
    match kind {
        FieldKind::Money => parse_major(t, exp).map(Value::from).ok_or_else(|| {
            let example = format_major(4999 * 10i64.pow(exp) / 100, exp);
            format!("must be an amount such as {example}")
        }),
        FieldKind::Ratio => match t.parse::<f64>() {
            Ok(p) if (0.0..=100.0).contains(&p) => Ok(number_value(p / 100.0)),
            _ => Err("must be a percentage from 0 to 100".to_owned()),
        },
        FieldKind::Number | FieldKind::Days | FieldKind::Score => Ok(t
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map_or_else(|| Value::from(t), number_value)),
        FieldKind::Bool => Ok(match t {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            other => Value::from(other),
        }),
        FieldKind::Text | FieldKind::OneOf(_) => Ok(Value::from(t)),
    }
}

/// The operand of a comparison: `None` when it takes none (or nothing was typed, which the
/// server reports as required).
pub fn operand_json(
    kind: FieldKind,
    op: Op,
    value: &str,
    high: &str,
    exp: u32,
) -> Result<Option<Value>, String> {
    match op {
        Op::Exists | Op::Missing => Ok(None),
        Op::Between => {
            if value.trim().is_empty() || high.trim().is_empty() {
                return Ok(None);
            }
            let lo = scalar_json(kind, value, exp).map_err(|e| format!("from: {e}"))?;
            let hi = scalar_json(kind, high, exp).map_err(|e| format!("to: {e}"))?;
            Ok(Some(Value::Array(vec![lo, hi])))
        }
        Op::In => {
            let items: Vec<&str> = split_list(value).collect();
            if items.is_empty() {
                return Ok(None);
            }
            items
                .into_iter()
                .map(|item| scalar_json(kind, item, exp).map_err(|e| format!("“{item}” {e}")))
                .collect::<Result<Vec<_>, _>>()
                .map(|xs| Some(Value::Array(xs)))
        }
        _ if value.trim().is_empty() => Ok(None),
        _ => scalar_json(kind, value, exp).map(Some),
    }
}

pub fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// One JSON value → what the box shows; `None` when the box could not show it faithfully.
pub fn scalar_text(kind: FieldKind, value: &Value, exp: u32) -> Option<String> {
    match kind {
        FieldKind::Money => value.as_i64().map(|m| format_major(m, exp)),
        FieldKind::Ratio => value.as_f64().map(percent_text),
        FieldKind::Number | FieldKind::Days | FieldKind::Score => {
            value.as_f64().map(|x| match number_value(x) {
                Value::Number(n) => n.to_string(),
                _ => x.to_string(),
            })
        }
        FieldKind::Bool => value.as_bool().map(|b| b.to_string()),
        FieldKind::Text | FieldKind::OneOf(_) => value.as_str().map(str::to_owned),
    }
}

/// The value boxes of a comparison loaded from the server: `(value, high)`.
pub fn operand_text(
    kind: FieldKind,
    op: Op,
    value: Option<&Value>,
    exp: u32,
) -> Option<(String, String)> {
    match (op, value) {
        (Op::Exists | Op::Missing, None | Some(Value::Null)) => Some(Default::default()),
        (Op::Between, Some(Value::Array(xs))) if xs.len() == 2 => Some((
            scalar_text(kind, &xs[0], exp)?,
            scalar_text(kind, &xs[1], exp)?,
        )),
        (Op::In, Some(Value::Array(xs))) => {
            let items: Option<Vec<String>> = xs.iter().map(|x| scalar_text(kind, x, exp)).collect();
            let items = items?;
            // A comma inside a value would split it in two when typed back.
            (!items.iter().any(|i| i.contains(','))).then(|| (items.join(", "), String::new()))
        }
        (Op::Between | Op::In | Op::Exists | Op::Missing, _) => None,
        (_, Some(v)) => Some((scalar_text(kind, v, exp)?, String::new())),
        (_, None) => None,
    }
}

/// `organic_search` → `Organic search`.
pub fn humanize(name: &str) -> String {
    let spaced = name.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub fn event_label(e: EventKind) -> &'static str {
    match e {
        EventKind::PageViewed => "Viewed a page",
        EventKind::ProductViewed => "Viewed a product",
        EventKind::CollectionViewed => "Viewed a collection",
        EventKind::SearchSubmitted => "Searched",
        EventKind::ProductAddedToCart => "Added to cart",
        EventKind::CheckoutStarted => "Started checkout",
        EventKind::CheckoutCompleted => "Completed checkout",
    }
}

pub fn filter_label(key: &str) -> &'static str {
    match key {
        "collection" => "in collection",
        "product_type" => "of product type",
        "vendor" => "from vendor",
        "tag" => "tagged",
        "product" => "product id",
        _ => "any product",
    }
}

pub fn affinity_label(k: AffinityKind) -> &'static str {
    match k {
        AffinityKind::Collection => "Collection",
        AffinityKind::ProductType => "Product type",
        AffinityKind::Vendor => "Vendor",
        AffinityKind::Tag => "Tag",
    }
}
