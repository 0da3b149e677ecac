from services.auth.store import Base
from services.kernel.db import run_migrations_online

run_migrations_online(Base.metadata)
