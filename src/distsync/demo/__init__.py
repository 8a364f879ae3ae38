"""The demo: a procure-to-pay day on a local Tryton with simulated partners, and the simulators.

``distsync demo`` calls :func:`run_demo`; see ``procure_day.py`` for the day
and ``procure_story.py`` for its steps. The partner simulators
(``supplier_sim``, ``threepl_sim``, ``portal_sim``, ``wms_simulator``) are
usable on their own: see docs/simulators.md.
"""

from distsync.demo.procure_day import run_demo

__all__ = ["run_demo"]
