"""The offline voice-agent demo (``sk-realtime demo``).

Modules: ``agent`` (the kernel functions), ``audio`` (WAV in/out, resampling), ``run`` (the demo). Recording,
the transcript, the timing table, replay and the timeline plot are the package's own
(:mod:`semantic_kernel_realtime.telemetry`): the demo attaches a ``Recorder`` like any application.
"""
