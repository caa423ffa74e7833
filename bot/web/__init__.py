"""Msaidizi on the web: the page with the chat widget (``app.py``) and the socket.io
channel it talks to on the Rasa server (``socketio_channel.py``)."""

# The longest message an officer may send, in characters: the widget stops typing
# there and the channel refuses anything longer. Telegram's limit, so a message
# fits every channel (contract §1).
MAX_MESSAGE_CHARS = 4096
