"""The one HTTP transport (plugins/module_utils/http_transport.py) as both API families see it.

A stand-in server on 127.0.0.1 answers what a misconfigured URL really gets: a single-sign-on
login page with 200, a redirect to it, an error page that echoes the credential, silence.
Every case must end in the family's error naming the URL (and the content type), never in a
traceback, for the clients and for the modules.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.llmops.litellm.plugins.module_utils import grafana as g
from ansible_collections.llmops.litellm.plugins.module_utils.http_transport import HttpTransport
from ansible_collections.llmops.litellm.plugins.module_utils.litellm.client import (
    LiteLLMClient,
    LiteLLMError,
    token_hash,
)
from ansible_collections.llmops.litellm.plugins.modules import grafana_folder, litellm_team_info

MASTER_KEY = "sk-unit-http-master-key-0001"
LOGIN_PAGE = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body><form>SSO</form></body></html>"


class Handler(BaseHTTPRequestHandler):
    """/login: an SSO page (200 HTML); /echo: a 401 that echoes the Authorization header;
    /slow: answers after two seconds; /json: a JSON object; anything else redirects to /login."""

    def log_message(self, *args):
        pass

    def _send(self, status, body, content_type, extra=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _route(self):
        path = self.path.split("?")[0]
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if path.startswith("/login"):
            self._send(200, LOGIN_PAGE, "text/html; charset=utf-8")
        elif path.startswith("/echo"):
            body = "denied for %s (hash %s)" % (
                self.headers.get("Authorization"),
                token_hash(MASTER_KEY),
            )
            self._send(401, body.encode(), "text/plain")
        elif path.startswith("/slow"):
            time.sleep(2)
            self._send(200, b"{}", "application/json")
        elif path.startswith("/json"):
            self._send(200, b'{"ok": true}', "application/json")
        else:
            self._send(302, b"", "text/html", {"Location": "/login?next=" + path})

    do_GET = _route
    do_POST = _route


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that timed out on /slow has gone away; nothing to report


@pytest.fixture(scope="module")
def server():
    httpd = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%s" % httpd.server_address[1]
    httpd.shutdown()


def run(module, capsys, **args):
    args["_ansible_check_mode"] = False
    args["_ansible_diff"] = False
    with patch_module_args(args), pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)


# LiteLLM ----------------------------------------------------------------------------------


def test_litellm_login_page_is_a_clear_error(server):
    client = LiteLLMClient(server + "/login", MASTER_KEY, timeout=5)
    with pytest.raises(LiteLLMError) as raised:
        client.list_budgets()
    error = raised.value
    url = server + "/login/budget/list"
    assert error.message.startswith("GET %s answered HTTP 200 with a body that is not JSON" % url)
    assert "(Content-Type: text/html; charset=utf-8)" in error.message
    assert "login page" in error.message and "api_base (or LITELLM_API_BASE)" in error.message
    assert error.details() == {"method": "GET", "url": url, "status": 200, "body": LOGIN_PAGE.decode()}


def test_litellm_redirect_to_a_login_page_names_both_urls(server):
    client = LiteLLMClient(server, MASTER_KEY, timeout=5)
    with pytest.raises(LiteLLMError) as raised:
        client.list_budgets()
    assert "GET %s/budget/list (redirected to %s/login?next=/budget/list) answered HTTP 200" % (server, server) in str(
        raised.value
    )


def test_a_redirected_write_is_not_turned_into_a_get(server):
    client = LiteLLMClient(server, MASTER_KEY, timeout=5)
    with pytest.raises(LiteLLMError) as raised:
        client.new_team({"team_alias": "t"})
    assert raised.value.status == 302
    assert str(raised.value).startswith("POST %s/team/new returned HTTP 302" % server)


def test_litellm_error_body_never_shows_the_credential(server):
    client = LiteLLMClient(server + "/echo", MASTER_KEY, timeout=5)
    with pytest.raises(LiteLLMError) as raised:
        client.list_budgets()
    error = raised.value
    text = error.message + json.dumps(error.details())
    assert error.status == 401 and "Check master_key" in error.message
    assert MASTER_KEY not in text and token_hash(MASTER_KEY) not in text
    assert "denied for Bearer ********" in error.body


def test_litellm_timeout_names_the_url(server):
    client = LiteLLMClient(server + "/slow", MASTER_KEY, timeout=1, retries=0)
    with pytest.raises(LiteLLMError) as raised:
        client.list_budgets()
    assert raised.value.message.startswith("Timed out after 1s waiting for LiteLLM at %s/slow/budget/list" % server)
    assert raised.value.details() == {"method": "GET", "url": server + "/slow/budget/list"}


def test_litellm_module_fails_with_the_one_failure_shape(server, capsys):
    result = run(litellm_team_info, capsys, api_base=server + "/login", master_key=MASTER_KEY, timeout=5)
    assert result["failed"] is True
    assert "answered HTTP 200 with a body that is not JSON (Content-Type: text/html" in result["msg"]
    assert result["teams"] == []
    assert result["error"] == {
        "method": "GET",
        "url": server + "/login/v2/team/list?page=1&page_size=100&sort_by=team_id&sort_order=asc",
        "status": 200,
        "body": LOGIN_PAGE.decode(),
    }
    assert "Traceback" not in json.dumps(result)


# Grafana ----------------------------------------------------------------------------------


def test_grafana_login_page_is_a_clear_error(server):
    client = g.GrafanaClient(server + "/login", token="glsa_secret_token", timeout=5)
    with pytest.raises(g.GrafanaError) as raised:
        client.get_dashboard("x")
    error = raised.value
    url = server + "/login/api/dashboards/uid/x"
    assert error.message.startswith("GET %s answered HTTP 200 with a body that is not JSON" % url)
    assert "(Content-Type: text/html; charset=utf-8)" in error.message
    assert "grafana_url (or GRAFANA_URL)" in error.message
    assert error.details()["status"] == 200 and error.details()["url"] == url


def test_grafana_error_body_never_shows_the_password(server):
    client = g.GrafanaClient(server + "/echo", user="admin", password="pa55word-unit", timeout=5)
    with pytest.raises(g.GrafanaAPIError) as raised:
        client.list_folders()
    error = raised.value
    text = error.message + json.dumps(error.details())
    assert error.status == 401 and "grafana_user/grafana_password" in error.message
    assert "pa55word-unit" not in text
    assert "denied for Basic ********" in error.body


def test_grafana_module_fails_with_the_one_failure_shape(server, capsys):
    result = run(grafana_folder, capsys, grafana_url=server + "/login", grafana_token="tok-unit", uid="f", title="F")
    assert result["failed"] is True
    assert "answered HTTP 200 with a body that is not JSON (Content-Type: text/html" in result["msg"]
    assert result["uid"] == "f"
    assert result["error"]["url"] == server + "/login/api/folders/f"
    assert result["error"]["status"] == 200
    assert "Traceback" not in json.dumps(result)


# Transport --------------------------------------------------------------------------------


def test_json_answers_are_decoded_and_empty_ones_are_none(server):
    http = HttpTransport("Stand-in", timeout=5)
    assert http.decode(http.send("GET", server + "/json")) == {"ok": True}
    assert http.decode(http.send("POST", server + "/json", body={"a": 1})) == {"ok": True}


def test_excerpts_are_short_single_lines():
    http = HttpTransport("Stand-in", secrets=("s3cr3t",))
    excerpt = http.excerpt(b"line one\n  line two s3cr3t " + b"x" * 500)
    assert excerpt.startswith("line one line two ******** x")
    assert len(excerpt) == 300 and excerpt.endswith("...")


def test_an_unreachable_server_names_the_url_and_the_option():
    http = HttpTransport("Stand-in", timeout=5, location_hint="Check base_url.")
    with pytest.raises(Exception) as raised:
        http.send("GET", "http://127.0.0.1:9/x")
    assert str(raised.value).startswith("Cannot reach Stand-in at http://127.0.0.1:9/x: ")
    assert str(raised.value).endswith("Check base_url.")
    assert raised.value.details() == {"method": "GET", "url": "http://127.0.0.1:9/x"}
