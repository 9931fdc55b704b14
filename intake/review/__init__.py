"""Human review of extraction results: reviewer accounts, sessions, CSRF, decisions, audit log.

The system recommends; a reviewer decides. Nothing here ever produces a denial."""
