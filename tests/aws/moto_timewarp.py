"""moto_server whose SQS clock a test can move forward.

The TaskQueue contract suite runs on a FakeClock that it advances (a lease of 10 s expires by
Advance(11 s)); moto's SQS reads the wall clock. This launcher starts moto's server as
`moto_server -H HOST -p PORT` does, with the time functions moto's SQS models use
(moto.sqs.models.unix_time and unix_time_millis: visibility, delays, sent and first-receive
timestamps, retention, the 12-hour visibility cap) returning the wall clock plus an offset,
and one route of its own:

  POST /spotbatch-test/advance?millis=N   moves that clock N >= 0 milliseconds forward;
                                          answers {"offset_millis": <total>}

Time still flows with the wall clock as well, so long polling (which waits in real time)
keeps working; only SQS is warped, every other service sees the real time.
"""

import argparse
import json
import threading
import time

import moto.sqs.models as sqs_models
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

_lock = threading.Lock()
_offset_millis = 0


def _offset_seconds():
    with _lock:
        return _offset_millis / 1000.0


def _unix_time(dt=None):
    if dt is not None:  # a given time is converted, not warped
        return _real_unix_time(dt)
    return time.time() + _offset_seconds()


def _unix_time_millis(dt=None):
    if dt is not None:
        return _real_unix_time_millis(dt)
    return _unix_time() * 1000.0


_real_unix_time = sqs_models.unix_time
_real_unix_time_millis = sqs_models.unix_time_millis
sqs_models.unix_time = _unix_time
sqs_models.unix_time_millis = _unix_time_millis


class TimewarpMiddleware:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != "/spotbatch-test/advance":
            return self.app(environ, start_response)
        global _offset_millis
        status, body = "200 OK", None
        if environ.get("REQUEST_METHOD") != "POST":
            status, body = "405 Method Not Allowed", {"error": "POST only"}
        else:
            query = dict(
                part.split("=", 1) for part in environ.get("QUERY_STRING", "").split("&") if "=" in part
            )
            try:
                millis = int(query.get("millis", ""))
                if millis < 0:
                    raise ValueError
            except ValueError:
                status, body = "400 Bad Request", {"error": "millis must be an integer >= 0"}
            else:
                with _lock:
                    _offset_millis += millis
                    body = {"offset_millis": _offset_millis}
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=0)
    parser.add_argument("--one-request-at-a-time", action="store_true")
    args = parser.parse_args()
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, TimewarpMiddleware(app),
               threaded=not args.one_request_at_a_time)


if __name__ == "__main__":
    main()
