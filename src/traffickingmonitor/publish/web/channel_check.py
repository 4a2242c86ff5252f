"""The dashboard and the API read as each role reads them, for ``disclosure-check``.

The attacker works on the open data (the protected tables, as the CSVs publish them). Every
other channel must show nothing else: an API answer or a page that showed a number the open
data hide would be a way around the protection. This module starts the web application over
the store in this process, with a state database of its own in a temporary folder (the
real state is not touched: its users, sessions and approvals stay as they are), logs in once
per role as a user made for the check, approves the edition there so that the public sees
it, and reads:

* **the API**: every table the role may list, compared cell by cell (estimates too) with
  the protected table the open data publish (so the attacker's verdict on the CSVs is the
  verdict on the API);
* **the pages**: the overview, every chapter page, the list of municipalities, the method
  and the downloads, in Dutch and English; every municipality's page and every area's
  factsheet for the public (the logged-in roles see the same figures there: they read five
  municipalities and one area of each other level), and a municipality user's own
  assessment page. Every whole number in a table that counts persons
  must be a number the open data publish (or a municipality's inhabitants, reference data),
  and none may lie between 1 and the threshold;
* **the pages' own words** (:func:`own_words`): the text around the tables, outside the
  chapters' text and key figures (read by the chapters' own verdict,
  ``check.chapter_verdicts``). Each number there must be one of the site's fixed words (the
  rule's description, "per 100,000"), a date, code or edition id, a chapter's number, a
  share, a rate or a year, reference data where the page says it shows reference data
  (``class="facts"``: inhabitants and municipalities of an area), or a number the open data
  publish that is no small count.

The staff's workspace (diagnostics of linkage and of the hidden number, not counts of
persons) is not read: the verdicts say so.
"""

from __future__ import annotations

import re
import secrets
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from traffickingmonitor.disclosure.check import first_few, published_numbers
from traffickingmonitor.publish import i18n

#: classes of the report's and dashboard's tables that hold no counts of persons (sources,
#: cells hidden per table, the method's other numbers)
NOT_COUNT_TABLES = ("sources", "disclosure", "other-numbers")
#: the roles read, with the municipality a municipality user belongs to
ROLES = ("public", "municipality", "analyst", "admin")
STAFF = ("analyst", "admin")
CHECK_MUNICIPALITY = "GM0363"
#: the municipalities' pages the logged-in roles read (their own first; small and large ones)
SAMPLE_MUNICIPALITIES = (CHECK_MUNICIPALITY, "GM0014", "GM0599", "GM0344", "GM0088")
LANGS = i18n.LANGS
_COUNT = re.compile(r"\d{1,3}([\u202f ]\d{3})*")


@dataclass(frozen=True)
class ChannelVerdict:
    channel: str  # "api (public)", "pages (municipality, nl)"
    ok: bool
    detail: str
    attacked: bool = True


class _Readers(HTMLParser):
    """One parse of a page, told to every reader (``DataCells``, ``OwnWords``): each page is
    read for both, and parsing is most of the reading."""

    def __init__(self, readers):
        super().__init__()
        self.readers = readers

    def handle_starttag(self, tag, attrs):
        for reader in self.readers:
            reader.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        for reader in self.readers:
            reader.handle_endtag(tag)

    def handle_data(self, data):
        for reader in self.readers:
            reader.handle_data(data)


def read_page(html: str, *readers):
    """``readers`` after one parse of ``html``."""
    _Readers(readers).feed(html)
    return readers


class DataCells:
    """Texts of the data cells (<td>) of every table of a page, with the table's class."""

    def __init__(self):
        self.cells: list[tuple[str, str]] = []
        self._table: str | None = None
        self._in_td = False
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("class", "") or ""
        elif tag == "td" and self._table is not None:
            self._in_td, self._text = True, ""

    def handle_endtag(self, tag):
        if tag == "td" and self._in_td:
            self.cells.append((self._table, self._text.strip()))
            self._in_td = False
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._in_td:
            self._text += data

    def count_cells(self) -> list[str]:
        """Texts of the cells of tables that count persons (not ``NOT_COUNT_TABLES``)."""
        return [
            text
            for table, text in self.cells
            if not any(kind in table for kind in NOT_COUNT_TABLES)
        ]


class OwnWords:
    """A page's own words: its text outside tables (read as counts), the chapters' text and
    key figures (the chapters' verdict reads them), scripts, styles, charts and the choices
    of a form; and apart from them the text of elements that show reference data
    (``class="facts"``)."""

    SKIP = frozenset({"table", "script", "style", "svg", "select"})
    # what the chapters write, wherever a page shows it (``class="chapter-text"``)
    CHAPTER = frozenset({"chapter", "key-figures", "chapter-text"})
    VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "source", "wbr"})

    def __init__(self):
        self.words: list[str] = []
        self.facts: list[str] = []
        # per open element: its tag and "skip", "facts" or ""
        self._open: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        classes = set((dict(attrs).get("class") or "").split())
        if tag in self.SKIP or classes & self.CHAPTER:
            self._open.append((tag, "skip"))
        else:
            self._open.append((tag, "facts" if "facts" in classes else ""))

    def handle_endtag(self, tag):
        # an element closed without its end tag (a <p> before the next) closes with its parent
        tags = [t for t, _ in self._open]
        if tag in tags:
            del self._open[len(tags) - 1 - tags[::-1].index(tag) :]

    def handle_data(self, data):
        states = {state for _, state in self._open}
        if not data.strip() or "skip" in states:
            return
        (self.facts if "facts" in states else self.words).append(data.strip())


#: tokens that hold digits but are no numbers: dates and edition ids (2026-12-05.1), codes
#: (GM0363, article 273f, a hash), versions (0.1.0), references (2011/36/EU)
_NOT_A_NUMBER = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:\.\d+)?|\d+(?:\.\d+){2,}|\d+(?:/\d+)+"
    r"|\b\w*\d\w*[^\W\d_]\w*|\b[^\W\d_]\w*\d\w*"
)
#: a chapter's number before its title ("6. Care reach")
_NUMBERING = re.compile(r"^\d{1,2}\.\s")
_WORD_NUMBER = re.compile(r"(?<![\d\u202f])(\d{1,3}(?:\u202f\d{3})+|\d+)([.,]\d+)?(\s?%)?")


@dataclass(frozen=True)
class OwnWordsKnown:
    """What a page's own words may hold besides published numbers."""

    phrases: tuple[str, ...]  # the site's fixed words with digits ("1 tot en met 9")
    reference: frozenset[int]  # inhabitants and municipalities of every area
    published: frozenset[int]
    threshold: int


def own_words_known(published: set[int], threshold: int, rule) -> OwnWordsKnown:
    """The site's fixed words (web pages, factsheets, the rule's description) that hold
    digits, cut at their placeholders, and the reference data an area's facts show."""
    from traffickingmonitor.publish.chapters._local import populations, reference
    from traffickingmonitor.publish.factsheets import LEVELS
    from traffickingmonitor.publish.factsheets import TEXT as SHEET_WORDS
    from traffickingmonitor.publish.web.words import WORDS

    def strings(x):
        if isinstance(x, str):
            yield x
        elif isinstance(x, Mapping):  # a dict, or a catalog's words (i18n)
            for v in x.values():
                yield from strings(v)

    texts = [*strings(WORDS), *strings(SHEET_WORDS), *(rule.describe(lang) for lang in LANGS)]
    phrases = {
        part.strip()
        for text in texts
        for part in re.split(r"\{[^}]*\}", text)
        if re.search(r"\d", part) and part.strip()
    }
    ref = reference()
    numbers = set(ref["population"].astype(int))
    for level in LEVELS:
        numbers |= {int(v) for v in populations(level).values()}
        if level != "municipality":
            numbers |= {int(v) for v in ref.groupby(level).size()}
    # longest first, so that a phrase is not cut by a shorter one inside it
    return OwnWordsKnown(
        tuple(sorted(phrases, key=len, reverse=True)),
        frozenset(numbers),
        frozenset(published),
        threshold,
    )


def own_words(parser: OwnWords, known: OwnWordsKnown) -> tuple[int, list[str]]:
    """How many numbers a page's own words (``parser``, after :func:`read_page`) hold, and
    those that are none of what they may be (:class:`OwnWordsKnown`): each as it stands in
    its sentence."""
    seen, wrong = 0, []
    for texts, facts in ((parser.words, False), (parser.facts, True)):
        for text in texts:
            rest = _NUMBERING.sub(" ", text)
            for phrase in known.phrases:
                if phrase in rest:
                    seen += len(_WORD_NUMBER.findall(phrase)) * rest.count(phrase)
                    rest = rest.replace(phrase, " ")
            rest, tokens = _NOT_A_NUMBER.subn(" ", rest)
            seen += tokens + (text != _NUMBERING.sub(" ", text))
            for m in _WORD_NUMBER.finditer(rest):
                seen += 1
                number, decimals, share = m.groups()
                if share or decimals:
                    continue
                n = int(number.replace("\u202f", ""))
                if facts and n in known.reference:
                    continue
                if re.fullmatch(r"(19|20)\d\d", number):
                    continue
                if n in known.published and not 0 < n < known.threshold:
                    continue
                wrong.append(f"{number} in '{text[:80]}'".replace("\u202f", " "))
    return seen, wrong


def page_counts(parser: DataCells) -> list[int]:
    """Whole numbers in the cells of a page's tables that count persons (``parser``, after
    :func:`read_page`; thin-space thousands); percentages, decimals and symbols not."""
    return [
        int(text.replace("\u202f", "").replace(" ", ""))
        for text in parser.count_cells()
        if _COUNT.fullmatch(text)
    ]


def read_channels(db: Path, edition_id: str, protected: dict, threshold: int, step=None):
    """Per role, the API and the pages against the open data (``protected``: the tables the
    open data publish). ``step(description, total)`` (the pipeline's progress protocol) is
    called per role and its answer told of each request."""
    with warnings.catch_warnings():  # starlette's note on httpx is for its developers
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from traffickingmonitor.progress import no_progress
    from traffickingmonitor.publish.web import create_app
    from traffickingmonitor.publish.web.accounts import add_user
    from traffickingmonitor.publish.web.approvals import approve, approved_ids

    with tempfile.TemporaryDirectory(prefix="tm-channels-") as tmp:
        folder = Path(tmp)
        app = create_app(
            db,
            f"sqlite:///{folder / 'state.sqlite'}",
            secret_key=secrets.token_hex(32),
            threshold=threshold,
            audit_key_file=folder / "audit.key",
            audit_checkpoint=folder / "audit.checkpoint",
            login_delay=0,
        )
        passwords = {role: secrets.token_urlsafe(18) for role in ROLES if role != "public"}
        with app.state.db() as state:
            for role, password in passwords.items():
                add_user(
                    state,
                    f"check-{role}",
                    password,
                    role,
                    CHECK_MUNICIPALITY if role == "municipality" else None,
                )
            for role in STAFF:  # four eyes, where the state asks for them
                if edition_id not in approved_ids(state):
                    approve(state, edition_id, f"check-{role}", role, source="disclosure-check")
        known = own_words_known(
            published_numbers(protected), threshold, app.state.data.rule(edition_id)
        )
        latest = app.state.data.latest
        out = []
        for role in ROLES:
            if role not in STAFF and (latest is None or latest.edition_id != edition_id):
                out.append(
                    ChannelVerdict(
                        f"api and pages ({role})",
                        True,
                        f"not attacked: the {role} role sees only the latest edition, not this one",
                        attacked=False,
                    )
                )
                continue
            with TestClient(app) as client:
                if role != "public":
                    log_in(client, f"check-{role}", passwords[role])
                paths = _page_paths(client, role, edition_id)
                tell = (step or no_progress)(
                    f"reading the web server as {role}",
                    1 + len(protected) + len(LANGS) * len(paths),
                )
                out.append(_api(client, role, edition_id, protected, tell))
                for lang in LANGS:
                    out.append(_pages(client, paths, role, lang, known, tell))
                if role in STAFF:
                    out.append(
                        ChannelVerdict(
                            f"workspace ({role})",
                            True,
                            "not attacked (staff diagnostics of linkage, data quality and the "
                            "hidden number; no counts of persons beyond the tables above)",
                            attacked=False,
                        )
                    )
        return out


def csrf_token(html: str) -> str:
    """The CSRF token of a page's form."""
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def log_in(client, username: str, password: str) -> None:
    """Log ``client`` (a test client of the app) in through the login form."""
    token = csrf_token(client.get("/login").text)
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    if r.status_code != 303:
        raise RuntimeError(f"the check's {username} could not log in ({r.status_code})")


def _api(client, role: str, edition_id: str, protected: dict, tell) -> ChannelVerdict:
    import json

    name = f"api ({role})"
    listed = client.get(f"/api/v1/editions/{edition_id}/tables")
    tell()
    if listed.status_code != 200:
        return ChannelVerdict(name, False, f"the list of tables answered {listed.status_code}")
    infos = listed.json()
    problems, cells = [], 0
    unknown = sorted({i["table_id"] for i in infos} - set(protected))
    if unknown:
        problems.append(f"tables the open data do not publish: {', '.join(unknown)}")
    for info in infos:
        tid = info["table_id"]
        if tid not in protected:
            continue
        r = client.get(f"/api/v1/editions/{edition_id}/tables/{tid}")
        tell()
        if r.status_code != 200:
            problems.append(f"{tid} answered {r.status_code}")
            continue
        rows = r.json()["rows"]
        expected = json.loads(protected[tid].frame.to_json(orient="records"))
        if len(rows) != len(expected):
            problems.append(f"{tid}: {len(rows)} rows, the open data {len(expected)}")
            continue
        cells += len(expected) * sum(c in protected[tid].frame for c in protected[tid].spec.counts)
        # every column, estimates too: a hidden count's estimate is hidden with it
        for n, (got, want) in enumerate(zip(rows, expected, strict=True)):
            for column in sorted(set(got) | set(want)):
                if got.get(column) != want.get(column):
                    problems.append(
                        f"{tid} row {n + 1} {column}: {got.get(column)!r}, "
                        f"the open data {want.get(column)!r}"
                    )
    if problems:
        return ChannelVerdict(name, False, first_few(problems))
    return ChannelVerdict(
        name,
        True,
        f"{len(infos)} tables, {cells} count cells, each as the open data publish it "
        "(attacked with them)",
    )


def _page_paths(client, role: str, edition_id: str) -> list[str]:
    from traffickingmonitor.codes.api import municipality_codes

    chapters = client.get("/chapters", params={"edition": edition_id}).text
    found = sorted(set(re.findall(r'href="(/chapters/[a-z0-9_-]+)', chapters)))
    paths = ["/", "/chapters", *found, "/municipalities", "/method", "/downloads"]
    # a municipality's page shows every role the same figures (the logged-in see a link
    # more): the public reads all of them, the others those of SAMPLE_MUNICIPALITIES
    codes = sorted(municipality_codes()) if role == "public" else SAMPLE_MUNICIPALITIES
    paths += [f"/municipalities/{code}" for code in codes]
    paths += _factsheet_paths(role, edition_id)
    if role == "municipality":
        paths.append(f"/municipalities/{CHECK_MUNICIPALITY}/assessment")
    # staff may see every edition: ask for this one (the others see the latest, checked above)
    return [f"{p}?edition={edition_id}" if role in STAFF else p for p in paths]


def _factsheet_paths(role: str, edition_id: str) -> list[str]:
    """The areas' factsheets (HTML; the PDF is typeset from the same page): every area's for
    the public, for the other roles those of ``SAMPLE_MUNICIPALITIES`` and the first area of
    each other level."""
    from traffickingmonitor.publish.factsheets import LEVELS, areas

    out = []
    for level in LEVELS:
        found = areas(level)
        if role != "public":
            found = (
                [a for a in found if a.key in SAMPLE_MUNICIPALITIES]
                if level == "municipality"
                else found[:1]
            )
        out += [f"/factsheets/{edition_id}/{level}/{a.file}.html" for a in found]
    return out


def _pages(client, paths, role, lang, known: OwnWordsKnown, tell) -> ChannelVerdict:
    name = f"pages ({role}, {lang})"
    published, threshold = known.published, known.threshold
    problems, seen, pages, worded = [], 0, 0, 0
    for path in paths:
        r = client.get(path, params={"lang": lang})
        tell()
        if r.status_code != 200:
            problems.append(f"{path} answered {r.status_code}")
            continue
        pages += 1
        cells, words = read_page(r.text, DataCells(), OwnWords())
        counts = page_counts(cells)
        seen += len(counts)
        small = sorted({n for n in counts if 0 < n < threshold})
        if small:
            problems.append(
                f"{path} shows {', '.join(map(str, small))} (between 1 and {threshold - 1})"
            )
        other = sorted(set(counts) - published)
        if other:
            problems.append(f"{path} shows {', '.join(map(str, other[:5]))}, not in the open data")
        numbers, wrong = own_words(words, known)
        worded += numbers
        if wrong:
            problems.append(f"{path} writes {', '.join(wrong[:3])} in its own words")
    if problems:
        return ChannelVerdict(name, False, first_few(problems))
    if not seen:
        return ChannelVerdict(name, False, f"{pages} pages read, but no count of persons found")
    towns = sum(re.fullmatch(r"/municipalities/GM\d+(\?.*)?", p) is not None for p in paths)
    sheets = sum(p.startswith("/factsheets/") for p in paths)
    return ChannelVerdict(
        name,
        True,
        f"{pages} pages ({towns} municipalities', {sheets} factsheets), {seen} counts of "
        "persons in their tables, "
        f"each a number the open data publish, none small; {worded} numbers in their own "
        "words, each fixed wording, a date or code, a share, rate or year, reference data or "
        "a published number that is no small count",
    )
