"""Dialogue components of our own (Rasa policies), and the names the support
console shares with them (importable without Rasa)."""

#: The slot the support console sets while an agent holds the conversation.
HANDOFF_AGENT_SLOT = "handoff_agent"
#: The action that sends what the agent wrote (bot/handoff.py's outbox).
DELIVER_ACTION = "action_deliver_agent_messages"
