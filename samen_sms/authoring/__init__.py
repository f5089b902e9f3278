"""Authoring, offline: PO export and import for translators, review, the segments table, the directory check.

These tools read and write the content's files (`messages/`, `data/`); the line never runs them.
They import `content` and `core` only: no Flask, redis, RQ or twilio. The console may use them.
"""
