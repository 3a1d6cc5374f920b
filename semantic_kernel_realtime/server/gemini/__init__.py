"""The embedded server's Gemini Live dialect (``BidiGenerateContent`` over WebSocket).

It judges what it receives with google-genai's types (``validation``) and drives the same session engine
as the OpenAI dialect through its public surface (``dialect``): no import of the client side.
"""
