"""The daily report page in a browser: the figures of the runs created, totals on top,
filters, sortable columns, pages and the CSV of the same rows; accessible in both themes."""

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.ui.conftest import PHONE, Console
from tests.ui.data import create_pipeline, run

TYPE = "report_demo"
TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
# Per pipeline, per day back from today: the runs (succeeded?, total rows).
FLEET = {
    "daily_orders": {0: [(True, 1200), (True, 800)], 1: [(True, 950)], 2: [(False, 0)]},
    "daily_customers": {0: [(True, 40000)], 1: [(False, 0), (True, 39000)]},
    "daily_sales": {0: [(True, 300), (False, 0), (True, 280)], 2: [(True, 310)]},
}


def _day(days_ago: int) -> datetime:
    return TODAY - timedelta(days=days_ago)


@pytest.fixture(scope="module")
def fleet(api: httpx.Client) -> int:
    """FLEET's runs, one minute each; answers the type's id."""
    for name, days in FLEET.items():
        pipeline_id = create_pipeline(api, name, pipeline_type_name=TYPE)
        for days_ago, runs in days.items():
            for n, (succeeded, rows) in enumerate(runs):
                start = _day(days_ago) + timedelta(hours=1, minutes=5 * n)
                end = start + timedelta(minutes=1)
                counts = {"inserts": rows * 3 // 4, "updates": rows // 4, "total_rows": rows}
                run(api, pipeline_id, start, end, succeeded=succeeded, **counts)
    return api.get(f"/pipeline/{pipeline_id}").json()["pipeline_type_id"]


def _cells(console: Console, row: int) -> list[str]:
    return console.page.locator("#report tbody tr").nth(row).locator("td").all_inner_texts()


def test_the_page_shows_the_figures_of_the_runs(console: Console, fleet: int) -> None:
    page = console.open(f"/ui/reports?type={fleet}")

    runs = [outcome for days in FLEET.values() for day in days.values() for outcome in day]
    failed = sum(not succeeded for succeeded, _ in runs)
    totals = page.locator("#totals li").all_inner_texts()
    assert totals[0] == f"{len(runs)}\nruns"
    assert totals[1] == f"{failed / len(runs) * 100:.1f} %\nerror rate ({failed} failed)"
    assert totals[2].replace("\u202f", "") == f"{sum(rows for _, rows in runs)}\nrows"
    rows = page.locator("#report tbody tr")
    assert rows.count() == sum(len(days) for days in FLEET.values())
    # Newest day first; daily_sales's today: 3 runs, 1 failed, 580 rows, a minute each.
    sales_today = page.locator(
        f'#report tbody tr[data-day="{_day(0).date()}"]', has_text="daily_sales"
    )
    cells = sales_today.locator("td").all_inner_texts()
    assert cells[:6] == [str(_day(0).date()), "daily_sales", TYPE, "3", "1", "33.3 %"]
    assert cells[9:11] == ["580", "1 min 00 s"]
    # The chart: each of the three days, every run of the report.
    chart = page.locator("#day-chart[data-days]")
    chart.wait_for()
    drawn = [chart.get_attribute(name) for name in ("data-days", "data-runs", "data-failed")]
    assert drawn == ["3", str(len(runs)), str(failed)]
    assert chart.locator("canvas").count() == 1

    assert console.check_accessibility() == [], "light theme"
    console.screenshot("reports")
    console.page.emulate_media(color_scheme="dark")
    assert console.check_accessibility() == [], "dark theme"
    console.page.set_viewport_size(PHONE)
    assert console.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_columns_sort_both_ways(console: Console, fleet: int) -> None:
    page = console.open(f"/ui/reports?type={fleet}")
    header = page.locator("#report th", has_text="Total rows")

    header.get_by_role("link").click()
    page.wait_for_url("**sort=-total_rows**")
    assert header.get_attribute("aria-sort") == "descending"
    first = _cells(console, 0)
    assert first[1:3] == ["daily_customers", TYPE]
    assert first[9].replace("\u202f", "") == "40000"

    header.get_by_role("link").click()
    page.wait_for_url("**sort=total_rows**")
    assert header.get_attribute("aria-sort") == "ascending"
    assert _cells(console, 0)[9] == "0"


def test_filters_by_pipeline_and_days(console: Console, fleet: int) -> None:
    page = console.open(f"/ui/reports?type={fleet}")
    page.get_by_label("Pipeline").fill("daily_orders")
    page.get_by_label("Last days").fill("2")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**pipeline=daily_orders**")
    assert [_cells(console, n)[0:4] for n in range(2)] == [
        [str(_day(0).date()), "daily_orders", TYPE, "2"],
        [str(_day(1).date()), "daily_orders", TYPE, "1"],
    ]
    assert page.locator("#report tbody tr").count() == 2

    console.open("/ui/reports?pipeline=no_such_pipeline")
    assert "There is no pipeline named" in console.page.get_by_role("alert").inner_text()


def test_pages_and_the_csv_of_the_same_rows(
    console: Console, api: httpx.Client, live_server: str
) -> None:
    kind = "report_paging"
    for name in ("paged_a", "paged_b"):
        pipeline_id = create_pipeline(api, name, pipeline_type_name=kind)
        for days_ago in range(26):
            start = _day(days_ago) + timedelta(hours=2)
            run(api, pipeline_id, start, start + timedelta(seconds=30), total_rows=days_ago)
    type_id = api.get(f"/pipeline/{pipeline_id}").json()["pipeline_type_id"]

    page = console.open(f"/ui/reports?type={type_id}")
    assert page.locator("#report tbody tr").count() == 50
    assert "Page 1 of 2 · 52 rows" in page.locator(".pager").inner_text()
    page.get_by_role("link", name="Next →").click()
    page.wait_for_url("**page=2**")
    assert page.locator("#report tbody tr").count() == 2
    assert _cells(console, 0)[0] == str(_day(25).date())

    link = page.get_by_role("link", name="Download CSV").get_attribute("href")
    rows = list(csv.DictReader(io.StringIO(httpx.get(live_server + link).text)))
    assert len(rows) == 52
    assert {row["pipeline_name"] for row in rows} == {"paged_a", "paged_b"}
    assert sum(int(row["total_rows"]) for row in rows) == 2 * sum(range(26))
