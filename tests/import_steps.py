"""Drive the household import wizard over HTTP as a person would: upload, matching, preview, commit."""
import html
import io
import re
from html.parser import HTMLParser

MAPPING_URL = re.compile(r"/households/import/([0-9a-f]{32})$")
COMMIT_ACTION = re.compile(r'action="/households/import/([^"/]+)/commit"')
PROBLEM_ROW = re.compile(r'<tr class="preview-bad"><td>(\d+)</td><td class="column-name">(.*?)</td><td>(.*?)</td></tr>')


class _FormReader(HTMLParser):
    """The fields of the mapping form in page order: hidden and text inputs, and each select's chosen option."""

    def __init__(self):
        super().__init__()
        self.fields, self._select, self._first = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") and attrs.get("type") not in ("submit", "file"):
            self.fields.append([attrs["name"], attrs.get("value", "")])
        elif tag == "select":
            self._select = [attrs["name"], None]
            self._first = None
        elif tag == "option" and self._select is not None:
            if self._first is None:
                self._first = attrs.get("value", "")
            if "selected" in attrs:
                self._select[1] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            if self._select[1] is None:
                self._select[1] = self._first
            self.fields.append(self._select)
            self._select = None


def mapping_fields(page):
    """The mapping form's [name, value] pairs as the browser would send them unchanged."""
    reader = _FormReader()
    reader.feed(page)
    return [pair for pair in reader.fields if pair[0] != "csrf_token"]


def start(client, content, filename):
    """Upload a file; return (response, token), the token None when the upload was refused."""
    response = client.post("/households/import", data={"file": (io.BytesIO(content), filename)},
                           content_type="multipart/form-data")
    match = MAPPING_URL.search(response.headers.get("Location", "")) if response.status_code == 303 else None
    return response, (match.group(1) if match else None)


def columns_of(client, token):
    """The mapping page's columns as {header in the file: field chosen}."""
    page = client.get(f"/households/import/{token}").get_data(as_text=True)
    headers = [html.unescape(h) for h in re.findall(r'<span class="col-letter">\w+</span> <strong>(.*?)</strong>', page)]
    chosen = [value for name, value in mapping_fields(page) if name == "column"]
    return dict(zip(headers, chosen))


def submit_mapping(client, token, columns=None, words=None, action="preview", header_line=None):
    """Send the mapping form, with `columns` ({header: field}) and `words` ({word: choice}) changed by hand."""
    page = client.get(f"/households/import/{token}").get_data(as_text=True)
    fields = mapping_fields(page)
    headers = [html.unescape(h) for h in re.findall(r'<span class="col-letter">\w+</span> <strong>(.*?)</strong>', page)]
    column_index, last_word = 0, None
    for pair in fields:
        name, value = pair
        if name == "column":
            pair[1] = (columns or {}).get(headers[column_index], value)
            column_index += 1
        elif name == "word":
            last_word = value
        elif name == "word_choice" and words and last_word in words:
            pair[1] = words[last_word]
        elif name == "header_line" and header_line is not None:
            pair[1] = str(header_line)
    data = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    data["action"] = [action]
    return client.post(f"/households/import/{token}", data=data)


def preview(client, token):
    """The preview page of an upload."""
    return client.get(f"/households/import/{token}/preview")


def upload(client, content, filename="households.csv"):
    """Upload a file, accept the proposed matching, and return the preview page (or the refused upload)."""
    response, token = start(client, content, filename)
    if token is None:
        return response
    assert submit_mapping(client, token).status_code == 303
    return preview(client, token)


def token_of(response):
    """The upload's token from a preview that offers the import button."""
    match = COMMIT_ACTION.search(response.get_data(as_text=True))
    assert match, "the preview offers no import button"
    return match.group(1)


def commit(client, token):
    return client.post(f"/households/import/{token}/commit")


def problems_on(response):
    """The (line, column, message) rows of the preview's problem table."""
    page = response.get_data(as_text=True)
    return [(int(line), html.unescape(column), html.unescape(message))
            for line, column, message in PROBLEM_ROW.findall(page)]
