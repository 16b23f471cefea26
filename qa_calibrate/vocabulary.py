"""The fixed words of the domain that commands offer as choices, and defaults they show.

Kept free of imports so that the CLI can build its options (and answer ``--help`` and shell
completion) without loading the store or numpy."""

from __future__ import annotations

ROLES = ("evaluator", "lead", "trainer")
STATES = ("open", "revealed", "closed")  # of a calibration session
STRATA = ("agent", "channel", "site", "team", "queue")  # what a sample draw can spread over

# The drift charts' stated false-alarm rate (``DriftSettings``; README "Drift detection"): one
# false alarm per chart (evaluator × criterion × direction) every 100 years at 3,000 answers a
# year, so every chart's in-control run length is 300,000 answers whatever its base rate.
DRIFT_ANSWERS_PER_YEAR = 3000.0
DRIFT_YEARS_PER_FALSE_ALARM = 100.0
