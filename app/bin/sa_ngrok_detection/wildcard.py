"""Case-insensitive patterns where ``*`` matches any run of characters and everything else is literal.

Case-insensitive means ASCII letters only: ``A``-``Z`` equal ``a``-``z`` and every other character must be the same
code point. Unicode case folding would let look-alike characters match a pattern an admin wrote in ASCII (the
Kelvin sign ``\\u212a`` lowercases to ``k``, the dotted capital ``\\u0130`` to ``i`` plus a combining dot), so a
host or user name an attacker chooses could borrow an allowlist entry it only resembles. NFKC normalisation would
make that worse (it maps many more look-alikes, full-width letters among them, onto ASCII), so it is not used.
"""

_ASCII_LOWER = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}


def ascii_lower(text):
    """``text`` with ASCII capitals lowered and every other character unchanged."""
    if text.isascii():
        return text.lower()  # the same as the table below for ASCII text, and done in C
    return text.translate(_ASCII_LOWER)


def is_only_wildcards_and_spaces(text):
    """True for ``*``, ``**``, ``* *``, ``" * "``: a pattern that restricts nothing an admin meant to restrict."""
    return not text.replace("*", " ").strip()


class Pattern(object):
    """One pattern. ``literal`` is the lowered text when the pattern has no ``*``, else None.

    Matching is linear in the value's length whatever the pattern (no regular expression that could backtrack on
    a long, attacker-written command line): the parts between stars are found left to right.
    """

    __slots__ = ("text", "literal", "_parts")

    def __init__(self, text):
        self.text = text
        self.literal = None if "*" in text else ascii_lower(text)
        self._parts = None  # split on first use: a large allowlist loads fast, and most rows never need it

    @property
    def parts(self):
        """The lowered literal parts between the stars: ``a*b*`` -> ["a", "b", ""]."""
        if self._parts is None:
            self._parts = ascii_lower(self.text).split("*")
        return self._parts

    @property
    def matches_everything(self):
        """True for ``*``, ``**``, ...; an empty pattern is a literal that matches only an empty value."""
        return bool(self.text) and self.text.strip("*") == ""

    def matches(self, lowered_value):
        """True when the value (already lowered with ascii_lower) matches."""
        if self.literal is not None:
            return lowered_value == self.literal
        parts = self._parts
        if parts is None:
            parts = self.parts
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
