"""Suite-wide fixtures and plugins.

``tests.secret_scan`` watches the whole session: a configured secret that
reaches a log line or an HTTP response fails the run (``DISTSYNC_SECRET_SCAN=0``
turns it off).
"""

from __future__ import annotations

pytest_plugins = ["tests.secret_scan"]
