"""Validation of artifacts against their pivot's schemas: loading, checking and reporting."""
