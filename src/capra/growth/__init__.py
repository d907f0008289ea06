"""Children's growth: WHO z-scores, flags and survey prevalence."""
