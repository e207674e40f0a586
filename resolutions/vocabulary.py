"""The operative-verb vocabulary (DESIGN.md §2). Pure Python: the parser, the services and
the seed all read it from here.

A verb lemma is lower case; "Also requests" and "Further requests" are `request`,
"Calls on/upon" is `call_on`, a decision's "shall" is `shall`.
"""

from __future__ import annotations

DIRECTIVE = "directive"
EXHORTATION = "exhortation"
DECLARATORY = "declaratory"

#: Verbs that create a mandate to track, with their strength.
TRACKED_VERBS: dict[str, str] = {
    "request": DIRECTIVE,
    "instruct": DIRECTIVE,
    "decide": DIRECTIVE,
    "shall": DIRECTIVE,
    "direct": DIRECTIVE,
    "urge": EXHORTATION,
    "call_on": EXHORTATION,
    "encourage": EXHORTATION,
    "invite": EXHORTATION,
    "recommend": EXHORTATION,
}

#: Verbs shown with their paragraph but not tracked.
DECLARATORY_VERBS: frozenset[str] = frozenset(
    {
        "note",
        "take_note",
        "welcome",
        "recognize",
        "stress",
        "acknowledge",
        "appreciate",
        "emphasize",
        "reaffirm",
        "adopt",
        "recall",
        "express",
        "thank",
        "congratulate",
        "confirm",
        "endorse",
        "agree",
        "affirm",
        "highlight",
        "underline",
        "approve",
        "commend",
        "regret",
        "repeal",
        "consider",
        "declare",
    }
)


def strength_of(verb: str) -> str:
    """directive, exhortation or declaratory, for a lemma."""
    return TRACKED_VERBS.get(verb, DECLARATORY)


def is_tracked(verb: str) -> bool:
    return verb in TRACKED_VERBS
