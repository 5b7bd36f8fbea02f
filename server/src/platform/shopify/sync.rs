//! Reading a shop through the Admin GraphQL API: bulk exports for the first sync (ungrouped
//! JSONL, children joined to parents through `__parentId` with maps, in whatever order the
//! lines come) and paginated queries for incremental sync. Output: platform-neutral data.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use shopify_api::bulk::BulkWaitOptions;

use super::client::AdminClient;
use crate::platform::{
    CollectionData, CustomerData, OrderData, OrderLineData, ProductData, VariantData,
};

const BULK_PRODUCTS: &str = include_str!("../../../graphql/bulk_products.graphql");
const BULK_COLLECTIONS: &str = include_str!("../../../graphql/bulk_collections.graphql");
const BULK_CUSTOMERS: &str = include_str!("../../../graphql/bulk_customers.graphql");
const BULK_ORDERS: &str = include_str!("../../../graphql/bulk_orders.graphql");
const PRODUCTS_UPDATED: &str = include_str!("../../../graphql/products_updated.graphql");
const ORDERS_UPDATED: &str = include_str!("../../../graphql/orders_updated.graphql");
const SHOP: &str = include_str!("../../../graphql/shop.graphql");

/// Page sizes that keep each query's requested cost under Shopify's 1,000-point limit
/// (a connection costs 2 + `first` x its node's cost, nested ones multiply).
const PRODUCT_PAGE: u32 = 8;
const ORDER_PAGE: u32 = 8;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("Shopify API: {0}")]
    Api(#[from] shopify_api::Error),
    #[error("unexpected data from Shopify: {0}")]
    Data(String),
}

fn data(msg: impl Into<String>) -> SyncError {
    SyncError::Data(msg.into())
}

fn wait() -> BulkWaitOptions {
    BulkWaitOptions::new()
        .poll_interval(Duration::from_secs(5))
        .timeout(Duration::from_secs(6 * 3600))
}

/// The numeric tail of a GID.
fn gid_tail(v: &Value) -> Option<String> {
    v.as_str()?
        .rsplit('/')
        .next()
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

fn gid_kind(v: &Value) -> Option<&str> {
    v.get("id")?
        .as_str()?
        .strip_prefix("gid://shopify/")?
        .split('/')
        .next()
}

fn s(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A list of strings (`tags`, `discountCodes`); absent or malformed is empty.
fn strings(v: &Value, k: &str) -> Vec<String> {
    v.get(k)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn time(v: &Value, k: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v.get(k)?.as_str()?)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

fn money(v: Option<&Value>, currency: &str) -> Result<Option<i64>, SyncError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(x) => {
            let amount = x
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| x.to_string());
            crate::money::parse_minor(&amount, currency)
                .map(Some)
                .ok_or_else(|| data(format!("amount {amount:?} in {currency}")))
        }
    }
}

fn set_amount(v: &Value, k: &str) -> Option<Value> {
    v.get(k)?.get("shopMoney")?.get("amount").cloned()
}

/// Nested items of a node: from a paginated query (`conn.nodes`) or from bulk children.
fn nested<'a>(node: &'a Value, conn: &str, bulk_children: &'a [Value]) -> Vec<&'a Value> {
    match node
        .get(conn)
        .and_then(|c| c.get("nodes"))
        .and_then(Value::as_array)
    {
        Some(a) => a.iter().collect(),
        None => bulk_children.iter().collect(),
    }
}

pub fn product(node: &Value, children: &[Value], currency: &str) -> Result<ProductData, SyncError> {
    let id = node
        .get("id")
        .and_then(gid_tail)
        .ok_or_else(|| data("product without id"))?;
    let updated_at =
        time(node, "updatedAt").ok_or_else(|| data(format!("product {id} without updatedAt")))?;
    let variant_children: Vec<Value> = children
        .iter()
        .filter(|c| gid_kind(c) == Some("ProductVariant"))
        .cloned()
        .collect();
    let collection_children: Vec<Value> = children
        .iter()
        .filter(|c| gid_kind(c) == Some("Collection"))
        .cloned()
        .collect();
    let variants = nested(node, "variants", &variant_children)
        .into_iter()
        .map(|v| {
            let tracked = v
                .get("inventoryItem")
                .and_then(|i| i.get("tracked"))
                .and_then(Value::as_bool)
                .unwrap_or(true);
            Ok(VariantData {
                platform_id: v
                    .get("id")
                    .and_then(gid_tail)
                    .ok_or_else(|| data("variant without id"))?,
                title: s(v, "title"),
                sku: s(v, "sku"),
                price_minor: money(v.get("price"), currency)?.unwrap_or(0),
                compare_at_price_minor: money(v.get("compareAtPrice"), currency)?,
                inventory_item_id: v
                    .get("inventoryItem")
                    .and_then(|i| i.get("id"))
                    .and_then(gid_tail)
                    .unwrap_or_default(),
                cost_minor: Some(money(
                    v.get("inventoryItem")
                        .and_then(|i| i.get("unitCost"))
                        .and_then(|c| c.get("amount")),
                    currency,
                )?),
                inventory_quantity: if tracked {
                    v.get("inventoryQuantity").and_then(Value::as_i64)
                } else {
                    None
                },
            })
        })
        .collect::<Result<Vec<_>, SyncError>>()?;
    let collections = nested(node, "collections", &collection_children)
        .into_iter()
        .filter_map(|c| c.get("id").and_then(gid_tail))
        .collect();
    let tags = strings(node, "tags");
    let title = s(node, "title");
    Ok(ProductData {
        platform_id: id,
        handle: s(node, "handle"),
        description: crate::platform::shopify::payloads::strip_html(&s(node, "descriptionHtml")),
        product_type: s(node, "productType"),
        vendor: s(node, "vendor"),
        tags,
        status: s(node, "status").to_lowercase(),
        image_url: node
            .pointer("/featuredMedia/preview/image/url")
            .and_then(Value::as_str)
            .map(str::to_owned),
        variants,
        collections: Some(collections),
        created_at: time(node, "createdAt").unwrap_or(updated_at),
        updated_at,
        title,
    })
}

pub fn order(
    node: &Value,
    children: &[Value],
    shop_currency: &str,
) -> Result<OrderData, SyncError> {
    let id = node
        .get("id")
        .and_then(gid_tail)
        .ok_or_else(|| data("order without id"))?;
    let currency = Some(s(node, "currencyCode"))
        .filter(|c| c.len() == 3)
        .unwrap_or_else(|| shop_currency.to_owned());
    let updated_at =
        time(node, "updatedAt").ok_or_else(|| data(format!("order {id} without updatedAt")))?;
    let created = time(node, "createdAt").unwrap_or(updated_at);
    let lines = nested(node, "lineItems", children)
        .into_iter()
        .map(|l| {
            Ok(OrderLineData {
                product_platform_id: l
                    .get("product")
                    .and_then(|p| p.get("id"))
                    .and_then(gid_tail),
                variant_platform_id: l
                    .get("variant")
                    .and_then(|p| p.get("id"))
                    .and_then(gid_tail),
                quantity: l
                    .get("quantity")
                    .and_then(Value::as_i64)
                    .and_then(|q| i32::try_from(q).ok())
                    .unwrap_or(1),
                unit_price_minor: money(set_amount(l, "originalUnitPriceSet").as_ref(), &currency)?
                    .unwrap_or(0),
            })
        })
        .collect::<Result<Vec<_>, SyncError>>()?;
    Ok(OrderData {
        // Historic orders are not used to link browsers to customers.
        visitor_key: None,
        platform_id: id,
        name: s(node, "name"),
        customer_platform_id: node
            .get("customer")
            .and_then(|c| c.get("id"))
            .and_then(gid_tail),
        subtotal_minor: money(
            set_amount(node, "currentSubtotalPriceSet").as_ref(),
            &currency,
        )?
        .unwrap_or(0),
        total_minor: money(set_amount(node, "currentTotalPriceSet").as_ref(), &currency)?
            .unwrap_or(0),
        discount_minor: money(set_amount(node, "totalDiscountsSet").as_ref(), &currency)?
            .unwrap_or(0),
        discount_codes: strings(node, "discountCodes"),
        financial_status: s(node, "displayFinancialStatus").to_lowercase(),
        placed_at: time(node, "processedAt").unwrap_or(created),
        cancelled_at: time(node, "cancelledAt"),
        updated_at,
        lines,
        currency,
    })
}

fn customer(node: &Value) -> Result<CustomerData, SyncError> {
    let id = node
        .get("id")
        .and_then(gid_tail)
        .ok_or_else(|| data("customer without id"))?;
    let updated_at =
        time(node, "updatedAt").ok_or_else(|| data(format!("customer {id} without updatedAt")))?;
    let state = node
        .pointer("/defaultEmailAddress/marketingState")
        .or_else(|| node.pointer("/emailMarketingConsent/marketingState"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    Ok(CustomerData {
        platform_id: id,
        tags: strings(node, "tags"),
        accepts_marketing: state.eq_ignore_ascii_case("SUBSCRIBED"),
        created_at: time(node, "createdAt").unwrap_or(updated_at),
        updated_at,
    })
}

/// Runs a bulk query and groups its lines: `(top-level objects in file order, children by
/// parent GID)`. Children may come before, after or far from their parent.
async fn bulk(
    client: &AdminClient,
    query: &str,
) -> Result<(Vec<Value>, HashMap<String, Vec<Value>>), SyncError> {
    let mut rows = client.bulk_query_stream::<Value>(query, wait()).await?;
    let mut top = Vec::new();
    let mut children: HashMap<String, Vec<Value>> = HashMap::new();
    while let Some(row) = rows.next_row().await {
        let row = row?;
        match row.get("__parentId").and_then(Value::as_str) {
            Some(parent) => children.entry(parent.to_owned()).or_default().push(row),
            None => top.push(row),
        }
    }
    Ok((top, children))
}

fn kids<'a>(children: &'a HashMap<String, Vec<Value>>, node: &Value) -> &'a [Value] {
    node.get("id")
        .and_then(Value::as_str)
        .and_then(|id| children.get(id))
        .map(Vec::as_slice)
        .unwrap_or_default()
}

pub struct ShopProfile {
    pub name: String,
    pub currency: String,
}

pub async fn shop_profile(client: &AdminClient) -> Result<ShopProfile, SyncError> {
    let v = client.graphql(SHOP, serde_json::json!({})).await?;
    let shop = v.get("shop").ok_or_else(|| data("no shop in the answer"))?;
    Ok(ShopProfile {
        name: s(shop, "name"),
        currency: s(shop, "currencyCode"),
    })
}

pub async fn export_collections(client: &AdminClient) -> Result<Vec<CollectionData>, SyncError> {
    let (top, _) = bulk(client, BULK_COLLECTIONS).await?;
    top.iter()
        .map(|c| {
            Ok(CollectionData {
                platform_id: c
                    .get("id")
                    .and_then(gid_tail)
                    .ok_or_else(|| data("collection without id"))?,
                handle: s(c, "handle"),
                title: s(c, "title"),
                updated_at: time(c, "updatedAt").unwrap_or_else(Utc::now),
            })
        })
        .collect()
}

pub async fn export_products(
    client: &AdminClient,
    currency: &str,
) -> Result<Vec<ProductData>, SyncError> {
    let (top, children) = bulk(client, BULK_PRODUCTS).await?;
    top.iter()
        .map(|p| product(p, kids(&children, p), currency))
        .collect()
}

pub async fn export_customers(client: &AdminClient) -> Result<Vec<CustomerData>, SyncError> {
    let (top, _) = bulk(client, BULK_CUSTOMERS).await?;
    top.iter().map(customer).collect()
}

pub async fn export_orders(
    client: &AdminClient,
    currency: &str,
) -> Result<Vec<OrderData>, SyncError> {
    let (top, children) = bulk(client, BULK_ORDERS).await?;
    top.iter()
        .map(|o| order(o, kids(&children, o), currency))
        .collect()
}

fn since_filter(since: DateTime<Utc>) -> String {
    format!(
        "updated_at:>'{}'",
        since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )
}

async fn pages(
    client: &AdminClient,
    query: &str,
    root: &str,
    page: u32,
    since: DateTime<Utc>,
) -> Result<Vec<Value>, SyncError> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let v = client
            .graphql(
                query,
                serde_json::json!({ "first": page, "after": after, "query": since_filter(since) }),
            )
            .await?;
        let conn = v
            .get(root)
            .ok_or_else(|| data(format!("no {root} in the answer")))?;
        out.extend(
            conn.get("nodes")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
        );
        let info = conn.get("pageInfo");
        let more = info
            .and_then(|i| i.get("hasNextPage"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        after = info
            .and_then(|i| i.get("endCursor"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        if !more || after.is_none() {
            return Ok(out);
        }
    }
}

pub async fn products_since(
    client: &AdminClient,
    since: DateTime<Utc>,
    currency: &str,
) -> Result<Vec<ProductData>, SyncError> {
    pages(client, PRODUCTS_UPDATED, "products", PRODUCT_PAGE, since)
        .await?
        .iter()
        .map(|p| product(p, &[], currency))
        .collect()
}

pub async fn orders_since(
    client: &AdminClient,
    since: DateTime<Utc>,
    currency: &str,
) -> Result<Vec<OrderData>, SyncError> {
    pages(client, ORDERS_UPDATED, "orders", ORDER_PAGE, since)
        .await?
        .iter()
        .map(|o| order(o, &[], currency))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn joins_children_from_anywhere() {
        let node = json!({"id": "gid://shopify/Product/1", "title": "T", "handle": "t", "status": "ACTIVE", "tags": ["a"], "updatedAt": "2026-01-01T00:00:00Z"});
        let children = vec![
            json!({"id": "gid://shopify/Collection/9", "__parentId": "gid://shopify/Product/1"}),
            json!({"id": "gid://shopify/ProductVariant/5", "price": "19.99", "inventoryQuantity": 3, "inventoryItem": {"id": "gid://shopify/InventoryItem/77", "tracked": true, "unitCost": {"amount": "7.5"}}, "__parentId": "gid://shopify/Product/1"}),
            json!({"id": "gid://shopify/ProductVariant/6", "price": "29.99", "inventoryItem": {"id": "gid://shopify/InventoryItem/78", "tracked": false, "unitCost": null}, "__parentId": "gid://shopify/Product/1"}),
        ];
        let p = product(&node, &children, "USD").unwrap();
        assert_eq!(p.platform_id, "1");
        assert_eq!(p.status, "active");
        assert_eq!(p.variants[0].price_minor, 1999);
        assert_eq!(p.variants[0].inventory_item_id, "77");
        // A cost entered, and none entered: both reported.
        assert_eq!(p.variants[0].cost_minor, Some(Some(750)));
        assert_eq!(p.variants[1].cost_minor, Some(None));
        assert_eq!(p.variants[1].inventory_quantity, None);
        assert_eq!(p.collections.as_deref(), Some(&["9".to_owned()][..]));
    }

    #[test]
    fn bad_money_is_an_error_not_a_panic() {
        let node = json!({"id": "gid://shopify/Order/1", "updatedAt": "2026-01-01T00:00:00Z", "currentTotalPriceSet": {"shopMoney": {"amount": "1.2.3"}}});
        assert!(order(&node, &[], "USD").is_err());
    }
}
