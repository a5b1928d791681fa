"""The HTTP front of `katalo-bot serve`: the server and its limits, and the guard before Bolt.

`limits` holds the numbers (and why), `server` reads whole requests on an event loop before a worker
thread sees them, and `guard` lets only correctly signed requests reach Bolt.
"""
