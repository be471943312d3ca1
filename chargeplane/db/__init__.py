"""PostgreSQL access: the asyncpg pool and schema migrations (alembic, raw SQL)."""
