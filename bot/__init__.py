"""Msaidizi: the helpdesk's domain logic, database, channels and NLU components.

Nothing at the top level of this package imports Rasa, so the domain logic can be
used and tested without it.
"""
