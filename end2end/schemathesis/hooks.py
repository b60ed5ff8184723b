"""Schemathesis hooks for the ingestion API (scripts/test-api-fuzz.sh).

`before_call` signs every generated request the way the back office must (the v2 scheme of
app/src/auth/ingest.rs): HMAC-SHA256 under the test key's secret over
"v2\n<METHOD>\n<path?query>\n<timestamp>\n<hex sha256 of the body>", the body and the query
being exactly the bytes sent (the signing runs as a requests auth object, on the prepared
request, after every encoding). A signature is accepted
once: a request identical to one already signed in the same second waits for the next
second, as a real client must. Without the hook every request would stop at 401 and nothing
behind the signature would be tested.

`after_call` records each answer's status and what a 200 says was inserted, so the script
can compare it with the database afterwards (a batch is stored whole or not at all) and show
how far the generated requests got (a run of 401s would test nothing behind the signature).
"""

import hashlib
import hmac
import json
import os
import threading
import time

import requests.auth
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


_SIGNED = set()
_SIGNED_LOCK = threading.Lock()  # Schemathesis runs two workers


class _SignV2(requests.auth.AuthBase):
    """Signs the request as it goes on the wire: requests calls this with the prepared
    request, whose path, query and body are exactly the bytes sent."""

    def __init__(self, wanted):
        self.wanted = wanted

    def __call__(self, r):
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode()
        digest = hashlib.sha256(body).hexdigest()
        while True:
            ts = str(int(time.time()))
            canonical = "\n".join(("v2", r.method.upper(), r.path_url, ts, digest))
            with _SIGNED_LOCK:
                if canonical not in _SIGNED:
                    _SIGNED.add(canonical)
                    break
            time.sleep(0.2)
        signature = "v2=" + hmac.new(SECRET, canonical.encode(), hashlib.sha256).hexdigest()
        values = {"x-portal-key": KEY_ID, "x-portal-timestamp": ts, "x-portal-signature": signature}
        for name in self.wanted:
            r.headers[name] = values[name]
        return r


@schemathesis.hook
def before_call(context, case, kwargs):
    kwargs.pop("json", None)
    kwargs["data"] = _body_bytes(case.body)
    # The generated case carries the three security headers (with made-up values): each is
    # given its real value. A case that leaves one out on purpose (Schemathesis checking that
    # a missing required header is refused) keeps it out, so the request is refused as it
    # should be; a case with none of them gets all three.
    names = ("x-portal-key", "x-portal-timestamp", "x-portal-signature")
    current = dict(case.headers or {})
    present = {k.lower() for k in current}
    wanted = [n for n in names if n in present] or list(names)
    headers = {k: v for k, v in current.items() if k.lower() not in names}
    # What the case says it sends (Schemathesis judges the case by these); the auth object
    # replaces the timestamp and signature with the real ones as the request goes out.
    placeholders = {"x-portal-key": KEY_ID, "x-portal-timestamp": str(int(time.time())),
                    "x-portal-signature": "v2=" + "0" * 64}
    headers.update({n: placeholders[n] for n in wanted})
    case.headers = headers
    kwargs["auth"] = _SignV2(wanted)


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
