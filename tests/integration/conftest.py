"""Fixtures shared by the integration tests."""

from __future__ import annotations

from tests.integration.tryton_fixtures import erp, tryton, tryton_template

__all__ = ["erp", "tryton", "tryton_template"]
