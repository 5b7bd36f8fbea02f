"""Verdicts of BigCommerce's Python client (signed_payload_jwt) and the Standard Webhooks
reference library (webhook signatures) on a batch of cases read as JSON lines on stdin; prints
one JSON line per case: {"id": .., "valid": true|false, "why": ..}. Used by
tests/tests/bigcommerce_oracle.rs."""
import base64
import json
import sys

from bigcommerce.api import BigcommerceApi
from standardwebhooks.webhooks import Webhook

for line in sys.stdin:
    c = json.loads(line)
    out = {"id": c["id"]}
    try:
        if c["kind"] == "jwt":
            BigcommerceApi.oauth_verify_payload_jwt(c["token"], c["secret"], c["client_id"])
        else:
            headers = {k: v for k, v in c["headers"].items() if v is not None}
            # As BigCommerce's docs do: the library takes the base64 of the client secret.
            Webhook(base64.b64encode(c["secret"].encode()).decode()).verify(c["body"], headers, json_parse=False)
        out["valid"] = True
    except Exception as e:  # any refusal, whatever its type
        out["valid"] = False
        out["why"] = f"{type(e).__name__}: {e}"
    print(json.dumps(out))
