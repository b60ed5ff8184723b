"""Schemathesis hooks for the ingestion API (scripts/test-api-fuzz.sh).

`before_call` signs every generated request the way the back office must: HMAC-SHA256 under
the test key's secret over "<timestamp>.<body>", the body being exactly the bytes sent (the
hook serialises the generated body itself and passes those bytes, so nothing re-serialises
them after signing). Without it every request would stop at 401 and nothing behind the
signature would be tested.

`after_call` records what each 200 answer says was inserted, so the script can compare it
with the database afterwards: a batch is stored whole or not at all.
"""

import hashlib
import hmac
import json
import os
import time

import schemathesis
from schemathesis.core import NotSet

KEY_ID = os.environ["PORTAL_FUZZ_KEY_ID"]
SECRET = os.environ["PORTAL_FUZZ_SECRET"].encode()
OUTCOMES = os.environ["PORTAL_FUZZ_OUTCOMES"]


def _body_bytes(body):
    if isinstance(body, NotSet) or body is None:
        return b""
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    return json.dumps(body, ensure_ascii=False, default=str).encode()


@schemathesis.hook
def before_call(context, case, kwargs):
    data = _body_bytes(case.body)
    ts = str(int(time.time()))
    signature = hmac.new(SECRET, ts.encode() + b"." + data, hashlib.sha256).hexdigest()
    kwargs.pop("json", None)
    kwargs["data"] = data
    headers = dict(kwargs.get("headers") or {})
    headers.update(
        {
            "x-portal-key": KEY_ID,
            "x-portal-timestamp": ts,
            "x-portal-signature": signature,
        }
    )
    if data and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/json"
    kwargs["headers"] = headers


@schemathesis.hook
def after_call(context, case, response):
    if response.status_code != 200 or not case.path.startswith("/ingest/v1/"):
        return
    try:
        inserted = json.loads(response.content).get("inserted")
    except (ValueError, AttributeError):
        return
    if isinstance(inserted, int):
        with open(OUTCOMES, "a", encoding="utf-8") as f:
            f.write(f"{case.path} {inserted}\n")
