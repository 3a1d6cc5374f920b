"""Phone calls: provider media streams bridged to a realtime session, and OpenAI's SIP calls controlled.

Rules:
- One small, framework-neutral module per provider: :mod:`.twilio` (Twilio Media Streams), :mod:`.acs`
  (Azure Communication Services bidirectional audio streaming), :mod:`.sip` (OpenAI SIP: the signed
  incoming-call webhook, accept / reject / refer / hang up, the sideband session). :mod:`.bridge` is what
  the media bridges share (formats, playback position, barge-in, lifetime).
- This layer sits above ``client``, ``function_calling`` and ``connectors`` (SIP's sideband is an OpenAI
  connector) and may use ``audio.py``'s resampler and ``g711.py``; nothing lower imports it
  (``tests/test_layers.py``).
"""

from semantic_kernel_realtime.telephony.acs import AcsMediaStreamingBridge
from semantic_kernel_realtime.telephony.bridge import AudioFormat, PhoneBridge, converter, session_formats
from semantic_kernel_realtime.telephony.sip import OpenAISipSideband, SipCalls
from semantic_kernel_realtime.telephony.twilio import TwilioMediaStreamBridge

__all__ = [
    "AcsMediaStreamingBridge",
    "AudioFormat",
    "OpenAISipSideband",
    "PhoneBridge",
    "SipCalls",
    "TwilioMediaStreamBridge",
    "converter",
    "session_formats",
]
