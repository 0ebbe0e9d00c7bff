"""A large synthetic snapshot for benchmarks: N pages of both sites with the real chrome and corruption.

    .venv/bin/python bench/synthetic.py --pages 10000 --out /tmp/kcorpus-bench-10000.warc.gz

GlobalSecurity articles are built from the GS seed's paragraphs (real text, reshuffled), KANCC posts
from the KANCC seed's paragraphs — which carry the site's real corruption — at the seeds' own sizes,
inside the same page templates as the shipped snapshots (scripts/build_snapshots.py). 80% GS, 20% KANCC,
50 posts per KANCC list page (so a 10k snapshot stays within the profile's 40 list pages).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import io
import random
import sys
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import BufferWARCWriter

ROOT = Path(__file__).resolve().parent.parent


def _builder():
    sys.path.insert(0, str(ROOT / "scripts"))
    spec = importlib.util.spec_from_file_location("build_snapshots", ROOT / "scripts" / "build_snapshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def synthetic_pages(n: int, seed: int = 7) -> dict[str, tuple[int, bytes, str]]:
    b = _builder()
    rnd = random.Random(seed)
    pages = dict((url, page) for url, page in b.pages_for(1).items() if url.endswith("robots.txt"))
    title, source, gs_paras = b.seed_gs()
    subject, kancc_lines = b.seed_kancc()
    kancc_paras = [line for line in kancc_lines[6:] if line.strip()]
    n_gs = n * 4 // 5
    index_items = []
    for i in range(n_gs):
        yy, mm, dd = 10 + i // 3000 % 10, 1 + i // 250 % 12, 1 + i // 9 % 28
        stem = f"dprk-{yy:02d}{mm:02d}{dd:02d}-kcna{i % 90 + 10:02d}"
        k = rnd.randint(6, len(gs_paras))
        paras = [f"Pyongyang, September {dd} (KCNA) -- " + gs_paras[0]] + rnd.sample(gs_paras[1:], k - 1)
        body = b.gs_page(f"{title} ({i})", source, paras).encode("cp1252")
        pages[f"{b.GS}{stem}.htm"] = (200, body, "text/html; charset=iso-8859-1")
        index_items.append((stem, f"{title} ({i})", "KCNA", "14 Sep 2010", "..."))
    pages[b.GS + "index.html"] = (200, b.gs_index(index_items).encode("cp1252"), "text/html; charset=iso-8859-1")
    posts = []
    for i in range(n - n_gs):
        wr_id = 10_000 + i
        k = rnd.randint(20, min(100, len(kancc_paras)))
        lines = kancc_lines[:6]
        for paragraph in rnd.sample(kancc_paras, k):
            lines += [paragraph, ""]
        posts.append((wr_id, subject, "20-09-18 19:23", 0))
        pages[f"{b.BOARD}&wr_id={wr_id}"] = (200, b.kancc_post(wr_id, subject, "20-09-18 19:23", 0, lines).encode(),
                                             "text/html; charset=utf-8")
    # every board the profile starts from lists one post of its own (an empty start page is a layout canary)
    for board, (board_title, _) in b.OTHER_BOARDS.items():
        wr_id, subject, posted, comments = posts.pop()
        url = f"{b.KANCC_BBS}{board}&wr_id={wr_id}"
        pages[url] = pages.pop(f"{b.BOARD}&wr_id={wr_id}")
        pages[f"{b.KANCC_BBS}{board}&page=1"] = (
            200, b.kancc_list([(wr_id, subject, posted, comments)], 1, 1, 1, board=board,
                              board_title=board_title).encode(), "text/html; charset=utf-8")
    per_page = 50
    page_count = (len(posts) + per_page - 1) // per_page
    for page in range(1, page_count + 1):
        chunk = posts[(page - 1) * per_page: page * per_page]
        pages[f"{b.BOARD}&page={page}"] = (200, b.kancc_list(chunk, page, page_count, len(posts)).encode(),
                                           "text/html; charset=utf-8")
    return pages


def write_warc(pages: dict, path: Path) -> None:
    out = io.BytesIO()
    for url, (status, body, ctype) in pages.items():
        writer = BufferWARCWriter(gzip=False)
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        headers = [("Content-Type", ctype), ("Content-Length", str(len(body))), ("ETag", etag),
                   ("Last-Modified", "Thu, 01 Oct 2026 03:00:00 GMT")]
        writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                      http_headers=StatusAndHeaders(f"{status} OK", headers, protocol="HTTP/1.1")))
        out.write(gzip.compress(writer.get_contents(), compresslevel=1))
    path.write_bytes(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    pages = synthetic_pages(args.pages)
    write_warc(pages, args.out)
    articles = sum(1 for u in pages if "kcna" in u or "wr_id" in u)
    print(f"{articles} article pages ({len(pages)} URLs), {args.out.stat().st_size / 1e6:.1f} MB -> {args.out}")


if __name__ == "__main__":
    main()
