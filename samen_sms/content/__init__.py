"""The conversation, pure: flows, catalogues, the engine, text folding, rendering, directory, places, SMS cost.

Nothing here imports Flask, redis, rq or twilio, or any other room but `core`.
"""
