"""Robustness campaign settings: a short Hypothesis profile for every `make test`, a long one for the campaign.

HYPOTHESIS_PROFILE=campaign (set by scripts/robustness.py) multiplies the examples.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("campaign", max_examples=1500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The alert action's stand-in receiver and runners, shared with tests/alert.
import sys  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "alert"))
from receiver_stand_in import payload, run_action, stand_in  # noqa: E402,F401
