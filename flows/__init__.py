"""flows: the one orchestrator: each use case once (crawl, clean, release, audit, backfill), called by the
CLI, the Prefect flows, the schedule and the demo alike."""
