"""A fuzz target for pull: whatever bytes and names a hub serves, pull never crashes and the
mirror only ever gains directives that validate and name themselves. Bounded for CI; the
loader and checker have their own target in test_properties.py.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.exchange_kit import directive
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import parse_artifact
from toyfoundry_ci.exchange.pull import pull
from toyfoundry_ci.hub.protocol import Publication, Published, blob_id
from toyfoundry_ci.validation.checker import check_value


class MemoryHub:
    """A hub that serves whatever the fuzzer made, under whatever names it made."""

    display = "memory"

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def listing(self) -> Mapping[str, str]:
        return {path: blob_id(data) for path, data in self.files.items()}

    def refusals(self) -> Mapping[str, str]:
        return {}

    def read(self, paths: Iterable[str]) -> dict[str, bytes]:
        return {p: self.files[p] for p in paths}

    def publish(self, publication: Publication) -> Published:
        raise AssertionError("pull never publishes")


GOOD = directive("ALFA-2027-0001")
names = st.one_of(
    st.just("ALFA-2027-0001"),
    st.from_regex(r"ALFA-20[0-9]{2}-[0-9]{4}", fullmatch=True),
    st.text(min_size=1, max_size=20).filter(lambda s: "/" not in s),
)
bodies = st.one_of(
    st.binary(max_size=300),
    st.just(GOOD),
    st.builds(
        lambda i, cut: GOOD[:i] + GOOD[i + cut :], st.integers(0, len(GOOD)), st.integers(0, 5)
    ),
)


@settings(max_examples=60)
@given(st.dictionaries(names, bodies, min_size=1, max_size=4))
def test_pull_never_crashes_and_mirrors_only_valid_self_named_directives(
    served: dict[str, bytes],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        layout = Layout(Path(tmp))
        hub = MemoryHub({f"orders/{name}.json": data for name, data in served.items()})

        result = pull(layout, hub)

        mirrored = sorted(p.name for p in layout.orders.glob("*")) if layout.orders.exists() else []
        assert len(mirrored) == len(result.new)
        for path in layout.orders.glob("*") if layout.orders.exists() else []:
            value = parse_artifact(path.read_bytes())
            assert check_value(f"exchange/orders/{path.name}", value, "order").ok
            assert isinstance(value, dict) and f"{value['order_id']}.json" == path.name
        assert len(result.new) + len(result.quarantined) == len(served)
