"""The lineage explorer in a browser: the graph the API answers, the pipelines on its edges,
the health overlay, impact, a graph cut by the server's caps, and search as you type."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.processes import watcher_server
from tests.ui.conftest import PHONE, Console, open_console
from tests.ui.data import ago, create_pipeline, run

ADDRESS_TYPE = {"address_type_name": "postgres", "address_type_group_name": "database"}


def declare(api: httpx.Client, pipeline_id: int, sources: list[str], targets: list[str]) -> None:
    body = {
        "pipeline_id": pipeline_id,
        "source_addresses": [{"name": name, **ADDRESS_TYPE} for name in sources],
        "target_addresses": [{"name": name, **ADDRESS_TYPE} for name in targets],
    }
    response = api.post("/address_lineage", json=body)
    assert response.status_code == 201, response.text


def create_address(api: httpx.Client, name: str) -> int:
    response = api.post("/address", json={"name": name, **ADDRESS_TYPE})
    assert response.status_code == 201, response.text
    return response.json()["id"]


@dataclass
class Flow:
    """raw → extract → stage → transform (failed) → mart, mart_b → report → dashboard, and
    stage → side (healthy); addresses and pipelines by short name."""

    tag: str
    addresses: dict[str, int]
    pipelines: dict[str, int]
    names: dict[str, str]


def create_flow(api: httpx.Client) -> Flow:
    tag = uuid.uuid4().hex[:8]
    names = {
        short: f"{short}_{tag}" for short in ("raw", "stage", "mart", "mart_b", "dashboard", "side")
    }
    steps = {
        "extract": (["raw"], ["stage"], True),
        "transform": (["stage"], ["mart", "mart_b"], False),
        "report": (["mart"], ["dashboard"], True),
        "sidecar": (["stage"], ["side"], True),
    }
    addresses = {short: create_address(api, name) for short, name in names.items()}
    pipelines = {}
    for step, (sources, targets, succeeded) in steps.items():
        pipeline_id = pipelines[step] = create_pipeline(api, f"{step}_{tag}", load_lineage=True)
        # Lineage first: a successful run clears load_lineage (the original's behaviour).
        declare(api, pipeline_id, [names[s] for s in sources], [names[t] for t in targets])
        run(api, pipeline_id, ago(minutes=30), ago(minutes=29), succeeded)
    return Flow(tag, addresses, pipelines, names)


@pytest.fixture(scope="module")
def flow(api: httpx.Client) -> Flow:
    return create_flow(api)


def drawn(page: Any) -> Any:
    graph = page.locator("#graph[data-drawn]")
    graph.wait_for(state="attached")
    return graph


def listed(page: Any) -> dict[int, dict[str, str]]:
    """The node list beside the drawing: address id → its distance and status."""
    rows = page.locator("#nodes > li").evaluate_all(
        "items => items.map(li => [li.dataset.addressId, li.dataset.distance, li.dataset.status,"
        " li.querySelector('.status').textContent])"
    )
    return {int(i): {"distance": d, "status": s, "badge": b} for i, d, s, b in rows}


def test_the_graph_draws_the_apis_answer_with_health_and_pipelines_on_edges(
    console: Console, api: httpx.Client, flow: Flow
) -> None:
    stage = flow.addresses["stage"]
    answer = api.get(f"/lineage/{stage}", params={"direction": "both", "depth": 2}).json()
    page = console.open(f"/ui/lineage?address_id={stage}")  # defaults: both ways, depth 2
    graph = drawn(page)
    assert graph.get_attribute("data-nodes") == str(len(answer["nodes"])) == "6"
    assert graph.get_attribute("data-edges") == str(len(answer["edges"]))
    nodes = listed(page)
    assert set(nodes) == {node["id"] for node in answer["nodes"]}
    # A failed pipeline's targets show failed, in the list and on the drawing.
    for short in ("mart", "mart_b"):
        assert nodes[flow.addresses[short]]["status"] == "failed"
        assert nodes[flow.addresses[short]]["badge"] == "failed"
    assert nodes[flow.addresses["side"]]["status"] == "healthy"
    assert nodes[flow.addresses["raw"]]["status"] == "not written"
    labels = page.evaluate(
        "() => Object.fromEntries(lineageGraph.nodes().map(n => [n.id(), n.data('label')]))"
    )
    assert labels[f"a{flow.addresses['mart']}"].endswith("postgres · failed")
    edges = page.evaluate(
        "() => Object.fromEntries(lineageGraph.edges().map(e => [e.id(), e.data('label')]))"
    )
    assert edges[f"e{stage}-{flow.addresses['mart']}"] == f"transform_{flow.tag}"
    written_by = page.locator(f'#nodes li[data-address-id="{flow.addresses["mart"]}"] a').nth(1)
    assert written_by.get_attribute("href") == f"/ui/pipelines/{flow.pipelines['transform']}"
    assert page.locator("#truncated").count() == 0
    assert console.check_accessibility() == []
    console.screenshot("lineage")
    console.page.emulate_media(color_scheme="dark")
    assert console.check_accessibility() == [], "dark theme"
    console.screenshot("lineage-dark")
    console.page.set_viewport_size(PHONE)
    assert console.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_clicking_a_node_recentres_the_graph(
    console: Console, api: httpx.Client, flow: Flow
) -> None:
    page = console.open(f"/ui/lineage?address_id={flow.addresses['stage']}&direction=downstream")
    drawn(page)
    dashboard = flow.addresses["dashboard"]
    point = page.evaluate(f"() => lineageGraph.getElementById('a{dashboard}').renderedPosition()")
    box = page.locator("#graph").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_url(f"**/ui/lineage?address_id={dashboard}&direction=downstream&depth=2")
    drawn(page)
    assert page.locator("h1").inner_text() == f"Lineage of {flow.names['dashboard']}"


def test_impact_of_a_failed_pipeline_lists_everything_downstream_with_distances(
    console: Console, api: httpx.Client, flow: Flow
) -> None:
    pipeline = flow.pipelines["transform"]
    page = console.open(f"/ui/pipelines/{pipeline}")
    page.get_by_role("link", name="What does this affect?").click()
    page.wait_for_url(f"**/ui/lineage?pipeline_id={pipeline}")
    drawn(page)
    nodes = listed(page)
    by_short = {short: flow.addresses[short] for short in ("stage", "mart", "mart_b", "dashboard")}
    assert {i: nodes[i]["distance"] for i in nodes} == {
        by_short["stage"]: "0",  # what the pipeline reads, where the drawing starts
        by_short["mart"]: "1",
        by_short["mart_b"]: "1",
        by_short["dashboard"]: "2",
    }
    assert page.locator("#nodes .distance").all_inner_texts() == ["+1", "+1", "+2"]
    writers = page.locator("#writers a").all_inner_texts()
    assert sorted(writers) == sorted([f"transform_{flow.tag}", f"report_{flow.tag}"])
    impacted = page.evaluate("() => lineageGraph.nodes('.impacted').length")
    assert impacted == 3
    assert console.check_accessibility() == []
    console.screenshot("lineage-impact")


def test_impact_of_an_address_matches_the_closure(
    console: Console, api: httpx.Client, flow: Flow
) -> None:
    stage = flow.addresses["stage"]
    page = console.open(f"/ui/lineage?address_id={stage}&view=impact")
    drawn(page)
    below = api.get(f"/lineage/{stage}", params={"direction": "downstream", "depth": "all"})
    expected = {node["id"]: str(node["distance"]) for node in below.json()["nodes"]}
    assert {i: row["distance"] for i, row in listed(page).items()} == expected
    assert len(expected) == 5


def test_search_as_you_type_finds_addresses(console: Console, flow: Flow) -> None:
    page = console.open("/ui/lineage")
    page.get_by_label("Find an address by name").press_sequentially(flow.names["mart_b"][:10])
    page.get_by_role("link", name=flow.names["mart_b"]).click()
    page.wait_for_url(f"**/ui/lineage?address_id={flow.addresses['mart_b']}")
    drawn(page)


def test_the_search_button_lists_matches_without_script(console: Console, flow: Flow) -> None:
    page = console.open(f"/ui/lineage?q={flow.tag}")
    links = page.locator("#search-results a").all_inner_texts()
    assert sorted(links) == sorted(flow.names.values())
    assert page.locator("#search-status").inner_text() == "6 addresses found"


def test_a_pipeline_without_lineage_says_so(console: Console, api: httpx.Client) -> None:
    pipeline_id = create_pipeline(api, f"lonely_{uuid.uuid4().hex[:8]}")
    page = console.open(f"/ui/lineage?pipeline_id={pipeline_id}")
    assert "declares no lineage" in page.locator("main").inner_text()


def test_bad_input_names_the_field(console: Console) -> None:
    page = console.open("/ui/lineage?address_id=1&direction=sideways", status=422)
    assert "direction must be" in page.get_by_role("alert").inner_text()
    page = console.open("/ui/lineage?address_id=1&depth=0", status=422)
    assert "depth must be" in page.get_by_role("alert").inner_text()
    console.open("/ui/lineage?address_id=987654321", status=404)


@pytest.fixture(scope="module")
def capped_server(database_url: str) -> Iterator[str]:
    """A second server on the same database whose lineage answers hold 4 addresses at most."""
    with watcher_server(
        database_url, WATCHER_BACKGROUND_JOBS="false", WATCHER_LINEAGE_MAX_NODES="4"
    ) as base:
        yield base


def test_a_cut_graph_says_so_and_goes_deeper_from_a_chosen_node(
    browser: Any, capped_server: str, flow: Flow
) -> None:
    for console in open_console(browser, capped_server):
        stage = flow.addresses["stage"]
        page = console.open(f"/ui/lineage?address_id={stage}&direction=downstream&depth=all")
        assert drawn(page).get_attribute("data-nodes") == "4"
        assert "This graph is cut" in page.locator("#truncated").inner_text()
        console.screenshot("lineage-truncated")
        page.get_by_label("Go deeper from").select_option(label=flow.names["mart"])
        page.get_by_role("button", name="Go").click()
        page.wait_for_url("**/ui/lineage?direction=downstream&depth=all&address_id=*")
        drawn(page)
        assert page.locator("h1").inner_text() == f"Lineage of {flow.names['mart']}"
        assert console.check_accessibility() == []


def test_the_search_endpoint_answers_matching_addresses(api: httpx.Client, flow: Flow) -> None:
    found = api.get("/ui/lineage/addresses", params={"q": flow.tag.upper()}).json()
    assert {row["id"] for row in found} == set(flow.addresses.values())
    assert {row["type"] for row in found} == {"postgres"}
    first = api.get("/ui/lineage/addresses", params={"q": f"mart_{flow.tag}", "limit": 1})
    assert first.json() == [
        {"id": flow.addresses["mart"], "name": flow.names["mart"], "type": "postgres"}
    ]
    assert api.get("/ui/lineage/addresses", params={"q": "%_%" + flow.tag}).json() == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "q"), ({"q": ""}, "q"), ({"q": "x" * 201}, "q"), ({"q": "a", "limit": 0}, "limit")],
)
def test_the_search_endpoint_names_a_bad_field(
    api: httpx.Client, params: dict[str, Any], field: str
) -> None:
    response = api.get("/ui/lineage/addresses", params=params)
    assert response.status_code == 422
    assert response.json()["message"].startswith(f"query.{field}")


def test_a_cut_impact_says_so(browser: Any, capped_server: str, flow: Flow) -> None:
    for console in open_console(browser, capped_server):
        page = console.open(f"/ui/lineage?address_id={flow.addresses['stage']}&view=impact")
        assert drawn(page).get_attribute("data-nodes") == "4"
        assert "This graph is cut" in page.locator("#truncated").inner_text()
        assert [row["distance"] for row in listed(page).values()] == ["0", "1", "1", "1"]
