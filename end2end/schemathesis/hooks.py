"""Schemathesis hooks for the ingestion API (scripts/test-api-fuzz.sh).

`before_call` signs every generated request the way the back office must: HMAC-SHA256 under
the test key's secret over "<timestamp>.<body>", the body being exactly the bytes sent (the
hook serialises the generated body itself and passes those bytes, so nothing re-serialises
them after signing). Without it every request would stop at 401 and nothing behind the
signature would be tested.

`after_call` records each answer's status and what a 200 says was inserted, so the script
can compare it with the database afterwards (a batch is stored whole or not at all) and show
how far the generated requests got (a run of 401s would test nothing behind the signature).
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
    # The generated case carries the three security headers (with made-up values): each is
    # given its real value. A case that leaves one out on purpose (Schemathesis checking that
    # a missing required header is refused) keeps it out, so the request is refused as it
    # should be; a case with none of them gets all three.
    names = ("x-portal-key", "x-portal-timestamp", "x-portal-signature")
    values = dict(zip(names, (KEY_ID, ts, signature)))
    current = dict(case.headers or {})
    present = {k.lower() for k in current}
    wanted = [n for n in names if n in present] or list(names)
    headers = {k: v for k, v in current.items() if k.lower() not in names}
    headers.update({n: values[n] for n in wanted})
    case.headers = headers


@schemathesis.hook
def after_call(context, case, response):
    """One line per answer: "<status> <path> <inserted>" (inserted only for a 200)."""
    inserted = "-"
    # The batches answer how many were inserted; the ping and the permits' read store nothing.
    if response.status_code == 200 and case.method.upper() == "POST" and case.path != "/ingest/v1/ping":
        try:
            value = json.loads(response.content).get("inserted")
            inserted = str(value) if isinstance(value, int) else "?"
        except (ValueError, AttributeError):
            inserted = "?"
    with open(OUTCOMES, "a", encoding="utf-8") as f:
        f.write(f"{response.status_code} {case.path} {inserted}\n")
