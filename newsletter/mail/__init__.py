"""The email edition's parts: plain text, inlined CSS within Gmail's budget, the message."""

# Delivery replaces this token, per recipient, with a signed unsubscribe URL. It is plain ASCII
# that no Markdown, MJML or HTML escaping changes, and that no real content contains.
UNSUBSCRIBE_PLACEHOLDER = "%%UNSUBSCRIBE_URL%%"
