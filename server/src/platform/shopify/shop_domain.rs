//! Shop hostname validation: done before any redirect, outbound call or lookup.

/// A validated `{handle}.myshopify.com` hostname.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShopDomain(String);

impl ShopDomain {
    /// Accepts `^[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com$` (lower-cased), as a production
    /// app should; anything else (other hosts, paths, ports, lookalikes) is rejected.
    pub fn parse(input: &str) -> Option<Self> {
        let lower = input.trim().to_ascii_lowercase();
        let handle = lower.strip_suffix(".myshopify.com")?;
        let mut chars = handle.chars();
        let first = chars.next()?;
        if !first.is_ascii_alphanumeric() {
            return None;
        }
        if !chars.all(|c| c.is_ascii_alphanumeric() || c == '-') || handle.len() > 60 {
            return None;
        }
        Some(ShopDomain(lower))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ShopDomain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_canonical_domains() {
        assert_eq!(
            ShopDomain::parse("Demo-1.myshopify.com").unwrap().as_str(),
            "demo-1.myshopify.com"
        );
    }

    #[test]
    fn rejects_lookalikes() {
        for bad in [
            "demo.myshopify.com.evil.com",
            "-x.myshopify.com",
            ".myshopify.com",
            "demo.shopify.com",
            "de mo.myshopify.com",
            "demo.myshopify.com/admin",
            "demo.myshopify.com:443",
            "a_b.myshopify.com",
            "",
        ] {
            assert!(ShopDomain::parse(bad).is_none(), "{bad}");
        }
    }
}
