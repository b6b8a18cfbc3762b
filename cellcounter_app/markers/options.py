"""Marker options as the command line gives them (text) to checked `MarkerSpec` records.

``--marker NAME=CHANNEL``
    Score marker NAME in CHANNEL (an index or a channel name) of the counted
    file.  With ``--pair``, CHANNEL may instead be one of the pattern's
    marker tokens: the marker is then read from that sibling file and named
    NAME (``--marker Ki67=c2``); ``--marker TOKEN`` alone also works.
    Every marker token of ``--pair`` not named this way becomes a marker of
    the token's name.
``--positive [NAME=]RULE``
    ``auto``, ``mixture``, ``otsu``, ``background[:K]`` or a number (a hand
    threshold on the measure); without ``NAME=`` for every marker.
``--marker-measure [NAME=]MEASURE``
    ``corrected`` (default), ``mean``, ``median``, ``integrated`` or ``ratio``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ParameterError
from .pairing import PairPattern
from .rules import PositivityRule
from .score import MarkerSpec, check_markers


def build_markers(
    markers: Sequence[str] = (),
    positive: Sequence[str] = (),
    measures: Sequence[str] = (),
    pair: PairPattern | None = None,
) -> tuple[MarkerSpec, ...]:
    """The markers of a count from the option texts.

    Raises
    ------
    ParameterError
        A malformed option, a rule or measure for a marker that is not
        scored, a marker without a channel, or ``--positive`` /
        ``--marker-measure`` without any marker.

    Examples
    --------
    >>> specs = build_markers(["Cy3=1"], ["auto", "Cy3=otsu"])
    >>> [(s.name, s.channel, s.rule.method, s.sibling) for s in specs]
    [('Cy3', 1, 'otsu', None)]
    >>> specs = build_markers(["Ki67=c2"], ["250"], ["mean"], PairPattern.parse("c1=c2,c3"))
    >>> [(s.name, s.sibling, s.rule.describe()) for s in specs]
    [('Ki67', 'c2', 'mean >= 250'), ('c3', 'c3', 'mean >= 250')]
    """
    tokens = {t.casefold(): t for t in (pair.markers if pair is not None else ())}
    named: list[tuple[str, str | None, str | None]] = []  # (name, channel, sibling)
    for text in markers:
        name, sep, channel = (part.strip() for part in text.partition("="))
        target = channel if sep else name
        if target.casefold() in tokens:
            named.append((name, None, tokens[target.casefold()]))
        elif not sep or not channel:
            raise ParameterError(f"--marker needs NAME=CHANNEL (e.g. Cy3=1 or Cy3=Cy3), got {text!r}")
        else:
            named.append((name, channel, None))
    used = {sibling for _, _, sibling in named if sibling}
    named += [(token, None, token) for token in tokens.values() if token not in used]
    if not named:
        if positive or measures:
            raise ParameterError("--positive and --marker-measure need a marker (--marker or --pair)")
        return ()
    names = [name for name, _, _ in named]
    rules = _per_marker("--positive", positive, names)
    chosen = _per_marker("--marker-measure", measures, names)
    specs = []
    for name, channel, sibling in named:
        rule = PositivityRule.parse(rules.get(name, rules.get("", "auto")), chosen.get(name, chosen.get("")))
        specs.append(MarkerSpec(name, channel, rule, sibling))
    return check_markers(specs)


def _per_marker(option: str, values: Sequence[str], names: Sequence[str]) -> dict[str, str]:
    """``{marker: value}`` from ``[NAME=]VALUE`` texts; key ``""`` for the value of every marker."""
    chosen: dict[str, str] = {}
    for text in values:
        name, sep, value = (part.strip() for part in text.partition("="))
        key, value = (name, value) if sep else ("", name)
        if not value:
            raise ParameterError(f"{option} needs a value, got {text!r}")
        if key and key not in names:
            raise ParameterError(f"{option} {text!r} names marker {key!r}, but the markers are {', '.join(names)}")
        if key in chosen:
            what = f"marker {key}" if key else "all markers"
            raise ParameterError(f"{option} is given twice for {what}")
        chosen[key] = value
    return chosen
