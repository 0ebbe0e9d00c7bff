"""Replay servers on 127.0.0.1: recorded WARCs (server.py) and a Wayback Machine stand-in (wayback.py), for tests and the demo."""
