"""cli.py: the ``sk-realtime serve`` arguments and a real run."""

import argparse
import asyncio
import subprocess
import sys

import aiohttp
import pytest

from semantic_kernel_realtime.server.cli import add_serve_arguments, serve


def parse(*argv):
    return add_serve_arguments(argparse.ArgumentParser()).parse_args(argv)


def test_arguments():
    args = parse("--host", "0.0.0.0", "--port", "9000", "--api-key", "k", "--no-speech", "--pace", "1")
    assert (args.host, args.port, args.api_key, args.no_speech, args.pace) == ("0.0.0.0", 9000, "k", True, 1.0)
    default = parse()
    assert (default.host, default.api_key, default.no_speech, default.pace) == ("127.0.0.1", None, False, None)


async def test_serve_runs_until_cancelled(capsys, monkeypatch):
    monkeypatch.setenv("SK_REALTIME_API_KEY", "sk-env-key")
    ready = asyncio.Event()
    task = asyncio.create_task(serve(parse("--port", "0", "--no-speech"), ready=ready))
    await asyncio.wait_for(ready.wait(), 10)
    line = capsys.readouterr().out
    assert "base_url=http://127.0.0.1:" in line and "API key required" in line and "sk-env-key" not in line
    ws_url = line.split("ws_url=")[1].split()[0]
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(ws_url, headers={"Authorization": "Bearer sk-env-key"}) as ws:
            assert "session.created" in (await ws.receive()).data
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def test_module_entry_point_help():
    out = subprocess.run([sys.executable, "-m", "semantic_kernel_realtime.server", "--help"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and "--api-key" in out.stdout


def test_serve_tls_options_make_a_certificate_or_take_a_pair(tmp_path):
    import argparse
    import ssl

    from semantic_kernel_realtime.server import tls
    from semantic_kernel_realtime.server.cli import ServeError, _tls, add_serve_arguments

    parser = add_serve_arguments(argparse.ArgumentParser())
    context, cert = _tls(parser.parse_args(["--tls"]))
    assert isinstance(context, ssl.SSLContext) and cert.endswith("cert.pem")
    assert _tls(parser.parse_args([])) == (None, None)
    own_cert, own_key = tls.self_signed(directory=tmp_path)
    context, cert = _tls(parser.parse_args(["--tls-cert", str(own_cert), "--tls-key", str(own_key)]))
    assert cert == str(own_cert)
    with pytest.raises(ServeError, match="--tls-cert and --tls-key go together"):  # one line, status 2
        _tls(parser.parse_args(["--tls-cert", str(own_cert)]))
