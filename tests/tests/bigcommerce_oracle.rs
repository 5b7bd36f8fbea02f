//! Differential tests of BigCommerce verification against the reference implementations:
//! BigCommerce's Python client (`BigcommerceApi.oauth_verify_payload_jwt`, PyPI `bigcommerce`
//! 0.23.4) for `signed_payload_jwt`, and the Standard Webhooks library (PyPI `standardwebhooks`
//! 1.1.0) for webhook signatures, both installed by the README's test command. Thousands of
//! random valid and tampered tokens and deliveries; our verdict must equal theirs on every case
//! in the domain both judge. Where we are deliberately stricter (HS256 only, `iss` and `sub`
//! checked, `exp` required, integer timestamps and strict base64 per the Standard Webhooks
//! spec), the case is counted apart and we must refuse it.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};

use attune_server::platform::bigcommerce::verify::{sign_jwt, sign_webhook};
use attune_server::platform::bigcommerce::{verify_signed_payload_jwt, verify_webhook};
use attune_tests::{now, workspace_root};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

const JWT_CASES: usize = 5_200;
const WEBHOOK_CASES: usize = 5_200;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn word(&mut self, n: usize) -> String {
        const A: &[u8] = b"abcdefghijkmnpqrstuvwxyz0123456789";
        (0..n)
            .map(|_| A[self.below(A.len() as u64) as usize] as char)
            .collect()
    }
}

/// Replaces one character of `s` at a random position (after `from`) with another from `alphabet`.
fn flip(r: &mut Rng, s: &str, from: usize, alphabet: &[u8]) -> String {
    let mut b = s.as_bytes().to_vec();
    if b.len() <= from {
        return s.to_owned();
    }
    let i = from + r.below((b.len() - from) as u64) as usize;
    let mut c = alphabet[r.below(alphabet.len() as u64) as usize];
    while c == b[i] {
        c = alphabet[r.below(alphabet.len() as u64) as usize];
    }
    b[i] = c;
    String::from_utf8(b).unwrap()
}

const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn oracle(cases: &[Value]) -> HashMap<u64, Value> {
    let dir = workspace_root().join(".attune/oracles/bigcommerce");
    let python = dir.join("bin/python");
    let script = dir.join("bigcommerce-batch.py");
    assert!(
        python.exists() && script.exists(),
        "{} missing: the README's test command installs it",
        dir.display()
    );
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input: String = cases.iter().map(|c| format!("{c}\n")).collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success(), "oracle failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["id"].as_u64().unwrap(), v)
        })
        .collect()
}

/// A case: what we fed, our verdict, and whether we are deliberately stricter on it.
struct Case {
    what: String,
    ours: Result<(), String>,
    stricter: bool,
}

fn jwt_case(r: &mut Rng, id: u64, now: i64) -> (Value, Case) {
    let client_id = format!("client-{}", r.word(8));
    let secret = r.word(24);
    let store = r.word(10);
    let mut claims = json!({
        "aud": client_id, "iss": "bc", "iat": now - 120, "nbf": now - 120, "exp": now + 86_400,
        "jti": format!("{}-{}", r.word(8), r.word(4)), "sub": format!("stores/{store}"),
        "user": {"id": 7, "email": "x@example.com", "locale": "en"}, "owner": {"id": 7, "email": "x@example.com"},
        "url": "/", "channel_id": null,
    });
    let mut key = secret.clone();
    let mut stricter = false;
    let kind = r.below(16);
    let what = match kind {
        0..=3 => "valid",
        4 => {
            key = r.word(24);
            "wrong secret"
        }
        5 => {
            claims["exp"] = json!(now - 3_600);
            "expired"
        }
        6 => {
            claims["nbf"] = json!(now + 3_600);
            "not yet valid"
        }
        7 => {
            claims["aud"] = json!("someone-else");
            "wrong audience"
        }
        8 => {
            claims["aud"] = json!([client_id, "other"]);
            "audience list"
        }
        9 => {
            claims["iat"] = json!(now + 3_600);
            "issued in the future"
        }
        10 => {
            claims["iss"] = json!("not-bc");
            stricter = true;
            "wrong issuer"
        }
        11 => {
            claims["sub"] = json!(format!("shops/{store}"));
            stricter = true;
            "bad subject"
        }
        12 => {
            claims.as_object_mut().unwrap().remove("exp");
            stricter = true;
            "no expiry"
        }
        _ => "tampered after signing",
    };
    let mut token = sign_jwt(&claims, key.as_bytes());
    if kind == 15 || (kind >= 13 && r.below(2) == 0) {
        // Flip a character of the payload or of the signature.
        let dots: Vec<usize> = token.match_indices('.').map(|(i, _)| i).collect();
        token = flip(r, &token, dots[0] + 1, B64URL);
        if token.matches('.').count() != 2 {
            token = sign_jwt(&claims, b"x");
        }
    } else if kind == 13 || kind == 14 {
        if r.below(2) == 0 {
            // An HS512 token: the client accepts it, we accept HS256 only.
            let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS512","typ":"JWT"}"#);
            let p = URL_SAFE_NO_PAD.encode(claims.to_string());
            use hmac::Mac;
            let mut m = <hmac::Hmac<sha2::Sha512> as Mac>::new_from_slice(key.as_bytes()).unwrap();
            m.update(format!("{h}.{p}").as_bytes());
            token = format!(
                "{h}.{p}.{}",
                URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
            );
            stricter = true;
        } else {
            // alg "none", unsigned.
            let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
            token = format!("{h}.{}.", URL_SAFE_NO_PAD.encode(claims.to_string()));
        }
    }
    let ours = verify_signed_payload_jwt(&token, secret.as_bytes(), &client_id, now)
        .map(|_| ())
        .map_err(|e| e.0);
    let case =
        json!({"id": id, "kind": "jwt", "token": token, "secret": secret, "client_id": client_id});
    (
        case,
        Case {
            what: format!("jwt {what}"),
            ours,
            stricter,
        },
    )
}

fn webhook_case(r: &mut Rng, id: u64, now: i64) -> (Value, Case) {
    let secret = r.word(32);
    let msg = format!("msg_{}", r.word(12));
    let body = json!({"scope": "store/order/created", "store_id": r.below(100_000), "data": {"type": "order", "id": r.below(1_000_000)}, "hash": r.word(40), "created_at": now, "producer": format!("stores/{}", r.word(8))}).to_string();
    let mut ts = now - 30;
    let mut key = secret.clone();
    let mut body_sent = body.clone();
    let mut msg_sent = msg.clone();
    let mut ts_sent = None;
    let mut stricter = false;
    let kind = r.below(16);
    let mut extra: Option<String> = None;
    let what = match kind {
        0..=3 => "valid",
        4 => {
            key = r.word(32);
            "wrong secret"
        }
        5 => {
            body_sent = body.replace("order", "0rder");
            "body changed"
        }
        6 => {
            msg_sent = format!("{msg}x");
            "id changed"
        }
        7 => {
            ts_sent = Some((ts + 1).to_string());
            "timestamp changed"
        }
        8 => {
            ts = now - 600;
            "too old"
        }
        9 => {
            ts = now + 600;
            "too new"
        }
        10 => {
            extra = Some("v1,AAAA".into());
            "a valid signature among others"
        }
        11 => "signature flipped",
        12 => "only another version",
        13 => "missing header",
        14 => {
            ts_sent = Some(format!("{}.0", ts));
            stricter = true;
            "decimal timestamp"
        }
        _ => {
            stricter = true;
            "junk in the signature"
        }
    };
    let mut sig = sign_webhook(&msg, ts, body.as_bytes(), key.as_bytes());
    match kind {
        10 => sig = format!("{} {sig}", extra.unwrap()),
        11 => sig = flip(r, &sig, 3, B64),
        12 => sig = sig.replacen("v1,", "v2,", 1),
        15 => sig = format!("{sig}!"),
        _ => {}
    }
    let ts_header = ts_sent.unwrap_or_else(|| ts.to_string());
    let (idh, tsh, sigh) = match (kind, r.below(3)) {
        (13, 0) => (None, Some(ts_header), Some(sig)),
        (13, 1) => (Some(msg_sent), None, Some(sig)),
        (13, _) => (Some(msg_sent), Some(ts_header), None),
        _ => (Some(msg_sent), Some(ts_header), Some(sig)),
    };
    let ours = verify_webhook(
        idh.as_deref(),
        tsh.as_deref(),
        sigh.as_deref(),
        body_sent.as_bytes(),
        secret.as_bytes(),
        now,
    )
    .map_err(|e| e.0);
    let case = json!({"id": id, "kind": "webhook", "secret": secret, "body": body_sent,
        "headers": {"webhook-id": idh, "webhook-timestamp": tsh, "webhook-signature": sigh}});
    (
        case,
        Case {
            what: format!("webhook {what}"),
            ours,
            stricter,
        },
    )
}

#[test]
fn verdicts_agree_with_bigcommerce_and_standard_webhooks() {
    let seed = std::env::var("ORACLE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0xb1c0_44e7_0000_0007u64);
    println!("seed {seed}");
    let mut r = Rng(seed);
    let now = now() as i64;
    let mut cases = Vec::new();
    let mut ours = Vec::new();
    for i in 0..(JWT_CASES + WEBHOOK_CASES) as u64 {
        let (c, o) = if (i as usize) < JWT_CASES {
            jwt_case(&mut r, i, now)
        } else {
            webhook_case(&mut r, i, now)
        };
        cases.push(c);
        ours.push(o);
    }
    let theirs = oracle(&cases);
    assert_eq!(theirs.len(), cases.len());
    let mut problems = Vec::new();
    let (mut agreed, mut valid, mut stricter) = (0usize, 0usize, 0usize);
    for (i, o) in ours.iter().enumerate() {
        let t = &theirs[&(i as u64)];
        let their_ok = t["valid"].as_bool().unwrap();
        if o.stricter {
            stricter += 1;
            if o.ours.is_ok() {
                problems.push(format!(
                    "case {i} ({}): accepted where we mean to refuse",
                    o.what
                ));
            }
            continue;
        }
        if o.ours.is_ok() != their_ok {
            problems.push(format!(
                "case {i} ({}): ours {:?}, theirs {}, input {}",
                o.what, o.ours, t, cases[i]
            ));
        } else {
            agreed += 1;
            valid += usize::from(their_ok);
        }
    }
    println!("{agreed} verdicts agree ({valid} valid), {stricter} deliberately stricter");
    assert!(
        agreed >= 8_000 && valid > 2_000 && agreed - valid > 3_000,
        "{agreed} / {valid}"
    );
    assert!(
        problems.is_empty(),
        "{} disagreements (first 20):\n{}",
        problems.len(),
        problems
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
