"""The Jinja2 environment of the console and the filters its pages format values with."""

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

from watcher_server.auth.context import current_key
from watcher_server.auth.scopes import Scope

PACKAGE = Path(__file__).resolve().parent
STATIC_URL = "/ui/static"


def static_url(path: str) -> str:
    return f"{STATIC_URL}/{path}"


def duration(seconds: float | None) -> str:
    """`42 s`, `3 min 05 s`, `2 h 07 min`, `3 d 4 h`: two units at most."""
    if seconds is None:
        return "—"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def number(value: float | None, digits: int = 0) -> str:
    """Thousands separated by a thin space; `—` for nothing."""
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}" if digits or isinstance(value, float) else f"{value:,}"
    return text.replace(",", "\u202f")


def size(value: int | None) -> str:
    """A number of bytes in KiB, MiB or GiB."""
    if value is None:
        return "—"
    amount = float(value)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if amount < 1024 or unit == "GiB":
            return f"{amount:.0f} {unit}" if unit == "bytes" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} GiB"


def timestamp(moment: datetime | None) -> str:
    return "—" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def relative(moment: datetime, now: datetime) -> str:
    """`5 min ago`, `in 2 h 10 min`."""
    seconds = (moment - now).total_seconds()
    if abs(seconds) < 1:
        return "now"
    text = duration(abs(seconds))
    return f"in {text}" if seconds > 0 else f"{text} ago"


def moment(value: datetime | None, now: datetime) -> Markup:
    """A <time> element: relative to now, the exact UTC time as its title."""
    if value is None:
        return Markup("—")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        value.isoformat(), timestamp(value), relative(value, now)
    )


def can_write() -> bool:
    """Whether this request may use the console's actions (always, when auth is off)."""
    key = current_key.get()
    return key is None or key.scope.allows(Scope.WRITE)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(PACKAGE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(static=static_url, signed_in=current_key.get, can_write=can_write)
    env.filters.update(
        duration=duration,
        number=number,
        bytes=size,
        timestamp=timestamp,
        moment=moment,
        escape=escape,
    )
    return env


ENVIRONMENT = _environment()


def render(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page rendered from `template`; its context names the page's `title` and `section`."""
    context.setdefault("section", None)
    html = ENVIRONMENT.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code)
