"""Shared test set-up: UTC everywhere (moto compares some timestamps in local time)."""

import os
import time

os.environ["TZ"] = "UTC"
time.tzset()
