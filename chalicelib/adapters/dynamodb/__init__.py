"""The one DynamoDB table and what is kept in it (the layout: cases.py's docstring)."""
