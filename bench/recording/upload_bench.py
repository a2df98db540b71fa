#!/usr/bin/env python3
"""One side of bench/recording/upload.sh: N concurrent writers of SIZE bytes in CHUNK-byte pieces.

  upload_bench.py reference DIR SIZE CHUNK N
      N threads, each os.write()s its own file in DIR chunk by chunk with an os.fsync() after each.
  upload_bench.py vtpd URL PASSWORD STORAGE_DIR SIZE CHUNK N
      logs in as admin@bench.example, starts a recording, and N threads each make one tus upload
      of it (POST with Upload-Length, then PATCHes of CHUNK bytes) over their own persistent
      HTTP/1.1 connection; then checks every upload (HEAD, the recording's size_bytes, the file in
      STORAGE_DIR byte for byte) and deletes the recording with its files.

Prints one line, "MIB_PER_S SECONDS", on stdout (what was checked goes to stderr). Both sides write
the same bytes: per writer a fixed pseudo-random CHUNK buffer (made once, not timed), whose first
16 bytes are stamped with (writer, chunk number) before each chunk, so that a chunk written to the
wrong upload or offset does not pass the check. The clock runs from the moment every writer is
ready (connected and logged in, or nothing for the disk) to the last writer's last fsync or 204.
"""
import base64
import http.client
import json
import os
import random
import socket
import struct
import sys
import threading
import time
import urllib.parse

TUS = {"Tus-Resumable": "1.0.0"}


def chunk_source(writer, chunk):
    """The writer's buffer and a function that stamps chunk k into it and returns its view."""
    buf = bytearray(random.Random(1000 + writer).randbytes(chunk))
    view = memoryview(buf)

    def at(k, length):
        buf[0:16] = struct.pack("<QQ", writer, k)
        return view[:length]

    return at


def pieces(size, chunk):
    """(k, offset, length) of each chunk of an upload of SIZE bytes."""
    k, offset = 0, 0
    while offset < size:
        length = min(chunk, size - offset)
        yield k, offset, length
        k, offset = k + 1, offset + length


def settle():
    """After a side's files are deleted: commit the deletion (and the discards a file system mounted
    with -o discard sends then) now, untimed, rather than during the other side's run."""
    os.sync()
    time.sleep(1)


def run_concurrently(n, prepare, work):
    """prepare(i) in each thread (untimed), then work(i, state) from a common start; returns seconds."""
    start = [0.0]
    barrier = threading.Barrier(n, action=lambda: start.__setitem__(0, time.monotonic()))
    errors, ends = [], [0.0] * n

    def body(i):
        try:
            state = prepare(i)
        except BaseException as e:  # the others must not wait for this one forever
            errors.append(e)
            barrier.abort()
            return
        try:
            barrier.wait()
            work(i, state)
            ends[i] = time.monotonic()
        except threading.BrokenBarrierError:
            pass
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads: t.start()
    for t in threads: t.join()
    if errors: raise errors[0]
    return max(ends) - start[0]


def reference(directory, size, chunk, n):
    os.makedirs(directory, exist_ok=True)
    sources = [chunk_source(i, chunk) for i in range(n)]
    paths = [os.path.join(directory, f"writer-{i}") for i in range(n)]

    def work(i, _):
        fd = os.open(paths[i], os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND | os.O_CLOEXEC, 0o640)
        try:
            for k, _offset, length in pieces(size, chunk):
                data = sources[i](k, length)
                while data:
                    data = data[os.write(fd, data):]
                os.fsync(fd)
        finally:
            os.close(fd)

    seconds = run_concurrently(n, lambda i: None, work)
    for p in paths:
        if os.path.getsize(p) != size: sys.exit(f"reference: {p} has {os.path.getsize(p)} bytes, not {size}")
        os.remove(p)
    settle()
    return seconds


class Client:
    """One persistent HTTP/1.1 connection to vtpd."""

    def __init__(self, url, token=None):
        u = urllib.parse.urlparse(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
        self.conn.connect()
        # The body goes after the headers in a second send(): without this, its last partial
        # segment may wait for the delayed ACK of the headers (40 ms a PATCH on loopback).
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.token = token

    def call(self, method, target, body=None, headers=None):
        h = dict(headers or {})
        if self.token: h["Authorization"] = "Bearer " + self.token
        if isinstance(body, dict):
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        self.conn.request(method, target, body=body, headers=h)
        r = self.conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()


def vtpd(url, password, storage, size, chunk, n):
    c = Client(url)
    status, _, body = c.call("POST", "/api/v1/auth/login", {"email": "admin@bench.example", "password": password})
    if status != 200: sys.exit(f"login answered {status}: {body[:300]!r}")
    token = json.loads(body)["access_token"]
    c.token = token
    status, _, body = c.call("POST", "/api/v1/recordings", {"room_id": f"bench-upload-{time.time_ns()}", "title": "upload bench"})
    if status != 201: sys.exit(f"POST /api/v1/recordings answered {status}: {body[:300]!r}")
    rec = json.loads(body)["id"]
    sources = [chunk_source(i, chunk) for i in range(n)]
    locations = [None] * n

    def work(i, client):
        # "file" (base64 ZmlsZQ==): a finished file of known length, not a live capture
        metadata = "source ZmlsZQ==,filename " + base64.b64encode(f"writer-{i}.bin".encode()).decode()
        status, h, body = client.call("POST", f"/api/v1/recordings/{rec}/uploads", None,
                                      dict(TUS, **{"Upload-Length": str(size), "Upload-Metadata": metadata}))
        if status != 201: raise RuntimeError(f"upload {i}: creation answered {status}: {body[:300]!r}")
        locations[i] = h["location"]
        for k, offset, length in pieces(size, chunk):
            status, h, body = client.call("PATCH", locations[i], sources[i](k, length),
                                          dict(TUS, **{"Content-Type": "application/offset+octet-stream",
                                                       "Upload-Offset": str(offset)}))
            if status != 204 or h.get("upload-offset") != str(offset + length):
                raise RuntimeError(f"upload {i}: PATCH at {offset} answered {status} "
                                   f"(Upload-Offset {h.get('upload-offset')}): {body[:300]!r}")

    seconds = run_concurrently(n, lambda i: Client(url, token), work)

    # What the server says it has, and what is on its disk, byte for byte. (A new connection for
    # each step: vtpd closes one left idle past its keep-alive timeout meanwhile.)
    c = Client(url, token)
    for i, location in enumerate(locations):
        status, h, _ = c.call("HEAD", location, None, TUS)
        if status != 200 or h.get("upload-offset") != str(size) or h.get("upload-length") != str(size):
            sys.exit(f"upload {i}: HEAD answered {status}, Upload-Offset {h.get('upload-offset')}, "
                     f"Upload-Length {h.get('upload-length')} (expected {size})")
    status, _, body = c.call("GET", f"/api/v1/recordings/{rec}")
    if status != 200 or json.loads(body)["size_bytes"] != n * size:
        sys.exit(f"GET /api/v1/recordings/{rec} answered {status}: {body[:300]!r} (expected size_bytes {n * size})")
    sources = [chunk_source(i, chunk) for i in range(n)]
    for i, location in enumerate(locations):
        path = os.path.join(storage, rec, location.rsplit("/", 1)[1])
        if os.path.getsize(path) != size: sys.exit(f"upload {i}: {path} has {os.path.getsize(path)} bytes, not {size}")
        with open(path, "rb") as f:
            for k, _offset, length in pieces(size, chunk):
                if f.read(length) != sources[i](k, length): sys.exit(f"upload {i}: chunk {k} of {path} is not what was sent")
    print(f"vtpd: {n} uploads of {size} bytes checked: 204s with their offsets, HEAD Upload-Offset {size}, "
          f"size_bytes {n * size}, the files in the storage directory byte for byte", file=sys.stderr)

    c = Client(url, token)
    status, _, body = c.call("DELETE", f"/api/v1/recordings/{rec}")
    if status != 204: sys.exit(f"DELETE /api/v1/recordings/{rec} answered {status}: {body[:300]!r}")
    if os.path.exists(os.path.join(storage, rec)): sys.exit(f"{os.path.join(storage, rec)} is still there after DELETE")
    settle()
    return seconds


def main():
    side, args = sys.argv[1], sys.argv[2:]
    if side == "reference":
        directory, size, chunk, n = args[0], *map(int, args[1:4])
        seconds = reference(directory, size, chunk, n)
    elif side == "vtpd":
        url, password, storage, size, chunk, n = *args[0:3], *map(int, args[3:6])
        seconds = vtpd(url, password, storage, size, chunk, n)
    else:
        sys.exit(f"unknown side {side}: reference or vtpd")
    print(f"{n * size / 1048576 / seconds:.1f} {seconds:.2f}")


if __name__ == "__main__":
    main()
