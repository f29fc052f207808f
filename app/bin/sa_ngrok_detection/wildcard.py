"""Case-insensitive patterns where ``*`` matches any run of characters and everything else is literal."""

import re


class Pattern(object):
    """One pattern. ``literal`` is the lowercased text when the pattern has no ``*``, else None."""

    __slots__ = ("text", "literal", "_regex")

    def __init__(self, text):
        self.text = text
        self.literal = None if "*" in text else text.lower()
        self._regex = None  # compiled on first use: a large allowlist loads fast, and most rows never need it

    @property
    def matches_everything(self):
        """True for ``*``, ``**``, ...; an empty pattern is a literal that matches only an empty value."""
        return bool(self.text) and self.text.strip("*") == ""

    def matches(self, lowered_value):
        """True when the (already lowercased) value matches."""
        if self.literal is not None:
            return lowered_value == self.literal
        if self._regex is None:
            parts = self.text.lower().split("*")
            self._regex = re.compile(".*".join(re.escape(part) for part in parts) + r"\Z", re.DOTALL)
        return self._regex.match(lowered_value) is not None

    def __repr__(self):
        return "Pattern(%r)" % self.text
