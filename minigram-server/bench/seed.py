#!/usr/bin/env python3
"""Seeds a running minigram server for the stage-1 measurements.

50 authors with 4 photos each (200 photos), and one viewer who follows all
50, so the viewer's home feed merges 50 authors. Deterministic: fixed names
and image bytes. Prints the viewer's token, then one token per author.
"""
import json
import struct
import sys
import urllib.request

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:3000"
AUTHORS, PHOTOS_EACH = 50, 4


def call(method, path, body=None, token=None, content_type="application/json"):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        req.add_header("content-type", content_type)
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as resp:
        raw = resp.read()
        return json.loads(raw) if raw else None


def register(name):
    body = {"username": name, "email": name + "@example.com", "password": "password123"}
    return call("POST", "/api/register", body)["token"]


def png(w, h):
    return (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" + struct.pack(">II", w, h)
            + b"\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\x0dIDATx\x9cc\xf8\x0f\x00\x00"
            b"\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def upload(token, image, caption):
    boundary = "minigramseed"
    body = (f"--{boundary}\r\ncontent-disposition: form-data; name=\"caption\"\r\n\r\n{caption}\r\n"
            f"--{boundary}\r\ncontent-disposition: form-data; name=\"photo\"; filename=\"p.png\"\r\n"
            "content-type: image/png\r\n\r\n").encode() + image + f"\r\n--{boundary}--\r\n".encode()
    call("POST", "/api/photos", body, token, "multipart/form-data; boundary=" + boundary)


viewer = register("viewer")
authors = [register(f"author_{i}") for i in range(AUTHORS)]
for round_ in range(PHOTOS_EACH):
    for i, token in enumerate(authors):
        upload(token, png(i + 1, round_ + 1), f"photo {round_} by author {i}")
for i in range(AUTHORS):
    call("POST", f"/api/users/{i + 2}/follow", token=viewer)
print(viewer)
for token in authors:
    print(token)
