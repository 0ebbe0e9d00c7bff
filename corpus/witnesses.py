"""One article, many copies: find the copies of one KCNA item across sites (kcna.kp, GlobalSecurity,
kcna.co.jp, blogs, Wayback captures), link them as witnesses of one work, and show where they differ.

Copies are near-duplicates, not equal: each site frames the text its own way (the dateline "Pyongyang,
May 27 (KCNA) --" becomes "Pyongyang, 27 May, 2024 (KNS-KCNA)", quotes turn curly, KCNA's "-0-" goes) and
a source may edit its own copy later while a repost keeps the old text. So candidates come from MinHash
over word shingles with LSH bands, and each candidate pair is confirmed by the exact Jaccard similarity
of the shingle sets, with the dateline and title as hints: a shared title carries a lower overlap, and two
items whose dates fall days apart are different items of one template (the daily "Review of Rodong
Sinmun"), whatever their overlap.

KCNA's output is full of *formula articles*: the same congratulation sent to dozens of heads of state on
their national days, word for word but for the country and the addressee. They overlap as much as two
copies do, yet they are different articles: a pair whose proper names differ on both sides (each names
someone or somewhere the other does not) is never one work.

The index lives on disk (SQLite beside the releases), keyed by document id and text digest, so that a
release signs only new and changed documents, never holds every document's shingles at once, and
confirms a bounded number of candidates per document: a band bucket that fills (a phrase every
document shares) stops growing (it answers with its first members), and a document with more candidates than MAX_CONFIRM is confirmed
against the strongest ones and recorded as "too many candidates".
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import zlib
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from datetime import date
from difflib import SequenceMatcher
from pathlib import Path
from typing import Iterable

import numpy as np

from core.document import Document
from corpus.worddiff import word_diff

SHINGLE_WORDS = 5
NUM_PERM = 128
LSH_THRESHOLD = 0.2       # candidates: estimated Jaccard at least this (band count chosen by datasketch)
SAME_TEXT = 0.5           # confirmed copies: exact shingle Jaccard at least this ...
SAME_TITLE_TEXT = 0.25    # ... or this much with the same title ...
CONTAINED = 0.7           # ... or one copy's shingles mostly inside the other's (a repost cut or added to)
CONTAINED_TEXT = 0.2      #     with at least this Jaccard
MAX_DATE_GAP_DAYS = 3     # reposts carry the source's dateline; days apart means another item
BUCKET_CAP = 32           # an LSH bucket keeps its first members only: past them it is a phrase many items share
FINGERPRINTS_KEPT = 4096  # fingerprints read back for confirmation kept in memory (~3 KB each)
MAX_CONFIRM = 48          # candidates confirmed per document (the ones sharing most bands)
SLOT_CONTEXT = (3, 2)     # words left and right of a name that make its slot (3 + 2: rarely met by chance)
SPELLING_VARIANT = 0.75   # "Phyongyang" / "Pyongyang": one name spelt two ways, not two names
WORD = re.compile(r"\w+(?:['’]\w+)*")
# The dateline differs between copies of one item (form, agency tag, year): it is left out of the shingles.
DATELINE = re.compile(r"^[^\n]{0,80}?\((?:KCNA|KNS|KNS-KCNA|KCNA-KNS)\)\s*(?:--|—|–|-|:)?\s*")
# A capitalised word: a name of a person, country, party or place (Latin script).
NAME = re.compile(r"[A-Z][a-z]+(?:[-'][A-Za-z]+)*")
# Capitalised words KCNA writes in every kind of item: they say nothing about which item this is.
COMMON_NAMES = frozenset("""
I The A An In On At Of For To And But This That These Those It He She They We His Her Their Our Its
Korea Korean Koreans DPRK Pyongyang Kim Il Sung Jong Un Chairman President Premier Supreme Leader
Comrade Respected Dear General Secretary Marshal Party Workers Central Committee Committee Agency News
Juche Songun Day January February March April May June July August September October November December
Monday Tuesday Wednesday Thursday Friday Saturday Sunday Republic Democratic People People's
""".split())


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


def shingle_hashes(tokens: list[str], k: int = SHINGLE_WORDS) -> np.ndarray:
    """The shingles as sorted unique 32-bit CRCs: what the index keeps instead of the strings (4 bytes
    each; two shingles of one document pair colliding is a chance in a billion per pair).

    >>> shingle_hashes(["a", "b", "c"], 2).tolist() == sorted({zlib.crc32(b"a b"), zlib.crc32(b"b c")})
    True
    """
    return np.unique(np.fromiter((zlib.crc32(s.encode("utf-8")) for s in shingles(tokens, k)), dtype=np.uint32))


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def title_key(title: str) -> str:
    """Letters and digits of a title, lower-cased: "Kim Yo Jong's Statement" = "KIM YO JONG’S STATEMENT"."""
    return "".join(c for c in title.lower() if c.isalnum())


def name_slots(text: str) -> dict[str, str]:
    """Each run of proper names inside a sentence, keyed by the words around it: "a message to {Miguel
    Diaz-Canel}, president of" gives "a message to|president of" -> "Miguel Diaz-Canel". A formula article is the same sentence with
    another name in the same slot; a repost's added sentence brings new slots, not other names in old ones.

    >>> name_slots("Kim Jong Un sent a message to Miguel Diaz-Canel, president of Cuba, on Monday.")
    {'a message to|president of': 'Miguel Diaz-Canel', 'diaz-canel president of|on monday': 'Cuba'}
    """
    tokens = text.split()
    bare = [_bare(t) for t in tokens]
    named = [_is_name(tokens, bare, i) for i in range(len(tokens))]
    slots: dict[str, str] = {}
    i = 0
    while i < len(tokens):
        if not named[i]:
            i += 1
            continue
        j = i
        while j < len(tokens) and named[j] and (j == i or not tokens[j - 1][-1] in ",;:.!?)”\""):
            j += 1
        left = " ".join(b.lower() for b in bare[max(0, i - SLOT_CONTEXT[0]):i])
        right = " ".join(b.lower() for b in bare[j:j + SLOT_CONTEXT[1]])
        slots.setdefault(f"{left}|{right}", " ".join(bare[i:j]))
        i = j
    return slots


def _bare(token: str) -> str:
    return token.strip(".,;:!?()[]“”‘’\"'").replace("’", "'")


def _is_name(tokens: list[str], bare: list[str], i: int) -> bool:
    """A capitalised word that does not open a sentence and is not KCNA's everyday vocabulary."""
    word = bare[i]
    if not "A" <= word[:1] <= "Z" or i == 0 or tokens[i - 1][-1] in ".!?:;\"“":   # most words: lower case
        return False
    return bool(NAME.fullmatch(word)) and word not in COMMON_NAMES


def names_conflict(a: dict[str, str], b: dict[str, str], threshold: float = SPELLING_VARIANT) -> bool:
    """True when one slot holds different names in the two texts (one formula, two addressees); a name only
    one side holds (a repost that cut or added a sentence) or one name spelt two ways is no conflict.

    >>> names_conflict({"to|president": "Miguel Diaz-Canel"}, {"to|president": "Thongloun Sisoulith"})
    True
    >>> names_conflict({"to|president": "Miguel"}, {"of|on": "Cuba"}), names_conflict({"in|on": "Phyongyang"}, {"in|on": "Pyongyang"})
    (False, False)
    """
    for key in a.keys() & b.keys():
        x, y = a[key], b[key]
        if x.startswith(y) or y.startswith(x):   # one run longer: a name met a capitalised word of an edit
            continue
        if SequenceMatcher(None, x, y).ratio() < threshold:
            return True
    return False


def _day(doc: Document) -> date | None:
    try:
        return date.fromisoformat((doc.date or "")[:10])
    except ValueError:
        return None


def _days_apart(da: date | None, db: date | None, year_from_capture: bool, gap: int) -> bool:
    if da is None or db is None:
        return False
    if not year_from_capture:
        return abs((da - db).days) > gap
    try:
        db_same_year = db.replace(year=da.year)
    except ValueError:  # 29 February
        db_same_year = db.replace(year=da.year, day=28)
    return min(abs((da - db).days), abs((da - db_same_year).days)) > gap


def dates_conflict(a: Document, b: Document, gap: int = MAX_DATE_GAP_DAYS) -> bool:
    """True when both documents are dated and the dates are more than `gap` days apart (when one date's year
    was taken from its capture, month and day are compared within a year: a repost may be years younger).

    >>> d = lambda when: Document("x", "s", "u", "T", date=when)
    >>> dates_conflict(d("2024-05-27"), d("2024-05-28")), dates_conflict(d("2024-05-27"), d("2024-06-27"))
    (False, True)
    """
    return _days_apart(_day(a), _day(b), "date-year-from-capture" in a.flags + b.flags, gap)


@dataclass
class Fingerprint:
    """What the index keeps of one document to confirm a candidate: no text, only hashes and hints."""

    id: str
    text_sha: str
    shingles: np.ndarray          # sorted unique uint32
    title_key: str
    day: date | None
    year_from_capture: bool
    names: dict[str, str]   # name_slots of the body

    @classmethod
    def of(cls, doc: Document) -> "Fingerprint":
        return cls(doc.id, _fingerprint_digest(doc), shingle_hashes(words(doc)), title_key(doc.title), _day(doc),
                   "date-year-from-capture" in doc.flags, name_slots(DATELINE.sub("", doc.text.strip(), count=1)))


def _fingerprint_digest(doc: Document) -> str:
    """Changes whenever anything the confirmation reads changes (text, title, date, the year-from-capture flag)."""
    key = "\x1f".join((doc.text, doc.title or "", doc.date or "", str("date-year-from-capture" in doc.flags)))
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def confirm(a: Fingerprint, b: Fingerprint) -> bool:
    """The confirmation of a candidate pair: enough shared shingles (less with the same title), dates close,
    and no two different addressees of one formula."""
    if _days_apart(a.day, b.day, a.year_from_capture or b.year_from_capture, MAX_DATE_GAP_DAYS):
        return False
    if not len(a.shingles) or not len(b.shingles):
        return False
    shared = len(np.intersect1d(a.shingles, b.shingles, assume_unique=True))
    similarity = shared / (len(a.shingles) + len(b.shingles) - shared)
    contained = shared / min(len(a.shingles), len(b.shingles))
    if not (similarity >= SAME_TEXT or (similarity >= SAME_TITLE_TEXT and a.title_key == b.title_key)
            or (contained >= CONTAINED and similarity >= CONTAINED_TEXT)):
        return False
    return not names_conflict(a.names, b.names)


def are_copies(a: Document, b: Document) -> bool:
    """Whether two documents are copies of one work (the index's confirmation, for two documents at hand).

    >>> text = "Kim Jong Un sent a message of greeting to {0}, president of {1}, on the national day of {1}."
    >>> doc = lambda i, who, where: Document(i, "s", "u", "Greeting", paragraphs=[text.format(who, where)] * 3)
    >>> are_copies(doc("a", "Miguel Diaz-Canel", "Cuba"), doc("b", "Miguel Diaz-Canel", "Cuba"))
    True
    >>> are_copies(doc("a", "Miguel Diaz-Canel", "Cuba"), doc("b", "Thongloun Sisoulith", "Laos"))
    False
    """
    return confirm(Fingerprint.of(a), Fingerprint.of(b))


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


@dataclass
class LinkReport:
    """What one linking pass did: documents signed anew, reused from the index, and those whose candidates
    were more than could be confirmed (linked against the strongest MAX_CONFIRM only)."""

    signed: int = 0
    reused: int = 0
    confirmed_pairs: int = 0
    too_many_candidates: list[str] = field(default_factory=list)
    full_buckets: int = 0         # bands of signed documents not stored because their bucket was full
    exact_copies: int = 0         # documents joined to an indexed twin of the same text, title and date

    def to_dict(self, examples: int = 20) -> dict:
        """For the manifest: the counts, and the first `examples` documents with too many candidates."""
        return {"signed": self.signed, "reused": self.reused, "confirmed_pairs": self.confirmed_pairs,
                "full_buckets": self.full_buckets, "exact_copies": self.exact_copies,
                "too_many_candidates": len(self.too_many_candidates),
                "too_many_candidates_examples": self.too_many_candidates[:examples]}


_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (n INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, text_sha TEXT NOT NULL,
    shingles BLOB NOT NULL, title_key TEXT, day TEXT, year_from_capture INTEGER, names TEXT, twin INTEGER);
CREATE INDEX IF NOT EXISTS docs_text_sha ON docs (text_sha) WHERE twin IS NULL;
CREATE INDEX IF NOT EXISTS docs_twin ON docs (twin) WHERE twin IS NOT NULL;
CREATE TABLE IF NOT EXISTS bands (key INTEGER NOT NULL, day INTEGER, n INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS bands_key ON bands (key, day);
CREATE INDEX IF NOT EXISTS bands_n ON bands (n);
CREATE TABLE IF NOT EXISTS links (a INTEGER NOT NULL, b INTEGER NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS links_b ON links (b);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""
INDEX_VERSION = "5"   # what a stored row means; an index of another version is rebuilt from scratch


def _index_settings() -> str:
    return json.dumps({"v": INDEX_VERSION, "k": SHINGLE_WORDS, "perm": NUM_PERM, "lsh": LSH_THRESHOLD,
                       "cap": BUCKET_CAP, "confirm": [SAME_TEXT, SAME_TITLE_TEXT, CONTAINED, CONTAINED_TEXT,
                                                     MAX_DATE_GAP_DAYS, SPELLING_VARIANT]}, sort_keys=True)


class WitnessIndex:
    """MinHash band keys and shingle hashes of every document ever linked, on disk (a cache: deleting it
    costs one full signing pass, never a release's content).

    path   a SQLite file, or None for an index in memory (one linking pass, nothing kept)
    """

    def __init__(self, path: Path | None = None, *, num_perm: int = NUM_PERM):
        from datasketch import MinHashLSH

        self.path = path
        self.num_perm = num_perm
        lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=num_perm)
        self.bands, self.rows = lsh.b, lsh.r
        self._kept: OrderedDict[int, Fingerprint] = OrderedDict()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.db = self._open(path)

    def _open(self, path: Path | None, *, anew: bool = False) -> sqlite3.Connection:
        db = sqlite3.connect(":memory:" if path is None else str(path), isolation_level=None)
        try:
            db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" + _SCHEMA)
            stored = db.execute("SELECT value FROM meta WHERE key='settings'").fetchone()
        except sqlite3.OperationalError:   # a full disk, a lock, an I/O error: the file is not the fault
            db.close()
            raise
        except sqlite3.DatabaseError:   # a torn or foreign file: the index is a cache, start it anew (once:
            db.close()                  # a full disk made this a recursion without end, found by the histories)
            if anew or path is None:
                raise
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            return self._open(path, anew=True)
        if stored is None or stored[0] != _index_settings() + f"|{self.num_perm}":
            db.executescript("DELETE FROM docs; DELETE FROM bands; DELETE FROM links;")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('settings', ?)", (_index_settings() + f"|{self.num_perm}",))
        return db

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "WitnessIndex":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- signing ---------------------------------------------------------------------------------------

    def _band_keys(self, hashvalues: np.ndarray) -> list[int]:
        """One 63-bit key per LSH band (band number included), stable across processes."""
        values = hashvalues.astype(np.uint32)
        keys = []
        for band in range(self.bands):
            chunk = values[band * self.rows:(band + 1) * self.rows].tobytes()
            digest = hashlib.blake2b(chunk, digest_size=8, person=band.to_bytes(2, "little")).digest()
            keys.append(int.from_bytes(digest, "little") >> 1)
        return keys

    def _signatures(self, prints: list[Fingerprint]) -> list[np.ndarray]:
        from datasketch import MinHash

        hashed = [[int(h).to_bytes(4, "little") for h in fp.shingles] for fp in prints]
        return [m.hashvalues for m in MinHash.bulk(hashed, num_perm=self.num_perm, hashfunc=_hash_bytes)]

    # -- linking ---------------------------------------------------------------------------------------

    def update(self, documents: Iterable[Document], batch: int = 256) -> tuple[list[Work], LinkReport]:
        """Sign the new and changed documents, link them, and return the works among `documents`
        (every document in exactly one work, most alone; sorted by id) and what the pass did."""
        report = LinkReport()
        present: list[tuple[int, str]] = []
        pending: list[Document] = []
        for doc in documents:
            pending.append(doc)
            if len(pending) >= batch:
                present += self._update_batch(pending, report)
                pending = []
        if pending:
            present += self._update_batch(pending, report)
        return self._works(present), report

    def _update_batch(self, docs: list[Document], report: LinkReport) -> list[tuple[int, str]]:
        db = self.db
        known = {row[0]: (row[1], row[2]) for row in db.execute(
            f"SELECT id, n, text_sha FROM docs WHERE id IN ({','.join('?' * len(docs))})", [d.id for d in docs])}
        out, fresh = [], []
        for doc in docs:
            fp_digest = _fingerprint_digest(doc)
            if doc.id in known and known[doc.id][1] == fp_digest:
                out.append((known[doc.id][0], doc.id))
                report.reused += 1
            else:
                fresh.append((doc, fp_digest))
        if not fresh:
            return out
        # An exact repost (the same text, title and date as an indexed document: the same article on two
        # sites, or a formula article re-sent word for word) is that document's twin: it joins its work with
        # no shingles, signature or confirmation of its own. Only the first of a text is signed.
        digests = list({digest for _, digest in fresh})
        indexed = {sha: n for sha, n in db.execute(
            f"SELECT text_sha, MIN(n) FROM docs WHERE twin IS NULL AND text_sha IN ({','.join('?' * len(digests))}) "
            "GROUP BY text_sha", digests)}
        first_here: set[str] = set()
        to_sign = []
        for doc, digest in fresh:
            if digest not in indexed and digest not in first_here:
                first_here.add(digest)
                to_sign.append(doc)
        fingerprints = [Fingerprint.of(doc) for doc in to_sign]
        prints = {fp.id: (fp, sig) for fp, sig in zip(fingerprints, self._signatures(fingerprints))}
        db.execute("BEGIN")
        try:
            for doc, digest in fresh:
                old_n = known.get(doc.id, (None,))[0]
                if old_n is not None:
                    self._forget(old_n, report)
                    indexed = {sha: n for sha, n in indexed.items() if n != old_n}
                twin = None if doc.id in prints else indexed.get(digest) or self._indexed_twin(digest)
                if twin is None:   # signed now if the twin it was planned for has just changed
                    fp, hashvalues = prints.get(doc.id) or self._signed(doc)
                    n = self._insert(fp)
                    self._link(n, fp, hashvalues, report)
                    indexed[digest] = n
                else:
                    n = db.execute(
                        "INSERT INTO docs (id, text_sha, shingles, title_key, day, year_from_capture, names, twin) "
                        "SELECT ?, text_sha, shingles, title_key, day, year_from_capture, names, n FROM docs WHERE n=?",
                        (doc.id, twin)).lastrowid
                    report.exact_copies += 1
                out.append((n, doc.id))
                report.signed += 1
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:   # SQLite rolled back by itself on a full disk: the disk is the error to say
                db.execute("ROLLBACK")
            self._kept.clear()
            raise
        return out

    def _indexed_twin(self, digest: str) -> int | None:
        return self.db.execute("SELECT MIN(n) FROM docs WHERE twin IS NULL AND text_sha=?", (digest,)).fetchone()[0]

    def _signed(self, doc: Document) -> tuple[Fingerprint, np.ndarray]:
        fp = Fingerprint.of(doc)
        return fp, self._signatures([fp])[0]

    def _forget(self, old_n: int, report: LinkReport) -> None:
        """A changed text: its old row, bands and links go. If it was the indexed one of exact copies, the
        first of them takes its place: signed from the stored shingles and confirmed anew."""
        db = self.db
        self._kept.pop(old_n, None)   # SQLite may give its number to the next row
        heirs = [n for n, in db.execute("SELECT n FROM docs WHERE twin=? ORDER BY n", (old_n,))]
        db.execute("DELETE FROM bands WHERE n=?", (old_n,))
        db.execute("DELETE FROM links WHERE a=? OR b=?", (old_n, old_n))
        db.execute("DELETE FROM docs WHERE n=?", (old_n,))
        if heirs:
            heir = heirs[0]
            db.execute("UPDATE docs SET twin=NULL WHERE n=?", (heir,))
            db.execute("UPDATE docs SET twin=? WHERE twin=?", (heir, old_n))
            [(_, fp)] = self._fingerprints([heir])
            self._link(heir, fp, self._signatures([fp])[0], report)

    def _insert(self, fp: Fingerprint) -> int:
        return self.db.execute(
            "INSERT INTO docs (id, text_sha, shingles, title_key, day, year_from_capture, names) VALUES (?,?,?,?,?,?,?)",
            (fp.id, fp.text_sha, fp.shingles.tobytes(), fp.title_key, fp.day.isoformat() if fp.day else None,
             int(fp.year_from_capture), json.dumps(fp.names, ensure_ascii=False, sort_keys=True))).lastrowid

    def _link(self, n: int, fp: Fingerprint, hashvalues: np.ndarray, report: LinkReport) -> None:
        """Confirm the indexed row `n` against its LSH candidates, then store its bands."""
        db = self.db
        keys = self._band_keys(hashvalues) if len(fp.shingles) else []
        if not keys:
            return
        # A dated text is a candidate only of texts dated within the gap (or of undated ones, and those whose
        # year is a guess): one formula sent every year to one addressee fills no bucket of another year.
        day = fp.day.toordinal() if fp.day and not fp.year_from_capture else None
        marks = ",".join("?" * len(keys))
        # The bucket members this text meets, counted in SQLite (a Python loop over every member row was
        # half of a release's linking on a corpus of formula articles): per member the bands it shares,
        # the strongest first; per bucket the members of the same kind (dated in the window, or undated).
        if day is None:
            met = (f"SELECT key, n, day IS NULL AS same FROM bands WHERE key IN ({marks})", keys)
        else:
            met = (f"SELECT key, n, 1 AS same FROM bands WHERE key IN ({marks}) AND day BETWEEN ? AND ? "
                   f"UNION ALL SELECT key, n, 0 AS same FROM bands WHERE key IN ({marks}) AND day IS NULL",
                   keys + [day - MAX_DATE_GAP_DAYS, day + MAX_DATE_GAP_DAYS] + keys)
        candidates = [other for other, in db.execute(
            f"SELECT n FROM ({met[0]}) GROUP BY n ORDER BY COUNT(*) DESC, n LIMIT ?", met[1] + [MAX_CONFIRM + 1])]
        full = {key for key, in db.execute(
            f"SELECT key FROM ({met[0]}) WHERE same GROUP BY key HAVING COUNT(*) >= ?", met[1] + [BUCKET_CAP])}
        if len(candidates) > MAX_CONFIRM:
            report.too_many_candidates.append(fp.id)
            candidates = candidates[:MAX_CONFIRM]
        for other, theirs in self._fingerprints(candidates):
            if confirm(fp, theirs):
                db.execute("INSERT OR IGNORE INTO links VALUES (?, ?)", (min(n, other), max(n, other)))
                report.confirmed_pairs += 1
        report.full_buckets += len(full)
        db.executemany("INSERT INTO bands VALUES (?, ?, ?)", [(key, day, n) for key in keys if key not in full])

    def _fingerprints(self, numbers: list[int]) -> list[tuple[int, Fingerprint]]:
        """The stored fingerprints of these index rows, in the order asked. The last FINGERPRINTS_KEPT read
        are kept: the members of a formula's buckets are every new member's candidates again."""
        cache = self._kept
        missing = [n for n in numbers if n not in cache]
        if missing:
            for r in self.db.execute(
                    "SELECT n, id, text_sha, shingles, title_key, day, year_from_capture, names FROM docs "
                    f"WHERE n IN ({','.join('?' * len(missing))})", missing):
                cache[r[0]] = Fingerprint(r[1], r[2], np.frombuffer(r[3], dtype=np.uint32), r[4],
                                          date.fromisoformat(r[5]) if r[5] else None, bool(r[6]), json.loads(r[7]))
            while len(cache) > FINGERPRINTS_KEPT:
                cache.popitem(last=False)
        found = []
        for n in numbers:
            if n in cache:
                cache.move_to_end(n)
                found.append((n, cache[n]))
        return found

    def _works(self, present: list[tuple[int, str]]) -> list[Work]:
        """Connected components of the confirmed links among the documents of this pass."""
        ids = dict(present)
        parent = {n: n for n in ids}

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        # an exact copy is one with its indexed twin, whose links are its own (even if the twin itself
        # is no longer among the documents: then it stands in for them and is not listed)
        for n, twin in self.db.execute("SELECT n, twin FROM docs WHERE twin IS NOT NULL"):
            if n in parent:
                parent.setdefault(twin, twin)
                parent[find(n)] = find(twin)
        for a, b in self.db.execute("SELECT a, b FROM links"):
            if a in parent and b in parent:
                parent[find(a)] = find(b)
        groups: dict[int, list[str]] = {}
        for n, doc_id in ids.items():
            groups.setdefault(find(n), []).append(doc_id)
        return sorted((Work(work_id(members), sorted(members)) for members in groups.values()), key=lambda w: w.id)


def _hash_bytes(data: bytes) -> int:
    """The shingle hashes are already CRC-32s (4 bytes, little-endian): MinHash permutes them as they are."""
    return int.from_bytes(data, "little")


def link_witnesses(documents: Iterable[Document], *, index_path: Path | None = None,
                   num_perm: int = NUM_PERM) -> list[Work]:
    """Group documents that are copies of one work (every document is in exactly one work; most alone).

    Candidates: MinHash LSH over word shingles; confirmed pairs (`confirm`) are joined transitively.
    index_path  a persisted index (signatures of unchanged documents are reused), or None (in memory).
    Returns the works, sorted by id; witnesses sorted by document id.
    """
    with WitnessIndex(index_path, num_perm=num_perm) as index:
        works, _ = index.update(sorted(documents, key=lambda d: d.id))
    return works


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
