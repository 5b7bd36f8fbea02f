//! The merchant's side of offers in headless Chromium, on SQLite and PostgreSQL: creating an
//! offer in the admin (a bad value named next to its field), then, on a week of logged
//! decisions and orders, the results page and the dashboard: real SVG charts drawn from the
//! numbers the API reports, and a sentence that says whether the result is significant.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use attune_server::db::entities::{offer_decision, order};
use attune_server::db::{self, ShopId};
use attune_tests::browser::{Client, Locator, save_screenshot, start_browser};
use attune_tests::*;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};

const DEMO_SHOP: &str = "attune-demo.myshopify.com";

async fn admin_token(app: &TestApp) -> String {
    let session: Value = app
        .client
        .post(app.url("/api/admin/demo/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    session["token"].as_str().unwrap().to_owned()
}

async fn wait_for(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
        .unwrap()
}

/// A week of an offer's life: 700 visitors, a tenth held out; the reached ones order more.
async fn seed(app: &TestApp, shop: ShopId, offer: i64) {
    let start = Utc::now() - chrono::Duration::days(7);
    for v in 0..700i64 {
        let holdout = v % 10 == 0;
        let at = start + chrono::Duration::minutes(v * 14);
        offer_decision::ActiveModel {
            shop_id: Set(shop.get()),
            offer_id: Set(offer),
            visitor_id: Set(1_000_000 + v),
            decided_at: Set(at),
            action: Set(if !holdout && v % 3 == 0 {
                "offer"
            } else {
                "no_offer"
            }
            .to_owned()),
            why: Set(if holdout { "holdout" } else { "persuadable" }.to_owned()),
            features: Set(json!({})),
            drivers: Set(json!({})),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        let converts = if holdout { v % 50 == 0 } else { v % 7 == 0 };
        if converts {
            order::ActiveModel {
                shop_id: Set(shop.get()),
                platform_id: Set(format!("seed-{v}")),
                name: Set(format!("#S{v}")),
                currency: Set("GBP".to_owned()),
                subtotal_minor: Set(3_000 + (v % 5) * 700),
                total_minor: Set(3_000 + (v % 5) * 700),
                discount_minor: Set(0),
                discount_codes: Set(json!([])),
                financial_status: Set("paid".to_owned()),
                placed_at: Set(at + chrono::Duration::hours(2)),
                updated_at: Set(at + chrono::Duration::hours(2)),
                visitor_id: Set(Some(1_000_000 + v)),
                ..Default::default()
            }
            .insert(&app.db)
            .await
            .unwrap();
        }
    }
}

async fn offer_results_and_dashboard(backend: Backend) {
    let app = spawn_demo(backend).await;
    let shop = db::shops::find_by_domain(&app.db, "shopify", DEMO_SHOP)
        .await
        .unwrap()
        .unwrap()
        .id;
    let tag = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let (_driver, c) = start_browser().await;

    // Create an offer in the admin: a bad percentage is named next to its field first.
    c.goto(&app.url("/admin/offers/new")).await.unwrap();
    wait_for(&c, "#name")
        .await
        .send_keys("Spring nudge")
        .await
        .unwrap();
    c.find(Locator::Css("#percentage"))
        .await
        .unwrap()
        .send_keys("95")
        .await
        .unwrap();
    c.find(Locator::Css("#headline"))
        .await
        .unwrap()
        .send_keys("10% off today")
        .await
        .unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let error = wait_for(&c, ".field-error[data-field='percentage']").await;
    assert!(error.text().await.unwrap().contains("from 1 to 90"));
    let pct = c.find(Locator::Css("#percentage")).await.unwrap();
    pct.clear().await.unwrap();
    pct.send_keys("10").await.unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let row = wait_for(&c, "[data-testid='offer-table'] tr[data-offer-id]").await;
    assert!(row.text().await.unwrap().contains("Spring nudge"));
    let id: i64 = row
        .attr("data-offer-id")
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();

    seed(&app, shop, id).await;
    let report: Value = app
        .client
        .get(app.url(&format!("/api/admin/analytics/offers/{id}")))
        .bearer_auth(admin_token(&app).await)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rpv = report["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "revenue_per_visitor")
        .unwrap();
    let significant = rpv["significant"].as_bool().unwrap();

    // The results page: the verdict in words, the tables and the charts.
    c.goto(&app.url(&format!("/admin/offers/{id}/results")))
        .await
        .unwrap();
    let verdict = wait_for(&c, "[data-verdict]").await;
    let text = verdict.text().await.unwrap();
    assert_eq!(text, report["verdict"].as_str().unwrap());
    if significant {
        assert!(text.starts_with("Significant"), "{text}");
    } else {
        assert!(text.starts_with("Not significant"), "{text}");
    }
    assert_eq!(
        verdict.attr("data-significant").await.unwrap().unwrap(),
        significant.to_string()
    );
    let charts = c
        .find_all(Locator::Css("figure.chart svg[role='img']"))
        .await
        .unwrap();
    assert_eq!(charts.len(), 3, "revenue per visitor, lift, economics");
    // Lines with one point per day the data spans, from the API's own numbers.
    let days = report["daily"].as_array().unwrap().len();
    assert!(days >= 7, "{days} days");
    let lines = c.find_all(Locator::Css("path.chart__line")).await.unwrap();
    assert_eq!(lines.len(), 3);
    for line in &lines {
        let d = line.attr("d").await.unwrap().unwrap();
        let points = d.matches(['M', 'L']).count();
        assert!(points >= days - 1, "{points} points for {days} days: {d}");
    }
    let bars = c.find_all(Locator::Css("rect.chart__bar")).await.unwrap();
    assert_eq!(
        bars.len(),
        3,
        "discount given, incremental revenue and margin"
    );
    for b in &bars {
        let h: f64 = b.attr("height").await.unwrap().unwrap().parse().unwrap();
        assert!(h >= 1.0);
    }
    let rendered = c
        .execute(
            "return document.querySelector('path.chart__line').getBBox().width;",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(
        rendered > 100.0,
        "the line is drawn across the chart ({rendered}px)"
    );
    let metric_rows = c
        .find_all(Locator::Css("[data-testid='metrics'] tr[data-metric]"))
        .await
        .unwrap();
    assert_eq!(metric_rows.len(), 4);
    save_screenshot(&c, &format!("offer-results-{tag}.png")).await;

    // The dashboard lists it with its lift over time.
    c.goto(&app.url("/admin/analytics")).await.unwrap();
    let card = wait_for(&c, &format!("article[data-report='{id}']")).await;
    assert!(card.find(Locator::Css("path.chart__line")).await.is_ok());
    assert_eq!(
        card.find(Locator::Css("[data-verdict]"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        report["verdict"].as_str().unwrap()
    );
    save_screenshot(&c, &format!("analytics-dashboard-{tag}.png")).await;

    // An experiment on a widget's recommenders, started from the admin: its results page
    // lists each arm with a plain verdict against the control.
    c.goto(&app.url("/admin/experiments/new")).await.unwrap();
    wait_for(&c, "#name")
        .await
        .send_keys("Best sellers or for you?")
        .await
        .unwrap();
    let widget = wait_for(&c, "#widget option:nth-child(2)").await;
    let widget_id = widget.attr("value").await.unwrap().unwrap();
    c.find(Locator::Css("#widget"))
        .await
        .unwrap()
        .select_by_value(&widget_id)
        .await
        .unwrap();
    c.find(Locator::Css("#variant"))
        .await
        .unwrap()
        .select_by_value("trending")
        .await
        .unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, "[data-testid='experiment-arms'] tr[data-arm='Variant']").await;
    let verdicts = c
        .find_all(Locator::Css(
            "[data-testid='experiment-arms'] [data-verdict]",
        ))
        .await
        .unwrap();
    assert_eq!(verdicts.len(), 2);
    assert!(verdicts[0].text().await.unwrap().contains("control"));
    let v = verdicts[1].text().await.unwrap();
    assert!(
        v.starts_with("Not enough data yet")
            || v.starts_with("Not significant")
            || v.starts_with("Significant"),
        "{v}"
    );
    save_screenshot(&c, &format!("experiment-results-{tag}.png")).await;
}

both_backends!(offer_results_and_dashboard);
