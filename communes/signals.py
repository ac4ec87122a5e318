"""The territory's own signal. `territory_bulk_changed` is sent inside an import's
transaction once regions, departments or communes were written in bulk (no `post_save` for
those rows); apps above listen to refresh what shows territory names (cooperatives.signals
renews the reference stamp, so the home page and the commune search forget the old names)."""

from django.dispatch import Signal

territory_bulk_changed = Signal()  # no kwargs
