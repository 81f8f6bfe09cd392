"""The service's HTTP API on Litestar: routes, problem details, metrics, access logs.

Why Litestar: it derives OpenAPI 3.1 schemas from attrs classes natively (the engine's
models are attrs, and so are `models`), it bounds request bodies itself
(`request_max_body_size`), and it runs on any ASGI server (uvicorn here). FastAPI would
have needed every model written again in pydantic.

Each handler takes the policy's snapshot once (`Holder.current`) and works on it alone,
so a reload never changes a request in flight. The decision work is CPU-bound and short
(milliseconds): it runs on the event loop, which keeps a request's latency close to the
in-process call's (benchmarks/bench_service.py).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import hmac
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import anyio
import attrs
from litestar import Litestar, Request, Response, get, post
from litestar.exceptions import HTTPException, InternalServerException, ValidationException
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.params import Body, PathParameter, QueryParameter
from litestar.response.streaming import ASGIStreamingResponse
from litestar.types import Receive, Send

from .. import __version__
from ..diagnostics import KspolicyError, PolicyError
from ..limits import DEFAULT, Limits
from ..tools import audit
from ..tools.caseline import line_content
from . import core, page, screening
from .auditing import AuditWriter
from .lines import line_groups
from .metrics import MEDIA_TYPE as METRICS_TYPE
from .metrics import Metrics
from .models import Health, PolicyDescription, Questions, Reloaded, ScreenAnswer, ScreenRequest
from .problems import MEDIA_TYPE as PROBLEM_TYPE
from .problems import PREFIX, BadPlace, Problem, ProblemError, problem

ACCESS = logging.getLogger("kspolicy.service.access")
LOG = logging.getLogger("kspolicy.service")

#: Routes counted in the metrics by name; any other path counts as `other`.
ROUTES = (
    "/",
    "/docs",
    "/openapi.json",
    "/healthz",
    "/metrics",
    "/v1/decisions",
    "/v1/questions",
    "/v1/explanations",
    "/v1/batch",
    "/v1/screen",
    "/v1/policy",
    "/v1/policy/reload",
)

ASGIApp = Callable[..., Awaitable[None]]


@attrs.frozen
class ServiceConfig:
    """How the service runs: the policy, its limits, and the optional parts."""

    #: The policy's folder or main file (None: the built-in knowledge-security pack).
    policy: Path | None = None
    limits: Limits = DEFAULT
    #: The folder every file of the policy must lie in (None: the policy's own).
    root: Path | None = None
    #: The audit log decisions are appended to (None: none is kept).
    audit_log: Path | None = None
    #: A file holding the bearer token that `POST /v1/policy/reload` needs (None: off).
    token_file: Path | None = None
    #: Lines in one batch request, at most.
    max_batch_lines: int = 100_000
    #: Bytes in one batch request, at most.
    max_batch_bytes: int = 64_000_000


class Service:
    """What the app's handlers share: the policy holder, the metrics, the audit writer."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self.holder = core.Holder(config.policy, config.limits, config.root)
        self.metrics = Metrics()
        self.writer = AuditWriter(config.audit_log) if config.audit_log is not None else None
        self.token = core.read_token(config.token_file) if config.token_file is not None else None
        self.reloading = asyncio.Lock()

    async def reload(self) -> tuple[core.Snapshot, core.Snapshot]:
        """Load the policy again, off the event loop; the old one serves until it is in."""
        async with self.reloading:
            before = self.holder.current
            try:
                after = await asyncio.to_thread(self.holder.reload)
            except Exception:
                self.metrics.reload("failed")
                raise
            self.metrics.reload("ok")
            LOG.info(
                "policy reloaded",
                extra={"fields": {"sha256": after.policy.sha256, "previous": before.policy.sha256}},
            )
            return before, after

    def submit(
        self, case: Any, decision: Any, batch: tuple[str, int] | None = None
    ) -> concurrent.futures.Future[dict[str, Any]] | None:
        """Hand the decision's record to the audit log's writer, if a log is kept."""
        if self.writer is None:
            return None
        policy = self.holder.current.policy
        record = audit.record_of(policy, case, decision, __version__, _now(), batch=batch)
        try:
            return self.writer.submit(record)
        except KspolicyError as error:
            raise _not_recorded(error) from None

    async def record(
        self, case: Any, decision: Any, batch: tuple[str, int] | None = None
    ) -> dict[str, Any] | None:
        """Append the decision to the audit log, if one is kept; its place in the chain."""
        return await _place(self.submit(case, decision, batch))

    def close(self) -> None:
        """Write every audit record still waiting."""
        if self.writer is not None:
            self.writer.close()


async def _place(
    future: concurrent.futures.Future[dict[str, Any]] | None,
) -> dict[str, Any] | None:
    """A record's place in the audit log once it is written (None: no log is kept)."""
    if future is None:
        return None
    try:
        chained = await asyncio.wrap_future(future)
    except KspolicyError as error:  # the log cannot be written: no decision goes unrecorded
        LOG.error("audit record not written", extra={"fields": {"error": str(error)}})
        raise _not_recorded(error) from None
    return {"seq": chained["seq"], "sha256": chained["sha256"]}


def _not_recorded(error: KspolicyError) -> ProblemError:
    return problem("not-recorded", "The decision could not be recorded", 503, str(error))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _service(request: Request[Any, Any, Any]) -> Service:
    found: Service = request.app.state["service"]
    return found


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response[bytes]:
    return Response(
        core.dumps(data), status_code=status, media_type="application/json", headers=headers
    )


# ---- parameters -------------------------------------------------------------------------

_AS_OF = QueryParameter(
    name="as_of",
    required=False,
    description="Decide as on this date (YYYY-MM-DD); default: the case's as_of, else today.",
)
_LANG = QueryParameter(
    name="lang",
    required=False,
    description="The language of titles, reasons and questions: one of the policy's.",
)
_DETAIL = QueryParameter(
    name="detail",
    required=False,
    description=(
        "compact (default): each fact, match and question once, rules by name; full:"
        " with the policy's titles, reasons and questions (docs/decision-format.md)."
    ),
)
_EXPLAIN = QueryParameter(
    name="explain",
    required=False,
    description="true: add the evaluation trace to the decision.",
)
_SKIP = QueryParameter(
    name="skip",
    required=False,
    description="Facts not to ask about (the person does not know), as fact paths.",
)

_PROBLEMS = {
    400: ResponseSpec(Problem, description="Malformed request", media_type=PROBLEM_TYPE),
    413: ResponseSpec(Problem, description="Body too large", media_type=PROBLEM_TYPE),
    422: ResponseSpec(Problem, description="Case that does not fit", media_type=PROBLEM_TYPE),
}
# /v1/screen takes names, not a case: its 400 and 422 say so in the OpenAPI document.
_SCREEN_PROBLEMS = {
    **_PROBLEMS,
    400: ResponseSpec(
        Problem, description="Not JSON, or a field of the wrong type", media_type=PROBLEM_TYPE
    ),
    422: ResponseSpec(
        Problem,
        description=(
            "Names missing, empty or too many, a field the request has not, or lists that"
            " cannot be screened: each bad place named (`names`, `names[1].name`)"
        ),
        media_type=PROBLEM_TYPE,
    ),
}


async def _body(request: Request[Any, Any, Any], limits: Limits) -> bytes:
    """The request body, refused (413) beyond the case limit before it is all read."""
    return await _bounded(request, limits.max_case_bytes, "max_case_bytes")


async def _bounded(request: Request[Any, Any, Any], most: int, limit: str) -> bytes:
    """The request body, refused (413) once it passes `most` bytes, before it is all read."""
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > most:
            raise _too_large(most, limit)
        chunks.append(chunk)
    return b"".join(chunks)


# ---- the API ----------------------------------------------------------------------------


@post(
    "/v1/decisions",
    summary="Decide a case",
    description=(
        "The case (JSON) in, the decision out: the stable decision JSON"
        " (docs/decision-format.md) with an `id`, and, when an audit log is kept, the"
        " record's place in it (`audit`)."
    ),
    responses=_PROBLEMS,
    status_code=200,
)
async def decisions(
    request: Request[Any, Any, Any],
    as_of: Annotated[str | None, _AS_OF] = None,
    lang: Annotated[str | None, _LANG] = None,
    explain: Annotated[str | None, _EXPLAIN] = None,
    detail: Annotated[str | None, _DETAIL] = None,
) -> Response[bytes]:
    """Decide one case."""
    service = _service(request)
    snapshot = service.holder.current
    day = core.query_date(as_of)
    language = core.query_language(snapshot, lang)
    trace = core.query_flag("explain", explain)
    form = core.query_detail(detail)
    case = core.read_case(await _body(request, snapshot.policy.limits), snapshot.policy.limits)
    decision = core.decide(snapshot, case, as_of=day, lang=language, explain=trace)
    body = core.decision_body(decision, core.new_id(), form)
    place = await service.record(case, decision)
    if place is not None:
        body["audit"] = place
    service.metrics.decision(decision.headline.value if decision.headline else "none")
    return _json(body, headers={"X-Decision-Id": body["id"]})


@post(
    "/v1/questions",
    summary="The questions that still matter",
    description=(
        "A partial case in; the open questions whose answers could still change the"
        " decision, most decisive first (the interview of `kspolicy ask`), and the"
        " decision so far in words."
    ),
    responses=_PROBLEMS,
    status_code=200,
)
async def questions(
    request: Request[Any, Any, Any],
    as_of: Annotated[str | None, _AS_OF] = None,
    lang: Annotated[str | None, _LANG] = None,
    skip: Annotated[list[str] | None, _SKIP] = None,
) -> Questions:
    """The open questions of a partial case."""
    snapshot = _service(request).holder.current
    day = core.query_date(as_of)
    language = core.query_language(snapshot, lang)
    case = core.read_case(await _body(request, snapshot.policy.limits), snapshot.policy.limits)
    decision = core.decide(snapshot, case, as_of=day, lang=language)
    body = core.questions_body(snapshot, decision, frozenset(skip or ()))
    return _json(body)  # type: ignore[return-value]  # documented as Questions


@post(
    "/v1/explanations",
    summary="Explain a decision for people",
    description=(
        "The case in; its decision explained, as HTML, Markdown or plain text, as the"
        " `Accept` header asks (text/html, text/markdown, text/plain)."
    ),
    responses={
        **_PROBLEMS,
        406: ResponseSpec(Problem, description="No format accepted", media_type=PROBLEM_TYPE),
    },
    status_code=200,
    media_type="text/html",
)
async def explanations(
    request: Request[Any, Any, Any],
    as_of: Annotated[str | None, _AS_OF] = None,
    lang: Annotated[str | None, _LANG] = None,
) -> Response[bytes]:
    """Explain the decision of a case."""
    snapshot = _service(request).holder.current
    media = core.choose_media(request.headers.get("accept"))
    day = core.query_date(as_of)
    language = core.query_language(snapshot, lang)
    case = core.read_case(await _body(request, snapshot.policy.limits), snapshot.policy.limits)
    decision = core.decide(snapshot, case, as_of=day, lang=language)
    text = core.explanation(snapshot, case, decision, media)
    return Response(text.encode("utf-8"), media_type=media, headers={"Vary": "Accept"})


@post(
    "/v1/batch",
    summary="Decide many cases, streamed",
    description=(
        "JSON Lines in (one case a line), JSON Lines out, in input order, streamed as they"
        ' are decided: `{"line": N, "decision": {...}}`, or `{"line": N, "problem":'
        " {...}}` for a bad line, in its place. Empty lines are skipped. The body is read"
        " as it comes: each line is answered once it is read, before the rest arrives."
        " Every line is decided with the policy served when the request began."
    ),
    responses=_PROBLEMS,
    status_code=200,
    media_type="application/x-ndjson",
    request_max_body_size=None,
)
async def batch(
    request: Request[Any, Any, Any],
    as_of: Annotated[str | None, _AS_OF] = None,
    lang: Annotated[str | None, _LANG] = None,
    explain: Annotated[str | None, _EXPLAIN] = None,
) -> LinesResponse:
    """Decide the cases of a JSON Lines body, answering each line as it is read."""
    service = _service(request)
    snapshot = service.holder.current
    day = core.query_date(as_of)
    language = core.query_language(snapshot, lang)
    trace = core.query_flag("explain", explain)
    name = f"POST /v1/batch {request.scope.get('state', {}).get('request_id', '')}".strip()
    most_bytes = service.config.max_batch_bytes
    announced = request.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > most_bytes:  # refused before any is read
        raise _too_large(most_bytes, "max_batch_bytes")
    body_read = asyncio.Event()

    async def chunks() -> AsyncIterator[bytes]:
        """The body's chunks as they arrive, up to max_batch_bytes; then the reading ends."""
        size = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > most_bytes:
                    raise _BatchTooLarge
                yield chunk
        except InternalServerException:  # the client went away: nobody reads the answer
            LOG.info("batch client disconnected", extra={"fields": {"batch": name}})
        finally:
            body_read.set()

    async def lines() -> AsyncIterator[bytes]:
        limit = snapshot.policy.limits.max_case_bytes
        most = service.config.max_batch_lines
        # With an audit log, lines wait for their records in groups: one fsync for many,
        # but never for lines not yet received (the client may wait for these answers).
        group = 1 if service.writer is None else 32
        waiting: list[tuple[dict[str, Any], Any]] = []
        number = 0
        try:
            async for received in line_groups(chunks(), limit):
                for number, raw in received:
                    if raw is not None:  # no byte-order mark, no \r: as the CLI reads it
                        raw = line_content(number, raw)
                    if raw is not None and not raw.strip():
                        continue  # an empty line keeps its number, and gives no output
                    if number > most:
                        waiting.append(
                            (
                                core.too_large_line(
                                    number, f"more than {most:,} lines (max_batch_lines)"
                                ),
                                None,
                            )
                        )
                        yield await _written(waiting)
                        return
                    if raw is None:
                        message = f"the line is more than {limit:,} bytes (max_case_bytes)"
                        waiting.append((core.too_large_line(number, message), None))
                        service.metrics.error("too-large")
                    else:
                        waiting.append(
                            _decided(service, snapshot, raw, number, day, language, trace, name)
                        )
                    if len(waiting) >= group:
                        yield await _written(waiting)
                        waiting = []
                        await asyncio.sleep(0)  # let other requests in between
                if waiting:  # the lines received so far are answered before reading on
                    yield await _written(waiting)
                    waiting = []
        except _BatchTooLarge:  # the answer has begun: the problem is its last line
            message = f"the body is more than {most_bytes:,} bytes (max_batch_bytes): not read on"
            waiting.append((core.too_large_line(number + 1, message), None))
            service.metrics.error("too-large")
        if waiting:
            yield await _written(waiting)

    return LinesResponse(lines(), body_read)


class _BatchTooLarge(Exception):
    """The batch body passed max_batch_bytes after its answer began."""


def _too_large(most: int, limit: str) -> ProblemError:
    return problem(
        "too-large",
        "The body is too large",
        413,
        f"the body is more than {most:,} bytes (the limit {limit}, docs/service.md)",
        BadPlace("", "too large", None),
    )


def _decided(
    service: Service,
    snapshot: core.Snapshot,
    raw: bytes,
    number: int,
    day: dt.date | None,
    language: str,
    trace: bool,
    name: str,
) -> tuple[dict[str, Any], Any]:
    """One line decided: its output, and its audit record's future (None: not recorded)."""
    out, decision, case = core.batch_line(
        snapshot, raw, number, as_of=day, lang=language, explain=trace
    )
    future = None
    if decision is not None:
        future = service.submit(case, decision, batch=(name, number))
        service.metrics.decision(decision.headline.value if decision.headline else "none")
    else:
        service.metrics.error(out["problem"]["type"].removeprefix(PREFIX))
    return out, future


class LinesResponse(ASGIStreamingResponse):
    """A streamed answer that starts while the request body is still being read.

    Litestar's `Stream` listens for the client's disconnect from the start, and that
    listening takes the request's own body messages: a streamed answer to a streamed
    body cannot use it. This one listens only once the body is read (`body_read`), and
    until then the body's reader notices a disconnect itself (`Request.stream`).
    """

    def __init__(self, lines: AsyncIterator[bytes], body_read: asyncio.Event) -> None:
        super().__init__(iterator=lines, media_type="application/x-ndjson", status_code=200)
        self.body_read = body_read

    async def send_body(self, send: Send, receive: Receive) -> None:
        """Send each group of lines as it is decided; stop when the client goes away."""
        async with anyio.create_task_group() as group:
            group.start_soon(self._listen, group.cancel_scope, receive)
            async for chunk in self.iterator:
                data = chunk if isinstance(chunk, bytes) else chunk.encode()
                await send({"type": "http.response.body", "body": data, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            group.cancel_scope.cancel()

    async def _listen(self, scope: anyio.CancelScope, receive: Receive) -> None:
        await self.body_read.wait()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                scope.cancel()
                return


async def _written(waiting: list[tuple[dict[str, Any], Any]]) -> bytes:
    """The output lines of a group, once each decision's record is in the audit log."""
    out = bytearray()
    for line, future in waiting:
        place = await _place(future)
        if place is not None:
            line["decision"]["audit"] = place
        out += core.dumps(line) + b"\n"
    return bytes(out)


@post(
    "/v1/screen",
    summary="Screen names against the policy's lists",
    description=(
        "One or more names (each with its country when known, and a `ref` of yours, given"
        " back) screened against the policy's entities lists (`lists`; default: all), as"
        " a decision's `name matches LIST` and `kspolicy screen` screen them: per name,"
        " the strongest answer (match, possible, not covered, none), its band and score,"
        " and each list's finding with the entry, the evidence and the list's freshness."
        " `as_of` is the date screened on (default: today)."
    ),
    responses=_SCREEN_PROBLEMS,
    status_code=200,
)
async def screen_names(
    request: Request[Any, Any, Any],
    data: Annotated[ScreenRequest, Body()],  # its schema: the attrs model's
    as_of: Annotated[str | None, _AS_OF] = None,
) -> ScreenAnswer:
    """Screen names against the policy's entities lists."""
    service = _service(request)
    snapshot = service.holder.current
    day = core.query_date(as_of) or dt.date.today()
    # Litestar has read the body into `data` (within max_case_bytes); its JSON is read
    # again only to name the fields the request does not have.
    raw = json.loads(await request.body())
    screening.check(snapshot, data, screening.unknown_fields(raw))
    # Up to max_items names against lists of up to max_list_entries: off the event loop.
    body = await asyncio.to_thread(screening.screen, snapshot, data, day)
    for result in body["results"]:
        service.metrics.screening(result["answer"])
    return _json(body)  # type: ignore[return-value]  # documented as ScreenAnswer


@get(
    "/v1/policy",
    summary="The policy served",
    description="Its name, version, sha256, files and languages, and a case's JSON Schema.",
    responses={400: _PROBLEMS[400]},
)
async def policy(
    request: Request[Any, Any, Any], lang: Annotated[str | None, _LANG] = None
) -> PolicyDescription:
    """Describe the policy being served."""
    snapshot = _service(request).holder.current
    info = snapshot.info()
    if lang:
        from ..eval import contract

        language = core.query_language(snapshot, lang)
        info["case_schema"] = contract.case_schema(snapshot.policy.checked, language)
    return _json(info)  # type: ignore[return-value]  # documented as PolicyDescription


@post(
    "/v1/policy/reload",
    summary="Load the policy again",
    description=(
        "Loads the policy from its files and serves it once it is loaded whole; requests"
        " in flight finish on the old one. Needs `Authorization: Bearer TOKEN`, the token"
        " in the service's token file. A policy with errors is refused (422), and the old"
        " one keeps serving."
    ),
    responses={
        401: ResponseSpec(Problem, description="No or wrong token", media_type=PROBLEM_TYPE),
        403: ResponseSpec(Problem, description="Reload is off", media_type=PROBLEM_TYPE),
        422: ResponseSpec(
            Problem, description="The new policy has errors", media_type=PROBLEM_TYPE
        ),
    },
    status_code=200,
)
async def reload(request: Request[Any, Any, Any]) -> Reloaded:
    """Reload the policy (behind the bearer token)."""
    service = _service(request)
    if service.token is None:
        raise problem(
            "reload-off",
            "Reloading over HTTP is off",
            403,
            "start the service with --token-file FILE to allow it (or send it SIGHUP)",
        )
    given = request.headers.get("authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(), service.token.encode()
    ):
        raise ProblemError(
            Problem(
                PREFIX + "unauthorized",
                "A bearer token is needed",
                401,
                "send Authorization: Bearer TOKEN, with the token of the service's token file",
                (BadPlace("header.authorization", "missing or wrong", None),),
            )
        )
    try:
        before, after = await service.reload()
    except PolicyError as error:
        places = tuple(
            BadPlace(str(d.span), d.message, d.code.number) for d in error.diagnostics if d.is_error
        )
        raise ProblemError(
            Problem(
                PREFIX + "policy-error",
                "The policy has errors; the old one is still served",
                422,
                f"{len(places)} error(s); see errors",
                places,
            )
        ) from None
    except KspolicyError as error:
        raise problem("policy-error", "The policy cannot be loaded", 422, str(error)) from None
    p = after.policy
    return _json(  # type: ignore[return-value]  # documented as Reloaded
        {
            "name": p.name,
            "version": p.version,
            "sha256": p.sha256,
            "generation": after.generation,
            "previous_sha256": before.policy.sha256,
        }
    )


@get("/healthz", summary="Is the service up", description="Always 200 while it serves.")
async def healthz(request: Request[Any, Any, Any]) -> Health:
    """Say the service is up, and which policy it serves."""
    p = _service(request).holder.current.policy
    return Health("ok", p.name, p.version, p.sha256)


@get(
    "/metrics",
    summary="Metrics",
    description="Prometheus text format: requests, latencies, decisions, errors, reloads.",
    media_type=METRICS_TYPE,
)
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The metrics, in Prometheus's text format."""
    service = _service(request)
    p = service.holder.current.policy
    text = service.metrics.render((p.name, p.version, p.sha256))
    return Response(text.encode("utf-8"), media_type=METRICS_TYPE)


# ---- pages ------------------------------------------------------------------------------


@get("/", include_in_schema=False, media_type="text/html")
async def questionnaire(
    request: Request[Any, Any, Any], lang: Annotated[str | None, _LANG] = None
) -> Response[bytes]:
    """The questionnaire page, in the language asked for (or the browser's)."""
    snapshot = _service(request).holder.current
    languages = snapshot.policy.languages
    chosen = (
        lang
        if lang in languages
        else page.preferred(request.headers.get("accept-language"), languages)
    )
    text = page.render(snapshot, chosen)
    return Response(
        text.encode("utf-8"),
        media_type="text/html",
        headers={"Content-Security-Policy": page.CSP, "Vary": "Accept-Language"},
    )


@get("/static/{name:str}", include_in_schema=False)
async def static(name: Annotated[str, PathParameter()]) -> Response[bytes]:
    """The page's script and style, from the package (no CDN, no build step)."""
    media = {"page.js": "text/javascript", "page.css": "text/css"}.get(name)
    if media is None:
        raise problem("not-found", "Not found", 404, f"no static file {name!r}")
    data = resources.files(__package__).joinpath("static", name).read_bytes()
    return Response(data, media_type=media, headers={"Cache-Control": "no-cache"})


@get("/openapi.json", include_in_schema=False)
async def openapi(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The OpenAPI 3.1 document of this API."""
    return _json(openapi_document(request.app))


@get("/docs", include_in_schema=False, media_type="text/html")
async def docs(request: Request[Any, Any, Any]) -> Response[bytes]:
    """A page listing the API's operations (from the OpenAPI document; no script)."""
    text = page.api_docs(openapi_document(request.app))
    return Response(text.encode("utf-8"), media_type="text/html")


def openapi_document(app: Litestar) -> dict[str, Any]:
    """Litestar's document, with the case's and the decision's JSON Schemas put in.

    Litestar derives the service's own models (attrs); the case and the decision are the
    engine's published schemas (eval/contract.py), themselves derived from the engine's
    attrs classes and the policy's schema. Their `$defs` become components, so that every
    `$ref` resolves within the document.
    """
    service: Service = app.state["service"]
    snapshot = service.holder.current
    document: dict[str, Any] = app.openapi_schema.to_schema()
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Case"] = _component(snapshot.case_schema, "Case", schemas)
    schemas["Decision"] = _component(snapshot.decision_schema, "Decision", schemas)
    schemas["DecisionAnswer"] = {
        "allOf": [
            {"$ref": "#/components/schemas/Decision"},
            {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": {"type": "string", "description": "The decision's id (a UUID)."},
                    "audit": {
                        "type": "object",
                        "description": "The record's place in the audit log, when one is kept.",
                        "properties": {"seq": {"type": "integer"}, "sha256": {"type": "string"}},
                    },
                },
            },
        ]
    }
    case_ref = {"$ref": "#/components/schemas/Case"}
    paths = document.get("paths", {})
    for path in ("/v1/decisions", "/v1/questions", "/v1/explanations"):
        operation = paths[path]["post"]
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": case_ref}},
        }
    paths["/v1/batch"]["post"]["requestBody"] = {
        "required": True,
        "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
        "description": "One case (JSON) a line.",
    }
    paths["/v1/decisions"]["post"]["responses"]["200"] = {
        "description": "The decision.",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/DecisionAnswer"}}
        },
    }
    paths["/v1/explanations"]["post"]["responses"]["200"] = {
        "description": "The explanation.",
        "content": {media: {"schema": {"type": "string"}} for media in core.EXPLANATION_TYPES},
    }
    paths["/v1/batch"]["post"]["responses"]["200"] = {
        "description": "One JSON object a line: a decision, or a bad line's problem.",
        "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
    }
    paths["/metrics"]["get"]["responses"]["200"] = {
        "description": "The metrics.",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    }
    properties = schemas.get("PolicyDescription", {}).get("properties", {})
    if "case_schema" in properties:
        properties["case_schema"] = {"type": "object", "description": "A case's JSON Schema."}
    return document


def _component(schema: dict[str, Any], prefix: str, schemas: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema as an OpenAPI component: its `$defs` moved into `schemas` under
    `prefix.NAME`, and each `$ref` to them pointed there."""
    names: dict[str, str] = {}
    for key in schema.get("$defs", {}):
        pointer = key.replace("~", "~0").replace("/", "~1")
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in key)
        names[f"#/$defs/{pointer}"] = f"#/components/schemas/{prefix}.{safe}"

    def moved(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str) and value in names:
                    out[key] = names[value]
                elif key not in ("$defs", "$schema", "$id"):
                    out[key] = moved(value)
            return out
        if isinstance(node, list):
            return [moved(v) for v in node]
        return node

    for key, value in schema.get("$defs", {}).items():
        pointer = key.replace("~", "~0").replace("/", "~1")
        schemas[names[f"#/$defs/{pointer}"].rsplit("/", 1)[1]] = moved(value)
    result: dict[str, Any] = moved(schema)
    return result


# ---- errors -----------------------------------------------------------------------------


def _problem_response(request: Request[Any, Any, Any], found: Problem) -> Response[bytes]:
    service: Service = request.app.state["service"]
    service.metrics.error(found.type.removeprefix(PREFIX))
    body = attrs.evolve(found, instance=request.url.path).to_dict()
    return Response(
        json.dumps(body, ensure_ascii=False).encode("utf-8"),
        status_code=found.status,
        media_type=PROBLEM_TYPE,
    )


def _on_problem(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    assert isinstance(exc, ProblemError)
    return _problem_response(request, exc.problem)


#: msgspec's words (through Litestar) for a body without a field its model must have.
_MISSING = re.compile(r"Object missing required field `(\w+)`")


def _on_validation(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    assert isinstance(exc, ValidationException)
    places = []
    body = False
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            source, key = item.get("source", "query"), str(item.get("key", ""))
            if source == "body":  # a JSON body of the wrong shape: its path, as for a case
                body = True
                where = "" if key == "data" else key
                absent = _MISSING.fullmatch(str(item.get("message", "")))
                if absent is not None:  # answered as the field given empty is (422)
                    return _on_problem(request, screening.missing(where, absent[1]))
            else:
                where = f"{source}.{key}"
            places.append(BadPlace(where, str(item.get("message", "not valid")), None))
    if body:
        return _problem_response(
            request,
            Problem(
                PREFIX + "invalid-request",
                "The request does not fit",
                400,
                "the body does not have the request's shape; see errors and /openapi.json",
                tuple(places),
            ),
        )
    return _problem_response(
        request,
        Problem(
            PREFIX + "invalid-parameter", "A parameter is not valid", 400, exc.detail, tuple(places)
        ),
    )


def _on_http(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    if status >= 500:  # never from bad input: log it, answer without internals
        LOG.error("server error", exc_info=exc)
    kind = {
        400: "malformed-body",  # Litestar's reading of a JSON body
        404: "not-found",
        405: "method-not-allowed",
        413: "too-large",
        415: "unsupported-media-type",
    }.get(status, "http-error")
    detail = exc.detail or "request refused"
    title = detail
    places: tuple[BadPlace, ...] = ()
    if status == 413:  # Litestar's own check of Content-Length, before the body is read
        most = _service(request).config.limits.max_case_bytes
        title = "The body is too large"
        detail = f"the body is more than {most:,} bytes (the limit max_case_bytes, docs/limits.md)"
        places = (BadPlace("", "too large", None),)
    return _problem_response(request, Problem(PREFIX + kind, title, status, detail, places))


def _on_crash(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    LOG.error("unexpected error", exc_info=exc)
    return _problem_response(
        request,
        Problem(
            PREFIX + "internal",
            "Internal error",
            500,
            "the service failed on this request; its log says why",
        ),
    )


# ---- access log and metrics ---------------------------------------------------------------


def observed(app: ASGIApp, service: Service) -> ASGIApp:
    """The app with each HTTP request timed, counted and logged as one JSON line."""

    async def wrapper(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        sent = 0

        async def sending(message: MutableMapping[str, Any]) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - started
            path = scope.get("path", "")
            route = (
                path if path in ROUTES else "/static" if path.startswith("/static/") else "other"
            )
            service.metrics.request(scope.get("method", ""), route, status, seconds)
            client = scope.get("client")
            ACCESS.info(
                "request",
                extra={
                    "fields": {
                        "request_id": request_id,
                        "method": scope.get("method"),
                        "path": path,
                        "status": status,
                        "ms": round(seconds * 1000, 3),
                        "bytes": sent,
                        "client": client[0] if client else None,
                    }
                },
            )

    return wrapper


def _request_id(scope: MutableMapping[str, Any]) -> str:
    """The caller's X-Request-Id when it is a plausible one, else a new id."""
    for key, value in scope.get("headers", []):
        if key == b"x-request-id" and 0 < len(value) <= 64 and value.isascii():
            text: str = value.decode()
            if all(c.isalnum() or c in "-_." for c in text):
                return text
    return uuid.uuid4().hex


class JsonLines(logging.Formatter):
    """Log records as JSON lines: time, level, logger, message, and the record's fields."""

    def format(self, record: logging.LogRecord) -> str:
        """One line of JSON for the record."""
        data: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        data.update(getattr(record, "fields", {}))
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


# ---- the app ----------------------------------------------------------------------------


def create_app(config: ServiceConfig) -> Litestar:
    """The Litestar app serving a policy (loaded here: PolicyError if it has errors)."""
    service = Service(config)
    app = Litestar(
        route_handlers=[
            decisions,
            questions,
            explanations,
            batch,
            screen_names,
            policy,
            reload,
            healthz,
            metrics,
            questionnaire,
            static,
            openapi,
            docs,
        ],
        exception_handlers={
            ProblemError: _on_problem,
            ValidationException: _on_validation,
            HTTPException: _on_http,
            Exception: _on_crash,
        },
        openapi_config=OpenAPIConfig(
            title="kspolicy decision service",
            version=__version__,
            description=(
                "Decisions of a kspolicy policy over HTTP/JSON (docs/service.md). Bad input"
                " is answered with problem details (RFC 9457) naming every bad place."
            ),
            # Litestar's own copy of the document, before the case and decision schemas
            # are put in (openapi_document); /openapi.json is the one to use.
            path="/_litestar",
            render_plugins=[JsonRenderPlugin()],
        ),
        request_max_body_size=config.limits.max_case_bytes,
        on_shutdown=[lambda: service.close()],
        logging_config=None,
        debug=False,
    )
    app.state["service"] = service
    return app


def asgi(config: ServiceConfig) -> tuple[ASGIApp, Service]:
    """The ASGI app to serve (the Litestar app, observed), and its service."""
    app = create_app(config)
    service: Service = app.state["service"]
    return observed(app, service), service
