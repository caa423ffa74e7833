"""The enrolment database: schema (:mod:`bot.db.models`), engines and sessions
(:mod:`bot.db.engine`), Alembic migrations (:mod:`bot.db.migrate`) and the
``python -m bot.db`` command that ``make db`` runs.

Kept free of Rasa imports so the CLI, the services and their tests stay light.
"""
