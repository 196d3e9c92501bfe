"""fuzzy_formal_names (the deletion-index search) against the brute force it replaced: every one-edit variant of the
token looked up in the nickname dictionary. Equal on dictionary words, on words one and two edits from them, and on
arbitrary text."""

from __future__ import annotations

import string

from hypothesis import example, given, settings
from hypothesis import strategies as st

from crs.domain.identity.encoding import fuzzy_formal_names
from crs.domain.identity.normalize import NICKNAMES, formal_given_name

EXAMPLES = settings(max_examples=1500, deadline=None, database=None)
_FORMAL = frozenset(NICKNAMES.values())
_WORDS = sorted(set(NICKNAMES) | _FORMAL)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _one_edit(token: str) -> set[str]:
    splits = [(token[:i], token[i:]) for i in range(len(token) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    out |= {a + c + b for a, b in splits for c in _LETTERS}
    out.discard(token)
    return out


def reference(token: str) -> set[str]:
    """The generate-every-variant version (about 54 variants per letter, each looked up)."""
    if not token.isascii() or not token.isalpha() or len(token) > 20:
        return set()
    out: set[str] = set()
    for v in _one_edit(token):
        if v in _FORMAL:
            out.add(v)
        formal = formal_given_name(v)
        if formal is not None:
            out.add(formal)
    return out - {token, formal_given_name(token)}


@st.composite
def edited(draw: st.DrawFn, alphabet: str = _LETTERS + "AZ") -> str:
    """A dictionary word with 0-2 random edits: hits, near misses and two-edit misses."""
    word = draw(st.sampled_from(_WORDS))
    for _ in range(draw(st.integers(0, 2))):
        op = draw(st.sampled_from(["delete", "insert", "substitute", "transpose"]))
        i = draw(st.integers(0, len(word)))
        c = draw(st.sampled_from(alphabet))
        if op == "delete" and i < len(word):
            word = word[:i] + word[i + 1 :]
        elif op == "insert":
            word = word[:i] + c + word[i:]
        elif op == "substitute" and i < len(word):
            word = word[:i] + c + word[i + 1 :]
        elif op == "transpose" and i + 1 < len(word):
            word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word


@EXAMPLES
@given(edited())
@example("bob")
@example("bbo")
@example("rboert")
@example("")
@example("a")
def test_equals_brute_force_near_dictionary(token: str) -> None:
    assert fuzzy_formal_names(token) == reference(token)


@EXAMPLES
@given(st.text(string.ascii_letters + "õäöü-' 1", max_size=24))
def test_equals_brute_force_on_any_text(token: str) -> None:
    assert fuzzy_formal_names(token) == reference(token)


def test_finds_a_typo_of_a_short_name() -> None:
    assert "robert" in fuzzy_formal_names("bbo")  # "bob" transposed
    assert "robert" in fuzzy_formal_names("robrt")  # one letter dropped
    assert fuzzy_formal_names("robert") == reference("robert")
