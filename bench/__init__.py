"""The project's own benchmark of the targets P1-P8 (PRODUCT.md, "Targets").

`manage.py bench` (or `make bench`) runs it on PostgreSQL against the national dataset and
prints one table; `bench.runner.run_bench` is the entry point the command and the smoke test
share. docs/performance.md explains the method and keeps the latest figures.
"""
