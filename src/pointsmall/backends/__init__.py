"""tortoise's database backends, each with one fix: a transaction that fails as it begins
(its task cancelled by a client that hung up, or its connection killed by the database)
gives back what it took.

In tortoise-orm 1.1 a transaction context takes a lock (SQLite) or a pooled connection
(PostgreSQL), sets the task's connection, and then awaits BEGIN. When that await fails,
`__aexit__` never runs: the SQLite lock is held for good (the embedded database stops
answering), or the pooled connection is never returned and the task keeps pointing at it
(the pool runs dry, and later statements of the task run on a dead connection). The
contexts here give both back. The engines are named in `db.tortoise_config`.
"""
