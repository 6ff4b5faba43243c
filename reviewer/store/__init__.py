"""The project store: SQLAlchemy models, opening and migrating a project, and the queries above it."""
