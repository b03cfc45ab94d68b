"""toyfoundry-ci: a factory repository run as a validated, auditable exchange of JSON artifacts."""

__version__ = "0.1.0"

__all__ = ["__version__"]
