"""`napstack page --config FILE [--port N] [--passphrase TEXT] [--scenario FILE]`: the status page served on
127.0.0.1 from the same handler as deployed, through the emulated function URL, against the emulated world (moto,
the real state machines and handlers, IAM enforced), on a clock paced for a person: after a wake the page says
`starting` at once and, as the scenario's checks answer, `ready` within about twenty seconds.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TextIO

from napstack.config import NapstackConfig
from napstack.emulator.scenario import Scenario
from napstack.settings import STATUS_PAGE

MAX_REQUEST_BYTES = 64 * 1024  # a request body larger than any form of the page is refused (413)
SECONDS_PER_CHECK = 3.0  # real seconds a watchdog check interval takes on the page's clock


class PageError(Exception):
    """The page cannot be served (the base turns it off); the message says what to change."""


def pace_for(config: NapstackConfig) -> float:
    """Simulated seconds per real second: one watchdog interval every few seconds, whatever the interval."""
    return max(1.0, config.leaf.watchdog.interval_seconds / SECONDS_PER_CHECK)


def set_local_passphrase(emulator, passphrase: str) -> None:
    """The page function's passphrase hash for this run only: set on the emulated function, as a redeploy with
    StatusPage.PassphraseHash would; the config and its assembly are left as they are."""
    from napstack.function_modules import FUNCTIONS_DIR, load_function_module

    hashing = load_function_module("napstack_wake_passphrase", FUNCTIONS_DIR / STATUS_PAGE / "wake_passphrase.py")
    url = emulator.function_url(STATUS_PAGE)
    function = emulator.deployment.functions[url.function_name]
    function.environment = {**function.environment, "PASSPHRASE_HASH": hashing.make_hash(passphrase)}
    with emulator.emulators_own_calls():
        emulator.client("lambda").update_function_configuration(
            FunctionName=function.name, Environment={"Variables": function.environment})


def _handler_class(emulator, origin: str):
    class Handler(BaseHTTPRequestHandler):  # HTTP/1.0: one request a connection, none held open by a browser
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_REQUEST_BYTES:
                self.send_error(413, "request too large")
                return
            body = self.rfile.read(length) if length else b""
            response = emulator.open_url(STATUS_PAGE, self.command, self.path, dict(self.headers.items()), body,
                                         source_ip=self.client_address[0], served_at=origin, scheme="http")
            self.send_response(response.status)
            for name, value in response.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)

        do_GET = do_POST = do_HEAD = _serve

        def log_message(self, *args) -> None:  # the terminal shows the URL, not every request
            pass

    return Handler


def serve(config: NapstackConfig, port: int, passphrase: str | None, scenario: Scenario, out: TextIO,
          stop: threading.Event) -> None:
    """Serve until `stop` is set (the CLI sets it never: Ctrl-C or SIGTERM end the command, and the emulator's exit
    stops every execution)."""
    from napstack.emulator.world import Emulator

    if not config.base.status_page.enabled:
        raise PageError("the base turns the status page off (StatusPage.Enabled: false in its base.yaml)")
    with Emulator(config, scenario, pace=pace_for(config)) as emulator:
        if passphrase is not None:
            set_local_passphrase(emulator, passphrase)
        server = ThreadingHTTPServer(("127.0.0.1", port), _handler_class(emulator, ""))
        server.daemon_threads = True
        with server:
            host, bound = server.server_address[:2]
            server.RequestHandlerClass = _handler_class(emulator, f"{host}:{bound}")
            print(f"http://{host}:{bound}/", file=out, flush=True)
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
            thread.start()
            try:
                while not stop.wait(0.2):
                    pass
            finally:
                server.shutdown()
