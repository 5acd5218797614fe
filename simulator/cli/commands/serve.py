"""``vasim serve``: the browser app on this computer.

Prints the address with a fresh access token first (``http://127.0.0.1:8765/?token=...``);
opening it sets the token as a cookie, and every page and API call without it is refused (401).
Binds 127.0.0.1 unless ``--host`` says otherwise. Ctrl-C stops it; a call in progress is ended
and journalled as ``vasim practice`` does on Ctrl-C.
"""

from __future__ import annotations

import socket
import sys

from simulator.errors import UserError


def register(sub) -> None:
    p = sub.add_parser(
        "serve",
        help="the browser app: practise, review and report in a web page (localhost)",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this computer only)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    p.add_argument("--open", action="store_true", help="open the app in the default browser")
    p.add_argument("--asr-model", default="tiny.en", help="Whisper model for spoken calls (default tiny.en)")
    from simulator.cli.commands.records import add_db_option

    add_db_option(p)
    p.set_defaults(func=cmd_serve)


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, or a one-line UserError (port taken, bad address)."""
    if not 0 <= port <= 65535:
        raise UserError(f"--port {port}: give a port between 0 and 65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UserError(f"--host {host}: not an address of this computer ({exc.strerror})") from None
    family, _, _, _, addr = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
    except OSError as exc:
        sock.close()
        hint = "; another program (or another vasim serve) uses it: pick another with --port" if port else ""
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror}{hint}") from None
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def url_for(host: str, port: int, token: str) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/?token={token}"


def cmd_serve(args) -> int:
    import uvicorn

    from simulator.web.app import create_app
    from simulator.web.state import Settings

    if args.db:
        from simulator.records.store import open_store

        open_store(args.db).close()  # a damaged database or a bad path: one line now, not on first use
    settings = Settings(db=args.db, asr_model=args.asr_model)
    sock = bind(args.host, args.port)
    port = sock.getsockname()[1]
    url = url_for(args.host, port, settings.token)
    sys.stdout.write(url + "\n")
    sys.stdout.flush()
    print(
        f"vasim serve: the app is at the address above (Ctrl-C stops it){'; open to other computers: ' + args.host if args.host not in ('127.0.0.1', 'localhost', '::1') else ''}",
        file=sys.stderr,
    )
    if args.open:
        import webbrowser

        webbrowser.open(url)
    config = uvicorn.Config(
        create_app(settings),
        log_level="warning",
        access_log=False,
        lifespan="on",
        ws_max_size=1 << 20,
        timeout_graceful_shutdown=20,
    )
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl-C it handled: the calls are already ended and journalled
    finally:
        sock.close()
    print("vasim serve: stopped", file=sys.stderr)
    return 0
