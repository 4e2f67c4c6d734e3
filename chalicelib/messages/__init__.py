"""What people read: the escalation and incident emails (and the pages' templates),
rendered from Jinja2 templates, HTML escaped."""
