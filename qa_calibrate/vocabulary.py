"""The fixed words of the domain that commands offer as choices, and defaults they show.

Kept free of imports so that the CLI can build its options (and answer ``--help`` and shell
completion) without loading the store or numpy."""

from __future__ import annotations

ROLES = ("evaluator", "lead", "trainer")
STATES = ("open", "revealed", "closed")  # of a calibration session
STRATA = ("agent", "channel", "site", "team", "queue")  # what a sample draw can spread over

# The drift CUSUM's signal limit h (``DriftSettings.threshold``); README "Drift" says why 8.
DRIFT_THRESHOLD = 8.0
