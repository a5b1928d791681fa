"""The ledger mirror: Katalo's billing events kept in the database, synced incrementally, queried fast.

The ledger has no documented filters and the organization may read it 120 times a minute, so finding
one job by walking a 100,000-event ledger would take 1,000 requests. The mirror turns that into one
or two requests (an incremental sync) and a database lookup.
"""
