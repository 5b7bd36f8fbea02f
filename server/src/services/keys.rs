//! Token key rotation: re-encrypt every stored platform token with the current key, so an old
//! key can then be removed from `ATTUNE__SECURITY__TOKEN_KEYS`.

use sea_orm::{DatabaseConnection, TransactionTrait};

use crate::crypto::TokenCipher;
use crate::db;
use crate::services::install::{seal, unseal};

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rotation {
    pub rotated: usize,
    pub already_current: usize,
}

pub async fn rotate(db: &DatabaseConnection, cipher: &TokenCipher) -> anyhow::Result<Rotation> {
    let mut report = Rotation::default();
    for (id, domain) in db::shops::with_tokens(db).await? {
        let txn = db.begin().await?;
        let Some(sealed) = db::shops::sealed_tokens(&txn, id).await? else {
            continue;
        };
        let current = !cipher.needs_rotation(&sealed.access)
            && sealed
                .refresh
                .as_deref()
                .is_none_or(|r| !cipher.needs_rotation(r));
        if current {
            report.already_current += 1;
            continue;
        }
        let tokens = unseal(cipher, &domain, &sealed)?;
        db::shops::store_tokens(&txn, id, &seal(cipher, &domain, &tokens)).await?;
        txn.commit().await?;
        report.rotated += 1;
    }
    Ok(report)
}
