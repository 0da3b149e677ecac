from services.kernel.db import run_migrations_online
from services.notifier.webhooks.store import Base

run_migrations_online(Base.metadata)
