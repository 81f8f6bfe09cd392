"""The decision service: kspolicy over HTTP/JSON, and a questionnaire page for people.

`kspolicy serve` starts it (docs/service.md). It sits beside `tools` (layer 5), on the
facade and the tools' interview and audit log: `core` holds what a request does, free of
any web framework (so the benchmark and the tests can call it in-process too); `app` puts
it on Litestar's routes; `server` runs it under uvicorn with reload, audit log and
shutdown; `page` writes the questionnaire. Its libraries are the optional extra
`service` (`pip install 'kspolicy[service]'`); only `app` and `server` import them.
"""
