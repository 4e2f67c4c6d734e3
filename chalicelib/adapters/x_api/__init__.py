"""What Escalator asks of X's API (tweepy): replies, look-ups, and the reads of the
mentions poller and the brand listener."""
