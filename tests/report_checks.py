"""Checks shared by the report tests: self-contained HTML, no raw feature ids in what a reader sees."""

import re
from html.parser import HTMLParser

from seal_core.glossary import FEATURES


class _Visible(HTMLParser):
    """Text a reader sees (SVG text included; style and tag attributes excluded), and every URL-bearing attribute."""

    def __init__(self):
        super().__init__()
        self.text, self.urls, self.skip, self.tags = [], [], 0, []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.skip += tag in ("style", "script")
        self.urls += [v for k, v in attrs if k in ("src", "href", "xlink:href", "action", "poster") and v]

    def handle_endtag(self, tag):
        self.skip -= tag in ("style", "script")

    def handle_data(self, data):
        if not self.skip:
            self.text.append(data)


def check_report_html(html: str) -> str:
    """Assert the report is self-contained, shows no raw feature id and has at least 4 figures; return its text."""
    parser = _Visible()
    parser.feed(html)
    assert parser.urls == []  # no src/href at all: nothing to fetch
    assert not {"script", "link", "img", "iframe", "object", "embed"} & set(parser.tags)
    assert not re.search(r"url\(|@import|https?://", html)
    text = " ".join(parser.text)
    assert [k for k in FEATURES if "_" in k and re.search(rf"\b{k}\b", text)] == []
    assert html.count("<svg") >= 4
    return text
