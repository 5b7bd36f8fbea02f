//! Code pools: each active offer keeps a small stock of single-use codes already created on the
//! platform, so the storefront hands one out without waiting on the platform. A claim that
//! leaves the pool low queues a refill job.

use anyhow::Context;
use attune_api::offers::OfferKind;
use sea_orm::DatabaseConnection;

use crate::db::{self, ShopId};
use crate::platform::{CodeSpec, CodeValue, CreatedCode};
use crate::state::AppState;

/// Codes kept ready per active offer.
pub const POOL_SIZE: u64 = 20;
/// A claim that leaves this many or fewer codes queues a refill.
pub const LOW_WATER: u64 = 8;

/// Unambiguous characters (no 0/O, 1/I/L): codes are sometimes typed by hand.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A fresh code: `AT-` and ten random characters (about 2^49 possibilities).
pub fn new_code() -> String {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let tail: String = bytes[..10]
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    format!("AT-{tail}")
}

pub async fn request_refill(
    db: &DatabaseConnection,
    jobs: &crate::jobs::Wakeup,
    shop: ShopId,
    offer: i64,
) -> Result<(), db::DbErr> {
    db::jobs::enqueue(
        db,
        shop,
        "refill_offer_codes",
        serde_json::json!({ "offer": offer }),
        chrono::Utc::now(),
    )
    .await?;
    jobs.notify();
    Ok(())
}

/// Tops the offer's pool up to [`POOL_SIZE`]. Safe to run twice: it counts first, and each code
/// is stored as soon as the platform made it.
pub async fn refill(state: &AppState, shop: ShopId, offer: i64) -> anyhow::Result<()> {
    let db = &state.db;
    let Some(row) = db::offers::get(db, shop, offer).await? else {
        return Ok(());
    };
    // Active offers keep a pool, and so do offers shown as an arm of a running experiment.
    let in_experiment = db::experiments::running(db, shop).await?.iter().any(|e| {
        e.subject_kind == "offer"
            && e.arms.as_array().is_some_and(|arms| {
                arms.iter()
                    .any(|a| a.get("offer").and_then(|o| o.as_i64()) == Some(offer))
            })
    });
    if row.status != "active" && !in_experiment {
        return Ok(());
    }
    let (available, _, _) = db::offers::code_counts(db, shop, offer).await?;
    if available >= POOL_SIZE {
        return Ok(());
    }
    let input = super::input_of(&row).map_err(|e| anyhow::anyhow!("{e}"))?;
    let shop_row = db::shops::get(db, shop).await?.context("no such shop")?;
    // The demo shop has no platform behind it: its codes are made here, for the demo store.
    if state
        .demo()
        .is_some_and(|d| d.shop.as_str() == shop_row.domain)
    {
        let codes: Vec<(String, String)> = (available..POOL_SIZE)
            .map(|_| {
                let code = new_code();
                (code.clone(), format!("demo:{code}"))
            })
            .collect();
        db::offers::add_codes(db, shop, offer, &codes).await?;
        return Ok(());
    }
    let store = crate::platform::connect(state, shop).await?;
    let value = match input.kind {
        OfferKind::Percentage => CodeValue::Percentage(input.percentage.unwrap_or(0.0)),
        OfferKind::FixedAmount => CodeValue::Amount(input.amount_minor.unwrap_or(0)),
        OfferKind::FreeShipping => CodeValue::FreeShipping {
            max_shipping_minor: input.max_discount_minor,
        },
    };
    let mut made = 0u64;
    let mut taken = 0u32;
    while available + made < POOL_SIZE {
        let spec = CodeSpec {
            code: new_code(),
            title: format!("Attune: {} ({})", row.name, row.id),
            value,
            minimum_subtotal_minor: input.minimum_subtotal_minor,
            products: input.products.clone(),
            collections: input.collections.clone(),
            starts_at: row.starts_at,
            ends_at: row.ends_at,
        };
        match store.create_code(&spec, &shop_row.currency).await? {
            Some(created) => {
                db::offers::add_codes(db, shop, offer, &[(created.code, created.platform_id)])
                    .await?;
                made += 1;
            }
            None => {
                taken += 1;
                anyhow::ensure!(taken < 5, "the platform refused five fresh codes as taken");
            }
        }
    }
    tracing::info!(shop = %shop, offer, made, "offer code pool refilled");
    Ok(())
}

/// Queues limiting a handed-out code to the customer it went to.
pub async fn request_binding(
    db: &DatabaseConnection,
    jobs: &crate::jobs::Wakeup,
    shop: ShopId,
    code: i64,
    customer: &str,
) -> Result<(), db::DbErr> {
    db::jobs::enqueue(
        db,
        shop,
        "bind_offer_code",
        serde_json::json!({ "code": code, "customer": customer }),
        chrono::Utc::now(),
    )
    .await?;
    jobs.notify();
    Ok(())
}

/// Limits the code's discount on the platform to the customer. Safe to run twice.
pub async fn bind(state: &AppState, shop: ShopId, code: i64, customer: &str) -> anyhow::Result<()> {
    let db = &state.db;
    let Some(row) = db::offers::code(db, shop, code).await? else {
        return Ok(());
    };
    // Demo codes live only in the demo store.
    if row.platform_id.starts_with("demo:") {
        return Ok(());
    }
    let offer = db::offers::get(db, shop, row.offer_id)
        .await?
        .context("the code's offer is gone")?;
    let store = crate::platform::connect(state, shop).await?;
    let created = CreatedCode {
        code: row.code.clone(),
        platform_id: row.platform_id.clone(),
    };
    let bound = store
        .bind_code(&created, offer.kind == "free_shipping", customer)
        .await?;
    if !bound {
        // The platform cannot limit a code to a customer; it stays single-use.
        tracing::info!(shop = %shop, code, "code kept single-use (no customer binding here)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_are_fresh_and_readable() {
        let a = super::new_code();
        assert_eq!(a.len(), 13);
        assert!(a[3..].bytes().all(|b| super::ALPHABET.contains(&b)));
        let many: std::collections::HashSet<String> =
            (0..10_000).map(|_| super::new_code()).collect();
        assert_eq!(many.len(), 10_000);
    }
}
