"""Runbook v1 entry points: each a few lines delegating to the toyfoundry_ci package."""
