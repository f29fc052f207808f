"""Case-insensitive patterns where ``*`` matches any run of characters and everything else is literal."""

class Pattern(object):
    """One pattern. ``literal`` is the lowercased text when the pattern has no ``*``, else None.

    Matching is linear in the value's length whatever the pattern (no regular expression that could backtrack on
    a long, attacker-written command line): the parts between stars are found left to right.
    """

    __slots__ = ("text", "literal", "_parts")

    def __init__(self, text):
        self.text = text
        self.literal = None if "*" in text else text.lower()
        self._parts = None  # split on first use: a large allowlist loads fast, and most rows never need it

    @property
    def matches_everything(self):
        """True for ``*``, ``**``, ...; an empty pattern is a literal that matches only an empty value."""
        return bool(self.text) and self.text.strip("*") == ""

    def matches(self, lowered_value):
        """True when the (already lowercased) value matches."""
        if self.literal is not None:
            return lowered_value == self.literal
        if self._parts is None:
            self._parts = self.text.lower().split("*")
        parts = self._parts
        first, last = parts[0], parts[-1]
        if len(lowered_value) < len(first) + len(last) or not lowered_value.startswith(first) \
                or not lowered_value.endswith(last):
            return False
        position, end = len(first), len(lowered_value) - len(last)
        for part in parts[1:-1]:
            position = lowered_value.find(part, position, end)
            if position < 0:
                return False
            position += len(part)
        return True

    def __repr__(self):
        return "Pattern(%r)" % self.text
