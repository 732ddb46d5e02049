"""Which business-rule suite guards which statistical family's clean table.

Every family shares the long statistical schema, so the common rules apply to all; a
family adds its own on top (e.g. percentages between 0 and 100)."""

from __future__ import annotations

from collections.abc import Callable


def common_stat_rules() -> list:
    import great_expectations as gx  # slow import: only when validating

    return [
        gx.expectations.ExpectColumnValuesToMatchRegex(column="region_code",
                                                       regex=r"^(GM\d{4}|NL01)$"),
        gx.expectations.ExpectColumnValuesToBeBetween(column="year", min_value=1990,
                                                      max_value=2100),
        gx.expectations.ExpectColumnValuesToMatchRegex(column="period",
                                                       regex=r"^\d{4}(-(\d{2}|Q[1-4]))?$"),
        # A NULL value must say why (CBS markers, '?' from Klimaatmonitor, ...).
        gx.expectations.ExpectColumnValuesToNotBeNull(
            column="missing_reason", row_condition="value.isnull()", condition_parser="pandas"),
    ]


def _emissions() -> list:
    from transforms.emissions import emissions_rules

    return emissions_rules()


def _offshore_wind() -> list:
    from transforms.offshore_wind import offshore_wind_rules

    return offshore_wind_rules()


FAMILY_RULES: dict[str, Callable[[], list]] = {
    "emissions": _emissions,  # includes the common checks, plus units per measure
    "employment": common_stat_rules,
    "training": common_stat_rules,
    "offshore_wind": _offshore_wind,
}
