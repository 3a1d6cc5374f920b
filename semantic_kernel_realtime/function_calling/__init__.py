"""Kernel auto function calling and the live ``ChatHistory`` mirror, above the codec seam.

Rules: these observers react to protocol-neutral signals (``protocol.base``), never to wire shapes, so
they work unchanged for every codec; they only schedule work and never block the receive path.
"""
