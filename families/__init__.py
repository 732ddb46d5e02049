"""Data families: each one folder declaring its clean table, feeds, validation rules,
partitioning and cadence. `families.registry` lists them; everything else (assets, jobs,
sensors, freshness checks, the warehouse allowlist, `status`, the report inputs) derives from
that list, so adding a family touches its folder and one registry line."""
