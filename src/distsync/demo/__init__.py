"""The demo landscape: a simulated warehouse and a small procurement scenario.

``distsync demo`` calls :func:`run_demo`; see ``scenario.py`` for the story.
"""

from distsync.demo.scenario import run_demo

__all__ = ["run_demo"]
