"""GitHub Actions workflow commands: ``::error file=…,line=…,title=…::message``.

The runner cuts a command at ``::``, its properties at ``,`` and ``=``, and the message at the
end of the line. Data is therefore percent-escaped (``%``, CR, LF) and property values also
escape ``:`` and ``,`` (the escaping GitHub's own toolkit applies); without it a multi-line
failure message would end the annotation after its first line and a file name with a comma
would break the property list.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

# GitHub shows at most 10 error and 10 warning annotations per step; more are dropped.
ANNOTATIONS_PER_KIND = 10


def escape_data(text: str) -> str:
    """A message as a workflow command's data."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A value as a workflow command property (``file=``, ``title=``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, properties: Mapping[str, object] | None = None) -> str:
    """One workflow command line; properties whose value is None are left out."""
    props = ",".join(
        f"{key}={escape_property(str(value))}" for key, value in (properties or {}).items() if value is not None
    )
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def on_github(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether this process runs as a GitHub Actions step."""
    return environ.get("GITHUB_ACTIONS") == "true"


def blob_url(path: str, line: int | None, environ: Mapping[str, str] = os.environ) -> str | None:
    """A link to ``path`` (relative to the repository) at this run's commit, or None off GitHub."""
    server, repo, sha = (environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"))
    if not (server and repo and sha):
        return None
    return f"{server}/{repo}/blob/{sha}/{path}" + (f"#L{line}" if line else "")
