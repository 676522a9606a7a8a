"""Keep the last change a sandbox went through next to its record, for the kernel tabs to show.

The file lives in the sandbox's runtime directory, so deleting the sandbox removes it. It also keeps
the ruleset text Podpath loaded into each host, which is how the next change knows the old text.
"""

from __future__ import annotations

import json
import os

from labs.kernel_changes import Change, change_view
from netcore import names
from netcore.reconcile import Report

FILE_NAME = "last-change.json"


def _path(sandbox: str):
    return names.sandbox_dir(sandbox) / FILE_NAME


def _read(sandbox: str) -> dict:
    try:
        return json.loads(_path(sandbox).read_text())
    except (FileNotFoundError, ValueError):
        return {}


def record_change(sandbox: str, title: str, report: Report) -> Change | None:
    """Work out and keep what ``report``'s reconcile changed; None when it does not say."""
    if report.before is None or report.after is None or not names.sandbox_dir(sandbox).is_dir():
        return None
    loaded = _read(sandbox).get("rulesets", {})
    before_texts = {
        host: text
        for host, (digest, text) in loaded.items()
        if host in report.before.rulesets and report.before.rulesets[host].digest == digest
    }
    change = change_view(title, report.before, report.after, before_texts)
    rulesets = {host: [r.digest, r.text] for host, r in report.after.rulesets.items() if r.text is not None}
    path = _path(sandbox)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"change": change.to_json(), "rulesets": rulesets}))
    os.replace(temporary, path)
    return change


def last_change(sandbox: str) -> Change | None:
    data = _read(sandbox).get("change")
    return Change.from_json(data) if data else None
