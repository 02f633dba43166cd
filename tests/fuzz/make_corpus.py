#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target into tests/fuzz/corpus/.

The seeds are real GitHub activity (GH Archive) from the shared data folder,
converted into each wire format the way the vendors' SDKs send it, plus
hand-made edge cases. Run it from anywhere; it reads
../shared/data/usage-events/ beside the repository and replaces the
generated files of every corpus folder. The output is committed, so neither
CI nor scripts/fuzz.sh needs the data or this script.

Each target's first input byte is a selector; see the comment at the top
of each *_fuzzer.cc for what its bits choose.
"""

import base64
import gzip
import json
import os
import pathlib
import sys
import urllib.parse
import zlib

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
DATA = REPO.parent / "shared" / "data" / "usage-events"
CORPUS = HERE / "corpus"

# The minimized files' type codes, as uptake-replay names them.
GH_TYPES = {
    "pr": "PullRequestEvent", "issue": "IssuesEvent", "push": "PushEvent",
    "del": "DeleteEvent", "create": "CreateEvent", "icomment": "IssueCommentEvent",
    "fork": "ForkEvent", "public": "PublicEvent", "watch": "WatchEvent",
    "golem": "GollumEvent", "prcomment": "PullRequestReviewCommentEvent",
    "release": "ReleaseEvent", "member": "MemberEvent", "ccomment": "CommitCommentEvent",
}

WRITE_KEY = "demo"  # the key of config/examples/gharchive.yaml, used by http_fuzzer


def read_gh_events(count):
    """Returns `count` events of the minimized 2015-02-22 21:00 hour, spread over the file."""
    path = DATA / "gharchive-minimized" / "2015-02-22-21.ndjson"
    with open(path, encoding="utf-8") as lines:
        records = [json.loads(line) for _, line in zip(range(3000), lines)]
    step = max(1, len(records) // count)
    return records[::step][:count]


def read_pinot_events(count):
    """Returns `count` full GH Archive records of 2021, which carry org and payload."""
    path = DATA / "gharchive-pinot-2021-07-21-few-hours.ndjson"
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for _, line in zip(range(count), lines)]


def owner(record):
    return record["repo"].split("/")[0]


def event_name(record):
    return GH_TYPES.get(record["type"], record["type"])


def utc_ms(iso):
    from datetime import datetime, timezone
    moment = datetime.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# --- LZ-String compressToBase64, as posthog-js sends compression=lz64 ---

LZ_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="


def lz_compress_to_base64(text):
    """Compresses `text` as LZ-String 1.4's compressToBase64 does, over UTF-16 code units."""
    raw = text.encode("utf-16-le")
    units = [chr(raw[i] | (raw[i + 1] << 8)) for i in range(0, len(raw), 2)]
    out = []
    state = {"val": 0, "pos": 0}

    def write_bits(value, count):
        for _ in range(count):
            state["val"] = (state["val"] << 1) | (value & 1)
            if state["pos"] == 5:
                state["pos"] = 0
                out.append(LZ_ALPHABET[state["val"]])
                state["val"] = 0
            else:
                state["pos"] += 1
            value >>= 1

    dictionary, to_create = {}, set()
    w, enlarge_in, dict_size, num_bits = "", 2, 3, 2

    def emit_w():
        nonlocal enlarge_in, num_bits
        if w in to_create:
            code = ord(w[0])
            if code < 256:
                write_bits(0, num_bits)
                write_bits(code, 8)
            else:
                write_bits(1, num_bits)
                write_bits(code, 16)
            enlarge_in -= 1
            if enlarge_in == 0:
                enlarge_in = 1 << num_bits
                num_bits += 1
            to_create.discard(w)
        else:
            write_bits(dictionary[w], num_bits)
        enlarge_in -= 1
        if enlarge_in == 0:
            enlarge_in = 1 << num_bits
            num_bits += 1

    for c in units:
        if c not in dictionary:
            dictionary[c] = dict_size
            dict_size += 1
            to_create.add(c)
        wc = w + c
        if wc in dictionary:
            w = wc
            continue
        emit_w()
        dictionary[wc] = dict_size
        dict_size += 1
        w = c
    if w:
        emit_w()
    write_bits(2, num_bits)
    while True:
        state["val"] <<= 1
        if state["pos"] == 5:
            out.append(LZ_ALPHABET[state["val"]])
            break
        state["pos"] += 1
    result = "".join(out)
    return result + "=" * ((4 - len(result) % 4) % 4)


# --- wire formats ---

def segment_event(record, call="track"):
    event = {
        "type": call,
        "messageId": "gh-" + record["id"],
        "userId": record["actor"],
        "timestamp": record["dt"],
        "context": {"groupId": owner(record), "library": {"name": "analytics-node", "version": "2.1.0"}},
    }
    if call == "track":
        event["event"] = event_name(record)
        event["properties"] = {k: record[k] for k in ("repo", "commits", "action", "age") if k in record}
    elif call == "identify":
        event["traits"] = {"login": record["actor"]}
    elif call == "group":
        event["groupId"] = owner(record)
        event["traits"] = {"name": owner(record), "plan": "team", "arr": 1200, "csm": "ann@example.com",
                           "created_at": record.get("age", record["dt"])}
    elif call in ("page", "screen"):
        event["name"] = event_name(record)
        event["properties"] = {"path": "/" + record["repo"]}
    elif call == "alias":
        event["previousId"] = "anon-" + record["actor"]
    return event


def posthog_event(record):
    event = {
        "event": event_name(record),
        "distinct_id": record["actor"],
        "uuid": "01890000-0000-7000-8000-%012d" % int(record["id"]),
        "timestamp": record["dt"],
        "properties": {"$groups": {"company": owner(record)}, "repo": record["repo"],
                       "$lib": "posthog-node"},
    }
    if record["type"] == "create":
        event["event"] = "$groupidentify"
        event["properties"].update({"$group_type": "company", "$group_key": owner(record),
                                    "$group_set": {"plan": "enterprise", "arr": 50000}})
    if record["type"] == "watch":
        event["event"] = "$identify"
        event["properties"]["$set"] = {"login": record["actor"]}
    return event


def amplitude_event(record):
    event = {
        "user_id": record["actor"],
        "device_id": "dev-" + record["actor"],
        "event_type": event_name(record),
        "time": utc_ms(record["dt"]),
        "insert_id": "gh-" + record["id"],
        "groups": {"company": owner(record)},
        "event_properties": {"repo": record["repo"]},
    }
    if record["type"] == "create":
        event["event_type"] = "$groupidentify"
        event["group_properties"] = {"$set": {"plan": "pro", "arr": 900}}
    if record["type"] == "watch":
        event["event_type"] = "$identify"
        event["user_properties"] = {"$set": {"login": record["actor"]}}
    return event


def mixpanel_event(record, milliseconds=False):
    time = utc_ms(record["dt"])
    return {
        "event": event_name(record),
        "properties": {
            "time": time if milliseconds else time // 1000,
            "distinct_id": record["actor"],
            "$insert_id": "gh" + record["id"],
            "token": WRITE_KEY,
            "company": owner(record),
            "repo": record["repo"],
        },
    }


# --- writing ---

class Corpus:
    """One target's folder; generated files are named gen-*, hand-made ones edge-*."""

    def __init__(self, target):
        self.dir = CORPUS / target
        self.dir.mkdir(parents=True, exist_ok=True)
        for old in self.dir.glob("gen-*"):
            old.unlink()
        for old in self.dir.glob("edge-*"):
            old.unlink()

    def add(self, name, data, selector=None):
        if isinstance(data, str):
            data = data.encode("utf-8")
        if selector is not None:
            data = bytes([selector]) + data
        (self.dir / name).write_bytes(data)


def chunks(items, size):
    return [items[i:i + size] for i in range(0, len(items), size)]


def segment_corpus(events):
    corpus = Corpus("segment_fuzzer")
    calls = ["batch", "track", "identify", "group", "page", "screen", "alias"]
    for i, batch in enumerate(chunks(events[:24], 4)):
        items = [segment_event(r, calls[1 + (j % 6)]) for j, r in enumerate(batch)]
        body = {"batch": items, "writeKey": WRITE_KEY, "sentAt": batch[-1]["dt"],
                "context": {"library": {"name": "analytics-node"}}}
        corpus.add("gen-batch-%02d" % i, compact(body), selector=0x40 if i % 2 else 0x00)
    for index, call in enumerate(calls[1:], start=1):
        corpus.add("gen-%s" % call, compact(segment_event(events[30 + index], call)), selector=index)
    corpus.add("gen-batch-tight", compact({"batch": [segment_event(r) for r in events[40:46]]}),
               selector=0x80)
    edges = {
        "edge-empty-batch": (0, '{"batch":[]}'),
        "edge-not-object": (1, '[1,2,3]'),
        "edge-deep": (0x81, '{"userId":"u","event":"e","properties":' + '{"a":' * 40 + '1' + '}' * 41),
        "edge-bad-utf8": (1, b'{"userId":"\xc3\x28","event":"e"}'.decode("latin-1")),
        "edge-surrogates": (1, r'{"userId":"\ud83d\ude00","event":"\ud800x","messageId":"\u0000"}'),
        "edge-dup-keys": (1, '{"userId":"a","userId":"b","event":"e","properties":{"k":1,"k":2}}'),
        "edge-timestamps": (0, compact({"batch": [
            {"type": "track", "userId": "u", "event": "e", "timestamp": t, "sentAt": "2015-02-22T21:00:00Z"}
            for t in ["2015-02-22T21:00:00.123456+05:30", "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z",
                      "2015-02-30T25:61:61Z", 1424638800, "", None]]})),
        "edge-numbers": (1, '{"userId":1e999,"event":"e","properties":{"n":-0,"m":18446744073709551616,"f":1.7976931348623157e309}}'),
    }
    for name, (selector, body) in edges.items():
        corpus.add(name, body.encode("latin-1") if "bad-utf8" in name else body, selector=selector)


def posthog_corpus(events):
    corpus = Corpus("posthog_fuzzer")
    # Selector: low three bits pick compression "", gzip-js, gzip, lz64,
    # base64, LZ64, zstd, ""; 0x08 a form body; 0x40 padding; 0x80 tight limits.
    batches = chunks([posthog_event(r) for r in events[:30]], 5)
    wrapped = [compact({"api_key": WRITE_KEY, "batch": b, "sent_at": "2015-02-22T21:59:00Z"}) for b in batches]
    corpus.add("gen-json", wrapped[0], selector=0x00)
    corpus.add("gen-single", compact(dict(batches[1][0], api_key=WRITE_KEY)), selector=0x40)
    corpus.add("gen-array", compact(batches[1]), selector=0x00)
    corpus.add("gen-gzip-js", gzip.compress(wrapped[2].encode(), mtime=0), selector=0x01)
    corpus.add("gen-lz64", lz_compress_to_base64(wrapped[3]), selector=0x03)
    corpus.add("gen-base64", base64.b64encode(wrapped[4].encode()), selector=0x04)
    form = "data=" + urllib.parse.quote(base64.b64encode(wrapped[5].encode()).decode(), safe="")
    corpus.add("gen-form-base64", form, selector=0x08)
    form_lz = "data=" + lz_compress_to_base64(wrapped[1]).replace("+", "%2B") + "&compression=lz64"
    corpus.add("gen-form-lz64", form_lz, selector=0x08)
    corpus.add("gen-form-json", "data=" + urllib.parse.quote(wrapped[0]) + "&ver=1.0", selector=0x08)
    corpus.add("gen-tight", wrapped[2], selector=0x80)
    corpus.add("edge-unicode-lz64", lz_compress_to_base64(
        compact({"api_key": WRITE_KEY, "event": "caf\u00e9 \u2615 \U0001F600", "distinct_id": "u"})), selector=0x03)
    corpus.add("edge-lz64-garbage", "AAB//////", selector=0x03)
    corpus.add("edge-form-bad-escape", "data=%zz&compression=base64", selector=0x08)
    corpus.add("edge-unknown-compression", wrapped[0], selector=0x06)
    corpus.add("edge-unpadded-base64", base64.b64encode(b'{"event":"e","distinct_id":"u","api_key":"k"}').rstrip(b"="), selector=0x04)


def amplitude_corpus(events):
    corpus = Corpus("amplitude_fuzzer")
    for i, batch in enumerate(chunks([amplitude_event(r) for r in events[:30]], 5)):
        body = {"api_key": WRITE_KEY, "events": batch}
        if i % 3 == 0:
            body["options"] = {"min_id_length": 1}
        corpus.add("gen-batch-%02d" % i, compact(body), selector=0x40 if i % 2 else 0x00)
    corpus.add("gen-tight", compact({"api_key": WRITE_KEY, "events": [amplitude_event(r) for r in events[30:36]]}),
               selector=0x80)
    corpus.add("edge-no-key", '{"events":[{"user_id":"u","event_type":"e"}]}', selector=0)
    corpus.add("edge-groups-array", compact({"api_key": "k", "events": [
        {"user_id": "u", "event_type": "e", "groups": {"company": ["a", "b"]}},
        {"device_id": "d", "event_type": "e", "groups": {"company": 42}, "time": -1},
        {"event_type": "e", "time": 1e300}]}), selector=0)
    corpus.add("edge-posthog-shaped", '{"api_key":"k","batch":[]}', selector=0)


def mixpanel_corpus(events):
    corpus = Corpus("mixpanel_fuzzer")
    # Selector: 0x01 NDJSON, 0x02 strict answer, 0x40 padding, 0x80 tight limits.
    for i, batch in enumerate(chunks(events[:30], 5)):
        items = [mixpanel_event(r, milliseconds=i % 2 == 1) for r in batch]
        if i % 2:
            corpus.add("gen-ndjson-%02d" % i, "\n".join(compact(e) for e in items) + "\n", selector=0x01 | (i & 0x02))
        else:
            corpus.add("gen-array-%02d" % i, compact(items), selector=0x40 | (i & 0x02))
    corpus.add("gen-tight", compact([mixpanel_event(r) for r in events[30:36]]), selector=0x82)
    corpus.add("edge-crlf-ndjson", '{"event":"a","properties":{"distinct_id":"u","time":1}}\r\n\r\n{"event":"b"}',
               selector=0x01)
    corpus.add("edge-bad-time", compact([{"event": "e", "properties": {"distinct_id": "u", "time": t}}
                                         for t in [-1, 1e20, "1424638800", 99999999999, 100000000001]]),
               selector=0x02)


def stream_corpus(events):
    corpus = Corpus("stream_envelope_fuzzer")
    for i, batch in enumerate(chunks(events[:20], 4)):
        body = {"requestId": "r%d" % i, "batch": [segment_event(r) for r in batch]}
        corpus.add("gen-batch-%02d" % i, compact(body), selector=0)
    for i, call in enumerate(["track", "identify", "group", "page", "screen", "alias"]):
        body = dict(segment_event(events[20 + i], call), requestId="s%d" % i)
        corpus.add("gen-%s" % call, compact(body), selector=0)
    corpus.add("edge-request-id-types", '{"requestId":{"a":1},"type":"nope","batch":{}}', selector=0)
    corpus.add("edge-escaped-id", r'{"requestId":"\"\u0000\ud83d\ude00","type":"track"}', selector=0x80)


def body_corpus(events):
    corpus = Corpus("body_fuzzer")
    # Selector: low three bits pick "", gzip, deflate, identity, "gzip, deflate",
    # x-gzip, "DEFLATE,gzip", br; 0x80 a 4 KB limit.
    text = "\n".join(compact(r) for r in events[:20]).encode()
    corpus.add("gen-plain", text, selector=0)
    corpus.add("gen-gzip", gzip.compress(text, mtime=0), selector=1)
    corpus.add("gen-gzip-sniffed", gzip.compress(text[:400], mtime=0), selector=0)
    corpus.add("gen-zlib", zlib.compress(text[:600]), selector=2)
    raw = zlib.compressobj(wbits=-15)
    corpus.add("gen-raw-deflate", raw.compress(text[:500]) + raw.flush(), selector=2)
    corpus.add("gen-gzip-members", gzip.compress(text[:200], mtime=0) + gzip.compress(text[200:400], mtime=0),
               selector=5)
    corpus.add("gen-gzip-then-deflate", gzip.compress(zlib.compress(text[:300]), mtime=0), selector=4)
    corpus.add("gen-over-limit", gzip.compress(text * 2, mtime=0), selector=0x81)
    corpus.add("edge-truncated-gzip", gzip.compress(text[:300], mtime=0)[:-9], selector=1)
    corpus.add("edge-gzip-trailing", gzip.compress(b"{}", mtime=0) + b"junk", selector=1)
    corpus.add("edge-bomb", gzip.compress(b"0" * 200000, mtime=0), selector=0x81)
    corpus.add("edge-unknown", b"{}", selector=7)


def http_corpus(events):
    corpus = Corpus("http_fuzzer")
    auth = "Basic " + base64.b64encode((WRITE_KEY + ":").encode()).decode()

    def request(method, target, body=b"", headers=()):
        if isinstance(body, str):
            body = body.encode()
        head = ["%s %s HTTP/1.1" % (method, target), "Host: 127.0.0.1:8080"]
        head += list(headers)
        if body or method == "POST":
            head.append("Content-Length: %d" % len(body))
        return ("\r\n".join(head) + "\r\n\r\n").encode() + body

    json_type = "Content-Type: application/json"
    segment = compact({"batch": [segment_event(r, c) for r, c in
                                 zip(events[:6], ["group", "track", "identify", "track", "alias", "page"])]})
    corpus.add("gen-segment-batch", request("POST", "/v1/batch", segment, [json_type, "Authorization: " + auth]))
    corpus.add("gen-segment-track", request("POST", "/v1/track", compact(dict(segment_event(events[7]), writeKey=WRITE_KEY)),
                                            [json_type]))
    corpus.add("gen-segment-gzip", request("POST", "/v1/import", gzip.compress(segment.encode(), mtime=0),
                                           [json_type, "Content-Encoding: gzip", "Authorization: " + auth]))
    posthog = compact({"api_key": WRITE_KEY, "batch": [posthog_event(r) for r in events[8:14]]})
    corpus.add("gen-posthog-batch", request("POST", "/batch/", posthog, [json_type]))
    corpus.add("gen-posthog-lz64", request("POST", "/e/?compression=lz64&ver=1.57.2", lz_compress_to_base64(posthog),
                                           ["Content-Type: text/plain"]))
    corpus.add("gen-posthog-gzip-js", request("POST", "/i/v0/e/?compression=gzip-js",
                                              gzip.compress(posthog.encode(), mtime=0), ["Content-Type: text/plain"]))
    corpus.add("gen-posthog-form", request("POST", "/capture/?beacon=1",
                                           "data=" + urllib.parse.quote(base64.b64encode(posthog.encode()).decode()),
                                           ["Content-Type: application/x-www-form-urlencoded"]))
    amplitude = compact({"api_key": WRITE_KEY, "events": [amplitude_event(r) for r in events[14:20]]})
    corpus.add("gen-amplitude", request("POST", "/2/httpapi", amplitude, [json_type]))
    corpus.add("gen-amplitude-batch", request("POST", "/batch", amplitude, [json_type]))
    mixpanel = "\n".join(compact(mixpanel_event(r)) for r in events[20:26])
    corpus.add("gen-mixpanel", request("POST", "/import?strict=1", mixpanel,
                                       ["Content-Type: application/x-ndjson", "Authorization: " + auth]))
    account = urllib.parse.quote(owner(events[0]))
    corpus.add("gen-account", request("GET", "/v1/accounts/" + account))
    corpus.add("gen-at-risk", request("GET", "/v1/accounts?at_risk=true&limit=5"))
    corpus.add("gen-alerts", request("GET", "/v1/alerts?state=firing&limit=10&account=" + account))
    corpus.add("gen-ack", request("POST", "/v1/alerts/1/ack", '{"by":"alice","comment":"calling them"}', [json_type]))
    corpus.add("gen-silence", request("POST", "/v1/silences", compact({
        "matchers": {"rule": "inactive-3-weeks", "account": owner(events[1])}, "starts_at": "2015-02-22T00:00:00Z",
        "ends_at": "2015-03-22T00:00:00Z", "author": "ann", "comment": "holiday"}), [json_type]))
    corpus.add("gen-silences-list", request("GET", "/v1/silences"))
    corpus.add("gen-preflight", request("OPTIONS", "/v1/batch", headers=[
        "Origin: https://app.example.com", "Access-Control-Request-Method: POST"]))
    corpus.add("gen-healthz", request("GET", "/healthz"))
    corpus.add("gen-sse", request("GET", "/v1/alerts/stream?after=3&rule=x", headers=[
        "Accept: text/event-stream", "Last-Event-ID: 7"]))
    corpus.add("gen-ws-ingest", request("GET", "/v1/ingest?write_key=demo", headers=[
        "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]))
    chunked = segment.encode()
    body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(chunked), chunked)
    corpus.add("gen-chunked", ("POST /v1/batch HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                               "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n" % auth).encode() + body)
    corpus.add("edge-http10", b"GET /v1/accounts/%ZZ HTTP/1.0\r\n\r\n")
    corpus.add("edge-bad-key", request("POST", "/v1/track", '{"userId":"u","event":"e"}', ["Authorization: Basic Og=="]))
    corpus.add("edge-reload", request("POST", "/v1/admin/reload"))
    corpus.add("edge-unsupported-type", request("POST", "/v1/batch", segment, ["Content-Type: application/xml",
                                                                               "Authorization: " + auth]))


def config_corpus():
    corpus = Corpus("config_fuzzer")
    example = (REPO / "config" / "examples" / "gharchive.yaml").read_text()
    corpus.add("gen-gharchive", example)
    doc = (REPO / "docs" / "configuration.md").read_text()
    start = doc.index("```yaml\n") + len("```yaml\n")
    corpus.add("gen-docs-example", doc[start:doc.index("```", start)])
    corpus.add("edge-empty", "")
    corpus.add("edge-two-documents", "listen: \"127.0.0.1:1\"\n---\nthreads: 2\n")
    corpus.add("edge-listen-v6", 'listen: "[fe80::1%eth0]:0"\nwrite_keys: ["a\\u0001"]\n')
    corpus.add("edge-anchors", "a: &x {days: 3}\nrules:\n  - <<: *x\n    name: r\n    kind: inactivity\n")
    corpus.add("edge-big-numbers", "limits:\n  max_event_age_days: 99999999999999999999\n"
                                   "  future_tolerance_seconds: 9223372036854775807\n  max_depth: -1\n")
    corpus.add("edge-durations", "features: [{id: F, events: [e]}]\nrules:\n  - name: r\n    kind: feature_adoption\n"
                                 "    min_features: 1\n    days: 1\n    for: 999999999999d\n    keep_firing_for: 1h30m\n")
    corpus.add("edge-webhook", "webhooks:\n  - name: w\n    url: \"http://[::1]:99999/x\"\n    secret: s\n"
                               "    notify: [fired, fired]\n    match: {rule: \"\", severity: loud}\n")
    corpus.add("edge-tabs-and-flow", "rules: [{name: a, kind: login_drop, percent: 50,\n\tsegments: [{}]}]\n")


def main():
    if not DATA.is_dir():
        sys.exit("make_corpus.py: %s is missing; lay the shared data beside the repository" % DATA)
    events = read_gh_events(60)
    pinot = read_pinot_events(4)
    # Full 2021 records add org accounts and event types the 2015 hours lack.
    for record in pinot:
        events.append({"id": record["id"], "dt": record["created_at"][:19] + "Z",
                       "repo": (record.get("org") or {}).get("login", record["repo"]["name"].split("/")[0]) +
                       "/" + record["repo"]["name"].split("/")[-1],
                       "type": record["type"], "actor": record["actor"]["login"]})
    events = events[:40] + events[60:] + events[40:60]
    segment_corpus(events)
    posthog_corpus(events)
    amplitude_corpus(events)
    mixpanel_corpus(events)
    stream_corpus(events)
    body_corpus(events)
    http_corpus(events)
    config_corpus()
    sizes = sum(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file())
    count = sum(1 for p in CORPUS.rglob("*") if p.is_file())
    print("wrote %d files, %d bytes, to %s" % (count, sizes, os.path.relpath(CORPUS)))


if __name__ == "__main__":
    main()
