"""The glue between the outside and the use cases: webhooks, the agent API, the pages
and the inbox consumer. Thin: read the request, call, answer."""
