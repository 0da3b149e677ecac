from services.kernel.db import run_migrations_online
from services.library.store import Base

run_migrations_online(Base.metadata)
