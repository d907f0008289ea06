"""Children's growth: WHO z-scores, flags and survey prevalence.

Reproduces the rules of WHO's R packages ``anthro`` (0–5 years, WHO Child Growth Standards
2006/2007) and ``anthroplus`` (5–19 years, WHO Reference 2007).
"""

from capra.growth.inputs import GrowthDataWarning, parse_oedema_codes
from capra.growth.lms import lms_zscore, measurement_at_z
from capra.growth.prevalence import (
    STANDARD_INDICATORS,
    DataQualityWarning,
    prevalence,
    prevalence_5_19,
    prevalence_and_zscores,
)
from capra.growth.survey import SurveyDesign, survey_design
from capra.growth.tables import lms, table
from capra.growth.zscore import zscore_summary, zscores

__all__ = [
    "STANDARD_INDICATORS", "DataQualityWarning", "GrowthDataWarning", "SurveyDesign",
    "lms", "lms_zscore", "measurement_at_z", "parse_oedema_codes", "prevalence",
    "prevalence_5_19", "prevalence_and_zscores", "survey_design", "table", "zscore_summary",
    "zscores",
]
