"""Legacy East Asian encodings: EUC-KR / CP949, GBK and North Korea's KPS 9566, decoded right, or repaired
where a page's bytes were read as Latin-1 ("¡°Song of Comradeship¡±" is “Song of Comradeship” in EUC-KR).

Python has no KPS 9566 codec; its character table comes from the `kps9566` package (MIT), read once into
a reverse map here (the package's own decoder scans the whole table for every character).
"""

from __future__ import annotations

import re
from functools import lru_cache

# The syllables that make up most running Korean text (particles, verb endings, the commonest Sino-Korean
# morphemes). Text decoded with the wrong Korean table (EUC-KR bytes read as KPS 9566 or the reverse) is
# made of valid but rare syllables, so the share of these tells the right table from the wrong one.
COMMON_HANGUL = frozenset(
    "이다의는에하고을를서지기한가로리사대으자도인정어나수국아조적시것들였우주전동일해선무보게제상계성여방"
    "부위원장민화경생라있었그였며면런까만회당혁명령군람께습니님동지였다")
# The same for Chinese (GBK pages): the commonest characters of running text.
COMMON_HAN = frozenset("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过"
                       "家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头"
                       # the same in traditional characters (a GBK page of a Hong Kong or Taiwan repost)
                       "這來國個說們為時會著過學對裡後麼沒於還發當無開見經頭與區黨長議員書記報導稱選舉")
# Chinese text's own punctuation (full-width comma, full stop, enumeration comma, quotes, the ideographic
# space of indents): a page read in the right table is full of it; Western text read as GBK never is.
CJK_PUNCTUATION = frozenset("，。、：；“”（）《》「」\u3000！？")
# Punctuation that EUC-KR, GBK and KPS 9566 all carry in their first row, and that a repost of KCNA or
# of the memoir is full of: the signature of a legacy page read as Latin-1 ("¡°" “, "¡¯" ’, "¡¶" 《).
CJK_QUOTES = frozenset("“”‘’《》「」『』〈〉…")
# A run of Latin-1 characters in 0xA1-0xFE: the bytes of an EUC-KR, GBK or KPS 9566 text read as Latin-1.
LATIN1_RUN = re.compile("[\u00a1-\u00fe]{2,}")
HANGUL_SYLLABLE = re.compile("[\uac00-\ud7a3]")
HAN = re.compile("[\u4e00-\u9fff]")
LEGACY_CODECS = ("cp949", "kps9566", "gb18030")


@lru_cache(maxsize=1)
def _kps_table() -> dict[bytes, str]:
    """KPS 9566 byte pairs -> characters (from the kps9566 package's table; its replace_map only encodes)."""
    from kps9566.kps9566_mapping import kps9566_mapping
    return {pair: char for char, pair in kps9566_mapping.items()}


def decode_kps9566(data: bytes) -> str:
    """Decode KPS 9566 bytes strictly (UnicodeDecodeError on a pair outside the table).

    >>> decode_kps9566(b"\\xbc\\xbf\\xba\\xba \\xa1\\xc8\\xb4\\xb4\\xbc\\xe8\\xa1\\xc9")
    '조선 “동지”'
    """
    table, out, i = _kps_table(), [], 0
    while i < len(data):
        if data[i] < 0x80:
            out.append(chr(data[i]))
            i += 1
            continue
        char = table.get(data[i:i + 2])
        if char is None:
            raise UnicodeDecodeError("kps9566", data, i, i + 2, "byte pair not in KPS 9566")
        out.append(char)
        i += 2
    return "".join(out)


def decode_legacy(data: bytes, codec: str) -> str:
    """Decode strictly with one of LEGACY_CODECS (or any Python codec)."""
    return decode_kps9566(data) if codec == "kps9566" else data.decode(codec)


def korean_share(text: str) -> float:
    """The share of Hangul syllables in `text` that are common ones (0.0 when there are none).

    >>> korean_share("조선중앙통신") > 0.3, korean_share("셀볶솟跏잃빴") < 0.2
    (True, True)
    """
    syllables = HANGUL_SYLLABLE.findall(text)
    return sum(s in COMMON_HANGUL for s in syllables) / len(syllables) if syllables else 0.0


def plausibility(text: str) -> float:
    """How much a decoded text looks like real Korean or Chinese text: common syllables or characters and
    CJK quotes count for, rare ones against. Used to pick the table among EUC-KR, KPS 9566 and GBK."""
    hangul = HANGUL_SYLLABLE.findall(text)
    han = HAN.findall(text)
    common = sum(s in COMMON_HANGUL for s in hangul) + sum(c in COMMON_HAN for c in han)
    quotes = sum(c in CJK_QUOTES for c in text)
    return common * 2 + quotes * 3 - (len(hangul) + len(han) - common)


def best_legacy_decoding(data: bytes) -> tuple[str, str] | None:
    """(codec, text) for bytes that decode strictly in at least one legacy table, the most plausible
    decoding first; None when none of them decodes the bytes."""
    candidates = []
    for codec in LEGACY_CODECS:
        try:
            candidates.append((plausibility(text := decode_legacy(data, codec)), -LEGACY_CODECS.index(codec), codec, text))
        except UnicodeDecodeError:
            continue
    if not candidates:
        return None
    _, _, codec, text = max(candidates)
    return codec, text


QUOTE_PAIRS = ("“”", "‘’", "《》", "「」", "『』", "〈〉")


def _strong(decoded: str, before: str = "", after: str = "", all_decoded: str = "") -> bool:
    """A decoded run that is certainly CJK text: a quote whose partner is decoded too ("¡°…¡±"), an
    apostrophe between letters ("Sung¡¯s"), or two or more syllables or characters, mostly common ones.
    One lone quote-like pair of bytes is no evidence: "¡É" is a Spanish "¡É", not KPS 9566's ”."""
    for opening, closing in QUOTE_PAIRS:
        if (opening in decoded or closing in decoded) and opening in all_decoded and closing in all_decoded:
            return True
    if decoded == "’" and before[-1:].isalpha() and after[:1].isalpha():
        return True
    letters = HANGUL_SYLLABLE.findall(decoded) + HAN.findall(decoded)
    common = sum(c in COMMON_HANGUL or c in COMMON_HAN for c in letters)
    return len(letters) >= 2 and common >= len(letters) * 0.4


def _allowed(decoded: str) -> bool:
    """Only Hangul, Han, CJK punctuation and symbols: what a legacy CJK byte run can stand for."""
    return all(HANGUL_SYLLABLE.match(c) or HAN.match(c) or c in CJK_QUOTES or "\u3000" <= c <= "\u30ff"
               or "\uff01" <= c <= "\uff5e" or c in "·※○●◎□■△▲▽▼→←↑↓°±×÷" for c in decoded)


def repair_latin1_cjk(text: str) -> tuple[str, list[tuple[str, str]], str | None]:
    """Undo EUC-KR / CP949, GBK or KPS 9566 text read as Latin-1 (or windows-1252): (repaired text, the
    (before, after) pairs, the table used). Text is changed only when one run of the string certainly
    decodes to CJK (a quote, or common syllables): "Müller", "Grüße", "ações" and "¡Él!" stay as they are.

    >>> repair_latin1_cjk("the ¡°Song of Comradeship¡± of Kim Il Sung¡¯s")[0]
    'the “Song of Comradeship” of Kim Il Sung’s'
    >>> repair_latin1_cjk("Grüße an Müller, ações, ¡Él vino! «Ça» 25°C")[0]
    'Grüße an Müller, ações, ¡Él vino! «Ça» 25°C'
    """
    runs = [(m, m.group(0)) for m in LATIN1_RUN.finditer(text)]
    if not runs:
        return text, [], None
    joined = b" ".join(run.encode("latin-1") for _, run in runs if len(run) % 2 == 0)
    found = best_legacy_decoding(joined) if joined else None
    if found is None:
        # one run in the string may not decode (odd length, a real Latin-1 word): judge the runs one by one
        codec = None
    else:
        codec = found[0]
    decoded_runs = []
    for m, run in runs:
        if len(run) % 2:
            decoded_runs.append(None)
            continue
        data = run.encode("latin-1")
        try:
            decoded = decode_legacy(data, codec) if codec else (best_legacy_decoding(data) or (None, None))[1]
        except UnicodeDecodeError:
            decoded = None
        decoded_runs.append(decoded if decoded and _allowed(decoded) else None)
    all_decoded = "".join(d for d in decoded_runs if d)
    if not any(d and _strong(d, text[:m.start()], text[m.end():], all_decoded)
               for (m, _), d in zip(runs, decoded_runs)):
        return text, [], None
    out, pairs, last = [], [], 0
    for (m, run), decoded in zip(runs, decoded_runs):
        if decoded is None:
            continue
        out.append(text[last:m.start()])
        out.append(decoded)
        pairs.append((run, decoded))
        last = m.end()
    out.append(text[last:])
    return "".join(out), pairs, codec or "cp949"


def sniff_legacy_page(body: bytes) -> str | None:
    """The legacy table an undeclared, non-UTF-8 page is written in, when its non-ASCII bytes decode as
    plausible Korean or Chinese text; None otherwise (a windows-1252 page stays windows-1252).

    >>> sniff_legacy_page("<p>조선중앙통신은 다음과 같이 보도하였다.</p>".encode("cp949"))
    'cp949'
    >>> sniff_legacy_page("<p>Müller’s café</p>".encode("cp1252")) is None
    True
    >>> sniff_legacy_page("<p>\u3000\u3000据朝鲜官方媒体朝中社昨日报道，在平壤举行的朝鲜劳动党第八次代表大会，前日推举金正恩为总书记。</p>".encode("gb2312"))
    'gb18030'
    
    """
    high = re.findall(rb"[\x81-\xfe][\x41-\xfe]", body)
    if len(high) < 4:
        return None
    found = best_legacy_decoding(body)
    if found is None:
        return None
    codec, text = found
    letters = HANGUL_SYLLABLE.findall(text) + HAN.findall(text)
    common = sum(c in COMMON_HANGUL or c in COMMON_HAN for c in letters)
    if letters and common >= len(letters) * 0.3:
        return codec
    # Chinese news uses a wider vocabulary than the common set: its punctuation is the evidence then
    # (a GB2312 page with no charset, indented with full-width spaces "¡¡" when read as Latin-1)
    punctuation = sum(c in CJK_PUNCTUATION for c in text)
    return codec if len(letters) >= 20 and common >= len(letters) * 0.1 and punctuation >= len(letters) / 40 else None


def _windows_1252_bytes() -> dict[str, int]:
    """Each character a browser shows for a byte under windows-1252 (WHATWG: the five bytes cp1252 leaves
    undefined stand for the C1 controls of the same number) -> that byte."""
    table = {}
    for byte in range(256):
        char = bytes([byte]).decode("cp1252", errors="ignore") or chr(byte)
        table[char] = byte
    return table


WINDOWS_1252_BYTES = _windows_1252_bytes()
# Characters a legacy CJK text read as windows-1252 is made of beyond Latin-1's letters: the cp1252 row
# 0x80-0x9F (€ ‚ ƒ „ … ‘ ’ “ ” • ˜ ™ š œ ž Ÿ …) and the C1 controls of its undefined bytes.
CP1252_HIGH = re.compile("[\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
                         "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]")


NOT_SPACE_OR_DIGIT = re.compile(r"[^\s\d]")


def repair_cp1252_cjk(text: str) -> tuple[str, str | None]:
    """Undo GBK or EUC-KR/CP949 text read as windows-1252, whole string at once: (repaired text, codec), or
    (text, None) when the string is not that. GBK's second bytes include ASCII letters and cp1252's own
    row ("ÈÕˆóµÀ" holds 日 and 报), so Latin-1 runs alone (repair_latin1_cjk) cannot catch it: a repost that
    saved a GBK page as UTF-8 through a windows-1252 reading holds nothing else.

    Evidence required, so correct text never changes: no CJK in the string, most of its letters are
    high characters, and the bytes decode strictly to text that is mostly CJK with common characters.

    >>> mangled = "".join(bytes([b]).decode("cp1252", "ignore") or chr(b) for b in "朝中社昨日报道，金正恩为总书记。".encode("gbk"))
    >>> repair_cp1252_cjk(mangled)
    ('朝中社昨日报道，金正恩为总书记。', 'gb18030')
    >>> repair_cp1252_cjk("Grüße an Herrn Müller, ça va, señor — “naïve” café crème brûlée")
    ('Grüße an Herrn Müller, ça va, señor — “naïve” café crème brûlée', None)
    """
    if HAN.search(text) or HANGUL_SYLLABLE.search(text):
        return text, None
    high = len(CP1252_HIGH.findall(text))  # counted by the regex engine, not character by character
    if high < 6 or high < len(NOT_SPACE_OR_DIGIT.findall(text)) * 0.4:
        return text, None
    try:
        data = bytes(WINDOWS_1252_BYTES[c] if c in WINDOWS_1252_BYTES else ord(c) for c in text)
    except ValueError:  # a character beyond one byte: not a single-byte reading
        return text, None
    try:
        data.decode("utf-8")
        return text, None  # UTF-8 read as windows-1252 ("â€œ", "ì„¸ê¸°"): ftfy's repair, not this one
    except UnicodeDecodeError:
        pass
    candidates = []
    for codec in ("gb18030", "cp949"):
        try:
            decoded = data.decode(codec)
        except UnicodeDecodeError:
            continue
        candidates.append((plausibility(decoded), codec, decoded))
    if not candidates:
        return text, None
    _, codec, decoded = max(candidates)  # EUC-KR bytes are valid GBK too: the likelier reading wins
    cjk = HAN.findall(decoded) + HANGUL_SYLLABLE.findall(decoded)
    common = sum(c in COMMON_HAN or c in COMMON_HANGUL for c in cjk)
    other = sum(1 for c in decoded if ord(c) > 0x7f and not (HAN.match(c) or HANGUL_SYLLABLE.match(c))
                and c not in CJK_PUNCTUATION and c not in CJK_QUOTES and not "\uff01" <= c <= "\uff5e")
    if len(cjk) >= 4 and common >= len(cjk) * 0.1 and other <= len(cjk) * 0.05:
        return decoded, codec
    return text, None
