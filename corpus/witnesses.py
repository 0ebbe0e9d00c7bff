"""One article, many copies: find the copies of one KCNA item across sites (kcna.kp, GlobalSecurity,
kcna.co.jp, blogs, Wayback captures), link them as witnesses of one work, and show where they differ.

Copies are near-duplicates, not equal: each site frames the text its own way (the dateline "Pyongyang,
May 27 (KCNA) --" becomes "Pyongyang, 27 May, 2024 (KNS-KCNA)", quotes turn curly, KCNA's "-0-" goes) and
a source may edit its own copy later while a repost keeps the old text. So candidates come from MinHash
over word shingles with LSH (datasketch), and each candidate pair is confirmed by the exact Jaccard
similarity of the shingle sets, with the dateline and title as hints: a shared title carries a lower
overlap, and two items whose dates fall days apart are different items of one template (the daily
"Review of Rodong Sinmun"), whatever their overlap.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import asdict, dataclass, field
from datetime import date

from core.document import Document
from corpus.worddiff import word_diff

SHINGLE_WORDS = 5
NUM_PERM = 128
LSH_THRESHOLD = 0.2       # candidates: estimated Jaccard at least this (LSH bands tuned by datasketch)
SAME_TEXT = 0.5           # confirmed copies: exact shingle Jaccard at least this ...
SAME_TITLE_TEXT = 0.25    # ... or this much with the same title ...
CONTAINED = 0.7           # ... or one copy's shingles mostly inside the other's (a repost cut or added to)
CONTAINED_TEXT = 0.2      #     with at least this Jaccard
MAX_DATE_GAP_DAYS = 3     # reposts carry the source's dateline; days apart means another item
WORD = re.compile(r"\w+(?:['’]\w+)*")
# The dateline differs between copies of one item (form, agency tag, year): it is left out of the shingles.
DATELINE = re.compile(r"^[^\n]{0,80}?\((?:KCNA|KNS|KNS-KCNA|KCNA-KNS)\)\s*(?:--|—|–|-|:)?\s*")


def words(doc: Document) -> list[str]:
    """The body's words for comparison: lower-cased, apostrophes unified, the opening dateline left out.

    >>> words(Document("a", "s", "u", "T", paragraphs=["Pyongyang, May 27 (KCNA) -- The DPRK’s farms."]))
    ['the', "dprk's", 'farms']
    """
    text = DATELINE.sub("", doc.text.strip(), count=1)
    return [w.replace("’", "'") for w in WORD.findall(text.lower())]


def shingles(tokens: list[str], k: int = SHINGLE_WORDS) -> set[str]:
    """Overlapping runs of k words (a text shorter than k words is one shingle).

    >>> sorted(shingles(["a", "b", "c"], 2))
    ['a b', 'b c']
    """
    if len(tokens) < k:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i:i + k]) for i in range(len(tokens) - k + 1)}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def title_key(title: str) -> str:
    """Letters and digits of a title, lower-cased: "Kim Yo Jong's Statement" = "KIM YO JONG’S STATEMENT"."""
    return "".join(c for c in title.lower() if c.isalnum())


def _day(doc: Document) -> date | None:
    try:
        return date.fromisoformat((doc.date or "")[:10])
    except ValueError:
        return None


def dates_conflict(a: Document, b: Document, gap: int = MAX_DATE_GAP_DAYS) -> bool:
    """True when both documents are dated and the dates are more than `gap` days apart (when one date's year
    was taken from its capture, month and day are compared within a year: a repost may be years younger).

    >>> d = lambda when: Document("x", "s", "u", "T", date=when)
    >>> dates_conflict(d("2024-05-27"), d("2024-05-28")), dates_conflict(d("2024-05-27"), d("2024-06-27"))
    (False, True)
    """
    da, db = _day(a), _day(b)
    if da is None or db is None:
        return False
    if "date-year-from-capture" not in a.flags + b.flags:
        return abs((da - db).days) > gap
    try:
        db_same_year = db.replace(year=da.year)
    except ValueError:  # 29 February
        db_same_year = db.replace(year=da.year, day=28)
    return min(abs((da - db).days), abs((da - db_same_year).days)) > gap


def are_copies(a: Document, b: Document, sa: set[str], sb: set[str]) -> bool:
    """The confirmation of a candidate pair: enough shared shingles (less with the same title), dates close."""
    if dates_conflict(a, b):
        return False
    similarity = jaccard(sa, sb)
    if similarity >= SAME_TEXT:
        return True
    if similarity >= SAME_TITLE_TEXT and title_key(a.title) == title_key(b.title):
        return True
    contained = len(sa & sb) / min(len(sa), len(sb)) if sa and sb else 0.0
    return contained >= CONTAINED and similarity >= CONTAINED_TEXT


@dataclass
class Work:
    """One work and its witnesses (document ids, sorted); `id` is stable while its first member is."""

    id: str
    witnesses: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def work_id(member_ids: list[str]) -> str:
    """A work's id, from its lowest member id (so a release's ids survive the next one unless a copy with
    a lower id joins): "work-" + 12 hex digits.

    >>> work_id(["kcnakp-1", "globalsecurity-2"]) == work_id(["globalsecurity-2", "kcnakp-1"])
    True
    """
    return "work-" + hashlib.sha1(min(member_ids).encode("utf-8")).hexdigest()[:12]


def _crc32(data: bytes) -> int:
    """The shingle hash MinHash permutes: CRC-32, stable across runs, and several times faster than the
    SHA-1 datasketch uses by default (measured: hashing was most of the linking time)."""
    return zlib.crc32(data)


def link_witnesses(documents: list[Document], *, num_perm: int = NUM_PERM) -> list[Work]:
    """Group documents that are copies of one work (every document is in exactly one work; most alone).

    Candidates: MinHash LSH over word shingles; confirmed pairs (are_copies) are joined transitively.
    Returns the works, sorted by id; witnesses sorted by document id.
    """
    from datasketch import MinHash, MinHashLSH

    docs = sorted(documents, key=lambda d: d.id)
    sets = [shingles(words(d)) for d in docs]
    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=num_perm)
    hashes = MinHash.bulk([[s.encode("utf-8") for s in shingle_set] for shingle_set in sets], num_perm=num_perm,
                          hashfunc=_crc32)
    parent = list(range(len(docs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, minhash in enumerate(hashes):
        if not sets[i]:
            continue
        for j in lsh.query(minhash):
            if are_copies(docs[i], docs[j], sets[i], sets[j]):
                parent[find(i)] = find(j)
        lsh.insert(i, minhash)
    groups: dict[int, list[str]] = {}
    for i, doc in enumerate(docs):
        groups.setdefault(find(i), []).append(doc.id)
    return sorted((Work(work_id(ids), sorted(ids)) for ids in groups.values()), key=lambda w: w.id)


@dataclass
class WitnessDifference:
    """Where one witness's text differs from another's (word level)."""

    work: str
    base: str                 # the witness compared against (the source site's copy when there is one)
    other: str
    ops: list[list] = field(default_factory=list)
    words_deleted: int = 0
    words_inserted: int = 0


TYPOGRAPHY = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "—": "--", "–": "-"})


def _comparable(doc: Document) -> str:
    """The text witnesses are compared on: without the dateline (each site's own form) and with quotes and
    dashes in one form (curly or straight is the site's typography, not a variant of the text)."""
    return DATELINE.sub("", doc.text.strip(), count=1).translate(TYPOGRAPHY)


def witness_differences(work: Work, documents: dict[str, Document],
                        source_sites: tuple[str, ...] = ("kcnakp", "rodong")) -> list[WitnessDifference]:
    """Each witness of a work against a base witness: the source's own site's copy when the work has one
    (what the source says now), else the earliest dated. Datelines and typography are left out (see
    _comparable); identical texts give no difference."""
    members = [documents[i] for i in work.witnesses if i in documents]
    if len(members) < 2:
        return []
    base = min(members, key=lambda d: (d.site not in source_sites, d.date or "9999", d.id))
    out = []
    for other in members:
        if other.id == base.id or _comparable(other) == _comparable(base):
            continue
        ops = word_diff(_comparable(base), _comparable(other))
        count = lambda kind: sum(len(WORD.findall(t)) for k, t in ops if k == kind)  # noqa: E731
        out.append(WitnessDifference(work.id, base.id, other.id, ops, count("delete"), count("insert")))
    return out


def render_differences(works: list[Work], differences: list[WitnessDifference], context: int = 30) -> str:
    """Works and their witnesses for a terminal, each difference as [-base-]{+other+} inside its sentence."""
    from corpus.worddiff import changed_excerpts

    lines = []
    by_work: dict[str, list[WitnessDifference]] = {}
    for d in differences:
        by_work.setdefault(d.work, []).append(d)
    for work in works:
        lines.append(f"= {work.id}: {', '.join(work.witnesses)}")
        for d in by_work.get(work.id, []):
            lines.append(f"    {d.other} differs from {d.base}: -{d.words_deleted} +{d.words_inserted} words")
            for excerpt in changed_excerpts(d.ops, context):
                text = "".join(t if k == "equal" else (f"[-{t}-]" if k == "delete" else f"{{+{t}+}}")
                               for k, t in excerpt)
                lines.append("      " + text.replace("\n\n", " ¶ ").replace("\n", " "))
    return "\n".join(lines)
