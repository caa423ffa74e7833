"""Msaidizi on the web: the page with the chat widget (``app.py``) and the socket.io
channel it talks to on the Rasa server (``socketio_channel.py``)."""

# The longest message an officer may send, in characters: the widget stops typing
# there and the channel refuses anything longer. It is Telegram's limit too, so a
# conversation reads the same on every channel.
MAX_MESSAGE_CHARS = 4096
