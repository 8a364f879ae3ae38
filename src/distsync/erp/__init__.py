"""Local ERP servers for tests, the demo and people trying distsync (a Tryton sandbox)."""
