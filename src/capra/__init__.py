"""Capra: plan, run and measure dairy-goat programmes that feed children."""

__version__ = "0.1.0"
