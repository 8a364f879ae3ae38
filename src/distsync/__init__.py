"""distsync: distribution middleware that never loses or double-posts a business document."""

__version__ = "0.1.0"
