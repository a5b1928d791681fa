"""How much, and how long, `katalo-bot serve` lets a peer send before it is answered or cut off.

Slack is the only legitimate client. Its requests are small (a slash command is about 1 KB, an event
a few KB) and it stops waiting for an ack after 3 seconds, so these limits cost Slack nothing and
bound what anyone else can make the bot hold.
"""

from __future__ import annotations

# Headers: Slack sends about 1 KB (signature, timestamp, retry headers, user agent).
MAX_HEADER_BYTES = 16 * 1024

# Body: the largest payloads Slack sends this bot are a button press that carries the whole message
# it was pressed on (at most 50 blocks of 3,000 characters) and a mention of up to 40,000 characters
# (the text again as rich-text blocks); URL-encoded, that is well under 1 MiB. A larger
# Content-Length is refused with 413 before the body is read, a chunked body as soon as it passes it.
MAX_BODY_BYTES = 1024 * 1024

# What a connection may buffer in memory while its request arrives; the rest of a (rare) large body
# waits in a temporary file. Bounds memory at MAX_CONNECTIONS x (this + MAX_HEADER_BYTES), ~40 MB.
IN_MEMORY_BODY_BYTES = 64 * 1024

# A request must arrive whole (headers and body) within this long of its first byte: Slack's own
# requests take milliseconds and are useless after 3 s; the rest is room for a slow network.
REQUEST_SECONDS = 10

# A connection that sends nothing for this long is closed: a silent half-sent request, or an idle
# keep-alive connection (the same 5 s keep-alive the server used under gunicorn).
IDLE_SECONDS = 5

# Open connections at once. Each costs a socket and at most the buffers above, never a thread, so
# this is set by memory and file descriptors (the default soft limit is 1,024), not by threads.
MAX_CONNECTIONS = 512

# Worker threads running the app: acks are quick (answers run on Bolt's own pool), so 8 suffice.
THREADS = 8
