"""The support console (issue 7): where support staff review conversations,
answer hand-offs and improve the bot.

So far: staff accounts, passwords, sign-in throttling, sessions, roles and the
audit log (:mod:`bot.console.accounts`) and the ``python -m bot.console users …``
command that manages accounts. The web routes come later. Plain Python, no Rasa
imports, so it is unit-tested on its own.
"""
