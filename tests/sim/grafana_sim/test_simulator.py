"""The simulator behaves as the Grafana sources and docs named in README.md say Grafana does."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

import pytest

from grafana_sim import GrafanaSimulator

AUTH = "Basic " + base64.b64encode(b"admin:pw").decode()


@pytest.fixture
def sim():
    with GrafanaSimulator(users={"admin": "pw"}, tokens=("tok",)) as simulator:
        yield simulator


def call(sim, method, path, body=None, auth=AUTH):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(sim.url + path, data=data, method=method)
    if auth:
        request.add_header("Authorization", auth)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def save(sim, dashboard, folder_uid="", overwrite=False):
    return call(
        sim, "POST", "/api/dashboards/db", {"dashboard": dashboard, "folderUid": folder_uid, "overwrite": overwrite}
    )


def test_auth_errors_have_grafana_shape(sim):
    assert call(sim, "GET", "/api/health", auth=None)[0] == 200
    status, body = call(sim, "GET", "/api/search", auth=None)
    assert status == 401 and body["messageId"] == "auth.unauthorized" and body["statusCode"] == 401
    assert call(sim, "GET", "/api/search", auth="Bearer nope")[1]["message"] == "Invalid API key"
    wrong = "Basic " + base64.b64encode(b"admin:no").decode()
    assert call(sim, "GET", "/api/search", auth=wrong)[1]["messageId"] == "password-auth.failed"
    assert call(sim, "GET", "/api/search", auth="Bearer tok")[0] == 200


def test_versions_increment_and_stale_versions_are_refused(sim):
    assert save(sim, {"uid": "d", "title": "D", "version": 17})[1]["version"] == 1
    assert save(sim, {"uid": "d", "title": "D", "version": 1})[1]["version"] == 2
    status, body = save(sim, {"uid": "d", "title": "D", "version": 1})
    assert (status, body["status"]) == (412, "version-mismatch")
    assert save(sim, {"uid": "d", "title": "D"}, overwrite=True)[1]["version"] == 3
    meta = call(sim, "GET", "/api/dashboards/uid/d")[1]["meta"]
    assert (meta["version"], meta["folderUid"]) == (3, "")


def test_same_title_in_a_folder(sim):
    call(sim, "POST", "/api/folders", {"uid": "f", "title": "F"})
    save(sim, {"uid": "a", "title": "Same Title"}, "f")
    status, body = save(sim, {"uid": "b", "title": "same-title"}, "f")
    assert (status, body["status"]) == (412, "name-exists")
    assert save(sim, {"uid": "b", "title": "Same Title"})[0] == 200  # another folder (root) is fine
    # overwrite=true takes the other dashboard over, keeping its uid (database.go).
    taken = save(sim, {"uid": "c", "title": "Same Title"}, "f", overwrite=True)[1]
    assert taken["uid"] == "a" and taken["version"] == 2


def test_uid_rules(sim):
    assert save(sim, {"uid": "x" * 41, "title": "T"})[1]["message"] == "uid too long, max 40 characters"
    assert save(sim, {"uid": "a b", "title": "T"})[1]["message"] == "uid contains illegal characters"
    assert save(sim, {"uid": "ok", "title": " "})[1]["status"] == "empty-name"
    assert save(sim, {"uid": "ok", "title": "T"}, "missing")[1]["message"] == "folder not found"
    generated = save(sim, {"title": "No uid"})[1]["uid"]
    assert generated and len(generated) <= 40


def test_nested_folders_move_and_delete(sim):
    assert call(sim, "POST", "/api/folders", {"uid": "a", "title": "A"})[0] == 200
    call(sim, "POST", "/api/folders", {"uid": "b", "title": "B", "parentUid": "a"})
    call(sim, "POST", "/api/folders", {"uid": "c", "title": "C", "parentUid": "b"})
    assert [p["uid"] for p in call(sim, "GET", "/api/folders/c")[1]["parents"]] == ["a", "b"]
    assert call(sim, "POST", "/api/folders", {"uid": "b2", "title": "B", "parentUid": "a"})[0] == 409
    assert call(sim, "POST", "/api/folders", {"uid": "b", "title": "Other"})[0] == 409
    assert call(sim, "POST", "/api/folders/a/move", {"parentUid": "c"})[1]["messageId"] == "folder.circular-reference"
    call(sim, "POST", "/api/folders", {"uid": "d", "title": "D", "parentUid": "c"})
    too_deep = call(sim, "POST", "/api/folders", {"title": "E", "parentUid": "d"})
    assert too_deep[1]["messageId"] == "folder.maximum-depth-reached"
    assert [f["uid"] for f in call(sim, "GET", "/api/folders?parentUid=a")[1]] == ["b"]
    status, body = call(sim, "PUT", "/api/folders/b", {"title": "B2", "version": 7})
    assert (status, body["status"]) == (412, "version-mismatch")
    assert call(sim, "PUT", "/api/folders/b", {"title": "B2", "version": 1})[1]["version"] == 2
    save(sim, {"uid": "inside", "title": "Inside"}, "c")
    assert call(sim, "DELETE", "/api/folders/a")[0] == 200
    assert call(sim, "GET", "/api/dashboards/uid/inside")[0] == 404
    assert call(sim, "GET", "/api/folders/c")[0] == 404


def test_datasource_secrets_are_write_only(sim):
    created = call(
        sim,
        "POST",
        "/api/datasources",
        {
            "name": "P",
            "type": "prometheus",
            "uid": "p",
            "url": "http://p",
            "secureJsonData": {"token": "s3cret"},
        },
    )[1]
    assert created["datasource"]["secureJsonFields"] == {"token": True}
    for path in ("/api/datasources/uid/p", "/api/datasources/name/P", "/api/datasources"):
        assert "s3cret" not in json.dumps(call(sim, "GET", path)[1])
    assert call(sim, "POST", "/api/datasources", {"name": "P", "type": "prometheus"})[0] == 409
    updated = call(
        sim, "PUT", "/api/datasources/uid/p", {"name": "P", "type": "prometheus", "url": "http://q", "version": 1}
    )
    assert updated[1]["datasource"]["secureJsonFields"] == {"token": True}  # kept when not sent
    stale = call(sim, "PUT", "/api/datasources/uid/p", {"name": "P", "type": "prometheus", "version": 1})
    assert stale[0] == 409
    assert call(sim, "GET", "/api/datasources/uid/nope")[1] == {"message": "Data source not found"}


def test_write_requests_are_counted(sim):
    call(sim, "GET", "/api/search")
    save(sim, {"uid": "a", "title": "A"})
    save(sim, {"uid": "a", "title": "A", "version": 0})  # refused: still a write request
    call(sim, "POST", "/api/dashboards/db", {"dashboard": {"uid": "b", "title": "B"}}, auth=None)
    stats = call(sim, "GET", "/_sim/stats", auth=None)[1]
    assert (stats["writes"], stats["writes_ok"]) == (3, 1)
    assert stats["by_route"] == {"POST /api/dashboards/db": 3}
