"""A stand-in for the ``sounddevice`` module, so the microphone sample runs without a sound card.

Put this directory first on PYTHONPATH. The "microphone" plays ``FAKE_MIC_WAV`` (PCM16 24 kHz mono)
through the InputStream callback in real time, then silence; the "speaker" pulls from the OutputStream
callback in real time and, when closed, prints how much non-silent audio it played.
"""

from __future__ import annotations

import os
import threading
import time
import wave

import numpy as np


class PortAudioError(Exception):
    pass


def query_devices(device=None, kind=None):
    return {"name": f"fake {kind or 'device'}", "max_input_channels": 1, "max_output_channels": 1}


class _Stream:
    def __init__(self, samplerate=24000, channels=1, dtype="int16", blocksize=480, callback=None, **_):
        self.rate, self.block, self.callback = int(samplerate), int(blocksize or 480), callback
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=2)
        self.closed()

    def closed(self):
        pass

    def _run(self):
        period, start, i = self.block / self.rate, time.monotonic(), 0
        while not self._stop.is_set():
            self.tick(i)
            i += 1
            time.sleep(max(0.0, start + i * period - time.monotonic()))


class InputStream(_Stream):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        with wave.open(os.environ["FAKE_MIC_WAV"]) as wav:
            self.pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")

    def tick(self, i):
        block = self.pcm[i * self.block:(i + 1) * self.block]
        block = np.pad(block, (0, self.block - len(block))).astype(np.int16).reshape(-1, 1)
        self.callback(block, self.block, None, None)


class OutputStream(_Stream):
    voiced = 0

    def tick(self, i):
        out = np.zeros((self.block, 1), dtype=np.int16)
        self.callback(out, self.block, None, None)
        self.voiced += int(np.count_nonzero(out))

    def closed(self):
        print(f"fake speaker: played {self.voiced / self.rate:.1f} s of non-silent audio", flush=True)
