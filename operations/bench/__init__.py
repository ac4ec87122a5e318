"""The project's own benchmark of the targets P1-P8 (PRODUCT.md, "Targets") and HOME (the
public home page's server time, issue 14).

`manage.py bench` (or `make bench`) runs it on PostgreSQL against the national dataset and
prints one table; `operations.bench.runner.run_bench` is the entry point the command and the
smoke test share. docs/performance.md explains the method and keeps the latest figures.

Modules: `runner` (the run: dataset, accounts, each target guarded), `context` (options, the
run's context, `add_row`), `rows` (a figure against its target, the table), one module per
group of targets (`worker`: P4, P5; `measures`: P3, P6, P8; `web`: P1, P2, P7, soak; `home`:
HOME), and their tools (`dataset`, `procs`, `load`, `pages`, `queries`, `baseline_sql`,
`csv_import`, `graph`). The package imports no management command; the `bench` command imports it.
"""
