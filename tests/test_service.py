"""The decision service, started for real (`kspolicy serve` on a free loopback port).

Every endpoint, problem details for bad input, reload under load (requests in flight
finish on the old policy), the audit log intact after concurrent requests and after a
shutdown in the middle of them, the access log, and `kspolicy serve` without its extra.
"""

from __future__ import annotations

import concurrent.futures
import json
import shutil
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

import kspolicy
from kspolicy.tools import audit
from kspolicy.tools.cli import main

from .test_service_support import CASES, DRONE, PACK, TOKEN, Served, case_json

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    work = tmp_path_factory.mktemp("served")
    shutil.copytree(PACK, work / "pack")
    server = Served(work, policy=work / "pack")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["type"].startswith("urn:kspolicy:problem:")
    assert body["title"] and body["detail"]
    return body


# ---- the endpoints ----------------------------------------------------------------------


def test_decisions_gives_the_same_decision_as_the_library_with_an_id(
    served: Served, pack: kspolicy.Policy
) -> None:
    case = case_json(DRONE)
    response = served.client.post("/v1/decisions", params={"lang": "nl"}, json=case)
    assert response.status_code == 200, response.text
    body = response.json()
    expected = pack.evaluate(case, lang="nl").to_dict()  # compact, by default in both
    assert body["format"] == expected["format"] == "compact/1"
    assert (
        body["fired"] == expected["fired"] and body["open_questions"] == expected["open_questions"]
    )
    assert body["outcomes"] == expected["outcomes"] and body["possible"] == expected["possible"]
    assert body["policy"] == {**expected["policy"]}  # name, version, sha256, as_of
    assert body["policy"]["sha256"] == pack.sha256 and body["lang"] == "nl"
    assert len(body["id"]) == 36 and response.headers["x-decision-id"] == body["id"]
    assert body["audit"]["seq"] >= 0  # recorded: the service keeps an audit log
    full = served.client.post("/v1/decisions", params={"lang": "nl", "detail": "full"}, json=case)
    assert full.json()["format"] == "full/1" and full.json()["trace"] == []
    assert {k: v for k, v in full.json().items() if k not in ("id", "audit")} == {
        **pack.evaluate(case, lang="nl").to_dict("full")
    }
    wrong = served.client.post("/v1/decisions", params={"detail": "everything"}, json=case)
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["path"] == "query.detail"


def test_decisions_takes_as_of_and_explain_from_the_query(served: Served) -> None:
    case = case_json(DRONE)
    del case["as_of"]
    response = served.client.post(
        "/v1/decisions",
        params={"as_of": "2025-03-01", "explain": "true", "detail": "full"},
        json=case,
    )
    body = response.json()
    assert body["policy"]["as_of"] == "2025-03-01"
    assert body["trace"]  # the evaluation trace, asked for


def test_questions_asks_what_still_matters_most_decisive_first(served: Served) -> None:
    response = served.client.post("/v1/questions", params={"lang": "nl"}, json={})
    assert response.status_code == 200, response.text
    body = response.json()
    first = body["questions"][0]
    assert first["fact"] == "partners" and first["kind"] == "records"
    assert first["text"].startswith("Welke partners")
    assert body["summary"]["open_questions"] >= len(body["questions"])
    skipped = served.client.post(
        "/v1/questions", params=[("skip", "partners"), ("skip", "funders")], json={}
    ).json()
    assert {"partners", "funders"}.isdisjoint(q["fact"] for q in skipped["questions"])
    # The drone case answered whole: nothing left that could change the decision...
    done = served.client.post("/v1/questions", json=case_json(DRONE)).json()
    assert all(q["fact"] != "project.topics" for q in done["questions"])
    # ... and a code question lists its choices with labels.
    partial = {"project": {"dual_use": None}, "partners": [{"country": "CN"}]}
    found = served.client.post("/v1/questions", json=partial).json()["questions"]
    kinds = {q["fact"]: q for q in found}
    assert any(c["code"] == "listed" for c in kinds["project.dual_use"]["choices"])


def test_explanations_come_as_html_markdown_or_text_by_accept(served: Served) -> None:
    case = case_json(DRONE)
    for accept, media, marker in [
        ("text/html", "text/html", "<!DOCTYPE html>"),
        ("text/markdown", "text/markdown", "# **Voorlopige beslissing"),
        ("text/plain;q=0.9, image/png", "text/plain", "Contactpunt"),
        ("*/*", "text/html", "<h1"),
    ]:
        response = served.client.post(
            "/v1/explanations", params={"lang": "nl"}, json=case, headers={"Accept": accept}
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(media), accept
        assert marker in response.text and "researchsecurity@uantwerpen.be" in response.text
    refused = served.client.post("/v1/explanations", json=case, headers={"Accept": "image/png"})
    assert _problem(refused, 406)["errors"][0]["path"] == "header.accept"


def test_batch_streams_json_lines_with_bad_lines_in_place(served: Served) -> None:
    lines = [
        json.dumps(case_json(DRONE)),
        "{not json",
        "",
        json.dumps({"partners": [{"country": "XX"}]}),
        json.dumps({"partners": [{"name": "HIT", "country": "CN"}]}),
    ]
    with served.client.stream(
        "POST", "/v1/batch", params={"lang": "nl"}, content="\n".join(lines) + "\n"
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-ndjson")
        out = [json.loads(line) for line in response.iter_lines() if line]
    assert [o["line"] for o in out] == [1, 2, 4, 5]  # the empty line 3 gives nothing
    assert out[0]["decision"]["outcomes"]["verdict"] == "notify"
    assert out[1]["problem"]["status"] == 400 and out[1]["problem"]["line"] == 2
    assert out[2]["problem"]["status"] == 422
    assert out[2]["problem"]["errors"][0]["path"] == "partners[0].country"
    assert out[3]["decision"]["lang"] == "nl" and "audit" in out[3]["decision"]


class _Chunked:
    """The answer of a raw HTTP/1.1 connection, its chunked body read as it comes."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.raw = b""
        self.body = b""
        self.ended = False

    def _more(self) -> None:
        data = self.sock.recv(65536)  # socket timeout: the answer never came
        if not data:
            raise AssertionError("the service closed the connection")
        self.raw += data

    def headers(self) -> bytes:
        while b"\r\n\r\n" not in self.raw:
            self._more()
        head, _, self.raw = self.raw.partition(b"\r\n\r\n")
        return head

    def lines(self, count: int) -> list[dict[str, Any]]:
        """The next `count` lines of the body, waiting for them as long as the timeout."""
        while self.body.count(b"\n") < count:
            while b"\r\n" not in self.raw:
                self._more()
            size = int(self.raw.split(b"\r\n", 1)[0], 16)
            while len(self.raw.split(b"\r\n", 1)[1]) < size + 2:
                self._more()
            data = self.raw.split(b"\r\n", 1)[1]
            self.body += data[:size]
            self.raw = data[size + 2 :]
            self.ended = size == 0
            if self.ended:
                break
        taken = self.body.split(b"\n")[:count]
        self.body = b"\n".join(self.body.split(b"\n")[count:])
        return [json.loads(line) for line in taken if line]


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def test_batch_answers_the_first_line_before_the_rest_is_sent(served: Served) -> None:
    # The client sends one line (cut in two chunks) and waits for its answer before it
    # sends the rest: a service that reads the whole body first never answers, and the
    # socket's timeout fails the test. The service keeps an audit log here, so the lines
    # wait for their records in groups: a group never waits for lines not yet sent.
    first = json.dumps(case_json(DRONE)).encode() + b"\n"
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as sock:
        sock.sendall(
            b"POST /v1/batch?lang=nl HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        sock.sendall(_chunk(first[:40]))
        sock.sendall(_chunk(first[40:]))
        answer = _Chunked(sock)
        assert answer.headers().startswith(b"HTTP/1.1 200")
        (one,) = answer.lines(1)
        assert one["line"] == 1 and one["decision"]["outcomes"]["verdict"] == "notify"
        assert "audit" in one["decision"]
        # Line 2 is empty (no answer), 3 is no JSON (its problem in place), 4 has no newline.
        sock.sendall(_chunk(b"\n{not json\n" + first.rstrip()) + _chunk(b""))
        three, four = answer.lines(2)
        assert three["line"] == 3 and three["problem"]["status"] == 400
        assert four["line"] == 4 and four["decision"]["outcomes"] == one["decision"]["outcomes"]
        assert answer.lines(1) == [] and answer.ended  # and nothing more


def test_batch_client_gone_in_the_middle_of_its_body_is_no_server_error(
    served: Served,
) -> None:
    first = json.dumps(case_json(DRONE)).encode() + b"\n"
    log = served.log.read_text(encoding="utf-8")
    before, before_gone = log.count("Traceback"), log.count("batch client disconnected")
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as sock:
        sock.sendall(
            b"POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        sock.sendall(_chunk(first))
        answer = _Chunked(sock)
        answer.headers()
        assert answer.lines(1)[0]["line"] == 1
    # The client has gone with its body unfinished: the service notices, says so in its
    # log (no traceback), and goes on serving.
    gone = before_gone + 1
    for _ in range(200):
        if served.log.read_text(encoding="utf-8").count("batch client disconnected") >= gone:
            break
        served.client.get("/healthz")
    log = served.log.read_text(encoding="utf-8")
    assert log.count("batch client disconnected") == gone
    assert log.count("Traceback") == before
    assert served.client.post("/v1/batch", content=first).status_code == 200


def test_batch_of_windows_lines_with_a_byte_order_mark_is_read_as_the_cli_reads_it(
    served: Served,
) -> None:
    body = b"\xef\xbb\xbf{}\r\n{}\r\n"
    out = [json.loads(line) for line in served.client.post("/v1/batch", content=body).text.split()]
    assert [(o["line"], "decision" in o) for o in out] == [(1, True), (2, True)]


def test_batch_line_over_the_case_limit_is_a_problem_in_its_place(served: Served) -> None:
    case = json.dumps(case_json(DRONE))
    body = f"{case}\n{'x' * 1_100_000}\n{case}\n"  # max_case_bytes: 1,000,000
    response = served.client.post("/v1/batch", content=body)
    assert response.status_code == 200
    out = [json.loads(line) for line in response.text.splitlines()]
    assert [o["line"] for o in out] == [1, 2, 3]
    problem = out[1]["problem"]
    assert problem["status"] == 413 and problem["type"] == "urn:kspolicy:problem:too-large"
    assert problem["line"] == 2 and "max_case_bytes" in problem["detail"]
    assert problem["errors"] == [
        {
            "path": "",
            "message": "the line is more than 1,000,000 bytes (max_case_bytes)",
            "code": "KSP406",
        }
    ]
    assert "decision" in out[0] and "decision" in out[2]


def test_batch_announced_over_its_limit_gets_413_before_it_is_sent(served: Served) -> None:
    # 64 MB announced, none sent: the service refuses at once (or the socket times out).
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as sock:
        sock.sendall(
            b"POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-ndjson\r\nContent-Length: 64000001\r\n\r\n"
        )
        answer = b""
        while b"}" not in answer:
            answer += sock.recv(65536)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413") and b"application/problem+json" in head
    problem = json.loads(body)
    assert problem["type"] == "urn:kspolicy:problem:too-large"
    assert "max_batch_bytes" in problem["detail"]


def test_policy_describes_itself_with_the_case_json_schema(
    served: Served, pack: kspolicy.Policy
) -> None:
    body = served.client.get("/v1/policy").json()
    assert (body["name"], body["version"], body["sha256"]) == (
        pack.name,
        pack.version,
        pack.sha256,
    )
    assert body["languages"] == ["en", "nl"]
    assert {f["path"] for f in body["files"]} == {name for name, _ in pack.files}
    schema = body["case_schema"]
    facts = {k: v for k, v in case_json(DRONE).items() if k != "as_of"}  # not a fact
    jsonschema.validate(facts, schema)  # a real case fits
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"partners": [{"country": 7}]}, schema)
    dutch = served.client.get("/v1/policy", params={"lang": "nl"}).json()["case_schema"]
    assert dutch["properties"]["institution"]["description"].startswith("Aan welke instelling")


def test_healthz_and_metrics_in_prometheus_text(served: Served) -> None:
    health = served.client.get("/healthz").json()
    assert health["status"] == "ok" and health["policy"] == "knowledge_security"
    served.client.post("/v1/decisions", json={"partners": []})
    served.client.post("/v1/decisions", content=b"{")
    text = served.client.get("/metrics")
    assert text.headers["content-type"].startswith("text/plain")
    metrics = text.text
    assert 'kspolicy_requests_total{method="POST",route="/v1/decisions",status="200"}' in metrics
    assert 'status="400"' in metrics
    assert 'kspolicy_request_seconds_bucket{route="/v1/decisions",le="+Inf"}' in metrics
    assert "kspolicy_decisions_total{headline=" in metrics
    assert 'kspolicy_errors_total{type="malformed-body"}' in metrics
    assert 'kspolicy_policy_info{name="knowledge_security"' in metrics


def test_openapi_document_is_3_1_with_the_case_and_decision_schemas(served: Served) -> None:
    document = served.client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert {
        "/v1/decisions",
        "/v1/questions",
        "/v1/explanations",
        "/v1/batch",
        "/v1/policy",
        "/v1/policy/reload",
        "/healthz",
        "/metrics",
    } <= set(document["paths"])
    schemas = document["components"]["schemas"]
    assert {"Case", "Decision", "Problem", "Questions", "PolicyDescription"} <= set(schemas)
    text = json.dumps(document)
    assert "#/$defs/" not in text  # every reference resolves within the document
    docs = served.client.get("/docs")
    assert docs.status_code == 200 and "/v1/decisions" in docs.text


def test_the_questionnaire_page_and_its_files_are_served_from_here(served: Served) -> None:
    page = served.client.get("/", params={"lang": "nl"})
    assert page.status_code == 200 and '<html lang="nl">' in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "http" not in page.text.split("<body>")[0].replace("http-equiv", "")  # no CDN
    browser_dutch = served.client.get("/", headers={"Accept-Language": "nl-BE,nl;q=0.9"})
    assert '<html lang="nl">' in browser_dutch.text
    assert served.client.get("/static/page.js").status_code == 200
    _problem(served.client.get("/static/../app.py"), 404)


def test_access_log_is_one_json_line_per_request(served: Served) -> None:
    served.client.get("/healthz", headers={"X-Request-Id": "trace-me-42"})
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        found = [e for e in served.access_log() if e.get("request_id") == "trace-me-42"]
        if found:
            break
        time.sleep(0.05)
    assert found[0]["method"] == "GET" and found[0]["path"] == "/healthz"
    assert found[0]["status"] == 200 and found[0]["ms"] >= 0


# ---- problem details ----------------------------------------------------------------------


def test_bad_case_gets_problem_details_naming_every_bad_path(served: Served) -> None:
    case = {"partners": [{"country": "XX", "kind": "spaceship"}], "surprise": 1}
    for path in ("/v1/decisions", "/v1/questions", "/v1/explanations"):
        body = _problem(served.client.post(path, json=case), 422)
        paths = {e["path"] for e in body["errors"]}
        assert paths == {"partners[0].country", "partners[0].kind", "surprise"}, path
        assert all(e["code"].startswith("KSP") for e in body["errors"])
        assert body["instance"] == path


@pytest.mark.parametrize(
    ("content", "params", "status", "where"),
    [
        (b"{not json", {}, 400, ""),
        (b"\xff\xfe", {}, 400, ""),
        (b'{"a": NaN}', {}, 400, ""),
        (b"{}", {"as_of": "yesterday"}, 400, "query.as_of"),
        (b"{}", {"lang": "fr"}, 400, "query.lang"),
        (b"{}", {"explain": "perhaps"}, 400, "query.explain"),
        # JSON, but no case: well-formed, not processable
        (b"[1, 2]", {}, 422, ""),
        (b"[" * 100_000 + b"]" * 100_000, {}, 422, ""),
    ],
    ids=["not-json", "not-utf8", "nan", "as_of", "lang", "explain", "not-an-object", "deep"],
)
def test_malformed_request_gets_problem_details_with_the_place(
    served: Served, content: bytes, params: dict[str, str], status: int, where: str
) -> None:
    response = served.client.post("/v1/decisions", content=content, params=params)
    body = _problem(response, status)
    assert body["errors"][0]["path"] == where


def test_body_over_the_case_limit_gets_413(served: Served) -> None:
    huge = b'{"institution": "' + b"x" * 1_100_000 + b'"}'
    body = _problem(served.client.post("/v1/decisions", content=huge), 413)
    assert "max_case_bytes" in body["detail"]


def test_unknown_route_and_method_get_problem_details(served: Served) -> None:
    _problem(served.client.get("/v1/nothing"), 404)
    _problem(served.client.get("/v1/decisions"), 405)


# ---- the audit log ------------------------------------------------------------------------


def test_audit_log_intact_after_concurrent_requests(served: Served) -> None:
    assert served.audit_log is not None
    cases = [case_json(path) for path in sorted(CASES.glob("*.toml"))]

    def decide(index: int) -> dict[str, Any]:
        response = served.client.post("/v1/decisions", json=cases[index % len(cases)])
        assert response.status_code == 200, response.text
        place: dict[str, Any] = response.json()["audit"]
        return place

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        places = list(pool.map(decide, range(40)))
    verification = audit.verify(served.audit_log)
    assert verification.ok, verification
    records = [json.loads(line) for line in served.audit_log.read_text().splitlines()]
    by_sha = {r["sha256"]: r for r in records}
    assert len({p["seq"] for p in places}) == 40  # each its own place in the chain
    for place in places:
        assert by_sha[place["sha256"]]["seq"] == place["seq"]
    assert [r["seq"] for r in records] == list(range(len(records)))


def test_shutdown_in_the_middle_of_requests_loses_no_record(tmp_path: Path) -> None:
    server = Served(tmp_path)
    case = case_json(DRONE)
    answered: list[dict[str, Any]] = []
    some = threading.Event()

    def decide(_: int) -> None:
        try:
            response = server.client.post("/v1/decisions", json=case)
        except httpx.TransportError:
            return  # refused: the service had stopped listening
        if response.status_code == 200:
            answered.append(response.json()["audit"])
            if len(answered) >= 3:
                some.set()

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(decide, i) for i in range(60)]
        assert some.wait(30)
        server.signal(signal.SIGTERM)  # with requests in flight
        for future in futures:
            future.result()
    code = server.stop()
    assert code in (0, -signal.SIGTERM), server.log.read_text()
    assert answered, server.log.read_text()[-3000:]  # some were answered before the stop...
    assert server.audit_log is not None
    verification = audit.verify(server.audit_log)
    assert verification.ok and not verification.torn
    written = {json.loads(line)["sha256"] for line in server.audit_log.read_text().splitlines()}
    assert {place["sha256"] for place in answered} <= written  # ...and each is on disk


# ---- reload -----------------------------------------------------------------------------


def _bump(pack: Path, version: str) -> None:
    main_file = pack / "policy.pol"
    text = main_file.read_text(encoding="utf-8")
    head, _, rest = text.partition('version "')
    main_file.write_text(head + f'version "{version}' + rest[rest.index('"') :], "utf-8")


def test_reload_needs_the_bearer_token(served: Served) -> None:
    body = _problem(served.client.post("/v1/policy/reload"), 401)
    assert body["errors"][0]["path"] == "header.authorization"
    wrong = {"Authorization": "Bearer not-the-token-at-all"}
    _problem(served.client.post("/v1/policy/reload", headers=wrong), 401)


def test_reload_under_load_finishes_requests_in_flight_on_the_old_policy(served: Served) -> None:
    before = served.client.get("/healthz").json()
    pack = served.policy
    assert pack is not None
    _bump(pack, "2099.1")
    line = json.dumps(case_json(DRONE))
    events: list[tuple[str, float]] = []
    shas: list[str] = []

    def stream_batch() -> None:
        body = "\n".join([line] * 200)
        with served.client.stream("POST", "/v1/batch", content=body) as answer:
            for raw in answer.iter_lines():
                if raw:
                    if not shas:
                        events.append(("first line", time.monotonic()))
                    shas.append(json.loads(raw)["decision"]["policy"]["sha256"])
        events.append(("batch done", time.monotonic()))

    def decide(_: int) -> int:
        return served.client.post("/v1/decisions", json={"partners": []}).status_code

    batch = threading.Thread(target=stream_batch)
    batch.start()
    while not events and batch.is_alive():
        time.sleep(0.01)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        during = pool.map(decide, range(20))
        reloaded = served.client.post(
            "/v1/policy/reload", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        events.append(("reloaded", time.monotonic()))
        statuses = list(during)
    batch.join()
    assert reloaded.status_code == 200, reloaded.text
    after = reloaded.json()
    assert after["version"] == "2099.1" and after["previous_sha256"] == before["sha256"]
    assert statuses == [200] * 20  # nothing failed while the policy changed
    order = [name for name, _ in sorted(events, key=lambda e: e[1])]
    assert order == ["first line", "reloaded", "batch done"]  # the reload came mid-batch
    assert len(shas) == 200 and set(shas) == {before["sha256"]}  # all on the old policy
    now = served.client.post("/v1/decisions", json={}).json()["policy"]
    assert now["sha256"] == after["sha256"] and now["version"] == "2099.1"


def test_reload_of_a_policy_with_errors_keeps_the_old_one(served: Served) -> None:
    pack = served.policy
    assert pack is not None
    before = served.client.get("/healthz").json()
    main_file = pack / "policy.pol"
    good = main_file.read_text(encoding="utf-8")
    main_file.write_text(good + "\nrule broken when then\n", encoding="utf-8")
    try:
        body = _problem(
            served.client.post("/v1/policy/reload", headers={"Authorization": f"Bearer {TOKEN}"}),
            422,
        )
        assert any(e["path"].startswith("policy.pol:") for e in body["errors"])
        assert served.client.get("/healthz").json() == before
    finally:
        main_file.write_text(good, encoding="utf-8")


def test_sighup_reloads_the_policy(served: Served) -> None:
    pack = served.policy
    assert pack is not None
    _bump(pack, "2099.2")
    served.signal(signal.SIGHUP)
    deadline = time.monotonic() + 30
    version = ""
    while time.monotonic() < deadline:
        version = served.client.get("/healthz").json()["version"]
        if version == "2099.2":
            break
        time.sleep(0.1)
    assert version == "2099.2"


# ---- the command --------------------------------------------------------------------------


def test_serve_without_the_extra_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import kspolicy.service

    for name in ("app", "server"):  # imported again, as on a machine without the extra
        monkeypatch.delitem(sys.modules, f"kspolicy.service.{name}", raising=False)
        monkeypatch.delattr(kspolicy.service, name, raising=False)
    monkeypatch.setitem(sys.modules, "litestar", None)  # import litestar: ImportError
    assert main(["serve", "--check"]) == 2
    assert "pip install 'kspolicy[service]'" in capsys.readouterr().err


def test_serve_check_refuses_a_short_token_before_listening(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = tmp_path / "token"
    token.write_text("short\n", encoding="utf-8")
    assert main(["serve", "--check", "--token-file", str(token)]) == 2
    assert "at least 16 characters" in capsys.readouterr().err


def test_a_language_tag_in_capitals_is_the_policy_s_language(served: Served) -> None:
    # Found by a trial: `?lang=NL` was refused; BCP 47 tags are case-insensitive.
    case = {"project": {"title": "x"}}
    upper = served.client.post("/v1/decisions", params={"lang": "NL"}, json=case)
    assert upper.status_code == 200 and upper.json()["lang"] == "nl"
    unknown = served.client.post("/v1/decisions", params={"lang": "FR"}, json=case)
    assert unknown.status_code == 400


def test_the_openapi_document_says_screen_s_422_is_about_names(served: Served) -> None:
    document = served.client.get("/openapi.json").json()
    screen = document["paths"]["/v1/screen"]["post"]["responses"]["422"]["description"]
    decisions = document["paths"]["/v1/decisions"]["post"]["responses"]["422"]["description"]
    assert "Names" in screen and "Case" in decisions
