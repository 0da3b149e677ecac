"""The document lifecycle: a pure model (`model`), its errors, and the service layer around
it (repository + unit of work, command handlers, bootstrap)."""
