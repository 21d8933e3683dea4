"""A file server (Python's http.server, HTTP/1.0, one response per connection) whose first answer for a file breaks
off half-way, each in its own way, and which honours Range on the requests that follow. Started by
test/helpers/faulty-file-server.ts.

    python3 faulty_http_server.py ROOT LOG

The first path segment picks the fault; the rest names a file under ROOT:
  /fin/NAME      200 with the whole Content-Length, half the body, then shutdown(SHUT_WR) and close: a clean FIN
  /chunked/NAME  HTTP/1.1 chunked, the chunks of half the body, no terminating chunk, then FIN
  /eof/NAME      HTTP/1.0 without Content-Length, half the body, then FIN (only the size from HEAD tells it is short)
  /busy/NAME     429 (Retry-After: 1), then 503, then as /fin; its ranged follow-up is 429, 503, then the 206 too
HEAD always answers 200 with the whole Content-Length. A ranged GET (Range: bytes=N-) gets 206 with Content-Range and
the rest, in the same framing as the first answer (for /eof: no Content-Length either). Every request is appended to
LOG as a JSON line: method, path, range, status, and `sent` (the body bytes written). It prints "PORT <n>" when it
listens on 127.0.0.1.
"""

import json
import os
import re
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT, LOG = sys.argv[1], sys.argv[2]
lock = threading.Lock()
busy_answers = {}  # (path, ranged) -> how many times it was asked


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def record(self, status, sent=0):
        entry = {"method": self.command, "path": self.path, "range": self.headers.get("Range"), "status": status, "sent": sent}
        with lock, open(LOG, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def target(self):
        m = re.match(r"^/(fin|chunked|eof|busy)/([^/]+)$", self.path)
        if not m or not os.path.isfile(os.path.join(ROOT, m.group(2))):
            return None, None
        with open(os.path.join(ROOT, m.group(2)), "rb") as f:
            return m.group(1), f.read()

    def do_HEAD(self):
        mode, body = self.target()
        if body is None:
            self.send_error(404)
            return self.record(404)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.record(200)

    def do_GET(self):
        mode, body = self.target()
        if body is None:
            self.send_error(404)
            return self.record(404)
        m = re.match(r"^bytes=(\d+)-$", self.headers.get("Range", ""))
        start = int(m.group(1)) if m else 0
        if mode == "busy":
            with lock:
                key = (self.path, m is not None)
                n = busy_answers.get(key, 0)
                busy_answers[key] = n + 1
            if n < 2:
                status = 429 if n == 0 else 503
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "1")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return self.record(status)
        rest = body[start:]
        # The first answer breaks off half-way; a ranged follow-up is whole.
        part = rest if m else rest[: len(rest) // 2]
        status = 206 if m else 200
        if mode == "chunked":
            self.protocol_version = "HTTP/1.1"  # chunked framing needs an HTTP/1.1 status line
        self.send_response(status)
        if m:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(body) - 1, len(body)))
        if mode == "chunked":
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
        elif mode != "eof":
            self.send_header("Content-Length", str(len(rest)))
        self.end_headers()
        if mode == "chunked":
            for i in range(0, len(part), 65536):
                piece = part[i : i + 65536]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            if m:
                self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(part)
        self.wfile.flush()
        self.record(status, len(part))
        # FIN, not RST: the request was read whole, so nothing unread is left to make the kernel reset.
        self.connection.shutdown(socket.SHUT_WR)
        self.close_connection = True


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print("PORT %d" % server.server_address[1], flush=True)
server.serve_forever()
