"""Everything that runs in Lambda, in layers: `domain/` (plain Python: posts, triage, the
policy, cases and their clock, incidents), `ports.py` (what the use cases need from the
world), `use_cases/` (one job a module), `adapters/` (DynamoDB, Step Functions, SQS, SES,
signing, X's and Meta's APIs), `channels/` (each platform's payloads to posts),
`messages/` (emails from templates) and `entrypoints/` (HTTP and SQS glue); wired by
`components.py` from `settings.py`. The README's "Layout" follows a post through them.
"""
