"""Answers for the public pages a shopper's phone reloads: an ETag made from the page itself, and
rendered pages kept by what they show.

The ETag is a hash of the bytes the page shows (its language and the live certification status
included), so a phone that reloads an unchanged page gets a bodiless 304, and any change, a
suspension or a recall, gives a new ETag and the new page at once.

Rendering a page costs several times what reading its rows does, so `RenderedPages` keeps each
rendered page under its fingerprint: the raw rows the page is made from (read fresh on every
request), its address, its language and the date. A change to any of those rows is a new
fingerprint, so the page is rendered again at once; a kept page is never shown for other data.
"""
import collections
import threading

from flask import make_response, request
from werkzeug.http import generate_etag

from core.i18n import current_language
from core.validation import local_today

# Pages kept per kind of page (about 5 KB each): far more than the batches on sale in one market day.
PAGES_KEPT = 2000


def conditional_page(html, status=200):
    """The rendered page with its ETag, or 304 Not Modified when the phone already holds it."""
    body = html.encode() if isinstance(html, str) else html
    return _answer(body, generate_etag(body), status)


def _answer(body, etag, status=200):
    response = make_response(body, status)
    # The status is live: the phone must ask every time, and the ETag makes asking cheap.
    response.headers["Cache-Control"] = "no-cache"
    response.set_etag(etag)
    return response.make_conditional(request)


class RenderedPages:
    """Rendered pages of one kind, kept by fingerprint, the least recently asked for dropped first."""

    def __init__(self, size=PAGES_KEPT):
        self.size = size
        self.pages = collections.OrderedDict()
        self.lock = threading.Lock()

    def answer(self, fingerprint, render):
        """The page whose rows `fingerprint()` reads, from those kept or else `render()`ed and kept.

        `render()` returns the HTML and whether it may be kept (a page that depends on more than
        its fingerprint shows must not be). The fingerprint is read again after rendering: a page
        rendered while its rows changed is answered but not kept.
        """
        key = (request.full_path, current_language(), local_today(), fingerprint())
        with self.lock:
            kept = self.pages.get(key)
            if kept is not None:
                self.pages.move_to_end(key)
        if kept is not None:
            return _answer(*kept)
        html, keep = render()
        body = html.encode()
        etag = generate_etag(body)
        if keep and fingerprint() == key[3]:
            with self.lock:
                self.pages[key] = (body, etag)
                if len(self.pages) > self.size:
                    self.pages.popitem(last=False)
        return _answer(body, etag)
