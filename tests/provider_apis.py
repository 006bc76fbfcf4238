"""Real HTTP servers on loopback that answer the documented JSON shapes of the provider APIs
the suite reads (Cloudflare v4, Cloud DNS v1 and a Google OAuth token endpoint), and record
every request (method, path, Authorization header) for the tests to assert."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Seen:
    method: str
    path: str
    authorization: str | None
    body: bytes = b""


@dataclass
class FakeApi:
    """Routes: (method, path without query) -> (HTTP status, JSON body)."""

    routes: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    url: str = ""

    def set(self, method: str, path: str, status: int, body: Any) -> None:
        self.routes[(method, path)] = (status, body)

    def paths(self) -> list[str]:
        """The paths asked, without query strings."""
        return [urllib.parse.urlsplit(r.path).path for r in self.requests]


@contextmanager
def fake_api() -> Iterator[FakeApi]:
    api = FakeApi()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = urllib.parse.urlsplit(self.path).path
            api.requests.append(Seen(method, self.path, self.headers.get("Authorization"),
                                     body))
            status, payload = api.routes.get((method, path), (404, {
                "success": False, "errors": [{"code": 7003, "message": "No route"}],
                "error": {"code": 404, "message": "Not found", "status": "NOT_FOUND"}}))
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()


def cloudflare_zone(zone_id: str, name: str) -> dict[str, Any]:
    """GET /zones/{zone_id}, as the v4 API documents it (the fields the suite reads)."""
    return {"success": True, "errors": [], "messages": [],
            "result": {"id": zone_id, "name": name, "status": "active",
                       "name_servers": ["ns1.test", "ns2.test"]}}


def cloudflare_dnssec(status: str, ds: str | None = None, key_tag: int | None = None,
                      public_key: str | None = None, use_nsec3: bool | None = None
                      ) -> dict[str, Any]:
    """GET /zones/{zone_id}/dnssec, as the v4 API documents it: `ds` is the whole record."""
    result: dict[str, Any] = {
        "algorithm": "13", "digest_algorithm": "SHA256", "digest_type": "2",
        "dnssec_multi_signer": False, "dnssec_presigned": False, "flags": 257,
        "key_tag": key_tag, "key_type": "ECDSAP256SHA256",
        "modified_on": "2026-11-20T10:00:00.000000Z", "public_key": public_key,
        "status": status, "ds": ds,
        "digest": ds.split()[-1] if ds else None,
    }
    if use_nsec3 is not None:
        result["dnssec_use_nsec3"] = use_nsec3
    return {"success": True, "errors": [], "messages": [], "result": result}


def cloudflare_error(code: int, message: str) -> dict[str, Any]:
    return {"success": False, "errors": [{"code": code, "message": message}], "messages": [],
            "result": None}
