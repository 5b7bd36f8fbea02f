//! REST webhook bodies (`products/update`, `orders/create`) for the stand-in's objects: Shopify's
//! own sample payloads as templates, filled with the same ids, prices and times the GraphQL
//! API returns. Like Shopify for an app without protected customer data approval, names,
//! emails, phones and addresses are `null`.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::data::{CURRENCY, Rng, Store, derived_id, gid, gid_number, money, parse_cents};
use super::history::{ORDER_BASE, build_order, pick_variant};

/// `2019-03-07T14:13:07Z` as REST writes it (`+00:00`: the stand-in shop's zone is UTC).
fn rest_time(v: &Value) -> Value {
    v.as_str()
        .map_or(Value::Null, |s| Value::from(s.replace('Z', "+00:00")))
}

fn number(v: &Value) -> Value {
    v.as_str()
        .and_then(gid_number)
        .map_or(Value::Null, Value::from)
}

fn set(amount: &str) -> Value {
    let m = json!({"amount": amount, "currency_code": CURRENCY});
    json!({"shop_money": m, "presentment_money": m})
}

fn merge(template: &Value, fields: Value) -> Value {
    let mut out = template.clone();
    if let (Some(o), Value::Object(f)) = (out.as_object_mut(), fields) {
        o.extend(f);
    }
    out
}

pub(super) fn product_payload(store: &Store, index: usize) -> Option<Value> {
    let p = store.node(store.products.get(index)?)?;
    let id = number(&p["id"]);
    let variant_template = &store.product_template["variants"][0];
    let mut variants = Vec::new();
    let mut variant_gids = Vec::new();
    for r in p.pointer("/variants/__connection")?.as_array()? {
        let Some(v) = r["__ref"].as_str().and_then(|g| store.node(g)) else {
            continue;
        };
        let options: Vec<Value> = v["selectedOptions"].as_array().cloned().unwrap_or_default();
        let option = |i: usize| options.get(i).map_or(Value::Null, |o| o["value"].clone());
        variants.push(merge(
            variant_template,
            json!({
                "admin_graphql_api_id": v["id"],
                "barcode": null,
                "compare_at_price": v["compareAtPrice"],
                "created_at": rest_time(&v["createdAt"]),
                "id": number(&v["id"]),
                "inventory_policy": "deny",
                "position": v["position"],
                "price": v["price"],
                "product_id": id,
                "sku": v["sku"],
                "taxable": v["taxable"],
                "title": v["title"],
                "updated_at": rest_time(&v["updatedAt"]),
                "option1": option(0), "option2": option(1), "option3": option(2),
                "image_id": null,
                "inventory_item_id": number(&v["inventoryItem"]["id"]),
                "inventory_quantity": v["inventoryQuantity"],
                "old_inventory_quantity": v["inventoryQuantity"],
            }),
        ));
        variant_gids.push(json!({"admin_graphql_api_id": v["id"], "updated_at": v["updatedAt"]}));
    }
    let options: Vec<Value> = p["options"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            let n = o["position"].as_u64().unwrap_or(1);
            json!({"id": derived_id("ProductOption", id.as_u64().unwrap_or(0) * 10 + n), "product_id": id,
                "name": o["name"], "position": n, "values": o["values"]})
        })
        .collect();
    let image = p["featuredImage"].as_object().map(|img| {
        json!({
            "id": number(&img["id"]), "product_id": id, "position": 1,
            "created_at": rest_time(&p["createdAt"]), "updated_at": rest_time(&p["updatedAt"]),
            "alt": img["altText"], "width": img["width"], "height": img["height"], "src": img["url"],
            "variant_ids": [], "admin_graphql_api_id": img["id"],
        })
    });
    let tags: Vec<&str> = p["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    Some(merge(
        &store.product_template,
        json!({
            "admin_graphql_api_id": p["id"],
            "body_html": p["descriptionHtml"],
            "created_at": rest_time(&p["createdAt"]),
            "handle": p["handle"],
            "id": id,
            "product_type": p["productType"],
            "published_at": rest_time(&p["publishedAt"]),
            "title": p["title"],
            "updated_at": rest_time(&p["updatedAt"]),
            "vendor": p["vendor"],
            "status": p["status"].as_str().unwrap_or("ACTIVE").to_lowercase(),
            "tags": tags.join(", "),
            "variants": variants,
            "options": options,
            "images": image.iter().collect::<Vec<_>>(),
            "image": image,
            "media": [],
            "variant_gids": variant_gids,
        }),
    ))
}

/// An order of the catalog products at `product_indices` (one in-stock variant each), added
/// to the store so the API returns it too, as its `orders/create` REST payload.
pub(super) fn order_payload(
    store: &mut Store,
    order_number: u64,
    product_indices: &[usize],
    customer_id: Option<u64>,
    now: DateTime<Utc>,
) -> Value {
    let mut rng = Rng::new(order_number);
    let lines: Vec<(String, i64)> = product_indices
        .iter()
        .filter(|&&i| i < store.products.len())
        .map(|&i| (pick_variant(store, i, &mut rng), 1))
        .collect();
    let customer = customer_id.map(|c| gid("Customer", c));
    let mut order = build_order(
        store,
        order_number,
        now,
        customer.as_deref(),
        &lines,
        None,
        false,
    );
    // Just created: not updated since.
    order["updatedAt"] = order["createdAt"].clone();
    let ogid = order["id"].as_str().unwrap_or_default().to_owned();
    if !store.orders.contains(&ogid) {
        store.orders.push(ogid.clone());
    }
    store.nodes.insert(ogid, order.clone());
    rest_order(store, &order, order_number)
}

fn rest_order(store: &Store, order: &Value, order_number: u64) -> Value {
    let t = &store.order_template;
    let amount = |k: &str| {
        order
            .pointer(&format!("/{k}/shopMoney/amount"))
            .and_then(Value::as_str)
            .unwrap_or("0.00")
            .to_owned()
    };
    let (subtotal, total, discounts) = (
        amount("subtotalPriceSet"),
        amount("totalPriceSet"),
        amount("totalDiscountsSet"),
    );
    let mut line_items = Vec::new();
    let mut gross = 0;
    for li in order
        .pointer("/lineItems/__connection")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let unit = li
            .pointer("/originalUnitPriceSet/shopMoney/amount")
            .and_then(Value::as_str)
            .unwrap_or("0.00");
        gross += parse_cents(unit).unwrap_or(0) * li["quantity"].as_i64().unwrap_or(1);
        line_items.push(merge(
            &t["line_items"][0],
            json!({
                "id": number(&li["id"]), "admin_graphql_api_id": li["id"], "attributed_staffs": [],
                "current_quantity": li["currentQuantity"], "fulfillable_quantity": li["quantity"],
                "grams": 0, "name": li["name"], "price": unit, "price_set": set(unit),
                "product_exists": true, "product_id": number(&li["product"]["__ref"]),
                "quantity": li["quantity"], "sku": li["sku"], "title": li["title"],
                "total_discount": "0.00", "total_discount_set": set("0.00"),
                "variant_id": number(&li["variant"]["__ref"]), "variant_title": li["variantTitle"],
                "vendor": li["vendor"], "sales_line_item_group_id": null, "discount_allocations": [],
            }),
        ));
    }
    let customer = order["customer"]["__ref"].as_str().map(|c| {
        let node = store.node(c);
        merge(
            &t["customer"],
            json!({
                "id": gid_number(c), "admin_graphql_api_id": c,
                "created_at": node.map_or(Value::Null, |n| rest_time(&n["createdAt"])),
                "updated_at": node.map_or(Value::Null, |n| rest_time(&n["updatedAt"])),
                "first_name": null, "last_name": null, "email": null, "phone": null,
                "state": "enabled", "currency": CURRENCY, "default_address": null,
            }),
        )
    });
    let now = rest_time(&order["createdAt"]);
    let shop = store.shop["myshopifyDomain"].as_str().unwrap_or_default();
    let head = merge(
        t,
        json!({
            "id": ORDER_BASE + order_number, "admin_graphql_api_id": order["id"],
            "buyer_accepts_marketing": false, "cancel_reason": null, "cancelled_at": null,
            "closed_at": null, "confirmation_number": null, "confirmed": true,
            "contact_email": null, "email": null, "phone": null, "billing_address": null, "shipping_address": null,
            "created_at": now, "processed_at": now, "updated_at": rest_time(&order["updatedAt"]),
            "currency": CURRENCY, "presentment_currency": CURRENCY,
            "current_subtotal_price": subtotal, "current_subtotal_price_set": set(&subtotal),
            "current_total_discounts": discounts, "current_total_discounts_set": set(&discounts),
            "current_total_price": total, "current_total_price_set": set(&total),
            "current_total_tax": "0.00", "current_total_tax_set": set("0.00"),
            "current_shipping_price_set": set("0.00"),
        }),
    );
    merge(
        &head,
        json!({
            "discount_codes": [], "financial_status": "paid", "fulfillment_status": null,
            "name": order["name"], "number": order["number"], "order_number": order_number,
            "order_status_url": format!("https://{shop}/orders/{order_number}/authenticate"),
            "subtotal_price": subtotal, "subtotal_price_set": set(&subtotal),
            "tags": "", "test": false, "token": format!("standin{order_number}"),
            "total_discounts": discounts, "total_discounts_set": set(&discounts),
            "total_line_items_price": money(gross), "total_line_items_price_set": set(&money(gross)),
            "total_outstanding": "0.00", "total_price": total, "total_price_set": set(&total),
            "total_shipping_price_set": set("0.00"), "total_tax": "0.00", "total_tax_set": set("0.00"),
            "total_weight": 0, "customer": customer, "line_items": line_items,
            "shipping_lines": [], "refunds": [], "fulfillments": [],
        }),
    )
}
