"""Persistence: ORM models, sessions, migrations and the compare-and-set state transitions."""
