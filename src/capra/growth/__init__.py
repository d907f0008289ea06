"""Children's growth: WHO z-scores, flags and survey prevalence.

Reproduces the rules of WHO's R packages ``anthro`` (0–5 years, WHO Child Growth Standards
2006/2007) and ``anthroplus`` (5–19 years, WHO Reference 2007). Public names are imported on
first use, so the command line starts quickly.
"""

from capra._lazy import lazy_exports

_EXPORTS = {
    **dict.fromkeys(("STANDARD_INDICATORS", "DataQualityWarning", "SurveyDesign", "prevalence",
                     "prevalence_5_19", "prevalence_and_zscores", "survey_design"),
                    "capra.growth.prevalence"),
    **dict.fromkeys(("lms", "table"), "capra.growth.tables"),
    **dict.fromkeys(("GrowthDataWarning", "lms_zscore", "measurement_at_z", "parse_oedema_codes",
                     "zscore_summary", "zscores"), "capra.growth.zscore"),
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
