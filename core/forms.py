"""The one shape of a staff form: show it, save it with one rule, and on a refusal show it again.

Every domain's pages use it, so a form answers the same way everywhere: what was typed comes back
with the reasons and a 400, a save flashes its message and redirects. It only parses and answers;
it must never hold a rule of its own (those stay in the service functions it is given).
"""
from flask import flash, redirect, request

from core.validation import ValidationError


def form_page(render, save, done, initial=None, values=None, key=None):
    """Answer a form route: GET shows `initial`; POST saves, and a refusal shows the form again.

    `render(values=, errors=, status=)` draws the page; `save(values)` calls one service function
    and may raise ValidationError; `done(result)` answers a save (usually `saved(...)`). `values`
    replaces the posted form as a dict (lists, rows); `key` files values and errors under one name,
    for a page that holds several forms.
    """
    if request.method == "GET":
        return render(values=initial if initial is not None else {}, errors={}, status=200)
    values = request.form.to_dict() if values is None else values
    try:
        result = save(values)
    except ValidationError as exc:
        if key is None:
            return render(values=values, errors=exc.errors, status=400)
        return render(values={key: values}, errors={key: exc.errors}, status=400)
    return done(result)


def saved(url, message=None, category="success"):
    """Flash `message` (when there is one) and send the browser to `url`: where a saved form goes next."""
    if message is not None:
        flash(message, category)
    return redirect(url)


def confirm_then_save(values, check, save, refused, confirm):
    """Do a grave step in two posts: the first is checked and shown back (`confirm(check(values))`),
    the second, marked `confirmed=1`, answers `save(values)`; a refusal at either is `refused(errors)`.

    Voiding a sale, refunding a line and closing a market day cannot be undone, so the cashier sees
    what will happen (the money to give back, the cash to count) before it does.
    """
    try:
        if values.get("confirmed") == "1":
            return save(values)
        plan = check(values)
    except ValidationError as exc:
        return refused(exc.errors)
    return confirm(plan)
