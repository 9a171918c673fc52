"""In-memory simulator of the parts of the Grafana 11/12 HTTP API that the grafana_* modules rely on.

Every behaviour names the Grafana source file or documentation page it mirrors (see README.md beside
this file for the table). The simulator is only a stand-in where Grafana cannot run: the same
integration suite runs against a real Grafana when GRAFANA_URL and credentials are set.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

GRAFANA_VERSION = "11.6.1"

# pkg/util/shortid_generator.go: validUIDPattern and IsShortUIDTooLong (40).
UID_PATTERN = re.compile(r"^[a-zA-Z0-9\-_]*$")
UID_MAX_LENGTH = 40
# pkg/services/folder/model.go: MaxNestedFolderDepth.
MAX_FOLDER_DEPTH = 4


class ApiError(Exception):
    def __init__(self, status: int, body: dict):
        super().__init__(body.get("message"))
        self.status = status
        self.body = body


def error(status: int, message: str, grafana_status: str | None = None) -> ApiError:
    """pkg/api/response: response.Error gives {"message"}; DashboardErr.Body adds "status"."""
    body = {"message": message}
    if grafana_status:
        body["status"] = grafana_status
    return ApiError(status, body)


def public_error(status: int, message_id: str, message: str) -> ApiError:
    """pkg/apimachinery/errutil PublicError JSON: what authn failures look like since Grafana 10."""
    return ApiError(status, {"message": message, "messageId": message_id, "statusCode": status, "traceID": ""})


def slugify(title: str) -> str:
    """pkg/infra/slugify: lower case, runs of other characters become one '-'."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_uid() -> str:
    return "s" + uuid.uuid4().hex[:13]


def check_uid(uid: str) -> None:
    """pkg/services/dashboards/errors.go: ErrDashboardInvalidUid, ErrDashboardUidTooLong (400)."""
    if not UID_PATTERN.match(uid):
        raise error(400, "uid contains illegal characters")
    if len(uid) > UID_MAX_LENGTH:
        raise error(400, "uid too long, max 40 characters")


class SimState:
    """Everything Grafana would keep in its database, for one organisation."""

    def __init__(self, unique_titles: bool = True):
        self.lock = threading.RLock()
        self.unique_titles = unique_titles
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.dashboards: dict[str, dict] = {}
            self.folders: dict[str, dict] = {}
            self.datasources: dict[str, dict] = {}
            self.gcom: dict[tuple[int, int], bytes] = {}
            self.next_id = 1
            self.requests = 0
            self.writes = 0
            self.writes_ok = 0
            self.gcom_downloads = 0
            self.by_route: dict[str, int] = {}

    def allocate_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def stats(self) -> dict:
        with self.lock:
            return {
                "requests": self.requests,
                "writes": self.writes,
                "writes_ok": self.writes_ok,
                "gcom_downloads": self.gcom_downloads,
                "by_route": dict(self.by_route),
            }

    # Folders ----------------------------------------------------------------------------------

    def folder_or_404(self, uid: str) -> dict:
        folder = self.folders.get(uid)
        if folder is None:
            raise error(404, "folder not found")
        return folder

    def parents(self, folder: dict) -> list[dict]:
        chain = []
        parent = folder.get("parentUid")
        while parent:
            node = self.folders[parent]
            chain.insert(0, node)
            parent = node.get("parentUid")
        return chain

    def folder_dto(self, folder: dict) -> dict:
        """docs/sources/developers/http_api/folder.md: folder object; parentUid/parents when nested."""
        dto = {
            "id": folder["id"],
            "uid": folder["uid"],
            "title": folder["title"],
            "url": "/dashboards/f/%s/%s" % (folder["uid"], slugify(folder["title"])),
            "hasAcl": False,
            "canSave": True,
            "canEdit": True,
            "canAdmin": True,
            "canDelete": True,
            "createdBy": "admin",
            "created": folder["created"],
            "updatedBy": "admin",
            "updated": folder["updated"],
            "version": folder["version"],
        }
        if folder.get("parentUid"):
            dto["parentUid"] = folder["parentUid"]
            dto["parents"] = [
                {"id": p["id"], "uid": p["uid"], "title": p["title"], "url": "/dashboards/f/%s/" % p["uid"]}
                for p in self.parents(folder)
            ]
        return dto

    def sibling_with_title(self, parent_uid: str | None, title: str, exclude: str | None = None) -> dict | None:
        for folder in self.folders.values():
            if folder.get("parentUid") == parent_uid and folder["title"] == title and folder["uid"] != exclude:
                return folder
        return None

    def depth(self, uid: str | None) -> int:
        return 0 if not uid else 1 + len(self.parents(self.folders[uid]))

    def subtree(self, uid: str) -> list[str]:
        found = [uid]
        for child in [f["uid"] for f in self.folders.values() if f.get("parentUid") == uid]:
            found.extend(self.subtree(child))
        return found

    # Dashboards -------------------------------------------------------------------------------

    def dashboard_or_404(self, uid: str) -> dict:
        dash = self.dashboards.get(uid)
        if dash is None:
            # pkg/services/dashboards/errors.go: ErrDashboardNotFound has status "not-found".
            raise error(404, "Dashboard not found", "not-found")
        return dash

    def dashboard_by_id(self, dash_id: int) -> dict | None:
        for dash in self.dashboards.values():
            if dash["id"] == dash_id:
                return dash
        return None

    def folder_uid_from_body(self, body: dict) -> str:
        folder_uid = body.get("folderUid")
        if folder_uid is None and body.get("folderId"):
            matches = [f for f in self.folders.values() if f["id"] == body["folderId"]]
            if not matches:
                raise error(400, "folder not found")
            folder_uid = matches[0]["uid"]
        return folder_uid or ""

    def save_dashboard(self, body: dict) -> dict:
        """pkg/api/dashboard.go PostDashboard + pkg/services/dashboards/database/database.go.

        Order of checks: folder exists, title, uid rules, id/uid lookup, version (412
        version-mismatch unless overwrite), same slug in the same folder (412 name-exists unless
        overwrite, in which case Grafana takes over the other dashboard's id and uid).
        """
        dash = body.get("dashboard")
        if not isinstance(dash, dict):
            raise error(400, "bad request data")
        dash = copy.deepcopy(dash)
        overwrite = bool(body.get("overwrite"))
        folder_uid = self.folder_uid_from_body(body)
        if folder_uid and folder_uid not in self.folders:
            # pkg/api/apierrors/dashboard.go: ErrFolderNotFound -> 400.
            raise error(400, "folder not found")
        title = dash.get("title")
        if not isinstance(title, str) or not title.strip():
            raise error(400, "Dashboard title cannot be empty", "empty-name")
        uid = dash.get("uid") or ""
        if not isinstance(uid, str):
            raise error(400, "bad request data")
        check_uid(uid)
        existing = self.existing_for_update(dash, uid, overwrite)
        same_title = self.same_title_in_folder(title, folder_uid, existing)
        if same_title is not None:
            if not overwrite:
                raise error(412, "A dashboard with the same name in the folder already exists", "name-exists")
            existing = same_title
            uid = same_title["uid"]
        return self.store_dashboard(dash, uid, folder_uid, existing, body.get("message"))

    def existing_for_update(self, dash: dict, uid: str, overwrite: bool) -> dict | None:
        """database.go getExistingDashboardByIDOrUIDForUpdate."""
        by_id = None
        if dash.get("id"):
            by_id = self.dashboard_by_id(dash["id"])
            if by_id is None:
                raise error(404, "Dashboard not found", "not-found")
        by_uid = self.dashboards.get(uid) if uid else None
        if by_id is not None and by_uid is not None and by_id["id"] != by_uid["id"]:
            raise error(400, "A dashboard with the same uid already exists")
        existing = by_id or by_uid
        if existing is not None and (dash.get("version") or 0) != existing["version"] and not overwrite:
            raise error(412, "The dashboard has been changed by someone else", "version-mismatch")
        return existing

    def same_title_in_folder(self, title: str, folder_uid: str, existing: dict | None) -> dict | None:
        """database.go getExistingDashboardByTitleAndFolder (Grafana 11: titles unique per folder)."""
        if not self.unique_titles:
            return None
        slug = slugify(title)
        for other in self.dashboards.values():
            same_place = other["folder_uid"] == folder_uid and other["slug"] == slug
            if same_place and (existing is None or other["id"] != existing["id"]):
                return other
        return None

    def store_dashboard(self, dash: dict, uid: str, folder_uid: str, existing: dict | None, message: Any) -> dict:
        stamp = now()
        if existing is None:
            uid = uid or new_uid()
            record = {"id": self.allocate_id(), "uid": uid, "version": 1, "created": stamp}
        else:
            record = existing
            if record["uid"] != uid:
                del self.dashboards[record["uid"]]
                record["uid"] = uid
            record["version"] += 1
        dash.update({"id": record["id"], "uid": uid, "version": record["version"]})
        record.update(
            {
                "data": dash,
                "folder_uid": folder_uid,
                "slug": slugify(dash["title"]),
                "updated": stamp,
                "message": message or "",
            }
        )
        self.dashboards[uid] = record
        return {
            "id": record["id"],
            "uid": uid,
            "url": "/d/%s/%s" % (uid, record["slug"]),
            "status": "success",
            "version": record["version"],
            "slug": record["slug"],
            "folderUid": folder_uid,
        }

    def dashboard_dto(self, dash: dict) -> dict:
        """docs/sources/developers/http_api/dashboard.md: Get dashboard by uid (meta.folderUid, meta.version)."""
        folder = self.folders.get(dash["folder_uid"])
        return {
            "dashboard": copy.deepcopy(dash["data"]),
            "meta": {
                "type": "db",
                "canSave": True,
                "canEdit": True,
                "canAdmin": True,
                "canStar": True,
                "canDelete": True,
                "slug": dash["slug"],
                "url": "/d/%s/%s" % (dash["uid"], dash["slug"]),
                "expires": "0001-01-01T00:00:00Z",
                "created": dash["created"],
                "updated": dash["updated"],
                "updatedBy": "admin",
                "createdBy": "admin",
                "version": dash["version"],
                "hasAcl": False,
                "isFolder": False,
                "folderId": folder["id"] if folder else 0,
                "folderUid": dash["folder_uid"],
                "folderTitle": folder["title"] if folder else "Dashboards",
                "folderUrl": "/dashboards/f/%s/" % dash["folder_uid"] if folder else "",
                "provisioned": False,
                "provisionedExternalId": "",
            },
        }

    # Datasources ------------------------------------------------------------------------------

    def datasource_dto(self, ds: dict) -> dict:
        """docs/sources/developers/http_api/data_source.md: secureJsonData is never returned,
        only secureJsonFields (name -> true)."""
        dto = {key: copy.deepcopy(value) for key, value in ds.items() if key != "secureJsonData"}
        dto["secureJsonFields"] = dict.fromkeys(ds.get("secureJsonData", {}), True)
        return dto

    def datasource_named(self, name: str) -> dict | None:
        for ds in self.datasources.values():
            if ds["name"] == name:
                return ds
        return None

    def make_default(self, uid: str) -> None:
        """Only one default datasource per organisation (pkg/services/datasources/service/store.go)."""
        for other in self.datasources.values():
            if other["uid"] != uid:
                other["isDefault"] = False


class Handler(BaseHTTPRequestHandler):
    server_version = "Grafana"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    ROUTES = [
        ("GET", r"/api/health", "health", False),
        ("GET", r"/api/search", "search", True),
        ("GET", r"/api/user", "current_user", True),
        ("POST", r"/api/dashboards/db", "post_dashboard", True),
        ("GET", r"/api/dashboards/uid/(?P<uid>[^/]+)", "get_dashboard", True),
        ("DELETE", r"/api/dashboards/uid/(?P<uid>[^/]+)", "delete_dashboard", True),
        ("GET", r"/api/folders", "list_folders", True),
        ("POST", r"/api/folders", "create_folder", True),
        ("GET", r"/api/folders/(?P<uid>[^/]+)", "get_folder", True),
        ("PUT", r"/api/folders/(?P<uid>[^/]+)", "update_folder", True),
        ("DELETE", r"/api/folders/(?P<uid>[^/]+)", "delete_folder", True),
        ("POST", r"/api/folders/(?P<uid>[^/]+)/move", "move_folder", True),
        ("GET", r"/api/datasources", "list_datasources", True),
        ("POST", r"/api/datasources", "create_datasource", True),
        ("GET", r"/api/datasources/uid/(?P<uid>[^/]+)", "get_datasource_uid", True),
        ("GET", r"/api/datasources/name/(?P<name>[^/]+)", "get_datasource_name", True),
        ("PUT", r"/api/datasources/uid/(?P<uid>[^/]+)", "update_datasource", True),
        ("DELETE", r"/api/datasources/uid/(?P<uid>[^/]+)", "delete_datasource", True),
        ("GET", r"/_gcom/api/dashboards/(?P<gid>\d+)/revisions/(?P<rev>\d+)/download", "gcom_download", False),
        ("GET", r"/_sim/stats", "sim_stats", False),
        ("POST", r"/_sim/reset", "sim_reset", False),
        ("PUT", r"/_sim/admin-password", "sim_admin_password", False),
    ]

    def log_message(self, fmt, *args):  # keep test output clean
        return

    @property
    def state(self) -> SimState:
        return self.server.state  # type: ignore[attr-defined]

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        self.query = parse_qs(parts.query)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        is_api_write = method != "GET" and path.startswith("/api/")
        with self.state.lock:
            self.state.requests += 1
            if is_api_write:
                self.state.writes += 1
                route_key = "%s %s" % (method, path)
                self.state.by_route[route_key] = self.state.by_route.get(route_key, 0) + 1
        try:
            handler, params, needs_auth = self.route(method, path)
            if needs_auth:
                self.authenticate()
            body = self.parse_body(raw) if method in ("POST", "PUT") else None
            with self.state.lock:
                status, payload = handler(body=body, **params)
                if is_api_write and status < 400:
                    self.state.writes_ok += 1
        except ApiError as exc:
            status, payload = exc.status, exc.body
        self.reply(status, payload)

    def route(self, method: str, path: str):
        allowed = False
        for verb, pattern, name, needs_auth in self.ROUTES:
            match = re.fullmatch(pattern, path)
            if match:
                allowed = True
                if verb == method:
                    params = {k: unquote(v) for k, v in match.groupdict().items()}
                    return getattr(self, name), params, needs_auth
        if allowed:
            raise error(405, "Method Not Allowed")
        raise error(404, "Not found")

    def authenticate(self) -> None:
        """pkg/services/authn/clients: api_key.go (Bearer) and password.go (basic auth) failures."""
        header = self.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            if header[len("Bearer ") :] not in self.server.tokens:  # type: ignore[attr-defined]
                raise public_error(401, "api-key.invalid", "Invalid API key")
            return
        if header.startswith("Basic "):
            try:
                user, _colon, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
            except ValueError:
                raise public_error(401, "password-auth.failed", "Invalid username or password") from None
            if self.server.users.get(user) != password:  # type: ignore[attr-defined]
                raise public_error(401, "password-auth.failed", "Invalid username or password")
            return
        raise public_error(401, "auth.unauthorized", "Unauthorized")

    def parse_body(self, raw: bytes) -> Any:
        """pkg/api/dashboard.go et al.: web.Bind failure -> 400 "bad request data"."""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            raise error(400, "bad request data") from None

    def reply(self, status: int, payload: Any) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def query_list(self, name: str) -> list[str]:
        return self.query.get(name, [])

    def query_one(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    # Handlers ---------------------------------------------------------------------------------

    def health(self, body):
        """docs/sources/developers/http_api/other.md: /api/health needs no authentication."""
        return 200, {"commit": "simulator", "database": "ok", "version": GRAFANA_VERSION}

    def current_user(self, body):
        """docs/sources/developers/http_api/user.md: Actual user (GET /api/user)."""
        header = self.headers.get("Authorization", "")
        login = base64.b64decode(header[6:]).decode("utf-8").partition(":")[0] if header.startswith("Basic ") else "sa"
        return 200, {"id": 1, "login": login, "email": "%s@localhost" % login, "name": login, "isGrafanaAdmin": True}

    def search(self, body):
        """docs/sources/developers/http_api/folder_dashboard_search.md (type, query, folderUIDs, dashboardUIDs)."""
        kind = self.query_one("type")
        text = (self.query_one("query") or "").lower()
        folder_uids = set(self.query_list("folderUIDs"))
        dashboard_uids = set(self.query_list("dashboardUIDs"))
        hits = []
        if kind in (None, "dash-folder"):
            for folder in self.state.folders.values():
                if text in folder["title"].lower() and (not folder_uids or folder.get("parentUid", "") in folder_uids):
                    hits.append(
                        {
                            "id": folder["id"],
                            "uid": folder["uid"],
                            "title": folder["title"],
                            "type": "dash-folder",
                            "url": "/dashboards/f/%s/" % folder["uid"],
                            "tags": [],
                        }
                    )
        if kind in (None, "dash-db"):
            for dash in self.state.dashboards.values():
                if text not in dash["data"]["title"].lower():
                    continue
                if folder_uids and dash["folder_uid"] not in folder_uids:
                    continue
                if dashboard_uids and dash["uid"] not in dashboard_uids:
                    continue
                folder = self.state.folders.get(dash["folder_uid"])
                hit = {
                    "id": dash["id"],
                    "uid": dash["uid"],
                    "title": dash["data"]["title"],
                    "type": "dash-db",
                    "url": "/d/%s/%s" % (dash["uid"], dash["slug"]),
                    "tags": dash["data"].get("tags", []),
                }
                if folder:
                    hit.update({"folderUid": folder["uid"], "folderTitle": folder["title"], "folderId": folder["id"]})
                hits.append(hit)
        limit = int(self.query_one("limit", "1000"))
        return 200, sorted(hits, key=lambda h: h["title"].lower())[:limit]

    def post_dashboard(self, body):
        return 200, self.state.save_dashboard(body)

    def get_dashboard(self, body, uid):
        return 200, self.state.dashboard_dto(self.state.dashboard_or_404(uid))

    def delete_dashboard(self, body, uid):
        """docs/sources/developers/http_api/dashboard.md: Delete dashboard by uid."""
        dash = self.state.dashboard_or_404(uid)
        del self.state.dashboards[uid]
        title = dash["data"]["title"]
        return 200, {"title": title, "message": "Dashboard %s deleted" % title, "id": dash["id"], "uid": uid}

    def list_folders(self, body):
        """folder.md: Get all folders; immediate children of parentUid (root when absent); limit/page."""
        parent = self.query_one("parentUid") or None
        if parent and parent not in self.state.folders:
            raise error(404, "folder not found")
        limit = int(self.query_one("limit", "1000"))
        page = int(self.query_one("page", "1"))
        children = sorted(
            (f for f in self.state.folders.values() if f.get("parentUid") == parent), key=lambda f: f["title"].lower()
        )
        window = children[(page - 1) * limit : page * limit]
        result = []
        for folder in window:
            item = {"id": folder["id"], "uid": folder["uid"], "title": folder["title"]}
            if folder.get("parentUid"):
                item["parentUid"] = folder["parentUid"]
            result.append(item)
        return 200, result

    def create_folder(self, body):
        """folder.md: Create folder; 409 on a uid or a sibling title that exists (pkg/api/folder_test.go
        expects ErrFolderWithSameUIDExists and ErrFolderSameNameExists -> 409); nested depth limited."""
        title = body.get("title")
        if not isinstance(title, str) or not title.strip():
            raise error(400, "folder title cannot be empty")
        uid = body.get("uid") or ""
        check_uid(uid)
        parent = body.get("parentUid") or None
        if parent:
            self.state.folder_or_404(parent)
            if self.state.depth(parent) >= MAX_FOLDER_DEPTH:
                raise public_error(400, "folder.maximum-depth-reached", "Maximum nested folder depth reached")
        if uid and (uid in self.state.folders or uid in self.state.dashboards):
            raise error(409, "a folder/dashboard with the same uid already exists")
        if self.state.sibling_with_title(parent, title):
            raise error(409, "a folder with the same name already exists in the current location")
        stamp = now()
        folder = {
            "id": self.state.allocate_id(),
            "uid": uid or new_uid(),
            "title": title,
            "parentUid": parent,
            "version": 1,
            "created": stamp,
            "updated": stamp,
        }
        self.state.folders[folder["uid"]] = folder
        return 200, self.state.folder_dto(folder)

    def get_folder(self, body, uid):
        return 200, self.state.folder_dto(self.state.folder_or_404(uid))

    def update_folder(self, body, uid):
        """folder.md: Update folder; 412 version-mismatch unless overwrite."""
        folder = self.state.folder_or_404(uid)
        if not body.get("overwrite") and body.get("version") != folder["version"]:
            raise error(412, "the folder has been changed by someone else", "version-mismatch")
        title = body.get("title")
        if not isinstance(title, str) or not title.strip():
            raise error(400, "folder title cannot be empty")
        if self.state.sibling_with_title(folder.get("parentUid"), title, exclude=uid):
            raise error(409, "a folder with the same name already exists in the current location")
        folder.update({"title": title, "version": folder["version"] + 1, "updated": now()})
        return 200, self.state.folder_dto(folder)

    def move_folder(self, body, uid):
        """folder.md: Move folder (parentUid empty = root); pkg/services/folder: circular reference and
        maximum depth are refused with 400."""
        folder = self.state.folder_or_404(uid)
        parent = body.get("parentUid") or None
        if parent:
            self.state.folder_or_404(parent)
            if parent in self.state.subtree(uid):
                raise public_error(400, "folder.circular-reference", "Circular reference detected")
            if self.state.depth(parent) >= MAX_FOLDER_DEPTH:
                raise public_error(400, "folder.maximum-depth-reached", "Maximum nested folder depth reached")
        if self.state.sibling_with_title(parent, folder["title"], exclude=uid):
            raise error(409, "a folder with the same name already exists in the current location")
        folder.update({"parentUid": parent, "updated": now()})
        return 200, self.state.folder_dto(folder)

    def delete_folder(self, body, uid):
        """folder.md: Delete folder removes its subfolders and every dashboard in them."""
        folder = self.state.folder_or_404(uid)
        doomed = set(self.state.subtree(uid))
        for dash_uid in [d["uid"] for d in self.state.dashboards.values() if d["folder_uid"] in doomed]:
            del self.state.dashboards[dash_uid]
        for folder_uid in doomed:
            del self.state.folders[folder_uid]
        return 200, {"message": "Folder %s deleted" % folder["title"], "id": folder["id"], "title": folder["title"]}

    def list_datasources(self, body):
        return 200, [self.state.datasource_dto(ds) for ds in self.state.datasources.values()]

    def get_datasource_uid(self, body, uid):
        ds = self.state.datasources.get(uid)
        if ds is None:
            raise error(404, "Data source not found")
        return 200, self.state.datasource_dto(ds)

    def get_datasource_name(self, body, name):
        ds = self.state.datasource_named(name)
        if ds is None:
            raise error(404, "Data source not found")
        return 200, self.state.datasource_dto(ds)

    def create_datasource(self, body):
        """data_source.md: Create a data source; pkg/api/datasources.go maps ErrDataSourceNameExists and
        ErrDataSourceUidExists to 409."""
        if not body.get("name") or not body.get("type"):
            raise error(400, "bad request data")
        uid = body.get("uid") or ""
        check_uid(uid)
        if self.state.datasource_named(body["name"]):
            raise error(409, "data source with the same name already exists")
        if uid and uid in self.state.datasources:
            raise error(409, "data source with the same uid already exists")
        ds = {
            "id": self.state.allocate_id(),
            "uid": uid or new_uid(),
            "orgId": 1,
            "name": body["name"],
            "type": body["type"],
            "typeLogoUrl": "public/app/plugins/datasource/%s/img/logo.svg" % body["type"],
            "access": body.get("access") or "proxy",
            "url": body.get("url") or "",
            "user": body.get("user") or "",
            "database": body.get("database") or "",
            "basicAuth": bool(body.get("basicAuth")),
            "basicAuthUser": body.get("basicAuthUser") or "",
            "withCredentials": bool(body.get("withCredentials")),
            "isDefault": bool(body.get("isDefault")),
            "jsonData": body.get("jsonData") or {},
            "secureJsonData": dict(body.get("secureJsonData") or {}),
            "version": 1,
            "readOnly": False,
        }
        self.state.datasources[ds["uid"]] = ds
        if ds["isDefault"]:
            self.state.make_default(ds["uid"])
        dto = self.state.datasource_dto(ds)
        return 200, {"datasource": dto, "id": ds["id"], "message": "Datasource added", "name": ds["name"]}

    def update_datasource(self, body, uid):
        """data_source.md: Update an existing data source (PUT replaces the fields; secureJsonData keys
        given replace the stored ones, the others are kept); store.go refuses an older version."""
        ds = self.state.datasources.get(uid)
        if ds is None:
            raise error(404, "Data source not found")
        if ds["readOnly"]:
            raise error(403, "Cannot update read-only data source")
        if body.get("version") and body["version"] < ds["version"]:
            raise error(409, "Datasource has already been updated by someone else. Please reload and try again")
        other = self.state.datasource_named(body.get("name") or "")
        if other is not None and other["uid"] != uid:
            raise error(409, "data source with the same name already exists")
        if not body.get("name") or not body.get("type"):
            raise error(400, "bad request data")
        ds.update(
            {
                "name": body["name"],
                "type": body["type"],
                "access": body.get("access") or "proxy",
                "url": body.get("url") or "",
                "user": body.get("user") or "",
                "database": body.get("database") or "",
                "basicAuth": bool(body.get("basicAuth")),
                "basicAuthUser": body.get("basicAuthUser") or "",
                "withCredentials": bool(body.get("withCredentials")),
                "isDefault": bool(body.get("isDefault")),
                "jsonData": body.get("jsonData") or {},
                "version": ds["version"] + 1,
            }
        )
        ds["secureJsonData"].update(body.get("secureJsonData") or {})
        if ds["isDefault"]:
            self.state.make_default(uid)
        dto = self.state.datasource_dto(ds)
        return 200, {"datasource": dto, "id": ds["id"], "message": "Datasource updated", "name": ds["name"]}

    def delete_datasource(self, body, uid):
        ds = self.state.datasources.pop(uid, None)
        if ds is None:
            raise error(404, "Data source not found")
        return 200, {"message": "Data source deleted", "id": ds["id"]}

    def gcom_download(self, body, gid, rev):
        """grafana.com: /api/dashboards/<id>/revisions/<rev>/download returns the raw export."""
        data = self.state.gcom.get((int(gid), int(rev)))
        if data is None:
            raise error(404, "Not found")
        self.state.gcom_downloads += 1
        return 200, data

    def sim_stats(self, body):
        return 200, self.state.stats()

    def sim_reset(self, body):
        self.state.reset()
        return 200, {"message": "reset"}

    def sim_admin_password(self, body):
        """What `grafana cli admin reset-admin-password` does, for the container stand-in's `grafana` command.
        Only a client on the same host (inside the container: the CLI) may use it."""
        if self.client_address[0] != "127.0.0.1":
            raise error(403, "only from 127.0.0.1")
        if not isinstance(body.get("password"), str) or not body["password"]:
            raise error(400, "bad request data")
        user = body.get("user") or "admin"
        self.server.users[user] = body["password"]  # type: ignore[attr-defined]
        return 200, {"message": "Admin password changed successfully"}


class GrafanaSimulator:
    """Start on 127.0.0.1 with an ephemeral port; use as a context manager or start()/stop()."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        users: dict[str, str] | None = None,
        tokens: tuple[str, ...] = ("sim-token",),
        unique_titles: bool = True,
    ):
        self.state = SimState(unique_titles=unique_titles)
        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.httpd.state = self.state  # type: ignore[attr-defined]
        self.httpd.users = users if users is not None else {"admin": "admin"}  # type: ignore[attr-defined]
        self.httpd.tokens = set(tokens)  # type: ignore[attr-defined]
        # A short poll interval keeps stop() (and so each test's teardown) fast.
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="grafana-sim", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return "http://%s:%d" % (host, port)

    def start(self) -> GrafanaSimulator:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> GrafanaSimulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def stats(self) -> dict:
        return self.state.stats()

    def add_gcom_dashboard(self, gnet_id: int, revision: int, text: bytes) -> None:
        with self.state.lock:
            self.state.gcom[(gnet_id, revision)] = text
