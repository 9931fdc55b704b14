"""Metric definitions shared by `intake evaluate` and the service's review metrics."""
