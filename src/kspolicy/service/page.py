"""The questionnaire page: server-rendered HTML, a small script, nothing from elsewhere.

The page is written here in the language chosen, with the policy's title; `static/page.js`
asks the service (`POST /v1/questions`) which questions still matter after each answer,
shows the decision so far, and at the end submits the case (`POST /v1/decisions`) and
shows its explanation (`POST /v1/explanations`). Answers are kept in the browser's
localStorage until the case is submitted. The page's own words are below, per language;
a language without them gets English words around the policy's own texts.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only for the annotation: the page is written from a snapshot
    from .core import Snapshot

#: What the page may load and do: its own script and style, its own API, nothing else.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Questionnaire",
        "language": "Language",
        "intro": (
            "Answer what you know. Only questions that can still change the decision are"
            " asked; your answers stay in this browser until you submit them."
        ),
        "question": "Question",
        "next": "Next",
        "skip": "I don't know",
        "decision": "Decision so far",
        "answers": "Your answers",
        "change": "Change",
        "none_yet": "No answers yet.",
        "done": "No open question can change the decision any more.",
        "finish": "Submit and see the explanation",
        "finish_early": "Submit now",
        "print": "Print",
        "restart": "Start again",
        "explanation": "Explanation",
        "decision_id": "Decision id",
        "yes": "Yes",
        "no": "No",
        "choose": "Choose…",
        "how_many": "How many?",
        "open": "open questions",
        "could_add": "could become",
        "error": "That answer was not accepted",
        "offline": "The service could not be reached; your answers are kept. Try again.",
        "noscript": "This questionnaire needs JavaScript.",
        "submitted": "Submitted.",
    },
    "nl": {
        "title": "Vragenlijst",
        "language": "Taal",
        "intro": (
            "Beantwoord wat je weet. Alleen vragen die de beslissing nog kunnen veranderen"
            " worden gesteld; je antwoorden blijven in deze browser tot je ze indient."
        ),
        "question": "Vraag",
        "next": "Volgende",
        "skip": "Weet ik niet",
        "decision": "Beslissing tot nu toe",
        "answers": "Je antwoorden",
        "change": "Wijzig",
        "none_yet": "Nog geen antwoorden.",
        "done": "Geen open vraag kan de beslissing nog veranderen.",
        "finish": "Indienen en de uitleg zien",
        "finish_early": "Nu indienen",
        "print": "Afdrukken",
        "restart": "Opnieuw beginnen",
        "explanation": "Uitleg",
        "decision_id": "Beslissingsnummer",
        "yes": "Ja",
        "no": "Nee",
        "choose": "Kies…",
        "how_many": "Hoeveel?",
        "open": "open vragen",
        "could_add": "kan worden",
        "error": "Dat antwoord werd niet aanvaard",
        "offline": "De dienst is niet bereikbaar; je antwoorden zijn bewaard. Probeer opnieuw.",
        "noscript": "Deze vragenlijst heeft JavaScript nodig.",
        "submitted": "Ingediend.",
    },
}

NAMES = {"en": "English", "nl": "Nederlands", "fr": "Français", "de": "Deutsch"}


def words_for(lang: str) -> dict[str, str]:
    """The page's words in a language (English for a language it has none for)."""
    return WORDS.get(lang, WORDS["en"])


def preferred(accept_language: str | None, languages: Sequence[str]) -> str:
    """The first of the browser's languages the policy speaks; else the policy's first."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        for candidate in (tag, tag.split("-")[0]):
            if candidate in languages:
                return candidate
    return "en" if "en" in languages else languages[0]


def render(snapshot: Snapshot, lang: str) -> str:
    """The questionnaire page in a language."""
    policy = snapshot.policy
    w = words_for(lang)
    title_text = policy.checked.title
    title = title_text.get(lang) if title_text is not None else policy.name
    e = html.escape
    options = "".join(
        f'<option value="{e(code)}"{" selected" if code == lang else ""}>'
        f"{e(NAMES.get(code, code))}</option>"
        for code in policy.languages
    )
    config = {
        "lang": lang,
        "policy": {"name": policy.name, "version": policy.version, "sha256": policy.sha256},
        "words": w,
    }
    return f"""<!DOCTYPE html>
<html lang="{e(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)} — {e(w["title"])}</title>
<link rel="stylesheet" href="/static/page.css">
<script src="/static/page.js" defer></script>
</head>
<body>
<a class="skip-link" href="#main">{e(w["question"])}</a>
<header>
<p class="policy">{e(policy.name)} {e(policy.version)}</p>
<h1>{e(title)}</h1>
<form id="language" method="get" action="/">
<label for="lang">{e(w["language"])}</label>
<select id="lang" name="lang">{options}</select>
<button type="submit" id="lang-go" class="secondary">OK</button>
</form>
</header>
<main id="main">
<p class="intro">{e(w["intro"])}</p>
<noscript><p class="alert">{e(w["noscript"])}</p></noscript>
<div id="alert" role="alert" class="alert" hidden></div>
<section id="asking" aria-labelledby="asking-title">
<h2 id="asking-title">{e(w["question"])}</h2>
<form id="ask" novalidate></form>
<p id="done" hidden>{e(w["done"])}</p>
<div class="actions">
<button type="button" id="finish" hidden>{e(w["finish"])}</button>
<button type="button" id="finish-early" class="secondary">{e(w["finish_early"])}</button>
</div>
</section>
<section id="so-far" aria-labelledby="so-far-title">
<h2 id="so-far-title">{e(w["decision"])}</h2>
<div id="summary" aria-live="polite" aria-atomic="true"></div>
</section>
<section id="answered" aria-labelledby="answered-title">
<h2 id="answered-title">{e(w["answers"])}</h2>
<p id="no-answers">{e(w["none_yet"])}</p>
<dl id="answers"></dl>
</section>
<section id="result" aria-labelledby="result-title" hidden>
<h2 id="result-title" tabindex="-1">{e(w["explanation"])}</h2>
<p id="decision-id"></p>
<div id="explanation"></div>
<div class="actions no-print">
<button type="button" id="print">{e(w["print"])}</button>
<button type="button" id="restart" class="secondary">{e(w["restart"])}</button>
</div>
</section>
</main>
<script type="application/json" id="config">{_script_json(config)}</script>
</body>
</html>
"""


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element: no `</`, no `<!--` can end or open it."""
    return (
        json.dumps(data, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def api_docs(document: dict[str, Any]) -> str:
    """A page listing the operations of an OpenAPI document, with no script."""
    e = html.escape
    info = document.get("info", {})
    rows = []
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            params = ", ".join(
                f"<code>{e(p['name'])}</code>" for p in operation.get("parameters", [])
            )
            rows.append(
                f"<section><h2><code>{e(method.upper())} {e(path)}</code></h2>"
                f"<p><strong>{e(operation.get('summary', ''))}</strong></p>"
                f"<p>{e(operation.get('description', ''))}</p>"
                + (f"<p>Parameters: {params}</p>" if params else "")
                + "<p>Responses: "
                + ", ".join(e(code) for code in operation.get("responses", {}))
                + "</p></section>"
            )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(info.get('title', 'API'))}</title>"
        '<link rel="stylesheet" href="/static/page.css"></head><body><main>'
        f"<h1>{e(info.get('title', 'API'))} {e(info.get('version', ''))}</h1>"
        f"<p>{e(info.get('description', ''))}</p>"
        '<p>The OpenAPI 3.1 document: <a href="/openapi.json">/openapi.json</a>.</p>'
        + "".join(rows)
        + "</main></body></html>"
    )
