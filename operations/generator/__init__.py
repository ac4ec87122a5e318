"""The seeded synthetic dataset (organisations, links, RELESS, diagnostics, interventions) and
the demo accounts.

- `dataset`: the entry point `generate_dataset` and the run (`Generator`), phase by phase;
- `selection`, `taxonomy`: what a scale fills and the taxonomy as plain values;
- `world`: the state the builders share and the draws they all make;
- `organisations`, `links`, `reless`, `pcd`, `interventions`: one builder each;
- `history`: the audit history of every generated row (creation dated in a past year, then
  dated changes), written before each flush from the rows waiting in the writer;
- `names`, `texts`: the word lists; `demo`: the demo accounts; `demo_signoff`: the demo's
  signed-off year (through the sign-off services). Rows go through the one bulk writer,
  `core.bulk.BulkWriter`.
"""
