"""``python -m semantic_kernel_realtime.server``: the same as ``sk-realtime serve``."""

import sys

from semantic_kernel_realtime.server.cli import serve_main

sys.exit(serve_main())
