"""Recognise a site's own error page served with 200 OK (a "soft 404"), so a deleted article retires
its document like a real 404 does, while a page that merely failed to clean does not."""

from __future__ import annotations

from core.profiles import Profile


def is_soft_404(profile: Profile | None, body: bytes) -> bool:
    """True when the page matches one of the profile's [soft_404] patterns (GNUBoard, for one, answers
    a deleted post with 200 and a script alert: "글이 존재하지 않습니다.\\n\\n글이 삭제되었거나 이동된
    경우입니다."). The page text is read as UTF-8 with replacement: the patterns are plain phrases.

    >>> from core.profiles import get_profile
    >>> page = '<script>alert("글이 존재하지 않습니다.\\\\n\\\\n글이 삭제되었거나 이동된 경우입니다.");</script>'
    >>> is_soft_404(get_profile("kancc"), page.encode("utf-8"))
    True
    >>> is_soft_404(get_profile("kancc"), b"<div id='bo_v_con'><p>Chapter 21</p></div>")
    False
    """
    if profile is None or not profile.soft_404:
        return False
    text = body[:200_000].decode("utf-8", "replace")
    return any(pattern.search(text) for pattern in profile.soft_404)
