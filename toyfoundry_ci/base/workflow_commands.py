"""GitHub workflow commands (``::error file=…::message``), escaped in one place.

Messages and properties often carry untrusted text (file names from a hub, titles from a pull
request); escaping keeps any of it from ending the command or starting another one.
"""

from __future__ import annotations


def escape_data(value: str) -> str:
    """A command's message: no raw ``%``, CR or LF."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """A command's property value: as a message, and no raw ``:`` or ``,`` either."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def workflow_command(level: str, message: str, **properties: str | int) -> str:
    """``::level key=value,…::message`` with every part escaped, properties in the order given."""
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{level}{' ' + props if props else ''}::{escape_data(message)}"
