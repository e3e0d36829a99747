"""Scheduled work, run inside the server (one worker per tick) and as `pointsmall jobs ...`."""
