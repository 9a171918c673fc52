#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: config_files
short_description: Keep a service's directories and files exactly as declared, in one call
version_added: 0.2.0
description:
  - Creates directories and writes files with the declared content, owner, group and mode, and
    removes files no longer declared, all in one module run (one round trip per service instead of
    one per file).
  - A file is written only when its content differs, atomically (a temporary file in the same
    directory, validated when O(files[].validate) is set, then renamed over the old one). Owner,
    group and mode are set on the temporary file before it holds any content, so a secret is never
    readable by anyone else, not even for a moment.
  - Secrets go in O(files[].secret) instead of O(files[].content) and never appear in the output or
    in a diff; the diff of such a file only says that it changed.
  - The roles of this collection use it for their configuration directories.
author:
  - llmops maintainers (@llmops)
attributes:
  check_mode:
    support: full
    details: Reports what would be created, written, changed or removed; runs no validation.
  diff_mode:
    support: full
    details: Content of O(files[].content) files, owner, group and mode changes; never the content of a secret.
  platform:
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
options:
  directories:
    description: Directories to create or correct, in order (parents first).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path of the directory.
        type: path
        required: true
      owner:
        description: User name or numeric uid.
        type: str
        default: root
      group:
        description: Group name or numeric gid.
        type: str
        default: root
      mode:
        description: Octal mode, as a string (V("0755")).
        type: str
        default: "0755"
  files:
    description: Files to write or remove, in order (a validation may read a file written before it).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path of the file. Its directory must exist or be in O(directories).
        type: path
        required: true
      content:
        description:
          - The file's content, shown in diffs.
          - Exactly one of O(files[].content) and O(files[].secret) when O(files[].state=present).
        type: str
      secret:
        description: The file's content when it is a secret; never shown, logged or diffed.
        type: str
      owner:
        description: User name or numeric uid.
        type: str
        default: root
      group:
        description: Group name or numeric gid.
        type: str
        default: root
      mode:
        description: Octal mode, as a string (V("0644")).
        type: str
        default: "0644"
      validate:
        description:
          - Command run on the new content before it replaces the file, V(%s) standing for the
            temporary file's path. Run without a shell. The file is left as it was when it fails.
        type: str
      state:
        description: V(absent) removes the file.
        type: str
        choices: [present, absent]
        default: present
  prune:
    description:
      - Directories whose files matching O(prune[].patterns) are removed unless O(files) declares them.
        Sub-directories are not walked.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The directory.
        type: path
        required: true
      patterns:
        description: Shell patterns of the file names to consider (V(*.yml)).
        type: list
        elements: str
        required: true
notes:
  - Symbolic links are not followed; a link at a declared path is replaced by a regular file.
seealso:
  - module: ansible.builtin.template
  - module: ansible.builtin.copy
"""

EXAMPLES = r"""
- name: Write the Prometheus configuration, its rules and its scrape credential
  llmops.litellm.config_files:
    directories:
      - {path: /etc/llmops/llmops/prometheus, mode: "0755"}
      - {path: /etc/llmops/llmops/prometheus/secrets, owner: "65534", mode: "0700"}
    files:
      - path: /etc/llmops/llmops/prometheus/secrets/litellm-scrape-key
        secret: "{{ scrape_key }}"
        owner: "65534"
        mode: "0400"
      - path: /etc/llmops/llmops/prometheus/prometheus.yml
        content: "{{ lookup('ansible.builtin.template', 'prometheus.yml.j2') }}"
        validate: promtool check config %s
    prune:
      - path: /etc/llmops/llmops/prometheus/rules
        patterns: ["*.yml"]
  notify: Reload prometheus
"""

RETURN = r"""
changed_paths:
  description:
    - Every directory and file created, written, corrected or removed (or that would be, in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [/etc/llmops/llmops/prometheus/prometheus.yml]
"""

import fnmatch  # noqa: E402
import grp  # noqa: E402
import os  # noqa: E402
import pwd  # noqa: E402
import stat  # noqa: E402
import tempfile  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.common.text.converters import to_bytes, to_text  # noqa: E402

OWNED = {
    "owner": {"type": "str", "default": "root"},
    "group": {"type": "str", "default": "root"},
}
ARGUMENT_SPEC = {
    "directories": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": dict(OWNED, path={"type": "path", "required": True}, mode={"type": "str", "default": "0755"}),
    },
    "files": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": dict(
            OWNED,
            path={"type": "path", "required": True},
            content={"type": "str"},
            secret={"type": "str", "no_log": True},
            mode={"type": "str", "default": "0644"},
            validate={"type": "str"},
            state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        ),
        "mutually_exclusive": [["content", "secret"]],
    },
    "prune": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "path": {"type": "path", "required": True},
            "patterns": {"type": "list", "elements": "str", "required": True},
        },
    },
}


class Files:
    def __init__(self, module):
        self.module = module
        self.check = module.check_mode
        self.changed_paths = []
        self.diffs = []
        # Directories that check mode would create: their files are predicted, not read.
        self.pending_dirs = set()

    def fail(self, field, msg, **extra):
        self.module.fail_json(msg="%s: %s" % (field, msg), changed_paths=self.changed_paths, **extra)

    # Inputs, all checked before anything is touched.
    def uid(self, field, value):
        if value.isdigit():
            return int(value)
        try:
            return pwd.getpwnam(value).pw_uid
        except KeyError:
            self.fail(field, "no user %r on this host" % value)

    def gid(self, field, value):
        if value.isdigit():
            return int(value)
        try:
            return grp.getgrnam(value).gr_gid
        except KeyError:
            self.fail(field, "no group %r on this host" % value)

    def mode(self, field, value):
        try:
            mode = int(value, 8)
        except ValueError:
            mode = -1
        if not 0 <= mode <= 0o7777:
            self.fail(field, "%r is not an octal mode such as '0644'" % value)
        return mode

    def resolve(self, kind, entries, declared_dirs=()):
        resolved = []
        for index, entry in enumerate(entries):
            field = "%s[%d]" % (kind, index)
            if not os.path.isabs(entry["path"]):
                self.fail(field + ".path", "%r is not an absolute path" % entry["path"])
            item = dict(entry, path=os.path.normpath(entry["path"]))
            item["field"] = field
            if kind != "prune":
                item["uid"] = self.uid(field + ".owner", entry["owner"])
                item["gid"] = self.gid(field + ".group", entry["group"])
                item["mode_bits"] = self.mode(field + ".mode", entry["mode"])
            if kind == "files" and entry["state"] == "present":
                if entry["content"] is None and entry["secret"] is None:
                    self.fail(field, "give content or secret (state is present)")
                if entry["validate"] and "%s" not in entry["validate"]:
                    self.fail(field + ".validate", "must contain %s, the path of the file to check")
                parent = os.path.dirname(entry["path"])
                if parent not in declared_dirs and not os.path.isdir(parent):
                    self.fail(field + ".path", "directory %s does not exist; declare it in directories" % parent)
            resolved.append(item)
        return resolved

    # Changes.
    def note(self, path, before, after, secret=False):
        self.changed_paths.append(path)
        if not self.module._diff:
            return
        if secret:
            before = "(secret)\n" if before else ""
            after = "(secret, changed)\n" if after else ""
        self.diffs.append({"before_header": path, "after_header": path, "before": before, "after": after})

    @staticmethod
    def describe(uid, gid, mode):
        return "owner=%d group=%d mode=%04o\n" % (uid, gid, mode)

    def directory(self, item):
        path = item["path"]
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            st = None
        if st is not None and not stat.S_ISDIR(st.st_mode):
            self.fail(item["field"] + ".path", "%s exists and is not a directory" % path)
        wanted = (item["uid"], item["gid"], item["mode_bits"])
        current = None if st is None else (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode))
        if current == wanted:
            return
        self.note(path, "" if current is None else self.describe(*current), self.describe(*wanted))
        if self.check:
            if st is None:
                self.pending_dirs.add(path)
            return
        if st is None:
            os.mkdir(path, 0o700)
        os.chown(path, item["uid"], item["gid"])
        os.chmod(path, item["mode_bits"])

    def read(self, item):
        path = item["path"]
        if os.path.dirname(path) in self.pending_dirs:
            return None, None
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return None, None
        if stat.S_ISDIR(st.st_mode):
            self.fail(item["field"] + ".path", "%s is a directory" % path)
        if not stat.S_ISREG(st.st_mode):
            return st, None
        with open(path, "rb") as handle:
            return st, handle.read()

    def remove(self, path, secret):
        self.note(path, "(present)\n" if secret else self.text_of(path), "", secret=secret)
        if not self.check:
            os.unlink(path)

    @staticmethod
    def text_of(path):
        try:
            with open(path, "rb") as handle:
                return to_text(handle.read(), errors="surrogate_or_replace")
        except OSError:
            return ""

    def file(self, item):
        path = item["path"]
        secret = item["secret"] is not None
        st, data = self.read(item)
        if item["state"] == "absent":
            if st is not None:
                self.remove(path, secret=False)
            return
        text = item["secret"] if secret else item["content"]
        wanted = to_bytes(text, errors="surrogate_or_strict")
        meta = (item["uid"], item["gid"], item["mode_bits"])
        if data == wanted and stat.S_ISREG(st.st_mode):
            current = (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode))
            if current != meta:
                self.note(path, self.describe(*current), self.describe(*meta))
                if not self.check:
                    os.chown(path, item["uid"], item["gid"])
                    os.chmod(path, item["mode_bits"])
            return
        before = "" if data is None else to_text(data, errors="surrogate_or_replace")
        self.note(path, before, text, secret=secret)
        if not self.check:
            self.write(item, wanted)

    def write(self, item, data):
        path = item["path"]
        handle, temporary = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=os.path.dirname(path))
        try:
            # mkstemp makes it 0600: owner and mode are set before any content is in it (the open
            # descriptor stays writable whatever the mode).
            os.fchown(handle, item["uid"], item["gid"])
            os.fchmod(handle, item["mode_bits"])
            self.write_all(handle, data)
            os.fsync(handle)
            os.close(handle)
            handle = None
            if item["validate"]:
                # replace, not %: a validate command may hold other % signs.
                rc, out, err = self.module.run_command(item["validate"].replace("%s", temporary))
                if rc != 0:
                    if item["secret"] is not None:
                        # A validator may echo a line of the secret file (or its value) in its error.
                        self.module.no_log_values.update(self.fragments(item["secret"]))
                    self.fail(
                        item["field"] + ".validate",
                        "%s refused the new content of %s (exit %d): %s"
                        % (item["validate"].split()[0], path, rc, (err or out).strip()[-2000:]),
                    )
            os.replace(temporary, path)
            temporary = None
        finally:
            if handle is not None:
                os.close(handle)
            if temporary is not None and os.path.exists(temporary):
                os.unlink(temporary)

    @staticmethod
    def fragments(secret):
        """Each line of a secret file and each value after 'key:', long enough not to mask words."""
        found = set()
        for line in secret.splitlines():
            for raw in (line, line.partition(":")[2]):
                piece = raw.strip().strip("'\"")
                if len(piece) >= 12:
                    found.add(piece)
        return found

    @staticmethod
    def write_all(handle, data):
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view) :]

    def prune(self, item, declared):
        directory = item["path"]
        if directory in self.pending_dirs or not os.path.isdir(directory):
            return
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            if path in declared or not os.path.isfile(path) or os.path.islink(path):
                continue
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in item["patterns"]):
                self.remove(path, secret=False)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    files = Files(module)
    directories = files.resolve("directories", module.params["directories"])
    entries = files.resolve("files", module.params["files"], {item["path"] for item in directories})
    prune = files.resolve("prune", module.params["prune"])
    for item in directories:
        files.directory(item)
    for item in entries:
        files.file(item)
    declared = {item["path"] for item in entries if item["state"] == "present"}
    for item in prune:
        files.prune(item, declared)
    result = {"changed": bool(files.changed_paths), "changed_paths": files.changed_paths}
    if module._diff and files.diffs:
        result["diff"] = files.diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
