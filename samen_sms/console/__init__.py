"""The operator console: a Flask blueprint under `/console/` for staff, never for texters.

Nothing here reads or shows a phone number, a pseudonym or anything a texter wrote: the console
works on sessions, counts, the directory and the content, and on staff accounts.
"""
