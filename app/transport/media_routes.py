"""The local media store's own upload and download endpoints (``MEDIA_DIR``; see
app/storage/localmedia.py). With S3 the browser talks to the bucket instead, and these
routes are not installed."""

from __future__ import annotations

from flask import Blueprint, current_app, request, send_file
from werkzeug.exceptions import MethodNotAllowed

from ..errors import ChatError
from ..storage.localmedia import UPLOAD_PATH
from ..storage.media import GET_EXPIRES, safe_filename

media_api = Blueprint("media", __name__)
# room for the form's other fields and the multipart framing around the file
FORM_OVERHEAD = 64 * 1024


def _media():
    return current_app.extensions["chat"].uploads.media


@media_api.post(UPLOAD_PATH)
def upload():
    """A browser's form post, as to S3: the grant's fields, then ``file``. 204 when stored."""
    media = _media()
    request.max_content_length = media.max_bytes + FORM_OVERHEAD
    grant = media.check_grant(request.form)
    posted = request.files.get("file")
    if posted is None:
        raise ChatError("invalid_payload", "the form has no 'file' part")
    media.store(grant, posted.stream)
    return "", 204


@media_api.get("/api/media/<path:key>")
def download(key: str):
    """A signed download link (60 s), as S3's presigned GET: the bytes, typed as declared,
    inline for images and as an attachment otherwise, in a sandbox of their own."""
    if f"/api/media/{key}" == UPLOAD_PATH:
        raise MethodNotAllowed(valid_methods=["POST"])
    path, filename, content_type = _media().check_download(key, request.args.get("t", ""))
    resp = send_file(
        path,
        mimetype=content_type,
        as_attachment=not content_type.startswith("image/"),
        download_name=safe_filename(filename),
        conditional=True,
        max_age=GET_EXPIRES,
    )
    resp.headers["Cache-Control"] = f"private, max-age={GET_EXPIRES}"
    # same origin as the client: whatever the bytes are, they run nothing and frame nothing
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp
