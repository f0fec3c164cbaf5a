"""Checks HTTP responses of retentiond against docs/openapi.json.

The integration tests pass every response they receive through
`problems()`: it returns what is wrong with the response as far as the
OpenAPI document can tell (an empty list when nothing is), so that the
document and the daemon cannot drift apart unnoticed. The rules:

  - a path the document names, with a method it lists: the status code is
    one of the operation's responses (explicit codes only; the document
    uses no "default"), the Content-Type is one of that response's media
    types, its documented headers are present, and the body validates
    against the media type's schema (JSON Schema 2020-12, references into
    docs/schemas/*.json followed) with python3-jsonschema;
  - a path the document names, with a method it does not list: 405 with an
    Allow header naming exactly the listed methods (HEAD with GET), and an
    Error body;
  - a path the document does not name: 404 with an Error body, as its
    info.description promises.

HEAD is checked as GET without a body. `Checker.count` is the number of
responses checked, so that a test can show it checked some.
"""
import json
import os
import re
import urllib.parse

from jsonschema import Draft202012Validator, RefResolver

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOCUMENT = os.path.join(ROOT, "docs", "openapi.json")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _media(ctype):
    """'Text/Plain ; charset=UTF-8' -> 'text/plain;charset=utf-8'."""
    return ";".join(p.strip() for p in (ctype or "").lower().split(";") if p.strip())


class Checker:
    def __init__(self, path=DOCUMENT):
        with open(path) as f:
            self.doc = json.load(f)
        base = "file://" + os.path.abspath(path)
        store = {}
        sdir = os.path.join(os.path.dirname(os.path.abspath(path)), "schemas")
        for n in os.listdir(sdir):
            if n.endswith(".json"):
                with open(os.path.join(sdir, n)) as f:
                    store["file://" + os.path.join(sdir, n)] = json.load(f)
        self.resolver = RefResolver(base, self.doc, store=store)
        self.routes = []        # (regex, template, path item), literal paths first
        for tpl, item in self.doc["paths"].items():
            rx = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(tpl)) + "$"
            self.routes.append((re.compile(rx), tpl, item))
        self.routes.sort(key=lambda r: "{" in r[1])
        self.count = 0

    def deref(self, obj):
        """Follows a $ref to a component (responses, parameters, ...)."""
        while isinstance(obj, dict) and "$ref" in obj:
            _, obj = self.resolver.resolve(obj["$ref"])
        return obj

    def schema_errors(self, schema, value):
        v = Draft202012Validator(schema, resolver=self.resolver)
        return ["%s at /%s" % (e.message[:200], "/".join(str(p) for p in e.absolute_path))
                for e in v.iter_errors(value)]

    def _error_body(self, ctype, body):
        if _media(ctype) != "application/json":
            return ["Content-Type %r, expected application/json" % ctype]
        try:
            value = json.loads(body)
        except ValueError:
            return ["body is not JSON"]
        return self.schema_errors({"$ref": "#/components/schemas/Error"}, value)

    def _body(self, content, ctype, body):
        """Problems of a body against a response's content map."""
        want = {_media(k): v for k, v in content.items()}
        media = want.get(_media(ctype))
        if media is None:
            return ["Content-Type %r not documented (%s)" % (ctype, ", ".join(content))]
        if "schema" not in media:
            return []
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        if _media(ctype).startswith("application/json"):
            try:
                value = json.loads(text)
            except ValueError as e:
                return ["body is not JSON: %s" % e]
        else:
            value = text
        return self.schema_errors(media["schema"], value)

    def problems(self, method, url, status, headers, body):
        """What is wrong with one response. headers: a mapping with
        case-insensitive .get() (http.client's message) or a dict."""
        self.count += 1
        path = urllib.parse.urlsplit(url).path
        method = method.lower()
        ctype = headers.get("Content-Type", "") if headers else ""
        route = next(((tpl, item) for rx, tpl, item in self.routes if rx.match(path)), None)
        if route is None:
            if status != 404:
                return ["%s is not in the document: expected 404, got %s" % (path, status)]
            return self._error_body(ctype, body)
        tpl, item = route
        listed = [m for m in METHODS if m in item]
        op = item.get("get" if method == "head" else method)
        if op is None:
            out = [] if status == 405 else ["%s %s: method not documented, expected 405, got %s"
                                            % (method.upper(), tpl, status)]
            allow = {m.strip().lower() for m in (headers.get("Allow", "") or "").split(",") if m.strip()}
            want = set(listed) | ({"head"} if "get" in listed else set())
            if allow != want:
                out.append("405 Allow %r, document lists %s" % (headers.get("Allow"), sorted(want)))
            return out + self._error_body(ctype, body)
        responses = op.get("responses", {})
        if str(status) not in responses:
            return ["%s %s: status %s not documented (%s)"
                    % (method.upper(), tpl, status, ", ".join(responses))]
        resp = self.deref(responses[str(status)])
        out = ["%s %s %s: header %s missing" % (method.upper(), tpl, status, h)
               for h in resp.get("headers", {}) if not headers.get(h)]
        if "content" not in resp:
            if body:
                out.append("%s %s %s: body where none is documented" % (method.upper(), tpl, status))
            return out
        if method == "head":
            return out
        return out + ["%s %s %s: %s" % (method.upper(), tpl, status, p)
                      for p in self._body(resp["content"], ctype, body)]


def expanded(node, resolver):
    """node with every $ref replaced by its target, recursively, and $id
    and $schema dropped: two documents that expand alike say the same."""
    if isinstance(node, dict):
        if "$ref" in node:
            with resolver.resolving(node["$ref"]) as target:
                return expanded(target, resolver)
        return {k: expanded(v, resolver) for k, v in node.items() if k not in ("$id", "$schema")}
    if isinstance(node, list):
        return [expanded(v, resolver) for v in node]
    return node


_checker = None


def checker():
    """The one Checker of this process (the document is read once)."""
    global _checker
    if _checker is None:
        _checker = Checker()
    return _checker
