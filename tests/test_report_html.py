"""``cdk-partition report --format html``: one self-contained page (the access matrix, the
findings, the domain diagram as inline SVG), every value escaped, nothing loaded when viewed.

The browser tests open the page in a real headless Chromium (Debian's ``/usr/bin/chromium``,
driven by playwright; playwright's own browser download is not used). Without Chromium they skip
with the reason, unless ``CDKP_REQUIRE_CHROMIUM=1`` (set by ``.ci/run``): then they fail.
"""

from __future__ import annotations

import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hostile_support import copy_sample, edit_json, run_cli

from cdk_partition.assembly import load
from cdk_partition.report import build_report, to_html

GOLDEN = Path(__file__).parent / "golden" / "inputs"
#: Markup in a domain name and a construct path: it must show as text, never become an element
#: or break out of an attribute.
MARKUP = '"><script>document.title="pwned"</script><img src=x onerror=alert(1)>&amp;'


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _elements(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(page)
    return parser.tags


@pytest.fixture(scope="module")
def markup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample with markup in the orders domain's name and a planted store's construct path."""
    sample = copy_sample(tmp_path_factory.mktemp("markup"))
    domain = "orders" + MARKUP

    def change(t: dict[str, Any]) -> None:
        t["Metadata"]["cdk_partition:checks"][0]["domain"] = domain
        t["Resources"]["DomainKeyEFD04CB2"]["Metadata"]["cdk_partition:domain"] = domain
        t["Resources"]["Planted"] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {"SqsManagedSseEnabled": True},
            "Metadata": {"aws:cdk:path": "Orders/Planted" + MARKUP},
        }

    edit_json(sample / "Orders.template.json", change)
    return sample


def test_the_cli_writes_one_page() -> None:
    run = run_cli("report", str(GOLDEN / "violating"), "--format", "html")
    assert run.code == 1, run.err  # error findings: as for markdown
    assert run.out.startswith("<!DOCTYPE html>") and run.out.rstrip().endswith("</html>")
    tags = [tag for tag, _ in _elements(run.out)]
    assert tags.count("svg") == 2 and tags.count("section") == 2  # two domains
    assert "script" not in tags and "link" not in tags


def test_nothing_is_loaded_when_viewed() -> None:
    page = to_html(build_report(load(GOLDEN / "sample")))
    assert "default-src 'none'" in page
    urls = set(re.findall(r"(?:https?:)?//[^\s\"'<>)]+", page))
    assert urls <= {"http://www.w3.org/2000/svg"}  # the SVG namespace is a name, not a fetch
    for _tag, attrs in _elements(page):
        assert not {"src", "href"} & set(attrs)


def test_markup_from_the_assembly_stays_text(markup: Path) -> None:
    run = run_cli("report", str(markup), "--format", "html")
    assert run.code == 1, run.err  # the planted queue is off the key
    tags = _elements(run.out)
    assert not [t for t, _ in tags if t in ("script", "img")]
    domains = [a["data-domain"] for t, a in tags if t == "section"]
    assert "orders" + MARKUP in domains  # the attribute holds the whole value, unbroken
    assert "Orders/Planted&quot;&gt;&lt;script&gt;" in run.out


def test_the_org_report_as_a_page() -> None:
    run = run_cli("report", str(GOLDEN / "organization"), "--format", "html")
    assert run.code == 0, run.err
    tags = _elements(run.out)
    assert ("table", {"class": "keys"}) in tags and any(t == "svg" for t, _ in tags)
    assert "111111111111" in run.out and "organisation" in run.out


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser() -> Any:
    required = os.environ.get("CDKP_REQUIRE_CHROMIUM") == "1"
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            pytest.fail("CDKP_REQUIRE_CHROMIUM=1 but playwright is not installed (.[test])")
        pytest.skip("playwright is not installed")
    if executable is None:
        if required:
            pytest.fail(
                "CDKP_REQUIRE_CHROMIUM=1 but no chromium on PATH (apt-get install chromium)"
            )
        pytest.skip("no chromium on PATH (apt-get install chromium; CI requires it)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


def _open(browser: Any, page_html: str, path: Path) -> tuple[Any, list[str]]:
    path.write_text(page_html, encoding="utf-8")
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    return page, requests


def test_the_page_in_a_browser(browser: Any, tmp_path: Path) -> None:
    run = run_cli("report", str(GOLDEN / "violating"), "--format", "html")
    page, requests = _open(browser, run.out, tmp_path / "report.html")
    assert requests == [(tmp_path / "report.html").as_uri()]  # nothing but the page itself
    assert page.title() == "Data domain access report"
    orders = page.locator('section[data-domain="orders"]')
    # the matrix: appA reads and writes, administers nothing; the probes hold nothing
    app_a = orders.locator('table.matrix tr[data-principal="role/appA"]')
    cells = app_a.locator("td").all_inner_texts()
    assert cells == ["-", "yes", "yes"]
    for probe in ("any other principal of the account", "any principal of another account"):
        row = orders.locator(f'table.matrix tr[data-principal="{probe}"] td')
        assert row.all_inner_texts() == ["-", "-", "-"]
    assert orders.locator("td.cap.via").count() >= 1  # access through a service, shown
    # the findings, by rule id
    rules = page.locator("li.finding").evaluate_all("els => els.map(e => e.dataset.rule)")
    assert "CDKP001" in rules and "CDKP004" in rules
    # the diagram: drawn, sized, and naming the key and each store
    svg = orders.locator("svg.diagram")
    box = svg.bounding_box()
    assert box is not None and box["width"] > 500 and box["height"] > 200
    texts = " ".join(svg.locator("text").all_text_contents())
    assert "orders key" in texts and "AWS::SQS::Queue" in texts
    assert svg.locator("rect.store").count() == orders.locator("table.stores tbody tr").count()
    shot = page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 50_000  # a page, not a blank
    page.close()


def test_markup_in_a_browser_stays_text(browser: Any, markup: Path, tmp_path: Path) -> None:
    run = run_cli("report", str(markup), "--format", "html")
    page, requests = _open(browser, run.out, tmp_path / "markup.html")
    assert page.title() == "Data domain access report"  # the planted script never ran
    assert page.locator("script, img").count() == 0
    assert len(requests) == 1
    assert MARKUP in page.locator("section h2").first.inner_text() or MARKUP in " ".join(
        page.locator("section h2").all_inner_texts()
    )
    page.close()
