"""Pair single-channel sibling files by a naming pattern (``a_DAPI_1.tif`` with ``a_Cy3_1.tif``).

Pattern syntax: ``DETECT=MARKER[,MARKER...]``, e.g. ``DAPI=Cy3,GFP`` or
``c1=c2``.  A file whose name contains the token ``DETECT`` once is an image
to count; its sibling for each marker is the file in the same folder whose
name has that token in its place (names compare ignoring case, the
extension is kept).  Tokens match whole words of the file
name, ignoring case: a word is bounded by the start or end of the name or by
a character that is not a letter or digit, so ``c1`` matches ``img_c1.tif``
and ``img-C1-z0.tif`` but not ``sec1.tif``.

Every file that does not fit is reported: marker files without their
detection file, files with none of the tokens, names with a token twice.
Detection files missing a sibling are kept, with the missing names, so the
batch can record them as failed images.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ParameterError

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")


@dataclass(frozen=True)
class PairPattern:
    """The detection token and the marker tokens that replace it in sibling names.

    Examples
    --------
    >>> PairPattern.parse("DAPI=Cy3,GFP")
    PairPattern(detect='DAPI', markers=('Cy3', 'GFP'))
    >>> PairPattern.parse("c1")
    Traceback (most recent call last):
    ...
    cellcounter_app.errors.ParameterError: pair pattern must be DETECT=MARKER[,MARKER...] (e.g. DAPI=Cy3,GFP or c1=c2), got 'c1'
    """

    detect: str
    markers: tuple[str, ...]

    def __post_init__(self) -> None:
        tokens = (self.detect, *self.markers)
        if not self.markers:
            raise ParameterError("a pair pattern needs at least one marker token, e.g. DAPI=Cy3")
        for token in tokens:
            if not isinstance(token, str) or not _TOKEN.match(token):
                raise ParameterError(f"pair token must be letters, digits, '_', '.' or '-', got {token!r}")
        folded = [t.casefold() for t in tokens]
        if len(set(folded)) != len(folded):
            raise ParameterError(f"pair tokens must differ (ignoring case), got {', '.join(tokens)}")

    @classmethod
    def parse(cls, text: str) -> PairPattern:
        detect, sep, markers = text.partition("=")
        if not sep or not detect.strip() or not markers.strip():
            raise ParameterError("pair pattern must be DETECT=MARKER[,MARKER...] "
                                 f"(e.g. DAPI=Cy3,GFP or c1=c2), got {text!r}")
        return cls(detect.strip(), tuple(m.strip() for m in markers.split(",")))

    def __str__(self) -> str:
        return f"{self.detect}={','.join(self.markers)}"


@dataclass(frozen=True)
class PairedImage:
    """One image to count and its marker siblings (token -> file); ``missing``: token -> expected name."""

    detect: Path
    siblings: dict[str, Path] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)

    def missing_reason(self) -> str:
        """Why the image cannot be scored, naming each sibling file not found."""
        parts = [f"no {token} file {name!r} next to it" for token, name in self.missing.items()]
        return "; ".join(parts)


@dataclass(frozen=True)
class Pairing:
    """Images to count, in input order, and the files left out with the reason."""

    images: tuple[PairedImage, ...]
    unpaired: tuple[tuple[Path, str], ...]


def pair_files(files: Sequence[Path], pattern: PairPattern) -> Pairing:
    """Group detection files with their sibling marker files.

    Parameters
    ----------
    files : sequence of Path
        The image files found (siblings are looked up among these only).
    pattern : PairPattern

    Returns
    -------
    Pairing

    Examples
    --------
    >>> files = [Path("a_DAPI_1.tif"), Path("a_Cy3_1.tif"), Path("b_DAPI_1.tif"), Path("c_Cy3_1.tif")]
    >>> pairing = pair_files(files, PairPattern.parse("DAPI=Cy3"))
    >>> [(p.detect.name, {t: s.name for t, s in p.siblings.items()}, p.missing) for p in pairing.images]
    [('a_DAPI_1.tif', {'Cy3': 'a_Cy3_1.tif'}, {}), ('b_DAPI_1.tif', {}, {'Cy3': 'b_Cy3_1.tif'})]
    >>> [(path.name, why) for path, why in pairing.unpaired]
    [('c_Cy3_1.tif', "a Cy3 file without its DAPI file 'c_DAPI_1.tif'")]
    """
    lookup = {(path.parent, path.name.casefold()): path for path in files}
    images: list[PairedImage] = []
    claimed: set[Path] = set()
    roles: dict[Path, tuple[str, re.Match[str]]] = {}
    unpaired: list[tuple[Path, str]] = []
    for path in files:
        found = [(token, match) for token in (pattern.detect, *pattern.markers)
                 for match in _word(token).finditer(path.stem)]
        detect = [m for token, m in found if token == pattern.detect]
        if len(detect) > 1:
            unpaired.append((path, f"the name contains {pattern.detect!r} more than once"))
        elif detect:
            siblings, missing = {}, {}
            for token in pattern.markers:
                name = _replace(path, detect[0], token)
                sibling = lookup.get((path.parent, name.casefold()))
                if sibling is None:
                    missing[token] = name
                else:
                    siblings[token] = sibling
                    claimed.add(sibling)
            images.append(PairedImage(path, siblings, missing))
        elif found:
            roles[path] = found[0]
        else:
            tokens = ", ".join((pattern.detect, *pattern.markers))
            unpaired.append((path, f"the name contains none of the pair tokens {tokens}"))
    for path, (token, match) in roles.items():
        if path not in claimed:
            expected = _replace(path, match, pattern.detect)
            unpaired.append((path, f"a {token} file without its {pattern.detect} file {expected!r}"))
    order = {path: i for i, path in enumerate(files)}
    return Pairing(tuple(images), tuple(sorted(unpaired, key=lambda item: order[item[0]])))


def _word(token: str) -> re.Pattern[str]:
    """``token`` as a whole word (not inside a longer run of letters and digits), ignoring case."""
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(token)}(?![A-Za-z0-9])", re.IGNORECASE)


def _replace(path: Path, match: re.Match[str], token: str) -> str:
    """``path``'s file name with the matched word replaced by ``token``."""
    stem = path.stem
    return stem[: match.start()] + token + stem[match.end():] + path.suffix
