"""Schemathesis hooks for the ingestion API (scripts/test-api-fuzz.sh).

`before_call` signs every generated request the way the back office must (the v2 scheme of
app/src/auth/ingest.rs): HMAC-SHA256 under the test key's secret over
"v2\n<METHOD>\n<path?query>\n<timestamp>\n<hex sha256 of the body>", the body and the query
being exactly the bytes sent (the hook serialises the generated body and encodes the query
itself and passes those, so nothing re-encodes them after signing). A signature is accepted
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
import urllib.parse

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


def _path_and_query(kwargs):
    """The request's path with its query encoded once, here, so what is signed is what is sent."""
    url = urllib.parse.urlsplit(kwargs["url"])
    params = kwargs.pop("params", None) or {}
    pairs = list(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
    pairs += [(k, v) for k, vs in params.items() for v in (vs if isinstance(vs, list) else [vs])]
    query = urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote)
    kwargs["url"] = urllib.parse.urlunsplit((url.scheme, url.netloc, url.path, query, ""))
    return url.path + (f"?{query}" if query else "")


@schemathesis.hook
def before_call(context, case, kwargs):
    data = _body_bytes(case.body)
    method = case.method.upper()
    path = _path_and_query(kwargs)
    digest = hashlib.sha256(data).hexdigest()
    while True:
        ts = str(int(time.time()))
        canonical = "\n".join(("v2", method, path, ts, digest))
        with _SIGNED_LOCK:
            if canonical not in _SIGNED:
                _SIGNED.add(canonical)
                break
        time.sleep(0.2)
    signature = "v2=" + hmac.new(SECRET, canonical.encode(), hashlib.sha256).hexdigest()
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
