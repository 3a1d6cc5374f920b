"""The offline voice-agent demo (``sk-realtime demo``) and the session-log tools behind ``replay``.

Modules: ``agent`` (the kernel functions), ``audio`` (WAV in/out, resampling), ``session_log`` (JSONL
recording at the transport), ``transcript`` (the printed transcript), ``timing`` (the latency table),
``run`` (the demo), ``replay`` (re-decoding a log, the timeline plot).
"""
