"""The cleaner's safety net for speed work: a digest of everything clean_page returns, page by page.

    .venv/bin/python bench/clean_golden.py --out /tmp/golden-before.json [--zyte /tmp/aeb] [--synthetic 300]
    .venv/bin/python bench/clean_golden.py --compare /tmp/golden-before.json [--zyte /tmp/aeb]

Runs the cleaner over every page the project has: the HTML fixtures (tests/fixtures/**, with the URLs
the tests clean them under), every response of the demo snapshots (flows/snapshots/*.warc.gz: list
pages, robots.txt and error pages too — a refusal is an outcome), bench/synthetic.py pages, the Zyte
article-extraction benchmark's pages when a checkout is given, and seeded random paragraph lists full
of the corruption the repair rules undo (run through the body repairs directly, where the fixpoint
matters most). Each page's digest covers the whole Document (text, title, dates, metadata, flags,
repair records, spans, extra) except `cleaner_version` — which, by design, changes with the cleaner's
source — or the CleaningError's class and message. `--compare` prints every page whose digest differs
and exits 1 if any does: an optimisation must be byte-identical everywhere.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import hashlib
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cleaners  # noqa: E402
from cleaners.repairs import RepairLog, repair_paragraphs_tracked  # noqa: E402
from cleaners.page import document_spans  # noqa: E402
from cleaners.tracked import Tracked  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
# fixtures the tests clean under a URL of their own (tests/test_generic.py, tests/test_sites_kp.py)
FIXTURE_URLS = {
    "generic/kcna-co-jp-2003-12-13.html": "http://kcna.co.jp/item/2003/200312/news12/13.htm",
    "generic/kcna-co-jp-2010-09-14.html": "http://www.kcna.co.jp/item/2010/201009/news14/20100914-01ee.html",
    "generic/nkaggregator-2016-05-03-dprk-introduced-by-russian-media.html":
        "https://nkaggregator.com/2016/05/03/dprk-introduced-by-russian-media-2/",
    "generic/blogspot-juche007-2012-03-missing-post.html":
        "http://juche007-anglo-peopleskoreafriendship.blogspot.com/2012/03/x.html",
    "generic/wordpress-chrome-only.html": "https://www.kfauk.com/news/",
    "sites/kcnakp-kim-yo-jong-2024-07-14.html":
        "http://www.kcna.kp/en/article/q/134a0eb1839cb01381c703e99144182116b5c41fea8bd4fb75e6da9cf995125e.kcmsf",
    "sites/kcnakp-review-of-rodong-sinmun-2024-05-27.html":
        "http://www.kcna.kp/en/article/detail/5d2f0c1e9a7b4c3d8e6f1a2b3c4d5e6f",
    "sites/rodong-new-houses-haeju-2024-08-01.html":
        "http://www.rodong.rep.kp/en/index.php?MTJAMjAyNC0wOC0wMS1IMDA1QDE1QDFAQDBAMg==",
    "sites/rodong-war-veterans-yangdok-2024-08-01.html":
        "http://www.rodong.rep.kp/en/index.php?MTJAMjAyNC0wOC0wMS1IMDAzQDE1QDFAQDBAMQ==",
}
# What the repair rules undo, as tokens to scatter through random paragraphs (tests/cases/repairs.json
# and the rules' docstrings): backslashes for spaces, "rom"/form-feed "from", mojibake, EUC-KR read as
# Latin-1, entities, zero-width and no-break spaces, print hyphens, footnote marks, runs of spaces.
CORRUPTION = ["workers\\and", "Soviet\\union", "meat.\\and", "\\\\and", "rom", "\x0crom", "wayrom", "â€œway",
              "struggleâ€\x9d", "¡°Song", "Comradeship¡±", "Sung¡¯s", "±èÀϼº", "&amp;rsquo;", "&rsquo;s", "AT&T;",
              "\u200b", "\ufeff", "\u00ad", "\u00a0", "\xa0â€œ", "cir-", "cumstances", "cir-cumstances", "Revolu-tionary",
              "Yun Kwan5", "Ri Je Sun12", "  ", " \t ", "\x07", "C:\\Windows\\system32", "anti-Japanese", "-0-",
              "Korean People's Revolutionary Army", "the Workers’ Party of Korea", "조선", "《세기와 더불어》", "e"]
WORDS = ("the of and to in a was we our people comrades guerrilla army Japanese struggle revolution "
         "Kim Il Sung from with at by for that which had were they".split())


def document_digest(doc) -> str:
    """sha256 of the whole Document as JSON, cleaner_version left out (it digests the cleaner's source)."""
    record = dataclasses.asdict(doc)
    record.pop("cleaner_version", None)
    return hashlib.sha256(json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def outcome(body: bytes, url: str, headers: dict | None = None) -> str:
    """The digest of what clean_page makes of one page: its Document, or its refusal."""
    try:
        return document_digest(cleaners.clean_page(body, url, headers=headers))
    except cleaners.CleaningError as exc:
        return f"{type(exc).__name__}: {exc}"


def fixture_pages():
    """(key, body, url, headers) for every HTML fixture the tests clean."""
    cases = json.loads((FIXTURES / "cases.json").read_text(encoding="utf-8"))
    for site, entries in cases.items():
        for case in entries:
            yield f"fixture:{site}/{case['file']}", (FIXTURES / site / case["file"]).read_bytes(), case["url"], case["headers"]
    for name, url in FIXTURE_URLS.items():
        yield f"fixture:{name}", (FIXTURES / name).read_bytes(), url, {}


def snapshot_pages():
    """Every response of the demo snapshots (each file on its own: later snapshots change pages)."""
    from replay.server import load_snapshot

    for path in sorted((ROOT / "flows" / "snapshots").glob("*.warc.gz")):
        for url, r in sorted(load_snapshot([path]).items()):
            yield f"{path.name}:{url}", r.body, url, {k.lower(): v for k, v in r.headers}


def synthetic_pages(n: int):
    """bench/synthetic.py's pages (GlobalSecurity and KANCC chrome around the seeds' real text)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from synthetic import synthetic_pages as build

    for url, (_, body, ctype) in sorted(build(n).items()):
        yield f"synthetic:{url}", body, url, {"content-type": ctype}


def zyte_pages(bench: Path):
    """The Zyte benchmark's pages under their ground-truth URLs, as bench/zyte.py cleans them."""
    truth = json.loads((bench / "ground-truth.json").read_text(encoding="utf-8"))
    for path in sorted((bench / "html").glob("*.html.gz")):
        key = path.name.split(".")[0]
        url = truth.get(key, {}).get("url") or f"https://unknown.example/{key}"
        yield f"zyte:{key}", gzip.decompress(path.read_bytes()), url, {"content-type": "text/html; charset=utf-8"}


def random_bodies(n: int, seed: int = 17):
    """Seeded paragraph lists dense with corruption: the body repairs' fixpoint on hard input."""
    rnd = random.Random(seed)
    for i in range(n):
        paragraphs = []
        for _ in range(rnd.randint(1, 8)):
            tokens = [rnd.choice(CORRUPTION) if rnd.random() < 0.3 else rnd.choice(WORDS)
                      for _ in range(rnd.randint(0, 40))]
            glue = rnd.choice([" ", " ", "", "\u00a0"])
            paragraphs.append(glue.join(tokens) + rnd.choice(["", ".", ",", " -0-", "\\"]))
        yield f"repairs:{i}", paragraphs


def repairs_digest(paragraphs: list[str]) -> str:
    """sha256 of the body repairs' full output on one paragraph list: texts, flags, log and spans."""
    log = RepairLog()
    tracked, flags = repair_paragraphs_tracked([Tracked(p) for p in paragraphs], log, "body")
    record = {"paragraphs": [t.text for t in tracked], "served": [t.served for t in tracked], "flags": flags,
              "log": log.as_list(), "spans": document_spans(Tracked(""), tracked)}
    return hashlib.sha256(json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def all_digests(zyte: Path | None, synthetic: int, randoms: int) -> dict[str, str]:
    digests = {}
    sources = [fixture_pages(), snapshot_pages(), synthetic_pages(synthetic)]
    if zyte is not None:
        sources.append(zyte_pages(zyte))
    for source in sources:
        for key, body, url, headers in source:
            digests[key] = outcome(body, url, headers)
    for key, paragraphs in random_bodies(randoms):
        digests[key] = repairs_digest(paragraphs)
    return digests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the digests here (JSON)")
    parser.add_argument("--compare", type=Path, help="compare with digests written before; exit 1 on any difference")
    parser.add_argument("--zyte", type=Path, help="a checkout of scrapinghub/article-extraction-benchmark")
    parser.add_argument("--synthetic", type=int, default=300, help="bench/synthetic.py pages")
    parser.add_argument("--random", type=int, default=2000, help="random corrupted paragraph lists")
    args = parser.parse_args()
    digests = all_digests(args.zyte, args.synthetic, args.random)
    refused = sum(1 for v in digests.values() if ":" in v)
    print(f"{len(digests)} outcomes ({refused} refusals)")
    if args.out:
        args.out.write_text(json.dumps(digests, ensure_ascii=False, indent=0, sort_keys=True), encoding="utf-8")
    if args.compare:
        before = json.loads(args.compare.read_text(encoding="utf-8"))
        differ = sorted(k for k in before.keys() | digests.keys() if before.get(k) != digests.get(k))
        for key in differ:
            print(f"  DIFFERS {key}: {before.get(key)!r} -> {digests.get(key)!r}")
        print(f"{len(differ)} of {len(before)} differ" if differ else f"identical: all {len(before)} outcomes")
        sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
