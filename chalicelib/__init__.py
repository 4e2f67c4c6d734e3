"""Everything that runs in Lambda: the domain, its adapters and the service layer.

Domain (plain Python, no boto3): posts, triage, policy, cases, emails.
Adapters (AWS clients passed in): store (DynamoDB), workflow (Step Functions),
inbox (SQS), mailer (SES). Service layer: service. Wiring from the environment: settings.
"""
