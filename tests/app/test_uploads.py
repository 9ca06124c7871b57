"""Uploads through presigned POST, against moto's S3 server over real HTTP.

moto stores what is posted but does not enforce the POST policy (real S3 does), so both
halves are tested: the policy the service signs, decoded; and the service's own check of the
stored object when it is attached to a message.
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


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    moto = MotoS3(tmp_path_factory.mktemp("moto"))
    moto.start()
    try:
        moto.create_bucket()
        yield moto.url, moto.bucket, moto.client()
    finally:
        moto.stop()


@pytest.fixture(scope="module")
def media_server(stack, s3):
    endpoint, bucket, _ = s3
    srv = stack.server(
        **AWS_ENV, MEDIA_BUCKET=bucket, AWS_ENDPOINT_URL_S3=endpoint, UPLOAD_MAX_BYTES=1_000_000
    )
    yield srv
    srv.close()


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


def post_file(upload, data, content_type):
    fields = dict(upload["fields"])
    fields["Content-Type"] = content_type
    r = requests.post(upload["url"], data=fields, files={"file": ("f", data, content_type)}, timeout=15)
    assert r.status_code in (200, 201, 204), r.text
    return r


def test_presigned_post_policy_carries_exactly_key_size_and_type_conditions(people, s3):
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


def test_uploaded_file_attaches_and_members_download_it(people, s3):
    base, room, otok, mtok, _ = people
    upload = request_upload(base, otok, room).json()["upload"]
    post_file(upload, PNG, "image/png")
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
    got = requests.get(r.headers["Location"], timeout=15)
    assert got.status_code == 200 and got.content == PNG
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


def test_an_object_larger_than_declared_is_refused_and_deleted(people, s3):
    base, room, otok, *_ = people
    upload = request_upload(base, otok, room, size=10).json()["upload"]
    post_file(upload, PNG, "image/png")  # moto takes it; real S3 would refuse it
    c = SioClient(base, otok)
    try:
        c.call("join", {"room": room})
        ack = c.call("send", {"room": room, "body": "too big", "attachment": upload["key"]})
        assert ack["ok"] is False and ack["error"]["code"] == "too_large"
    finally:
        c.close()
    with pytest.raises(s3[2].exceptions.ClientError):
        s3[2].head_object(Bucket=s3[1], Key=upload["key"])


def test_an_object_of_another_type_is_refused_and_deleted(people, s3):
    base, room, otok, *_ = people
    upload = request_upload(base, otok, room).json()["upload"]
    post_file(upload, b"<html>not a png</html>", "text/html")
    c = SioClient(base, otok)
    try:
        c.call("join", {"room": room})
        ack = c.call("send", {"room": room, "body": "sneaky", "attachment": upload["key"]})
        assert ack["ok"] is False and ack["error"]["code"] == "unsupported_type"
    finally:
        c.close()
    with pytest.raises(s3[2].exceptions.ClientError):
        s3[2].head_object(Bucket=s3[1], Key=upload["key"])


def test_attachment_of_someone_else_or_another_room_is_forbidden(people, media_server):
    base, room, otok, mtok, _ = people
    upload = request_upload(base, otok, room).json()["upload"]
    post_file(upload, PNG, "image/png")
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


def test_uploads_without_a_media_bucket_are_unavailable(base, make_user, room_factory):
    _, token = make_user()
    room = room_factory(token)["name"]
    r = request_upload(base, token, room)
    assert r.status_code == 503 and r.json()["error"]["code"] == "unavailable"


def test_the_policy_lets_the_browser_reach_the_media_store_and_nothing_else(media_server, s3):
    url, _bucket, _client = s3
    policy = requests.get(media_server.url + "/", timeout=10).headers["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}
    origin = url.rstrip("/")
    assert directives["connect-src"] == ["'self'", origin]
    assert origin in directives["img-src"] and origin in directives["form-action"]


def test_deleting_a_message_retires_its_attachment(people, s3):
    """The link of a deleted message's file stops working for everyone, and the object goes."""
    base, room, otok, mtok, _ = people
    _url, bucket, client = s3
    upload = request_upload(base, otok, room).json()["upload"]
    post_file(upload, PNG, "image/png")
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
    with pytest.raises(client.exceptions.ClientError):
        client.head_object(Bucket=bucket, Key=upload["key"])
