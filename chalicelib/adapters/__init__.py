"""The ports' implementations over the services: each takes its client, speaks its
service's API, and translates the service's errors into the domain's."""
