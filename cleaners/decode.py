"""Turn a captured body into text: charset from the HTTP header, the <meta> tag and the bytes, in that
order of evidence; a declared charset the bytes contradict is overridden and the repair recorded."""

from __future__ import annotations

import codecs
import re

from cleaners.errors import CleaningError
from cleaners.legacy import decode_legacy, sniff_legacy_page
from cleaners.repairs import RepairLog

META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
# WHATWG: browsers decode these labels as windows-1252, so curly quotes (0x93/0x94) on pages that
# declare iso-8859-1 (GlobalSecurity's old static HTML) are what the author saw.
WINDOWS_1252_LABELS = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii", "cp819",
                       "iso_8859-1", "windows-1252", "cp1252", "x-cp1252"}
# WHATWG again: "euc-kr" and its aliases decode as windows-949 (CP949, EUC-KR plus the 8,822 extra
# syllables Korean Windows added: a strict EUC-KR decoder fails on most real Korean pages), and "gb2312" /
# "gbk" as GB18030. North Korea's own KPS 9566 has no Python codec: cleaners.legacy decodes it.
SUPERSET_LABELS = {"euc-kr": "cp949", "euc_kr": "cp949", "euckr": "cp949", "ks_c_5601-1987": "cp949",
                   "ks_c_5601": "cp949", "ksc5601": "cp949", "windows-949": "cp949", "cp949": "cp949",
                   "x-windows-949": "cp949", "uhc": "cp949", "gb2312": "gb18030", "gbk": "gb18030",
                   "x-gbk": "gb18030", "gb_2312-80": "gb18030", "cp936": "gb18030", "gb18030": "gb18030",
                   "kps9566": "kps9566", "kps-9566": "kps9566", "kps_9566": "kps9566", "kps 9566": "kps9566"}
# The control bytes a text page does not hold (tab, newline, vertical tab, form feed, carriage return do)
CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or 13 < b)
MARKUP = re.compile(r"<\s*(?:html|head|body|p|div|table|title|meta|br|a|span|h[1-6])\b", re.IGNORECASE)


def _normalise(label: str | None) -> str | None:
    """A codec name Python knows for a charset label, or None."""
    if not label:
        return None
    label = label.strip().lower()
    if label in WINDOWS_1252_LABELS:
        return "cp1252"
    if label in SUPERSET_LABELS:
        return SUPERSET_LABELS[label]
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def declared_charsets(body: bytes, headers: dict[str, str] | None) -> tuple[str | None, str | None]:
    """(charset from the Content-Type header, charset from a <meta> tag), as codec names."""
    header = None
    content_type = (headers or {}).get("content-type", "")
    m = HEADER_CHARSET.search(content_type)
    if m:
        header = _normalise(m.group(1))
    meta_match = META_CHARSET.search(body[:4096])
    meta = _normalise(meta_match.group(1).decode("ascii", "replace")) if meta_match else None
    return header, meta


def looks_binary(body: bytes) -> bool:
    """NUL bytes, or many control bytes, in the first 4 KiB: not a text page."""
    head = body[:4096]
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, CONTROL_BYTES))  # counted in C, not byte by byte
    return controls > len(head) * 0.02


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return decode_legacy(body, codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(body: bytes, headers: dict[str, str] | None = None, log: RepairLog | None = None) -> tuple[str, str]:
    """Decode a captured page. Returns (text, codec used). Raises CleaningError for empty, binary or
    non-HTML input.

    >>> decode_html("<p>\u201cquoted\u201d</p>".encode("cp1252"), {"content-type": "text/html; charset=iso-8859-1"})
    ('<p>“quoted”</p>', 'cp1252')
    >>> decode_html("<p>\u201cquoted\u201d</p>".encode("utf-8"), {"content-type": "text/html; charset=iso-8859-1"})
    ('<p>“quoted”</p>', 'utf-8')
    """
    if not body or not body.strip():
        raise CleaningError("empty page: no bytes to clean")
    if looks_binary(body):
        raise CleaningError("not HTML: binary content")
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8):]
        header, meta = "utf-8", "utf-8"
    else:
        header, meta = declared_charsets(body, headers)
    declared = header or meta
    is_ascii = body.isascii()
    text, used = None, None
    if declared and not is_ascii and declared != "utf-8":
        # The bytes' own evidence: valid multi-byte UTF-8 almost never occurs by accident in a
        # single-byte encoding, so a page that decodes strictly as UTF-8 is UTF-8 whatever it says.
        text = _strict(body, "utf-8")
        if text is not None and any(ord(c) > 0x7f for c in text):
            used = "utf-8"
        else:
            text = None
    if text is None and declared:
        text = _strict(body, declared)
        used = declared if text is not None else None
    if text is None and not declared:
        # Undeclared and not UTF-8: a Korean (or Chinese, or North Korean) page of the 2000s says nothing
        # about its charset far more often than a Western one; its bytes decode as plausible text.
        sniffed = sniff_legacy_page(body) if _strict(body, "utf-8") is None else None
        if sniffed:
            text, used = _strict(body, sniffed), sniffed
            if log is not None:
                log.add("charset", "page", ("declared nothing", f"decoded as {sniffed} (the bytes are {sniffed} text)"))
    if text is None:
        for codec in ("utf-8", "cp1252"):
            text = _strict(body, codec)
            if text is not None:
                used = codec
                break
    if text is None:
        text, used = body.decode("utf-8", errors="replace"), "utf-8"
        if log is not None:
            log.add("charset", "page", (f"declared {declared or 'nothing'}", "undecodable bytes replaced (U+FFFD)"))
    elif declared and used != declared and log is not None:
        log.add("charset", "page", (f"declared {declared}", f"decoded as {used} (the bytes are not {declared})"))
    if not MARKUP.search(text[:65536]):
        raise CleaningError("not HTML: no markup found")
    return text, used
