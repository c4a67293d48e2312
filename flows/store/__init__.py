"""The warehouse: schema and migrations, the one writer, named read queries. Only here: DuckDB."""
