// SQLite introspection tests
