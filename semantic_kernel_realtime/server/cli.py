"""``sk-realtime serve``: run the embedded server until interrupted.

``add_serve_arguments(parser)`` adds the options to any argparse parser (the ``sk-realtime`` console
script wires it as the ``serve`` sub-command); ``serve(args)`` runs the server; ``serve_main(argv)`` is a
stand-alone entry point (also ``python -m semantic_kernel_realtime.server``). The API key may come from
``--api-key`` or the ``SK_REALTIME_API_KEY`` environment variable; it is never printed.

Rules: importing this module and adding the arguments import nothing heavy, not even asyncio (``--help``
stays fast); what the user can fix (a port in use, an address that is not this machine's) is a
:class:`ServeError` with a one-line message saying how, which the entry points print on stderr with exit
status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import signal
import socket
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio

DEFAULT_PORT = 8765
API_KEY_ENV = "SK_REALTIME_API_KEY"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ServeError(Exception):
    """The server cannot start for a reason the user can fix; the message is one line that says how."""


def _log_level(value: str) -> str:
    level = value.strip().upper()
    if level not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(f"invalid level {value!r} (choose from {', '.join(LOG_LEVELS)})")
    return level


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {value!r} (0-65535; 0 = any free port)")
    return port


def add_serve_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, loopback only)")
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT,
                        help=f"port (default: {DEFAULT_PORT}; 0 = any free port)")
    parser.add_argument(
        "--api-key", default=None, help=f"require this key from clients (default: ${API_KEY_ENV}, else none)"
    )
    parser.add_argument("--no-speech", action="store_true",
                        help="skip the offline speech engines (tone stand-in voice, no transcription)")
    parser.add_argument("--pace", type=float, default=None, metavar="FACTOR",
                        help="stream response audio at FACTOR x real time (default: as fast as possible)")
    parser.add_argument("--tls", action="store_true",
                        help="serve https/wss with a self-signed certificate made at start (its path is printed)")
    parser.add_argument("--tls-cert", default=None, metavar="PEM", help="serve https/wss with this certificate")
    parser.add_argument("--tls-key", default=None, metavar="PEM", help="the private key of --tls-cert")
    parser.add_argument("--cors-origin", action="append", default=None, metavar="ORIGIN", dest="cors_origins",
                        help="an origin whose browser pages may mint secrets and make calls (repeatable; "
                             "default: any origin)")
    parser.add_argument("--log-level", type=_log_level, default="INFO", metavar="LEVEL",
                        help=f"logging level: {', '.join(LOG_LEVELS)} (default: INFO)")
    return parser


def _tls(args: argparse.Namespace) -> tuple[object | None, str | None]:
    """(server SSL context, certificate path) from the TLS options; (None, None) without TLS."""
    cert, key = getattr(args, "tls_cert", None), getattr(args, "tls_key", None)
    if bool(cert) != bool(key):
        raise ServeError("--tls-cert and --tls-key go together: give both, or --tls for a self-signed certificate")
    if not cert and not getattr(args, "tls", False):
        return None, None
    from semantic_kernel_realtime.server import tls

    if not cert:
        cert, key = tls.self_signed(args.host)
    return tls.server_context(cert, key), str(cert)


def _bind_error(host: str, port: int, exc: OSError) -> ServeError:
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return ServeError(f"port {port} is already in use on {host}: stop the other server or pick "
                          f"another port with --port (0 = any free port)")
    if exc.errno in (errno.EADDRNOTAVAIL, errno.EACCES):
        return ServeError(f"cannot listen on {where}: {exc.strerror} (check --host and --port)")
    return ServeError(f"cannot listen on {where}: {exc.strerror or exc}")


def check_bindable(host: str, port: int) -> None:
    """Raise :class:`ServeError` now when ``host:port`` cannot be listened on (before loading anything)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror} (check --host)") from None
    for family, kind, proto, _, address in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's server does
            try:
                probe.bind(address)
            except OSError as exc:
                raise _bind_error(host, port, exc) from None


async def serve(args: argparse.Namespace, *, ready: asyncio.Event | None = None) -> None:
    """Run until SIGINT/SIGTERM (or until the task is cancelled); :class:`ServeError` when it cannot start."""
    import asyncio

    from semantic_kernel_realtime.server.app import LocalRealtimeServer

    check_bindable(args.host, args.port)
    api_key = args.api_key or os.environ.get(API_KEY_ENV) or None
    ssl_context, cert = _tls(args)
    server = LocalRealtimeServer(
        args.host, args.port, api_key=api_key, speech=not args.no_speech, output_audio_pace=args.pace,
        ssl_context=ssl_context, cors_origins=getattr(args, "cors_origins", None) or "*",
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    try:
        try:
            await server.start()
        except OSError as exc:
            raise _bind_error(args.host, args.port, exc) from None
        try:
            print(f"sk-realtime server: base_url={server.base_url} ws_url={server.ws_url}"
                  f" gemini_base_url={server.gemini_base_url}"
                  f"{' (API key required)' if api_key else ''}", flush=True)
            print(f"sk-realtime server: browser console at {server.console_url}", flush=True)
            if cert is not None:
                print(f"sk-realtime server: TLS certificate {cert} (trust it: SSL_CERT_FILE, NODE_EXTRA_CA_CERTS)",
                      flush=True)
            if ready is not None:
                ready.set()
            await stop.wait()
        finally:
            await server.stop()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)


def run_serve(args: argparse.Namespace, prog: str = "sk-realtime serve") -> int:
    """Configure logging, serve until interrupted; a :class:`ServeError` is one line on stderr, status 2."""
    import asyncio
    import logging

    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    except ServeError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    return 0


def serve_main(argv: Sequence[str] | None = None) -> int:
    parser = add_serve_arguments(argparse.ArgumentParser(
        prog="sk-realtime serve", description="Run the embedded OpenAI Realtime GA server (offline)."))
    return run_serve(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(serve_main())
