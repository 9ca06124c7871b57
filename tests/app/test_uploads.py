"""Uploads through a signed POST, against both media stores: moto's S3 server over real
HTTP, and the local directory of the embedded default (MEDIA_DIR). One test set runs on both.

moto stores what is posted but does not enforce the POST policy (real S3 does; the local store
does), so both halves are tested: the policy the service signs, decoded; and the service's own
check of the stored object when it is attached to a message.
"""

import base64
import json
import time
from datetime import UTC, datetime

import pytest
import requests

from tests.support.client import Api, SioClient, register
from tests.support.services import MotoS3
from tests.support.settings import AWS_ENV

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


class Store:
    """One media store behind a server: ``kind`` is "s3" or "local"; ``exists(key)`` looks
    at the store itself, not through the service."""

    def __init__(self, kind, exists, s3=None, root=None):
        self.kind, self.exists, self.s3, self.root = kind, exists, s3, root


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    moto = MotoS3(tmp_path_factory.mktemp("moto"))
    moto.start()
    try:
        moto.create_bucket()
        yield moto.url, moto.bucket, moto.client()
    finally:
        moto.stop()


def _s3_exists(s3):
    def exists(key):
        try:
            s3[2].head_object(Bucket=s3[1], Key=key)
        except s3[2].exceptions.ClientError:
            return False
        return True

    return exists


@pytest.fixture(scope="module", params=["s3", "local"])
def store(request, stack, tmp_path_factory):
    if request.param == "s3":
        s3 = request.getfixturevalue("s3")
        endpoint, bucket, _ = s3
        settings = {**AWS_ENV, "MEDIA_BUCKET": bucket, "AWS_ENDPOINT_URL_S3": endpoint}
        kind = Store("s3", _s3_exists(s3), s3=s3)
    else:
        root = tmp_path_factory.mktemp("media")
        settings = {"MEDIA_DIR": str(root)}
        kind = Store("local", lambda key: (root / key).is_file(), root=root)
    srv = stack.server(**settings, UPLOAD_MAX_BYTES=1_000_000)
    kind.server = srv
    yield kind
    srv.close()


@pytest.fixture(scope="module")
def media_server(store):
    return store.server


@pytest.fixture
def people(media_server):
    base = media_server.url
    owner, otok = register(base)
    member, mtok = register(base)
    _, xtok = register(base)
    room = (
        Api(base, otok)
        .post("/api/rooms", {"name": f"up-{owner['id']}", "private": True})
        .json()["room"]["name"]
    )
    Api(base, otok).post(f"/api/rooms/{room}/members", {"username": member["username"]})
    return base, room, otok, mtok, xtok


PNG_SIZE = len(PNG)


def request_upload(base, token, room, filename="dot.png", content_type="image/png", size=PNG_SIZE):
    return Api(base, token).post(
        "/api/uploads", {"room": room, "filename": filename, "content_type": content_type, "size": size}
    )


def post_file(upload, data, content_type, base="", check=True):
    """The browser's form post; the local store's URL is relative to the service."""
    fields = dict(upload["fields"])
    fields["Content-Type"] = content_type
    url = upload["url"] if upload["url"].startswith("http") else base + upload["url"]
    r = requests.post(url, data=fields, files={"file": ("f", data, content_type)}, timeout=15)
    if check:
        assert r.status_code in (200, 201, 204), r.text
    return r


def attach(base, token, room, key, body="attached"):
    c = SioClient(base, token)
    try:
        c.call("join", {"room": room})
        return c.call("send", {"room": room, "body": body, "attachment": key})
    finally:
        c.close()


def test_presigned_post_policy_carries_exactly_key_size_and_type_conditions(people, store):
    if store.kind != "s3":
        pytest.skip("the S3 policy document; the local store's grant is tested below")
    s3 = store.s3
    base, room, otok, *_ = people
    r = request_upload(base, otok, room, size=1234)
    assert r.status_code == 201, r.text
    upload = r.json()["upload"]
    assert set(upload) == {"key", "url", "fields"}
    assert upload["key"].startswith("rooms/") and len(upload["key"].rsplit("/", 1)[1]) >= 22
    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    conditions = policy["conditions"]
    assert {"bucket": s3[1]} in conditions
    assert {"key": upload["key"]} in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 1, 1234] in conditions
    expires = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert 0 < (expires - datetime.now(UTC)).total_seconds() <= 300
    # nothing else is allowed in: the credential/signature fields are the only other conditions
    other = [
        c
        for c in conditions
        if not (isinstance(c, dict) and set(c) <= {"bucket", "key", "Content-Type"})
        and not (isinstance(c, list) and c[0] == "content-length-range")
    ]
    assert all(isinstance(c, dict) and next(iter(c)).lower().startswith("x-amz-") for c in other), other


def test_uploaded_file_attaches_and_members_download_it(people):
    base, room, otok, mtok, _ = people
    upload = request_upload(base, otok, room).json()["upload"]
    post_file(upload, PNG, "image/png", base)
    sender = SioClient(base, otok)
    watcher = SioClient(base, mtok)
    try:
        sender.call("join", {"room": room})
        watcher.call("join", {"room": room})
        send = {"room": room, "body": "a picture", "attachment": upload["key"], "client_id": "pic-1"}
        ack = sender.call("send", send)
        assert ack["ok"], ack
        assert sender.call("send", send) == ack  # a retry gets the first message back
        att = ack["message"]["attachment"]
        assert att == {
            "key": upload["key"],
            "filename": "dot.png",
            "content_type": "image/png",
            "size": len(PNG),
        }
        assert watcher.wait_for("message")["attachment"] == att
        refused = sender.call("send", {"room": room, "body": "again", "attachment": upload["key"]})
        assert refused["ok"] is False and refused["error"]["code"] == "conflict"
    finally:
        sender.close()
        watcher.close()
    r = Api(base, mtok).get(f"/api/uploads/{upload['key']}", allow_redirects=False)
    assert r.status_code == 302
    location = r.headers["Location"]
    got = requests.get(location if location.startswith("http") else base + location, timeout=15)
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["Content-Type"] == "image/png"
    history = Api(base, mtok).get(f"/api/rooms/{room}/messages").json()["messages"]
    assert history[-1]["attachment"] == att


def test_non_member_gets_403_on_both_endpoints(people):
    base, room, otok, _, xtok = people
    upload = request_upload(base, otok, room).json()["upload"]
    assert request_upload(base, xtok, room).status_code == 403
    r = Api(base, xtok).get(f"/api/uploads/{upload['key']}", allow_redirects=False)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert Api(base).get(f"/api/uploads/{upload['key']}").status_code == 401
    assert Api(base, otok).get("/api/uploads/rooms/1/nope", allow_redirects=False).status_code == 404


def test_an_object_larger_than_declared_never_attaches_and_is_not_kept(people, store):
    base, room, otok, *_ = people
    upload = request_upload(base, otok, room, size=10).json()["upload"]
    r = post_file(upload, PNG, "image/png", base, check=False)
    ack = attach(base, otok, room, upload["key"], "too big")
    if store.kind == "local":  # refused at the post, as real S3 refuses it
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
        assert ack["error"]["code"] == "invalid_payload"  # nothing was stored
    else:  # moto takes it; the check at attach time refuses it
        assert ack["ok"] is False and ack["error"]["code"] == "too_large"
    assert not store.exists(upload["key"])


def test_an_object_of_another_type_never_attaches_and_is_not_kept(people, store):
    base, room, otok, *_ = people
    upload = request_upload(base, otok, room).json()["upload"]
    r = post_file(upload, b"<html>not a png</html>", "text/html", base, check=False)
    ack = attach(base, otok, room, upload["key"], "sneaky")
    if store.kind == "local":
        assert r.status_code == 400 and "Content-Type" in r.json()["error"]["message"]
        assert ack["error"]["code"] == "invalid_payload"
    else:
        assert ack["ok"] is False and ack["error"]["code"] == "unsupported_type"
    assert not store.exists(upload["key"])


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("image/png", b"<script>alert(1)</script>"),
        ("image/jpeg", PNG),
        ("image/webp", b"RIFF\x10\x00\x00\x00WAVEfmt "),
        ("application/pdf", b"MZ\x90\x00 an executable"),
        ("text/plain", b"\x7fELF\x02\x01\x01\x00\x00\x00"),
        ("text/plain", "caf\u00e9".encode("latin-1")),
    ],
)
def test_content_that_is_not_the_declared_type_is_refused_and_removed(people, store, content_type, data):
    """The grant and the stored type agree, the bytes do not: found by their first bytes."""
    base, room, otok, *_ = people
    upload = request_upload(base, otok, room, filename="x", content_type=content_type, size=len(data)).json()
    post_file(upload["upload"], data, content_type, base)
    ack = attach(base, otok, room, upload["upload"]["key"], "lying")
    assert ack["ok"] is False and ack["error"]["code"] == "unsupported_type", ack
    assert not store.exists(upload["upload"]["key"])


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("text/plain", "h\u00e9llo, w\u00f6rld \u2603\n".encode()),
        ("text/csv", b"a,b\r\n1,2\r\n"),
        ("application/pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK\x03\x04\x14\x00"),
        ("image/webp", b"RIFF\x1a\x00\x00\x00WEBPVP8L\r\x00\x00\x00"),
    ],
)
def test_content_of_the_declared_type_attaches(people, content_type, data):
    base, room, otok, *_ = people
    upload = request_upload(base, otok, room, filename="ok", content_type=content_type, size=len(data)).json()
    post_file(upload["upload"], data, content_type, base)
    ack = attach(base, otok, room, upload["upload"]["key"], "fine")
    assert ack["ok"], ack


def test_attachment_of_someone_else_or_another_room_is_forbidden(people, media_server):
    base, room, otok, mtok, _ = people
    upload = request_upload(base, otok, room).json()["upload"]
    post_file(upload, PNG, "image/png", base)
    other_room = (
        Api(base, mtok).post("/api/rooms", {"name": f"other-{time.time_ns()}"}).json()["room"]["name"]
    )
    m = SioClient(base, mtok)
    o = SioClient(base, otok)
    try:
        m.call("join", {"room": room})
        ack = m.call("send", {"room": room, "body": "not mine", "attachment": upload["key"]})
        assert ack["error"]["code"] == "forbidden"
        o.call("join", {"room": other_room})
        ack = o.call("send", {"room": other_room, "body": "wrong room", "attachment": upload["key"]})
        assert ack["error"]["code"] == "forbidden"
        ack = o.call("send", {"room": other_room, "body": "made up", "attachment": "rooms/1/made-up"})
        assert ack["error"]["code"] == "forbidden"
    finally:
        m.close()
        o.close()


def test_attaching_before_the_upload_finished_is_invalid(people):
    base, room, otok, *_ = people
    upload = request_upload(base, otok, room).json()["upload"]
    c = SioClient(base, otok)
    try:
        c.call("join", {"room": room})
        ack = c.call("send", {"room": room, "body": "early", "attachment": upload["key"]})
        assert ack["error"]["code"] == "invalid_payload"
    finally:
        c.close()


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (
            {"filename": "x.exe", "content_type": "application/x-msdownload", "size": 10},
            415,
            "unsupported_type",
        ),
        ({"filename": "x.html", "content_type": "text/html", "size": 10}, 415, "unsupported_type"),
        ({"filename": "big.png", "content_type": "image/png", "size": 1_000_001}, 413, "too_large"),
        ({"filename": "x.png", "content_type": "image/png", "size": 0}, 400, "invalid_payload"),
        ({"filename": "x.png", "content_type": "image/png", "size": "10"}, 400, "invalid_payload"),
        ({"filename": "", "content_type": "image/png", "size": 10}, 400, "invalid_payload"),
        ({"content_type": "image/png", "size": 10}, 400, "invalid_payload"),
    ],
)
def test_upload_requests_are_checked(people, payload, status, code):
    base, room, otok, *_ = people
    r = Api(base, otok).post("/api/uploads", {"room": room, **payload})
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code


def test_uploads_without_a_media_store_are_unavailable(base, make_user, room_factory):
    _, token = make_user()
    room = room_factory(token)["name"]
    r = request_upload(base, token, room)
    assert r.status_code == 503 and r.json()["error"]["code"] == "unavailable"
    assert "MEDIA_DIR" in r.json()["error"]["message"] and "MEDIA_BUCKET" in r.json()["error"]["message"]


def test_the_policy_lets_the_browser_reach_the_media_store_and_nothing_else(store):
    policy = requests.get(store.server.url + "/", timeout=10).headers["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}
    if store.kind == "local":  # the service's own origin
        assert directives["connect-src"] == ["'self'"] and directives["form-action"] == ["'self'"]
        return
    origin = store.s3[0].rstrip("/")
    assert directives["connect-src"] == ["'self'", origin]
    assert origin in directives["img-src"] and origin in directives["form-action"]


def test_deleting_a_message_retires_its_attachment(people, store):
    """The link of a deleted message's file stops working for everyone, and the object goes."""
    base, room, otok, mtok, _ = people
    upload = request_upload(base, otok, room).json()["upload"]
    post_file(upload, PNG, "image/png", base)
    assert store.exists(upload["key"])
    sender = SioClient(base, otok)
    try:
        sender.call("join", {"room": room})
        ack = sender.call("send", {"room": room, "body": "soon gone", "attachment": upload["key"]})
        assert ack["ok"], ack
        assert Api(base, mtok).get(f"/api/uploads/{upload['key']}", allow_redirects=False).status_code == 302
        assert sender.call("delete", {"id": ack["message"]["id"]})["ok"]
    finally:
        sender.close()
    for token in (mtok, otok):
        gone = Api(base, token).get(f"/api/uploads/{upload['key']}", allow_redirects=False)
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"
    assert not store.exists(upload["key"])


# -- the local store's own endpoints (MEDIA_DIR): what S3 enforces, it enforces too


def forged(token: str) -> str:
    """The token with one character of its signature changed. Not the last ones: base64's
    final character carries padding bits, so changing it may leave the signature as it was."""
    i = len(token) - 10
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]


@pytest.fixture
def local(people, store):
    if store.kind != "local":
        pytest.skip("the local store's endpoints")
    return people


def test_a_grant_is_needed_and_cannot_be_bent(local):
    base, room, otok, *_ = local
    upload = request_upload(base, otok, room).json()["upload"]
    url = base + upload["url"]
    cases = [
        ({**upload["fields"], "token": forged(upload["fields"]["token"])}, 403, "forbidden"),
        ({k: v for k, v in upload["fields"].items() if k != "token"}, 403, "forbidden"),
        (
            {**upload["fields"], "key": upload["key"][:-1] + ("A" if upload["key"][-1] != "A" else "B")},
            400,
            "invalid_payload",
        ),
        ({**upload["fields"], "Content-Type": "text/html"}, 400, "invalid_payload"),
    ]
    for fields, status, code in cases:
        r = requests.post(url, data=fields, files={"file": ("f", PNG, "image/png")}, timeout=15)
        assert r.headers.get("Content-Type") == "application/json", (fields, r.status_code, r.headers, r.text)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (fields, r.text)
    r = requests.post(url, data=upload["fields"], timeout=15)
    assert r.status_code == 400 and "'file'" in r.json()["error"]["message"]
    r = requests.post(url, data=upload["fields"], files={"file": ("f", b"", "image/png")}, timeout=15)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_payload"


def test_a_grant_stores_one_file_only(local, store):
    """Replaying the grant within its five minutes cannot swap the bytes of an attached file."""
    base, room, otok, mtok, _ = local
    upload = request_upload(base, otok, room).json()["upload"]
    post_file(upload, PNG, "image/png", base)
    assert attach(base, otok, room, upload["key"])["ok"]
    again = post_file(upload, PNG[:-4] + b"evil", "image/png", base, check=False)
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert (store.root / upload["key"]).read_bytes() == PNG


def test_a_body_past_the_granted_size_is_cut_off(local, store):
    base, room, otok, *_ = local
    upload = request_upload(base, otok, room, size=1_000_000).json()["upload"]
    r = post_file(upload, b"\x89PNG\r\n\x1a\n" + bytes(1_200_000), "image/png", base, check=False)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert not store.exists(upload["key"])
    assert not [p for p in store.root.rglob("*") if p.name.startswith(".part-")]


def test_download_links_are_signed_short_lived_and_sandboxed(local):
    base, room, otok, mtok, _ = local
    upload = request_upload(base, otok, room, filename="a b<c>.png").json()["upload"]
    post_file(upload, PNG, "image/png", base)
    assert attach(base, otok, room, upload["key"])["ok"]
    location = Api(base, mtok).get(f"/api/uploads/{upload['key']}", allow_redirects=False).headers["Location"]
    got = requests.get(base + location, timeout=15)
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Disposition"].startswith("inline;")
    assert "<" not in got.headers["Content-Disposition"]
    assert got.headers["Cache-Control"] == "private, max-age=60"
    path, _, token = location.partition("?t=")
    other_key = path[:-1] + ("B" if path[-1] != "B" else "C")
    for bad in (f"{path}?t={forged(token)}", path, f"{other_key}?t={token}"):
        r = requests.get(base + bad, timeout=15)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", bad
    assert requests.get(f"{base}/api/media/../../etc/passwd", timeout=15).status_code in (403, 404)
    r = requests.get(f"{base}/api/media/upload", timeout=15)
    assert r.status_code == 405 and r.headers["Allow"] == "POST"
