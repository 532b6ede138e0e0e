"""The console's pages about access: the sign-in form and the refusals."""

from starlette.requests import Request
from starlette.responses import HTMLResponse

from watcher_server.ui.templating import render

# Where a sign-in may send the browser afterwards: a console page, never another site.
HOME = "/ui"
SIGN_IN = "/ui/login"
SIGN_OUT = "/ui/logout"


def next_page(path: str | None) -> str:
    """`path` when it is a console page of this site (other than signing in or out), else the
    overview."""
    if not path or "//" in path or path.split("?")[0] in (SIGN_IN, SIGN_OUT):
        return HOME
    return path if path == HOME or path.startswith(HOME + "/") else HOME


def sign_in_page(
    request: Request, *, status: int = 200, message: str | None = None, then: str | None = None
) -> HTMLResponse:
    """The sign-in form; by default it leads back to the page that was asked for."""
    if then is None:  # back to the page asked for; after a refused form, to the overview
        query = request.url.query
        then = (
            request.url.path + (f"?{query}" if query else "") if request.method == "GET" else HOME
        )
    response = render(
        "login.html",
        status_code=status,
        title="Sign in",
        message=message,
        then=next_page(then),
    )
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def refused_page(
    status: int, title: str, message: str, headers: dict[str, str] | None = None
) -> HTMLResponse:
    response = render("not_found.html", status_code=status, title=title, message=message)
    response.headers.update(headers or {})
    return response
