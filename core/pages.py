"""Answers for the public pages a shopper's phone reloads: an ETag made from the page itself.

The ETag is a hash of the bytes the page shows (its language and the live certification status
included), so a phone that reloads an unchanged page gets a bodiless 304, and any change, a
suspension or a recall, gives a new ETag and the new page at once.
"""
from flask import make_response, request


def conditional_page(html, status=200):
    """The rendered page with its ETag, or 304 Not Modified when the phone already holds it."""
    response = make_response(html, status)
    # The status is live: the phone must ask every time, and the ETag makes asking cheap.
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)
