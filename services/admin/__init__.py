"""`speechflow-admin`: operator commands (backup, restore, cleanup, health checks, set-up jobs)."""
