"""``newsletter subscribers serve``: run the list service with uvicorn on one address."""

from __future__ import annotations

import logging
from pathlib import Path

from newsletter.subscribers.service import create_app
from newsletter.subscribers.settings import load_settings

log = logging.getLogger(__name__)


def serve(content_dir: Path, state_dir: Path, host: str, port: int, url: str | None = None) -> None:
    """Load the settings, open the store and serve until interrupted."""
    import uvicorn

    from newsletter.subscribers.store import Store

    settings = load_settings(content_dir)
    store = Store.open(state_dir, url)
    try:
        app = create_app(settings, store)
        log.info("list service on http://%s:%d (public %s)", host, port, settings.base_url)
        # proxy_headers=False: uvicorn would trust X-Forwarded-For from 127.0.0.1 by default;
        # the app reads it only from the configured trusted_proxies (AccessLog).
        uvicorn.run(
            app,
            host=host,
            port=port,
            proxy_headers=False,
            server_header=False,
            access_log=False,
            log_config=None,
        )
    finally:
        store.close()
