"""Routes of the web console (HTML, not part of the API schema): parse the query, call the
page's service function, render its template. Actions are POSTed forms that go through the
API's request models and services, then redirect back to the page."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from watcher_server.db import Database
from watcher_server.deps import DatabaseDep, NowDep, SettingsDep
from watcher_server.errors import NotFound
from watcher_server.models import DatePart
from watcher_server.pipelines.health import MEANING, WORST_FIRST, Health
from watcher_server.ui import (
    access,
    actions,
    csrf,
    lineage,
    operations,
    reports,
    runs,
    service,
    session,
)
from watcher_server.ui.forms import FormErrors, parse_form
from watcher_server.ui.templating import PACKAGE, STATIC_URL, render

router = APIRouter(include_in_schema=False)
router.mount(STATIC_URL, StaticFiles(directory=PACKAGE / "static"), name="ui-static")

# The overview asks for its live part alone with this header, to refresh it in place.
FRAGMENT_HEADER = "x-console-fragment"
MAX_PAGE = 1_000_000
MAX_FORM_BYTES = 10_000
MAX_QUERY_VALUE = 50
MAX_SEARCH_RESULTS = 50
MAX_SEARCH_TEXT = 200


def not_found(what: str) -> HTMLResponse:
    return render(
        "not_found.html",
        status_code=404,
        title="Not found",
        message=f"There is no {what}. It may have been removed by log cleanup.",
    )


def _page_number(text: str | None) -> int:
    return int(text) if text and text.isdigit() and 0 < int(text) <= MAX_PAGE else 1


PageParam = Annotated[str | None, Query(max_length=10)]


@router.get("/ui", response_class=HTMLResponse)
async def overview_page(
    request: Request,
    db: DatabaseDep,
    now: NowDep,
    status: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies the default
    type: Annotated[str | None, Query(max_length=150)] = None,
    q: Annotated[str | None, Query(max_length=150)] = None,
    page: PageParam = None,
) -> HTMLResponse:
    """Every pipeline's health, worst first."""
    wanted = {Health.from_slug(slug) for slug in status}
    query = service.OverviewQuery(
        statuses=tuple(health for health in WORST_FIRST if health in wanted),
        type_name=(type or "").strip().lower() or None,
        name=(q or "").strip().lower() or None,
        page=_page_number(page),
    )
    data = await service.overview(db, now, query)
    template = "overview_live.html" if request.headers.get(FRAGMENT_HEADER) else "overview.html"
    return render(
        template, title="Overview", section="overview", data=data, now=now, meaning=MEANING
    )


@router.get("/ui/reports", response_class=HTMLResponse)
async def report_page(
    db: DatabaseDep,
    now: NowDep,
    days: PageParam = None,
    pipeline: Annotated[str | None, Query(max_length=150)] = None,
    type: PageParam = None,
    sort: Annotated[str | None, Query(max_length=40)] = None,
    page: PageParam = None,
) -> HTMLResponse:
    """The daily report: per UTC day and pipeline, runs, failures, rows and speed."""
    query = reports.ReportPageQuery.parse(days, pipeline, type, sort, _page_number(page))
    data = await reports.report_page(db, now, query)
    return render("reports.html", title="Daily report", section="reports", data=data)


@router.get("/ui/pipelines/{pipeline_id:int}", response_class=HTMLResponse)
async def pipeline_page(
    request: Request,
    pipeline_id: int,
    db: DatabaseDep,
    now: NowDep,
    days: PageParam = None,
    runs_page: PageParam = None,
    saved: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """One pipeline: configuration, checks, runs chart and table, anomalies, lineage."""
    return await _render_pipeline(
        request, db, now, pipeline_id, days, runs_page, notice=actions.SAVED.get(saved or "")
    )


async def _render_pipeline(
    request: Request,
    db: Database,
    now: datetime,
    pipeline_id: int,
    days: str | None = None,
    runs_page: str | None = None,
    *,
    notice: str | None = None,
    errors: FormErrors | None = None,
    action: str | None = None,
) -> Response:
    window = int(days) if days and days.isdigit() else service.DEFAULT_WINDOW_DAYS
    window = window if window in service.WINDOWS_DAYS else service.DEFAULT_WINDOW_DAYS
    data = await service.pipeline_page(db, now, pipeline_id, window, _page_number(runs_page))
    if data is None:
        return not_found(f"pipeline {pipeline_id}")
    response = render(
        "pipeline.html",
        status_code=422 if errors else 200,
        title=f"Pipeline {data.pipeline.name}",
        section="overview",
        data=data,
        now=now,
        meaning=MEANING,
        csrf_token=csrf.form_token(request),
        notice=notice,
        errors=errors or FormErrors(),
        action=action,
        dateparts=list(DatePart),
        windows=service.WINDOWS_DAYS,
    )
    return csrf.remember(request, response)


@router.post("/ui/pipelines/{pipeline_id:int}/{action}")
async def pipeline_action(
    request: Request, pipeline_id: int, action: str, db: DatabaseDep, now: NowDep
) -> Response:
    """Activate/deactivate, mute/unmute a check, set thresholds, unflag an anomaly."""
    body = await request.body()
    sent = parse_form(body[:MAX_FORM_BYTES])
    if not csrf.is_genuine(request, sent.get(csrf.FIELD)):
        return render(
            "not_found.html",
            status_code=403,
            title="Form expired",
            message="This form did not come from this console (or its page is too old). "
            "Reload the page and try again.",
        )
    if action not in actions.SAVED:
        return not_found("such action")
    errors = await actions.apply_action(db, now, pipeline_id, action, sent)
    if errors:
        return await _render_pipeline(
            request, db, now, pipeline_id, sent.get("days"), errors=errors, action=action
        )
    anchor = "anomalies" if action == "unflag" else "checks"
    return RedirectResponse(f"/ui/pipelines/{pipeline_id}?saved={action}#{anchor}", status_code=303)


@router.get("/ui/runs/{run_id:int}", response_class=HTMLResponse)
async def run_page(run_id: int, db: DatabaseDep, now: NowDep) -> HTMLResponse:
    """One run: outcome, metrics, watermark range, metadata, nested runs as a timeline."""
    data = await runs.run_page(db, now, run_id)
    if data is None:
        return not_found(f"run {run_id}")
    name = data.names.get(data.run.pipeline_id, f"pipeline {data.run.pipeline_id}")
    return render(
        "run.html", title=f"Run {run_id} of {name}", section="overview", data=data, now=now
    )


@router.get("/ui/alerts", response_class=HTMLResponse)
async def alerts_page(
    db: DatabaseDep,
    now: NowDep,
    kind: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    pipeline: Annotated[str | None, Query(max_length=20)] = None,
    page: PageParam = None,
) -> HTMLResponse:
    """Alerts, newest first, with each channel's delivery; filters by kind, status, pipeline."""
    query = operations.AlertsQuery(
        kind=(kind or "").replace("\x00", "").strip() or None,
        status=status if status in ("pending", "delivered", "undeliverable") else None,
        pipeline_id=int(pipeline)
        if pipeline and pipeline.isdigit() and int(pipeline) > 0
        else None,
        page=_page_number(page),
    )
    data = await operations.alerts_page(db, query)
    title = f"Alerts of pipeline {query.pipeline_id}" if query.pipeline_id else "Alerts"
    return render("alerts.html", title=title, section="alerts", data=data, now=now)


@router.get("/ui/diagnostics", response_class=HTMLResponse)
async def diagnostics_page(db: DatabaseDep, now: NowDep, settings: SettingsDep) -> HTMLResponse:
    """The database, the background jobs, the queues and this process."""
    data = await operations.diagnostics(db, settings, now)
    return render(
        "diagnostics.html", title="Diagnostics", section="diagnostics", data=data, now=now
    )


@router.get("/ui/lineage", response_class=HTMLResponse)
async def lineage_page(
    request: Request, db: DatabaseDep, now: NowDep, settings: SettingsDep
) -> HTMLResponse:
    """The lineage explorer: an address's graph, or what an address or a pipeline affects,
    with the health of what writes each address; `q` lists the addresses matching a name."""
    fields = ("address_id", "pipeline_id", "direction", "depth", "view")
    values = {name: request.query_params.get(name, "")[:MAX_QUERY_VALUE] for name in fields}
    search_text = request.query_params.get("q", "").strip()[:MAX_SEARCH_TEXT]
    context: dict[str, Any] = {
        "title": "Lineage",
        "section": "lineage",
        "meaning": MEANING,
        "now": now,
        "data": None,
        "search_text": search_text,
        "matches": await lineage.search(db, search_text, MAX_SEARCH_RESULTS)
        if search_text
        else None,
    }
    try:
        query = lineage.LineageQuery.parse(values)
    except lineage.BadQuery as error:
        return render("lineage.html", status_code=422, **context, error=str(error))
    if query.address_id is None and query.pipeline_id is None:
        return render("lineage.html", **context)
    max_nodes = settings.watcher_lineage_max_nodes
    try:
        if query.impact:
            data = await lineage.impact(db, now, query, max_nodes)
        else:
            max_depth = settings.watcher_lineage_max_depth
            data = await lineage.explore(db, now, query, max_depth, max_nodes)
    except NotFound as error:
        return not_found(str(error).removesuffix(" not found"))
    return render("lineage.html", **{**context, "data": data, "title": data.title})


@router.get("/ui/lineage/addresses")
async def lineage_address_search(
    db: DatabaseDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_SEARCH_TEXT)],
    limit: Annotated[int, Query(ge=1, le=MAX_SEARCH_RESULTS)] = 20,
) -> list[dict[str, Any]]:
    """Addresses whose name contains `q`, for the explorer's search as you type."""
    rows = await lineage.search(db, q, limit)
    return [{"id": row.id, "name": row.name, "type": row.type} for row in rows]


@router.get("/ui/login", response_class=HTMLResponse)
async def sign_in_form(
    request: Request, then: Annotated[str | None, Query(alias="next", max_length=2000)] = None
) -> Response:
    """The sign-in form (with auth off there is nothing to sign in to: the overview)."""
    if request.app.state.gate is None:
        return RedirectResponse(access.HOME, status_code=303)
    return access.sign_in_page(request, then=then)


@router.post("/ui/login", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    """Open a console session with a key's token; failures count towards the 429."""
    gate = request.app.state.gate
    if gate is None:
        return RedirectResponse(access.HOME, status_code=303)
    sent = parse_form((await request.body())[:MAX_FORM_BYTES])
    then = access.next_page(sent.get("next"))
    if not csrf.same_origin(request):
        return access.refused_page(403, "Form refused", "This form came from another site.")
    address = request.client.host if request.client else "unknown"
    if wait := gate.throttle.retry_after(address):
        message = f"Too many failed sign-ins from this address; retry in {wait} s."
        return access.refused_page(429, "Too many attempts", message, {"Retry-After": str(wait)})
    token = sent.get("token", "").strip()
    if not token:
        return access.sign_in_page(request, status=422, message="Paste a key's token.", then=then)
    key = await gate.verifier.by_token(token)
    if key is None:
        gate.throttle.failed(address)
        message = "This token is unknown, expired or revoked."
        return access.sign_in_page(request, status=401, message=message, then=then)
    response = RedirectResponse(then, status_code=303)
    gate.sessions.open(response, key.id, https=request.url.scheme == "https")
    return response


@router.post("/ui/logout")
async def sign_out(request: Request) -> Response:
    """End this browser's console session."""
    if not csrf.same_origin(request):
        return access.refused_page(403, "Form refused", "This form came from another site.")
    response = RedirectResponse(access.SIGN_IN, status_code=303)
    session.close(response)
    return response


@router.get("/ui/{path:path}", response_class=HTMLResponse)
async def unknown_page(path: str) -> HTMLResponse:
    """Any other address under /ui."""
    return not_found("such page")
