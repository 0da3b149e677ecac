-- Runs once, when the postgres volume is first initialised (POSTGRES_DB creates
-- speechflow_auth). The library gets its own database: both services keep an `outbox` table.
CREATE DATABASE speechflow_library;
