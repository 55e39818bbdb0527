"""MkDocs hook: a link to a file of the repository outside ``docs/`` is shown as that file's path.

The results READMEs link to the code and data files that made them, which GitHub shows; the site
holds ``docs/`` only, where such a link would lead nowhere. A link to a file that does not exist
is left alone, so ``mkdocs build --strict`` still fails on it, as on every other broken link.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

#: a markdown link (not an image): ``[text](target)``
LINK = re.compile(r"(?<!!)\[([^\]]*)\]\(([^)\s]+)\)")


def repository_path(target: str, page_folder: Path, docs: Path) -> Path | None:
    """The repository file a relative link points to outside ``docs``, or ``None`` (a page, an anchor, a URL,
    or a file that does not exist)."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith(("#", "/")):
        return None
    path = (page_folder / target.split("#")[0]).resolve()
    repository = docs.parent
    if path.is_relative_to(docs) or not path.is_relative_to(repository) or not path.exists():
        return None
    return path.relative_to(repository)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Each link to a repository file outside ``docs/`` becomes its text and, unless the text names it, its path."""
    docs = Path(config["docs_dir"]).resolve()
    page_folder = (docs / page.file.src_path).parent

    def shown(match: re.Match) -> str:
        text, target = match.groups()
        path = repository_path(target, page_folder, docs)
        if path is None:
            return match.group(0)
        return text if path.name in text else f"{text} (`{path}`)"

    return LINK.sub(shown, markdown)
