"""Debian's Chromium as the browser tests and the console benchmark start it: headless, no
network of its own (no updates, sync or QUIC), no GPU. Playwright drives it through
`executable_path`; its own browser download cannot work here and is never used."""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
