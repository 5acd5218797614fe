"""Fakes for every device and model interface, for fast tests (and for plugin authors).

The real implementations are built by ``simulator.factory``; these stand-ins are small,
deterministic and need no model files or sound card.
"""

from __future__ import annotations
