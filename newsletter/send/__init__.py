"""Delivery: one personalised message per subscriber, exactly once as far as SMTP allows."""
