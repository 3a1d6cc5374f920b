"""``sk-realtime serve``: run the embedded server until interrupted.

``add_serve_arguments(parser)`` adds the options to any argparse parser (the ``sk-realtime`` console
script wires it as the ``serve`` sub-command); ``serve(args)`` runs the server; ``serve_main(argv)`` is a
stand-alone entry point (also ``python -m semantic_kernel_realtime.server``). The API key may come from
``--api-key`` or the ``SK_REALTIME_API_KEY`` environment variable; it is never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence

from semantic_kernel_realtime.server.app import LocalRealtimeServer

DEFAULT_PORT = 8765
API_KEY_ENV = "SK_REALTIME_API_KEY"


def add_serve_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, loopback only)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT}; 0 = any)")
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
    parser.add_argument("--log-level", default="INFO", help="logging level (default: INFO)")
    return parser


def _tls(args: argparse.Namespace) -> tuple[object | None, str | None]:
    """(server SSL context, certificate path) from the TLS options; (None, None) without TLS."""
    cert, key = getattr(args, "tls_cert", None), getattr(args, "tls_key", None)
    if bool(cert) != bool(key):
        raise SystemExit("sk-realtime serve: --tls-cert and --tls-key go together")
    if not cert and not getattr(args, "tls", False):
        return None, None
    from semantic_kernel_realtime.server import tls

    if not cert:
        cert, key = tls.self_signed(args.host)
    return tls.server_context(cert, key), str(cert)


async def serve(args: argparse.Namespace, *, ready: asyncio.Event | None = None) -> None:
    """Run until SIGINT/SIGTERM (or until the task is cancelled)."""
    api_key = args.api_key or os.environ.get(API_KEY_ENV) or None
    ssl_context, cert = _tls(args)
    server = LocalRealtimeServer(
        args.host, args.port, api_key=api_key, speech=not args.no_speech, output_audio_pace=args.pace,
        ssl_context=ssl_context,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    try:
        async with server:
            print(f"sk-realtime server: base_url={server.base_url} ws_url={server.ws_url}"
                  f" gemini_base_url={server.gemini_base_url}"
                  f"{' (API key required)' if api_key else ''}", flush=True)
            if cert is not None:
                print(f"sk-realtime server: TLS certificate {cert} (trust it: SSL_CERT_FILE, NODE_EXTRA_CA_CERTS)",
                      flush=True)
            if ready is not None:
                ready.set()
            await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)


def serve_main(argv: Sequence[str] | None = None) -> int:
    parser = add_serve_arguments(argparse.ArgumentParser(
        prog="sk-realtime serve", description="Run the embedded OpenAI Realtime GA server (offline)."))
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(serve_main())
