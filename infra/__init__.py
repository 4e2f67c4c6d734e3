"""What is not Lambda code: the CloudFormation resources, the state machine, the
`escalator` CLI and the local runtime that builds an embedded AWS from the same files."""
