"""Builds data/tinylang.txt: a small synthetic language for the course's character-level model.

    python data/build_tinylang.py

The text comes from a probabilistic grammar and Python's `random.Random(SEED)`, which gives
the same numbers on every Python version, so the same bytes come out every time (the script
prints the SHA-256 that data/README.md records). It needs nothing beyond Python itself.

The grammar has structure at three distances, so that a model has something to learn at each:
- short: spelling (a fixed lexicon of short words), plurals ending in "s";
- medium: a verb agrees in number with its subject, even across a relative clause
  ("the toad that the owls see runs ."), and an opened "(" is closed before the sentence ends;
- long: each paragraph is about one named animal, who comes back in later sentences, and the
  paragraph ends by naming it again ("so ends the tale of pip .").
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 2024
PARAGRAPHS = 1200

NAMES = ["pip", "mo", "tess", "rudi", "vela", "kai", "juno", "bram", "lio", "nell", "oto", "zara"]
NOUNS = ["toad", "owl", "cat", "frog", "crow", "hare", "mole", "wren", "bee", "newt"]
# verb stems: singular adds "s" ("runs"), plural is the stem ("run")
INTRANSITIVE = ["run", "sleep", "sing", "hide", "wait", "swim", "dig", "dream"]
TRANSITIVE = ["see", "chase", "help", "meet", "find", "greet", "follow", "feed"]
ADJECTIVES = ["small", "old", "red", "quiet", "quick", "grey", "brave", "shy"]
PLACES = ["by the river", "in the wood", "on the hill", "under the moss", "near the pond"]


def pick(rng: random.Random, items: list[str]) -> str:
    """One item, chosen with `rng.random()` only (stable across Python versions)."""
    return items[int(rng.random() * len(items))]


def noun_phrase(rng: random.Random, depth: int) -> tuple[str, bool]:
    """(words, plural?): "the old toad", "the owls that the toad sees", ..."""
    plural = rng.random() < 0.4
    words = ["the"]
    if rng.random() < 0.3:
        words.append(pick(rng, ADJECTIVES))
    words.append(pick(rng, NOUNS) + ("s" if plural else ""))
    if depth < 2 and rng.random() < 0.3:
        inner, inner_plural = noun_phrase(rng, depth + 1)
        words += ["that", inner, verb(pick(rng, TRANSITIVE), inner_plural)]
    return " ".join(words), plural


def verb(stem: str, plural: bool) -> str:
    return stem if plural else stem + "s"


def sentence(rng: random.Random, hero: str) -> str:
    """One sentence; the paragraph's hero appears in about half of them."""
    if rng.random() < 0.5:
        subject, plural = hero, False
    else:
        subject, plural = noun_phrase(rng, 0)
    if rng.random() < 0.5:
        obj = hero if (subject != hero and rng.random() < 0.4) else noun_phrase(rng, 1)[0]
        words = [subject, verb(pick(rng, TRANSITIVE), plural), obj]
    else:
        words = [subject, verb(pick(rng, INTRANSITIVE), plural)]
    if rng.random() < 0.3:
        words.append(pick(rng, PLACES))
    if rng.random() < 0.15:
        words.append("( and " + verb(pick(rng, INTRANSITIVE), plural) + " )")
    return " ".join(words) + " ."


def paragraph(rng: random.Random) -> str:
    hero = pick(rng, NAMES)
    lines = [f"this is the tale of {hero} ."]
    lines += [sentence(rng, hero) for _ in range(3 + int(rng.random() * 4))]
    lines.append(f"so ends the tale of {hero} .")
    return " ".join(lines)


def build() -> bytes:
    """The whole text: one paragraph per line, ASCII."""
    rng = random.Random(SEED)
    return ("\n".join(paragraph(rng) for _ in range(PARAGRAPHS)) + "\n").encode("ascii")


def main() -> None:
    """Write tinylang.txt and print its size and SHA-256."""
    text = build()
    (HERE / "tinylang.txt").write_bytes(text)
    print(f"tinylang.txt: {len(text):,} bytes, SHA-256 {hashlib.sha256(text).hexdigest()}")


if __name__ == "__main__":
    main()
