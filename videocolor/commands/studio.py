"""``videocolor studio``: the colourist's workspace, a local web app over one reel.

The reel is analysed first (shots, keyframes to paint; progress on stderr), then the server
starts and the browser opens on it. Bound to 127.0.0.1 unless ``--host`` is given; then a random
token in the printed URL is required. The web stack (FastAPI, uvicorn) is the ``studio`` extra.
"""

from __future__ import annotations

import argparse
import errno
import logging
import secrets
import socket
import sys
import webbrowser
from pathlib import Path

from videocolor.commands.arguments import add_input_arguments
from videocolor.errors import StudioError
from videocolor.io import open_source

log = logging.getLogger("videocolor")


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0 to 65535, got {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "studio",
        help="open the colourist's workspace for a reel in the browser",
        description="A local web app over one reel: its shots, the keyframes to paint "
        "(download, upload checked, or colour with point hints), previews of a shot with where "
        "the colour is unsure, and renders with progress. Its files live in REEL.studio/.",
    )
    add_input_arguments(parser)
    parser.add_argument(
        "--refs",
        type=Path,
        help="folder of painted references to use and add to (default: REEL.studio/refs)",
    )
    parser.add_argument(
        "--workspace", type=Path, help="folder of the studio's files (default: REEL.studio)"
    )
    parser.add_argument(
        "--host",
        help="address to listen on (default 127.0.0.1: this machine only); any other requires "
        "the random token of the printed URL",
    )
    parser.add_argument(
        "--port", type=_port, default=8765, help="port (default %(default)s; 0: any free one)"
    )
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    parser.set_defaults(handler=run)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or one clear error."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as error:
        raise StudioError(f"{host}: not an address to listen on ({error.strerror})") from None
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise StudioError(
                f"port {port} on {host} is in use (another studio?): pass --port N, or --port 0 "
                "for any free port"
            ) from None
        raise StudioError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    sock.listen(128)
    return sock


def _web_stack() -> tuple[object, object]:
    try:
        import uvicorn

        from videocolor.studio.app import create_app
    except ImportError as error:
        raise StudioError(
            f"the studio needs its web server ({error.name} is missing): "
            'pip install "videocolor[studio]"'
        ) from None
    return uvicorn, create_app


def run(args: argparse.Namespace) -> int:
    uvicorn, create_app = _web_stack()
    from videocolor.studio.session import Studio

    with open_source(args.input, args.fps):  # a missing or broken reel is the first error
        pass
    host = args.host or "127.0.0.1"
    sock = bind(host, args.port)  # before the analysis: a taken port fails in a second
    token = secrets.token_urlsafe(24) if args.host else None
    try:
        studio = Studio(
            args.input, refs=args.refs, workspace=args.workspace, fps=args.fps,
            progress=not args.quiet,
        )  # fmt: skip
        port = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
        print(f"videocolor studio for {args.input}: {url} (Ctrl-C stops)", flush=True)
        if not args.no_browser:
            webbrowser.open(url)  # the socket already listens: the page's first request waits
        config = uvicorn.Config(create_app(studio, token=token), log_level="warning")
        try:
            uvicorn.Server(config).run(sockets=[sock])
        except KeyboardInterrupt:  # Ctrl-C is how a studio ends, not a failure
            print("videocolor studio stopped (a render under way stops too; starting it again "
                  "resumes it)", file=sys.stderr)  # fmt: skip
        finally:
            studio.close()
    finally:
        sock.close()
    return 0
