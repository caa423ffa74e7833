"""Messaging channels: Telegram, WhatsApp (Meta Cloud API) and Twilio.

Each is a Rasa input channel whose webhook is ``/webhooks/<name>/webhook`` on the
Rasa server (contract §1), enabled when its environment variables are set
(:mod:`bot.channels.credentials`). Connectors only translate between a platform's
HTTP and Rasa; what they share (limits, numbered choices, their own short replies)
is plain Python in :mod:`bot.channels.common`.
"""
