"""The vocabulary and the decisions, in plain Python: posts, triage, the policy and its
rules, cases and their clock, incidents, figures and the errors. Nothing here imports
AWS, HTTP, templates or a platform client (tests/unit/test_layers.py checks)."""
