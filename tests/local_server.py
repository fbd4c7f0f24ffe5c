"""A real HTTP server on 127.0.0.1 that answers one body and counts what it is asked: tests that
say « never fetched » need a server that would have answered."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class LocalServer:
    port: int
    hits: list[str] = field(default_factory=list)  # the paths asked, in order

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def local_server(body: bytes, content_type: str) -> Iterator[LocalServer]:
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield LocalServer(server.server_address[1], hits)
    finally:
        server.shutdown()
        server.server_close()
