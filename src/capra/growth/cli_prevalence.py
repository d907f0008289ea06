"""Command-line commands for survey prevalence and the growth report."""


def register(app):  # replaced by the prevalence commands
    return app
