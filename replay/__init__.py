"""Replay servers on 127.0.0.1 for tests and the demo: recorded WARCs (server.py) and hostile responses (faults.py)."""
