"""Slow, spec-literal reference implementations used only as test oracles."""
