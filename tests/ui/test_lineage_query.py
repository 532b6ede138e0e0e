"""The lineage explorer's query string: parsed into a query, and written back as links."""

import pytest

from watcher_server.ui.lineage import BadQuery, LineageQuery


def test_defaults_are_both_ways_two_edges_deep() -> None:
    query = LineageQuery.parse({"address_id": "7"})
    assert query == LineageQuery(address_id=7, direction="both", depth=2, impact=False)
    assert query.link() == "/ui/lineage?address_id=7&direction=both&depth=2"


def test_links_keep_the_view_when_recentred() -> None:
    query = LineageQuery.parse({"address_id": "7", "direction": "upstream", "depth": "all"})
    assert query.depth is None
    assert query.centred_on(9) == "/ui/lineage?address_id=9&direction=upstream&depth=all"
    assert query.link(impact=True) == "/ui/lineage?address_id=7&view=impact"


def test_a_pipeline_alone_asks_for_its_impact() -> None:
    query = LineageQuery.parse({"pipeline_id": "3"})
    assert (query.pipeline_id, query.impact) == (3, True)
    assert query.link() == "/ui/lineage?pipeline_id=3&view=impact"
    assert query.centred_on(5) == "/ui/lineage?address_id=5&view=impact"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"address_id": "x"}, "address_id"),
        ({"address_id": "0"}, "address_id"),
        ({"pipeline_id": "-2"}, "pipeline_id"),
        ({"address_id": "1", "direction": "sideways"}, "direction"),
        ({"address_id": "1", "depth": "0"}, "depth"),
        ({"address_id": "1", "depth": "10001"}, "depth"),
    ],
)
def test_bad_values_name_their_field(values: dict[str, str], field: str) -> None:
    with pytest.raises(BadQuery, match=f"^{field} must be"):
        LineageQuery.parse(values)
