"""``python -m bot.web``: serve the chat page on WEB_HOST:WEB_PORT (default 0.0.0.0:8000)."""

import os

from bot.web.app import main

main(os.environ.get("LOG_LEVEL", "INFO").upper())
