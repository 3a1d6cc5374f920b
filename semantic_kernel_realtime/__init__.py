"""semantic-kernel-realtime: realtime speech-and-text models as Semantic Kernel services."""

__version__ = "0.1.0"
