"""Whether keys are required: WATCHER_AUTH, else what the listening address implies."""

import ipaddress

from watcher_server.settings import Settings


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach `host` (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to anything


def resolved_for_host(settings: Settings, host: str) -> Settings:
    """`settings` with WATCHER_AUTH decided: as set, else off on loopback, required otherwise."""
    if settings.watcher_auth is not None:
        return settings
    mode = "off" if is_loopback(host) else "required"
    return settings.model_copy(update={"watcher_auth": mode})


def auth_required(settings: Settings) -> bool:
    """Unset counts as off: only `watcher serve` knows the address that decides it."""
    return settings.watcher_auth == "required"
