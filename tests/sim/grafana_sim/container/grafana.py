"""The part of the `grafana` command the grafana role uses, for the simulator stand-in image:
grafana cli [--homepath DIR] admin reset-admin-password --password-from-stdin"""

from __future__ import annotations

import json
import os
import sys
import urllib.request


def main(argv):
    words = list(argv)
    if "--homepath" in words:
        index = words.index("--homepath")
        del words[index : index + 2]
    if words[:3] != ["cli", "admin", "reset-admin-password"] or "--password-from-stdin" not in words:
        sys.stderr.write("grafana (simulator stand-in): only 'cli admin reset-admin-password --password-from-stdin'\n")
        return 2
    password = sys.stdin.readline().rstrip("\n")
    body = json.dumps({"user": os.environ.get("GF_SECURITY_ADMIN_USER", "admin"), "password": password}).encode()
    request = urllib.request.Request("http://127.0.0.1:3000/_sim/admin-password", data=body, method="PUT")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the container's own simulator
        print(json.load(response)["message"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
