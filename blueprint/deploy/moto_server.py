"""moto server for the `local` emulator, with its requests handled one at a time.

    python -m blueprint.deploy.moto_server -H 127.0.0.1 -p 5055

Exactly moto's own server (``moto.server.main``: the same WSGI application, request handler and threaded
werkzeug server), with one difference: the application runs under a lock. moto's backends are plain
dictionaries without locks, and a threaded server lets two requests meet in them. Under load (a
terraform apply with many resources in flight on a busy machine) one request iterates a dictionary while
another inserts into it -- ``RuntimeError: dictionary changed size during iteration`` in, e.g.,
``IAMBackend.get_role`` -- and moto answers HTTP 500 for a request it may already have carried out. The
provider retries, and the retry of a create meets its own earlier success (``EntityAlreadyExists``,
``NetworkAclEntryAlreadyExists``): a failed apply whose resource exists in the emulator but not in the
state, which no re-apply repairs. Serialising the application removes the race at its source and costs
nothing measurable: moto is pure Python, so its requests never ran in parallel under the GIL anyway;
reading requests and writing responses still happen in parallel, outside the lock.

Exempt from the lock: SQS ``ReceiveMessage`` (moto long-polls inside the request, up to
``WaitTimeSeconds``, which under the lock would stop the emulator for that long).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _long_poll(environ: dict[str, Any]) -> bool:
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    query = str(environ.get("QUERY_STRING", ""))
    return target.endswith(".ReceiveMessage") or "Action=ReceiveMessage" in query


def serialized(app: WSGIApp) -> WSGIApp:
    """``app`` run under one lock (the response body is read while holding it)."""
    lock = threading.Lock()

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if _long_poll(environ):
            return app(environ, start_response)
        with lock:
            result = app(environ, start_response)
            try:
                return list(result)
            finally:
                close = getattr(result, "close", None)
                if callable(close):
                    close()

    return application


def main(argv: Sequence[str] | None = None) -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import run_simple

    parser = argparse.ArgumentParser(prog="python -m blueprint.deploy.moto_server", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args(argv)
    import os

    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds its own URLs from it (as moto_server does)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True  # type: ignore[attr-defined]  # as moto_server: errors are logged with their traceback
    run_simple(args.host, args.port, serialized(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
