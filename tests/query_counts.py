"""Counting a computation's reads: the statements a CaptureQueriesContext saw, savepoints
aside (inside a transaction, as every test runs, `int_rows` sets one around its 32-bit read
so that a refused narrowing leaves the transaction usable; outside one it sets none)."""

SAVEPOINT_STATEMENTS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def reads(captured) -> list[dict]:
    return [query for query in captured.captured_queries
            if not query["sql"].lstrip().upper().startswith(SAVEPOINT_STATEMENTS)]
