//! The stand-in shop's data, in Admin GraphQL shapes: the real catalogs converted, collections
//! derived from them, and (in `history`) a generated order history.
//!
//! Every object is a JSON node keyed by its GID. Two markers link them, resolved by the
//! executor: `{"__ref": gid}` (an object field pointing at another node) and
//! `{"__connection": [...]}` (a paginated connection of refs or inline objects).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

/// The currency of the stand-in shop: the catalogs' prices are read as this currency.
pub(super) const CURRENCY: &str = "USD";
pub(super) const LOCATION_ID: u64 = 71_000_000_001;

/// Products that are bought together: same colour line, or same vendor when a product has
/// no colour tag.
#[derive(Debug, Clone)]
pub(super) struct Family {
    pub name: String,
    pub products: Vec<usize>,
}

pub(super) struct Store {
    pub nodes: HashMap<String, Value>,
    pub products: Vec<String>,
    pub collections: Vec<String>,
    pub customers: Vec<String>,
    pub orders: Vec<String>,
    pub shop: Value,
    pub families: Vec<Family>,
    /// Shopify's own sample payloads, used as templates for REST webhook bodies.
    pub order_template: Value,
    pub product_template: Value,
}

impl Store {
    pub(super) fn load(data_dir: &Path, shop: &str) -> anyhow::Result<Store> {
        let source = read_catalogs(data_dir)?;
        let sample = |name: &str| -> anyhow::Result<Value> {
            let path = data_dir.join("webhooks/official_samples").join(name);
            let text =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_slice(&text).with_context(|| format!("parsing {}", path.display()))
        };
        let mut store = Store {
            nodes: HashMap::new(),
            products: Vec::new(),
            collections: Vec::new(),
            customers: Vec::new(),
            orders: Vec::new(),
            shop: shop_node(shop),
            families: Vec::new(),
            order_template: sample("orders_create.json")?,
            product_template: sample("products_update.json")?,
        };
        for (index, p) in source.iter().enumerate() {
            store
                .add_product(p, shop)
                .with_context(|| format!("catalog product #{index}"))?;
        }
        store.add_collections_and_families(&source);
        super::history::generate(&mut store);
        Ok(store)
    }

    pub(super) fn node(&self, gid: &str) -> Option<&Value> {
        self.nodes.get(gid)
    }

    fn add_product(&mut self, p: &Value, shop: &str) -> anyhow::Result<()> {
        let id = p["id"].as_u64().context("product without a numeric `id`")?;
        let pgid = gid("Product", id);
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let mut variant_refs = Vec::new();
        let (mut min, mut max, mut total) = (i64::MAX, 0i64, 0i64);
        let options: Vec<String> = p["options"]
            .as_array()
            .map(|o| o.iter().map(|o| text(&o["name"])).collect())
            .unwrap_or_default();
        for v in p["variants"].as_array().into_iter().flatten() {
            let vid = v["id"].as_u64().context("variant without a numeric `id`")?;
            let price = parse_cents(v["price"].as_str().unwrap_or("0")).unwrap_or(0);
            min = min.min(price);
            max = max.max(price);
            let stock = if v["available"].as_bool().unwrap_or(false) {
                1 + (mix(vid) % 40) as i64
            } else {
                0
            };
            total += stock;
            let item_id = derived_id("InventoryItem", vid);
            let selected: Vec<Value> = ["option1", "option2", "option3"]
                .iter()
                .zip(&options)
                .filter_map(|(k, name)| {
                    v[*k]
                        .as_str()
                        .map(|val| json!({"name": name, "value": val}))
                })
                .collect();
            let vgid = gid("ProductVariant", vid);
            self.nodes.insert(
                vgid.clone(),
                json!({
                    "__typename": "ProductVariant",
                    "id": vgid,
                    "legacyResourceId": vid.to_string(),
                    "title": text(&v["title"]),
                    "displayName": format!("{} - {}", text(&p["title"]), text(&v["title"])),
                    "sku": v["sku"].as_str().filter(|s| !s.is_empty()),
                    "barcode": null,
                    "position": v["position"],
                    "price": money(price),
                    "compareAtPrice": v["compare_at_price"].as_str().and_then(parse_cents).map(money),
                    "availableForSale": stock > 0,
                    "inventoryQuantity": stock,
                    "inventoryPolicy": "DENY",
                    "taxable": v["taxable"].as_bool().unwrap_or(true),
                    "createdAt": utc(&v["created_at"]),
                    "updatedAt": utc(&v["updated_at"]),
                    "selectedOptions": selected,
                    "product": {"__ref": pgid},
                    "inventoryItem": {
                        "__typename": "InventoryItem",
                        "id": gid("InventoryItem", item_id),
                        "legacyResourceId": item_id.to_string(),
                        "tracked": true,
                        // The source catalogs carry no costs: a made-up 40% of the price, so a
                        // sync brings costs in for the margin boost.
                        "unitCost": {"amount": money(price * 2 / 5), "currencyCode": CURRENCY},
                        "sku": v["sku"].as_str().filter(|s| !s.is_empty()),
                        "requiresShipping": v["requires_shipping"].as_bool().unwrap_or(true),
                        "inventoryLevels": {"__connection": [{
                            "__typename": "InventoryLevel",
                            "id": format!("gid://shopify/InventoryLevel/{LOCATION_ID}?inventory_item_id={item_id}"),
                            "location": {"__typename": "Location", "id": gid("Location", LOCATION_ID), "name": "Stand-in Warehouse"},
                            "quantities": [
                                {"name": "available", "quantity": stock},
                                {"name": "on_hand", "quantity": stock},
                            ],
                        }]},
                    },
                }),
            );
            variant_refs.push(json!({"__ref": vgid}));
        }
        let image = p["images"].as_array().and_then(|i| i.first());
        let media = image.map(|img| {
            json!({
                "__typename": "MediaImage",
                "id": gid("MediaImage", img["id"].as_u64().unwrap_or(id)),
                "alt": null,
                "mediaContentType": "IMAGE",
                "status": "READY",
                "preview": {"status": "READY", "image": image_node(img)},
                "image": image_node(img),
            })
        });
        let handle = text(&p["handle"]);
        let tags: Vec<Value> = p["tags"].as_array().cloned().unwrap_or_default();
        let count = variant_refs.len();
        let money_v2 = |cents: i64| json!({"amount": money(cents), "currencyCode": CURRENCY});
        self.nodes.insert(
            pgid.clone(),
            json!({
                "__typename": "Product",
                "id": pgid,
                "legacyResourceId": id.to_string(),
                "title": text(&p["title"]),
                "handle": handle,
                "status": "ACTIVE",
                "vendor": text(&p["vendor"]),
                "productType": text(&p["product_type"]),
                "tags": tags,
                "descriptionHtml": text(&p["body_html"]),
                "createdAt": utc(&p["created_at"]),
                "updatedAt": utc(&p["updated_at"]),
                "publishedAt": utc(&p["published_at"]),
                "onlineStoreUrl": format!("https://{shop}/products/{handle}"),
                "totalInventory": total,
                "tracksInventory": true,
                "hasOnlyDefaultVariant": count == 1,
                "options": p["options"].as_array().map(|o| o.iter().map(|o| json!({
                    "name": o["name"], "position": o["position"], "values": o["values"],
                })).collect::<Vec<_>>()),
                "featuredMedia": media,
                "featuredImage": image.map(image_node),
                "priceRangeV2": {"minVariantPrice": money_v2(min.min(max)), "maxVariantPrice": money_v2(max)},
                "variantsCount": {"count": count, "precision": "EXACT"},
                "variants": {"__connection": variant_refs},
                "collections": {"__connection": []},
            }),
        );
        self.products.push(pgid);
        Ok(())
    }

    fn add_collections_and_families(&mut self, source: &[Value]) {
        let mut collections: BTreeMap<String, (String, Vec<usize>)> = BTreeMap::new();
        let mut families: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, p) in source.iter().enumerate() {
            let vendor = p["vendor"].as_str().unwrap_or_default();
            let kind = p["product_type"].as_str().unwrap_or_default();
            let colour = p["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .find_map(|t| t.strip_prefix("filter-colour_"));
            let mut add = |handle: String, title: String| {
                collections
                    .entry(handle)
                    .or_insert((title, Vec::new()))
                    .1
                    .push(i);
            };
            if !vendor.is_empty() {
                add(slug(vendor), vendor.to_owned());
            }
            if !kind.is_empty() {
                add(slug(kind), kind.to_owned());
            }
            if let Some(c) = colour {
                add(
                    format!("colour-{}", slug(c)),
                    format!("Colour: {}", capitalize(c)),
                );
            }
            let family = match colour {
                Some(c) => format!("{vendor} / {c}"),
                None => vendor.to_owned(),
            };
            families.entry(family).or_default().push(i);
        }
        for (handle, (title, members)) in collections {
            let id = derived_id("Collection", mix_str(&handle));
            let cgid = gid("Collection", id);
            let refs: Vec<Value> = members
                .iter()
                .map(|&i| json!({"__ref": self.products[i]}))
                .collect();
            let updated = members
                .iter()
                .filter_map(|&i| self.nodes[&self.products[i]]["updatedAt"].as_str())
                .max()
                .unwrap_or("2026-01-01T00:00:00Z")
                .to_owned();
            for &i in &members {
                if let Some(Value::Array(list)) = self
                    .nodes
                    .get_mut(&self.products[i])
                    .and_then(|p| p.pointer_mut("/collections/__connection"))
                {
                    list.push(json!({"__ref": cgid}));
                }
            }
            self.nodes.insert(
                cgid.clone(),
                json!({
                    "__typename": "Collection",
                    "id": cgid,
                    "legacyResourceId": id.to_string(),
                    "handle": handle,
                    "title": title,
                    "descriptionHtml": "",
                    "sortOrder": "BEST_SELLING",
                    "updatedAt": updated,
                    "productsCount": {"count": members.len(), "precision": "EXACT"},
                    "products": {"__connection": refs},
                }),
            );
            self.collections.push(cgid);
        }
        self.families = families
            .into_iter()
            .map(|(name, products)| Family { name, products })
            .collect();
    }
}

fn shop_node(shop: &str) -> Value {
    json!({
        "__typename": "Shop",
        "id": gid("Shop", 68_000_000_001),
        "name": "Stand-in Store",
        "myshopifyDomain": shop,
        "url": format!("https://{shop}"),
        "currencyCode": CURRENCY,
        "ianaTimezone": "Etc/UTC",
        "timezoneAbbreviation": "UTC",
        "weightUnit": "KILOGRAMS",
        "enabledPresentmentCurrencies": [CURRENCY],
        "plan": {"displayName": "Basic", "partnerDevelopment": true, "shopifyPlus": false},
        "primaryDomain": {"__typename": "Domain", "id": gid("Domain", 68_000_000_002), "host": shop, "url": format!("https://{shop}"), "sslEnabled": true},
    })
}

fn image_node(img: &Value) -> Value {
    json!({
        "__typename": "Image",
        "id": gid("ProductImage", img["id"].as_u64().unwrap_or(0)),
        "url": img["src"],
        "altText": img["alt"],
        "width": img["width"],
        "height": img["height"],
    })
}

pub(super) fn gid(kind: &str, id: u64) -> String {
    format!("gid://shopify/{kind}/{id}")
}

/// The numeric tail of a GID (`gid://shopify/Product/12` -> 12).
pub(super) fn gid_number(gid: &str) -> Option<u64> {
    gid.rsplit('/').next()?.split('?').next()?.parse().ok()
}

/// A decimal amount ("19.99") as integer cents.
pub(super) fn parse_cents(s: &str) -> Option<i64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, "0"));
    let frac = format!("{frac:0<2}");
    Some(whole.parse::<i64>().ok()? * 100 + frac.get(..2)?.parse::<i64>().ok()?)
}

/// Integer cents as Shopify's decimal string ("19.99", "0.0" never: always two places).
pub(super) fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

pub(super) fn money_set(cents: i64) -> Value {
    let m = json!({"amount": money(cents), "currencyCode": CURRENCY});
    json!({"shopMoney": m, "presentmentMoney": m})
}

/// A storefront timestamp (any offset) as Admin GraphQL writes it: UTC with `Z`.
fn utc(v: &Value) -> Value {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| Value::from(iso(d.with_timezone(&Utc))))
        .unwrap_or(Value::Null)
}

pub(super) fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A stable id for an object the source data has no id for, below 2^53 like Shopify's.
pub(super) fn derived_id(kind: &str, n: u64) -> u64 {
    10_000_000_000_000 + mix(n ^ mix_str(kind)) % 40_000_000_000_000
}

/// SplitMix64's finalizer: a stable, well-spread hash of a number.
pub(super) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub(super) fn mix_str(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// A small deterministic generator (SplitMix64): same seed, same history, every run.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in `[0, 1)`.
    pub(super) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(super) fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// The products of every `catalogs/*.json` under `data_dir` (Shopify's `products.json` shape),
/// in file-name order. Both platforms' stand-ins build their stores from them.
pub(crate) fn read_catalogs(data_dir: &Path) -> anyhow::Result<Vec<Value>> {
    let catalogs = data_dir.join("catalogs");
    let mut files: Vec<_> = std::fs::read_dir(&catalogs)
        .with_context(|| format!("reading {}", catalogs.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut source = Vec::new();
    for file in &files {
        let text = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let parsed: Value =
            serde_json::from_slice(&text).with_context(|| format!("parsing {}", file.display()))?;
        let products = parsed["products"]
            .as_array()
            .with_context(|| format!("{} has no `products` array", file.display()))?;
        source.extend(products.iter().cloned());
    }
    anyhow::ensure!(!source.is_empty(), "no products in {}", catalogs.display());
    Ok(source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_round_trips() {
        assert_eq!(parse_cents("19.99"), Some(1999));
        assert_eq!(parse_cents("15"), Some(1500));
        assert_eq!(parse_cents("2.5"), Some(250));
        assert_eq!(money(1999), "19.99");
        assert_eq!(money(5), "0.05");
        assert_eq!(gid_number("gid://shopify/Product/42"), Some(42));
        assert_eq!(slug("Green Labor Law Poster"), "green-labor-law-poster");
    }
}
