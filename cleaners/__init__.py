"""cleaners: turn raw captured pages into clean documents, recording every repair made."""
