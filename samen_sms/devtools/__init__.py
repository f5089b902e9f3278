"""Development tools: the Twilio stand-in, the simulator, the local runner, the embedded Redis.

Never imported by production code.
"""
