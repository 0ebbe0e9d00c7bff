"""Replay WARC files with pywb and answer a list of (URL, 14-digit timestamp) queries as JSON.

Runs in pywb's own environment (.venv-pywb: pywb pins redis==2.10.6, Prefect needs redis>=6, and pywb
monkey-patches the process with gevent), so tests call it as a subprocess:

    .venv-pywb/bin/python tests/tools/pywb_replay.py WORKDIR QUERIES.json WARC...

For each query it requests /<coll>/<ts>id_/<url> (the archived response, unrewritten) and writes
[{url, ts, status, memento_datetime, content_type, body_b64}] to WORKDIR/answers.json.
"""

import base64
import json
import os
import sys


def main(argv: list[str]) -> None:
    workdir, queries_file, warcs = argv[0], argv[1], argv[2:]
    os.chdir(workdir)
    import logging
    logging.disable(logging.CRITICAL)
    from pywb.manager.manager import CollectionsManager
    from pywb.apps.frontendapp import FrontEndApp
    from werkzeug.test import Client

    manager = CollectionsManager("kc", colls_dir="collections", must_exist=False)
    manager.add_collection()
    manager.add_archives(warcs)
    client = Client(FrontEndApp(custom_config={"collections_root": "collections"}))
    answers = []
    for url, ts in json.load(open(queries_file)):
        response = client.get(f"/kc/{ts}id_/{url}")
        answers.append({"url": url, "ts": ts, "status": response.status_code,
                        "memento_datetime": response.headers.get("Memento-Datetime"),
                        "content_type": response.headers.get("Content-Type"),
                        "body_b64": base64.b64encode(response.get_data()).decode("ascii")})
    with open("answers.json", "w") as fh:
        json.dump(answers, fh)


if __name__ == "__main__":
    main(sys.argv[1:])
