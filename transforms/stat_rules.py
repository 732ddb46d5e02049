"""Business rules every statistical family shares (the long statistical shape); a family adds
its own on top (e.g. units per measure), declared in its folder under `families/`."""

from __future__ import annotations

MUNICIPALITY_OR_COUNTRY = r"^(?:GM\d{4}|NL01)$"
COROP_OR_COUNTRY = r"^(?:CR\d{2}|NL01)$"  # tables published per COROP area, not municipality
NUTS_CODES = r"^[A-Z]{2}[0-9A-Z]{0,3}$"  # Eurostat's NUTS codes: NL32 (NUTS 2), NL (country)


def common_stat_rules(region_pattern: str = MUNICIPALITY_OR_COUNTRY) -> list:
    import great_expectations as gx  # slow import: only when validating

    return [
        gx.expectations.ExpectColumnValuesToMatchRegex(column="region_code",
                                                       regex=region_pattern),
        gx.expectations.ExpectColumnValuesToBeBetween(column="year", min_value=1990,
                                                      max_value=2100),
        gx.expectations.ExpectColumnValuesToMatchRegex(column="period",
                                                       regex=r"^\d{4}(?:-(?:\d{2}|Q[1-4]))?$"),
        # A NULL value must say why (CBS markers, '?' from Klimaatmonitor, ...).
        gx.expectations.ExpectColumnValuesToNotBeNull(
            column="missing_reason", row_condition="value.isnull()", condition_parser="pandas"),
    ]


def share_rules(measures: tuple[str, ...]) -> list:
    """Shares in percent lie between 0 and 100 (a derived rate above 100 means the counts it
    comes from were read at different slices)."""
    return score_rules(measures, 0, 100)


def score_rules(measures: tuple[str, ...], low: float, high: float) -> list:
    import great_expectations as gx

    listed = ", ".join(repr(m) for m in measures)
    return [gx.expectations.ExpectColumnValuesToBeBetween(
        column="value", min_value=low, max_value=high,
        row_condition=f"measure.isin([{listed}]) & value.notnull()", condition_parser="pandas")]
