"""URLs from the network made safe to request and archive: IRI -> URI, malformed ones refused, redirects
kept on the site's own hosts.

Links on reposting sites are hand-typed and hostile in small ways: `http://[oops/` (urllib raises
"Invalid IPv6 URL"), Arabic-Indic digits in `wr_id=٥٠٤` (which `\\d` matches, and which a WARC
header or an HTTP request line cannot carry), spaces, raw Hangul in paths. Every such URL is either
percent-encoded into a plain ASCII URI (RFC 3987 section 3.1) or refused with a reason, never passed on.
"""

from __future__ import annotations

from urllib.parse import quote, urljoin, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters a URI may carry as they are (RFC 3986 reserved + unreserved, and "%" of existing escapes).
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"


class BadURL(ValueError):
    """A URL that cannot be requested: malformed, not http(s), or a host that cannot be encoded."""


def to_uri(url: str) -> str:
    """The URL as an ASCII URI: host IDNA-encoded, every other non-ASCII or unsafe character
    percent-encoded as UTF-8 (existing %XX escapes kept). Raises BadURL when it cannot be made one.

    >>> to_uri("https://kancc.org/bbs/board.php?bo_table=heigo&wr_id=٥٠٤")
    'https://kancc.org/bbs/board.php?bo_table=heigo&wr_id=%D9%A5%D9%A0%D9%A4'
    >>> to_uri("https://kancc.org/bbs/새 글.php?a=1#top")
    'https://kancc.org/bbs/%EC%83%88%20%EA%B8%80.php?a=1'
    >>> to_uri("http://[oops/")
    Traceback (most recent call last):
    ...
    scrapers.urls.BadURL: malformed URL 'http://[oops/': Invalid IPv6 URL
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError on a non-numeric or out-of-range port
        host = parts.hostname
    except ValueError as exc:
        raise BadURL(f"malformed URL {url!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise BadURL(f"not an http(s) URL: {url!r}")
    if not host:
        raise BadURL(f"URL without a host: {url!r}")
    if any(c in host for c in " <>\"{}|\\^`") or any(ord(c) < 33 for c in host):
        raise BadURL(f"malformed host in URL {url!r}")
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError as exc:
        raise BadURL(f"host of {url!r} cannot be IDNA-encoded: {exc}") from None
    netloc = ascii_host + (f":{port}" if port is not None else "")
    if parts.username or parts.password:
        raise BadURL(f"URL with credentials refused: {url!r}")
    return urlunsplit((scheme, netloc, quote(parts.path, safe=_PATH_SAFE) or "/",
                       quote(parts.query, safe=_QUERY_SAFE), ""))


def join_link(base_url: str, href: str) -> str:
    """`href` resolved against the page URL and made a URI (raises BadURL for a malformed one)."""
    try:
        joined = urljoin(base_url, href.strip())
    except ValueError as exc:
        raise BadURL(f"malformed link {href!r}: {exc}") from None
    return to_uri(joined)


def redirect_refusal(url: str, hosts: tuple[str, ...]) -> str | None:
    """Why a redirect target must not be followed (None when it may): only http/https, only the site
    profile's hosts, only default ports — a redirect to file:, ftp:, another host or an internal port
    (`http://kancc.org:6379/`) is recorded and left alone.

    >>> redirect_refusal("https://kancc.org:8443/x", ("kancc.org",))
    'redirect to a non-default port: https://kancc.org:8443/x'
    >>> redirect_refusal("https://kancc.org/x", ("kancc.org",)) is None
    True
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return f"redirect to a malformed URL: {url!r}"
    if parts.scheme.lower() not in DEFAULT_PORTS:
        return f"redirect to a non-http(s) URL: {url}"
    if (parts.hostname or "").lower() not in hosts:
        return "redirect to a host outside the site profile"
    if port is not None and port != DEFAULT_PORTS[parts.scheme.lower()]:
        return f"redirect to a non-default port: {url}"
    return None
