"""The app's guard, in front of every request and WebSocket (pure ASGI middleware).

* **Access token**: ``vasim serve`` prints ``http://HOST:PORT/?token=T``. A request with the
  token in its query, its ``vasim_token`` cookie or an ``Authorization: Bearer`` header passes;
  a page opened with ``?token=`` is answered with the cookie (HttpOnly, SameSite=Strict) and a
  redirect to the same address without it. Anything else is 401, except ``GET /healthz``.
* **CSRF**: every state-changing request (POST, PUT, PATCH, DELETE) and every WebSocket must
  carry the page's CSRF token (``X-CSRF-Token`` header, or ``csrf`` in a WebSocket's query), and
  an ``Origin``, when sent, must be this server: 403 otherwise. The token is derived from the
  access token, so it changes with every server start.
* **Headers**: a strict Content-Security-Policy (``default-src 'self'``; no inline script, no
  other host), ``nosniff``, no referrer, no caching of answers.
* **Size**: a request body over ``max_body`` bytes is refused with 413 before it is read whole.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlencode

COOKIE = "vasim_token"
CSRF_HEADER = "x-csrf-token"
OPEN_PATHS = ("/healthz",)
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-src 'self'; frame-ancestors 'self'"
)


def csrf_for(token: str) -> str:
    return hmac.new(token.encode(), b"vasim-csrf", hashlib.sha256).hexdigest()[:32]


def _same(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a.encode(), b.encode())


def _headers(scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


class Guard:
    def __init__(self, app, *, token: str, max_body: int = 1024 * 1024):
        self.app = app
        self.token = token
        self.csrf = csrf_for(token)
        self.max_body = max_body

    # ------------------------------------------------------------------ helpers
    def _token_of(self, scope, headers) -> tuple[str | None, bool]:
        """The token presented and whether it came in the query string."""
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if "token" in query:
            return query["token"][0], True
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip(), False
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:
            return None, False
        return (cookie[COOKIE].value if COOKIE in cookie else None), False

    def _origin_ok(self, headers) -> bool:
        origin = headers.get("origin")
        if origin is None:
            return True
        host = headers.get("host", "")
        return origin in (f"http://{host}", f"https://{host}")

    async def _refuse(self, scope, send, status: int, message: str) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4000 + status, "reason": message})
            return
        body = json.dumps({"error": message, "status": status}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    *self._security_headers(),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _security_headers() -> list[tuple[bytes, bytes]]:
        return [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"SAMEORIGIN"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"cache-control", b"no-store"),
        ]

    # ------------------------------------------------------------------ ASGI
    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = _headers(scope)
        path = scope.get("path", "/")
        method = scope.get("method", "GET")
        if not (path in OPEN_PATHS and method in ("GET", "HEAD")):
            token, in_query = self._token_of(scope, headers)
            if not _same(token, self.token):
                return await self._refuse(
                    scope, send, 401, "open the address vasim serve printed (with its ?token=...)"
                )
            if in_query and scope["type"] == "http" and method == "GET" and not path.startswith("/api/"):
                return await self._set_cookie_and_redirect(scope, send)
            if scope["type"] == "websocket":
                query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
                if not _same((query.get("csrf") or [None])[0], self.csrf) or not self._origin_ok(headers):
                    return await self._refuse(scope, send, 403, "missing or wrong CSRF token")
            elif method in UNSAFE_METHODS and (
                not _same(headers.get(CSRF_HEADER), self.csrf) or not self._origin_ok(headers)
            ):
                return await self._refuse(scope, send, 403, "missing or wrong CSRF token; reload the page")
        if scope["type"] == "http":
            length = headers.get("content-length")
            if length is not None and (not length.isdigit() or int(length) > self.max_body):
                return await self._refuse(scope, send, 413, f"request too large (limit {self.max_body // 1024} KB)")
            receive = self._limited(receive)
        return await self.app(scope, receive, self._with_headers(send))

    def _limited(self, receive):
        seen = 0
        limit = self.max_body

        async def wrapped():
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge()
            return msg

        return wrapped

    def _with_headers(self, send):
        async def wrapped(msg):
            if msg["type"] == "http.response.start":
                have = {k.lower() for k, _ in msg.get("headers", [])}
                extra = [h for h in self._security_headers() if h[0] not in have]
                if b"content-security-policy" not in have:
                    extra.append((b"content-security-policy", CSP.encode()))
                msg = {**msg, "headers": [*msg.get("headers", []), *extra]}
            await send(msg)

        return wrapped

    async def _set_cookie_and_redirect(self, scope, send) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        query.pop("token", None)
        rest = urlencode(query, doseq=True)
        location = scope.get("path", "/") + (f"?{rest}" if rest else "")
        cookie = f"{COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/"
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [
                    (b"location", location.encode("latin-1")),
                    (b"set-cookie", cookie.encode("latin-1")),
                    (b"content-length", b"0"),
                    (b"content-security-policy", CSP.encode()),
                    *self._security_headers(),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})


class BodyTooLarge(Exception):
    """A request body grew past the limit while it was read (no Content-Length given)."""
