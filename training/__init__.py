"""Offline model training: heavier tools (scikit-learn) that never ship in the Lambda."""
