"""Which business-rule suite guards which statistical family's clean table."""

from transforms.emissions import emissions_rules
from transforms.employment import employment_rules
from transforms.offshore_wind import offshore_wind_rules
from transforms.training import training_rules

FAMILY_RULES = {
    "emissions": emissions_rules,
    "employment": employment_rules,
    "training": training_rules,
    "offshore_wind": offshore_wind_rules,
}
