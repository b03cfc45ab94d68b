"""Base layer: canonical JSON, digests, atomic writes, strict loading, IDs and errors.

Nothing here imports from the layers above, and nothing here imports pydantic, so the
pre-commit hook path stays light.
"""
