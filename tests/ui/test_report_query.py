"""The report page's state in its URL: lenient parsing, and the links that change it."""

from watcher_server.ui.reports import ReportPageQuery


def test_nonsense_falls_back_to_the_defaults() -> None:
    query = ReportPageQuery.parse("0", "  ", "-3", "-password", 1)
    assert query == ReportPageQuery()
    assert ReportPageQuery.parse("999", None, "x", "runs; drop", 1) == ReportPageQuery()


def test_values_are_kept_and_names_lower_cased() -> None:
    query = ReportPageQuery.parse("7", " Orders ", "4", "-error_rate", 3)
    assert query == ReportPageQuery(7, "orders", 4, "-error_rate", 3)
    assert query.link() == "/ui/reports?days=7&pipeline=orders&type=4&sort=-error_rate"
    assert query.page_link(2).endswith("&page=2")


def test_a_column_sorts_figures_largest_first_then_flips() -> None:
    default = ReportPageQuery()
    assert default.link() == "/ui/reports"
    assert default.sort_link("runs") == "/ui/reports?sort=-runs"
    assert default.sort_link("pipeline_name") == "/ui/reports?sort=pipeline_name"
    assert default.sort_link("day") == "/ui/reports?sort=day"
    by_runs = ReportPageQuery(sort="-runs", page=4)
    assert by_runs.sort_link("runs") == "/ui/reports?sort=runs"
    assert by_runs.sorted_as("runs") == "descending"
    assert by_runs.sorted_as("day") is None
