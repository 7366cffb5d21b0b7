"""Background jobs: a transactional outbox, a relay to the broker, idempotent actors, a scheduler.

A change that causes work writes an outbox row in its own transaction (`enqueue`); the relay
publishes committed rows to the broker; a worker runs each in the system scope of the row's
tenant and marks the row done in the same transaction as the work, so a job takes effect once
however often it is delivered. See docs/architecture.md, Jobs.
"""
