"""The aggregates' summary rows: each commune's figures per group, kept current by the write
paths (cooperatives/summaries.py), summed for the national, regional and departmental
levels."""

from django.db import models

from communes.models import Commune


class AggregateSummary(models.Model):
    """One commune's figures for one group of one grouping: what
    `selectors.organisation_aggregates` counts for that commune alone."""

    commune = models.ForeignKey(Commune, models.CASCADE, related_name="+")
    # a selectors.GROUPINGS value, or one of summaries.ACTIVE (the reports' own)
    by = models.CharField(max_length=20)
    group = models.CharField(max_length=40)  # a ministry's acronym, a code or a choice value
    organisations = models.BigIntegerField()
    members = models.BigIntegerField()
    women = models.BigIntegerField()
    youth = models.BigIntegerField()
    employees = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["by", "commune", "group"],
                                               name="aggregate_summary_unique")]

    def __str__(self):
        return f"{self.commune_id}:{self.by}:{self.group}"


class AggregateDirty(models.Model):
    """A commune whose summary rows are out of date: marked in the writing transaction
    (version + 1 on each mark), cleared by the reader that recomputed them from the version
    it read (a mark made meanwhile keeps the commune dirty)."""

    commune = models.OneToOneField(Commune, models.CASCADE, primary_key=True, related_name="+")
    version = models.BigIntegerField(default=1)

    def __str__(self):
        return f"{self.commune_id}@{self.version}"
