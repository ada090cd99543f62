//! Conversions between the exact [`Decimal`] and `rust_decimal::Decimal` (feature
//! `rust_decimal`), for arithmetic that must stay exact.

use super::{Decimal, ValueError};

impl TryFrom<&Decimal> for rust_decimal::Decimal {
    type Error = ValueError;

    /// The same number, exactly: a comma decimal mark is read as a point and an exponent
    /// applied. A number `rust_decimal` cannot hold (more than 28 significant digits) is
    /// an error, never rounded.
    fn try_from(value: &Decimal) -> Result<Self, ValueError> {
        let text = value.as_str().trim_end().replace(',', ".");
        let parsed = if text.contains(['e', 'E']) {
            rust_decimal::Decimal::from_scientific(&text)
        } else {
            rust_decimal::Decimal::from_str_exact(&text)
        };
        parsed.map_err(|_| ValueError::expected("a number with at most 28 significant digits"))
    }
}

impl TryFrom<rust_decimal::Decimal> for Decimal {
    type Error = ValueError;

    /// The number as REDCap's number validation writes it (`-1.50`; no exponent), checked
    /// like any other text.
    fn try_from(value: rust_decimal::Decimal) -> Result<Self, ValueError> {
        Decimal::new(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_are_exact_both_ways() {
        for text in ["1.50", "-0.25", "3", "+7", ".5"] {
            let exact = Decimal::new(text).unwrap();
            let converted = rust_decimal::Decimal::try_from(&exact).unwrap();
            assert_eq!(
                converted,
                text.parse::<rust_decimal::Decimal>().unwrap(),
                "{text}"
            );
        }
        let comma = Decimal::new("3,25").unwrap();
        assert_eq!(
            rust_decimal::Decimal::try_from(&comma).unwrap().to_string(),
            "3.25"
        );
        let exponent = Decimal::new("1.5e3").unwrap();
        assert_eq!(
            rust_decimal::Decimal::try_from(&exponent).unwrap(),
            rust_decimal::Decimal::from(1500)
        );
        let too_long = Decimal::new(format!("0.{}", "1".repeat(40))).unwrap();
        assert!(rust_decimal::Decimal::try_from(&too_long).is_err());
        let back = Decimal::try_from(rust_decimal::Decimal::new(-150, 2)).unwrap();
        assert_eq!(back.as_str(), "-1.50");
        assert_eq!(back.to_f64(), -1.5);
    }
}
